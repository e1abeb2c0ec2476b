package tiles

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/server"
)

// MVTContentType is the media type of a vector tile.
const MVTContentType = "application/vnd.mapbox-vector-tile"

func (s *Service) serveTile(w http.ResponseWriter, r *http.Request) error {
	l, t, err := ParseTilePath(r.PathValue("layer"), r.PathValue("z"), r.PathValue("x"), r.PathValue("y"))
	if err != nil {
		return server.BadRequest(err.Error())
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		return server.BadRequest(err.Error())
	}
	f = f.forLayer(l)
	ctx := r.Context()
	v := ViewerFrom(ctx)
	ver, err := s.data.version(ctx, l)
	if err != nil {
		return err
	}
	key := tileKey(l, t, f, ver, v)
	etag := etagOf(key)
	h := w.Header()
	if v.Admin {
		h.Set("Cache-Control", "private, max-age=60")
	} else {
		h.Set("Cache-Control", "public, max-age=60")
	}
	h.Set("Vary", "Accept-Encoding")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		s.metrics.requests.WithLabelValues(string(l), resultNotModified).Inc()
		h.Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	data, ok, err := s.data.dataBounds(ctx, l, ver)
	if err != nil {
		return err
	}
	if _, in := tileQueryBound(t, data); !ok || !in {
		s.metrics.requests.WithLabelValues(string(l), resultOutside).Inc()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	e, hit, err := s.tile(ctx, key, l, t, f, v, ver, data)
	if err != nil {
		return err
	}
	if hit {
		s.metrics.requests.WithLabelValues(string(l), resultHit).Inc()
	} else {
		s.metrics.requests.WithLabelValues(string(l), resultMiss).Inc()
	}
	if e.gz == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", MVTContentType)
	body := e.gz
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = gunzip(e.gz); err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// tile returns the finished tile for key from the cache or computes it,
// once however many ask at the same time.
func (s *Service) tile(ctx context.Context, key string, l Layer, t maptile.Tile, f Filter, v Viewer, ver string, data orb.Bound) (*entry, bool, error) {
	if e, ok := s.cache.get(key); ok {
		return e, true, nil
	}
	for attempt := 0; ; attempt++ {
		res, err, _ := s.flight.Do(key, func() (any, error) {
			if e, ok := s.cache.get(key); ok {
				return e, nil
			}
			if err := s.acquire(ctx); err != nil {
				return nil, err
			}
			defer func() { <-s.sem }()
			start := nowFunc()
			var gz []byte
			var err error
			if l.hex() {
				gz, err = s.buildHex(ctx, l, t, f, v, ver, data)
			} else {
				gz, err = s.buildFeatures(ctx, l, t, ver)
			}
			if err != nil {
				return nil, err
			}
			s.metrics.build.WithLabelValues(string(l)).Observe(sinceSeconds(start))
			e := &entry{key: key, gz: gz}
			s.cache.add(e)
			return e, nil
		})
		// The computation ran on the context of whoever asked first; if
		// that client left, the others try again on their own.
		if err != nil && attempt == 0 && errors.Is(err, context.Canceled) && ctx.Err() == nil {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return res.(*entry), false, nil
	}
}

// acquire takes a tile worker slot, waiting at most busyWait.
func (s *Service) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	default:
	}
	tm := time.NewTimer(busyWait)
	defer tm.Stop()
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return server.Unavailable("tile server busy; retry shortly", time.Second)
	}
}

// tileKey names a tile exactly: layer, position, normalised filter, data
// version and role.
func tileKey(l Layer, t maptile.Tile, f Filter, ver string, v Viewer) string {
	role := "public"
	if v.Admin {
		role = "admin"
	}
	var b strings.Builder
	b.Grow(96)
	b.WriteString(string(l))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(int(t.Z)))
	b.WriteByte('/')
	b.WriteString(strconv.FormatUint(uint64(t.X), 10))
	b.WriteByte('/')
	b.WriteString(strconv.FormatUint(uint64(t.Y), 10))
	b.WriteByte('?')
	b.WriteString(f.Key())
	b.WriteByte('@')
	b.WriteString(ver)
	b.WriteByte('#')
	b.WriteString(role)
	return b.String()
}

// etagOf is the strong ETag of a tile key.
func etagOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// etagMatches reports whether an If-None-Match header names etag (or *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/") // weak comparison is what If-None-Match uses
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
