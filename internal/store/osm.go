package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/hexcover/hexcover/internal/model"
)

// OSMFeature is one basemap feature to store (see internal/osm.Feature).
type OSMFeature struct {
	OSMType, Layer, Class, Name, NameEn, Ref string
	OSMID                                    int64
	Bridge, Tunnel                           bool
	MinZoom                                  int
	Area, Parts                              bool
	Geometry                                 orb.Geometry
}

// OSMEdge is one road segment between two OSM nodes.
type OSMEdge struct {
	WayID, Source, Target          int64
	Class, Bicycle, Access, Oneway string
	LengthM                        float64
	From, To                       orb.Point
}

// OSMLoad is an open import of one OSM extract: everything is written in one
// transaction and replaces the previous extract on Commit.
type OSMLoad struct {
	tx       pgx.Tx
	batch    *Batch
	features [][]any
	edges    [][]any
	sites    *pgx.Batch
}

const osmChunk = 8192

// BeginOSM starts importing an extract. It returns ErrAlreadyImported, with
// the earlier batch, when the same content was imported before and replace is
// false. Rows of every earlier extract are removed in the same transaction,
// so readers see the old extract until Commit and the new one after.
func (s *Store) BeginOSM(ctx context.Context, name, sha string, replace bool) (*OSMLoad, *Batch, error) {
	b := &Batch{Kind: "osm", Name: name, SHA256: sha, CRS: "wgs84"}
	tx, old, err := s.beginBatch(ctx, b, replace)
	if err != nil {
		return nil, old, err
	}
	l := &OSMLoad{tx: tx, batch: b, sites: &pgx.Batch{}}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE osm_stage (osm_type text, osm_id bigint, layer text, class text,
		name text, name_en text, ref text, bridge boolean, tunnel boolean, minzoom smallint, area boolean, parts boolean,
		wkb bytea) ON COMMIT DROP`); err != nil {
		l.Rollback(ctx)
		return nil, nil, err
	}
	return l, old, nil
}

// Batch is the batch being written.
func (l *OSMLoad) Batch() *Batch { return l.batch }

// Feature queues one basemap feature.
func (l *OSMLoad) Feature(ctx context.Context, f OSMFeature) error {
	g, err := wkb.Marshal(f.Geometry)
	if err != nil {
		return fmt.Errorf("osm %s %d: %w", f.OSMType, f.OSMID, err)
	}
	l.features = append(l.features, []any{f.OSMType, f.OSMID, f.Layer, f.Class, f.Name, f.NameEn, f.Ref, f.Bridge,
		f.Tunnel, int16(f.MinZoom), f.Area, f.Parts, g})
	if len(l.features) >= osmChunk {
		return l.flushFeatures(ctx)
	}
	return nil
}

// Edge queues one road segment.
func (l *OSMLoad) Edge(ctx context.Context, e OSMEdge) error {
	l.edges = append(l.edges, []any{l.batch.ID, e.WayID, e.Source, e.Target, e.Class, e.Bicycle, e.Access, e.Oneway,
		e.LengthM, e.From[0], e.From[1], e.To[0], e.To[1]})
	if len(l.edges) >= osmChunk {
		return l.flushEdges(ctx)
	}
	return nil
}

// Site queues one candidate site found in the extract (insert, or update by
// its ext_id osm:TYPE/ID).
func (l *OSMLoad) Site(ctx context.Context, osmType string, osmID int64, st model.Site) error {
	am := st.Amenities
	if am == nil {
		am = []string{}
	}
	l.sites.Queue(`INSERT INTO sites (ext_id, kind, status, name, capacity, amenities, batch_id, osm_type, osm_id, geom)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ST_SetSRID(ST_MakePoint($10, $11), 4326))
		ON CONFLICT (ext_id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, amenities = EXCLUDED.amenities,
			batch_id = EXCLUDED.batch_id, osm_type = EXCLUDED.osm_type, osm_id = EXCLUDED.osm_id, geom = EXCLUDED.geom`,
		st.ExtID, string(st.Kind), string(st.Status), st.Name, st.Capacity, am, l.batch.ID, osmType, osmID,
		st.Location.Lon(), st.Location.Lat())
	if l.sites.Len() >= 500 {
		return l.flushSites(ctx)
	}
	return nil
}

// The staged features' and the edges' columns, in the order Feature and
// Edge queue them.
var (
	osmStageColumns = []string{"osm_type", "osm_id", "layer", "class", "name", "name_en", "ref", "bridge", "tunnel",
		"minzoom", "area", "parts", "wkb"}
	osmEdgeColumns = []string{"batch_id", "way_id", "source", "target", "class", "bicycle", "access", "oneway",
		"length_m", "x1", "y1", "x2", "y2"}
)

func (l *OSMLoad) flushFeatures(ctx context.Context) error {
	return l.copyQueued(ctx, "osm_stage", osmStageColumns, &l.features)
}

func (l *OSMLoad) flushEdges(ctx context.Context) error {
	return l.copyQueued(ctx, "osm_edges", osmEdgeColumns, &l.edges)
}

// copyQueued writes the queued rows into table with COPY and empties the
// queue.
func (l *OSMLoad) copyQueued(ctx context.Context, table string, columns []string, rows *[][]any) error {
	if len(*rows) == 0 {
		return nil
	}
	_, err := l.tx.CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(*rows))
	*rows = (*rows)[:0]
	return err
}

func (l *OSMLoad) flushSites(ctx context.Context) error {
	if l.sites.Len() == 0 {
		return nil
	}
	err := l.tx.SendBatch(ctx, l.sites).Close()
	l.sites = &pgx.Batch{}
	return err
}

// OSMCounts is what an extract import wrote.
type OSMCounts struct {
	Features int64 `json:"features"`
	Edges    int64 `json:"edges"`
	Vertices int64 `json:"vertices"`
	Sites    int64 `json:"sites"`
	Removed  int64 `json:"sites_removed"` // candidate sites of the previous extract that the new one no longer has
}

// Commit builds the features' geometries (multipolygons are assembled with
// ST_BuildArea; areas get their min zoom from their size), removes every
// earlier extract's rows and the sites only they had, bumps the basemap,
// network and sites versions and commits.
func (l *OSMLoad) Commit(ctx context.Context) (OSMCounts, error) {
	var c OSMCounts
	fail := func(err error) (OSMCounts, error) {
		l.Rollback(ctx)
		return OSMCounts{}, err
	}
	for _, f := range []func(context.Context) error{l.flushFeatures, l.flushEdges, l.flushSites} {
		if err := f(ctx); err != nil {
			return fail(err)
		}
	}
	id := l.batch.ID
	// Earlier extracts: the newest one replaces them.
	rows, err := l.tx.Query(ctx, `SELECT id FROM ingest_batches WHERE kind = 'osm' AND status = 'done' AND id <> $1`, id)
	if err != nil {
		return fail(err)
	}
	olds, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fail(err)
	}
	for _, o := range olds {
		if err := deleteOSMRows(ctx, l.tx, o); err != nil {
			return fail(err)
		}
	}
	tag, err := l.tx.Exec(ctx, `DELETE FROM sites WHERE osm_id IS NOT NULL AND status = 'candidate' AND batch_id = ANY($1)`, olds)
	if err != nil {
		return fail(err)
	}
	c.Removed = tag.RowsAffected()
	// Areas: closed ways are polygons already; multipolygons are assembled
	// from their member ways. Invalid rings are repaired, and areas that
	// cannot be built are dropped. An area's min zoom follows its size: about
	// a pixel's worth at that zoom (z 9: ~0.1 km², z 14: ~100 m²).
	tag, err = l.tx.Exec(ctx, `
		WITH g AS (
			SELECT s.*, CASE
				WHEN s.parts THEN ST_Multi(ST_BuildArea(ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326)))
				WHEN s.area THEN ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326)), 3))
				ELSE ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326) END AS geom
			FROM osm_stage s)
		INSERT INTO osm_features (batch_id, osm_type, osm_id, layer, class, name, name_en, ref, bridge, tunnel, minzoom, geom)
		SELECT $1, osm_type, osm_id, layer, class, name, name_en, ref, bridge, tunnel,
			CASE WHEN area AND minzoom = 0 THEN
				CASE WHEN a >= 5e6 THEN 6 WHEN a >= 5e5 THEN 8 WHEN a >= 1e5 THEN 10 WHEN a >= 2e4 THEN 12
				     WHEN a >= 2e3 THEN 13 ELSE 14 END
			ELSE minzoom END, geom
		FROM (SELECT g.*, CASE WHEN g.area THEN ST_Area(g.geom::geography) ELSE 0 END AS a FROM g
			WHERE g.geom IS NOT NULL AND NOT ST_IsEmpty(g.geom)) x`, id)
	if err != nil {
		return fail(fmt.Errorf("store osm features: %w", err))
	}
	c.Features = tag.RowsAffected()
	tag, err = l.tx.Exec(ctx, `INSERT INTO osm_vertices (id, batch_id, geom)
		SELECT DISTINCT ON (v) v, $1, ST_SetSRID(ST_MakePoint(x, y), 4326) FROM (
			SELECT source AS v, x1 AS x, y1 AS y FROM osm_edges WHERE batch_id = $1
			UNION ALL SELECT target, x2, y2 FROM osm_edges WHERE batch_id = $1) e ORDER BY v`, id)
	if err != nil {
		return fail(fmt.Errorf("store osm vertices: %w", err))
	}
	c.Vertices = tag.RowsAffected()
	if err := l.tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM osm_edges WHERE batch_id = $1),
		(SELECT count(*) FROM sites WHERE batch_id = $1)`, id).Scan(&c.Edges, &c.Sites); err != nil {
		return fail(err)
	}
	if _, err := l.tx.Exec(ctx, `ANALYZE osm_features`); err != nil {
		return fail(err)
	}
	if err := bumpVersion(ctx, l.tx, "basemap", "network", "sites"); err != nil {
		return fail(err)
	}
	l.batch.RowsOK = c.Features + c.Edges + c.Sites
	if err := finishBatch(ctx, l.tx, l.batch); err != nil {
		return fail(err)
	}
	return c, nil
}

