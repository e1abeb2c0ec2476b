package tiles

// The HTTP face of the tiles: routes, the tile and TileJSON handlers, and
// conditional-request and content-encoding helpers.

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
)

// Routes are the tile endpoints, for server.New. They need a signed-in
// viewer of any role (the map's session cookie); only admins see cells
// below k riders.
func (s *Service) Routes() []httpkit.Route {
	return []httpkit.Route{
		{Pattern: "GET /tiles/{layer}/{z}/{x}/{y}", Name: "tiles", Handler: s.serveTile},
		{Pattern: "GET /tiles/{file}", Name: "tilejson", Handler: s.serveTileJSON},
		{Pattern: "GET /tiles/", Name: "tiles", Handler: func(w http.ResponseWriter, r *http.Request) error {
			return errs.E(errs.Invalid, "want /tiles/{layer}/{z}/{x}/{y}.mvt or /tiles/{layer}.json")
		}},
	}
}

// MVTContentType is the media type of a vector tile.
const MVTContentType = "application/vnd.mapbox-vector-tile"

func (s *Service) serveTile(w http.ResponseWriter, r *http.Request) error {
	l, t, err := ParseTilePath(r.PathValue("layer"), r.PathValue("z"), r.PathValue("x"), r.PathValue("y"))
	if err != nil {
		return errs.E(errs.Invalid, err.Error())
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		return errs.E(errs.Invalid, err.Error())
	}
	f = f.forLayer(l)
	ctx := r.Context()
	v := httpkit.ViewerFrom(ctx)
	ver, err := s.data.version(ctx, l)
	if err != nil {
		return err
	}
	if s.released(l, v) {
		// Non-admins: only the published release's views and figures.
		if err := s.o.Release.Check(f.Hours); err != nil {
			return err
		}
		if f.Metric == model.MetricPings || f.Metric == model.MetricDwell {
			return errs.E(errs.Invalid, "metric="+string(f.Metric)+" is not in the published release; outside the admin role choose rider_hours or riders")
		}
		rv, err := s.o.Release.Version(ctx)
		if err != nil {
			return err
		}
		ver += "," + rv
	}
	key := tileKey(l, t, f, ver, v) + s.datumKey()
	etag := etagOf(key)
	h := w.Header()
	// Every tile needs a signed-in viewer and differs by role: shared
	// caches must not keep it, nor serve it to other credentials.
	h.Set("Cache-Control", "private, max-age=60")
	h.Set("Vary", "Accept-Encoding, Authorization, Cookie")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		s.metrics.requests.WithLabelValues(string(l), resultNotModified).Inc()
		h.Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	data, ok, err := s.data.dataBounds(ctx, l, ver)
	if err != nil {
		return err
	}
	if _, in := s.tileQueryBound(t, data); !ok || !in {
		s.metrics.requests.WithLabelValues(string(l), resultOutside).Inc()
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	e, hit, err := s.tile(ctx, key, l, t, f, v, ver, data)
	if err != nil {
		return err
	}
	if hit {
		s.metrics.requests.WithLabelValues(string(l), resultHit).Inc()
	} else {
		s.metrics.requests.WithLabelValues(string(l), resultMiss).Inc()
	}
	if e.gz == nil {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	h.Set("ETag", etag)
	h.Set("Content-Type", MVTContentType)
	body := e.gz
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = gunzip(e.gz); err != nil {
		return err
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// etagMatches reports whether an If-None-Match header names etag (or *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		t = strings.TrimPrefix(t, "W/") // weak comparison is what If-None-Match uses
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "x-gzip" && name != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

func (s *Service) serveTileJSON(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	if !ok {
		return errs.E(errs.Invalid, "want /tiles/{layer}.json or /tiles/{layer}/{z}/{x}/{y}.mvt")
	}
	l, err := ParseLayer(name)
	if err != nil {
		return errs.E(errs.Invalid, err.Error())
	}
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		return errs.E(errs.Invalid, err.Error())
	}
	f = f.forLayer(l)
	ctx := r.Context()
	ver, err := s.data.version(ctx, l)
	if err != nil {
		return err
	}
	b, ok, err := s.data.dataBounds(ctx, l, ver)
	if err != nil {
		return err
	}
	bounds := [4]float64{-180, -85.0511, 180, 85.0511}
	if ok {
		bounds = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	info := layerInfos[l]
	u := strings.TrimRight(s.o.PublicURL, "/") + "/tiles/" + string(l) + "/{z}/{x}/{y}.mvt"
	if q := f.Query().Encode(); q != "" {
		u += "?" + q
	}
	tj := TileJSON{
		TileJSON: "3.0.0", Name: info.name, Description: info.description, Version: ver,
		Attribution: "hexcover", Scheme: "xyz", Tiles: []string{u}, Bounds: bounds,
		Center:  [3]float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 12},
		MinZoom: 0, MaxZoom: info.maxZoom,
		VectorLayers: []VectorLayer{{ID: string(l), Description: info.description, Fields: info.fields,
			MinZoom: 0, MaxZoom: info.maxZoom}},
	}
	if l == LayerBasemap {
		tj.VectorLayers = basemapVectorLayers()
	}
	w.Header().Set("Cache-Control", "private, max-age=60")
	w.Header().Set("Vary", "Authorization, Cookie")
	return httpkit.WriteJSON(w, http.StatusOK, tj)
}
