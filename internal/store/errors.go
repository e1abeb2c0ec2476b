package store

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hexcover/hexcover/internal/errs"
)

// Translate classifies a database error as an errs kind: the one place
// PostgreSQL error codes are read. Errors that already have a kind, and
// nil, pass through unchanged; other errors come back with their kind and
// the original as the cause (the cause's text, which may quote SQL or data,
// is never shown to users).
//
//	context.Canceled                    → Canceled
//	context.DeadlineExceeded, 57014     → Timeout (statement timeout)
//	40001, 40P01                        → Unavailable (serialization failure, deadlock: retry)
//	08xxx, 57P0x, 53xxx, unreachable    → Unavailable (connection, shutdown, resources)
//	23505                               → Conflict (unique violation)
//	22xxx                               → Invalid (data exception)
//	anything else                       → unchanged (Internal)
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var ke *errs.Error
	if errors.As(err, &ke) && errs.KindOf(err) != errs.Internal {
		return err
	}
	const op errs.Op = "store"
	switch {
	case errors.Is(err, context.Canceled):
		return errs.E(op, errs.Canceled, err)
	case errors.Is(err, context.DeadlineExceeded):
		return errs.E(op, errs.Timeout, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch c := pe.Code; {
		case c == "57014":
			return errs.E(op, errs.Timeout, "query took too long; narrow the request or retry", err)
		case c == "40001" || c == "40P01":
			return errs.E(op, errs.Unavailable, "the database was busy with a conflicting change; retry", err)
		case strings.HasPrefix(c, "08") || strings.HasPrefix(c, "57P") || strings.HasPrefix(c, "53"):
			return errs.E(op, errs.Unavailable, "database unavailable; retry shortly", err)
		case c == "23505":
			return errs.E(op, errs.Conflict, "this already exists", err)
		case strings.HasPrefix(c, "22"):
			return errs.E(op, errs.Invalid, "a value is malformed or out of range", err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return errs.E(op, errs.Unavailable, "database unavailable; retry shortly", err)
	}
	return err
}

// IsUnavailable tells whether err means the database could not be reached
// or is busy (as opposed to a query being wrong).
func IsUnavailable(err error) bool { return errs.Is(errs.Unavailable, Translate(err)) }
