package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Kinds of files hexcover imports.
const (
	KindPings = "pings"
	KindGrids = "grids"
	KindSites = "sites"
	KindAreas = "areas"
)

// Loader imports files into the store: it reads and validates them,
// aggregates pings, and writes each file as one batch in one transaction.
type Loader struct {
	Store    *store.Store
	Pseudo   *Pseudonymizer // required for pings
	Activity activity.Settings
	Log      *slog.Logger
	Workers  int    // H3 and aggregation workers; 0 = GOMAXPROCS
	Limits   Limits // caps on what one file may hold; zero fields mean the defaults
}

// Options say how to import one file.
type Options struct {
	Kind     string  // pings, grids, sites, areas
	Format   string  // "" = from the file name
	CRS      geo.CRS // input coordinate system
	Replace  bool    // re-import a file that was imported before
	Bounds   *orb.Bound
	Platform string // default platform for pings without one
	// RejectsDir is where rejected rows are written as
	// <file>.rejects.csv; "" = beside the input file.
	RejectsDir string
	Progress   Progress // nil = none
}

// Summary is the outcome of one import.
type Summary struct {
	File         string        `json:"file"`
	Kind         string        `json:"kind"`
	BatchID      int64         `json:"batch_id"`
	RowsOK       int64         `json:"rows_ok"`
	RowsRejected int64         `json:"rows_rejected"`
	Skipped      bool          `json:"skipped"` // same content imported before; nothing changed
	Replaced     int64         `json:"replaced_batch,omitempty"`
	RejectsFile  string        `json:"rejects_file,omitempty"`
	Duration     time.Duration `json:"duration_ns"`
	OutOfOrder   bool          `json:"out_of_order,omitempty"` // aggregated from the database because riders' pings were not in time order
	// Phases say where a pings import's time went: "read" (reading,
	// aggregating and writing the raw tracks as the file streams), then the
	// commit's steps (store.PingLoad.Phases).
	Phases []store.Phase `json:"phases,omitempty"`
}

// Progress receives progress of one file.
type Progress interface {
	Start(file string, size int64)
	Update(bytes, rows int64)
	Done()
}

