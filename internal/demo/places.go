package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/model"
)

// Distances that shape where stations go.
const (
	unservedDist  = 1200.0 // a merchant cluster this far from every presence site is unserved
	officeKeepOff = 1300.0 // street offices keep this far from the clusters meant to stay unserved
	restKeepOff   = 1500.0 // rest stations and branches keep this far from them
)

// merchantSpec is a merchant cluster at about its real place (WGS-84).
type merchantSpec struct {
	zh, en, kind string
	lng, lat     float64
	weight       float64
	// unserved clusters get no station within unservedDist: the gaps the
	// analyses should find.
	unserved bool
}

var merchants = []merchantSpec{
	{"月星环球港", "Global Harbor", ClusterMall, 121.4135, 31.2330, 10, true},
	{"长风大悦城", "Changfeng Joy City", ClusterMall, 121.3950, 31.2265, 8, false},
	{"曹杨商城", "Caoyang Mall", ClusterMall, 121.4210, 31.2440, 6, false},
	{"百联中环购物广场", "Bailian Zhonghuan Shopping Mall", ClusterMall, 121.3850, 31.2500, 8, false},
	{"近铁城市广场", "Kintetsu City Plaza", ClusterMall, 121.4400, 31.2400, 6, false},
	{"长风景畔广场", "Changfeng Jingpan Plaza", ClusterMall, 121.4010, 31.2240, 4, false},
	{"真如城市副中心", "Zhenru Sub-centre Plaza", ClusterMall, 121.3960, 31.2570, 6, false},
	{"桃浦万达广场", "Taopu Wanda Plaza", ClusterMall, 121.3760, 31.2730, 7, false},
	{"大华虎城", "Dahua Tiger City", ClusterMall, 121.4100, 31.2690, 7, true},
	{"中环百联生活广场", "Zhonghuan Bailian Life Plaza", ClusterMall, 121.3720, 31.2430, 5, false},
	{"金沙江路美食街", "Jinshajiang Road Food Street", ClusterFoodStreet, 121.4030, 31.2350, 5, false},
	{"铜川路美食街", "Tongchuan Road Food Street", ClusterFoodStreet, 121.4080, 31.2490, 8, true},
	{"兰溪路美食街", "Lanxi Road Food Street", ClusterFoodStreet, 121.4150, 31.2460, 4, false},
	{"梅川路步行街", "Meichuan Road Pedestrian Street", ClusterFoodStreet, 121.3960, 31.2440, 6, false},
	{"宜川路美食街", "Yichuan Road Food Street", ClusterFoodStreet, 121.4390, 31.2550, 5, false},
	{"甘泉路美食街", "Ganquan Road Food Street", ClusterFoodStreet, 121.4330, 31.2665, 4, false},
	{"石泉路商业街", "Shiquan Road Shopping Street", ClusterFoodStreet, 121.4280, 31.2520, 4, false},
	{"李子园美食广场", "Liziyuan Food Plaza", ClusterFoodStreet, 121.3720, 31.2620, 4, false},
	{"武宁路美食街", "Wuning Road Food Street", ClusterFoodStreet, 121.4280, 31.2340, 4, false},
	{"长寿路美食街", "Changshou Road Food Street", ClusterFoodStreet, 121.4470, 31.2440, 5, false},
}

// landmark compounds: large real estates of Putuo.
var landmarkCompounds = []struct {
	zh, en     string
	lng, lat   float64
	households float64
}{
	{"中远两湾城", "Zhongyuan Liangwan City", 121.4440, 31.2470, 6000},
	{"曹杨一村", "Caoyang No. 1 Village", 121.4190, 31.2400, 1800},
	{"阳光威尼斯", "Sunshine Venice", 121.3790, 31.2540, 3200},
}

// majorRoad is a straight arterial crossing the district; fuel stations line it.
type majorRoad struct {
	name     name
	from, to orb.Point
}

