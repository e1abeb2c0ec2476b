package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/uber/h3-go/v4"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/dbtest"
)

// basemapFixture serves a tiny external basemap, as Amap or Tencent would
// in GCJ-02, with no network: /style.json (one raster source), its raster
// tiles /raster/{z}/{x}/{y}.png (light grey, with a dark square where the
// GCJ-02 position of mark falls), and, for the browser test's own checks,
// geo's conversions: /wgs2gcj and /gcj2wgs (?lng=&lat=) and /cell?id= (an
// H3 cell's WGS-84 and GCJ-02 centre). It counts the tiles it served.
type basemapFixture struct {
	srv   *httptest.Server
	mark  orb.Point // WGS-84
	tiles atomic.Int64
}

func newBasemapFixture(t *testing.T, mark orb.Point) *basemapFixture {
	t.Helper()
	f := &basemapFixture{mark: mark}
	mux := http.NewServeMux()
	pt := func(w http.ResponseWriter, p orb.Point) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode([2]float64{p[0], p[1]})
	}
	lngLat := func(r *http.Request) (orb.Point, error) {
		lng, err1 := strconv.ParseFloat(r.URL.Query().Get("lng"), 64)
		lat, err2 := strconv.ParseFloat(r.URL.Query().Get("lat"), 64)
		if err1 != nil || err2 != nil {
			return orb.Point{}, fmt.Errorf("bad lng/lat %q", r.URL.RawQuery)
		}
		return orb.Point{lng, lat}, nil
	}
	mux.HandleFunc("GET /style.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"version":8,"name":"GCJ-02 fixture","sources":{"gcj":{"type":"raster","tileSize":256,"maxzoom":18,
			"tiles":["%s/raster/{z}/{x}/{y}.png"]}},"layers":[{"id":"bg","type":"background","paint":{"background-color":"#eeeeee"}},
			{"id":"gcj","type":"raster","source":"gcj"}]}`, f.srv.URL)
	})
	mux.HandleFunc("GET /raster/{z}/{x}/{y}", func(w http.ResponseWriter, r *http.Request) {
		z, _ := strconv.Atoi(r.PathValue("z"))
		x, _ := strconv.Atoi(r.PathValue("x"))
		y, _ := strconv.Atoi(strings.TrimSuffix(r.PathValue("y"), ".png"))
		f.tiles.Add(1)
		img := image.NewRGBA(image.Rect(0, 0, 256, 256))
		for i := range img.Pix {
			img.Pix[i] = 0xee
		}
		// The mark's GCJ-02 position in this tile's pixels.
		g := geo.GCJ02.PointFromWGS84(f.mark)
		n := math.Exp2(float64(z))
		s := math.Sin(g[1] * math.Pi / 180)
		px := ((g[0]+180)/360*n - float64(x)) * 256
		py := ((0.5-math.Log((1+s)/(1-s))/(4*math.Pi))*n - float64(y)) * 256
		for dy := -4; dy <= 4; dy++ {
			for dx := -4; dx <= 4; dx++ {
				if X, Y := int(px)+dx, int(py)+dy; X >= 0 && X < 256 && Y >= 0 && Y < 256 {
					img.Set(X, Y, color.RGBA{40, 40, 40, 255})
				}
			}
		}
		var b bytes.Buffer
		_ = png.Encode(&b, img)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(b.Bytes())
	})
	mux.HandleFunc("GET /wgs2gcj", func(w http.ResponseWriter, r *http.Request) {
		p, err := lngLat(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		pt(w, geo.GCJ02.PointFromWGS84(p))
	})
	mux.HandleFunc("GET /gcj2wgs", func(w http.ResponseWriter, r *http.Request) {
		p, err := lngLat(r)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		pt(w, geo.GCJ02.PointToWGS84(p))
	})
	mux.HandleFunc("GET /cell", func(w http.ResponseWriter, r *http.Request) {
		c := h3.CellFromString(r.URL.Query().Get("id"))
		if !c.IsValid() {
			http.Error(w, "bad cell", 400)
			return
		}
		ctr := geo.CellCenter(c)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string][2]float64{"wgs": {ctr[0], ctr[1]}, "gcj": [2]float64(geo.GCJ02.PointFromWGS84(ctr))})
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// TestBasemapDatumBrowser: with HEXCOVER_BASEMAP_DATUM=gcj02 over a local
// GCJ-02 raster basemap, the map (web/test/datum.mjs in Chromium) draws
// sites, hexagons and siting picks at their GCJ-02 positions, and what it
// sends back — a siting point added by a click, the URL hash — is WGS-84
// within 0.5 m. Run alone: go test -run '^TestBasemapDatumBrowser$' ./cmd/hexcover
func TestBasemapDatumBrowser(t *testing.T) {
	if _, err := os.Stat("../../web/dist/index.html"); err != nil {
		t.Fatalf("the map is not built (web/dist/index.html missing): run make web")
	}
	dbURL := dbtest.NewURL(t)
	env := []string{"DATABASE_URL=" + dbURL}
	if _, stderr, code := hexcover(t, env, "demo", "--riders", "60", "--days", "1"); code != 0 {
		t.Fatalf("demo exit %d: %s", code, stderr)
	}
	// An existing site of the demo, the one the fixture marks on its tiles.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	var site struct {
		ID       string
		Lng, Lat float64
	}
	err = c.QueryRow(ctx, `SELECT ext_id, ST_X(geom), ST_Y(geom) FROM sites WHERE status = 'existing' ORDER BY ext_id LIMIT 1`).
		Scan(&site.ID, &site.Lng, &site.Lat)
	c.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fx := newBasemapFixture(t, orb.Point{site.Lng, site.Lat})
	base := startServer(t, append(env, "HEXCOVER_DEMO_LOGIN=on",
		"HEXCOVER_BASEMAP_STYLE="+fx.srv.URL+"/style.json", "HEXCOVER_BASEMAP_DATUM=gcj02"))

	// The tiles themselves: the site is in the tile of its GCJ-02 position.
	if tile := maptile.At(geo.GCJ02.PointFromWGS84(orb.Point{site.Lng, site.Lat}), 16); tile == maptile.At(orb.Point{site.Lng, site.Lat}, 16) {
		t.Fatalf("site %s: its GCJ-02 and WGS-84 positions share a z16 tile; the shift is too small to test", site.ID)
	}

	siteJSON, _ := json.Marshal(site)
	shots := os.Getenv("HEXCOVER_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	cmd := exec.Command("node", "test/datum.mjs")
	cmd.Dir = "../../web"
	cmd.Env = append(os.Environ(), "BASE_URL="+base, "FIXTURE_URL="+fx.srv.URL, "SITE="+string(siteJSON), "SCREENSHOT_DIR="+shots)
	b, err := cmd.CombinedOutput()
	t.Logf("browser datum test:\n%s", b)
	if err != nil {
		t.Fatalf("browser datum test failed: %v", err)
	}
	if fx.tiles.Load() == 0 {
		t.Error("the map never asked the fixture basemap for a tile")
	}
}
