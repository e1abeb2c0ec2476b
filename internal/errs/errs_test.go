package errs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/errs"
)

func TestKindMessageRetry(t *testing.T) {
	secret := errors.New(`ERROR: relation "riders" canceling statement due to statement timeout (SQLSTATE 57014)`)
	notFound := errs.E(errs.NotFound, "not found")
	cases := []struct {
		name  string
		err   error
		kind  errs.Kind
		msg   string
		retry time.Duration
	}{
		{"nil", nil, errs.Other, "internal error", 0},
		{"plain error is internal", secret, errs.Internal, "internal error", 0},
		{"internal keeps its text private", errs.E(errs.Internal, "do not show", secret), errs.Internal, "internal error", 0},
		{"kind and message", errs.E(errs.Op("siting.Run"), errs.Invalid, "k = 0: want 1 to 200"), errs.Invalid, "k = 0: want 1 to 200", 0},
		{"Errorf", errs.Errorf(errs.Invalid, "limit: want 1 to %d", 9), errs.Invalid, "limit: want 1 to 9", 0},
		{"default message", errs.E(errs.Forbidden), errs.Forbidden, "forbidden: your role does not allow this", 0},
		{"cause text never shown", errs.E(errs.Timeout, secret), errs.Timeout, "query took too long; narrow the request or retry", errs.DefaultRetry},
		{"own retry", errs.E(errs.Unavailable, "busy", time.Second), errs.Unavailable, "busy", time.Second},
		{"wrapped by fmt", fmt.Errorf("load: %w", errs.E(errs.Conflict, "already imported")), errs.Conflict, "already imported", 0},
		{"kindless wrapper adds its words", errs.E(notFound, "not found: grid \"G9\""), errs.NotFound, "not found: grid \"G9\"", 0},
		{"outer kind wins", errs.E(errs.Invalid, "bad", errs.E(errs.NotFound, "nope")), errs.Invalid, "bad", 0},
		{"inner words of another kind do not leak", errs.E(errs.Unavailable, errs.E(errs.NotFound, "grid G1")), errs.Unavailable, "service unavailable; retry shortly", errs.DefaultRetry},
		{"context canceled", fmt.Errorf("query: %w", context.Canceled), errs.Canceled, "client closed request", 0},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), errs.Timeout, "query took too long; narrow the request or retry", errs.DefaultRetry},
		{"joined", errors.Join(secret, errs.E(errs.TooLarge, "too big")), errs.TooLarge, "too big", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if k := errs.KindOf(c.err); k != c.kind {
				t.Errorf("KindOf = %v, want %v", k, c.kind)
			}
			if c.err != nil && !errs.Is(c.kind, c.err) {
				t.Errorf("Is(%v) = false", c.kind)
			}
			if m := errs.Message(c.err); m != c.msg {
				t.Errorf("Message = %q, want %q", m, c.msg)
			}
			if r := errs.RetryAfter(c.err); r != c.retry {
				t.Errorf("RetryAfter = %v, want %v", r, c.retry)
			}
		})
	}
}

func TestErrorTextAndUnwrap(t *testing.T) {
	cause := errors.New("connection refused")
	err := errs.E(errs.Op("store.Ready"), errs.Unavailable, "database unavailable", cause)
	if got := err.Error(); got != "store.Ready: database unavailable: connection refused" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not find the cause")
	}
	sentinel := errs.E(errs.NotFound, "not found")
	if !errors.Is(fmt.Errorf("grid: %w", sentinel), sentinel) {
		t.Error("a kinded sentinel is not found by errors.Is")
	}
	if got := errs.E(errs.Forbidden).Error(); !strings.Contains(got, "forbidden") {
		t.Errorf("bare kind Error() = %q", got)
	}
}

func ExampleE() {
	err := fmt.Errorf("siting: %w", errs.E(errs.Op("siting.Validate"), errs.Invalid, "k = 0: want 1 to 200"))
	fmt.Println(errs.KindOf(err), "|", errs.Message(err))
	// Output: invalid | k = 0: want 1 to 200
}
