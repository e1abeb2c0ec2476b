package tiles

import (
	"bytes"
	"compress/gzip"
	"math"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
)

var nowFunc = time.Now

func sinceSeconds(t time.Time) float64 { return time.Since(t).Seconds() }

// projector maps lng/lat to the tile's coordinates (extent 4096, y down)
// through world pixel coordinates at zoom z+12. grid floors the world
// coordinate before subtracting the tile's integer origin, so a vertex lands
// on the same world pixel seen from either neighbouring tile: borders are
// seamless.
type projector struct {
	scale      float64 // world size in tile units
	minx, miny float64
	datum      geo.CRS // basemap datum points are shifted into ("": none; datum.go)
}

func newProjector(t maptile.Tile) projector {
	return projector{
		scale: float64(uint64(Extent) << t.Z),
		minx:  float64(uint64(t.X) * Extent),
		miny:  float64(uint64(t.Y) * Extent),
	}
}

// unit returns p in Web Mercator scaled to the unit square (y down):
// world coordinates divided by the world size.
func unit(p orb.Point) orb.Point {
	lat := math.Max(-85.0511287798, math.Min(85.0511287798, p[1]))
	s := math.Sin(lat * math.Pi / 180)
	return orb.Point{(p[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)}
}

// world returns the world pixel coordinates of p. The scale is a power of
// two, so this is exactly unit(p) times it.
func (pr projector) world(p orb.Point) (float64, float64) {
	if pr.datum != "" {
		p = pr.datum.PointFromWGS84(p) // the datum hook (datum.go)
	}
	u := unit(p)
	return u[0] * pr.scale, u[1] * pr.scale
}

// gridUnit is grid of a point given by unit(p).
func (pr projector) gridUnit(u orb.Point) orb.Point {
	return orb.Point{math.Floor(u[0]*pr.scale) - pr.minx, math.Floor(u[1]*pr.scale) - pr.miny}
}

// float returns p in tile units, unrounded (for clipping and simplifying).
func (pr projector) float(p orb.Point) orb.Point {
	x, y := pr.world(p)
	return orb.Point{x - pr.minx, y - pr.miny}
}

// grid returns p on the tile's integer grid.
func (pr projector) grid(p orb.Point) orb.Point {
	x, y := pr.world(p)
	return orb.Point{math.Floor(x) - pr.minx, math.Floor(y) - pr.miny}
}

// appendDistinct appends p unless it repeats the last point.
func appendDistinct(r orb.Ring, p orb.Point) orb.Ring {
	if n := len(r); n > 0 && r[n-1] == p {
		return r
	}
	return append(r, p)
}

// finishRing closes r, drops it when it has no area, and orients it as MVT
// wants in tile coordinates (y down): an exterior ring has positive
// surveyor's-formula area, a hole negative.
func finishRing(r orb.Ring, exterior bool) orb.Ring {
	if len(r) > 1 && r[0] == r[len(r)-1] {
		r = r[:len(r)-1]
	}
	if len(r) < 3 {
		return nil
	}
	var a float64
	for i := range r {
		p, q := r[i], r[(i+1)%len(r)]
		a += p[0]*q[1] - q[0]*p[1]
	}
	if a == 0 {
		return nil
	}
	if (a > 0) != exterior {
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
	}
	return append(r, r[0])
}

// finishPolygon snaps a projected polygon to the integer grid and orients
// its rings; nil when nothing with area is left.
func finishPolygon(p orb.Polygon) orb.Polygon {
	var out orb.Polygon
	for i, r := range p {
		g := make(orb.Ring, 0, len(r))
		for _, pt := range r {
			g = appendDistinct(g, orb.Point{math.Floor(pt[0]), math.Floor(pt[1])})
		}
		g = finishRing(g, i == 0)
		if g == nil {
			if i == 0 {
				return nil
			}
			continue
		}
		out = append(out, g)
	}
	return out
}

// finishGeometry applies finishPolygon to polygonal geometry and rounds
// points; nil when nothing is left.
func finishGeometry(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return orb.Point{math.Floor(g[0]), math.Floor(g[1])}
	case orb.Polygon:
		if p := finishPolygon(g); p != nil {
			return p
		}
	case orb.MultiPolygon:
		var mp orb.MultiPolygon
		for _, p := range g {
			if q := finishPolygon(p); q != nil {
				mp = append(mp, q)
			}
		}
		switch len(mp) {
		case 0:
		case 1:
			return mp[0]
		default:
			return mp
		}
	}
	return nil
}

// gzipLevel is the compression of finished tiles. BestSpeed costs about
// 55% of the CPU time of DefaultCompression on hexagon tiles for about 9%
// more bytes; gzip was most of the time to build a cold tile.
const gzipLevel = gzip.BestSpeed

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel)
	return w
}}

// rawPool recycles the buffers tiles are marshalled into before gzip.
var rawPool = sync.Pool{New: func() any { return new([]byte) }}

// marshalGzip encodes the layer as a gzipped MVT.
func marshalGzip(l *mvtLayer) ([]byte, error) {
	rp := rawPool.Get().(*[]byte)
	raw := l.marshal((*rp)[:0])
	defer func() {
		if cap(raw) <= 4<<20 {
			*rp = raw
			rawPool.Put(rp)
		}
	}()
	return gzipBytes(raw)
}

// gzipBytes compresses a finished tile with a pooled writer.
func gzipBytes(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(raw)/2 + 64)
	zw := gzipPool.Get().(*gzip.Writer)
	defer gzipPool.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	zw.Reset(nil) // do not keep buf
	return buf.Bytes(), nil
}
