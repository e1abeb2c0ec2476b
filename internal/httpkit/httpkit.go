// Package httpkit is the leaf HTTP kit every handler package uses: routes,
// error-returning handlers, the one mapping of error kinds to statuses, one
// JSON body decoder, one JSON writer, one limit parser, and the viewer in
// the request context. It imports only the standard library, errs and
// model, so feature packages (coverage, gridassign, siting, tiles) need not
// import internal/server.
//
// Body rules, decided once here: a body larger than its limit is 413; a
// Content-Type other than JSON (application/json or */*+json) is 415, an
// absent one is accepted; unknown fields, trailing data after the value
// and an empty body are 400; a body not received within the server's read
// timeout is 408 with a message saying so.
package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
)

// HandlerFunc is a handler that returns its error; Handler writes it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is a handler with what the server needs to mount it. Every route
// needs a signed-in viewer unless Public; Roles restricts it to those roles
// (empty: any role). Finer checks (a grid manager's scope) are the
// handler's, with ViewerFrom(r.Context()).
type Route struct {
	Pattern string // net/http ServeMux pattern, e.g. "GET /tiles/{layer}/{z}/{x}/{y}"
	Name    string // route label in metrics and logs
	Handler HandlerFunc
	Roles   []model.Role
	Public  bool
}

// Middleware wraps a handler (authentication, headers, admission...).
type Middleware func(HandlerFunc) HandlerFunc

// Chain applies mw to h, the first outermost.
func Chain(h HandlerFunc, mw ...Middleware) HandlerFunc {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// StatusClientClosed is the status logged (never sent) when the client
// went away: nginx's 499.
const StatusClientClosed = 499

// statusOf is the one mapping of error kinds to HTTP statuses.
var statusOf = map[errs.Kind]int{
	errs.Invalid:          http.StatusBadRequest,
	errs.Unauthenticated:  http.StatusUnauthorized,
	errs.Forbidden:        http.StatusForbidden,
	errs.NotFound:         http.StatusNotFound,
	errs.MethodNotAllowed: http.StatusMethodNotAllowed,
	errs.Conflict:         http.StatusConflict,
	errs.TooLarge:         http.StatusRequestEntityTooLarge,
	errs.Unsupported:      http.StatusUnsupportedMediaType,
	errs.RateLimited:      http.StatusTooManyRequests,
	errs.Unavailable:      http.StatusServiceUnavailable,
	errs.Timeout:          http.StatusServiceUnavailable,
	errs.Canceled:         StatusClientClosed,
	errs.SlowRequest:      http.StatusRequestTimeout,
	errs.Internal:         http.StatusInternalServerError,
}

// Status is the HTTP status of an error kind (500 for Other and unknown).
func Status(k errs.Kind) int {
	if c, ok := statusOf[k]; ok {
		return c
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error string `json:"error"`
}

// WriteError answers err as JSON {"error": public message} with its
// status and, for retryable kinds, Retry-After in whole seconds. Internal
// errors read "internal error"; a cause's text is never sent. When the
// client has gone away nothing is written. It returns the status.
func WriteError(w http.ResponseWriter, r *http.Request, err error) int {
	k := errs.KindOf(err)
	code := Status(k)
	if k == errs.Canceled && r.Context().Err() != nil {
		return code // nobody is listening
	}
	msg, retry := errs.Message(err), errs.RetryAfter(err)
	if code == StatusClientClosed {
		// Canceled but the client is still there (shared work cancelled by
		// whoever started it): tell it to retry.
		code, msg, retry = http.StatusServiceUnavailable, "the work was cancelled; retry", time.Second
	}
	h := w.Header()
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(max(1, int((retry+999_999_999)/1_000_000_000))))
	}
	h.Del("Content-Encoding")
	h.Del("Content-Length")
	h.Del("ETag")
	h.Set("Cache-Control", "no-store")
	_ = WriteJSON(w, code, ErrorBody{Error: msg})
	return code
}

// Handler adapts h to an http.Handler that writes h's error with
// WriteError; logf, if not nil, is told of every error with its status.
func Handler(h HandlerFunc, logf func(r *http.Request, status int, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code := WriteError(w, r, err)
		if logf != nil {
			logf(r, code, err)
		}
	})
}

// WriteJSON writes v as a JSON response with status, HTML characters left
// unescaped.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// DecodeJSON reads r's JSON body of at most limit bytes into v under the
// package's body rules (see the package doc).
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if err := checkContentType(r); err != nil {
		return err
	}
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	rr := &readRecorder{r: http.MaxBytesReader(w, r.Body, limit)}
	if err := decode(rr, v); err != nil {
		if rr.err != nil && rr.err != io.EOF {
			return readErr(rr.err, limit)
		}
		return err
	}
	return nil
}

// UnmarshalJSON decodes b into v under the same rules as DecodeJSON (for a
// JSON value nested in a body, such as a saved scenario's request).
func UnmarshalJSON(b []byte, v any) error { return decode(bytes.NewReader(b), v) }

// decode reads one JSON value into v: unknown fields, an empty input and
// anything after the value are errs.Invalid errors saying so.
func decode(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		switch {
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "empty request body; send a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errs.E(errs.Invalid, "invalid JSON body: unexpected end of data", err)
		}
		return errs.E(errs.Invalid, "invalid JSON body: "+strings.TrimPrefix(err.Error(), "json: "), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, "invalid JSON body: data after the value")
	}
	return nil
}

// readRecorder remembers the error of the underlying reader, telling a
// failed read (too large, too slow) from bad JSON.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && rr.err == nil {
		rr.err = err
	}
	return n, err
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return errs.E(errs.Unsupported, "Content-Type must be application/json")
}

func tooLarge(limit int64) error {
	return errs.E(errs.TooLarge, fmt.Sprintf("request body larger than %s", sizeText(limit)))
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// readErr classifies a failure to read a body.
func readErr(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return tooLarge(limit)
	case errors.As(err, &ne) && ne.Timeout():
		return errs.E(errs.SlowRequest, "request body not received within the server's read timeout", err)
	}
	return errs.E(errs.Invalid, "could not read the request body", err)
}

// LimitParam reads the "limit" query parameter: def when absent, else an
// integer from 1 to hi.
func LimitParam(q url.Values, def, hi int) (int, error) {
	return IntParam(q, "limit", def, 1, hi)
}

// IntParam reads an integer query parameter: def when absent, else an
// integer from lo to hi.
func IntParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errs.Errorf(errs.Invalid, "%s: want an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// IDParam reads a positive integer path value.
func IDParam(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, errs.Errorf(errs.Invalid, "%s: want a positive integer id", name)
	}
	return n, nil
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v model.Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the request's viewer (the zero Viewer, with no role,
// on public routes and outside requests).
func ViewerFrom(ctx context.Context) model.Viewer {
	v, _ := ctx.Value(viewerKey{}).(model.Viewer)
	return v
}
