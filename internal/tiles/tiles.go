// Package tiles serves every layer as Mapbox Vector Tiles and TileJSON, with
// caching, privacy suppression and bounded concurrency.
//
// A tile request goes: parse and validate the path and filters → read the
// layer's data version (cached for a second, or until Invalidate) → strong
// ETag, 304 on If-None-Match → 204 when the tile is outside the data's
// bounds → in-process LRU of gzipped tiles → on a miss, one computation per
// key (singleflight) under a concurrency bound. Hexagon layers keep, per
// resolution and data version, the cells with activity in memory (their
// whole-week stats, boundaries and a grid index): a tile takes the cells
// whose boundary meets it from there; with an hours filter that is one of
// the rolled-up hour sets (store.RefreshHexViews) their exact figures come
// from memory too, and only other hour lists read rows from the database
// (by primary key). Non-admins' hexagons come from an index of the
// published release's view. Whole hexagons are encoded in Go;
// feature layers are read once per data version and projected, clipped and
// simplified in Go.
package tiles

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Defaults of Options.
const (
	DefaultCacheBytes = 64 << 20
	DefaultMinRiders  = 5
	// busyWait is how long a request waits for a free tile worker before it
	// is answered 503. A map view asks for dozens of tiles at once (up to
	// 64 a second when panning); those queue rather than fail, so only a
	// server overloaded for seconds sheds tiles.
	busyWait = 5 * time.Second
)

// Tile geometry constants: clients cannot change them.
const (
	Extent = 4096
	Buffer = 64 // tile units around the tile kept when clipping
)

// Options configure a Service. Zero values take the defaults.
type Options struct {
	MinRiders int // k: cells with fewer distinct riders are hidden from non-admins (5)
	// CacheBytes bounds the tile cache (64 MiB); negative disables it.
	CacheBytes int64
	// MaxConcurrent bounds tiles computed at once (2 × GOMAXPROCS).
	MaxConcurrent int
	// Registry receives the tile metrics; nil = not exported.
	Registry *prometheus.Registry
	// Gaps is the gaps layer's source, the coverage package's one gap
	// rule; nil = an empty gaps layer.
	Gaps GapSource
	// Release serves roles other than admin from the published release
	// (internal/release); nil = they see exact figures above k (tests).
	Release ReleaseSource
	// IndexCells bounds the cells with activity kept in memory over all
	// resolutions (DefaultIndexCells, about 350 bytes each); negative keeps
	// none. A resolution that does not fit is served by listing each
	// tile's cells with H3 and reading their rows from the database.
	IndexCells int
	// HourBytes bounds the memory of the hour-of-week rows kept over all
	// resolutions (DefaultHourBytes), for the admin's tiles of an hour
	// list that is none of the rolled-up sets; negative keeps none. A
	// resolution that does not fit reads each tile's hour rows from the
	// database.
	HourBytes int
	// PublicURL is the server's external URL (HEXCOVER_PUBLIC_URL) that
	// TileJSON tile URLs start with; empty: they are root-relative
	// ("/tiles/..."), never built from the request's Host header.
	PublicURL string
	// WarmViews are the hour sets whose released index Warm builds ahead
	// (the release's views; internal/release.Lattice).
	WarmViews [][]int16
	// WarmAlso, if set, is work of other services that Warm does too for
	// each data version, after its own (the summaries' rider sets:
	// store.WarmViewSets). Like the gap analyses it is an optimisation: an
	// error is the caller's to meet again when a request needs the data.
	WarmAlso func(ctx context.Context) error
	// Datum is the external basemap's datum (HEXCOVER_BASEMAP_DATUM):
	// under GCJ-02 every layer but the basemap is drawn shifted into it
	// (datum.go). Empty or WGS-84: drawn as stored.
	Datum geo.CRS
}

// GapSource is the one gap rule, owned by the coverage package (which
// plugs in here): the tiles draw what /api/gaps lists, cell for cell.
type GapSource interface {
	// GapCells returns, sorted by cell, the cells of the gap zones that
	// /api/gaps lists for an admin or a non-admin with these hours (nil:
	// the whole week) and metric (riders, else rider-hours).
	GapCells(ctx context.Context, hours []int16, metric model.Metric, admin bool) ([]model.GapCell, error)
}

// ReleaseSource is the published release as the hexagon layers serve it to
// non-admins: only its shown cells and their released figures.
type ReleaseSource interface {
	// Version names the published release; it is part of tile keys.
	Version(ctx context.Context) (string, error)
	// Cells returns the shown cells at res (7–9) of the view whose hours
	// are exactly hours (nil = the whole week), with released riders and
	// rider-seconds; an error when the hours are not a released view.
	Cells(ctx context.Context, res int, hours []int16) ([]store.HexStat, error)
	// Check returns the error to answer for hours that are not a view.
	Check(hours []int16) error
}

// Service serves the tile layers.
type Service struct {
	st      *store.Store
	o       Options
	data    *dataState
	cache   *lru
	flight  singleflight.Group
	sem     *semaphore.Weighted
	cells   *cellCache
	metrics *metrics
	warmed  atomic.Pointer[string] // the data KeepWarm last built for (warmKey)
}

// New builds the service.
func New(st *store.Store, o Options) *Service {
	if o.MinRiders <= 0 {
		o.MinRiders = DefaultMinRiders
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	if o.IndexCells == 0 {
		o.IndexCells = DefaultIndexCells
	}
	if o.HourBytes == 0 {
		o.HourBytes = DefaultHourBytes
	}
	s := &Service{
		st:    st,
		o:     o,
		data:  newDataState(st),
		cache: newLRU(o.CacheBytes),
		sem:   semaphore.NewWeighted(int64(o.MaxConcurrent)),
		cells: newCellCache(1 << 18),
	}
	s.metrics = newMetrics(o.Registry, s.cache)
	return s
}

// Invalidate drops the cached data versions, bounds and features, so the
// next request reads them again: call it after an import. Cached tiles of
// an older version are never served again, since their keys hold the version.
func (s *Service) Invalidate() { s.data.invalidate() }
