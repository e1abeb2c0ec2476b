// Package errs is hexcover's one error scheme, modelled on upspin's
// errors.E(op, kind, err): an error carries the operation that failed, a
// Kind saying what sort of failure it is, a public message safe to show
// users, and the wrapped cause (never shown: it may hold database text).
//
// The mapping of kinds to HTTP statuses lives at the HTTP edge
// (internal/httpkit); this package knows nothing of HTTP.
package errs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the class of an error.
type Kind uint8

// Kinds. Other means "not classified here": KindOf looks further down the
// chain and, finding nothing, answers Internal.
const (
	Other            Kind = iota
	Invalid               // the request is wrong: bad input, out of range, malformed body
	Unauthenticated       // no valid credentials
	Forbidden             // the caller's role or scope does not allow it
	NotFound              // the thing asked for does not exist
	MethodNotAllowed      // the resource exists but not with this method
	Conflict              // the state does not allow it (duplicate, already decided)
	TooLarge              // the request body or the answer would be too large
	Unsupported           // the request's media type is not one this accepts
	RateLimited           // the caller asks too often
	Unavailable           // a dependency (the database, a worker slot) is busy or down; retry
	Timeout               // the work took longer than allowed (statement timeout); retry or narrow
	Canceled              // the caller went away
	SlowRequest           // the request (its body) did not arrive within the read timeout
	Internal              // a bug or an unexpected failure; its text is never shown
)

var kindNames = [...]string{
	Other: "other", Invalid: "invalid", Unauthenticated: "unauthenticated", Forbidden: "forbidden",
	NotFound: "not_found", MethodNotAllowed: "method_not_allowed", Conflict: "conflict", TooLarge: "too_large", Unsupported: "unsupported",
	RateLimited: "rate_limited",
	Unavailable: "unavailable", Timeout: "timeout", Canceled: "canceled", SlowRequest: "slow_request", Internal: "internal",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// defaultMsg is the public message of a kind when the error gives none.
var defaultMsg = [...]string{
	Invalid:          "invalid request",
	Unauthenticated:  "authentication required: send Authorization: Bearer <token> or log in",
	Forbidden:        "forbidden: your role does not allow this",
	NotFound:         "not found",
	MethodNotAllowed: "method not allowed",
	Conflict:         "conflict with the current state",
	TooLarge:         "request too large",
	Unsupported:      "unsupported media type",
	RateLimited:      "too many requests; retry shortly",
	Unavailable:      "service unavailable; retry shortly",
	Timeout:          "query took too long; narrow the request or retry",
	Canceled:         "client closed request",
	SlowRequest:      "request not received in time; send it again",
	Internal:         "internal error",
}

// DefaultRetry is the Retry-After of RateLimited, Unavailable and Timeout
// errors that do not set their own.
const DefaultRetry = 5 * time.Second

// Op names the operation that failed, e.g. "store.RiderRange".
type Op string

// Error is an error with a kind.
type Error struct {
	Op   Op
	Kind Kind
	// Msg is the public message: safe to show users (no database text, no
	// paths, no secrets). Empty: the kind's default message.
	Msg string
	// RetryAfter tells a client when to retry (RateLimited, Unavailable,
	// Timeout); 0 = DefaultRetry.
	RetryAfter time.Duration
	Err        error // the cause, for logs only
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(string(e.Op))
	}
	add := func(s string) {
		if s == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(s)
	}
	if e.Msg != "" {
		add(e.Msg)
	} else if e.Err == nil {
		add(e.Kind.String())
	}
	if e.Err != nil {
		add(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error from its arguments, in any order: an Op, a Kind, a
// string (the public message), an error (the cause) and a time.Duration
// (RetryAfter). With no Kind the error takes its cause's kind.
func E(args ...any) error {
	e := &Error{}
	for _, a := range args {
		switch a := a.(type) {
		case Op:
			e.Op = a
		case Kind:
			e.Kind = a
		case string:
			e.Msg = a
		case *Error:
			e.Err = a
		case error:
			e.Err = a
		case time.Duration:
			e.RetryAfter = a
		default:
			panic(fmt.Sprintf("errs.E: unexpected argument %T", a))
		}
	}
	return e
}

// Clip shortens user input quoted in a public message to 40 bytes (on a
// character boundary), so a message never echoes a whole oversized input.
func Clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// Errorf is an error of kind k whose public message is the formatted text.
// Use it for messages about the caller's input; never format database or
// file system errors into it.
func Errorf(k Kind, format string, a ...any) error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, a...)}
}

// classified is the outermost *Error in err's chain with a kind, or nil.
// It follows Unwrap() error and, for errors.Join, Unwrap() []error.
func classified(err error) *Error {
	switch x := err.(type) {
	case nil:
		return nil
	case *Error:
		if x.Kind != Other {
			return x
		}
		return classified(x.Err)
	case interface{ Unwrap() error }:
		return classified(x.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range x.Unwrap() {
			if c := classified(e); c != nil {
				return c
			}
		}
	}
	return nil
}

// KindOf is the kind of err: the outermost kind in its chain, else
// Canceled for context.Canceled, Timeout for context.DeadlineExceeded, else
// Internal. KindOf(nil) is Other.
func KindOf(err error) Kind {
	if err == nil {
		return Other
	}
	if e := classified(err); e != nil {
		return e.Kind
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Internal
}

// Is reports whether err is of kind k.
func Is(k Kind, err error) bool { return err != nil && KindOf(err) == k }

// Message is the public message of err: the outermost message in its
// chain given for err's kind (by an *Error of that kind, or of no kind over
// a cause of that kind), else the kind's default. Internal errors always
// read "internal error".
func Message(err error) string {
	k := KindOf(err)
	if k == Other || k == Internal {
		return defaultMsg[Internal]
	}
	msg := ""
	walk(err, func(e *Error) bool {
		if e.Kind != Other && e.Kind != k {
			return false // a different kind below: its words do not fit
		}
		if e.Msg != "" && (e.Kind == k || KindOf(e.Err) == k) {
			msg = e.Msg
			return false
		}
		return true
	})
	if msg == "" {
		return defaultMsg[k]
	}
	return msg
}

// RetryAfter is how long a client should wait before retrying err: the
// outermost RetryAfter set in its chain, else DefaultRetry for
// RateLimited, Unavailable and Timeout; 0 for other kinds.
func RetryAfter(err error) time.Duration {
	switch KindOf(err) {
	case RateLimited, Unavailable, Timeout:
	default:
		return 0
	}
	d := DefaultRetry
	walk(err, func(e *Error) bool {
		if e.RetryAfter > 0 {
			d = e.RetryAfter
			return false
		}
		return true
	})
	return d
}

// walk calls fn on each *Error in err's chain, outermost first, while fn
// returns true.
func walk(err error, fn func(*Error) bool) bool {
	switch x := err.(type) {
	case nil:
		return true
	case *Error:
		return fn(x) && walk(x.Err, fn)
	case interface{ Unwrap() error }:
		return walk(x.Unwrap(), fn)
	case interface{ Unwrap() []error }:
		for _, e := range x.Unwrap() {
			if !walk(e, fn) {
				return false
			}
		}
	}
	return true
}
