package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
)

func TestViewerCanGrid(t *testing.T) {
	cases := []struct {
		v                       model.Viewer
		code, street, community string
		want                    bool
	}{
		{model.Viewer{Role: "admin"}, "G1", "S1", "C1", true},
		{model.Viewer{Role: "planner"}, "G1", "S1", "C1", false},
		{model.Viewer{Role: "leader"}, "G1", "S1", "C1", false},
		{model.Viewer{Role: "grid_manager", Scope: []string{"G1"}}, "G1", "S1", "C1", true},
		{model.Viewer{Role: "grid_manager", Scope: []string{"G1"}}, "G2", "S1", "C1", false},
		{model.Viewer{Role: "grid_manager", Scope: []string{"street:S1"}}, "G2", "S1", "C1", true},
		{model.Viewer{Role: "grid_manager", Scope: []string{"street:S1"}}, "G3", "S2", "C9", false},
		{model.Viewer{Role: "grid_manager", Scope: []string{"community:C1"}}, "G2", "S1", "C1", true},
		{model.Viewer{Role: "grid_manager", Scope: []string{"street:"}}, "G2", "", "", false},
	}
	for _, c := range cases {
		if got := c.v.CanGrid(c.code, c.street, c.community); got != c.want {
			t.Errorf("%+v.CanGrid(%s, %s, %s) = %v, want %v", c.v, c.code, c.street, c.community, got, c.want)
		}
	}
}

func TestAuthRoles(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	tokens := map[string]string{}
	for _, role := range model.Roles {
		sec, _ := store.NewTokenSecret()
		var scope []string
		if role == "grid_manager" {
			scope = []string{"G1"}
		}
		if _, err := st.CreateToken(ctx, "t-"+role, role, scope, sec); err != nil {
			t.Fatal(err)
		}
		tokens[role] = sec
	}
	if _, err := st.CreateToken(ctx, "x", "grid_manager", nil, "s"); err == nil {
		t.Error("grid_manager token without scope accepted")
	}
	if _, err := st.CreateToken(ctx, "x", "king", nil, "s"); err == nil {
		t.Error("unknown role accepted")
	}
	ok := func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.WriteJSON(w, 200, httpkit.ViewerFrom(r.Context()))
	}
	cfg := config.Default()
	srv := server.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{},
		httpkit.Route{Pattern: "GET /api/plan", Name: "plan", Handler: ok, Roles: []string{"admin", "planner"}},
		httpkit.Route{Pattern: "GET /api/any", Name: "any", Handler: ok},
		httpkit.Route{Pattern: "GET /api/open", Name: "open", Handler: ok, Public: true},
	)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	do := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	want := map[string]map[string]int{
		"/api/plan": {"": 401, "bogus": 401, "admin": 200, "planner": 200, "leader": 403, "grid_manager": 403},
		"/api/any":  {"": 401, "bogus": 401, "admin": 200, "planner": 200, "leader": 200, "grid_manager": 200},
		"/api/open": {"": 200, "bogus": 200, "admin": 200},
		"/api/meta": {"": 401, "leader": 200},
	}
	for path, byRole := range want {
		for role, code := range byRole {
			tok := tokens[role]
			if role == "bogus" {
				tok = "hxc_nope"
			}
			got, body := do(path, tok)
			if got != code {
				t.Errorf("GET %s as %q = %d %s, want %d", path, role, got, body, code)
			}
			if got == 403 && (strings.Contains(body, "G1") || !strings.Contains(body, `"error"`)) {
				t.Errorf("403 body %s should be a JSON error saying nothing about the data", body)
			}
		}
	}
	// The viewer reaches the handler.
	if _, body := do("/api/any", tokens["grid_manager"]); !strings.Contains(body, `"role":"grid_manager"`) || !strings.Contains(body, "G1") {
		t.Errorf("viewer = %s", body)
	}
	// Login sets a cookie that authenticates later requests.
	res, err := http.Post(ts.URL+"/api/login", "application/json", strings.NewReader(`{"token":"`+tokens["leader"]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == server.CookieName {
			cookie = c
		}
	}
	if res.StatusCode != 200 || cookie == nil || !cookie.HttpOnly {
		t.Fatalf("login = %d, cookie %+v", res.StatusCode, cookie)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/me", nil)
	req.AddCookie(cookie)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"leader"`) {
		t.Errorf("/api/me with cookie = %d %s", res.StatusCode, b)
	}
	res, _ = http.Post(ts.URL+"/api/login", "application/json", strings.NewReader(`{"token":"wrong"}`))
	if res.StatusCode != 401 {
		t.Errorf("login with a wrong token = %d, want 401", res.StatusCode)
	}
	res.Body.Close()
	res, _ = http.Post(ts.URL+"/api/login", "application/json", strings.NewReader(`{"token":"x","extra":1}`))
	if res.StatusCode != 400 {
		t.Errorf("login with an unknown field = %d, want 400", res.StatusCode)
	}
	res.Body.Close()

	// A revoked token stops working (after the short lookup cache).
	if err := st.RevokeToken(ctx, "t-planner"); err != nil {
		t.Fatal(err)
	}
	srv2 := server.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)), fstest.MapFS{},
		httpkit.Route{Pattern: "GET /api/plan", Name: "plan", Handler: ok, Roles: []string{"admin", "planner"}})
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api/plan", nil)
	r.Header.Set("Authorization", "Bearer "+tokens["planner"])
	srv2.Handler().ServeHTTP(rec, r)
	if rec.Code != 401 {
		t.Errorf("revoked token = %d, want 401", rec.Code)
	}
}
