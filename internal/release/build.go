package release

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"golang.org/x/sync/errgroup"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/store"
)

// Rider-seconds as internal/activity defines them: a ping stands for the
// time to the rider's next ping, at most pingCap; after a gap of more than
// maxGap (or as the last ping) it stands for lastPing.
const (
	pingCap  = 2 * time.Minute
	maxGap   = 10 * time.Minute
	lastPing = 30 * time.Second
)

// Domain is the fixed set of units a release covers: every res-9 cell of
// the areas' (else the data's) bounding box and every admin area.
type Domain struct {
	Cells   []int64 // sorted
	idx     map[int64]int32
	Centers []orb.Point
	// Area[l][i] is the index into Codes[l] of the area of level l
	// (district, street, community) holding cell i's centre, or -1.
	Area    [3][]int32
	Codes   [3][]string
	codeIdx [3]map[string]int32
}

// LoadDomain reads the domain from the store; nil when there are neither
// areas nor data.
func LoadDomain(ctx context.Context, st *store.Store) (*Domain, error) {
	b, ok, err := st.AreasBound(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		if b, ok, err = st.DataBounds(ctx, "activity"); err != nil {
			return nil, err
		}
	}
	if !ok {
		return nil, nil
	}
	cells, err := geo.CellsInBound(b, Res)
	if err != nil {
		return nil, fmt.Errorf("release domain: %w", err)
	}
	d := &Domain{idx: make(map[int64]int32, len(cells))}
	ids := make([]int64, len(cells))
	for i, c := range cells {
		ids[i] = int64(c)
	}
	slices.Sort(ids)
	d.Cells = ids
	d.Centers = make([]orb.Point, len(ids))
	for i, c := range ids {
		d.idx[c] = int32(i)
		d.Centers[i] = geo.CellCenter(geo.Cell(c))
	}
	cas, err := st.PointAreas(ctx, ids, d.Centers)
	if err != nil {
		return nil, err
	}
	for l := range 3 {
		d.Area[l] = make([]int32, len(ids))
		for i := range d.Area[l] {
			d.Area[l][i] = -1
		}
		d.codeIdx[l] = map[string]int32{}
	}
	for _, ca := range cas {
		l := slices.Index(AreaLevels, ca.Level)
		if l < 0 {
			continue
		}
		j, ok := d.codeIdx[l][ca.Code]
		if !ok {
			j = int32(len(d.Codes[l]))
			d.codeIdx[l][ca.Code] = j
			d.Codes[l] = append(d.Codes[l], ca.Code)
		}
		d.Area[l][d.idx[ca.Cell]] = j
	}
	return d, nil
}

// Index returns the domain index of a res-9 cell, or -1.
func (d *Domain) Index(cell int64) int {
	if i, ok := d.idx[cell]; ok {
		return int(i)
	}
	return -1
}

// DayInput is a day's bounded contributions before noise.
type DayInput struct {
	Riders []int64 // the rider-days (rider keys) of the day
	// Sums[b][i]: rider-hours of block b in domain cell i, each rider-day's
	// whole-day vector (over cells) and named vector (over named block and
	// cell) clipped to L2 ≤ ClipHours and ClipNamedHours.
	Sums [NumBlocks][]float64
	// Counts[s][i]: rider-days counted in cell i for hour set s (each in at
	// most MDay or MNamed cells per set).
	Counts [NumSets][]float64
	// AreaCounts[s][l][j]: rider-days counted in area j of level l.
	AreaCounts [NumSets][3][]float64
	// Exact, unbounded figures for the utility report (never stored):
	// distinct riders per (set, cell) and rider-hours per (block, cell).
	ExactCounts [NumSets][]float64
	ExactSums   [NumBlocks][]float64
	Clipped     int // rider-days whose rider-hours were scaled down
	Dropped     int // (rider-day, set, cell) presences left out by M
}

// DayResult reports one day's release.
type DayResult struct {
	Day       time.Time
	Status    string // released, unchanged, refused, withdrawn, empty
	ReleaseID int64
	RiderDays int
	Redrawn   int
	Values    int
	Clipped   int
	Dropped   int
	Duration  time.Duration
	Note      string
}

