// Package loadtest drives a running hexcover server on loopback with a
// bounded mix of requests (tiles, gaps, siting, candidates) for a fixed time
// and reports requests, errors and latency percentiles per route.
package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure a run.
type Options struct {
	BaseURL     string        // e.g. http://127.0.0.1:8080 (loopback only)
	Token       string        // bearer token (admin or planner for siting)
	GridToken   string        // token allowed to read candidates (admin or the grid's manager); "" = Token
	Duration    time.Duration // how long to run
	Concurrency int           // concurrent clients
	MaxRequests int           // stop after this many requests in all (bound), 0 = no count bound
	Seed        uint64
	// Paths, when set, replace the mix: each path (with its query) is
	// fetched once with GET, by Concurrency clients taking the next one in
	// order, within Duration; the report has one route, "paths". This is
	// how make bench-scale measures a fixed set of cold tiles.
	Paths []string
}

// RouteStats are the figures of one route.
type RouteStats struct {
	Route    string  `json:"route"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`   // transport errors and unexpected statuses
	Shed     int     `json:"shed_503"` // intended 503s (saturation)
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	lat      []float64
}

// Report is the outcome of a run.
type Report struct {
	Duration time.Duration `json:"duration_ns"`
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"`
	Routes   []*RouteStats `json:"routes"`
}

type request struct {
	route, method, path string
	body                []byte
	token               string
}

// Run executes the load. It refuses non-loopback targets.
func Run(ctx context.Context, o Options) (*Report, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if h := u.Hostname(); h != "localhost" && !strings.HasPrefix(h, "127.") && h != "::1" {
		return nil, fmt.Errorf("loadtest targets loopback only, not %q", h)
	}
	if o.Concurrency < 1 {
		o.Concurrency = 4
	}
	if o.GridToken == "" {
		o.GridToken = o.Token
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2}}
	var (
		meta  metaInfo
		grids []string
		next  func(r *rand.Rand) (request, bool)
	)
	if len(o.Paths) > 0 {
		var mu sync.Mutex
		i := 0
		next = func(*rand.Rand) (request, bool) {
			mu.Lock()
			defer mu.Unlock()
			if i == len(o.Paths) {
				return request{}, false
			}
			i++
			return request{route: "paths", method: "GET", path: o.Paths[i-1], token: o.Token}, true
		}
	} else {
		meta, grids, err = discover(ctx, client, o)
		if err != nil {
			return nil, err
		}
		next = func(r *rand.Rand) (request, bool) { return pick(r, meta, grids, o), true }
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var (
		mu    sync.Mutex
		stats = map[string]*RouteStats{}
		count int
	)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(o.Seed, uint64(w)))
			for ctx.Err() == nil {
				mu.Lock()
				if o.MaxRequests > 0 && count >= o.MaxRequests {
					mu.Unlock()
					return
				}
				count++
				mu.Unlock()
				req, ok := next(r)
				if !ok {
					return
				}
				t0 := time.Now()
				code, err := do(ctx, client, o.BaseURL, req)
				ms := float64(time.Since(t0).Microseconds()) / 1000
				if ctx.Err() != nil && err != nil {
					return // the run ended mid-request; not an error of the server
				}
				mu.Lock()
				s := stats[req.route]
				if s == nil {
					s = &RouteStats{Route: req.route}
					stats[req.route] = s
				}
				s.Requests++
				s.lat = append(s.lat, ms)
				switch {
				case err != nil:
					s.Errors++
				case code == http.StatusServiceUnavailable:
					s.Shed++
				case code >= 400:
					s.Errors++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	rep := &Report{Duration: time.Since(start)}
	for _, s := range stats {
		sort.Float64s(s.lat)
		s.P50ms, s.P99ms, s.MaxMs = quantile(s.lat, 0.5), quantile(s.lat, 0.99), quantile(s.lat, 1)
		rep.Requests += s.Requests
		rep.Errors += s.Errors
		rep.Routes = append(rep.Routes, s)
	}
	sort.Slice(rep.Routes, func(i, j int) bool { return rep.Routes[i].Route < rep.Routes[j].Route })
	return rep, nil
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

type metaInfo struct {
	Bounds [4]float64 `json:"bounds"`
}

func discover(ctx context.Context, c *http.Client, o Options) (metaInfo, []string, error) {
	var m metaInfo
	if err := getJSON(ctx, c, o.BaseURL+"/api/meta", o.Token, &m); err != nil {
		return m, nil, fmt.Errorf("GET /api/meta: %w", err)
	}
	var gl struct {
		Grids []struct {
			Code string `json:"code"`
		} `json:"grids"`
	}
	var raw json.RawMessage
	if err := getJSON(ctx, c, o.BaseURL+"/api/grids?limit=200", o.GridToken, &raw); err != nil {
		return m, nil, fmt.Errorf("GET /api/grids: %w", err)
	}
	var codes []string
	if json.Unmarshal(raw, &gl) == nil && len(gl.Grids) > 0 {
		for _, g := range gl.Grids {
			codes = append(codes, g.Code)
		}
	} else {
		var arr []struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(raw, &arr)
		for _, g := range arr {
			codes = append(codes, g.Code)
		}
	}
	if len(codes) == 0 {
		return m, nil, fmt.Errorf("no grids visible to the grid token")
	}
	return m, codes, nil
}

func getJSON(ctx context.Context, c *http.Client, u, token string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

var hoursMix = []string{"", "", "", "lunch", "dinner", "breakfast", "night", "11-13", "35-37"}

// pick draws the next request: mostly tiles (what users do on every pan),
// some gaps and candidates, a few siting runs.
func pick(r *rand.Rand, m metaInfo, grids []string, o Options) request {
	switch n := r.IntN(100); {
	case n < 80:
		z := 11 + r.IntN(6)
		lng := m.Bounds[0] + r.Float64()*(m.Bounds[2]-m.Bounds[0])
		lat := m.Bounds[1] + r.Float64()*(m.Bounds[3]-m.Bounds[1])
		x, y := tileXY(lng, lat, z)
		layer := []string{"activity", "activity", "activity", "gaps", "grids", "sites", "areas"}[r.IntN(7)]
		p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, z, x, y)
		if h := hoursMix[r.IntN(len(hoursMix))]; h != "" && (layer == "activity" || layer == "gaps") {
			p += "?hours=" + h
		}
		return request{route: "tiles/" + layer, method: "GET", path: p, token: o.Token}
	case n < 88:
		return request{route: "api/gaps", method: "GET", path: "/api/gaps?limit=20&hours=" + hoursMix[r.IntN(len(hoursMix))], token: o.Token}
	case n < 96:
		g := grids[r.IntN(len(grids))]
		return request{route: "api/candidates", method: "GET", path: "/api/grids/" + url.PathEscape(g) + "/candidates?limit=20", token: o.GridToken}
	default:
		k := 1 + r.IntN(10)
		return request{route: "api/siting", method: "POST", path: "/api/siting", token: o.Token,
			body: []byte(fmt.Sprintf(`{"k": %d}`, k))}
	}
}

func tileXY(lng, lat float64, z int) (int, int) {
	n := math.Exp2(float64(z))
	x := int((lng + 180) / 360 * n)
	rad := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
	return x, y
}

func do(ctx context.Context, c *http.Client, base string, q request) (int, error) {
	var body io.Reader
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	req, err := http.NewRequestWithContext(ctx, q.method, base+q.path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+q.token)
	req.Header.Set("Accept-Encoding", "gzip")
	if q.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}
