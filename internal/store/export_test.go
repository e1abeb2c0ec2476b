package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

// SetTrackBudget sets how many pings an import buffers before it writes
// them, for tests that need several batches from few pings; it returns the
// previous budget.
func SetTrackBudget(n int) int {
	old := trackBudget
	trackBudget = n
	return old
}

// CopyRow and CopyBinary expose the binary COPY encoder to the tests.
type CopyRow = copyRow

func CopyBinary(ctx context.Context, tx pgx.Tx, table string, cols []string, row func(*CopyRow) bool) (int64, error) {
	return copyBinary(ctx, tx, table, cols, row)
}

// Reset empties the row for reuse.
func (r *copyRow) Reset() { r.b = r.b[:0] }

// AppendEWKB exposes appendEWKB to the tests.
func AppendEWKB(b []byte, g orb.Geometry, srid uint32) ([]byte, error) { return appendEWKB(b, g, srid) }