func (r DayResult) String() string {
	s := fmt.Sprintf("release %s: %s", r.Day.Format(time.DateOnly), r.Status)
	switch r.Status {
	case "released":
		s += fmt.Sprintf(" #%d, %d rider-days, %d of %d values drawn afresh, in %s", r.ReleaseID, r.RiderDays, r.Redrawn, r.Values, r.Duration.Round(time.Millisecond))
	case "refused", "withdrawn":
		s += ": " + r.Note
	}
	return s
}

// Builder makes releases from the stored pings.
type Builder struct {
	Store  *store.Store
	Params Params
	Noise  Noise
}

// Update releases every day whose data changed since its release (or that
// has none) and withdraws the releases of days without data.
func (b *Builder) Update(ctx context.Context) ([]DayResult, error) {
	if err := b.Params.Validate(); err != nil {
		return nil, err
	}
	build, withdraw, err := b.Store.ReleaseDaysToBuild(ctx, b.Params.Offset)
	if err != nil {
		return nil, err
	}
	var out []DayResult
	for _, day := range withdraw {
		if err := b.Store.WithdrawRelease(ctx, day); err != nil {
			return out, err
		}
		out = append(out, DayResult{Day: day, Status: "withdrawn", Note: "no data left for the day"})
	}
	if len(build) == 0 {
		return out, nil
	}
	d, err := LoadDomain(ctx, b.Store)
	if err != nil || d == nil {
		return out, err
	}
	// Days are independent: two at a time (each streams its pings from one
	// connection and bounds them on every core; while one waits on the
	// database the other's workers run).
	rs := make([]DayResult, len(build))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i, day := range build {
		g.Go(func() error {
			r, err := b.BuildDay(gctx, day, d)
			rs[i] = r
			return err
		})
	}
	err = g.Wait()
	for _, r := range rs {
		if !r.Day.IsZero() {
			out = append(out, r)
		}
	}
	return out, err
}

// Days makes new releases of the given local days (after a rider was
// forgotten): a day without data left is withdrawn, and with
// withdrawOnRefusal a day the budget does not allow to re-release is
// withdrawn too, so nothing computed from the removed data stays published.
func (b *Builder) Days(ctx context.Context, days []time.Time, withdrawOnRefusal bool) ([]DayResult, error) {
	if err := b.Params.Validate(); err != nil {
		return nil, err
	}
	d, err := LoadDomain(ctx, b.Store)
	if err != nil || d == nil {
		return nil, err
	}
	var out []DayResult
	for _, day := range days {
		r, err := b.BuildDay(ctx, day, d)
		if err != nil {
			return out, err
		}
		if r.Status == "empty" || (r.Status == "released" && r.RiderDays == 0) || (r.Status == "refused" && withdrawOnRefusal) {
			if err := b.Store.WithdrawRelease(ctx, r.Day); err != nil {
				return out, err
			}
			if r.Status == "refused" {
				r.Note += "; withdrawn instead, so the removed data is no longer published"
			} else {
				r.Note = "no data left for the day"
			}
			r.Status = "withdrawn"
		}
		out = append(out, r)
	}
	return out, nil
}

// dayStart is 00:00 local time (UTC + offset) of a local date (given as a
// UTC midnight).
func dayStart(day time.Time, offset time.Duration) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC).Add(-offset)
}

