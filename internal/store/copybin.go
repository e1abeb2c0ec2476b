package store

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// The imports' COPYs (raw tracks, aggregate rider keys, rider ranges) are
// encoded here in PostgreSQL's binary COPY format, not by pgx: pgx encodes
// arrays element by element through its type map, which cost 6.3 s of the
// district-day import's CPU (3.3 s for the tracks' int4 arrays, 2.2 s for
// int8 arrays); a loop over a typed slice costs a sixteenth of that
// (BenchmarkCopyRowArrays: 16-18x faster). Only the few types those tables
// hold are here.

// Binary COPY framing and the element types of the arrays.
const (
	oidInt4   = 23
	oidInt8   = 20
	oidFloat8 = 701
	oidText   = 25
	// PostgreSQL's epoch (2000-01-01 UTC) in Unix days and milliseconds.
	pgEpochDays = 10957
	pgEpochMs   = pgEpochDays * 86400000
)

var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyRow appends the fields of one row in binary COPY format.
type copyRow struct{ b []byte }

func (r *copyRow) u16(v uint16) { r.b = binary.BigEndian.AppendUint16(r.b, v) }
func (r *copyRow) u32(v uint32) { r.b = binary.BigEndian.AppendUint32(r.b, v) }
func (r *copyRow) u64(v uint64) { r.b = binary.BigEndian.AppendUint64(r.b, v) }

// Int2, Int4, Int8, Float8 append a smallint, integer, bigint or double
// precision field.
func (r *copyRow) Int2(v int16)     { r.u32(2); r.u16(uint16(v)) }
func (r *copyRow) Int4(v int32)     { r.u32(4); r.u32(uint32(v)) }
func (r *copyRow) Int8(v int64)     { r.u32(8); r.u64(uint64(v)) }
func (r *copyRow) Float8(v float64) { r.u32(8); r.u64(math.Float64bits(v)) }

// Date appends a date given in days since 1970-01-01.
func (r *copyRow) Date(unixDays int32) { r.Int4(unixDays - pgEpochDays) }

// TimestampMs and TimestampUs append a timestamptz given in Unix
// milliseconds or microseconds.
func (r *copyRow) TimestampMs(ms int64) { r.Int8((ms - pgEpochMs) * 1000) }
func (r *copyRow) TimestampUs(us int64) { r.Int8(us - pgEpochMs*1000) }

// Null appends a NULL.
func (r *copyRow) Null() { r.u32(0xffffffff) }

// Bytes appends a field given in its binary form (bytea; a geometry as
// EWKB, see appendEWKB).
func (r *copyRow) Bytes(b []byte) { r.u32(uint32(len(b))); r.b = append(r.b, b...) }

// Text appends a text field; s must be valid UTF-8 without NUL.
func (r *copyRow) Text(s string) { r.u32(uint32(len(s))); r.b = append(r.b, s...) }

// arrayHead appends the length and header of a one-dimensional array of n
// elements of type oid taking size bytes (with their lengths), or of an
// empty array.
func (r *copyRow) arrayHead(oid uint32, n, size int) {
	if n == 0 {
		r.u32(12)
		r.u32(0) // no dimensions
		r.u32(0) // no NULLs
		r.u32(oid)
		return
	}
	r.u32(uint32(20 + size))
	r.u32(1)
	r.u32(0)
	r.u32(oid)
	r.u32(uint32(n))
	r.u32(1) // lower bound
}

// Int4Array, Int8Array, Float8Array and TextArray append an array field
// (never NULL: a nil slice is an empty array).
func (r *copyRow) Int4Array(vs []int32) {
	r.arrayHead(oidInt4, len(vs), 8*len(vs))
	r.b = growBytes(r.b, 8*len(vs))
	for _, v := range vs {
		r.b = append(r.b, 0, 0, 0, 4, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

func (r *copyRow) Int8Array(vs []int64) {
	r.arrayHead(oidInt8, len(vs), 12*len(vs))
	r.b = growBytes(r.b, 12*len(vs))
	for _, v := range vs {
		r.b = append(r.b, 0, 0, 0, 8)
		r.b = binary.BigEndian.AppendUint64(r.b, uint64(v))
	}
}

func (r *copyRow) Float8Array(vs []float64) {
	r.arrayHead(oidFloat8, len(vs), 12*len(vs))
	r.b = growBytes(r.b, 12*len(vs))
	for _, v := range vs {
		r.b = append(r.b, 0, 0, 0, 8)
		r.b = binary.BigEndian.AppendUint64(r.b, math.Float64bits(v))
	}
}

func (r *copyRow) TextArray(vs []string) {
	size := 4 * len(vs)
	for _, s := range vs {
		size += len(s)
	}
	r.arrayHead(oidText, len(vs), size)
	for _, s := range vs {
		r.Text(s)
	}
}

func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		b = append(b[:cap(b)], make([]byte, n+len(b)-cap(b))...)[:len(b)]
	}
	return b
}

// appendEWKB appends g as EWKB with the given SRID, the binary form of a
// PostGIS geometry: WKB whose type carries the SRID flag, followed by the
// SRID.
func appendEWKB(b []byte, g orb.Geometry, srid uint32) ([]byte, error) {
	w, err := wkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		return b, err
	}
	b = append(b, w[0])
	b = binary.LittleEndian.AppendUint32(b, binary.LittleEndian.Uint32(w[1:5])|0x20000000)
	b = binary.LittleEndian.AppendUint32(b, srid)
	return append(b, w[5:]...), nil
}

// copyChunk is how many bytes are encoded before they are sent.
const copyChunk = 256 << 10

// copyBinary COPYs rows into table's columns cols: row appends the fields
// of the next row (one per column, in order) and returns false when there
// are no more (appending nothing then). Encoding runs beside the sending.
func copyBinary(ctx context.Context, tx pgx.Tx, table string, cols []string, row func(*copyRow) bool) (int64, error) {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(names, ", ") + ") FROM STDIN (FORMAT binary)"
	pr, pw := io.Pipe()
	encoded := make(chan struct{})
	go func() {
		defer close(encoded)
		r := &copyRow{b: append(make([]byte, 0, copyChunk+64<<10), copyHeader...)}
		for {
			n := len(r.b)
			r.u16(uint16(len(cols)))
			if !row(r) {
				r.b = r.b[:n]
				break
			}
			if len(r.b) >= copyChunk {
				if _, err := pw.Write(r.b); err != nil {
					return // the COPY failed; it says why
				}
				r.b = r.b[:0]
			}
		}
		r.u16(0xffff) // the trailer
		if _, err := pw.Write(r.b); err == nil {
			pw.Close()
		}
	}()
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, pr, sql)
	pr.CloseWithError(errCopyDone) // stops the encoder if the COPY ended early
	<-encoded
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

var errCopyDone = errors.New("copy ended")
