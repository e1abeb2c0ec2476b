package demo

import (
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/hexcover/hexcover/internal/model"
)

// The district is a jittered lattice of nx × ny quadrilaterals over Putuo's
// extent. Each lattice point is shared by up to four quads, so quads tessellate
// exactly; a grid (网格) is one quad, a community a block of about 3 × 3 quads,
// a street a block of communities, and every area's outline is traced from the
// boundary edges of its quads, so it is the exact union of its grids.
const (
	lng0, lng1 = 121.36, 121.46
	lat0, lat1 = 31.22, 31.28
	nx, ny     = 24, 15 // quads: about 396 m × 445 m
	jitterFrac = 0.18   // lattice jitter as a fraction of the spacing (< 0.25)
	commSize   = 3      // community blocks are commSize × commSize quads

	districtCode = "310107"
)

// metres per degree of latitude on orb's sphere, and of longitude at the
// district's middle latitude.
var (
	mPerDegLat = orb.EarthRadius * math.Pi / 180
	mPerDegLng = mPerDegLat * math.Cos((lat0+lat1)/2*math.Pi/180)
)

// xy is a point in a local metric frame: metres east and north of (lng0, lat0).
type xy struct{ X, Y float64 }

func toXY(p orb.Point) xy        { return xy{(p[0] - lng0) * mPerDegLng, (p[1] - lat0) * mPerDegLat} }
func (p xy) point() orb.Point    { return orb.Point{lng0 + p.X/mPerDegLng, lat0 + p.Y/mPerDegLat} }
func dist(a, b xy) float64       { return math.Hypot(a.X-b.X, a.Y-b.Y) }
func lerp(a, b xy, t float64) xy { return xy{a.X + (b.X-a.X)*t, a.Y + (b.Y-a.Y)*t} }

// world is the generated geography.
type world struct {
	vert []orb.Point // lattice points, index j*(nx+1)+i
	in   []bool      // quad j*nx+i is part of the district

	streets     []streetArea
	communities []communityArea
	areas       []model.Area
	grids       []model.Grid
	gridQuad    []int // quad of each grid
	gridStreet  []int // index into streets of each grid

	outline orb.Ring // district outline, counter-clockwise, closed
	mask    raster
}

type streetArea struct {
	name    name
	code    string
	quads   []int
	centre  xy
	commIdx []int // indices into communities
}

type communityArea struct {
	name   name
	code   string
	street int
	quads  []int
}

func quadIndex(i, j int) int { return j*nx + i }
func vertIndex(i, j int) int { return j*(nx+1) + i }

// keep says which lattice quads form the district's irregular outline: the
// north-east corner (Baoshan and Zhabei side) and south-west corner are cut
// away, with notches along Suzhou Creek in the south and on the west edge.
func keep(i, j int) bool {
	switch {
	case i+j > 30: // north-east
		return false
	case i+j < 4: // south-west
		return false
	case i >= 21 && j <= 1: // south-east, across Suzhou Creek
		return false
	case j == 0 && i >= 8 && i <= 12: // a bend of Suzhou Creek
		return false
	case i == 0 && j >= 7 && j <= 10: // west edge
		return false
	}
	return true
}

// streetOf returns the index into streetNames of the quad's street: 2 × 2
// community blocks in the south and middle, 4 × 1 in the north.
func streetOf(i, j int) int {
	ci, cj := i/commSize, j/commSize
	switch {
	case cj <= 1:
		return ci / 2
	case cj <= 3:
		return 4 + ci/2
	default:
		return 8 + ci/4
	}
}

func communityBlockOf(i, j int) int { return (j/commSize)*(nx/commSize) + i/commSize }

