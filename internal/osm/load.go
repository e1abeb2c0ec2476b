package osm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/store"
)

// Progress receives the progress of one extract (the same methods as
// ingest.Progress, so the command's progress bar serves both).
type Progress interface {
	Start(file string, size int64)
	Update(bytes, rows int64)
	Done()
}

// Importer loads extracts into the store, each as one batch of kind osm.
type Importer struct {
	Store  *store.Store
	Log    *slog.Logger // may be nil
	Limits Limits       // the importer's limits (HEXCOVER_INGEST_*); zero fields take the defaults
}

// Summary is the outcome of one extract's import.
type Summary struct {
	File     string          `json:"file"`
	Kind     string          `json:"kind"`
	BatchID  int64           `json:"batch_id"`
	Skipped  bool            `json:"skipped"` // same extract imported before; nothing changed
	Replaced int64           `json:"replaced_batch,omitempty"`
	Read     Stats           `json:"read"`
	Stored   store.OSMCounts `json:"stored"`
	Duration time.Duration   `json:"duration_ns"`
}

// Import loads the extract at path. Importing the same bytes again is a no-op
// (unless replace); a different extract replaces the current one in the same
// transaction. A malformed file fails with nothing written.
func (im *Importer) Import(ctx context.Context, path string, replace bool, p Progress) (Summary, error) {
	start := time.Now()
	sum := Summary{File: path, Kind: "osm"}
	if _, _, err := Detect(path); err != nil {
		return sum, err
	}
	name := filepath.Base(path)
	// The importers' shared bookkeeping: hash first (the same extract again
	// is a no-op), one transaction, a failed batch recorded on an error.
	run := ingest.BatchRun{Store: im.Store, Log: im.Log, Kind: "osm", Path: path, Replace: replace}
	out, err := run.Do(ctx, func(ctx context.Context, sha string) (*store.Batch, *store.Batch, error) {
		load, old, err := im.Store.BeginOSM(ctx, name, sha, replace)
		if err != nil {
			return nil, old, err
		}
		var update func(int64, int64)
		if p != nil {
			fi, err := os.Stat(path)
			if err != nil {
				load.Rollback(ctx)
				return load.Batch(), old, err
			}
			p.Start(name, fi.Size())
			defer p.Done()
			update = p.Update
		}
		st, err := ReadLimited(ctx, path, im.Limits, storeSink{load}, update)
		sum.Read = st
		if err == nil {
			if sha2, herr := fileSHA256(path); herr != nil || sha2 != sha {
				err = errors.New("the file changed while it was being read")
			}
		}
		if err != nil {
			load.Rollback(ctx)
			return load.Batch(), old, err
		}
		if sum.Stored, err = load.Commit(ctx); err != nil {
			return load.Batch(), old, err
		}
		return load.Batch(), old, nil
	})
	sum.Duration = time.Since(start)
	if out.Batch != nil {
		sum.BatchID = out.Batch.ID
	}
	sum.Skipped = out.Skipped
	if out.Old != nil {
		sum.Replaced = out.Old.ID
	}
	return sum, err
}

// fileSHA256 is the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// storeSink writes what the reader finds into an open import.
type storeSink struct{ l *store.OSMLoad }

func (s storeSink) Feature(ctx context.Context, f Feature) error {
	return s.l.Feature(ctx, store.OSMFeature{OSMType: f.OSMType, OSMID: f.OSMID, Layer: f.Layer, Class: f.Class,
		Name: f.Name, NameEn: f.NameEn, Ref: f.Ref, Bridge: f.Bridge, Tunnel: f.Tunnel, MinZoom: f.MinZoom,
		Area: f.Area, Parts: f.Parts, Geometry: f.Geometry})
}

func (s storeSink) Edge(ctx context.Context, e Edge) error {
	return s.l.Edge(ctx, store.OSMEdge{WayID: e.WayID, Source: e.Source, Target: e.Target, Class: e.Class,
		Bicycle: e.Bicycle, Access: e.Access, Oneway: e.Oneway, LengthM: e.LengthM, From: e.From, To: e.To})
}

func (s storeSink) Site(ctx context.Context, st Site) error {
	return s.l.Site(ctx, st.OSMType, st.OSMID, st.Site)
}
