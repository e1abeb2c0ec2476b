package release

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/store"
)

// Figures are what a unit of a view shows outside the admin role. Units
// that are not Shown carry no figures anywhere.
type Figures struct {
	Riders     float64 // released distinct riders (mean per day of the view), rounded
	RiderHours float64 // released rider-hours, rounded to 0.1
	Shown      bool
}

// Published is the current release, post-processed into every view: the
// fixed rollups served from memory.
type Published struct {
	Version  int64
	Days     []time.Time
	K        int
	views    []pubView
	centers  map[int64]orb.Point
	cellArea map[int64][3]string // res-9 cell → area code per level ("" none)
}

type pubView struct {
	days      int
	threshold float64               // released riders a unit needs to be shown
	cells     [3]map[int64]Figures  // res 9, 8, 7: shown cells only
	areas     [3]map[string]Figures // district, street, community: every area
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// Build post-processes the stored releases of every day into the views.
func buildPublished(days []store.PublishedDay, ver int64, k int, d *Domain, arows []store.AreaRow) *Published {
	p := &Published{Version: ver, K: k, views: make([]pubView, len(Lattice)), centers: map[int64]orb.Point{}, cellArea: map[int64][3]string{}}
	for _, dd := range days {
		p.Days = append(p.Days, dd.Info.Day)
	}
	parent := map[string]string{}
	for _, a := range arows {
		parent[a.Level+":"+a.Code] = a.Parent
	}
	if d != nil {
		for i, c := range d.Cells {
			p.centers[c] = d.Centers[i]
			var codes [3]string
			for l := range 3 {
				if j := d.Area[l][i]; j >= 0 {
					codes[l] = d.Codes[l][j]
				}
			}
			p.cellArea[c] = codes
		}
	}
	// The per-day noise of each hour set's riders, from each release's
	// parameters (a view's mean over n days has σ = √(Σσ²)/n).
	daySigma := make([][NumSets]float64, len(days))
	for i, dd := range days {
		var prm struct {
			Sigma map[string]float64 `json:"sigma"`
		}
		_ = json.Unmarshal(dd.Info.Params, &prm)
		for set, name := range setNames {
			daySigma[i][set] = prm.Sigma["riders:"+name]
		}
	}
	for vi, v := range Lattice {
		pv := &p.views[vi]
		rh := map[int64]float64{}
		riders := map[int64]float64{}
		aRiders := [3]map[string]float64{{}, {}, {}}
		var sigma2 float64
		for di, dd := range days {
			if !v.Days.has(dd.Info.Day) {
				continue
			}
			pv.days++
			sigma2 += daySigma[di][v.Set] * daySigma[di][v.Set]
			for _, c := range dd.Cells {
				switch {
				case c.Figure == FigureRiderHours && slices.Contains(v.Blocks, int(c.View)):
					rh[c.Cell] += c.Value
				case c.Figure == FigureRiders && int(c.View) == v.Set:
					riders[c.Cell] += c.Value
				}
			}
			for _, a := range dd.Areas {
				if int(a.View) != v.Set {
					continue
				}
				if l := slices.Index(AreaLevels, a.Level); l >= 0 {
					aRiders[l][a.Code] += a.Value
				}
			}
		}
		for i := range pv.cells {
			pv.cells[i] = map[int64]Figures{}
		}
		for l := range pv.areas {
			pv.areas[l] = map[string]Figures{}
		}
		if pv.days == 0 {
			continue
		}
		n := float64(pv.days)
		// The threshold: k, and at least twice the noise of the view's
		// riders, so that a group below k (or an empty cell) is shown by
		// chance in about 2% of cases rather than half of them.
		pv.threshold = max(float64(k), math.Ceil(2*math.Sqrt(sigma2)/n))
		// Res 9: clamp, round, threshold on the released riders.
		for c, r := range riders {
			f := Figures{Riders: math.Round(max(0, r/n)), RiderHours: round1(max(0, rh[c]))}
			if f.Riders >= pv.threshold {
				f.Shown = true
				pv.cells[0][c] = f
			}
		}
		// Res 8 and 7 from the shown res-9 cells only.
		for c, f := range pv.cells[0] {
			for i, res := range []int{8, 7} {
				pc := int64(geo.CellParent(geo.Cell(c), res))
				g := pv.cells[i+1][pc]
				g.RiderHours += f.RiderHours
				g.Riders = max(g.Riders, f.Riders)
				g.Shown = true
				pv.cells[i+1][pc] = g
			}
		}
		for i := 1; i < 3; i++ {
			for c, g := range pv.cells[i] {
				g.RiderHours = round1(g.RiderHours)
				pv.cells[i][c] = g
			}
		}
		// Areas: own riders, raised to the largest child's; rider-hours of
		// their shown cells.
		for l := 2; l >= 0; l-- {
			for code, r := range aRiders[l] {
				f := pv.areas[l][code]
				f.Riders = max(f.Riders, math.Round(max(0, r/n)))
				pv.areas[l][code] = f
			}
			if l > 0 {
				for code, f := range pv.areas[l] {
					pc := parent[AreaLevels[l]+":"+code]
					if pc == "" {
						continue
					}
					g := pv.areas[l-1][pc]
					g.Riders = max(g.Riders, f.Riders)
					pv.areas[l-1][pc] = g
				}
			}
		}
		for c, f := range pv.cells[0] {
			codes := p.cellArea[c]
			for l := range 3 {
				if codes[l] == "" {
					continue
				}
				g := pv.areas[l][codes[l]]
				g.RiderHours += f.RiderHours
				pv.areas[l][codes[l]] = g
			}
		}
		for l := range 3 {
			for code, g := range pv.areas[l] {
				g.RiderHours = round1(g.RiderHours)
				g.Shown = g.Riders >= pv.threshold
				if !g.Shown {
					g = Figures{}
				}
				pv.areas[l][code] = g
			}
		}
	}
	return p
}

// Cells returns the shown cells of a view at resolution res (7, 8 or 9;
// callers map 10 to 9). Do not modify the map.
func (p *Published) Cells(view, res int) map[int64]Figures {
	if p == nil || view < 0 || view >= len(p.views) || res < 7 || res > 9 {
		return nil
	}
	return p.views[view].cells[9-res]
}

// Area returns the figures of an area of a level ("district", "street",
// "community") in a view; ok is false when the release does not know it.
func (p *Published) Area(view int, level, code string) (Figures, bool) {
	l := slices.Index(AreaLevels, level)
	if p == nil || l < 0 || view < 0 || view >= len(p.views) {
		return Figures{}, false
	}
	f, ok := p.views[view].areas[l][code]
	return f, ok
}

// Center is the centre of a released res-9 cell.
func (p *Published) Center(cell int64) orb.Point {
	if c, ok := p.centers[cell]; ok {
		return c
	}
	return geo.CellCenter(geo.Cell(cell))
}

// CellAreas is the area codes (district, street, community) of a res-9 cell.
func (p *Published) CellAreas(cell int64) [3]string { return p.cellArea[cell] }

// Threshold is the released riders a unit of a view needs to be shown:
// k, or twice the noise of the view's riders if that is more.
func (p *Published) Threshold(view int) float64 {
	if p == nil || view < 0 || view >= len(p.views) {
		return 0
	}
	return p.views[view].threshold
}

// DaysIn is the number of released days a view covers.
func (p *Published) DaysIn(view int) int {
	if p == nil || view < 0 || view >= len(p.views) {
		return 0
	}
	return p.views[view].days
}

// VersionString names the release version in cache keys and ETags.
func (p *Published) VersionString() string {
	if p == nil {
		return "release:0"
	}
	return "release:" + strconv.FormatInt(p.Version, 10)
}

// Current holds the published release in memory, reloading it when the
// release version changes (checked at most once a second).
type Current struct {
	st *store.Store
	k  int

	mu      sync.Mutex
	pub     *Published
	checked time.Time
	loading sync.Mutex
}

// NewCurrent returns the in-memory holder of the published release.
func NewCurrent(st *store.Store, k int) *Current { return &Current{st: st, k: k} }

// Get returns the current published release (empty when none is stored).
func (c *Current) Get(ctx context.Context) (*Published, error) {
	c.mu.Lock()
	if c.pub != nil && time.Since(c.checked) < time.Second {
		p := c.pub
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	c.loading.Lock()
	defer c.loading.Unlock()
	c.mu.Lock()
	if c.pub != nil && time.Since(c.checked) < time.Second {
		p := c.pub
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	ver, err := c.st.ReleaseVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("release version: %w", err)
	}
	c.mu.Lock()
	if c.pub != nil && c.pub.Version == ver {
		c.checked = time.Now()
		p := c.pub
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	p, err := Load(ctx, c.st, c.k)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.pub, c.checked = p, time.Now()
	c.mu.Unlock()
	return p, nil
}

// Invalidate makes the next Get check the release version at once.
func (c *Current) Invalidate() {
	c.mu.Lock()
	c.checked = time.Time{}
	c.mu.Unlock()
}

// Load reads and post-processes the published release.
func Load(ctx context.Context, st *store.Store, k int) (*Published, error) {
	days, ver, err := st.PublishedRelease(ctx)
	if err != nil {
		return nil, err
	}
	d, err := LoadDomain(ctx, st)
	if err != nil {
		return nil, err
	}
	arows, err := st.AreaRows(ctx, "")
	if err != nil {
		return nil, err
	}
	return buildPublished(days, ver, k, d, arows), nil
}

func sortCells(cs []coverage.ReleasedCell) {
	slices.SortFunc(cs, func(a, b coverage.ReleasedCell) int { return cmp.Compare(a.Cell, b.Cell) })
}
