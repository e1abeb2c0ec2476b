package tiles

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/sync/singleflight"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/store"
)

// versionTTL is how long data versions are trusted without asking the
// database; Invalidate makes the next request ask at once.
const versionTTL = time.Second

// maxMemFeatures is the most features of one layer kept in memory; a larger
// layer is read from the database tile by tile.
const maxMemFeatures = 20000

// maxGeoms bounds the cell boundaries kept (about 300 bytes each): the
// cells with activity at every resolution plus the released views' cells.
const maxGeoms = 2 * DefaultIndexCells

// dataState caches what tiles need to know about the data between requests:
// the layers' data versions, their bounds, the presence sites and the
// features of the small layers, each tagged with the version it belongs to.
type dataState struct {
	st *store.Store
	sf singleflight.Group

	mu       sync.Mutex
	versions map[string]int64
	at       time.Time
	gen      uint64 // bumped by invalidate, so a fetch begun before it is not kept
	bounds   map[Layer]boundsEntry
	features map[Layer]*featureSet
	hex      map[int]hexEntry // by resolution: the cells with activity, in memory
	// released holds, by resolution and hours, the index of a released
	// view's shown cells at a release version (at most 3 × 18 entries).
	released map[string]hexEntry
	geoms    *geomCache            // cell boundaries, shared by every index
	views    map[int]viewsEntry    // by resolution: the hour-set rollups, aligned with hex
	hours    map[int]hourSumsEntry // by resolution: every hour row, aligned with hex
	// hourLoads holds, by resolution, the bytes of hour rows being read,
	// counted against Options.HourBytes with those kept.
	hourLoads map[int]int
}

type boundsEntry struct {
	version string
	bound   orb.Bound
	ok      bool
}

// featureSet is a feature layer at one data version.
type featureSet struct {
	version  string
	features []memFeature
	tooMany  bool // more than maxMemFeatures: query per tile instead
}

type memFeature struct {
	store.Feature
	bound orb.Bound
}

func newDataState(st *store.Store) *dataState {
	return &dataState{st: st, bounds: map[Layer]boundsEntry{}, features: map[Layer]*featureSet{}, hex: map[int]hexEntry{}, views: map[int]viewsEntry{}, hours: map[int]hourSumsEntry{}, hourLoads: map[int]int{},
		released: map[string]hexEntry{}, geoms: newGeomCache(maxGeoms)}
}

func (d *dataState) invalidate() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.versions = nil
	d.gen++
	clear(d.bounds)
	clear(d.features)
	clear(d.hex)
	clear(d.views)
	clear(d.hours)
}

// version returns the data version of a layer as text, e.g. "activity:3"
// or, for gaps, "activity:3,sites:2".
func (d *dataState) version(ctx context.Context, l Layer) (string, error) {
	vs, err := d.allVersions(ctx)
	if err != nil {
		return "", err
	}
	one := func(name string) string { return name + ":" + strconv.FormatInt(vs[name], 10) }
	if l == LayerGaps {
		return one("activity") + "," + one("sites"), nil
	}
	return one(string(l)), nil
}

func (d *dataState) allVersions(ctx context.Context) (map[string]int64, error) {
	d.mu.Lock()
	if d.versions != nil && time.Since(d.at) < versionTTL {
		vs := d.versions
		d.mu.Unlock()
		return vs, nil
	}
	gen := d.gen
	d.mu.Unlock()
	v, err, _ := d.sf.Do("versions", func() (any, error) {
		vs, err := d.st.DataVersions(ctx)
		if err != nil {
			return nil, fmt.Errorf("data versions: %w", err)
		}
		d.mu.Lock()
		if d.gen == gen {
			d.versions, d.at = vs, time.Now()
		}
		d.mu.Unlock()
		return vs, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]int64), nil
}

// storeLayer is the table whose extent bounds a layer.
func storeLayer(l Layer) string {
	if l == LayerGaps {
		return string(LayerActivity)
	}
	return string(l)
}

// dataBounds returns the extent of a layer's data at version ver.
func (d *dataState) dataBounds(ctx context.Context, l Layer, ver string) (orb.Bound, bool, error) {
	d.mu.Lock()
	if e, ok := d.bounds[l]; ok && e.version == ver {
		d.mu.Unlock()
		return e.bound, e.ok, nil
	}
	d.mu.Unlock()
	v, err, _ := d.sf.Do("bounds:"+string(l)+":"+ver, func() (any, error) {
		b, ok, err := d.st.DataBounds(ctx, storeLayer(l))
		if err != nil {
			return nil, fmt.Errorf("bounds of %s: %w", l, err)
		}
		e := boundsEntry{version: ver, bound: b, ok: ok}
		d.mu.Lock()
		d.bounds[l] = e
		d.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return orb.Bound{}, false, err
	}
	e := v.(boundsEntry)
	return e.bound, e.ok, nil
}

// featureSet returns a feature layer's rows at version ver, read once.
func (d *dataState) featureSet(ctx context.Context, l Layer, ver string) (*featureSet, error) {
	d.mu.Lock()
	if fs, ok := d.features[l]; ok && fs.version == ver {
		d.mu.Unlock()
		return fs, nil
	}
	d.mu.Unlock()
	v, err, _ := d.sf.Do("features:"+string(l)+":"+ver, func() (any, error) {
		world := orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}
		rows, err := d.st.FeaturesInBound(ctx, string(l), world, 0, maxMemFeatures+1)
		if err != nil {
			return nil, fmt.Errorf("features of %s: %w", l, err)
		}
		fs := &featureSet{version: ver}
		if len(rows) > maxMemFeatures {
			fs.tooMany = true
		} else {
			fs.features = make([]memFeature, len(rows))
			for i, f := range rows {
				fs.features[i] = memFeature{Feature: f, bound: f.Geometry.Bound()}
			}
		}
		d.mu.Lock()
		d.features[l] = fs
		d.mu.Unlock()
		return fs, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*featureSet), nil
}

// releasedIndex returns the index of the shown cells of the published
// release's view of hours at res, with their released figures, built once
// per release version: a released tile then needs neither the database nor
// a pass over every shown cell.
func (d *dataState) releasedIndex(ctx context.Context, src ReleaseSource, res int, hours []int16) (*hexIndex, error) {
	rv, err := src.Version(ctx)
	if err != nil {
		return nil, err
	}
	key := strconv.Itoa(res) + ":" + activity.FormatHours(hours)
	d.mu.Lock()
	if e, ok := d.released[key]; ok && e.ver == rv {
		d.mu.Unlock()
		return e.idx, nil
	}
	d.mu.Unlock()
	v, err, _ := d.sf.Do("released:"+key+"@"+rv, func() (any, error) {
		stats, err := src.Cells(ctx, res, hours)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(stats, func(a, b store.HexStat) int { return cmp.Compare(a.Cell, b.Cell) })
		idx := buildHexIndex(res, 0, stats, d.geoms)
		d.mu.Lock()
		d.released[key] = hexEntry{ver: rv, idx: idx}
		d.mu.Unlock()
		return idx, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*hexIndex), nil
}