// Rollback abandons the import; nothing of it remains.
func (l *OSMLoad) Rollback(ctx context.Context) {
	_ = l.tx.Rollback(context.WithoutCancel(ctx))
}

// deleteOSMRows removes one extract's basemap features and network, and
// marks it replaced. Its sites are removed by the caller only when the new
// extract no longer has them (they are upserted by ext_id).
func deleteOSMRows(ctx context.Context, tx pgx.Tx, batchID int64) error {
	for _, q := range []string{
		`DELETE FROM osm_features WHERE batch_id = $1`,
		`DELETE FROM osm_edges WHERE batch_id = $1`,
		`DELETE FROM osm_vertices WHERE batch_id = $1`,
		`DELETE FROM network_catchments WHERE batch_id = $1`,
		`UPDATE ingest_batches SET status = 'replaced' WHERE id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, batchID); err != nil {
			return err
		}
	}
	return nil
}

// OSMBatch returns the id of the current road extract, or 0 when none is
// loaded.
func (s *Store) OSMBatch(ctx context.Context) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM ingest_batches WHERE kind = 'osm' AND status = 'done'`).Scan(&id)
	return id, err
}

// basemapLayers are the basemap's MVT layers in drawing order, with the
// properties each carries.
var basemapLayers = []struct{ name, props string }{
	{"water", "class, name, name_en"},
	{"park", "class, name, name_en"},
	{"building", "class"},
	{"rail", "class, name, name_en, bridge, tunnel"},
	{"road", "class, name, name_en, ref, bridge, tunnel"},
	{"place", "class, name, name_en"},
	{"poi", "class, name, name_en"},
}

