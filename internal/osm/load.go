package osm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

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
	Store *store.Store
	Log   *slog.Logger // may be nil
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
	sha, size, err := hashFile(path)
	if err != nil {
		return sum, err
	}
	if !replace {
		old, err := im.Store.FindDoneBatch(ctx, "osm", sha)
		if err != nil {
			return sum, err
		}
		if old != nil {
			sum.Skipped, sum.BatchID = true, old.ID
			sum.Duration = time.Since(start)
			return sum, nil
		}
	}
	name := filepath.Base(path)
	load, old, err := im.Store.BeginOSM(ctx, name, sha, replace)
	if errors.Is(err, store.ErrAlreadyImported) && old != nil {
		sum.Skipped, sum.BatchID = true, old.ID
		sum.Duration = time.Since(start)
		return sum, nil
	}
	if err != nil {
		return sum, err
	}
	if old != nil {
		sum.Replaced = old.ID
	}
	if p != nil {
		p.Start(name, size)
		defer p.Done()
	}
	var update func(int64, int64)
	if p != nil {
		update = p.Update
	}
	st, err := Read(ctx, path, storeSink{load}, update)
	sum.Read = st
	if err == nil {
		if p != nil {
			p.Update(size, st.Nodes+st.Ways+st.Relations)
		}
		if sha2, _, herr := hashFile(path); herr != nil || sha2 != sha {
			err = errors.New("the file changed while it was being read")
		}
	}
	if err != nil {
		load.Rollback(ctx)
		fb := *load.Batch()
		if rerr := im.Store.RecordFailedBatch(ctx, fb); rerr != nil && im.Log != nil {
			im.Log.Warn("could not record the failed batch", "file", path, "err", rerr)
		}
		return sum, fmt.Errorf("%w (nothing was imported)", err)
	}
	c, err := load.Commit(ctx)
	if err != nil {
		return sum, fmt.Errorf("%s: %w (nothing was imported)", path, err)
	}
	sum.Stored, sum.BatchID = c, load.Batch().ID
	sum.Duration = time.Since(start)
	return sum, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
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
