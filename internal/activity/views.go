package activity

import (
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
)

// ViewStat is the activity of one cell over one fixed hour set (a view):
// pings and seconds summed over its hours of week, riders distinct over
// the union of the same hours' rider sets.
type ViewStat struct {
	Pings        int64
	Riders       int32
	RiderSeconds float64
	DwellSeconds float64
}

// ViewRoller rolls the hour-of-week rows of one cell at a time up into a
// fixed list of hour sets, exactly: the distinct riders of a view are
// counted over the union of its hours' rider key sets. It is how the
// per-import rollups of the released views' hour sets are made (the
// hex_views table), so a filtered tile or summary of such a set needs no
// per-request merge of up to 42 rows of rider keys.
//
// Rider keys get dense ordinals on first sight; each view keeps, per
// ordinal, the last cell it was counted in, so a union costs one array
// access per key and view. Memory: 4 bytes per distinct rider and view.
type ViewRoller struct {
	views   [][]int16
	viewsOf [HoursPerWeek][]int32 // the views holding each hour of week
	ord     map[int64]int32
	seen    [][]uint32 // per view, per ordinal: the cell number it was last counted in
	cell    uint32     // the current cell's number, from 1
	out     []ViewStat
	// With sets, the current cell's rider sets (ordinals): the whole week
	// and each view's.
	sets    bool
	weekIDs []uint32   // the whole week's riders (distinct: one How = -1 row)
	viewIDs [][]uint32 // each view's riders, distinct (added with the stamps)
}

// NewViewRoller checks the views (each a sorted list of distinct hours of
// week, none empty) and returns a roller over them.
func NewViewRoller(views [][]int16) (*ViewRoller, error) {
	r := &ViewRoller{views: views, ord: map[int64]int32{}, seen: make([][]uint32, len(views)), out: make([]ViewStat, len(views))}
	for v, hs := range views {
		if len(hs) == 0 {
			return nil, fmt.Errorf("view %d: no hours", v)
		}
		for i, h := range hs {
			if h < 0 || h >= HoursPerWeek || (i > 0 && hs[i-1] >= h) {
				return nil, fmt.Errorf("view %d: hours must be sorted, distinct and within 0..167", v)
			}
			r.viewsOf[h] = append(r.viewsOf[h], int32(v))
		}
	}
	return r, nil
}

// ViewsKey is the canonical text of a list of views, stored beside their
// rollups so a reader knows which hour sets they are.
func ViewsKey(views [][]int16) string {
	parts := make([]string, len(views))
	for i, hs := range views {
		parts[i] = FormatHours(hs)
	}
	return strings.Join(parts, ";")
}

// Start begins a new cell: the figures of every view go back to zero.
// With sets, the cell's rider sets are kept as well (Sets).
func (r *ViewRoller) Start(sets bool) {
	r.cell++
	clear(r.out)
	r.sets = sets
	r.weekIDs = r.weekIDs[:0]
	if r.viewIDs == nil {
		r.viewIDs = make([][]uint32, len(r.views))
	}
	for i := range r.viewIDs {
		r.viewIDs[i] = r.viewIDs[i][:0]
	}
}

// Sets returns the current cell's rider sets, as ordinals shared by every
// cell of this roller: the whole week's (its How = -1 row) and each
// view's. Valid until the next Start; nil unless started with sets.
func (r *ViewRoller) Sets() (week *roaring.Bitmap, views []*roaring.Bitmap) {
	if !r.sets {
		return nil, nil
	}
	// Sorted first: a roaring array container then only appends.
	bitmap := func(ids []uint32) *roaring.Bitmap {
		slices.Sort(ids)
		b := roaring.New()
		b.AddMany(ids)
		return b
	}
	views = make([]*roaring.Bitmap, len(r.viewIDs))
	for i, ids := range r.viewIDs {
		views[i] = bitmap(ids)
	}
	return bitmap(r.weekIDs), views
}

func (r *ViewRoller) ordinal(k int64) int32 {
	id, ok := r.ord[k]
	if !ok {
		id = int32(len(r.ord))
		r.ord[k] = id
	}
	return id
}

// Add adds one hour-of-week row of the current cell (how outside every
// view is ignored; How = -1 feeds only the whole week's set, with sets);
// keys are its distinct rider keys.
func (r *ViewRoller) Add(how int16, pings int64, riderSeconds, dwellSeconds float64, keys []int64) {
	if how == AllHours && r.sets {
		for _, k := range keys {
			r.weekIDs = append(r.weekIDs, uint32(r.ordinal(k)))
		}
		return
	}
	if how < 0 || how >= HoursPerWeek || len(r.viewsOf[how]) == 0 {
		return
	}
	vs := r.viewsOf[how]
	for _, v := range vs {
		o := &r.out[v]
		o.Pings += pings
		o.RiderSeconds += riderSeconds
		o.DwellSeconds += dwellSeconds
	}
	for _, k := range keys {
		id := r.ordinal(k)
		for _, v := range vs {
			seen := r.seen[v]
			if int(id) >= len(seen) {
				seen = append(seen, make([]uint32, int(id)+1-len(seen)+len(seen)/2)...)
				r.seen[v] = seen
			}
			if seen[id] != r.cell {
				seen[id] = r.cell
				r.out[v].Riders++
				if r.sets {
					r.viewIDs[v] = append(r.viewIDs[v], uint32(id))
				}
			}
		}
	}
}

// Stats returns the current cell's figures per view, in the views' order;
// valid until the next Start.
func (r *ViewRoller) Stats() []ViewStat { return r.out }
