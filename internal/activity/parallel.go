package activity

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/hexcover/hexcover/internal/model"
)

type shard struct {
	pings []model.Ping
	keys  []int64
}

// AggregateParallel aggregates the pings read from in with workers
// Aggregators (GOMAXPROCS if workers ≤ 0). Batches must keep the file order
// (each rider's pings in non-decreasing time). Riders are sharded by RiderKey,
// so each rider's pings stay in order on one worker; the workers compute the
// H3 cells (Settings.BaseRes) and aggregate, and their results are combined
// exactly: the Result equals that of one Aggregator fed the same pings.
//
// The first error (an out-of-order ping, a malformed rider id, coordinates H3
// rejects, or ctx being done) stops the aggregation and is returned. The
// batches are not retained.
func AggregateParallel(ctx context.Context, s Settings, workers int, in <-chan []model.Ping) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	aggs := make([]*Aggregator, workers)
	chans := make([]chan shard, workers)
	parts := make([]partial, workers)
	var wg sync.WaitGroup
	for w := range workers {
		aggs[w] = NewAggregator(s)
		chans[w] = make(chan shard, 4)
		wg.Go(func() {
			a := aggs[w]
			for sh := range chans[w] {
				if ctx.Err() != nil {
					continue // drain
				}
				for i := range sh.pings {
					p := &sh.pings[i]
					c, err := CellOf(p.Lat, p.Lng, s.BaseRes)
					if err == nil {
						err = a.add(p, sh.keys[i], c)
					}
					if err != nil {
						cancel(fmt.Errorf("rider %s: %w", p.Rider, err))
						break
					}
				}
			}
			if ctx.Err() == nil {
				parts[w] = a.finish()
			}
		})
	}

	// Dispatch: split each batch by rider key, in order.
	func() {
		defer func() {
			for _, ch := range chans {
				close(ch)
			}
		}()
		for {
			var batch []model.Ping
			var ok bool
			select {
			case <-ctx.Done():
				return
			case batch, ok = <-in:
				if !ok {
					return
				}
			}
			subs := make([]shard, workers)
			for i := range batch {
				k, err := batch[i].Rider.Key()
				if err != nil {
					cancel(fmt.Errorf("activity: %w", err))
					return
				}
				w := int(uint64(k) % uint64(workers))
				subs[w].pings = append(subs[w].pings, batch[i])
				subs[w].keys = append(subs[w].keys, k)
			}
			for w, sh := range subs {
				if len(sh.pings) == 0 {
					continue
				}
				select {
				case chans[w] <- sh:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return buildResult(s, aggs[0].resolutions, parts...), nil
}

// Merge combines results of disjoint rider sets (e.g. of parallel
// Aggregators, or imports of different riders). Pings, RiderSeconds and
// DwellSeconds are summed; Riders is recounted from the union of RiderCells,
// so distinct-rider counts stay right even if a rider occurs in several parts
// (its Range then appears once per part). The parts are not modified.
func Merge(parts ...*Result) *Result {
	out := &Result{Stats: make(map[Key]*Stat)}
	nrc, nrg := 0, 0
	for _, p := range parts {
		if p == nil {
			continue
		}
		nrc += len(p.RiderCells)
		nrg += len(p.Ranges)
	}
	out.RiderCells = make([]RiderCell, 0, nrc)
	out.Ranges = make([]Range, 0, nrg)
	for _, p := range parts {
		if p == nil {
			continue
		}
		for k, st := range p.Stats {
			o := out.Stats[k]
			if o == nil {
				o = &Stat{}
				out.Stats[k] = o
			}
			o.Pings += st.Pings
			o.RiderSeconds += st.RiderSeconds
			o.DwellSeconds += st.DwellSeconds
		}
		out.RiderCells = append(out.RiderCells, p.RiderCells...)
		out.Ranges = append(out.Ranges, p.Ranges...)
		out.Pings += p.Pings
	}
	out.RiderCells = sortRiderCells(out.RiderCells)
	slices.SortStableFunc(out.Ranges, func(a, b Range) int { return cmpInt64(a.RiderKey, b.RiderKey) })
	for i := range out.Ranges {
		if i == 0 || out.Ranges[i].RiderKey != out.Ranges[i-1].RiderKey {
			out.Riders++
		}
	}
	countRiders(out)
	return out
}