// Import imports one file. A failure leaves the database as it was.
func (l *Loader) Import(ctx context.Context, path string, o Options) (Summary, error) {
	start := time.Now()
	sum := Summary{File: path, Kind: o.Kind}
	f, err := DetectFormat(path, o.Format)
	if err != nil {
		return sum, err
	}
	if o.CRS == "" {
		o.CRS = geo.WGS84
	}
	// Hash first (BatchRun): a re-import of the same file must change
	// nothing, not even a rejects file, and must not need a write
	// transaction.
	var rw *rejectFile
	rejPath := rejectsPath(path, o.RejectsDir)
	defer func() {
		if rw != nil {
			rw.discardIfEmpty()
		}
	}()
	run := BatchRun{Store: l.Store, Log: l.Log, Kind: o.Kind, Path: path, Replace: o.Replace}
	out, err := run.Do(ctx, func(ctx context.Context, sha string) (*store.Batch, *store.Batch, error) {
		src, err := OpenContext(ctx, path, l.Limits)
		if err != nil {
			return nil, nil, err
		}
		defer src.Close()
		if rw, err = newRejectFile(rejPath, l.Limits.OrDefault().RejectSamples); err != nil {
			return nil, nil, err
		}
		if o.Progress != nil {
			o.Progress.Start(filepath.Base(path), src.Size())
			defer o.Progress.Done()
		}
		name := filepath.Base(path)
		var b, old *store.Batch
		switch o.Kind {
		case KindPings:
			b, old, err = l.importPings(ctx, src, name, sha, f, o, rw, &sum)
		case KindGrids, KindSites, KindAreas:
			b, old, err = l.importFeatures(ctx, src, name, sha, f, o, rw)
		default:
			return nil, nil, fmt.Errorf("unknown kind %q: want pings, grids, sites or areas", o.Kind)
		}
		if b != nil && err != nil {
			b.RowsRejected = rw.n // recorded as the failed batch's
		}
		return b, old, err
	})
	if out.Skipped {
		old := out.Batch
		sum.Skipped, sum.BatchID, sum.RowsOK, sum.RowsRejected = true, old.ID, old.RowsOK, old.RowsRejected
		sum.Duration = time.Since(start)
		return sum, nil
	}
	if rw != nil {
		sum.RowsRejected = rw.n
	}
	if err != nil {
		if rw != nil && rw.n > 0 {
			_ = rw.close()
			sum.RejectsFile = rejPath
		}
		return sum, err
	}
	if out.Old != nil {
		sum.Replaced = out.Old.ID
	}
	sum.BatchID, sum.RowsOK = out.Batch.ID, out.Batch.RowsOK
	if err := rw.close(); err != nil {
		return sum, err
	}
	if rw.n > 0 {
		sum.RejectsFile = rejPath
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

func (l *Loader) importFeatures(ctx context.Context, src *Source, name, sha string, f Format, o Options, rw *rejectFile) (*store.Batch, *store.Batch, error) {
	load, old, err := l.Store.BeginFeatures(ctx, o.Kind, name, sha, string(o.CRS), o.Replace)
	if err != nil {
		return nil, old, err
	}
	var ok int64
	rej := func(r Reject) error { return rw.write(r) }
	switch o.Kind {
	case KindAreas:
		err = readAreas(src, name, f, o.CRS, l.Limits, func(a model.Area) error { ok++; return load.Area(ctx, a) }, rej)
	case KindGrids:
		err = readGrids(src, name, f, o.CRS, l.Limits, func(g model.Grid) error { ok++; return load.Grid(ctx, g) }, rej)
	case KindSites:
		err = ReadSites(src, name, f, SiteOptions{CRS: o.CRS, DefaultStatus: model.StatusExisting, Limits: l.Limits},
			func(s model.Site) error { ok++; return load.Site(ctx, s) }, rej)
	}
	if err == nil && src.SHA256() != sha {
		err = errors.New("the file changed while it was being read")
	}
	if err == nil {
		err = rw.checkRate(ok, l.Limits.OrDefault().MaxRejectRate)
	}
	if o.Progress != nil {
		o.Progress.Update(src.BytesRead(), ok+rw.n)
	}
	if err != nil {
		load.Rollback(ctx)
		return load.Batch(), old, err
	}
	if err := load.Commit(ctx, ok, rw.n); err != nil {
		return load.Batch(), old, err
	}
	return load.Batch(), old, nil
}

const chunkSize = 16384

type chunk struct {
	pings []model.Ping
	err   error
}

// importPings streams a pings file: read and validate (1 goroutine) → in
// order: quantize as stored, tally riders and rider days, feed the
// aggregation (pipeline.go: H3 cells and aggregates on one worker per core)
// and the raw track writer (COPY, its own goroutine). Aggregates and rider
// ranges are written at the end of the same transaction.
func (l *Loader) importPings(ctx context.Context, src *Source, name, sha string, f Format, o Options, rw *rejectFile, sum *Summary) (*store.Batch, *store.Batch, error) {
	if l.Pseudo == nil {
		return nil, nil, errors.New("no pseudonymization secret: set HEXCOVER_SECRET (at least 16 bytes)")
	}
	start := time.Now()
	load, old, err := l.Store.BeginPings(ctx, name, sha, string(o.CRS), o.Replace)
	if err != nil {
		return nil, old, err
	}
	fail := func(err error) (*store.Batch, *store.Batch, error) {
		load.Rollback(ctx)
		return load.Batch(), old, err
	}
	workers := l.workers()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Read. The batches of pings (1.4 MB each) and of rows for the track
	// writer (1 MB) come back once aggregated and written, and are reused:
	// allocating them afresh cost a tenth of the import's CPU near its
	// memory limit.
	freePings := make(chan []model.Ping, 32)
	freeRows := make(chan []store.PingRow, 8)
	newPings := func() []model.Ping {
		select {
		case b := <-freePings:
			return b[:0]
		default:
			return make([]model.Ping, 0, chunkSize)
		}
	}
	raw := make(chan chunk, 4)
	var rows int64
	go func() {
		defer close(raw)
		buf := newPings()
		send := func() bool {
			select {
			case raw <- chunk{pings: buf}:
				buf = newPings()
				return true
			case <-ctx.Done():
				return false
			}
		}
		err := ReadPings(src, name, f, l.Pseudo, PingOptions{CRS: o.CRS, Bounds: o.Bounds, Platform: o.Platform, Limits: l.Limits},
			func(p model.Ping) error {
				buf = append(buf, p)
				if len(buf) == chunkSize && !send() {
					return context.Cause(ctx)
				}
				return nil
			},
			func(r Reject) error { return rw.write(r) })
		if err == nil && len(buf) > 0 {
			send()
		}
		if err != nil {
			select {
			case raw <- chunk{err: err}:
			case <-ctx.Done():
			}
		}
	}()

	// In order: tally, aggregation, raw tracks.
	agg := startAggregation(ctx, l.Activity, workers, func(ps []model.Ping) {
		clear(ps) // let go of the strings until the batch is reused
		select {
		case freePings <- ps:
		default:
		}
	})
	writeCh := make(chan []store.PingRow, 2)
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for rows := range writeCh {
			if err == nil {
				if err = load.Write(ctx, rows); err != nil {
					cancel(err)
				}
			}
			select {
			case freeRows <- rows:
			default:
			}
		}
		writeErr <- err
	}()
	t := newTally(l.Activity.UTCOffset)
	var readErr error
	for c := range raw {
		if c.err != nil {
			readErr = c.err
			cancel(c.err)
			break
		}
		var prows []store.PingRow
		select {
		case prows = <-freeRows:
		default:
		}
		prows = slices.Grow(prows[:0], len(c.pings))[:len(c.pings)]
		for i := range c.pings {
			p := &c.pings[i]
			key, err := p.Rider.Key()
			if err != nil {
				readErr = err
				cancel(err)
				break
			}
			// Aggregate exactly what is stored, so a rebuild reproduces it.
			p.Time, p.Lat, p.Lng = store.Quantize(p.Time, p.Lat, p.Lng)
			prows[i] = store.PingRow{Rider: key, Time: p.Time, Lng: p.Lng, Lat: p.Lat, Status: p.Status}
			t.add(p, key)
		}
		if readErr != nil {
			break
		}
		rows += int64(len(prows))
		agg.feed(c.pings)
		select {
		case writeCh <- prows:
		case <-ctx.Done():
		}
		if o.Progress != nil {
			o.Progress.Update(src.BytesRead(), rows+rw.n)
		}
	}
	close(writeCh)
	for range raw { // drain after an error
	}
	werr := <-writeErr
	res, aggErr := agg.finish()
	switch {
	case readErr != nil:
		return fail(readErr)
	case werr != nil:
		return fail(fmt.Errorf("write pings: %w", werr))
	case ctx.Err() != nil:
		return fail(context.Cause(ctx))
	}
	if src.SHA256() != sha {
		return fail(errors.New("the file changed while it was being read"))
	}
	if err := rw.checkRate(rows, l.Limits.OrDefault().MaxRejectRate); err != nil {
		return fail(err)
	}
	if aggErr != nil {
		if !errors.Is(aggErr, activity.ErrOutOfOrder) {
			return fail(aggErr)
		}
		// Some rider's pings were not in time order in the file: aggregate
		// this batch as stored, sorted by rider and time.
		sum.OutOfOrder = true
		if l.Log != nil {
			l.Log.Info("pings not in time order per rider; aggregating the batch as stored", "file", name)
		}
		res, err = aggregateStored(ctx, l.Activity, workers, func(fn func(*store.PingRow) error) error { return load.ScanPings(ctx, fn) }, func(k int64) model.RiderID {
			if r := t.riders[k]; r != nil {
				return model.RiderID(r.PID)
			}
			return ""
		}, nil)
		if err != nil {
			return fail(err)
		}
	}
	d := store.Derived{Riders: t.seen(), Days: t.riderDays(), Result: res, Offset: l.Activity.UTCOffset,
		MinTS: t.minTS, MaxTS: t.maxTS}
	read := time.Since(start)
	if err := load.Commit(ctx, d, rows, rw.n); err != nil {
		return load.Batch(), old, err
	}
	sum.Phases = append([]store.Phase{{Name: "read", Duration: read}}, load.Phases()...)
	return load.Batch(), old, nil
}

func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