// BuildDay makes a new release of one local day (a UTC-midnight date),
// redrawing only the values whose bounded input changed.
func (b *Builder) BuildDay(ctx context.Context, day time.Time, d *Domain) (DayResult, error) {
	start := time.Now()
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	res := DayResult{Day: day}
	in, err := computeDay(ctx, b.Store, dayStart(day, b.Params.Offset), dayStart(day, b.Params.Offset).Add(24*time.Hour), d, b.Params, 0)
	if err != nil {
		return res, err
	}
	res.RiderDays, res.Clipped, res.Dropped = len(in.Riders), in.Clipped, in.Dropped
	_, prevCells, prevAreas, hasPrev, err := b.Store.CurrentRelease(ctx, day)
	if err != nil {
		return res, err
	}
	type ck struct {
		fig, view int16
		cell      int64
	}
	type ak struct {
		view        int16
		level, code string
	}
	prevC := make(map[ck]store.ReleaseCellValue, len(prevCells))
	for _, v := range prevCells {
		prevC[ck{v.Figure, v.View, v.Cell}] = v
	}
	prevA := make(map[ak]store.ReleaseCellValue, len(prevAreas))
	for _, v := range prevAreas {
		prevA[ak{v.View, v.Level, v.Code}] = v
	}
	var cells, areas []store.ReleaseCellValue
	var fresh []int // indexes into cells (≥ 0) or areas (encoded -1-i) to draw
	same := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a)) }
	addCell := func(fig, view int, i int, exact float64) {
		v := store.ReleaseCellValue{Figure: int16(fig), View: int16(view), Cell: d.Cells[i], Exact: exact}
		if p, ok := prevC[ck{v.Figure, v.View, v.Cell}]; ok && same(p.Exact, exact) {
			v.Draw, v.Value = p.Draw, p.Value
		} else {
			fresh = append(fresh, len(cells))
		}
		cells = append(cells, v)
	}
	for blk := range NumBlocks {
		for i, x := range in.Sums[blk] {
			addCell(FigureRiderHours, blk, i, x)
		}
	}
	for s := range NumSets {
		for i, x := range in.Counts[s] {
			addCell(FigureRiders, s, i, x)
		}
		for l := range 3 {
			for j, x := range in.AreaCounts[s][l] {
				v := store.ReleaseCellValue{Figure: FigureRiders, View: int16(s), Level: AreaLevels[l], Code: d.Codes[l][j], Exact: x}
				if p, ok := prevA[ak{v.View, v.Level, v.Code}]; ok && same(p.Exact, x) {
					v.Draw, v.Value = p.Draw, p.Value
				} else {
					fresh = append(fresh, -1-len(areas))
				}
				areas = append(areas, v)
			}
		}
	}
	res.Values, res.Redrawn = len(cells)+len(areas), len(fresh)
	if hasPrev && len(fresh) == 0 && len(prevCells) == len(cells) && len(prevAreas) == len(areas) {
		res.Status = "unchanged"
		res.Duration = time.Since(start)
		return res, nil
	}
	if len(in.Riders) == 0 && !hasPrev {
		res.Status = "empty"
		return res, nil
	}
	spent, err := b.Store.LedgerMax(ctx, day, in.Riders)
	if err != nil {
		return res, err
	}
	if spent+b.Params.Rho > b.Params.Budget+1e-9 {
		res.Status = "refused"
		res.Note = fmt.Sprintf("privacy budget spent: a rider-day of %s has used ρ = %.3g of %.3g and this release needs %.3g more; "+
			"non-admins keep the day's previous release (admins see the new data)", day.Format(time.DateOnly), spent, b.Params.Budget, b.Params.Rho)
		if err := b.Store.RecordRefusedRelease(ctx, day, b.Params.Rho, len(in.Riders), res.Note); err != nil {
			return res, err
		}
		return res, nil
	}
	res.Duration = time.Since(start)
	sigmas := map[string]float64{}
	for blk, name := range [NumBlocks]string{"day", "breakfast", "lunch", "dinner", "night"} {
		sigmas["rider_hours:"+name] = b.Params.Sigma(FigureRiderHours, blk)
	}
	for set, name := range setNames {
		sigmas["riders:"+name] = b.Params.Sigma(FigureRiders, set)
	}
	id, err := b.Store.SaveRelease(ctx, store.NewRelease{
		Day: day, Rho: b.Params.Rho, Riders: in.Riders, Redrawn: len(fresh), BuildMs: int(res.Duration.Milliseconds()),
		Params: map[string]any{"rho": b.Params.Rho, "budget": b.Params.Budget, "share": b.Params.Share,
			"clip_hours": b.Params.ClipHours, "clip_named_hours": b.Params.ClipNamedHours, "m_day": b.Params.MDay, "m_named": b.Params.MNamed, "m_area": b.Params.MArea,
			"k": b.Params.K, "sigma": sigmas},
		Cells: cells, Areas: areas,
	}, func(id int64) {
		for _, f := range fresh {
			if f >= 0 {
				v := &cells[f]
				v.Draw = id
				v.Value = v.Exact + b.Params.Sigma(int(v.Figure), int(v.View))*b.Noise.Normal(day, id, int(v.Figure), int(v.View), v.Cell, "")
			} else {
				v := &areas[-1-f]
				v.Draw = id
				v.Value = v.Exact + b.Params.Sigma(FigureRiders, int(v.View))*b.Noise.Normal(day, id, int(v.Figure), int(v.View), 0, v.Level+":"+v.Code)
			}
		}
	})
	if err != nil {
		return res, err
	}
	res.Status, res.ReleaseID = "released", id
	return res, nil
}
