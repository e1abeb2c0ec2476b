package demo

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
)

// FileRoads is the demo city's road network as an OpenStreetMap extract,
// imported by `hexcover ingest osm` like any other.
const FileRoads = "roads.osm"

// roadNames are the names of the lattice's roads, Chinese with pinyin.
var roadNames = []name{
	{"金沙江路", "Jinshajiang Road"}, {"光复西路", "Guangfu Road W."}, {"长寿路", "Changshou Road"}, {"武宁路", "Wuning Road"},
	{"大渡河路", "Daduhe Road"}, {"铜川路", "Tongchuan Road"}, {"真北路", "Zhenbei Road"}, {"梅川路", "Meichuan Road"},
	{"兰溪路", "Lanxi Road"}, {"枣阳路", "Zaoyang Road"}, {"中山北路", "Zhongshan Road N."}, {"交通路", "Jiaotong Road"},
	{"宜川路", "Yichuan Road"}, {"新村路", "Xincun Road"}, {"桃浦路", "Taopu Road"}, {"祁连山路", "Qilianshan Road"},
	{"岚皋路", "Langao Road"}, {"西康路", "Xikang Road"}, {"常德路", "Changde Road"}, {"白兰路", "Bailan Road"},
	{"云岭路", "Yunling Road"}, {"怒江路", "Nujiang Road"}, {"同普路", "Tongpu Road"}, {"绥德路", "Suide Road"},
	{"管弄路", "Guannong Road"}, {"志丹路", "Zhidan Road"}, {"甘泉路", "Ganquan Road"}, {"石泉路", "Shiquan Road"},
	{"芝川路", "Zhichuan Road"}, {"丹巴路", "Danba Road"}, {"千阳路", "Qianyang Road"}, {"沪太路", "Hutai Road"},
	{"曹杨路", "Caoyang Road"}, {"杏山路", "Xingshan Road"}, {"华池路", "Huachi Road"}, {"泸定路", "Luding Road"},
	{"梅岭路", "Meiling Road"}, {"靖边路", "Jingbian Road"}, {"北石路", "Beishi Road"}, {"清峪路", "Qingyu Road"},
	{"富平路", "Fuping Road"},
}

// The road network follows the grid lattice: every lattice line is a street
// (grid boundaries are streets in Shanghai), every fifth row and sixth column
// a primary road, rows 3, 8, 13 and columns 3, 9, 15, 21 secondary roads, the
// rest residential streets, with a node about every 100 m. A creek runs
// between rows creekRow and creekRow+1; only the secondary roads at columns
// i%6 == 3 cross it, on bridges, so riders on one bank reach the other only
// there. Suzhou Creek runs along the south edge, a railway between rows
// railRow and railRow+1, and a park with a lake lies at parkI, parkJ.
const (
	creekRow     = 5
	railRow      = 11
	parkI, parkJ = 11, 8
	roadSubdiv   = 4 // segments per lattice edge (~100 m each)
)

// roadClass is the highway class of lattice row j (horizontal) or column i.
func roadClass(horizontal bool, k int) string {
	switch {
	case horizontal && k%5 == 0, !horizontal && k%6 == 0:
		return "primary"
	case horizontal && k%5 == 3, !horizontal && k%3 == 0:
		return "secondary"
	}
	return "residential"
}

// Bridges returns the lattice columns whose roads cross the creek.
func Bridges() []int {
	var out []int
	for i := 0; i <= nx; i++ {
		if i%6 == 3 {
			out = append(out, i)
		}
	}
	return out
}

// roadBuilder assembles the extract.
type roadBuilder struct {
	o      *osm.OSM
	nextN  osm.NodeID
	nextW  osm.WayID
	vertex map[int]osm.NodeID // lattice vertex → node
}

func (b *roadBuilder) node(p orb.Point, tags ...string) osm.NodeID {
	b.nextN++
	n := &osm.Node{ID: b.nextN, Lon: round7(p[0]), Lat: round7(p[1]), Visible: true, Version: 1}
	n.Tags = tagList(tags)
	b.o.Nodes = append(b.o.Nodes, n)
	return b.nextN
}

func round7(v float64) float64 {
	if v < 0 {
		return float64(int64(v*1e7-0.5)) / 1e7
	}
	return float64(int64(v*1e7+0.5)) / 1e7
}

func tagList(kv []string) osm.Tags {
	var t osm.Tags
	for i := 0; i+1 < len(kv); i += 2 {
		t = append(t, osm.Tag{Key: kv[i], Value: kv[i+1]})
	}
	return t
}

func (b *roadBuilder) way(nodes []osm.NodeID, tags ...string) {
	b.nextW++
	w := &osm.Way{ID: b.nextW, Visible: true, Version: 1, Tags: tagList(tags)}
	for _, n := range nodes {
		w.Nodes = append(w.Nodes, osm.WayNode{ID: n})
	}
	b.o.Ways = append(b.o.Ways, w)
}

// latticeNode is the node of lattice vertex (i, j), shared by the roads
// that meet there.
func (b *roadBuilder) latticeNode(w *world, i, j int) osm.NodeID {
	k := vertIndex(i, j)
	if id, ok := b.vertex[k]; ok {
		return id
	}
	id := b.node(w.vert[k])
	b.vertex[k] = id
	return id
}

