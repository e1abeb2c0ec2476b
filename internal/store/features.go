package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/hexcover/hexcover/internal/model"
)

// FeatureLoad is an open import of areas, grids or sites: rows are written
// in one transaction and become visible together on Commit.
type FeatureLoad struct {
	s     *Store
	tx    pgx.Tx
	batch *Batch
	b     *pgx.Batch
}

// BeginFeatures starts importing a file of areas, grids or sites (kind). It
// returns ErrAlreadyImported, with the earlier batch, when the same content
// was imported before and replace is false.
func (s *Store) BeginFeatures(ctx context.Context, kind, name, sha, crs string, replace bool) (*FeatureLoad, *Batch, error) {
	switch kind {
	case "areas", "grids", "sites":
	default:
		return nil, nil, fmt.Errorf("unknown feature kind %q", kind)
	}
	b := &Batch{Kind: kind, Name: name, SHA256: sha, CRS: crs}
	tx, old, err := s.beginBatch(ctx, b, replace)
	if err != nil {
		return nil, old, err
	}
	return &FeatureLoad{s: s, tx: tx, batch: b, b: &pgx.Batch{}}, old, nil
}

// Batch is the batch being written.
func (l *FeatureLoad) Batch() *Batch { return l.batch }

func geomWKB(g orb.Geometry) ([]byte, error) { return wkb.Marshal(g) }

// Area queues one administrative area (insert or update by code).
func (l *FeatureLoad) Area(ctx context.Context, a model.Area) error {
	g, err := geomWKB(a.Geometry)
	if err != nil {
		return err
	}
	var parent any
	if a.ParentCode != "" {
		parent = a.ParentCode
	}
	l.b.Queue(`INSERT INTO admin_areas (code, name, name_en, level, parent_code, batch_id, geom)
		VALUES ($1, $2, $3, $4, $5, $6, ST_Multi(ST_SetSRID(ST_GeomFromWKB($7), 4326)))
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, level = EXCLUDED.level,
			parent_code = EXCLUDED.parent_code, batch_id = EXCLUDED.batch_id, geom = EXCLUDED.geom`,
		a.Code, a.Name, a.NameEn, string(a.Level), parent, l.batch.ID, g)
	return l.flushIfFull(ctx)
}

// Grid queues one community grid (insert or update by code).
func (l *FeatureLoad) Grid(ctx context.Context, gr model.Grid) error {
	g, err := geomWKB(gr.Geometry)
	if err != nil {
		return err
	}
	l.b.Queue(`INSERT INTO grids (code, name, community_code, street_code, district_code, manager, target, batch_id, geom)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ST_Multi(ST_SetSRID(ST_GeomFromWKB($9), 4326)))
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, community_code = EXCLUDED.community_code,
			street_code = EXCLUDED.street_code, district_code = EXCLUDED.district_code, manager = EXCLUDED.manager,
			target = EXCLUDED.target, batch_id = EXCLUDED.batch_id, geom = EXCLUDED.geom`,
		gr.Code, gr.Name, gr.CommunityCode, gr.StreetCode, gr.DistrictCode, gr.Manager, gr.Target, l.batch.ID, g)
	return l.flushIfFull(ctx)
}

// Site queues one site (insert or update by its external id).
func (l *FeatureLoad) Site(ctx context.Context, st model.Site) error {
	am := st.Amenities
	if am == nil {
		am = []string{}
	}
	l.b.Queue(`INSERT INTO sites (ext_id, kind, status, name, capacity, amenities, batch_id, geom, opening_hours)
		VALUES ($1, $2, $3, $4, $5, $6, $7, ST_SetSRID(ST_MakePoint($8, $9), 4326), $10)
		ON CONFLICT (ext_id) DO UPDATE SET kind = EXCLUDED.kind, status = EXCLUDED.status, name = EXCLUDED.name,
			capacity = EXCLUDED.capacity, amenities = EXCLUDED.amenities, batch_id = EXCLUDED.batch_id, geom = EXCLUDED.geom,
			opening_hours = EXCLUDED.opening_hours`,
		st.ExtID, string(st.Kind), string(st.Status), st.Name, st.Capacity, am, l.batch.ID, st.Location.Lon(), st.Location.Lat(), st.OpeningHours)
	return l.flushIfFull(ctx)
}

func (l *FeatureLoad) flushIfFull(ctx context.Context) error {
	if l.b.Len() < 500 {
		return nil
	}
	return l.flush(ctx)
}

func (l *FeatureLoad) flush(ctx context.Context) error {
	if l.b.Len() == 0 {
		return nil
	}
	err := l.tx.SendBatch(ctx, l.b).Close()
	l.b = &pgx.Batch{}
	return err
}

// Commit writes the counts, bumps the layer's data version and commits.
func (l *FeatureLoad) Commit(ctx context.Context, rowsOK, rowsRejected int64) error {
	if err := l.flush(ctx); err != nil {
		l.Rollback(ctx)
		return err
	}
	if err := bumpVersion(ctx, l.tx, l.batch.Kind); err != nil {
		l.Rollback(ctx)
		return err
	}
	l.batch.RowsOK, l.batch.RowsRejected = rowsOK, rowsRejected
	if err := finishBatch(ctx, l.tx, l.batch); err != nil {
		l.Rollback(ctx)
		return err
	}
	return nil
}

// Rollback abandons the import; nothing of it remains.
func (l *FeatureLoad) Rollback(ctx context.Context) {
	_ = l.tx.Rollback(context.WithoutCancel(ctx))
}
