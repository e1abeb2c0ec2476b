package gridassign

import "context"

// The assignment is a max-weight b-matching, solved as a min-cost
// circulation on
//
//	o → courier (capacity: grids he may still serve, cost 0)
//	courier → grid (capacity 1, cost −score)
//	grid → o (capacity: open seats, cost 0)
//
// where o merges source and sink (a free sink→source arc), so flow is only
// sent where it lowers the cost. All grid→o capacities start at 0 and are
// raised one seat at a time. Raising one arc's capacity by one unit can
// create only negative cycles through that arc, and cancelling the cheapest
// one restores optimality (the old and new optima differ by one cycle through
// the new unit), so after the last seat the flow is optimal for the full
// problem. The cheapest cycle through grid→o is o ⇝ grid, found with Dijkstra
// on reduced costs (Johnson potentials) searching backwards from the grid, so
// each search only sees the grid's neighbourhood instead of every free
// courier. The optimum value is convex in a grid's capacity, so once a seat
// does not pay, the grid's further seats do not either.
//
// Initial potentials come from the DAG o → couriers → grids: π(o) = π(r) = 0
// and π(g) = −(best score into g), which makes every reduced cost ≥ 0.
//
// After a search that settled the nodes S with distances d(v) ≤ D to the
// grid, π(v) += D − d(v) for v in S keeps all reduced costs ≥ 0 (this is
// π − min(d, D) shifted by D), makes the path's arcs tight, and never moves
// π(o). A search is cut at D = π(o) − π(g): paths any longer give a cycle of
// cost ≥ 0, and the same update then leaves grid→o with reduced cost 0.

// flow holds the network. Nodes: 0 is o, 1..nC couriers, nC+1.. grids.
type flow struct {
	nC      int
	eg, ec  []int32   // edge e joins grid eg[e] and courier ec[e] (indexes, not nodes)
	ew      []float64 // score
	on      []bool    // edge carries flow: the courier is proposed for the grid
	gStart  []int32   // edges of grid g: gEdges[gStart[g]:gStart[g+1]]
	gEdges  []int32
	cStart  []int32 // edges of courier c: cEdges[cStart[c]:cStart[c+1]]
	cEdges  []int32
	spare   []int32 // per courier: grids he may still be proposed for
	used    []int32 // per grid: seats filled by proposals
	pi      []float64
	dist    []float64
	next    []int32 // next node on the path towards the searched grid
	via     []int32 // edge used to get there, −1 for arcs at o
	reached []uint32
	settled []uint32
	gen     uint32
	heap    nodeHeap
	done    []int32 // nodes settled in the current search
}

func newFlow(caps []int32, eg, ec []int32, ew []float64, nG int) *flow {
	nC := len(caps)
	n := 1 + nC + nG
	f := &flow{
		nC: nC, eg: eg, ec: ec, ew: ew,
		on:      make([]bool, len(eg)),
		spare:   append([]int32(nil), caps...),
		used:    make([]int32, nG),
		pi:      make([]float64, n),
		dist:    make([]float64, n),
		next:    make([]int32, n),
		via:     make([]int32, n),
		reached: make([]uint32, n),
		settled: make([]uint32, n),
	}
	f.gStart, f.gEdges = csr(eg, nG)
	f.cStart, f.cEdges = csr(ec, nC)
	for g := range nG {
		best := 0.0
		for _, e := range f.gEdges[f.gStart[g]:f.gStart[g+1]] {
			best = max(best, ew[e])
		}
		f.pi[f.gridNode(int32(g))] = -best
	}
	return f
}

// csr groups edge indexes by owner (0..n-1), keeping edge order.
func csr(owner []int32, n int) (start, list []int32) {
	start = make([]int32, n+1)
	for _, o := range owner {
		start[o+1]++
	}
	for i := range n {
		start[i+1] += start[i]
	}
	list = make([]int32, len(owner))
	fill := append([]int32(nil), start[:n]...)
	for e, o := range owner {
		list[fill[o]] = int32(e)
		fill[o]++
	}
	return start, list
}

func (f *flow) courierNode(c int32) int32 { return 1 + c }
func (f *flow) gridNode(g int32) int32    { return 1 + int32(f.nC) + g }

// run opens the seats of every grid, in grid order.
func (f *flow) run(ctx context.Context, open []int32) error {
	searches := 0
	for g, seats := range open {
		for range seats {
			if searches++; searches%64 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !f.addSeat(int32(g)) {
				break // convexity: further seats of g do not pay either
			}
		}
	}
	return ctx.Err()
}

