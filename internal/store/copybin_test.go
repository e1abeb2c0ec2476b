package store_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// TestCopyBinary: every type the binary COPY encoder writes reads back as
// written, at the edges of its range, with empty arrays and non-ASCII text;
// a row PostgreSQL refuses fails the COPY with its error.
func TestCopyBinary(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	type row struct {
		I2  int16
		I4  int32
		I8  int64
		F8  float64
		Day time.Time
		TS  time.Time
		Txt string
		A4  []int32
		A8  []int64
		AF  []float64
		AT  []string
	}
	rows := []row{
		{I2: -32768, I4: math.MinInt32, I8: math.MinInt64, F8: -1.5e-300, Day: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
			TS: time.UnixMilli(-1234).UTC(), Txt: "", A4: []int32{}, A8: []int64{}, AF: []float64{}, AT: []string{}},
		{I2: 32767, I4: math.MaxInt32, I8: math.MaxInt64, F8: math.Inf(1), Day: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
			TS: time.Date(2026, 11, 2, 23, 59, 59, 999e6, time.UTC), Txt: "送餐中 delivering",
			A4: []int32{0, -1, math.MaxInt32, math.MinInt32}, A8: []int64{608819029042118655, -7}, AF: []float64{0.25, -0, 1e308},
			AT: []string{"idle", "", "取餐"}},
		{I2: 0, I4: 7, I8: 8, F8: 0, Day: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), TS: time.Date(2000, 1, 1, 0, 0, 0, 1e6, time.UTC),
			Txt: "x", A4: make([]int32, 5000), A8: []int64{1}, AF: []float64{math.SmallestNonzeroFloat64}, AT: []string{"a"}},
	}
	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE cb (i2 smallint, i4 int, i8 bigint, f8 double precision, d date, ts timestamptz,
		txt text, a4 int[], a8 bigint[], af double precision[], at text[])`); err != nil {
		t.Fatal(err)
	}
	cols := []string{"i2", "i4", "i8", "f8", "d", "ts", "txt", "a4", "a8", "af", "at"}
	i := 0
	n, err := store.CopyBinary(ctx, tx, "cb", cols, func(r *store.CopyRow) bool {
		if i == len(rows) {
			return false
		}
		w := rows[i]
		i++
		r.Int2(w.I2)
		r.Int4(w.I4)
		r.Int8(w.I8)
		r.Float8(w.F8)
		r.Date(int32(w.Day.Unix() / 86400))
		r.TimestampMs(w.TS.UnixMilli())
		r.Text(w.Txt)
		r.Int4Array(w.A4)
		r.Int8Array(w.A8)
		r.Float8Array(w.AF)
		r.TextArray(w.AT)
		return true
	})
	if err != nil || n != int64(len(rows)) {
		t.Fatalf("copy: %d rows, err %v; want %d", n, err, len(rows))
	}
	got, err := pgx.CollectRows(mustQuery(t, tx, `SELECT i2, i4, i8, f8, d, ts, txt, a4, a8, af, at FROM cb ORDER BY i2`),
		func(r pgx.CollectableRow) (row, error) {
			var w row
			err := r.Scan(&w.I2, &w.I4, &w.I8, &w.F8, &w.Day, &w.TS, &w.Txt, &w.A4, &w.A8, &w.AF, &w.AT)
			w.TS = w.TS.UTC()
			return w, err
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{rows[0], rows[2], rows[1]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back:\n%+v\nwant\n%+v", got, want)
	}

	// A value the table refuses: the COPY fails with PostgreSQL's error
	// (and the encoder, still encoding, stops).
	if _, err := tx.Exec(ctx, `ALTER TABLE cb ADD CHECK (i4 <> 13)`); err != nil {
		t.Fatal(err)
	}
	i = 0
	_, err = store.CopyBinary(ctx, tx, "cb", []string{"i4"}, func(r *store.CopyRow) bool {
		i++
		if i > 100000 { // long enough to fail while rows are still being encoded
			return false
		}
		r.Int4(int32(i))
		return true
	})
	if err == nil || !strings.Contains(err.Error(), "cb_i4_check") {
		t.Errorf("copy of a refused row: err %v, want the check's violation", err)
	}
}

// TestCopyBinaryGeometry: points and polygons COPYed as EWKB land as the
// geometries they are, with their SRID, in typed columns; NULL is NULL.
func TestCopyBinaryGeometry(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	tx, err := st.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE g (i int, p geometry(Point, 4326), h geometry(Geometry, 4326))`); err != nil {
		t.Fatal(err)
	}
	geoms := []orb.Geometry{orb.Point{121.4, 31.25}, orb.Polygon{{{121.4, 31.2}, {121.5, 31.2}, {121.5, 31.3}, {121.4, 31.2}}}, nil}
	i := 0
	if _, err := store.CopyBinary(ctx, tx, "g", []string{"i", "p", "h"}, func(r *store.CopyRow) bool {
		if i == len(geoms) {
			return false
		}
		r.Int4(int32(i))
		b, err := store.AppendEWKB(nil, orb.Point{121 + float64(i), 31.25}, 4326)
		if err != nil {
			t.Error(err)
		}
		r.Bytes(b)
		if geoms[i] == nil {
			r.Null()
		} else if b, err = store.AppendEWKB(nil, geoms[i], 4326); err == nil {
			r.Bytes(b)
		} else {
			t.Error(err)
		}
		i++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := tx.QueryRow(ctx, `SELECT string_agg(ST_AsText(p) || ' ' || ST_SRID(p) || ' ' || coalesce(ST_AsText(h) || ' ' || ST_SRID(h), 'null'), '; ' ORDER BY i) FROM g`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	want := "POINT(121 31.25) 4326 POINT(121.4 31.25) 4326; POINT(122 31.25) 4326 POLYGON((121.4 31.2,121.5 31.2,121.5 31.3,121.4 31.2)) 4326; POINT(123 31.25) 4326 null"
	if got != want {
		t.Errorf("geometries read back:\n%s\nwant\n%s", got, want)
	}
}

func mustQuery(t *testing.T, tx pgx.Tx, q string) pgx.Rows {
	t.Helper()
	r, err := tx.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// BenchmarkCopyRowArrays encodes the int4 arrays of a rider-day's track
// (2,880 pings: a ping every 30 s) with the COPY encoder, beside pgx's
// encoding of the same arrays (the reference: what the imports used before).
func BenchmarkCopyRowArrays(b *testing.B) {
	vals := make([]int32, 2880)
	for i := range vals {
		vals[i] = int32(i*7919%60000 - 30000)
	}
	b.Run("copyRow", func(b *testing.B) {
		r := &store.CopyRow{}
		b.SetBytes(int64(4 * len(vals)))
		for b.Loop() {
			r.Reset()
			r.Int4Array(vals)
		}
	})
	b.Run("pgx", func(b *testing.B) {
		m := pgtype.NewMap()
		plan := m.PlanEncode(pgtype.Int4ArrayOID, pgtype.BinaryFormatCode, vals)
		var buf []byte
		b.SetBytes(int64(4 * len(vals)))
		for b.Loop() {
			var err error
			if buf, err = plan.Encode(vals, buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