func buildWorld(seed int64) (*world, error) {
	w := &world{}
	r := newRand(seed, streamLattice, 0)
	dx, dy := (lng1-lng0)/nx, (lat1-lat0)/ny
	w.vert = make([]orb.Point, (nx+1)*(ny+1))
	for j := 0; j <= ny; j++ {
		for i := 0; i <= nx; i++ {
			jx := uniform(r, -jitterFrac, jitterFrac)
			jy := uniform(r, -jitterFrac, jitterFrac)
			w.vert[vertIndex(i, j)] = orb.Point{lng0 + (float64(i)+jx)*dx, lat0 + (float64(j)+jy)*dy}
		}
	}

	// Start from the full lattice; community and street membership per quad.
	w.in = make([]bool, nx*ny)
	comm := make([]int, nx*ny) // community block per quad
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			q := quadIndex(i, j)
			w.in[q] = true
			comm[q] = communityBlockOf(i, j)
		}
	}
	street := func(q int) int { return streetOf(q%nx, q/nx) }

	// Peel the quads outside the outline, one at a time, keeping the district,
	// and the quad's community and street, single simple rings.
	valid := func(member func(q int) bool) bool {
		_, ok := traceRegion(member)
		return ok
	}
	for changed := true; changed; {
		changed = false
		for q := range w.in {
			if !w.in[q] || keep(q%nx, q/nx) {
				continue
			}
			w.in[q] = false
			c, s := comm[q], street(q)
			ok := valid(func(p int) bool { return w.in[p] }) &&
				validOrEmpty(func(p int) bool { return w.in[p] && comm[p] == c }) &&
				validOrEmpty(func(p int) bool { return w.in[p] && street(p) == s })
			if !ok {
				w.in[q] = true
				continue
			}
			changed = true
		}
	}

	// Merge communities left with fewer than 3 grids into the neighbour in
	// the same street they share most edges with.
	for changed := true; changed; {
		changed = false
		size := map[int]int{}
		for q, ok := range w.in {
			if ok {
				size[comm[q]]++
			}
		}
		for q, ok := range w.in {
			if !ok || size[comm[q]] >= 3 {
				continue
			}
			c := comm[q]
			shared := map[int]int{}
			for p, ok := range w.in {
				if !ok || comm[p] != c {
					continue
				}
				for _, n := range neighbours4(p) {
					if w.in[n] && comm[n] != c && street(n) == street(p) {
						shared[comm[n]]++
					}
				}
			}
			best, bestN := -1, 0
			for _, k := range sortedKeys(shared) {
				if shared[k] > bestN {
					best, bestN = k, shared[k]
				}
			}
			if best < 0 || !valid(func(p int) bool { return w.in[p] && (comm[p] == c || comm[p] == best) }) {
				continue
			}
			for p := range comm {
				if comm[p] == c {
					comm[p] = best
				}
			}
			changed = true
			break
		}
	}

	// The district.
	ring, ok := traceRegion(func(q int) bool { return w.in[q] })
	if !ok {
		return nil, fmt.Errorf("district outline is not a simple ring")
	}
	w.outline = w.ring(ring)
	w.areas = append(w.areas, model.Area{
		Code: districtCode, Name: "普陀区", NameEn: "Putuo District",
		Level: model.LevelDistrict, Geometry: orb.MultiPolygon{{w.outline}},
	})

	// Streets and communities, numbered in layout order.
	nr := newRand(seed, streamNames, 0)
	roadOrder := nr.Perm(len(roads))
	nextRoad := 0
	blocks := make([][]int, (nx/commSize)*(ny/commSize))
	for q, ok := range w.in {
		if ok {
			blocks[comm[q]] = append(blocks[comm[q]], q)
		}
	}
	for s, sn := range streetNames {
		var quads []int
		for q, ok := range w.in {
			if ok && street(q) == s {
				quads = append(quads, q)
			}
		}
		if len(quads) == 0 {
			continue
		}
		st := streetArea{name: sn, code: fmt.Sprintf("%s%03d", districtCode, len(w.streets)+1), quads: quads}
		for b, qs := range blocks {
			if len(qs) == 0 || street(qs[0]) != s {
				continue
			}
			rd := roads[roadOrder[nextRoad%len(roads)]]
			nextRoad++
			cm := communityArea{
				name:   name{rd.zh + "社区", rd.en + " Community"},
				code:   fmt.Sprintf("%s%03d", st.code, len(st.commIdx)+1),
				street: len(w.streets),
				quads:  blocks[b],
			}
			st.commIdx = append(st.commIdx, len(w.communities))
			w.communities = append(w.communities, cm)
		}
		w.streets = append(w.streets, st)
	}
	for si := range w.streets {
		st := &w.streets[si]
		ring, ok := traceRegion(memberOf(st.quads))
		if !ok {
			return nil, fmt.Errorf("street %s is not a simple ring", st.name.zh)
		}
		poly := w.ring(ring)
		ctr, _ := planar.CentroidArea(poly)
		st.centre = toXY(ctr)
		w.areas = append(w.areas, model.Area{
			Code: st.code, Name: st.name.zh, NameEn: st.name.en, Level: model.LevelStreet,
			ParentCode: districtCode, Geometry: orb.MultiPolygon{{poly}},
		})
	}
	for _, cm := range w.communities {
		ring, ok := traceRegion(memberOf(cm.quads))
		if !ok {
			return nil, fmt.Errorf("community %s is not a simple ring", cm.name.zh)
		}
		w.areas = append(w.areas, model.Area{
			Code: cm.code, Name: cm.name.zh, NameEn: cm.name.en, Level: model.LevelCommunity,
			ParentCode: w.streets[cm.street].code, Geometry: orb.MultiPolygon{{w.ring(ring)}},
		})
	}

	// Grids: one per quad, numbered from the community's north-west corner.
	for _, cm := range w.communities {
		quads := slices.Clone(cm.quads)
		slices.SortFunc(quads, func(a, b int) int {
			if a/nx != b/nx {
				return b/nx - a/nx // north first
			}
			return a%nx - b%nx
		})
		for k, q := range quads {
			i, j := q%nx, q/nx
			st := w.streets[cm.street]
			w.grids = append(w.grids, model.Grid{
				Code:          fmt.Sprintf("%s%02d", cm.code, k+1),
				Name:          fmt.Sprintf("%s第%d网格", cm.name.zh, k+1),
				CommunityCode: cm.code,
				StreetCode:    st.code,
				DistrictCode:  districtCode,
				Manager:       surnames[nr.IntN(len(surnames))] + givenNames[nr.IntN(len(givenNames))],
				Target:        2 + nr.IntN(4),
				Geometry:      orb.MultiPolygon{{w.quadRing(i, j)}},
			})
			w.gridQuad = append(w.gridQuad, q)
			w.gridStreet = append(w.gridStreet, cm.street)
		}
	}
	w.mask = newRaster(w.outline)
	return w, nil
}

