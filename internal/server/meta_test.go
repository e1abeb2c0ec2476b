package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
)

// TestMeAndMeta: /api/me lists the viewer's capabilities; /api/meta carries
// the enumerations and the period of the loaded data (null when empty).
func TestMeAndMeta(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	tokens := map[string]string{}
	for _, role := range model.Roles {
		sec, _ := store.NewTokenSecret()
		var scope []string
		if role == model.RoleGridManager {
			scope = []string{"street:S1"}
		}
		if _, err := st.CreateToken(ctx, "t-"+role, role, scope, sec); err != nil {
			t.Fatal(err)
		}
		tokens[role] = sec
	}
	srv := server.New(config.Default(), st, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	get := func(path, role string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens[role])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET %s as %s = %d", path, role, res.StatusCode)
		}
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}

	want := map[string][]string{
		"admin":        {"siting", "scenarios.write", "candidates", "assignments", "roster", "rider_range", "audit", "unsuppressed", "hours.arbitrary"},
		"planner":      {"siting", "scenarios.write", "hours.arbitrary"},
		"leader":       {"siting", "hours.arbitrary"},
		"grid_manager": {"candidates", "assignments", "roster", "hours.arbitrary"},
	}
	for role, caps := range want {
		var me struct {
			Name         string   `json:"name"`
			Role         string   `json:"role"`
			Scope        []string `json:"scope"`
			Capabilities []string `json:"capabilities"`
		}
		get("/api/me", role, &me)
		if me.Role != role || me.Name != "t-"+role || !slices.Equal(me.Capabilities, caps) {
			t.Errorf("/api/me as %s = %+v, want capabilities %v", role, me, caps)
		}
	}

	type item struct {
		ID       string  `json:"id"`
		Zh       string  `json:"zh"`
		En       string  `json:"en"`
		Presence *bool   `json:"presence"`
		RadiusM  float64 `json:"radius_m"`
		Hours    []int   `json:"hours"`
		Demand   *bool   `json:"demand"`
		Unit     *struct{ Zh, En string }
	}
	var meta struct {
		Period *struct {
			From, To string
			Days     int
			Weekdays []int
		} `json:"period"`
		Enums map[string][]item `json:"enums"`
	}
	get("/api/meta", "leader", &meta)
	if meta.Period != nil {
		t.Errorf("period of an empty database = %+v, want null", meta.Period)
	}
	for _, k := range []string{"roles", "site_kinds", "site_statuses", "area_levels", "metrics", "hour_ranges"} {
		if len(meta.Enums[k]) == 0 {
			t.Errorf("enums.%s is empty", k)
		}
		for _, it := range meta.Enums[k] {
			if it.ID == "" || it.Zh == "" || it.En == "" {
				t.Errorf("enums.%s item %+v lacks an id or a name", k, it)
			}
		}
	}
	kinds := map[string]item{}
	for _, it := range meta.Enums["site_kinds"] {
		kinds[it.ID] = it
	}
	if sc := kinds["service_center"]; sc.Presence == nil || !*sc.Presence || sc.RadiusM != 1000 {
		t.Errorf("service_center = %+v, want presence with 1000 m", sc)
	}
	if c := kinds["candidate"]; c.Presence == nil || *c.Presence || c.RadiusM != 500 {
		t.Errorf("candidate = %+v, want no presence and the rest-station radius", c)
	}
	for _, m := range meta.Enums["metrics"] {
		if m.Demand == nil || m.Unit == nil || m.Unit.Zh == "" || *m.Demand != (m.ID == "rider_hours" || m.ID == "riders") {
			t.Errorf("metric %+v", m)
		}
	}
	if h := meta.Enums["hour_ranges"][0]; h.ID != "breakfast" || !slices.Equal(h.Hours, []int{7, 8, 9}) {
		t.Errorf("first hour range = %+v", h)
	}

	// Local dates of the data: a Monday and a Wednesday.
	if _, err := st.Pool.Exec(ctx, `INSERT INTO rider_days (rider, day, pings) VALUES (1, '2026-11-02', 5), (2, '2026-11-02', 1), (1, '2026-11-04', 3)`); err != nil {
		t.Fatal(err)
	}
	get("/api/meta", "leader", &meta)
	if p := meta.Period; p == nil || p.From != "2026-11-02" || p.To != "2026-11-04" || p.Days != 2 || !slices.Equal(p.Weekdays, []int{1, 3}) {
		t.Errorf("period = %+v, want 2026-11-02..2026-11-04, 2 days, weekdays [1 3]", p)
	}
}