// addSeat raises grid g's capacity by one and cancels the cheapest cycle
// through the new seat if it has negative cost. It reports whether it did.
func (f *flow) addSeat(g int32) bool {
	gn := f.gridNode(g)
	bound := f.pi[0] - f.pi[gn] // cycle cost = d(o ⇝ g) − bound
	if !(bound > 0) {
		return false
	}
	f.gen++
	gen := f.gen
	f.done = f.done[:0]
	f.heap = f.heap[:0]
	f.dist[gn], f.reached[gn] = 0, gen
	f.heap.push(0, gn)
	found := false
	for len(f.heap) > 0 {
		d, v := f.heap.pop()
		if f.settled[v] == gen || d > f.dist[v] {
			continue
		}
		if d >= bound {
			break
		}
		f.settled[v] = gen
		f.done = append(f.done, v)
		if v == 0 {
			found, bound = true, d
			break
		}
		if c := v - 1; c < int32(f.nC) {
			// In-arcs of a courier: o → c if he has spare capacity, and
			// grid → c (the reverse of c's proposals).
			if f.spare[c] > 0 {
				f.relax(0, v, -1, d+f.pi[0]-f.pi[v], gen)
			}
			for _, e := range f.cEdges[f.cStart[c]:f.cStart[c+1]] {
				if f.on[e] {
					u := f.gridNode(f.eg[e])
					f.relax(u, v, e, d+f.ew[e]+f.pi[u]-f.pi[v], gen)
				}
			}
			continue
		}
		// In-arcs of a grid: courier → grid for couriers not proposed
		// there, and o → grid (dropping one of its proposals) if it has any.
		gi := v - 1 - int32(f.nC)
		for _, e := range f.gEdges[f.gStart[gi]:f.gStart[gi+1]] {
			if !f.on[e] {
				u := f.courierNode(f.ec[e])
				f.relax(u, v, e, d-f.ew[e]+f.pi[u]-f.pi[v], gen)
			}
		}
		if f.used[gi] > 0 {
			f.relax(0, v, -1, d+f.pi[0]-f.pi[v], gen)
		}
	}
	for _, v := range f.done {
		f.pi[v] += bound - f.dist[v]
	}
	if !found || f.pathCost(gn) >= 0 {
		return false
	}
	f.augment(gn)
	return true
}

// relax offers u the path u → v ⇝ g of length nd. Reduced costs may be a
// hair below zero from rounding; they are clamped so Dijkstra stays sound.
func (f *flow) relax(u, v, e int32, nd float64, gen uint32) {
	if f.settled[u] == gen {
		return
	}
	if base := f.dist[v]; nd < base {
		nd = base
	}
	if f.reached[u] != gen || nd < f.dist[u] {
		f.reached[u], f.dist[u], f.next[u], f.via[u] = gen, nd, v, e
		f.heap.push(nd, u)
	}
}

// pathCost is the true cost (sum of −score for new proposals, +score for
// withdrawn ones) of the path o ⇝ g found by the last search; the decision to
// augment uses it rather than potentials so rounding cannot fake a gain.
func (f *flow) pathCost(gn int32) float64 {
	cost := 0.0
	for u := int32(0); u != gn; u = f.next[u] {
		e := f.via[u]
		switch {
		case e < 0: // arc at o
		case u <= int32(f.nC): // courier → grid: new proposal
			cost -= f.ew[e]
		default: // grid → courier: withdrawn proposal
			cost += f.ew[e]
		}
	}
	return cost
}

// augment sends one unit around o ⇝ g → o.
func (f *flow) augment(gn int32) {
	for u := int32(0); u != gn; u = f.next[u] {
		v, e := f.next[u], f.via[u]
		switch {
		case u == 0 && v <= int32(f.nC): // o → courier: use spare capacity
			f.spare[v-1]--
		case u == 0: // o → grid: the grid drops a proposal
			f.used[v-1-int32(f.nC)]--
		case u <= int32(f.nC):
			f.on[e] = true
		default:
			f.on[e] = false
		}
	}
	f.used[gn-1-int32(f.nC)]++
}

// nodeHeap is a binary min-heap of (distance, node) with lazy deletion.
type nodeHeap []heapItem

type heapItem struct {
	d float64
	v int32
}

func (h *nodeHeap) push(d float64, v int32) {
	*h = append(*h, heapItem{d, v})
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p].d <= d {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = heapItem{d, v}
}

func (h *nodeHeap) pop() (float64, int32) {
	a := *h
	top := a[0]
	last := a[len(a)-1]
	a = a[:len(a)-1]
	*h = a
	n := len(a)
	if n == 0 {
		return top.d, top.v
	}
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && a[r].d < a[l].d {
			l = r
		}
		if a[l].d >= last.d {
			break
		}
		a[i] = a[l]
		i = l
	}
	a[i] = last
	return top.d, top.v
}
