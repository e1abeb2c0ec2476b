package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hexcover/hexcover/internal/store"
)

// BatchRun is the bookkeeping every importer shares for a file imported as
// one batch (Loader.Import here, osm.Importer for OpenStreetMap extracts):
// the file is hashed first, so importing the same bytes again is a no-op
// that needs no write transaction (unless Replace); the import itself runs
// in one transaction (its begin also answers store.ErrAlreadyImported when
// the same bytes were imported meanwhile); and a failed import is recorded
// as a failed batch, its error naming the file and saying nothing was
// imported.
type BatchRun struct {
	Store   *store.Store
	Log     *slog.Logger // may be nil
	Kind    string       // the batch kind: pings, grids, sites, areas, osm
	Path    string
	Replace bool // import again a file that was imported before
}

// BatchOutcome is how a BatchRun ended.
type BatchOutcome struct {
	SHA256  string
	Skipped bool         // the same bytes were imported before: Batch is that import, nothing changed
	Batch   *store.Batch // the batch written (or, when Skipped, the earlier one)
	Old     *store.Batch // the batch this import replaced, if any
}

// Do runs import(ctx, sha) unless the file was imported before. import
// returns the batch it began (nil when it did not get that far), the batch
// it replaces, and its error; on an error the batch, when there is one, is
// recorded as failed (with the rows it counts).
func (r BatchRun) Do(ctx context.Context, run func(ctx context.Context, sha string) (b, old *store.Batch, err error)) (BatchOutcome, error) {
	sha, err := fileSHA256(ctx, r.Path)
	if err != nil {
		return BatchOutcome{}, err
	}
	out := BatchOutcome{SHA256: sha}
	if !r.Replace {
		old, err := r.Store.FindDoneBatch(ctx, r.Kind, sha)
		if err != nil {
			return out, err
		}
		if old != nil {
			out.Skipped, out.Batch = true, old
			return out, nil
		}
	}
	b, old, err := run(ctx, sha)
	if errors.Is(err, store.ErrAlreadyImported) && old != nil {
		out.Skipped, out.Batch = true, old
		return out, nil
	}
	if err != nil {
		if b != nil {
			if rerr := r.Store.RecordFailedBatch(ctx, *b); rerr != nil && r.Log != nil {
				r.Log.Warn("could not record the failed batch", "file", r.Path, "err", rerr)
			}
		}
		return out, fmt.Errorf("%s: %w (nothing was imported)", r.Path, err)
	}
	out.Batch, out.Old = b, old
	return out, nil
}
