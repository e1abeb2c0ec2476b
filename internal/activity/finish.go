package activity

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"sync"
)

// partial is the finished, not yet rolled-up output of one Aggregator: its
// base (cell, how) entries and the closed riders, whose present lists hold
// indices into keys/accs.
type partial struct {
	keys   []cellHow
	accs   []acc
	riders []*riderState
	pings  int64
}

// level is one resolution of the result: its distinct cells with the hours
// of week present in each (a 168-bit set) and where each cell's entries start
// in Result.Cells (the How = -1 entry, then one per hour present, ascending).
type level struct {
	res   int
	cells []int64
	hows  [][3]uint64
	off   []int32
}

// rankHow is the number of hours in hs before h.
func rankHow(hs *[3]uint64, h int16) int32 {
	w := int(h) >> 6
	n := bits.OnesCount64(hs[w] & (1<<(uint(h)&63) - 1))
	for i := range w {
		n += bits.OnesCount64(hs[i])
	}
	return int32(n)
}

type riderRef struct {
	r    *riderState
	part int32
	ord  int32 // 1.. per distinct rider key
}

// buildResult rolls the base statistics of parts (disjoint rider sets) up to
// every resolution and builds the distinct rider sets, using up to workers
// goroutines (GOMAXPROCS if ≤ 0).
//
// Every result entry gets a dense index (its position in Result.Cells, in Key
// order), found from a base (cell, how) entry by a per-cell hour bitmap rank
// instead of a map lookup. A rider's sets are filled by visiting riders in
// key order, so each set comes out sorted without sorting it: the riders are
// split into contiguous key ranges, one per worker, each counting its
// contributions per entry first (a counting sort), then writing them.
func buildResult(s Settings, resolutions []int, workers int, parts ...partial) *Result {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nr := len(resolutions)
	stride := 2 * nr

	// Base cells and the hours present in each.
	nbase := 0
	for _, p := range parts {
		nbase += len(p.keys)
	}
	baseIdx := make(map[int64]int32, nbase/4+1)
	base := level{res: s.BaseRes}
	partCell := make([][]int32, len(parts))
	for pi, p := range parts {
		pc := make([]int32, len(p.keys))
		lastC, lastI := int64(-1), int32(0)
		for i, k := range p.keys {
			c, h := k.cell(), k.how()
			ci := lastI
			if c != lastC {
				var ok bool
				if ci, ok = baseIdx[c]; !ok {
					ci = int32(len(base.cells))
					base.cells = append(base.cells, c)
					base.hows = append(base.hows, [3]uint64{})
					baseIdx[c] = ci
				}
				lastC, lastI = c, ci
			}
			base.hows[ci][h>>6] |= 1 << (uint(h) & 63)
			pc[i] = ci
		}
		partCell[pi] = pc
	}
	baseIdx = nil

	// Levels, finest to coarsest, each from the one below it; up[li] maps a
	// base cell to its cell in levels[li].
	levels := make([]*level, nr)
	up := make([][]int32, nr)
	prev, prevUp := &base, []int32(nil) // nil: identity
	for li := nr - 1; li >= 0; li-- {
		r := resolutions[li]
		if r == prev.res {
			levels[li], up[li] = prev, prevUp
			continue
		}
		lv := &level{res: r}
		idx := make(map[int64]int32, len(prev.cells)/3+1)
		toNext := make([]int32, len(prev.cells))
		for j, c := range prev.cells {
			pc := parentCell(c, r)
			ni, ok := idx[pc]
			if !ok {
				ni = int32(len(lv.cells))
				lv.cells = append(lv.cells, pc)
				lv.hows = append(lv.hows, [3]uint64{})
				idx[pc] = ni
			}
			h := &lv.hows[ni]
			ph := &prev.hows[j]
			h[0] |= ph[0]
			h[1] |= ph[1]
			h[2] |= ph[2]
			toNext[j] = ni
		}
		u := make([]int32, len(base.cells))
		for i := range u {
			j := int32(i)
			if prevUp != nil {
				j = prevUp[i]
			}
			u[i] = toNext[j]
		}
		levels[li], up[li] = lv, u
		prev, prevUp = lv, u
	}

	// Dense indices in Key order: levels by resolution ascending, cells
	// ascending within a level.
	nf := 0
	for _, lv := range levels {
		lv.off = make([]int32, len(lv.cells))
		for _, hs := range lv.hows {
			nf += 1 + bits.OnesCount64(hs[0]) + bits.OnesCount64(hs[1]) + bits.OnesCount64(hs[2])
		}
	}
	res := &Result{Cells: make([]KeyStat, nf)}
	{
		w := int32(0)
		for _, lv := range levels {
			order := make([]int32, len(lv.cells))
			for i := range order {
				order[i] = int32(i)
			}
			slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(lv.cells[a], lv.cells[b]) })
			r := int8(lv.res)
			for _, j := range order {
				c := lv.cells[j]
				lv.off[j] = w
				res.Cells[w].Key = Key{r, c, AllHours}
				w++
				for wi, word := range lv.hows[j] {
					for word != 0 {
						b := bits.TrailingZeros64(word)
						word &= word - 1
						res.Cells[w].Key = Key{r, c, int16(wi*64 + b)}
						w++
					}
				}
			}
		}
	}
	// The map view, built alongside the rest (it only reads the keys).
	statsDone := make(chan map[Key]*Stat, 1)
	go func() {
		m := make(map[Key]*Stat, nf)
		for f := range res.Cells {
			m[res.Cells[f].Key] = &res.Cells[f].Stat
		}
		statsDone <- m
	}()

	// Each base entry's result entries (stride per entry: How and -1 at
	// every level), and the additive sums.
	accs := make([]acc, nf)
	fins := make([][]int32, len(parts))
	for pi, p := range parts {
		fin := make([]int32, len(p.keys)*stride)
		pc := partCell[pi]
		for i, k := range p.keys {
			h := k.how()
			ci := pc[i]
			a := p.accs[i]
			o := fin[i*stride : i*stride+stride]
			for li, lv := range levels {
				j := ci
				if up[li] != nil {
					j = up[li][ci]
				}
				wk := lv.off[j]
				hw := wk + 1 + rankHow(&lv.hows[j], h)
				o[2*li], o[2*li+1] = wk, hw
				accs[wk].add(a)
				accs[hw].add(a)
			}
		}
		fins[pi] = fin
	}
	partCell, up = nil, nil

	// Riders in key order, split into contiguous chunks of similar work.
	nriders := 0
	for _, p := range parts {
		nriders += len(p.riders)
	}
	refs := make([]riderRef, 0, nriders)
	for pi, p := range parts {
		for _, r := range p.riders {
			refs = append(refs, riderRef{r: r, part: int32(pi)})
		}
	}
	slices.SortFunc(refs, func(a, b riderRef) int {
		if c := cmp.Compare(a.r.key, b.r.key); c != 0 {
			return c
		}
		return int(a.part - b.part)
	})
	work := 0
	res.RiderKeys = make([]int64, 0, len(refs))
	for i := range refs {
		if i == 0 || refs[i].r.key != refs[i-1].r.key {
			res.Riders++
			res.RiderKeys = append(res.RiderKeys, refs[i].r.key)
		}
		refs[i].ord = int32(res.Riders)
		work += len(refs[i].r.present)
	}
	workers = max(1, min(workers, len(refs)))
	bounds := make([]int, 0, workers+1)
	bounds = append(bounds, 0)
	for sum, i := 0, 0; i < len(refs); i++ {
		sum += len(refs[i].r.present)
		if len(bounds) < workers && sum*workers >= work*len(bounds) && i+1 < len(refs) && refs[i+1].r.key != refs[i].r.key {
			bounds = append(bounds, i+1)
		}
	}
	bounds = append(bounds, len(refs))
	nw := len(bounds) - 1

	// Each worker walks its riders' entries twice: counting them (and
	// computing the ranges), then, once every entry's place is known, writing
	// the keys; the second walk redoes the first instead of keeping a list of
	// every (rider, entry) pair, which took 4 bytes a key at the peak.
	res.Ranges = make([]Range, len(refs))
	type wstate struct {
		scratch rangeScratch
		cnt     []int32 // per entry: count, then write position
		mark    []int32 // per entry: ord of the last rider counted (walk 1) or written (walk 2, -ord)
	}
	ws := make([]wstate, nw)
	var wg sync.WaitGroup
	for w := range nw {
		wg.Go(func() {
			st := &ws[w]
			lo, hi := bounds[w], bounds[w+1]
			st.mark = make([]int32, nf)
			st.cnt = make([]int32, nf)
			for j := lo; j < hi; j++ {
				ref := refs[j]
				fin := fins[ref.part]
				ord := ref.ord
				for _, e := range ref.r.present {
					for _, f := range fin[int(e)*stride : int(e)*stride+stride] {
						if st.mark[f] != ord {
							st.mark[f] = ord
							st.cnt[f]++
						}
					}
				}
				res.Ranges[j] = rangeOf(s.RangeQuantile, ref.r, &st.scratch)
				// Only the key and the present list are needed from here
				// on: let the reservoir (up to 8 or 12 KB a rider) and the
				// rest go while the sets grow.
				ref.r.reservoir, ref.r.wide, ref.r.cells, ref.r.cellIdx = nil, nil, nil, nil
			}
		})
	}
	wg.Wait()

	// Where each worker writes its riders of each entry.
	total := 0
	for w := range ws {
		for _, c := range ws[w].cnt {
			total += int(c)
		}
	}
	ords := make([]int32, total)
	pos := int32(0)
	for f := range nf {
		start := pos
		for w := range ws {
			c := ws[w].cnt[f]
			ws[w].cnt[f] = pos
			pos += c
		}
		res.Cells[f].Stat = accs[f].stat()
		res.Cells[f].Stat.Riders = pos - start
		res.Cells[f].Stat.RiderOrds = ords[start:pos:pos]
	}
	accs = nil
	for w := range nw {
		wg.Go(func() {
			st := &ws[w]
			lo, hi := bounds[w], bounds[w+1]
			for j := lo; j < hi; j++ {
				ref := refs[j]
				fin := fins[ref.part]
				k, ord := ref.ord-1, -ref.ord
				for _, e := range ref.r.present {
					for _, f := range fin[int(e)*stride : int(e)*stride+stride] {
						if st.mark[f] != ord {
							st.mark[f] = ord
							ords[st.cnt[f]] = k
							st.cnt[f]++
						}
					}
				}
				ref.r.present = nil
			}
		})
	}
	wg.Wait()
	fins = nil

	for _, p := range parts {
		res.Pings += p.pings
	}
	res.Stats = <-statsDone
	return res
}
