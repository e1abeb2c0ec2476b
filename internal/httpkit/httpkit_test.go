package httpkit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
)

// TestStatusTable is the error → status table of docs/ARCHITECTURE.md.
func TestStatusTable(t *testing.T) {
	want := map[errs.Kind]int{
		errs.Other: 500, errs.Invalid: 400, errs.Unauthenticated: 401, errs.Forbidden: 403, errs.NotFound: 404,
		errs.MethodNotAllowed: 405, errs.Conflict: 409, errs.TooLarge: 413, errs.Unsupported: 415,
		errs.RateLimited: 429, errs.Unavailable: 503, errs.Timeout: 503, errs.Canceled: 499, errs.SlowRequest: 408, errs.Internal: 500,
	}
	for k := errs.Other; k <= errs.Internal; k++ {
		w, ok := want[k]
		if !ok {
			t.Errorf("kind %v has no row in the table", k)
			continue
		}
		if got := httpkit.Status(k); got != w {
			t.Errorf("Status(%v) = %d, want %d", k, got, w)
		}
	}
}

func TestWriteError(t *testing.T) {
	dbText := `ERROR: canceling statement due to statement timeout (SQLSTATE 57014)`
	cases := []struct {
		err        error
		code       int
		msg, retry string
	}{
		{errs.E(errs.Timeout, errors.New(dbText)), 503, "query took too long; narrow the request or retry", "5"},
		{errs.E(errs.Unavailable, "tile server busy; retry shortly", time.Second), 503, "tile server busy; retry shortly", "1"},
		{errs.E(errs.Unavailable, "half a second", 500*time.Millisecond), 503, "half a second", "1"},
		{errors.New(dbText), 500, "internal error", ""},
		{errs.Errorf(errs.Invalid, "k = %d: want 1 to 200", 0), 400, "k = 0: want 1 to 200", ""},
		{errs.E(errs.RateLimited), 429, "too many requests; retry shortly", "5"},
		// Canceled while the client is still there (not by it): retry.
		{errs.E(errs.Canceled, context.Canceled), 503, "the work was cancelled; retry", "1"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		rec.Header().Set("ETag", `"x"`)
		rec.Header().Set("Content-Encoding", "gzip")
		httpkit.WriteError(rec, httptest.NewRequest("GET", "/", nil), c.err)
		var body httpkit.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q is not JSON", c.err, rec.Body)
		}
		if rec.Code != c.code || body.Error != c.msg || rec.Header().Get("Retry-After") != c.retry {
			t.Errorf("%v: %d %q Retry-After %q, want %d %q %q", c.err, rec.Code, body.Error, rec.Header().Get("Retry-After"), c.code, c.msg, c.retry)
		}
		if strings.Contains(rec.Body.String(), "SQLSTATE") {
			t.Errorf("%v: database text in the body: %s", c.err, rec.Body)
		}
		h := rec.Header()
		if h.Get("ETag") != "" || h.Get("Content-Encoding") != "" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%v: headers %v", c.err, h)
		}
	}
	// A client that went away gets nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	if code := httpkit.WriteError(rec, httptest.NewRequest("GET", "/", nil).WithContext(ctx), ctx.Err()); code != 499 || rec.Body.Len() != 0 {
		t.Errorf("gone client: %d, body %q", code, rec.Body)
	}
}

