package tiles

import (
	"math"
	"slices"
	"sync"

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

// mvtLayer accumulates the features of one layer. Values are shared
// between features (deduplicated by kind) except those added with
// uniqueValue.
type mvtLayer struct {
	name     string
	keys     []string
	keyIdx   map[string]uint32
	values   []value
	strIdx   map[string]uint32
	intIdx   map[int64]uint32
	dblIdx   map[uint64]uint32 // by bits
	features []byte            // encoded Feature messages, each with its tag
	count    int
	tags     []uint32 // scratch
	geom     []uint32 // scratch
}

func newLayer(name string) *mvtLayer {
	return &mvtLayer{name: name, keyIdx: map[string]uint32{}, strIdx: map[string]uint32{},
		intIdx: map[int64]uint32{}, dblIdx: map[uint64]uint32{}}
}

// layerPool recycles layers (their maps and buffers) between tiles.
var layerPool = sync.Pool{New: func() any { return newLayer("") }}

// getLayer returns an empty layer named name; give it back with putLayer
// once it is marshalled.
func getLayer(name string) *mvtLayer {
	l := layerPool.Get().(*mvtLayer)
	l.name = name
	return l
}

func putLayer(l *mvtLayer) {
	if cap(l.features) > 4<<20 || len(l.values) > 1<<16 {
		return // an outlier: let it go
	}
	l.name = ""
	l.keys = l.keys[:0]
	clear(l.keyIdx)
	clear(l.values) // drop the strings
	l.values = l.values[:0]
	clear(l.strIdx)
	clear(l.intIdx)
	clear(l.dblIdx)
	l.features = l.features[:0]
	l.count = 0
	layerPool.Put(l)
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
	var (
		i  uint32
		ok bool
	)
	switch v.kind {
	case 's':
		if i, ok = l.strIdx[v.s]; !ok {
			i = l.newValue(v)
			l.strIdx[v.s] = i
		}
	case 'i':
		if i, ok = l.intIdx[v.i]; !ok {
			i = l.newValue(v)
			l.intIdx[v.i] = i
		}
	default:
		bits := math.Float64bits(v.d)
		if i, ok = l.dblIdx[bits]; !ok {
			i = l.newValue(v)
			l.dblIdx[bits] = i
		}
	}
	return i
}

// uniqueValue adds a value no other feature of the layer has (a cell id),
// skipping the lookup.
func (l *mvtLayer) uniqueValue(v value) uint32 { return l.newValue(v) }

func (l *mvtLayer) newValue(v value) uint32 {
	i := uint32(len(l.values))
	l.values = append(l.values, v)
	return i
}

// add appends a feature with an encoded geometry.
func (l *mvtLayer) add(typ int, geom []uint32, props []prop) {
	l.tags = l.tags[:0]
	for _, p := range props {
		l.tags = append(l.tags, l.key(p.key), l.value(p.val))
	}
	l.addTagged(typ, geom, l.tags)
}

// addTagged appends a feature with encoded tags (key and value indices)
// and geometry.
func (l *mvtLayer) addTagged(typ int, geom, tags []uint32) {
	n := packedSize(2, tags) + protowire.SizeTag(3) + protowire.SizeVarint(uint64(typ)) + packedSize(4, geom)
	f := protowire.AppendTag(l.features, 2, protowire.BytesType)
	f = protowire.AppendVarint(f, uint64(n))
	f = appendPacked(f, 2, tags)
	f = protowire.AppendTag(f, 3, protowire.VarintType)
	f = protowire.AppendVarint(f, uint64(typ))
	f = appendPacked(f, 4, geom)
	l.features = f
	l.count++
}

// addRing appends a one-ring polygon feature; r is closed, oriented and on
// the integer grid.
func (l *mvtLayer) addRing(r orb.Ring, props []prop) {
	var c cursor
	l.geom = c.ring(l.geom[:0], r)
	l.add(geomPolygon, l.geom, props)
}

// addRingTagged is addRing with tags already encoded.
func (l *mvtLayer) addRingTagged(r orb.Ring, tags []uint32) {
	var c cursor
	l.geom = c.ring(l.geom[:0], r)
	l.addTagged(geomPolygon, l.geom, tags)
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

func valueSize(v value) int {
	switch v.kind {
	case 's':
		return protowire.SizeTag(1) + protowire.SizeBytes(len(v.s))
	case 'd':
		return protowire.SizeTag(3) + protowire.SizeFixed64()
	default:
		return protowire.SizeTag(6) + protowire.SizeVarint(protowire.EncodeZigZag(v.i))
	}
}

// size is the length of the Layer message.
func (l *mvtLayer) size() int {
	n := protowire.SizeTag(15) + protowire.SizeVarint(2) +
		protowire.SizeTag(1) + protowire.SizeBytes(len(l.name)) +
		len(l.features) +
		protowire.SizeTag(5) + protowire.SizeVarint(Extent)
	for _, k := range l.keys {
		n += protowire.SizeTag(3) + protowire.SizeBytes(len(k))
	}
	for _, v := range l.values {
		n += protowire.SizeTag(4) + protowire.SizeBytes(valueSize(v))
	}
	return n
}

// marshal appends the layer as a Tile.layers entry.
func (l *mvtLayer) marshal(b []byte) []byte {
	n := l.size()
	b = slices.Grow(b, protowire.SizeTag(3)+protowire.SizeBytes(n))
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(n))
	b = protowire.AppendTag(b, 15, protowire.VarintType)
	b = protowire.AppendVarint(b, 2)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, l.name)
	b = append(b, l.features...)
	for _, k := range l.keys {
		b = protowire.AppendTag(b, 3, protowire.BytesType)
		b = protowire.AppendString(b, k)
	}
	for _, v := range l.values {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(valueSize(v)))
		switch v.kind {
		case 's':
			b = protowire.AppendTag(b, 1, protowire.BytesType)
			b = protowire.AppendString(b, v.s)
		case 'd':
			b = protowire.AppendTag(b, 3, protowire.Fixed64Type)
			b = protowire.AppendFixed64(b, math.Float64bits(v.d))
		default:
			b = protowire.AppendTag(b, 6, protowire.VarintType) // sint_value
			b = protowire.AppendVarint(b, protowire.EncodeZigZag(v.i))
		}
	}
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	return protowire.AppendVarint(b, Extent)
}

// packedSize is the encoded length of a packed repeated uint32 field (0
// when empty: the field is left out).
func packedSize(field protowire.Number, vs []uint32) int {
	if len(vs) == 0 {
		return 0
	}
	n := 0
	for _, v := range vs {
		n += protowire.SizeVarint(uint64(v))
	}
	return protowire.SizeTag(field) + protowire.SizeBytes(n)
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
