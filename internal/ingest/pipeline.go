package ingest

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// The pings pipeline: one way from pings to what is derived from them, used
// by an import (pings from a file) and by a rebuild (pings scanned from the
// store, batch by batch). Pings go in file order to an aggregation
// (activity.AggregateParallel: riders sharded over workers that compute the
// H3 cells and aggregate) and to a tally of riders and rider days; the store
// only scans and writes.

// aggregation runs activity.AggregateParallel over batches fed in order.
type aggregation struct {
	in   chan []model.Ping
	done chan struct{}
	res  *activity.Result
	err  error
}

// startAggregation starts aggregating the batches fed; recycle (if not nil)
// gets each batch back once it is aggregated.
func startAggregation(ctx context.Context, s activity.Settings, workers int, recycle func([]model.Ping)) *aggregation {
	a := &aggregation{in: make(chan []model.Ping, 4), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.res, a.err = activity.AggregateBatches(ctx, s, workers, a.in, recycle)
	}()
	return a
}

// feed hands over a batch of pings (not to be modified afterwards). Once the
// aggregation has stopped (an error, e.g. a ping out of time order), the rest
// is dropped; finish reports why.
func (a *aggregation) feed(ps []model.Ping) {
	select {
	case a.in <- ps:
	case <-a.done:
	}
}

// finish waits for the result.
func (a *aggregation) finish() (*activity.Result, error) {
	close(a.in)
	<-a.done
	return a.res, a.err
}

// tally keeps, in file order, the riders seen with their first and last
// ping, and the pings of each rider on each local date.
type tally struct {
	offset time.Duration
	riders map[int64]*store.RiderSeen
	days   map[riderDate]*int64
	// minTS, maxTS are the time range of the pings
	minTS, maxTS time.Time

	lastR   *store.RiderSeen
	lastDay riderDate
	lastN   *int64
}

type riderDate struct{ rider, date int64 }

func newTally(offset time.Duration) *tally {
	return &tally{offset: offset, riders: map[int64]*store.RiderSeen{}, days: map[riderDate]*int64{}}
}

func (t *tally) add(p *model.Ping, key int64) {
	r := t.lastR
	if r == nil || r.Key != key {
		r = t.riders[key]
		if r == nil {
			r = &store.RiderSeen{Key: key, PID: string(p.Rider), Platform: p.Platform, First: p.Time, Last: p.Time}
			t.riders[key] = r
		}
		t.lastR = r
	}
	if p.Time.Before(r.First) {
		r.First = p.Time
	}
	if p.Time.After(r.Last) {
		r.Last = p.Time
	}
	if dk := (riderDate{key, activity.LocalDate(p.Time, t.offset)}); t.lastN == nil || dk != t.lastDay {
		n := t.days[dk]
		if n == nil {
			n = new(int64)
			t.days[dk] = n
		}
		t.lastDay, t.lastN = dk, n
	}
	*t.lastN++
	if t.minTS.IsZero() || p.Time.Before(t.minTS) {
		t.minTS = p.Time
	}
	if p.Time.After(t.maxTS) {
		t.maxTS = p.Time
	}
}

func (t *tally) seen() []store.RiderSeen {
	rs := make([]store.RiderSeen, 0, len(t.riders))
	for _, r := range t.riders {
		rs = append(rs, *r)
	}
	return rs
}

func (t *tally) riderDays() []store.RiderDay {
	ds := make([]store.RiderDay, 0, len(t.days))
	for k, n := range t.days {
		ds = append(ds, store.RiderDay{Rider: k.rider, Day: activity.DateOf(k.date), Pings: *n})
	}
	return ds
}

// aggregateStored aggregates pings scanned from the store (ordered by rider
// and time) through the same pipeline as a file, tallying them into t when t
// is not nil. pid gives each rider key's pseudonym.
func aggregateStored(ctx context.Context, s activity.Settings, workers int, scan func(func(*store.PingRow) error) error,
	pid func(int64) model.RiderID, t *tally) (*activity.Result, error) {
	agg := startAggregation(ctx, s, workers, nil)
	buf := make([]model.Ping, 0, chunkSize)
	lastKey, rid := int64(-1), model.RiderID("")
	err := scan(func(r *store.PingRow) error {
		if r.Rider != lastKey {
			if rid, lastKey = pid(r.Rider), r.Rider; rid == "" {
				return fmt.Errorf("rider %d has pings but no pseudonym", r.Rider)
			}
		}
		buf = append(buf, model.Ping{Rider: rid, Time: r.Time, Lat: r.Lat, Lng: r.Lng, Status: r.Status})
		if t != nil {
			t.add(&buf[len(buf)-1], r.Rider)
		}
		if len(buf) == chunkSize {
			agg.feed(buf)
			buf = make([]model.Ping, 0, chunkSize)
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		agg.feed(buf)
	}
	res, aerr := agg.finish()
	if err != nil {
		return nil, err
	}
	return res, aerr
}

// Rebuild recomputes every aggregate, rider range and rider day from the
// stored pings, batch by batch exactly as the imports derived them (so a
// rebuild reproduces the incremental aggregates and per-import ranges), in
// one transaction. It returns the number of pings read.
func (l *Loader) Rebuild(ctx context.Context) (int64, error) {
	rb, err := l.Store.BeginRebuild(ctx)
	if err != nil {
		return 0, err
	}
	n, err := l.rebuild(ctx, rb)
	if err != nil {
		rb.Rollback(ctx)
		return 0, err
	}
	return n, rb.Commit(ctx)
}

func (l *Loader) rebuild(ctx context.Context, rb *store.Rebuild) (int64, error) {
	batches, err := rb.Batches(ctx)
	if err != nil {
		return 0, err
	}
	pids, err := rb.RiderPIDs(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, b := range batches {
		t := newTally(l.Activity.UTCOffset)
		res, err := aggregateStored(ctx, l.Activity, l.workers(),
			func(fn func(*store.PingRow) error) error { return rb.ScanPings(ctx, b, fn) },
			func(k int64) model.RiderID { return pids[k] }, t)
		if err != nil {
			return 0, fmt.Errorf("batch %d: %w", b.ID, err)
		}
		n += res.Pings
		if err := rb.Write(ctx, res, t.riderDays(), l.Activity.UTCOffset); err != nil {
			return 0, fmt.Errorf("batch %d: %w", b.ID, err)
		}
	}
	return n, nil
}

func (l *Loader) workers() int {
	if l.Workers > 0 {
		return l.Workers
	}
	return runtime.GOMAXPROCS(0)
}