// path returns the nodes along lattice vertices (i0, j0) → (i1, j1) in
// unit steps, with roadSubdiv-1 intermediate nodes on each edge.
func (b *roadBuilder) path(w *world, i0, j0, di, dj, steps int) []osm.NodeID {
	var out []osm.NodeID
	i, j := i0, j0
	out = append(out, b.latticeNode(w, i, j))
	for s := 0; s < steps; s++ {
		a, c := w.vert[vertIndex(i, j)], w.vert[vertIndex(i+di, j+dj)]
		for k := 1; k < roadSubdiv; k++ {
			t := float64(k) / roadSubdiv
			out = append(out, b.node(orb.Point{a[0] + (c[0]-a[0])*t, a[1] + (c[1]-a[1])*t}))
		}
		i, j = i+di, j+dj
		out = append(out, b.latticeNode(w, i, j))
	}
	return out
}

// between returns the point a fraction t of the way from lattice vertex
// (i, j) to (i, j+1).
func (w *world) between(i, j int, t float64) orb.Point {
	a, c := w.vert[vertIndex(i, j)], w.vert[vertIndex(i, j+1)]
	return orb.Point{a[0] + (c[0]-a[0])*t, a[1] + (c[1]-a[1])*t}
}

// Roads returns the demo city's road network, waterways, railway, park and
// place names as an OpenStreetMap extract.
func (c *City) Roads() *osm.OSM {
	w := c.world
	b := &roadBuilder{o: &osm.OSM{Version: "0.6", Generator: "hexcover demo"}, vertex: map[int]osm.NodeID{}}
	rn := 0
	nextName := func() name { n := roadNames[rn%len(roadNames)]; rn++; return n }
	// East–west roads, one way per row.
	for j := 0; j <= ny; j++ {
		n := nextName()
		b.way(b.path(w, 0, j, 1, 0, nx), "highway", roadClass(true, j), "name", n.zh, "name:en", n.en)
	}
	// North–south roads: cut at the creek except on the bridges.
	for i := 0; i <= nx; i++ {
		n := nextName()
		cls := roadClass(false, i)
		tags := []string{"highway", cls, "name", n.zh, "name:en", n.en}
		b.way(b.path(w, i, 0, 0, 1, creekRow), tags...)
		if i%6 == 3 {
			b.way(b.path(w, i, creekRow, 0, 1, 1), append(tags, "bridge", "yes", "layer", "1")...)
		}
		b.way(b.path(w, i, creekRow+1, 0, 1, ny-creekRow-1), tags...)
	}
	// The creek, midway between rows creekRow and creekRow+1.
	var creek []osm.NodeID
	for i := 0; i <= nx; i++ {
		creek = append(creek, b.node(w.between(i, creekRow, 0.5)))
	}
	b.way(creek, "waterway", "river", "name", "新泾港", "name:en", "Xinjing Creek")
	// Suzhou Creek along the south edge, below row 0.
	var suzhou []osm.NodeID
	dy := (lat1 - lat0) / ny
	for i := 0; i <= nx; i++ {
		p := w.vert[vertIndex(i, 0)]
		suzhou = append(suzhou, b.node(orb.Point{p[0], lat0 - 0.45*dy}))
	}
	b.way(suzhou, "waterway", "river", "name", "苏州河", "name:en", "Suzhou Creek")
	// The railway, midway between rows railRow and railRow+1.
	var rail []osm.NodeID
	for i := 0; i <= nx; i++ {
		rail = append(rail, b.node(w.between(i, railRow, 0.5)))
	}
	b.way(rail, "railway", "rail", "name", "沪宁铁路", "name:en", "Shanghai–Nanjing Railway")
	// A park of one quad with a lake in its middle.
	q := [4]orb.Point{w.vert[vertIndex(parkI, parkJ)], w.vert[vertIndex(parkI+1, parkJ)],
		w.vert[vertIndex(parkI+1, parkJ+1)], w.vert[vertIndex(parkI, parkJ+1)]}
	var ctr orb.Point
	for _, p := range q {
		ctr[0], ctr[1] = ctr[0]+p[0]/4, ctr[1]+p[1]/4
	}
	inset := func(f float64) []osm.NodeID {
		var ids []osm.NodeID
		for _, p := range q {
			ids = append(ids, b.node(orb.Point{ctr[0] + (p[0]-ctr[0])*f, ctr[1] + (p[1]-ctr[1])*f}))
		}
		return append(ids, ids[0])
	}
	b.way(inset(0.9), "leisure", "park", "name", "中心公园", "name:en", "Central Park")
	b.way(inset(0.4), "natural", "water", "name", "中心湖", "name:en", "Central Lake")
	// Street (街道) names.
	for _, st := range w.streets {
		b.node(st.centre.point(), "place", "suburb", "name", st.name.zh, "name:en", st.name.en)
	}
	// Nodes first, then ways, ordered by id, as extracts are.
	return b.o
}

// WriteRoads writes Roads as OSM XML.
func (c *City) WriteRoads(w io.Writer) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(c.Roads()); err != nil {
		return fmt.Errorf("demo: roads: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
