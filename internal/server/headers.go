package server

import (
	"net/http"
	"net/url"
	"strings"
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
