package tiles

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/hexcover/hexcover/internal/store"
)

// Hour sums: the admin may filter the activity by any list of hours of
// week, and only the fixed hour sets have rollups (hexViews). For the other
// lists each tile used to read its cells' hour rows with their rider-key
// arrays from the database and unite them, which queued under concurrent
// clients. Instead every hour-of-week row of a resolution is kept in memory
// with its riders numbered within their cell (store.HourRows): a cell's
// figures over any hour list are summed, and its distinct riders counted,
// without a round trip — exact, as the admin's figures must be.

// DefaultHourBytes is the default of Options.HourBytes, the memory of the
// hour rows kept over all resolutions: about 2 bytes per rider of each
// (cell, hour of week) row, 59 MB for the district-day's 30 M, so a week
// of the district (each weekday its own rows) fits.
const DefaultHourBytes = 512 << 20

// hourSums is a store.HourRows aligned with the hexIndex of the same
// resolution and version: at[k] is index cell k's position in rows.Cells,
// or -1 when it has no hour rows.
type hourSums struct {
	rows  *store.HourRows
	at    []int32
	marks sync.Pool // of *riderMarks, sized to rows.MaxRiders
}

// riderMarks counts distinct riders without a set: mark[r] == epoch means
// the cell's rider r was seen in the cell being counted; each cell takes a
// new epoch.
type riderMarks struct {
	epoch uint32
	mark  []uint32
}

func alignHourRows(idx *hexIndex, hr *store.HourRows) *hourSums {
	x := &hourSums{rows: hr, at: make([]int32, len(idx.cells))}
	n := hr.MaxRiders
	x.marks.New = func() any { return &riderMarks{mark: make([]uint32, n)} }
	j := 0
	for k := range idx.cells {
		c := idx.cells[k].stat.Cell
		for j < len(hr.Cells) && hr.Cells[j] < c {
			j++
		}
		x.at[k] = -1
		if j < len(hr.Cells) && hr.Cells[j] == c {
			x.at[k] = int32(j)
		}
	}
	return x
}

// hourMask marks the hours of week of a list.
type hourMask [168]bool

func maskOf(hours []int16) *hourMask {
	var m hourMask
	for _, h := range hours {
		if h >= 0 && int(h) < len(m) {
			m[h] = true
		}
	}
	return &m
}

// stat returns index cell k's figures over the hours of m; ok false when
// it has no activity in them.
func (x *hourSums) stat(k int, m *hourMask, rm *riderMarks) (st store.HexStat, ok bool) {
	i := x.at[k]
	if i < 0 {
		return st, false
	}
	hr := x.rows
	st.Cell = hr.Cells[i]
	var (
		first = -1 // the one matching row, while there is one
		many  bool
	)
	for r := int(hr.Start[i]); r < int(hr.Start[i+1]); r++ {
		row := &hr.Rows[r]
		if !m[row.How] { // 0–167: the schema's check
			continue
		}
		st.Pings += row.Pings
		st.RiderSeconds += row.RiderSeconds
		st.DwellSeconds += row.DwellSeconds
		if first < 0 {
			first = r
			continue
		}
		if !many {
			many = true
			rm.next()
			st.Riders = rm.count(hr.RowKeys(first))
		}
		st.Riders += rm.count(hr.RowKeys(r))
	}
	if first < 0 {
		return st, false
	}
	if !many { // one row: its riders are distinct already
		st.Riders = len(hr.RowKeys(first))
	}
	return st, true
}

// next starts a new cell.
func (rm *riderMarks) next() {
	rm.epoch++
	if rm.epoch == 0 { // wrapped: forget every mark
		clear(rm.mark)
		rm.epoch = 1
	}
}

// count marks keys and returns how many were not marked yet in this cell.
func (rm *riderMarks) count(keys []uint16) int {
	n := 0
	e := rm.epoch
	for _, k := range keys {
		if rm.mark[k] != e {
			rm.mark[k] = e
			n++
		}
	}
	return n
}

// hourSumsEntry is the hour rows of one resolution at one activity version;
// x nil means none kept (too many, or the data moved on).
type hourSumsEntry struct {
	ver string
	x   *hourSums
}

// hourSums returns the hour rows of resolution res aligned with idx (the
// index of activity version ver), read once; nil when they do not fit in
// what is left of budget (bytes over all resolutions, those being read
// included) or the database has moved past ver: tiles then read the rows
// by key.
func (d *dataState) hourSums(ctx context.Context, res int, ver string, idx *hexIndex, budget int) (*hourSums, error) {
	d.mu.Lock()
	if e, ok := d.hours[res]; ok && e.ver == ver {
		d.mu.Unlock()
		return e.x, nil
	}
	d.mu.Unlock()
	if budget <= 0 {
		return nil, nil
	}
	v, err, _ := d.sf.Do("hours:"+strconv.Itoa(res)+":"+ver, func() (any, error) {
		d.mu.Lock()
		gen := d.gen
		d.mu.Unlock()
		fits := func(bytes int) bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			left := budget
			for r, e := range d.hours {
				if r != res && e.ver == ver && e.x != nil {
					left -= e.x.rows.Bytes()
				}
			}
			for r, n := range d.hourLoads {
				if r != res {
					left -= n
				}
			}
			if bytes > left {
				return false
			}
			d.hourLoads[res] = bytes
			return true
		}
		defer func() {
			d.mu.Lock()
			delete(d.hourLoads, res)
			d.mu.Unlock()
		}()
		hr, ok, err := d.st.LoadHourRows(ctx, res, fits)
		if err != nil {
			return nil, fmt.Errorf("hour rows of resolution %d: %w", res, err)
		}
		var x *hourSums
		if ok {
			if "activity:"+strconv.FormatInt(hr.Version, 10) != ver || idx.version != hr.Version {
				// The data changed after ver was read: remember
				// nothing under ver, and let this tile ask the database.
				return (*hourSums)(nil), nil
			}
			x = alignHourRows(idx, hr)
		}
		d.mu.Lock()
		if d.gen == gen {
			d.hours[res] = hourSumsEntry{ver: ver, x: x}
		}
		d.mu.Unlock()
		return x, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*hourSums), nil
}
