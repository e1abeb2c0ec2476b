package server

import (
	"net/http"
	"net/url"
	"strings"
)

// contentSecurityPolicy is the CSP of every response: the map's own
// script, style, workers and data only; MapLibre's worker is a blob: URL
// and its tiles arrive as blob:/data: images. extra are the origins of an
// external basemap style (HEXCOVER_BASEMAP_STYLE), admitted where the
// style's JSON, sprites, glyphs and tiles load from.
func contentSecurityPolicy(extra []string) string {
	ex := ""
	if len(extra) > 0 {
		ex = " " + strings.Join(extra, " ")
	}
	return "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; " +
		"style-src 'self'" + ex + "; img-src 'self' data: blob:" + ex + "; font-src 'self'" + ex + "; " +
		"connect-src 'self'" + ex + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// basemapOrigins are the origins to admit for the external basemap style:
// the style URL's own origin and, for the hosts that serve styles from a
// subdomain and tiles from siblings, nothing guessed — more origins go
// into HEXCOVER_BASEMAP_STYLE's documentation.
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
