package tiles

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
)

// tile returns the finished tile for key from the cache or computes it,
// once however many ask at the same time.
func (s *Service) tile(ctx context.Context, key string, l Layer, t maptile.Tile, f Filter, v model.Viewer, ver string, data orb.Bound) (*entry, bool, error) {
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
			defer s.sem.Release(1)
			start := nowFunc()
			var gz []byte
			var err error
			if l.hex() {
				gz, err = s.buildHex(ctx, l, t, f, v, ver, data)
			} else if l == LayerBasemap {
				gz, err = s.buildBasemap(ctx, t)
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
	if s.sem.TryAcquire(1) {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, busyWait)
	defer cancel()
	if err := s.sem.Acquire(wctx, 1); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errs.E(errs.Unavailable, "tile server busy; retry shortly", time.Second)
	}
	return nil
}

// tileKey names a tile exactly: layer, position, normalised filter, data
// version and role.
func tileKey(l Layer, t maptile.Tile, f Filter, ver string, v model.Viewer) string {
	role := "public"
	if v.Admin() {
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
