package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// TestFiguresPeopleRead checks, over HTTP on the demo city, the figures
// issue 13 asks to be truthful: distinct riders at every level (never more
// than the riders in the data), the days a view spans, a grid manager's
// scope by name and his search limited to it, and a grid's real outline.
func TestFiguresPeopleRead(t *testing.T) {
	f := newRoleFixture(t, "fig-")
	ctx := context.Background()
	st, ts, tokens, inStreet := f.st, f.ts, f.tokens, f.inStreet
	var streetName, outGrid string
	var ridersInData int64
	if err := st.Pool.QueryRow(ctx, `SELECT name FROM admin_areas WHERE code = $1`, inStreet).Scan(&streetName); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool.QueryRow(ctx, `SELECT code FROM grids WHERE street_code <> $1 ORDER BY code LIMIT 1`, inStreet).Scan(&outGrid); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM riders`).Scan(&ridersInData); err != nil {
		t.Fatal(err)
	}
	getJSON := func(t *testing.T, who, path string, out any) {
		t.Helper()
		if err := json.Unmarshal(call(t, "GET", ts.URL+path, tokens[who], ""), out); err != nil {
			t.Fatalf("GET %s as %s: %v", path, who, err)
		}
	}

	t.Run("distinct riders at every level", func(t *testing.T) {
		type row struct {
			Code   string `json:"code"`
			Riders *int64 `json:"riders"`
		}
		type summary struct {
			Riders           *int64  `json:"riders"`
			Days             int     `json:"days"`
			RiderHours       float64 `json:"rider_hours"`
			RiderHoursPerDay float64 `json:"rider_hours_per_day"`
			Rows             []row   `json:"rows"`
		}
		for _, hours := range []string{"", "lunch", "weekday"} {
			var district *int64
			for _, level := range []string{"district", "street", "community"} {
				var s summary
				getJSON(t, "admin", "/api/summary?metric=riders&level="+level+"&hours="+url.QueryEscape(hours), &s)
				if s.Riders == nil || *s.Riders <= 0 || *s.Riders > ridersInData {
					t.Fatalf("%s %q: view riders %v, riders in the data %d", level, hours, s.Riders, ridersInData)
				}
				if s.Days != 1 || s.RiderHoursPerDay != s.RiderHours {
					t.Errorf("%s %q: %d days, rider-hours %.1f per day %.1f on one day of data", level, hours, s.Days, s.RiderHours, s.RiderHoursPerDay)
				}
				for _, r := range s.Rows {
					if r.Riders != nil && *r.Riders > *s.Riders {
						t.Errorf("%s %s %q: %d riders, the view holds %d", level, r.Code, hours, *r.Riders, *s.Riders)
					}
				}
				if level == "district" {
					if len(s.Rows) != 1 || s.Rows[0].Riders == nil || *s.Rows[0].Riders > ridersInData {
						t.Fatalf("district rows %+v", s.Rows)
					}
					district = s.Rows[0].Riders
				} else {
					for _, r := range s.Rows {
						if r.Riders != nil && *r.Riders > *district {
							t.Errorf("%s %s %q: %d riders, its district %d", level, r.Code, hours, *r.Riders, *district)
						}
					}
				}
			}
		}
		// Weekends hold no data in a Monday load: 0 days, not 0%.
		var s summary
		getJSON(t, "leader", "/api/summary?level=street&hours=weekend", &s)
		if s.Days != 0 || s.RiderHours != 0 {
			t.Errorf("weekend as leader: %d days, %.1f rider-hours", s.Days, s.RiderHours)
		}
		getJSON(t, "leader", "/api/summary?level=street", &s)
		if s.Days != 1 {
			t.Errorf("whole week as leader: %d released days, want 1", s.Days)
		}
	})

	t.Run("date range from the per-day release", func(t *testing.T) {
		type summary struct {
			Released   bool    `json:"released"`
			Days       int     `json:"days"`
			RiderHours float64 `json:"rider_hours"`
			Riders     *int64  `json:"riders"`
		}
		var day string
		if err := st.Pool.QueryRow(ctx, `SELECT min(day)::text FROM rider_days`).Scan(&day); err != nil {
			t.Fatal(err)
		}
		var whole, ranged, adminRanged, none summary
		getJSON(t, "leader", "/api/summary?level=street", &whole)
		getJSON(t, "leader", "/api/summary?level=street&from="+day+"&to="+day, &ranged)
		getJSON(t, "admin", "/api/summary?level=street&from="+day+"&to="+day, &adminRanged)
		getJSON(t, "leader", "/api/summary?level=street&from=2030-01-01&to=2030-01-31", &none)
		if !ranged.Released || ranged.Days != 1 || ranged.RiderHours != whole.RiderHours || ranged.RiderHours <= 0 {
			t.Errorf("the data's one day as a range: %+v, the whole release %+v", ranged, whole)
		}
		if !adminRanged.Released || adminRanged.RiderHours != ranged.RiderHours {
			t.Errorf("an admin's range reads the release, marked so: %+v", adminRanged)
		}
		if none.Days != 0 || none.RiderHours != 0 {
			t.Errorf("a range without data: %+v", none)
		}
		for _, q := range []string{"from=" + day, "from=2026-11-09&to=2026-11-01", "from=x&to=y", "from=2020-01-01&to=2026-01-01"} {
			req, _ := http.NewRequest("GET", ts.URL+"/api/summary?level=street&"+q, nil)
			req.Header.Set("Authorization", "Bearer "+tokens["leader"])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 400 {
				t.Errorf("%s: %d, want 400", q, res.StatusCode)
			}
		}
	})

	t.Run("scope by name, search within it", func(t *testing.T) {
		var me struct {
			Scope      []string                     `json:"scope"`
			ScopeNames map[string]map[string]string `json:"scope_names"`
		}
		getJSON(t, "gm", "/api/me", &me)
		if got := me.ScopeNames["street:"+inStreet]["name"]; got != streetName {
			t.Errorf("scope_names = %v, want street:%s → %s", me.ScopeNames, inStreet, streetName)
		}
		var gs struct {
			Grids []struct {
				Code       string `json:"code"`
				StreetCode string `json:"street_code"`
			} `json:"grids"`
		}
		getJSON(t, "gm", "/api/grids?limit=200", &gs)
		if len(gs.Grids) == 0 {
			t.Fatal("a grid manager finds no grid of his street")
		}
		for _, g := range gs.Grids {
			if g.StreetCode != inStreet {
				t.Errorf("grid manager of %s is offered %s of %s", inStreet, g.Code, g.StreetCode)
			}
		}
		getJSON(t, "gm", "/api/grids?q="+url.QueryEscape(outGrid), &gs)
		if len(gs.Grids) != 0 {
			t.Errorf("search for %s outside the scope offers %v", outGrid, gs.Grids)
		}
		getJSON(t, "leader", "/api/grids?q="+url.QueryEscape(outGrid), &gs)
		if len(gs.Grids) != 1 {
			t.Errorf("a leader's search for %s finds %d grids", outGrid, len(gs.Grids))
		}
	})

	t.Run("grid outline", func(t *testing.T) {
		var d struct {
			Grid struct {
				Code     string `json:"code"`
				Geometry struct {
					Type        string `json:"type"`
					Coordinates any    `json:"coordinates"`
				} `json:"geometry"`
			} `json:"grid"`
		}
		getJSON(t, "admin", "/api/grids/"+url.PathEscape(outGrid), &d)
		if d.Grid.Code != outGrid || d.Grid.Geometry.Type != "MultiPolygon" || d.Grid.Geometry.Coordinates == nil {
			t.Errorf("grid %s: %+v", outGrid, d.Grid)
		}
	})
}

// TestDemoServiceHours: `hexcover demo --service-hours` loads every
// 党群服务中心 with those opening hours, and a bad value is a usage error.
func TestDemoServiceHours(t *testing.T) {
	dbURL := dbtest.NewURL(t)
	if _, stderr, code := hexcover(t, []string{"DATABASE_URL=" + dbURL}, "demo", "--riders", "50", "--days", "1", "--service-hours", "9-17"); code != 2 {
		t.Fatalf("bad hours: exit %d, %s", code, stderr)
	}
	if _, stderr, code := hexcover(t, []string{"DATABASE_URL=" + dbURL}, "demo", "--riders", "50", "--days", "1", "--service-hours", "09:00-17:00"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var centres, withHours, others int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'service_center'),
		count(*) FILTER (WHERE kind = 'service_center' AND opening_hours = '09:00-17:00'),
		count(*) FILTER (WHERE kind <> 'service_center' AND opening_hours <> '') FROM sites`).Scan(&centres, &withHours, &others); err != nil {
		t.Fatal(err)
	}
	if centres == 0 || withHours != centres || others != 0 {
		t.Errorf("%d service centres, %d with the hours, %d other sites with hours", centres, withHours, others)
	}
}
