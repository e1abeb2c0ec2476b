package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// contentSecurityPolicy is the CSP of every response, the one the map is
// written for and its browser test checks (web/test/csp.mjs): our own
// scripts only, none inline; MapLibre's worker from our origin or a blob:;
// inline style attributes (MapLibre positions its controls with them);
// tiles as blob:/data: images. extra are the origins of an external
// basemap style (HEXCOVER_BASEMAP_STYLE), admitted where its style JSON,
// tiles, glyphs and sprites load from (connect-src, img-src).
func contentSecurityPolicy(extra []string) string {
	ex := ""
	if len(extra) > 0 {
		ex = " " + strings.Join(extra, " ")
	}
	return "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:" + ex + "; connect-src 'self'" + ex + "; font-src 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
}

// basemapOrigins are the origins to admit for the external basemap style:
// the style URL's own origin.
func basemapOrigins(style string) []string {
	if style == "" {
		return nil
	}
	u, err := url.Parse(style)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

// securityHeaders sets the headers every response carries: the CSP,
// framing refused twice (frame-ancestors and X-Frame-Options), no MIME
// sniffing, and no Referer to other origins.
func securityHeaders(csp string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// AllowOrigins adds origins (an external basemap style's tiles, glyphs and
// sprites: StyleOrigins) to the CSP's connect-src and img-src. Call it
// before Serve.
func (s *Server) AllowOrigins(origins ...string) {
	all := basemapOrigins(s.cfg.BasemapStyle)
	seen := map[string]bool{}
	for _, o := range all {
		seen[o] = true
	}
	for _, o := range origins {
		if !seen[o] {
			seen[o] = true
			all = append(all, o)
		}
	}
	s.root = securityHeaders(contentSecurityPolicy(all), s.mux)
}

// StyleOrigins reads the MapLibre style at styleURL and returns the
// origins it loads from: its sources' tiles (following a source's TileJSON
// url one level), glyphs and sprites. It reads at most 1 MiB per document
// and 16 TileJSON documents, within ctx; client nil is a plain client.
func StyleOrigins(ctx context.Context, client *http.Client, styleURL string) ([]string, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	get := func(u string, v any) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", u, res.Status)
		}
		return json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(v)
	}
	var style struct {
		Sources map[string]struct {
			URL   string   `json:"url"`
			Tiles []string `json:"tiles"`
		} `json:"sources"`
		Glyphs string          `json:"glyphs"`
		Sprite json.RawMessage `json:"sprite"`
	}
	if err := get(styleURL, &style); err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	add := func(ref string) {
		scheme, rest, ok := strings.Cut(ref, "://")
		host, _, _ := strings.Cut(rest, "/")
		if i := strings.Index(host, "}."); strings.HasPrefix(host, "{") && i > 0 {
			host = "*." + host[i+2:] // {s}.tiles.example.net: any subdomain
		}
		if !ok || (scheme != "https" && scheme != "http") || host == "" || strings.ContainsAny(host, "{}/ ;,'") {
			return // relative, mapbox:// or garbage: nothing to admit
		}
		if o := scheme + "://" + host; !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	add(styleURL)
	add(style.Glyphs)
	var sprite string
	var sprites []struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(style.Sprite, &sprite) == nil {
		add(sprite)
	} else if json.Unmarshal(style.Sprite, &sprites) == nil {
		for _, sp := range sprites {
			add(sp.URL)
		}
	}
	fetched := 0
	for _, src := range style.Sources {
		for _, t := range src.Tiles {
			add(t)
		}
		if src.URL == "" || fetched >= 16 {
			continue
		}
		add(src.URL)
		if u, err := url.Parse(src.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			continue
		}
		fetched++
		var tj struct {
			Tiles []string `json:"tiles"`
		}
		if err := get(src.URL, &tj); err != nil {
			return out, err
		}
		for _, t := range tj.Tiles {
			add(t)
		}
	}
	return out, nil
}