// basemapMVTQuery builds one tile of every basemap layer with PostGIS
// (ST_AsMVT per layer; MVT layers concatenate into one tile). Features below
// their min zoom are left out (minor roads, small areas at low zoom), and
// lines and areas are simplified to about a tile unit before clipping.
var basemapMVTQuery = func() string {
	q := `WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS e3857,
		ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS e4326,
		360.0 / (4096 * 2 ^ $1) AS tol)
	SELECT `
	for i, l := range basemapLayers {
		if i > 0 {
			q += " || "
		}
		q += `coalesce((SELECT ST_AsMVT(t, '` + l.name + `', 4096, 'geom') FROM (
			SELECT ` + l.props + `, ST_AsMVTGeom(ST_Transform(CASE WHEN GeometryType(f.geom) IN ('POINT', 'MULTIPOINT')
				THEN f.geom ELSE ST_SimplifyPreserveTopology(f.geom, env.tol) END, 3857), env.e3857, 4096, 64, true) AS geom
			FROM osm_features f, env WHERE f.layer = '` + l.name + `' AND f.minzoom <= $1 AND f.geom && env.e4326
			ORDER BY f.minzoom DESC, f.id) t WHERE t.geom IS NOT NULL), '')`
	}
	return q
}()

// BasemapMVT returns the basemap tile z/x/y (uncompressed MVT); empty when
// nothing is drawn there.
func (s *Store) BasemapMVT(ctx context.Context, z, x, y int) ([]byte, error) {
	var b []byte
	err := s.Pool.QueryRow(ctx, basemapMVTQuery, z, x, y).Scan(&b)
	return b, err
}
