package demo

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"

	"github.com/hexcover/hexcover/internal/model"
)

// smallParams keeps the tests fast.
func smallParams() Params {
	p := DefaultParams()
	p.Riders = 150
	p.Days = 1
	return p
}

var (
	smallOnce  sync.Once
	smallCity  *City
	smallPings []RawPing
	smallErr   error
)

// small returns the city of smallParams and all its pings, generated once.
func small(t *testing.T) (*City, []RawPing) {
	t.Helper()
	smallOnce.Do(func() {
		smallCity, smallErr = Generate(smallParams())
		if smallErr != nil {
			return
		}
		smallErr = smallCity.Pings(func(p RawPing) error {
			smallPings = append(smallPings, p)
			return nil
		})
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallCity, smallPings
}

func TestChecksumDeterministic(t *testing.T) {
	sum := func(p Params) string {
		t.Helper()
		c, err := Generate(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	p := smallParams()
	a, b := sum(p), sum(p)
	if a != b {
		t.Errorf("same seed: checksums %s and %s, want equal", a, b)
	}
	p.Seed = 2
	if c := sum(p); c == a {
		t.Errorf("seeds 1 and 2: both checksums %s, want different", a)
	}
}

func TestGeometry(t *testing.T) {
	c, _ := small(t)
	district := c.District.Geometry
	if got, want := c.Areas[0].Code, districtCode; got != want {
		t.Errorf("first area code = %q, want %q", got, want)
	}
	if n := len(c.Grids); n < 150 || n > 400 {
		t.Errorf("grids = %d, want 150–400", n)
	}
	var streets, communities int
	for _, a := range c.Areas {
		switch a.Level {
		case model.LevelStreet:
			streets++
		case model.LevelCommunity:
			communities++
		}
		if len(a.Geometry) != 1 || len(a.Geometry[0]) != 1 {
			t.Errorf("area %s: %d polygons, want one polygon with one ring", a.Code, len(a.Geometry))
			continue
		}
		r := a.Geometry[0][0]
		if !r.Closed() || r.Orientation() != orb.CCW {
			t.Errorf("area %s: ring closed %v orientation %v, want closed and CCW", a.Code, r.Closed(), r.Orientation())
		}
		seen := map[orb.Point]bool{}
		for _, p := range r[:len(r)-1] {
			if seen[p] {
				t.Errorf("area %s: vertex %v repeats, want a simple ring", a.Code, p)
			}
			seen[p] = true
		}
	}
	if streets < 8 || streets > 10 {
		t.Errorf("streets = %d, want 8–10", streets)
	}
	if communities < 20 {
		t.Errorf("communities = %d, want at least 20", communities)
	}

	const tol = 1e-9 // degrees
	sum := 0.0
	byArea := map[string]float64{}
	for _, g := range c.Grids {
		for _, p := range g.Geometry[0][0] {
			if !planar.MultiPolygonContains(district, p) && planar.DistanceFrom(district, p) > tol {
				t.Errorf("grid %s: vertex %v outside the district", g.Code, p)
			}
		}
		a := planar.Area(g.Geometry)
		sum += a
		byArea[g.CommunityCode] += a
		byArea[g.StreetCode] += a
		if !strings.HasPrefix(g.Code, g.CommunityCode) || !strings.HasPrefix(g.CommunityCode, g.StreetCode) || len(g.Code) != 14 {
			t.Errorf("grid code %q in community %q street %q: want community code + two digits", g.Code, g.CommunityCode, g.StreetCode)
		}
		if g.Target < 2 || g.Target > 5 || g.Manager == "" {
			t.Errorf("grid %s: target %d manager %q, want 2–5 and a name", g.Code, g.Target, g.Manager)
		}
	}
	if d := planar.Area(district); math.Abs(sum-d) > 0.001*d {
		t.Errorf("sum of grid areas = %g, district area = %g, want equal within 0.1%%", sum, d)
	}
	for _, a := range c.Areas[1:] {
		got, want := planar.Area(a.Geometry), byArea[a.Code]
		if math.Abs(got-want) > 0.001*want {
			t.Errorf("%s %s: area %g, sum of its grids %g, want equal within 0.1%%", a.Level, a.Code, got, want)
		}
	}
	// No grid's interior point lies in another grid.
	for i, g := range c.Grids {
		ctr, _ := planar.CentroidArea(g.Geometry)
		if !planar.MultiPolygonContains(g.Geometry, ctr) {
			t.Errorf("grid %s: centroid outside itself", g.Code)
		}
		for j, h := range c.Grids {
			if i != j && h.Geometry.Bound().Contains(ctr) && planar.MultiPolygonContains(h.Geometry, ctr) {
				t.Errorf("grid %s: centroid inside grid %s, want no overlap", g.Code, h.Code)
			}
		}
	}
}

func TestSites(t *testing.T) {
	c, _ := small(t)
	ids := map[string]bool{}
	count := map[model.SiteKind]int{}
	for _, s := range c.Sites {
		if ids[s.ExtID] {
			t.Errorf("site id %s repeats", s.ExtID)
		}
		ids[s.ExtID] = true
		count[s.Kind]++
		if !planar.MultiPolygonContains(c.District.Geometry, s.Location) {
			t.Errorf("site %s %s at %v: outside the district", s.ExtID, s.Name, s.Location)
		}
		if _, err := model.ParseSiteKind(string(s.Kind)); err != nil {
			t.Error(err)
		}
		for _, a := range s.Amenities {
			if !slices.Contains(allAmenities, a) {
				t.Errorf("site %s: amenity %q unknown", s.ExtID, a)
			}
		}
	}
	for _, tc := range []struct {
		kind   model.SiteKind
		lo, hi int
	}{
		{model.KindServiceCenter, 8, 10},
		{model.KindRestStation, 1, 8},
		{model.KindFuelStation, 8, 12},
		{model.KindCandidate, 30, 60},
		{model.KindBranch, 1, 3},
	} {
		if n := count[tc.kind]; n < tc.lo || n > tc.hi {
			t.Errorf("%s sites = %d, want %d–%d", tc.kind, n, tc.lo, tc.hi)
		}
	}
	var merch, res int
	for _, cl := range c.Clusters {
		switch {
		case cl.IsMerchant():
			merch++
		case cl.Kind == ClusterResidential:
			res++
		}
	}
	if merch < 15 || merch > 25 || res < 150 || res > 300 {
		t.Errorf("merchant clusters = %d, residences = %d, want 15–25 and 150–300", merch, res)
	}
}

func TestPings(t *testing.T) {
	c, pings := small(t)
	if len(pings) < 100*len(c.Riders) {
		t.Fatalf("pings = %d for %d riders, want at least 100 each", len(pings), len(c.Riders))
	}
	var intervals []float64
	maxSpeed := 0.0
	order := map[string]int{}
	for i, r := range c.Riders {
		order[r.PlatformID] = i
	}
	lastRider := -1
	for i, p := range pings {
		if !planar.MultiPolygonContains(c.District.Geometry, orb.Point{p.Lng, p.Lat}) {
			t.Fatalf("ping %d of %s at %v,%v: outside the district", i, p.PlatformID, p.Lat, p.Lng)
		}
		switch p.Status {
		case "idle", "delivering", "waiting":
		default:
			t.Fatalf("ping %d: status %q", i, p.Status)
		}
		if r := order[p.PlatformID]; r < lastRider {
			t.Fatalf("ping %d: rider %s (%d) after rider %d, want rider order", i, p.PlatformID, r, lastRider)
		} else {
			lastRider = r
		}
		if i == 0 || pings[i-1].PlatformID != p.PlatformID {
			continue
		}
		q := pings[i-1]
		dt := p.Time.Sub(q.Time).Seconds()
		if dt <= 0 {
			t.Fatalf("rider %s: ping at %v after %v, want strictly increasing", p.PlatformID, p.Time, q.Time)
		}
		intervals = append(intervals, dt)
		v := geo.Distance(orb.Point{q.Lng, q.Lat}, orb.Point{p.Lng, p.Lat}) / dt * 3.6
		maxSpeed = math.Max(maxSpeed, v)
		if v > 30 {
			t.Errorf("rider %s: %.1f km/h between %v and %v, want at most 30", p.PlatformID, v, q.Time, p.Time)
		}
	}
	want := c.Params.PingIntervalOrDefault().Seconds()
	if m := median(intervals); m < 0.9*want || m > 1.1*want {
		t.Errorf("median ping interval = %gs, want about %gs", m, want)
	}
	_, off := pings[0].Time.Zone()
	if off != 8*3600 {
		t.Errorf("ping time zone offset = %d, want +08:00", off)
	}
	t.Logf("%d pings, max speed %.1f km/h", len(pings), maxSpeed)
}

func TestUnservedActivity(t *testing.T) {
	c, pings := small(t)
	unserved := c.UnservedClusters()
	if len(unserved) < 2 {
		t.Fatalf("unserved clusters = %d, want at least 2", len(unserved))
	}
	var presence []orb.Point
	for _, s := range c.Sites {
		if s.Status == model.StatusExisting && s.Kind != model.KindFuelStation && s.Kind != model.KindCandidate {
			presence = append(presence, s.Location)
		}
	}
	found := false
	for _, k := range unserved {
		cl := c.Clusters[k]
		nearest := math.Inf(1)
		for _, p := range presence {
			nearest = math.Min(nearest, geo.Distance(cl.Location, p))
		}
		n := 0
		for _, p := range pings {
			if geo.Distance(cl.Location, orb.Point{p.Lng, p.Lat}) <= 300 {
				n++
			}
		}
		t.Logf("unserved %s: %d pings within 300 m, nearest presence site %.0f m", cl.Name, n, nearest)
		if nearest <= 1000 {
			t.Errorf("unserved cluster %s: presence site at %.0f m, want more than 1000 m", cl.Name, nearest)
		}
		if n >= 300 && nearest > 1000 {
			found = true
		}
	}
	if !found {
		t.Errorf("no unserved cluster with at least 300 pings within 300 m")
	}
}

func TestWorkRadius(t *testing.T) {
	c, pings := small(t)
	var medians []float64
	var dists []float64
	flush := func(r int) {
		if len(dists) >= 50 {
			medians = append(medians, median(dists))
		}
		dists = dists[:0]
	}
	idx := map[string]int{}
	for i, r := range c.Riders {
		idx[r.PlatformID] = i
	}
	cur := -1
	for _, p := range pings {
		r := idx[p.PlatformID]
		if c.Riders[r].Kind != KindFood {
			continue
		}
		if r != cur {
			flush(cur)
			cur = r
		}
		dists = append(dists, geo.Distance(c.Clusters[c.Riders[r].Home].Location, orb.Point{p.Lng, p.Lat}))
	}
	flush(cur)
	if m := median(medians); m < 1000 || m > 3500 {
		t.Errorf("median over riders of the median distance from home = %.0f m, want 1000–3500 m", m)
	} else {
		t.Logf("median distance from home: %.0f m over %d riders", m, len(medians))
	}
}

func TestPingsStopsAtError(t *testing.T) {
	c, _ := small(t)
	stop := errors.New("stop")
	n := 0
	err := c.Pings(func(RawPing) error {
		n++
		if n == 1000 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 1000 {
		t.Errorf("Pings = %v after %d calls, want %v after 1000", err, n, stop)
	}
}

type fc struct {
	Type     string `json:"type"`
	Features []struct {
		Type     string `json:"type"`
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

func readFC(t *testing.T, path, geomType string) fc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fc
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.Type != "FeatureCollection" {
		t.Errorf("%s: type %q, want FeatureCollection", path, f.Type)
	}
	for _, ft := range f.Features {
		if ft.Type != "Feature" || ft.Geometry.Type != geomType {
			t.Fatalf("%s: feature %q geometry %q, want Feature %s", path, ft.Type, ft.Geometry.Type, geomType)
		}
	}
	return f
}

func TestWriteFiles(t *testing.T) {
	c, pings := small(t)
	dir := filepath.Join(t.TempDir(), "city")
	paths, err := c.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{FileAreas, FileGrids, FileSitesJSON, FileSitesCSV, FilePings}
	if len(paths) != len(want) {
		t.Fatalf("paths = %v, want %v", paths, want)
	}
	for i, p := range paths {
		if filepath.Base(p) != want[i] {
			t.Errorf("path %d = %s, want %s", i, p, want[i])
		}
	}

	areas := readFC(t, paths[0], "MultiPolygon")
	if len(areas.Features) != len(c.Areas) {
		t.Errorf("areas.geojson: %d features, want %d", len(areas.Features), len(c.Areas))
	}
	for i, f := range areas.Features {
		a := c.Areas[i]
		if f.Properties["code"] != a.Code || f.Properties["level"] != string(a.Level) || f.Properties["parent_code"] != a.ParentCode || f.Properties["name_en"] != a.NameEn {
			t.Errorf("areas.geojson feature %d: properties %v, want area %s", i, f.Properties, a.Code)
		}
		var coords [][][][2]float64
		if err := json.Unmarshal(f.Geometry.Coordinates, &coords); err != nil {
			t.Fatal(err)
		}
		if got, want := len(coords[0][0]), len(a.Geometry[0][0]); got != want {
			t.Errorf("area %s: %d vertices, want %d", a.Code, got, want)
		}
		if p := coords[0][0][0]; math.Abs(p[0]-a.Geometry[0][0][0][0]) > 1e-7 || math.Abs(p[1]-a.Geometry[0][0][0][1]) > 1e-7 {
			t.Errorf("area %s: first vertex %v, want %v", a.Code, p, a.Geometry[0][0][0])
		}
	}
	grids := readFC(t, paths[1], "MultiPolygon")
	if len(grids.Features) != len(c.Grids) {
		t.Errorf("grids.geojson: %d features, want %d", len(grids.Features), len(c.Grids))
	}
	for i, f := range grids.Features {
		g := c.Grids[i]
		if f.Properties["code"] != g.Code || f.Properties["community_code"] != g.CommunityCode || f.Properties["target"] != float64(g.Target) || f.Properties["manager"] != g.Manager {
			t.Errorf("grids.geojson feature %d: properties %v, want grid %s", i, f.Properties, g.Code)
		}
	}
	sites := readFC(t, paths[2], "Point")
	if len(sites.Features) != len(c.Sites) {
		t.Errorf("sites.geojson: %d features, want %d", len(sites.Features), len(c.Sites))
	}
	for i, f := range sites.Features {
		s := c.Sites[i]
		am, _ := f.Properties["amenities"].([]any)
		if f.Properties["id"] != s.ExtID || f.Properties["kind"] != string(s.Kind) || f.Properties["capacity"] != float64(s.Capacity) || len(am) != len(s.Amenities) {
			t.Errorf("sites.geojson feature %d: properties %v, want site %s", i, f.Properties, s.ExtID)
		}
	}

	rows := readCSV(t, paths[3])
	if got, want := strings.Join(rows[0], ","), "id,kind,status,name,capacity,amenities,lat,lng"; got != want {
		t.Errorf("sites.csv header %q, want %q", got, want)
	}
	if len(rows)-1 != len(c.Sites) {
		t.Errorf("sites.csv: %d rows, want %d", len(rows)-1, len(c.Sites))
	}
	for i, row := range rows[1:] {
		s := c.Sites[i]
		lat, _ := strconv.ParseFloat(row[6], 64)
		if row[0] != s.ExtID || row[5] != strings.Join(s.Amenities, ";") || math.Abs(lat-s.Location[1]) > 1e-7 {
			t.Errorf("sites.csv row %d = %v, want site %s", i+1, row, s.ExtID)
		}
	}

	f, err := os.Open(paths[4])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	header, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(header, ","), "rider_id,platform,ts,lat,lng,status"; got != want {
		t.Errorf("pings.csv header %q, want %q", got, want)
	}
	n := 0
	for ; ; n++ {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(pings) {
			continue
		}
		p := pings[n]
		ts, err := time.Parse(time.RFC3339, row[2])
		lat, _ := strconv.ParseFloat(row[3], 64)
		lng, _ := strconv.ParseFloat(row[4], 64)
		if err != nil || !ts.Equal(p.Time) || row[0] != p.PlatformID || row[1] != p.Platform || lat != p.Lat || lng != p.Lng || row[5] != p.Status {
			t.Fatalf("pings.csv row %d = %v (%v), want %+v", n+1, row, err, p)
		}
		if n == 0 && (!strings.HasSuffix(row[2], "+08:00") || len(row[2]) != len("2026-11-02T11:32:05+08:00")) {
			t.Errorf("ts %q, want RFC 3339 with +08:00 and no fraction", row[2])
		}
	}
	if n != len(pings) {
		t.Errorf("pings.csv: %d rows, want %d", n, len(pings))
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*Params)
		wantErr string
	}{
		{"defaults", func(*Params) {}, ""},
		{"one rider", func(p *Params) { p.Riders = 1 }, ""},
		{"no riders", func(p *Params) { p.Riders = 0 }, "riders must be between 1 and 200000, got 0"},
		{"too many riders", func(p *Params) { p.Riders = 200001 }, "riders must be between 1 and 200000, got 200001"},
		{"no days", func(p *Params) { p.Days = 0 }, "days must be between 1 and 60, got 0"},
		{"too many days", func(p *Params) { p.Days = 61 }, "days must be between 1 and 60, got 61"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := DefaultParams()
			tc.edit(&p)
			err := p.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
			if tc.wantErr != "" {
				if _, err := Generate(p); err == nil {
					t.Errorf("Generate(%+v) succeeded, want an error", p)
				}
			}
		})
	}
}

func TestZeroStartDefaults(t *testing.T) {
	p := smallParams()
	p.Riders = 3
	p.Start = time.Time{}
	c, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	var first time.Time
	c.Pings(func(r RawPing) error {
		if first.IsZero() {
			first = r.Time
		}
		return nil
	})
	want := DefaultStart(time.Now(), p.Days)
	if y, m, d := first.In(cst).Date(); y != want.Year() || m != want.Month() || d != want.Day() {
		t.Errorf("first ping on %v, want %s (DefaultStart)", first, want.Format(time.DateOnly))
	}
}

// TestDefaultStart: the default demo starts on a Monday whole weeks before
// the current week (Asia/Shanghai), enough weeks for its days to end before
// it, so it stays within the retention of a fresh server.
func TestDefaultStart(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		now  string
		days int
		want string
	}{
		{"2026-12-02 10:00", 1, "2026-11-23"}, // a Wednesday: last week's Monday
		{"2026-12-02 10:00", 7, "2026-11-23"},
		{"2026-12-02 10:00", 8, "2026-11-16"}, // two weeks back for 8 days
		{"2026-12-02 10:00", 60, "2026-09-28"},
		{"2026-11-30 00:30", 7, "2026-11-23"}, // a Monday just after midnight in Shanghai
		{"2026-11-29 23:59", 7, "2026-11-16"}, // the Sunday before it
		{"2026-11-29 16:30", 7, "2026-11-23"}, // 00:30 Monday in Shanghai, given in UTC below
	} {
		now := at(c.now)
		if c.now == "2026-11-29 16:30" {
			now = time.Date(2026, 11, 29, 16, 30, 0, 0, time.UTC)
		}
		got := DefaultStart(now, c.days)
		if got.Format(time.DateOnly) != c.want || got.Weekday() != time.Monday {
			t.Errorf("DefaultStart(%s, %d) = %s, want Monday %s", now, c.days, got.Format(time.DateOnly), c.want)
		}
		if end := got.AddDate(0, 0, c.days); end.After(now) {
			t.Errorf("DefaultStart(%s, %d): the last day ends %s, after now", now, c.days, end)
		}
	}
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func BenchmarkGenerateDefault(b *testing.B) {
	p := DefaultParams()
	total := 0
	for b.Loop() {
		c, err := Generate(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Pings(func(RawPing) error { total++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "pings/s")
	b.ReportMetric(float64(total)/float64(b.N), "pings/op")
}

func TestServiceHours(t *testing.T) {
	p := DefaultParams()
	p.Riders, p.Days = 20, 1
	p.ServiceHours = "9-17"
	if _, err := Generate(p); err == nil {
		t.Fatal("bad service hours accepted")
	}
	p.ServiceHours = "09:00-17:00"
	c, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range c.Sites {
		if (s.Kind == model.KindServiceCenter) != (s.OpeningHours == "09:00-17:00") {
			t.Fatalf("site %s (%s) hours %q", s.ExtID, s.Kind, s.OpeningHours)
		}
		if s.OpeningHours != "" {
			n++
		}
	}
	dir := t.TempDir()
	if _, err := c.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileSitesCSV))
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _ := strings.Cut(string(b), "\n"); !strings.HasSuffix(first, ",opening_hours") || strings.Count(string(b), ",09:00-17:00") != n || n == 0 {
		t.Errorf("sites.csv header %q, %d service centres with hours", first, n)
	}
}
