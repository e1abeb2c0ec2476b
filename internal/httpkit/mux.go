package httpkit

import (
	"net/http"

	"github.com/hexcover/hexcover/internal/errs"
)

// Mux is an http.ServeMux whose own answers for requests no route takes —
// 404 (no such path) and 405 (path known, method not) — are JSON errors
// like every other, the 405 keeping its Allow header.
type Mux struct {
	*http.ServeMux
}

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{http.NewServeMux()} }

// ServeHTTP dispatches r.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := m.Handler(r); pattern != "" {
		m.ServeMux.ServeHTTP(w, r)
		return
	}
	// No route: let ServeMux decide (404, 405 or a redirect to the clean
	// path) and replace its plain-text 404 and 405 bodies.
	cw := &catchWriter{ResponseWriter: w}
	m.ServeMux.ServeHTTP(cw, r)
	switch cw.code {
	case http.StatusMethodNotAllowed:
		allow := w.Header().Get("Allow")
		WriteError(w, r, errs.E(errs.MethodNotAllowed, "method "+r.Method+" not allowed here; allowed: "+allow))
	case http.StatusNotFound:
		WriteError(w, r, errs.E(errs.NotFound, "no such endpoint: "+r.Method+" "+r.URL.Path))
	}
}

// catchWriter swallows a 404 or 405 written by ServeMux.
type catchWriter struct {
	http.ResponseWriter
	code int
}

func (c *catchWriter) WriteHeader(code int) {
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		c.code = code
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *catchWriter) Write(b []byte) (int, error) {
	if c.code != 0 {
		return len(b), nil
	}
	return c.ResponseWriter.Write(b)
}