func TestDecodeJSON(t *testing.T) {
	type T struct {
		K int `json:"k"`
	}
	cases := []struct {
		body, ctype string
		code        int
		want        string
	}{
		{`{"k": 5}`, "application/json", 0, ""},
		{`{"k": 5}`, "", 0, ""},
		{`{"k": 5}` + "\n\t ", "application/json; charset=utf-8", 0, ""},
		{`{"k": 5}`, "application/geo+json", 0, ""},
		{`{"k": 5}`, "application/x-www-form-urlencoded", 415, "Content-Type must be application/json"},
		{`{"k": 5}`, "text/plain", 415, "Content-Type must be application/json"},
		{`{"k": 5, "x": 1}`, "", 400, `invalid JSON body: unknown field "x"`},
		{`{"k": 5} {"k": 6}`, "", 400, "invalid JSON body: data after the value"},
		{`{"k": 5}}`, "", 400, "invalid JSON body: data after the value"},
		{`{"k": 5`, "", 400, "invalid JSON body: unexpected end of data"},
		{`{"k": "five"}`, "", 400, "invalid JSON body: "},
		{``, "", 400, "empty request body; send a JSON object"},
		{`{"k": 5, "pad": "` + strings.Repeat("x", 200) + `"}`, "", 413, "request body larger than 100 bytes"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		if c.ctype != "" {
			r.Header.Set("Content-Type", c.ctype)
		}
		var v T
		err := httpkit.DecodeJSON(rec, r, &v, 100)
		if c.code == 0 {
			if err != nil || v.K != 5 {
				t.Errorf("%q: %v, k = %d", c.body, err, v.K)
			}
			continue
		}
		if got := httpkit.Status(errs.KindOf(err)); got != c.code || !strings.HasPrefix(errs.Message(err), c.want) {
			t.Errorf("%q (%s): %d %q, want %d %q", c.body, c.ctype, got, errs.Message(err), c.code, c.want)
		}
	}
}

// TestSlowBody: a body not received within the server's read timeout is a
// 408 that says so.
func TestSlowBody(t *testing.T) {
	h := httpkit.Handler(func(w http.ResponseWriter, r *http.Request) error {
		var v map[string]any
		if err := httpkit.DecodeJSON(w, r, &v, 1<<10); err != nil {
			return err
		}
		return httpkit.WriteJSON(w, 200, v)
	}, nil)
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"k\":")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body httpkit.ErrorBody
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != 408 || !strings.Contains(body.Error, "read timeout") {
		t.Errorf("slow body: %d %q, want 408 about the read timeout", res.StatusCode, body.Error)
	}
}

func TestMuxAnswersJSON(t *testing.T) {
	m := httpkit.NewMux()
	m.Handle("GET /api/thing", httpkit.Handler(func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.WriteJSON(w, 200, map[string]string{"ok": "yes"})
	}, nil))
	m.Handle("POST /api/thing", httpkit.Handler(func(w http.ResponseWriter, r *http.Request) error { return nil }, nil))
	cases := []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/api/thing", 200, ""},
		{"DELETE", "/api/thing", 405, "GET, HEAD, POST"},
		{"GET", "/api/nothing", 404, ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != c.code {
			t.Errorf("%s %s = %d %q, want %d with JSON", c.method, c.path, rec.Code, rec.Body, c.code)
		}
		if c.code >= 400 && (body["error"] == "" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json")) {
			t.Errorf("%s %s: body %q, Content-Type %q", c.method, c.path, rec.Body, rec.Header().Get("Content-Type"))
		}
		if got := rec.Header().Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}

func TestParams(t *testing.T) {
	for _, c := range []struct {
		q    string
		want int
		ok   bool
	}{{"", 20, true}, {"limit=1", 1, true}, {"limit=200", 200, true}, {"limit=0", 0, false}, {"limit=201", 0, false}, {"limit=x", 0, false}} {
		q, _ := url.ParseQuery(c.q)
		n, err := httpkit.LimitParam(q, 20, 200)
		if (err == nil) != c.ok || n != c.want {
			t.Errorf("LimitParam(%q) = %d, %v", c.q, n, err)
		}
		if err != nil && (!errs.Is(errs.Invalid, err) || errs.Message(err) != "limit: want an integer from 1 to 200") {
			t.Errorf("LimitParam(%q) error %q", c.q, errs.Message(err))
		}
	}
	r := httptest.NewRequest("GET", "/x/0", nil)
	r.SetPathValue("id", "0")
	if _, err := httpkit.IDParam(r, "id"); !errs.Is(errs.Invalid, err) {
		t.Errorf("IDParam(0) = %v", err)
	}
}

func TestViewerContext(t *testing.T) {
	ctx := context.Background()
	if v := httpkit.ViewerFrom(ctx); v.Role != "" || v.Admin() {
		t.Errorf("no viewer = %+v", v)
	}
	v := model.Viewer{Name: "wang", Role: model.RoleGridManager, Scope: []string{"street:S1"}}
	got := httpkit.ViewerFrom(httpkit.WithViewer(ctx, v))
	if got.Actor() != "grid_manager:wang" || !got.CanGrid("G1", "S1", "") || got.CanGrid("G2", "S2", "") {
		t.Errorf("viewer = %+v", got)
	}
}

func TestChain(t *testing.T) {
	var order []string
	mw := func(name string) httpkit.Middleware {
		return func(h httpkit.HandlerFunc) httpkit.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) error {
				order = append(order, name)
				return h(w, r)
			}
		}
	}
	h := httpkit.Chain(func(w http.ResponseWriter, r *http.Request) error { order = append(order, "h"); return nil }, mw("a"), mw("b"))
	_ = h(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if strings.Join(order, ",") != "a,b,h" {
		t.Errorf("order = %v", order)
	}
}