var majorRoads = []majorRoad{
	{name{"真北路", "Zhenbei Road"}, orb.Point{121.3880, 31.2150}, orb.Point{121.3850, 31.2850}},
	{name{"武宁路", "Wuning Road"}, orb.Point{121.3550, 31.2395}, orb.Point{121.4650, 31.2380}},
	{name{"中山北路", "Zhongshan North Road"}, orb.Point{121.4000, 31.2150}, orb.Point{121.4600, 31.2650}},
}

var allAmenities = []string{"charging", "water", "meals", "toilet", "first_aid", "shade", "wifi"}

// amenities draws a subset of allAmenities (in that order), each with its
// probability.
func amenities(r *rand.Rand, p [7]float64) []string {
	var out []string
	for k, a := range allAmenities {
		if r.Float64() < p[k] {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = append(out, "water")
	}
	return out
}

func (c *City) placeClustersAndSites() error {
	w := c.world
	r := newRand(c.Params.Seed, streamPlaces, 0)

	// Merchant clusters, pulled inside the district if the outline cut them off.
	var unservedAt []xy
	for _, m := range merchants {
		p := w.nearestInterior(toXY(orb.Point{m.lng, m.lat}))
		c.Clusters = append(c.Clusters, Cluster{
			Name: m.zh, NameEn: m.en, Kind: m.kind, Location: p.point(),
			Weight: m.weight * uniform(r, 0.9, 1.1),
		})
		if m.unserved {
			unservedAt = append(unservedAt, p)
		}
	}
	farFromUnserved := func(p xy, d float64) bool {
		for _, u := range unservedAt {
			if dist(p, u) <= d {
				return false
			}
		}
		return true
	}

	// Residential compounds: the landmarks, then zero to two per grid.
	used := map[string]bool{}
	var residences []Cluster
	for _, lc := range landmarkCompounds {
		p := w.nearestInterior(toXY(orb.Point{lc.lng, lc.lat}))
		used[lc.zh] = true
		residences = append(residences, Cluster{Name: lc.zh, NameEn: lc.en, Kind: ClusterResidential, Location: p.point(), Weight: lc.households})
	}
	for _, q := range w.gridQuad {
		n := 0
		switch x := r.Float64(); {
		case x < 0.35:
			n = 0
		case x < 0.8:
			n = 1
		default:
			n = 2
		}
		for k := 0; k < n && len(residences) < 290; k++ {
			p := w.quadPoint(q, uniform(r, 0.2, 0.8), uniform(r, 0.2, 0.8))
			zh, en := compoundName(r, used)
			households := math.Round(250 + 2200*math.Pow(r.Float64(), 2))
			residences = append(residences, Cluster{Name: zh, NameEn: en, Kind: ClusterResidential, Location: p.point(), Weight: households})
		}
	}
	c.Clusters = append(c.Clusters, residences...)

	// Street offices: near the street's centre, but away from merchant
	// clusters, and well away from those meant to stay unserved.
	offices := make([]xy, len(w.streets))
	for s, st := range w.streets {
		best, bestScore := xy{}, math.Inf(1)
		for g, q := range w.gridQuad {
			if w.gridStreet[g] != s {
				continue
			}
			p := w.quadPoint(q, 0.5, 0.5)
			score := dist(p, st.centre)
			if !farFromUnserved(p, officeKeepOff) {
				score += 1e6 // only if nothing else will do
			}
			for _, m := range c.Clusters[:len(merchants)] {
				if dist(p, toXY(m.Location)) < 400 {
					score += 2000
				}
			}
			if !w.interior(q) {
				score += 500
			}
			if score < bestScore {
				best, bestScore = p, score
			}
		}
		offices[s] = best
		office := st.name.zh + "办事处"
		officeEn := st.name.en + " Office"
		if strings.HasSuffix(st.name.zh, "镇") {
			office = st.name.zh + "人民政府"
			officeEn = strings.TrimSuffix(st.name.en, " Town") + " Town Government"
		}
		c.Clusters = append(c.Clusters, Cluster{Name: office, NameEn: officeEn, Kind: ClusterOffice, Location: best.point(), Weight: 1})
	}

	// Sites.
	sr := newRand(c.Params.Seed, streamSites, 0)
	add := func(kind model.SiteKind, status model.SiteStatus, name string, capacity int, am []string, p xy) {
		c.Sites = append(c.Sites, model.Site{
			ExtID: fmt.Sprintf("S%04d", len(c.Sites)+1), Kind: kind, Status: status, Name: name,
			Capacity: capacity, Amenities: am, Location: p.point(),
		})
	}
	for s, st := range w.streets {
		add(model.KindServiceCenter, model.StatusExisting, st.name.zh+"党群服务中心", 20+sr.IntN(21),
			amenities(sr, [7]float64{0.8, 1, 0.4, 1, 0.7, 0.5, 0.9}), offices[s])
	}

	// Rest stations ("万有引力" rider stations) at some of the busy clusters
	// that are meant to be served.
	var servable []int
	for k, m := range merchants {
		if !m.unserved && farFromUnserved(toXY(c.Clusters[k].Location), restKeepOff) {
			servable = append(servable, k)
		}
	}
	slices.SortStableFunc(servable, func(a, b int) int { return int(merchants[b].weight - merchants[a].weight) })
	nRest := min(len(servable), 3+sr.IntN(3))
	for _, k := range servable[:nRest] {
		cl := c.Clusters[k]
		p := offset(sr, toXY(cl.Location), 60, 150)
		if !w.containsXY(p) {
			p = toXY(cl.Location)
		}
		add(model.KindRestStation, model.StatusExisting, "万有引力·"+cl.Name+"骑手驿站", 6+sr.IntN(10),
			amenities(sr, [7]float64{1, 1, 0.5, 0.8, 0.8, 1, 0.9}), p)
	}

	// Branches: mobile service points at large compounds away from the gaps.
	nBranch := 1 + sr.IntN(3)
	for k := len(merchants); k < len(merchants)+len(residences) && nBranch > 0; k++ {
		cl := c.Clusters[k]
		p := toXY(cl.Location)
		if cl.Weight < 1500 || !farFromUnserved(p, restKeepOff) {
			continue
		}
		add(model.KindBranch, model.StatusExisting, cl.Name+"骑手流动服务点", 4+sr.IntN(5),
			amenities(sr, [7]float64{0.6, 1, 0, 0.3, 0.9, 0.8, 0.3}), p)
		nBranch--
	}

	// Fuel stations along the major roads, at least 700 m apart.
	var fuelSpots []xy
	var fuelRoad []int
	for ri, rd := range majorRoads {
		a, b := toXY(rd.from), toXY(rd.to)
		l := dist(a, b)
		nrmX, nrmY := -(b.Y-a.Y)/l, (b.X-a.X)/l // left normal
		for s := uniform(sr, 100, 400); s < l; s += 350 {
			side := 25.0
			if sr.IntN(2) == 0 {
				side = -25
			}
			p := lerp(a, b, s/l)
			p = xy{p.X + nrmX*side, p.Y + nrmY*side}
			if w.containsXY(p) && w.containsXY(xy{p.X + 150, p.Y}) && w.containsXY(xy{p.X - 150, p.Y}) &&
				w.containsXY(xy{p.X, p.Y + 150}) && w.containsXY(xy{p.X, p.Y - 150}) {
				fuelSpots = append(fuelSpots, p)
				fuelRoad = append(fuelRoad, ri)
			}
		}
	}
	nFuel := 8 + sr.IntN(5)
	order := sr.Perm(len(fuelSpots))
	var chosen []int
	for _, k := range order {
		if len(chosen) == nFuel {
			break
		}
		ok := true
		for _, o := range chosen {
			if dist(fuelSpots[k], fuelSpots[o]) < 700 {
				ok = false
				break
			}
		}
		if ok {
			chosen = append(chosen, k)
		}
	}
	if len(chosen) < 8 {
		return fmt.Errorf("only %d fuel station spots along the major roads, want at least 8", len(chosen))
	}
	slices.Sort(chosen)
	perRoad := map[string]int{}
	for _, k := range chosen {
		brand := "中石化"
		if sr.IntN(5) < 2 {
			brand = "中石油"
		}
		key := brand + majorRoads[fuelRoad[k]].name.zh
		perRoad[key]++
		nm := key + "加油站"
		if n := perRoad[key]; n > 1 {
			nm = fmt.Sprintf("%s%s加油站", key, ordinals[min(n, len(ordinals))-1].zh)
		}
		add(model.KindFuelStation, model.StatusCandidate, nm, 4+sr.IntN(5),
			amenities(sr, [7]float64{0.3, 1, 0.2, 1, 0.3, 1, 0.2}), fuelSpots[k])
	}

	// Candidate sites: vacant shops and community rooms, mostly near homes.
	resCum := make([]float64, len(residences))
	for k, rc := range residences {
		resCum[k] = rc.Weight
	}
	resCum = cumulative(resCum)
	nCand := 35 + sr.IntN(16)
	for k, tries := 0, 0; k < nCand && tries < 100*nCand; tries++ {
		var p xy
		var nm string
		if sr.Float64() < 0.7 {
			rc := residences[pickWeighted(sr, resCum)]
			p = offset(sr, toXY(rc.Location), 30, 90)
			if sr.IntN(2) == 0 {
				nm = rc.Name + "邻里中心"
			} else {
				nm = rc.Name + "沿街空置商铺"
			}
		} else {
			q := w.gridQuad[sr.IntN(len(w.gridQuad))]
			p = w.quadPoint(q, uniform(sr, 0.15, 0.85), uniform(sr, 0.15, 0.85))
			nm = fmt.Sprintf("%s%d号空置商铺", roads[sr.IntN(len(roads))].zh, 2*(1+sr.IntN(800))-1)
		}
		if !w.containsXY(p) || used[nm] {
			continue
		}
		used[nm] = true
		k++
		add(model.KindCandidate, model.StatusCandidate, nm, 5+sr.IntN(16),
			amenities(sr, [7]float64{0.5, 0.8, 0.3, 0.6, 0.4, 0.7, 0.6}), p)
	}

	// Which merchant clusters no existing presence site serves.
	var presence []xy
	for _, s := range c.Sites {
		if s.Status == model.StatusExisting && (s.Kind == model.KindServiceCenter || s.Kind == model.KindRestStation || s.Kind == model.KindBranch) {
			presence = append(presence, toXY(s.Location))
		}
	}
	busy := 0
	for k := range merchants {
		p := toXY(c.Clusters[k].Location)
		far := true
		for _, s := range presence {
			if dist(p, s) <= unservedDist {
				far = false
				break
			}
		}
		c.Clusters[k].Unserved = far
		if far && merchants[k].weight >= 6 {
			busy++
		}
	}
	if busy < 2 {
		return fmt.Errorf("only %d busy merchant clusters are unserved, want at least 2", busy)
	}
	return nil
}

// offset moves p by a random distance in [lo, hi) metres in a random direction.
func offset(r *rand.Rand, p xy, lo, hi float64) xy {
	d, a := uniform(r, lo, hi), r.Float64()*2*math.Pi
	return xy{p.X + d*math.Cos(a), p.Y + d*math.Sin(a)}
}

// compoundName makes an unused compound name such as 金华苑 (Jinhua Court).
func compoundName(r *rand.Rand, used map[string]bool) (string, string) {
	for {
		a := compoundSyllables[r.IntN(len(compoundSyllables))]
		b := compoundSyllables[r.IntN(len(compoundSyllables))]
		s := compoundSuffixes[r.IntN(len(compoundSuffixes))]
		if a.zh == b.zh {
			continue
		}
		zh := a.zh + b.zh + s.zh
		if used[zh] {
			continue
		}
		used[zh] = true
		return zh, a.en + strings.ToLower(b.en) + " " + s.en
	}
}
