package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/release"
)

// attackClient asks the server as one token.
type attackClient struct {
	t     *testing.T
	base  string
	token string
}

func (c attackClient) do(method, path, body string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// tile returns the activity tile at z around p for hours, as cell → props.
func (c attackClient) tile(z int, p orb.Point, hours string) map[string]map[string]float64 {
	c.t.Helper()
	tl := maptile.At(p, maptile.Zoom(z))
	path := fmt.Sprintf("/tiles/activity/%d/%d/%d.mvt", z, tl.X, tl.Y)
	if hours != "" {
		path += "?hours=" + url.QueryEscape(hours)
	}
	code, b := c.do("GET", path, "")
	out := map[string]map[string]float64{}
	if code == http.StatusNoContent {
		return out
	}
	if code != 200 {
		c.t.Fatalf("GET %s = %d %s", path, code, b)
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		c.t.Fatalf("tile %s: %v", path, err)
	}
	for _, l := range layers {
		for _, f := range l.Features {
			cell, _ := f.Properties["cell"].(string)
			props := map[string]float64{}
			for k, v := range f.Properties {
				switch x := v.(type) {
				case float64:
					props[k] = x
				case int64:
					props[k] = float64(x)
				case uint64:
					props[k] = float64(x)
				}
			}
			out[cell] = props
		}
	}
	return out
}

func (c attackClient) json(method, path, body string, v any) int {
	c.t.Helper()
	code, b := c.do(method, path, body)
	if code == 200 && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return code
}

type summaryRow struct {
	Code       string   `json:"code"`
	Parent     string   `json:"parent"`
	Riders     *float64 `json:"riders"`
	RiderHours *float64 `json:"rider_hours"`
	Suppressed bool     `json:"suppressed"`
}

type summaryResp struct {
	Rows  []summaryRow `json:"rows"`
	Other *summaryRow  `json:"other"`
}

func (c attackClient) summary(level, hours string) summaryResp {
	var s summaryResp
	if code := c.json("GET", "/api/summary?level="+level+"&hours="+url.QueryEscape(hours), "", &s); code != 200 {
		c.t.Fatalf("summary %s %s = %d", level, hours, code)
	}
	return s
}

// tally counts an attacker's estimates of figures of groups below k and
// how many land within ±0.5 of the truth.
type tally struct {
	tries, hits int
	byAttack    map[string][2]int
}

func (ta *tally) add(attack string, est, truth float64) {
	if ta.byAttack == nil {
		ta.byAttack = map[string][2]int{}
	}
	x := ta.byAttack[attack]
	x[0]++
	ta.tries++
	if math.Abs(est-truth) <= 0.5 {
		x[1]++
		ta.hits++
	}
	ta.byAttack[attack] = x
}

// TestAdversarialRelease replays the attacks of issue 12 against the demo
// city plus lone riders, as planner, leader and grid manager, over real
// HTTP: hours differencing (arbitrary hour lists are refused; differences
// of the lattice views), parent minus children at every zoom, street minus
// communities, district minus streets, the summary's other row, siting with
// cell centres and an added site with every existing site removed, gap
// zones and suppressed demand, per-hour coverage, and the difference of two
// successive releases. An attacker's estimate of a figure of a group below
// k may land within ±0.5 of the truth in at most 5% of tries; admins still
// see exact values.
func TestAdversarialRelease(t *testing.T) {
	f := newRoleFixture(t, "adv-")
	ctx := context.Background()
	st, ts, e := f.st, f.ts, f.env
	clients := map[string]attackClient{}
	for who, sec := range f.tokens {
		clients[who] = attackClient{t: t, base: ts.URL, token: sec}
	}
	admin := clients["admin"]

	// Lone riders: three at spots with no activity, three in busy cells,
	// each pinging every 30 s at one spot from 21:00 to 24:00 (night).
	d, err := release.LoadDomain(ctx, st)
	if err != nil || d == nil {
		t.Fatalf("domain: %v", err)
	}
	var quiet, busy []int64
	active := map[int64]int64{}
	rows, err := st.Pool.Query(ctx, `SELECT cell, riders FROM hex_activity WHERE res = 9 AND how = -1`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c, n int64
		_ = rows.Scan(&c, &n)
		active[c] = n
	}
	rows.Close()
	for i, c := range d.Cells {
		if d.Area[2][i] < 0 {
			continue // outside every community
		}
		n, ok := active[c]
		switch {
		case !ok && len(quiet) < 3 && i%3 == 0:
			quiet = append(quiet, c)
		case ok && n >= 20 && len(busy) < 3 && i%5 == 0:
			busy = append(busy, c)
		}
	}
	targets := append(append([]int64{}, quiet...), busy...)
	if len(targets) < 4 {
		t.Fatalf("found only %d places for lone riders", len(targets))
	}
	// What a planner saw before the lone riders (for the release difference).
	planner := clients["planner"]
	before := map[int64][2]map[string]map[string]float64{}
	for _, c := range targets {
		p := geo.CellCenter(geo.Cell(c))
		before[c] = [2]map[string]map[string]float64{planner.tile(12, p, ""), planner.tile(12, p, "night")}
	}
	// /api/meta and /api/me before the lone riders: outside the admin role
	// no exact count of riders or pings (each import's difference would
	// count the riders it added), only released metrics, no arbitrary hours.
	type metaResp struct {
		Counts map[string]int64 `json:"counts"`
		Period *struct {
			From, To string
			Days     int
			Weekdays []int
		} `json:"period"`
		Enums struct {
			Metrics []struct {
				ID string `json:"id"`
			} `json:"metrics"`
		} `json:"enums"`
	}
	metaBefore := map[string]metaResp{}
	for _, who := range []string{"admin", "planner", "leader", "gm"} {
		var m metaResp
		if code := clients[who].json("GET", "/api/meta", "", &m); code != http.StatusOK {
			t.Fatalf("%s: /api/meta = %d", who, code)
		}
		metaBefore[who] = m
	}
	var lines []string
	for i, c := range targets {
		p := geo.CellCenter(geo.Cell(c))
		start := time.Date(2026, 11, 2, 21, 0, 0, 0, time.FixedZone("CST", 8*3600))
		for k := range 3 * 120 {
			lines = append(lines, fmt.Sprintf("lone-%d,%s,%.6f,%.6f", i, start.Add(time.Duration(k)*30*time.Second).Format(time.RFC3339), p[1], p[0]))
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lone.csv")
	if err := os.WriteFile(path, []byte("rider_id,ts,lat,lng\n"+strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pz, _ := ingest.NewPseudonymizer([]byte("adversarial-test-secret-0123456789"))
	l := &ingest.Loader{Store: st, Pseudo: pz, Activity: activity.DefaultSettings()}
	if _, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings, CRS: geo.WGS84, RejectsDir: dir}); err != nil {
		t.Fatal(err)
	}
	if err := publishRelease(ctx, e, st, io.Discard); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the server rechecks the release version each second

	// Admins see the lone riders exactly.
	for _, c := range quiet {
		p := geo.CellCenter(geo.Cell(c))
		got := admin.tile(12, p, "21-23")[geo.Cell(c).String()]
		if got["riders"] != 1 || math.Abs(got["rider_hours"]-3) > 0.02 {
			t.Errorf("admin sees lone cell %x at 21–23 as %v, want 1 rider and 3 rider-hours", c, got)
		}
	}

	// /api/meta after the lone riders: admins count them exactly; others see
	// the same counts and period as before, and no pings or dwell metric.
	for who, mb := range metaBefore {
		var m metaResp
		clients[who].json("GET", "/api/meta", "", &m)
		var metrics []string
		for _, x := range m.Enums.Metrics {
			metrics = append(metrics, x.ID)
		}
		var me struct {
			Capabilities []string `json:"capabilities"`
		}
		clients[who].json("GET", "/api/me", "", &me)
		if who == "admin" {
			if m.Counts["riders"]-mb.Counts["riders"] != int64(len(targets)) || !slices.Contains(metrics, "pings") || !slices.Contains(me.Capabilities, "hours.arbitrary") {
				t.Errorf("admin /api/meta riders %d → %d (want +%d), metrics %v, capabilities %v", mb.Counts["riders"], m.Counts["riders"], len(targets), metrics, me.Capabilities)
			}
			continue
		}
		_, hasR := m.Counts["riders"]
		_, hasP := m.Counts["pings"]
		if hasR || hasP || !maps.Equal(m.Counts, mb.Counts) || m.Period == nil || mb.Period == nil || m.Period.From != mb.Period.From || m.Period.To != mb.Period.To || m.Period.Days != mb.Period.Days {
			t.Errorf("%s: /api/meta counts %v period %+v, before %v %+v: want no riders or pings and no change", who, m.Counts, m.Period, mb.Counts, mb.Period)
		}
		// The period is the released days: the demo's one day, Monday 2026-11-02.
		if p := m.Period; p == nil || p.From != "2026-11-02" || p.To != "2026-11-02" || p.Days != 1 || !slices.Equal(p.Weekdays, []int{1}) {
			t.Errorf("%s: /api/meta period %+v, want the released day 2026-11-02 (a Monday)", who, p)
		}
		if !slices.Equal(metrics, []string{"rider_hours", "riders"}) {
			t.Errorf("%s: /api/meta metrics %v, want only the released rider_hours and riders", who, metrics)
		}
		if slices.Contains(me.Capabilities, "hours.arbitrary") {
			t.Errorf("%s: /api/me capabilities %v list hours.arbitrary, which the release refuses", who, me.Capabilities)
		}
	}

	// Arbitrary hours and per-hour figures are refused outside the admin role.
	for _, who := range []string{"planner", "leader", "gm"} {
		c := clients[who]
		for _, h := range []string{"0-26,30-167", "21-23", "5", "night,lunch"} {
			if code, b := c.do("GET", "/tiles/activity/12/3430/1673.mvt?hours="+url.QueryEscape(h), ""); code != http.StatusForbidden || !strings.Contains(string(b), "weekday") {
				t.Errorf("%s: hours=%s = %d %s, want 403 listing the views", who, h, code, b)
			}
			if code, _ := c.do("GET", "/api/gaps?hours="+url.QueryEscape(h), ""); code != http.StatusForbidden {
				t.Errorf("%s: /api/gaps?hours=%s = %d, want 403", who, h, code)
			}
		}
		var hc struct {
			Ranges []struct{ Name string } `json:"ranges"`
		}
		c.json("GET", "/api/coverage/hours", "", &hc)
		for _, r := range hc.Ranges {
			if strings.HasPrefix(r.Name, "how:") {
				t.Errorf("%s sees per-hour coverage row %s", who, r.Name)
				break
			}
		}
		if code, _ := c.do("GET", "/tiles/activity/12/3430/1673.mvt?metric=pings", ""); code != http.StatusBadRequest {
			t.Errorf("%s: metric=pings = %d, want 400", who, code)
		}
	}

	var ta tally
	views := []string{"", "breakfast", "lunch", "dinner", "night", "peak", "weekday", "night:weekday"}
	for _, who := range []string{"planner", "leader", "gm"} {
		c := clients[who]
		for _, cell := range targets {
			hexc := geo.Cell(cell).String()
			p := geo.CellCenter(geo.Cell(cell))
			truth := admin.tile(12, p, "night")[hexc] // the night group in the cell
			if truth["riders"] >= 5 {
				continue // not a group below k
			}
			tRH, tR := truth["rider_hours"], truth["riders"]
			if who == "planner" {
				t.Logf("target %x: exact night group %v", cell, truth)
			}
			vt := map[string]map[string]map[string]float64{}
			for _, v := range views {
				vt[v] = c.tile(12, p, v)
			}
			val := func(v, fig string) float64 { return vt[v][hexc][fig] }
			for _, fig := range []string{"rider_hours", "riders"} {
				tr := tR
				if fig == "rider_hours" {
					tr = tRH
				}
				// Direct, at res 9 and at z14 (res 10 is not released).
				ta.add("direct z12", val("night", fig), tr)
				ta.add("direct z14", c.tile(14, p, "night")[hexc][fig], tr)
				// Hours differencing over the lattice.
				ta.add("all-b-l-d", val("", fig)-val("breakfast", fig)-val("lunch", fig)-val("dinner", fig), tr)
				ta.add("peak-lunch", val("peak", fig)-val("lunch", fig)-val("dinner", fig)+val("night", fig), tr)
				ta.add("weekday-night:weekday", val("weekday", fig)-val("", fig)+val("night:weekday", fig), tr)
				// Parent minus children: res 8 − shown res 9, res 7 − shown res 8.
				p8 := geo.CellParent(geo.Cell(cell), 8)
				z11 := c.tile(11, p, "night")
				est := z11[p8.String()][fig]
				for _, ch := range children(t, p8, 9) {
					if ch == geo.Cell(cell) {
						continue
					}
					est -= c.tile(12, geo.CellCenter(ch), "night")[ch.String()][fig]
				}
				ta.add("res8-res9", est, tr)
				p7 := geo.CellParent(geo.Cell(cell), 7)
				est = c.tile(10, p, "night")[p7.String()][fig]
				for _, ch := range children(t, p7, 8) {
					if ch != p8 {
						est -= c.tile(11, geo.CellCenter(ch), "night")[ch.String()][fig]
					}
				}
				ta.add("res7-res8", est, tr)
				// Two successive releases.
				ta.add("release diff night", val("night", fig)-before[cell][1][hexc][fig], tr)
				ta.add("release diff all", val("", fig)-before[cell][0][hexc][fig], tr)
			}
		}
		// Areas: street − communities, district − streets, the other row,
		// for areas whose night group is below k.
		for _, lv := range [][2]string{{"street", "community"}, {"district", "street"}} {
			exact := admin.summary(lv[1], "night")
			parents := c.summary(lv[0], "night")
			kids := c.summary(lv[1], "night")
			for _, er := range exact.Rows {
				if er.Riders == nil || *er.Riders >= 5 {
					continue
				}
				for _, pr := range parents.Rows {
					if pr.Code != er.Parent || pr.Suppressed {
						continue
					}
					estRH, estR := *pr.RiderHours, *pr.Riders
					for _, kr := range kids.Rows {
						if kr.Parent == pr.Code && kr.Code != er.Code && !kr.Suppressed {
							estRH -= *kr.RiderHours
							estR -= *kr.Riders
						}
					}
					ta.add(lv[0]+"-"+lv[1]+"s", estRH, *er.RiderHours)
					ta.add(lv[0]+"-"+lv[1]+"s", estR, *er.Riders)
				}
				if kids.Other != nil && kids.Other.RiderHours != nil {
					ta.add("other row", *kids.Other.RiderHours, *er.RiderHours)
				}
			}
		}
		// Gap zones: the zone at a lone cell, and suppressed demand.
		var gaps struct {
			SuppressedDemand float64 `json:"suppressed_demand"`
			Features         []struct {
				ID         string                   `json:"id"`
				Properties struct{ Demand float64 } `json:"properties"`
			} `json:"features"`
		}
		if code := c.json("GET", "/api/gaps?hours=night&limit=500", "", &gaps); code != 200 {
			t.Fatalf("%s: gaps = %d", who, code)
		}
		for _, cell := range targets {
			truth := admin.tile(12, geo.CellCenter(geo.Cell(cell)), "night")[geo.Cell(cell).String()]
			if truth["riders"] >= 5 {
				continue
			}
			est := gaps.SuppressedDemand
			for _, f := range gaps.Features {
				if f.ID == fmt.Sprintf("%x", cell) {
					est = f.Properties.Demand
				}
			}
			ta.add("gap zone", est, truth["rider_hours"])
		}
		if who == "gm" {
			if code, _ := c.do("POST", "/api/siting", `{"k":1}`); code != http.StatusForbidden {
				t.Errorf("grid manager siting = %d, want 403", code)
			}
			continue
		}
		// Siting as an oracle.
		var presence []string
		prow, err := st.Pool.Query(ctx, `SELECT ext_id FROM sites WHERE status = 'existing' AND kind IN ('service_center', 'rest_station', 'fuel_station', 'branch')`)
		if err != nil {
			t.Fatal(err)
		}
		for prow.Next() {
			var id string
			_ = prow.Scan(&id)
			presence = append(presence, id)
		}
		prow.Close()
		removeAll, _ := json.Marshal(presence)
		type pick struct {
			ID   string  `json:"id"`
			Gain float64 `json:"gain"`
		}
		var sres struct {
			Picks []pick `json:"picks"`
		}
		if code := c.json("POST", "/api/siting", `{"k":1,"hours":"night","cell_centres":true}`, &sres); code != 200 {
			t.Fatalf("%s: siting = %d", who, code)
		}
		for _, cell := range targets {
			p := geo.CellCenter(geo.Cell(cell))
			truth := admin.tile(12, p, "night")[geo.Cell(cell).String()]
			if truth["riders"] >= 5 {
				continue
			}
			est := 0.0
			for _, pk := range sres.Picks {
				if pk.ID == "cell:"+geo.Cell(cell).String() {
					est = pk.Gain
				}
			}
			ta.add("siting cell centre", est, truth["rider_hours"])
			var one struct {
				Picks []pick `json:"picks"`
			}
			body := fmt.Sprintf(`{"k":1,"hours":"night","add":[{"lng":%f,"lat":%f,"kind":"rest_station"}],"remove":%s}`, p[0], p[1], removeAll)
			if code, b := c.do("POST", "/api/siting", body); code != 200 {
				t.Fatalf("%s: siting with an added site = %d %s", who, code, b)
			} else if err := json.Unmarshal(b, &one); err != nil {
				t.Fatal(err)
			}
			if len(one.Picks) > 0 {
				ta.add("siting add+remove", one.Picks[0].Gain, truth["rider_hours"])
			}
		}
	}
	var parts []string
	for a, x := range ta.byAttack {
		parts = append(parts, fmt.Sprintf("%s %d/%d", a, x[1], x[0]))
	}
	t.Logf("attacks (hits within ±0.5 / tries): %s", strings.Join(parts, ", "))
	t.Logf("total: %d of %d tries within ±0.5 of the truth (%.1f%%)", ta.hits, ta.tries, 100*float64(ta.hits)/float64(max(1, ta.tries)))
	if ta.tries < 100 {
		t.Errorf("only %d tries; the suite lost its targets", ta.tries)
	}
	if float64(ta.hits) > 0.05*float64(ta.tries) {
		t.Errorf("%d of %d estimates of groups below k within ±0.5 of the truth, want at most 5%%", ta.hits, ta.tries)
	}
}

func children(t *testing.T, c geo.Cell, res int) []geo.Cell {
	t.Helper()
	cs, err := h3.Cell(c).Children(res)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]geo.Cell, len(cs))
	for i, x := range cs {
		out[i] = geo.Cell(x)
	}
	return out
}
