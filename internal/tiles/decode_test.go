package tiles

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// A strict MVT decoder for tests: it checks the wire format and the
// geometry commands, and returns geometry in tile coordinates.

type decLayer struct {
	Name     string
	Version  uint64
	Extent   uint64
	Features []decFeature
}

type decFeature struct {
	Type  int
	Geom  orb.Geometry // Polygon / MultiPolygon / Point / MultiPoint
	Props map[string]any
}

func decodeTile(b []byte) (map[string]*decLayer, error) {
	out := map[string]*decLayer{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if num != 3 || typ != protowire.BytesType {
			return nil, fmt.Errorf("tile: unexpected field %d", num)
		}
		lb, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		l, err := decodeLayer(lb)
		if err != nil {
			return nil, err
		}
		out[l.Name] = l
	}
	return out, nil
}

func decodeLayer(b []byte) (*decLayer, error) {
	l := &decLayer{}
	var keys []string
	var vals []any
	var raw [][]byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			switch num {
			case 15:
				l.Version = v
			case 5:
				l.Extent = v
			}
		case typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			switch num {
			case 1:
				l.Name = string(v)
			case 2:
				raw = append(raw, v)
			case 3:
				keys = append(keys, string(v))
			case 4:
				val, err := decodeValue(v)
				if err != nil {
					return nil, err
				}
				vals = append(vals, val)
			}
		default:
			return nil, fmt.Errorf("layer: field %d has wire type %d", num, typ)
		}
	}
	for _, fb := range raw {
		f, err := decodeFeature(fb, keys, vals)
		if err != nil {
			return nil, err
		}
		l.Features = append(l.Features, f)
	}
	return l, nil
}

func decodeValue(b []byte) (any, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return nil, protowire.ParseError(n)
	}
	b = b[n:]
	switch {
	case num == 1 && typ == protowire.BytesType:
		v, _ := protowire.ConsumeBytes(b)
		return string(v), nil
	case num == 3 && typ == protowire.Fixed64Type:
		v, _ := protowire.ConsumeFixed64(b)
		return math.Float64frombits(v), nil
	case num == 6 && typ == protowire.VarintType:
		v, _ := protowire.ConsumeVarint(b)
		return protowire.DecodeZigZag(v), nil
	case (num == 4 || num == 5) && typ == protowire.VarintType:
		v, _ := protowire.ConsumeVarint(b)
		return int64(v), nil
	}
	return nil, fmt.Errorf("value: field %d type %d", num, typ)
}

func decodePacked(b []byte) ([]uint32, error) {
	var out []uint32
	for len(b) > 0 {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, uint32(v))
		b = b[n:]
	}
	return out, nil
}

func decodeFeature(b []byte, keys []string, vals []any) (decFeature, error) {
	f := decFeature{Props: map[string]any{}}
	var tags, geom []uint32
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return f, protowire.ParseError(n)
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			b = b[n:]
			if num == 3 {
				f.Type = int(v)
			}
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			b = b[n:]
			p, err := decodePacked(v)
			if err != nil {
				return f, err
			}
			switch num {
			case 2:
				tags = p
			case 4:
				geom = p
			}
		default:
			return f, fmt.Errorf("feature: wire type %d", typ)
		}
	}
	if len(tags)%2 != 0 {
		return f, fmt.Errorf("odd tags")
	}
	for i := 0; i < len(tags); i += 2 {
		if int(tags[i]) >= len(keys) || int(tags[i+1]) >= len(vals) {
			return f, fmt.Errorf("tag out of range")
		}
		f.Props[keys[tags[i]]] = vals[tags[i+1]]
	}
	g, err := decodeGeom(f.Type, geom)
	f.Geom = g
	return f, err
}

func decodeGeom(typ int, g []uint32) (orb.Geometry, error) {
	var x, y int64
	var pts []orb.Point
	var rings []orb.Ring
	var cur orb.Ring
	for i := 0; i < len(g); {
		id, count := int(g[i]&7), int(g[i]>>3)
		i++
		switch id {
		case cmdMoveTo, cmdLineTo:
			if i+2*count > len(g) {
				return nil, fmt.Errorf("geometry truncated")
			}
			for k := 0; k < count; k++ {
				x += int64(protowire.DecodeZigZag(uint64(g[i]) & 0xffffffff)) // 32-bit zigzag
				y += int64(protowire.DecodeZigZag(uint64(g[i+1]) & 0xffffffff))
				i += 2
				p := orb.Point{float64(x), float64(y)}
				if typ == geomPoint {
					pts = append(pts, p)
					continue
				}
				if id == cmdMoveTo {
					cur = orb.Ring{p}
				} else {
					cur = append(cur, p)
				}
			}
		case cmdClosePath:
			if len(cur) < 3 {
				return nil, fmt.Errorf("ring with %d points", len(cur))
			}
			cur = append(cur, cur[0])
			rings = append(rings, cur)
			cur = nil
		default:
			return nil, fmt.Errorf("unknown command %d", id)
		}
	}
	switch typ {
	case geomPoint:
		if len(pts) == 1 {
			return pts[0], nil
		}
		return orb.MultiPoint(pts), nil
	case geomPolygon:
		var mp orb.MultiPolygon
		for _, r := range rings {
			a := surveyor(r)
			switch {
			case a > 0:
				mp = append(mp, orb.Polygon{r})
			case a < 0 && len(mp) > 0:
				mp[len(mp)-1] = append(mp[len(mp)-1], r)
			default:
				return nil, fmt.Errorf("ring with area %v first or zero", a)
			}
		}
		if len(mp) == 1 {
			return mp[0], nil
		}
		return mp, nil
	}
	return nil, fmt.Errorf("geometry type %d", typ)
}

func surveyor(r orb.Ring) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}