func validOrEmpty(member func(q int) bool) bool {
	for q := 0; q < nx*ny; q++ {
		if member(q) {
			_, ok := traceRegion(member)
			return ok
		}
	}
	return true
}

func memberOf(quads []int) func(q int) bool {
	set := make([]bool, nx*ny)
	for _, q := range quads {
		set[q] = true
	}
	return func(q int) bool { return set[q] }
}

func neighbours4(q int) []int {
	i, j := q%nx, q/nx
	var out []int
	if i > 0 {
		out = append(out, q-1)
	}
	if i < nx-1 {
		out = append(out, q+1)
	}
	if j > 0 {
		out = append(out, q-nx)
	}
	if j < ny-1 {
		out = append(out, q+nx)
	}
	return out
}

func sortedKeys(m map[int]int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// traceRegion traces the boundary of a set of quads as one counter-clockwise
// loop of lattice vertices (not closed). It reports false unless the region is
// non-empty, connected, without holes and without vertices where two parts
// touch only at a corner: exactly the regions whose outline is a simple ring.
func traceRegion(member func(q int) bool) ([]int, bool) {
	in := func(i, j int) bool { return i >= 0 && j >= 0 && i < nx && j < ny && member(quadIndex(i, j)) }
	next := make([]int, (nx+1)*(ny+1))
	for k := range next {
		next[k] = -1
	}
	edges, start := 0, -1
	add := func(a, b int) bool {
		if next[a] >= 0 {
			return false // two outgoing edges: the region pinches here
		}
		next[a] = b
		edges++
		if start < 0 || a < start {
			start = a
		}
		return true
	}
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			if !in(i, j) {
				continue
			}
			if !in(i, j-1) && !add(vertIndex(i, j), vertIndex(i+1, j)) {
				return nil, false
			}
			if !in(i+1, j) && !add(vertIndex(i+1, j), vertIndex(i+1, j+1)) {
				return nil, false
			}
			if !in(i, j+1) && !add(vertIndex(i+1, j+1), vertIndex(i, j+1)) {
				return nil, false
			}
			if !in(i-1, j) && !add(vertIndex(i, j+1), vertIndex(i, j)) {
				return nil, false
			}
		}
	}
	if edges == 0 {
		return nil, false
	}
	loop := []int{start}
	for v := next[start]; v != start; v = next[v] {
		if v < 0 || len(loop) > edges {
			return nil, false
		}
		loop = append(loop, v)
	}
	if len(loop) != edges {
		return nil, false // more than one loop: disconnected or with holes
	}
	return loop, true
}

// ring turns a vertex loop into a closed ring, dropping vertices where the
// outline runs straight on along the lattice (none are exactly collinear
// because of the jitter, so all are kept).
func (w *world) ring(loop []int) orb.Ring {
	r := make(orb.Ring, 0, len(loop)+1)
	for _, v := range loop {
		r = append(r, w.vert[v])
	}
	return append(r, w.vert[loop[0]])
}

func (w *world) quadRing(i, j int) orb.Ring {
	return orb.Ring{
		w.vert[vertIndex(i, j)], w.vert[vertIndex(i+1, j)],
		w.vert[vertIndex(i+1, j+1)], w.vert[vertIndex(i, j+1)],
		w.vert[vertIndex(i, j)],
	}
}

// quadPoint returns the point at bilinear coordinates (u, v) ∈ [0,1]² of quad q.
func (w *world) quadPoint(q int, u, v float64) xy {
	i, j := q%nx, q/nx
	a, b := toXY(w.vert[vertIndex(i, j)]), toXY(w.vert[vertIndex(i+1, j)])
	c, d := toXY(w.vert[vertIndex(i+1, j+1)]), toXY(w.vert[vertIndex(i, j+1)])
	return lerp(lerp(a, b, u), lerp(d, c, u), v)
}

