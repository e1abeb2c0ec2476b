package activity

import (
	"cmp"
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
	return buildResult(s, aggs[0].resolutions, workers, parts...), nil
}

// Merge combines results of disjoint rider sets (e.g. of parallel
// Aggregators, or imports of different riders). Pings, RiderSeconds and
// DwellSeconds are summed; rider sets are united and Riders recounted from
// them, so distinct-rider counts stay right even if a rider occurs in several
// parts (its Range then appears once per part). The parts are not modified.
func Merge(parts ...*Result) *Result {
	n := 0
	nrg := 0
	for _, p := range parts {
		if p != nil {
			n += len(p.Cells)
			nrg += len(p.Ranges)
		}
	}
	all := make([]KeyStat, 0, n)
	out := &Result{Ranges: make([]Range, 0, nrg)}
	for _, p := range parts {
		if p == nil {
			continue
		}
		all = append(all, p.Cells...)
		out.Ranges = append(out.Ranges, p.Ranges...)
		out.Pings += p.Pings
	}
	slices.SortStableFunc(all, func(a, b KeyStat) int { return cmpKey(a.Key, b.Key) })
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Key == all[i].Key {
			j++
		}
		e := KeyStat{Key: all[i].Key}
		var keys []int64
		for _, x := range all[i:j] {
			e.Stat.Pings += x.Stat.Pings
			e.Stat.RiderSeconds += x.Stat.RiderSeconds
			e.Stat.DwellSeconds += x.Stat.DwellSeconds
			keys = append(keys, x.Stat.RiderKeys...)
		}
		if j-i > 1 {
			slices.Sort(keys)
			keys = slices.Compact(keys)
		} else {
			keys = slices.Clone(keys)
		}
		e.Stat.RiderKeys = keys
		e.Stat.Riders = int32(len(keys))
		out.Cells = append(out.Cells, e)
		i = j
	}
	out.Stats = make(map[Key]*Stat, len(out.Cells))
	for i := range out.Cells {
		out.Stats[out.Cells[i].Key] = &out.Cells[i].Stat
	}
	slices.SortStableFunc(out.Ranges, func(a, b Range) int { return cmp.Compare(a.RiderKey, b.RiderKey) })
	for i := range out.Ranges {
		if i == 0 || out.Ranges[i].RiderKey != out.Ranges[i-1].RiderKey {
			out.Riders++
		}
	}
	return out
}
