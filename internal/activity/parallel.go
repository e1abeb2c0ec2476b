package activity

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/hexcover/hexcover/internal/model"
)

// shard is one worker's part of a batch: the indices of its pings, and the
// rider key of every ping of the batch (shared by the workers).
type shard struct {
	pings []model.Ping
	keys  []int64
	idx   []int32
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
// batches are read (not copied) by the workers after they were received: the
// caller must not modify a batch once sent.
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
				for _, i := range sh.idx {
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
			keys := make([]int64, len(batch))
			subs := make([]shard, workers)
			for w := range subs {
				subs[w] = shard{pings: batch, keys: keys, idx: make([]int32, 0, len(batch)/workers+len(batch)/8+1)}
			}
			for i := range batch {
				k, err := batch[i].Rider.Key()
				if err != nil {
					cancel(fmt.Errorf("activity: %w", err))
					return
				}
				keys[i] = k
				w := int(uint64(k) % uint64(workers))
				subs[w].idx = append(subs[w].idx, int32(i))
			}
			for w, sh := range subs {
				if len(sh.idx) == 0 {
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
