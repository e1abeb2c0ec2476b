package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/hexcover/hexcover/internal/store"
)

// HandlerFunc is a handler that returns its error; wrap maps it to a status
// and a JSON body in one place.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Error is an error with an HTTP status and a message safe to show users.
type Error struct {
	Status     int
	Msg        string
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Msg }

// BadRequest is a 400 with a message saying what is wrong.
func BadRequest(msg string) error { return &Error{Status: http.StatusBadRequest, Msg: msg} }

// NotFound is a 404.
func NotFound(msg string) error { return &Error{Status: http.StatusNotFound, Msg: msg} }

// Unavailable is a 503 telling the client when to retry.
func Unavailable(msg string, retry time.Duration) error {
	return &Error{Status: http.StatusServiceUnavailable, Msg: msg, RetryAfter: retry}
}

// status maps an error to its HTTP status and public message. Internal
// errors are logged, never shown.
func status(err error) (int, string, time.Duration, bool) {
	var he *Error
	switch {
	case errors.As(err, &he):
		return he.Status, he.Msg, he.RetryAfter, false
	case errors.Is(err, context.Canceled):
		return 499, "client closed request", 0, false
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "query took too long; narrow the request or retry", 5 * time.Second, true
	case store.IsUnavailable(err):
		return http.StatusServiceUnavailable, "database unavailable; retry shortly", 5 * time.Second, true
	}
	return http.StatusInternalServerError, "internal error", 0, true
}

func (s *Server) wrap(route string, h HandlerFunc) http.Handler {
	return s.metrics.instrument(route, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code, msg, retry, logIt := status(err)
		if logIt {
			s.log.Error("request failed", "route", route, "path", r.URL.Path, "status", code, "err", err)
		}
		if r.Context().Err() != nil && code == 499 {
			return // nobody is listening
		}
		if retry > 0 {
			w.Header().Set("Retry-After", itoa(int(retry.Seconds())))
		}
		w.Header().Del("Content-Encoding")
		w.Header().Del("ETag")
		w.Header().Set("Cache-Control", "no-store")
		_ = writeJSON(w, code, map[string]string{"error": msg})
	}))
}

func itoa(n int) string {
	if n < 1 {
		n = 1
	}
	b := [20]byte{}
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
