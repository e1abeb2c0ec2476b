package store

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jackc/pgx/v5"
)

// HourRows is every hour-of-week row (how 0–167) of one resolution's
// cells, laid out for unions in memory. A cell's riders are numbered by
// their place in its whole-week row (how −1, the union of its hour rows),
// so each hour row holds small local numbers (2 bytes a rider) and the
// distinct riders of any hour list of a cell are counted over at most
// MaxRiders numbers. It is what lets internal/tiles draw the admin's tile
// of an hour list that is none of the rolled-up sets without reading
// rider-key arrays per tile.
type HourRows struct {
	Version   int64   // the activity data version the rows belong to
	Cells     []int64 // ascending
	Start     []int32 // cell i's rows are Rows[Start[i]:Start[i+1]] (len(Cells)+1 entries)
	Rows      []HourRow
	Keys      []uint16 // row r's riders are Keys[Rows[r-1].End:Rows[r].End] (from 0 for r = 0)
	MaxRiders int      // the most riders of one cell's whole week
}

// HourRow is one (cell, hour of week) row: its sums, and where its riders
// end in HourRows.Keys.
type HourRow struct {
	How          int16
	Pings        int64
	RiderSeconds float64
	DwellSeconds float64
	End          uint32
}

// hourRowBytes is what one HourRow takes in memory.
const hourRowBytes = 40

// Bytes is the memory the rows take.
func (h *HourRows) Bytes() int { return hourRowBytes*len(h.Rows) + 2*len(h.Keys) + 12*len(h.Cells) }

// RowKeys returns the riders of row r, numbered within its cell.
func (h *HourRows) RowKeys(r int) []uint16 {
	from := uint32(0)
	if r > 0 {
		from = h.Rows[r-1].End
	}
	return h.Keys[from:h.Rows[r].End]
}

// LoadHourRows reads every hour-of-week row of resolution res, in one
// snapshot with the activity version they belong to. It first counts the
// rows and rider entries and asks fits whether that many bytes may be
// kept; when not, or when a cell has more riders over the week than 2-byte
// numbers hold, it returns ok false (the caller keeps reading rows by key
// per tile).
func (s *Store) LoadHourRows(ctx context.Context, res int, fits func(bytes int) bool) (out *HourRows, ok bool, err error) {
	tx, err := s.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	out = &HourRows{}
	// Sized first (riders is the arrays' cardinality, stored): appending
	// tens of millions of keys to growing slices was most of the time.
	var nrows, nkeys, ncells, most int64
	if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0),
			count(*) FILTER (WHERE how >= 0), coalesce(sum(riders) FILTER (WHERE how >= 0), 0),
			count(*) FILTER (WHERE how = -1), coalesce(max(riders) FILTER (WHERE how = -1), 0)
		FROM hex_activity WHERE res = $1`, int16(res)).Scan(&out.Version, &nrows, &nkeys, &ncells, &most); err != nil {
		return nil, false, err
	}
	if most > math.MaxUint16+1 || nkeys > math.MaxUint32 ||
		!fits(hourRowBytes*int(nrows)+2*int(nkeys)+12*int(ncells)) {
		return nil, false, nil
	}
	out.Rows = make([]HourRow, 0, nrows)
	out.Keys = make([]uint16, 0, nkeys)
	out.Cells = make([]int64, 0, ncells)
	out.Start = make([]int32, 0, ncells+1)
	out.MaxRiders = int(most)
	// A cell's whole-week row comes first (how −1): its keys number the
	// riders of the hour rows after it.
	rows, err := tx.Query(ctx, `SELECT cell, how, pings, rider_seconds, dwell_seconds, rider_keys
		FROM hex_activity WHERE res = $1 ORDER BY cell, how`, int16(res))
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var (
		week, keys []int64
		row        HourRow
		cell       int64
		weekCell   = int64(-1)
	)
	for rows.Next() {
		raw := rows.RawValues()
		if err := rows.Scan(&cell, &row.How, &row.Pings, &row.RiderSeconds, &row.DwellSeconds, nil); err != nil {
			return nil, false, err
		}
		if row.How < 0 {
			if week, err = decodeInt8Array(raw[5], week[:0]); err != nil {
				return nil, false, fmt.Errorf("hex_activity rider_keys of cell %x: %w", cell, err)
			}
			if len(week) > math.MaxUint16+1 {
				return nil, false, nil // grown since counted
			}
			if !slices.IsSorted(week) {
				slices.Sort(week)
			}
			weekCell = cell
			out.Cells = append(out.Cells, cell)
			out.Start = append(out.Start, int32(len(out.Rows)))
			continue
		}
		if cell != weekCell {
			return nil, false, fmt.Errorf("hex_activity cell %x hour %d: no whole-week row", cell, row.How)
		}
		if keys, err = decodeInt8Array(raw[5], keys[:0]); err != nil {
			return nil, false, fmt.Errorf("hex_activity rider_keys of cell %x hour %d: %w", cell, row.How, err)
		}
		if len(out.Keys)+len(keys) > int(nkeys) {
			return nil, false, fmt.Errorf("hex_activity rider_keys of resolution %d: more than the %d counted", res, nkeys)
		}
		// Both sorted as stored: one merge walk; a key out of order is
		// found by binary search instead.
		j := 0
		for _, k := range keys {
			if j >= len(week) || week[j] > k {
				j = 0
			}
			if j < len(week) && week[j] < k {
				if w := week[j:]; len(w) < 16 || w[15] >= k {
					for week[j] < k {
						j++
						if j == len(week) {
							break
						}
					}
				} else {
					d, _ := slices.BinarySearch(w, k)
					j += d
				}
			}
			if j == len(week) || week[j] != k {
				return nil, false, fmt.Errorf("hex_activity cell %x hour %d: rider key not in the cell's whole-week row", cell, row.How)
			}
			out.Keys = append(out.Keys, uint16(j))
		}
		row.End = uint32(len(out.Keys))
		out.Rows = append(out.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	out.Start = append(out.Start, int32(len(out.Rows)))
	return out, true, nil
}