// interior reports whether quad q and its eight neighbours are all in the
// district, so that points in q are at least a grid away from the outline.
func (w *world) interior(q int) bool {
	i, j := q%nx, q/nx
	for dj := -1; dj <= 1; dj++ {
		for di := -1; di <= 1; di++ {
			a, b := i+di, j+dj
			if a < 0 || b < 0 || a >= nx || b >= ny || !w.in[quadIndex(a, b)] {
				return false
			}
		}
	}
	return true
}

// nearestInterior moves p to the centre of the nearest interior quad unless
// it already lies in one.
func (w *world) nearestInterior(p xy) xy {
	best, bestD := xy{}, math.Inf(1)
	for q := range w.in {
		if !w.interior(q) {
			continue
		}
		if planar.RingContains(w.quadRing(q%nx, q/nx), p.point()) {
			return p
		}
		c := w.quadPoint(q, 0.5, 0.5)
		if d := dist(c, p); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// contains reports whether a point is inside the district outline.
func (w *world) contains(lng, lat float64) bool {
	switch w.mask.at(lng, lat) {
	case cellIn:
		return true
	case cellOut:
		return false
	}
	return planar.RingContains(w.outline, orb.Point{lng, lat})
}

func (w *world) containsXY(p xy) bool { pt := p.point(); return w.contains(pt[0], pt[1]) }

// raster is a coarse classification of the district's bounding box: cells
// wholly inside or outside answer containment at once, only cells the outline
// crosses need the exact test.
type raster struct {
	minLng, minLat   float64
	stepLng, stepLat float64
	cols, rows       int
	cells            []uint8
}

const (
	cellOut uint8 = iota
	cellIn
	cellEdge
)

func newRaster(outline orb.Ring) raster {
	b := outline.Bound()
	const stepM = 50.0
	r := raster{minLng: b.Min[0], minLat: b.Min[1], stepLng: stepM / mPerDegLng, stepLat: stepM / mPerDegLat}
	r.cols = int(math.Ceil((b.Max[0]-b.Min[0])/r.stepLng)) + 1
	r.rows = int(math.Ceil((b.Max[1]-b.Min[1])/r.stepLat)) + 1
	r.cells = make([]uint8, r.cols*r.rows)
	for k := 0; k+1 < len(outline); k++ {
		a, c := outline[k], outline[k+1]
		// Mark every cell the segment's bounding box touches, one cell wider.
		c0 := int(math.Floor((math.Min(a[0], c[0])-r.minLng)/r.stepLng)) - 1
		c1 := int(math.Floor((math.Max(a[0], c[0])-r.minLng)/r.stepLng)) + 1
		r0 := int(math.Floor((math.Min(a[1], c[1])-r.minLat)/r.stepLat)) - 1
		r1 := int(math.Floor((math.Max(a[1], c[1])-r.minLat)/r.stepLat)) + 1
		for y := max(r0, 0); y <= min(r1, r.rows-1); y++ {
			for x := max(c0, 0); x <= min(c1, r.cols-1); x++ {
				// Only cells the segment comes near: distance from the cell
				// centre to the segment under one cell diagonal.
				ctr := orb.Point{r.minLng + (float64(x)+0.5)*r.stepLng, r.minLat + (float64(y)+0.5)*r.stepLat}
				if segDistM(a, c, ctr) <= stepM {
					r.cells[y*r.cols+x] = cellEdge
				}
			}
		}
	}
	for y := 0; y < r.rows; y++ {
		for x := 0; x < r.cols; x++ {
			k := y*r.cols + x
			if r.cells[k] == cellEdge {
				continue
			}
			ctr := orb.Point{r.minLng + (float64(x)+0.5)*r.stepLng, r.minLat + (float64(y)+0.5)*r.stepLat}
			if planar.RingContains(outline, ctr) {
				r.cells[k] = cellIn
			}
		}
	}
	return r
}

func (r *raster) at(lng, lat float64) uint8 {
	x := int(math.Floor((lng - r.minLng) / r.stepLng))
	y := int(math.Floor((lat - r.minLat) / r.stepLat))
	if x < 0 || y < 0 || x >= r.cols || y >= r.rows {
		return cellOut
	}
	return r.cells[y*r.cols+x]
}

// segDistM is the distance in metres from p to the segment ab.
func segDistM(a, b, p orb.Point) float64 {
	pa, pb, pp := toXY(a), toXY(b), toXY(p)
	dx, dy := pb.X-pa.X, pb.Y-pa.Y
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, ((pp.X-pa.X)*dx+(pp.Y-pa.Y)*dy)/l2))
	}
	return dist(pp, xy{pa.X + t*dx, pa.Y + t*dy})
}
