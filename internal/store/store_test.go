package store_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

func TestMigrateTwiceAndSchema(t *testing.T) {
	u := dbtest.NewURL(t)
	ctx := context.Background()
	s, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v1, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	if v1 < 1 {
		t.Fatalf("version after migrate = %d, want ≥ 1", v1)
	}
	v2, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if v2 != v1 {
		t.Fatalf("second migrate moved version %d → %d, want no-op", v1, v2)
	}

	tables := []string{"riders", "ping_tracks", "pings", "ingest_batches", "hex_activity", "hex_cells", "rider_ranges",
		"rider_days", "admin_areas", "grids", "sites", "scenarios", "assignments", "audit_log", "api_tokens", "data_versions"}
	for _, tb := range tables {
		var ok bool
		if err := s.Pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, "public."+tb).Scan(&ok); err != nil || !ok {
			t.Errorf("table %s missing (err %v)", tb, err)
		}
	}
	var partitioned string
	if err := s.Pool.QueryRow(ctx, `SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'ping_tracks'::regclass`).Scan(&partitioned); err != nil || partitioned != "r" {
		t.Errorf("ping_tracks partitioning = %q (err %v), want range partitioned", partitioned, err)
	}
	// Spatial indexes are GiST; the H3 lookups have btree indexes.
	want := map[string]string{
		"hex_cells_boundary": "gist", "hex_cells_center": "gist", "admin_areas_geom": "gist", "grids_geom": "gist",
		"sites_geom": "gist", "rider_ranges_hull": "gist", "hex_activity_pkey": "btree",
		"rider_ranges_cells": "gin",
	}
	rows, err := s.Pool.Query(ctx, `SELECT i.relname, am.amname FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var n, am string
		if err := rows.Scan(&n, &am); err != nil {
			t.Fatal(err)
		}
		got[n] = am
	}
	var missing []string
	for n, am := range want {
		if got[n] != am {
			missing = append(missing, n+" ("+am+", got "+got[n]+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("indexes missing or of the wrong kind: %s", strings.Join(missing, ", "))
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready on a migrated database: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, "postgres://nobody@127.0.0.1:1/none?connect_timeout=1", store.Options{})
	if err != nil {
		t.Fatalf("Open should be lazy, got %v", err)
	}
	defer s.Close()
	err = s.Ready(ctx)
	if err == nil || !store.IsUnavailable(err) {
		t.Fatalf("Ready on an unreachable server = %v, want an unavailable error", err)
	}
	if _, err := store.Open(ctx, "::not a url", store.Options{}); err == nil {
		t.Fatal("Open of a malformed URL should fail")
	}
}
