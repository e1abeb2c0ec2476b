package tiles

import (
	"math"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// A small Mapbox Vector Tile 2.1 encoder written straight to protobuf wire
// format (orb's encoding/mvt needs modules this repository does not carry,
// and building geojson features and maps per hexagon is the slow part of it
// anyway). Geometry arrives already in tile coordinates on the integer grid.

// MVT geometry types.
const (
	geomPoint   = 1
	geomLine    = 2
	geomPolygon = 3
)

// MVT geometry commands.
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// value is a property value: a string, an integer or a double.
type value struct {
	kind byte // 's', 'i', 'd'
	s    string
	i    int64
	d    float64
}

func strVal(s string) value    { return value{kind: 's', s: s} }
func intVal(i int64) value     { return value{kind: 'i', i: i} }
func floatVal(d float64) value { return value{kind: 'd', d: d} }

// prop is one property of a feature.
type prop struct {
	key string
	val value
}

// mvtLayer accumulates the features of one layer.
type mvtLayer struct {
	name     string
	keys     []string
	keyIdx   map[string]uint32
	values   []value
	valIdx   map[value]uint32
	features []byte // encoded Feature messages, each with its tag
	count    int
	tags     []uint32 // scratch
	geom     []uint32 // scratch
}

func newLayer(name string) *mvtLayer {
	return &mvtLayer{name: name, keyIdx: map[string]uint32{}, valIdx: map[value]uint32{}}
}

func (l *mvtLayer) key(k string) uint32 {
	if i, ok := l.keyIdx[k]; ok {
		return i
	}
	i := uint32(len(l.keys))
	l.keys = append(l.keys, k)
	l.keyIdx[k] = i
	return i
}

func (l *mvtLayer) value(v value) uint32 {
	if i, ok := l.valIdx[v]; ok {
		return i
	}
	i := uint32(len(l.values))
	l.values = append(l.values, v)
	l.valIdx[v] = i
	return i
}

// add appends a feature with an encoded geometry.
func (l *mvtLayer) add(typ int, geom []uint32, props []prop) {
	l.tags = l.tags[:0]
	for _, p := range props {
		l.tags = append(l.tags, l.key(p.key), l.value(p.val))
	}
	var f []byte
	f = appendPacked(f, 2, l.tags)
	f = protowire.AppendTag(f, 3, protowire.VarintType)
	f = protowire.AppendVarint(f, uint64(typ))
	f = appendPacked(f, 4, geom)
	l.features = protowire.AppendTag(l.features, 2, protowire.BytesType)
	l.features = protowire.AppendBytes(l.features, f)
	l.count++
}

// addRing appends a one-ring polygon feature; r is closed, oriented and on
// the integer grid.
func (l *mvtLayer) addRing(r orb.Ring, props []prop) {
	var c cursor
	l.geom = c.ring(l.geom[:0], r)
	l.add(geomPolygon, l.geom, props)
}

// addGeometry appends a feature of any point or polygonal geometry in tile
// coordinates on the integer grid; other geometry is skipped.
func (l *mvtLayer) addGeometry(g orb.Geometry, props []prop) {
	var c cursor
	geom := l.geom[:0]
	typ := geomPolygon
	switch g := g.(type) {
	case orb.Point:
		typ = geomPoint
		geom = c.points(geom, []orb.Point{g})
	case orb.MultiPoint:
		typ = geomPoint
		geom = c.points(geom, g)
	case orb.Polygon:
		for _, r := range g {
			geom = c.ring(geom, r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				geom = c.ring(geom, r)
			}
		}
	default:
		return
	}
	l.geom = geom
	l.add(typ, geom, props)
}

// marshal appends the layer as a Tile.layers entry.
func (l *mvtLayer) marshal(b []byte) []byte {
	var m []byte
	m = protowire.AppendTag(m, 15, protowire.VarintType)
	m = protowire.AppendVarint(m, 2)
	m = protowire.AppendTag(m, 1, protowire.BytesType)
	m = protowire.AppendString(m, l.name)
	m = append(m, l.features...)
	for _, k := range l.keys {
		m = protowire.AppendTag(m, 3, protowire.BytesType)
		m = protowire.AppendString(m, k)
	}
	for _, v := range l.values {
		var vb []byte
		switch v.kind {
		case 's':
			vb = protowire.AppendTag(vb, 1, protowire.BytesType)
			vb = protowire.AppendString(vb, v.s)
		case 'd':
			vb = protowire.AppendTag(vb, 3, protowire.Fixed64Type)
			vb = protowire.AppendFixed64(vb, math.Float64bits(v.d))
		case 'i':
			vb = protowire.AppendTag(vb, 6, protowire.VarintType) // sint_value
			vb = protowire.AppendVarint(vb, protowire.EncodeZigZag(v.i))
		}
		m = protowire.AppendTag(m, 4, protowire.BytesType)
		m = protowire.AppendBytes(m, vb)
	}
	m = protowire.AppendTag(m, 5, protowire.VarintType)
	m = protowire.AppendVarint(m, Extent)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendPacked(b []byte, field protowire.Number, vs []uint32) []byte {
	if len(vs) == 0 {
		return b
	}
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v))
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	for _, v := range vs {
		b = protowire.AppendVarint(b, uint64(v))
	}
	return b
}

// cursor is the pen position of the geometry encoding, carried from ring to
// ring within one feature.
type cursor struct{ x, y int64 }

func command(id, count int) uint32 { return uint32(id&7) | uint32(count)<<3 }

func zigzag(v int64) uint32 { return uint32((v << 1) ^ (v >> 63)) }

func (c *cursor) to(g []uint32, p orb.Point) []uint32 {
	x, y := int64(p[0]), int64(p[1])
	g = append(g, zigzag(x-c.x), zigzag(y-c.y))
	c.x, c.y = x, y
	return g
}

// ring encodes a closed ring (first point repeated last) of ≥ 4 points.
func (c *cursor) ring(g []uint32, r orb.Ring) []uint32 {
	n := len(r) - 1 // without the closing point
	if n < 3 {
		return g
	}
	g = append(g, command(cmdMoveTo, 1))
	g = c.to(g, r[0])
	g = append(g, command(cmdLineTo, n-1))
	for _, p := range r[1:n] {
		g = c.to(g, p)
	}
	return append(g, command(cmdClosePath, 1))
}

func (c *cursor) points(g []uint32, ps []orb.Point) []uint32 {
	g = append(g, command(cmdMoveTo, len(ps)))
	for _, p := range ps {
		g = c.to(g, p)
	}
	return g
}
