package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
)

// LoadHourRows numbers each cell's riders by their place in its sorted
// whole-week row, whatever order the arrays hold, refuses what does not
// fit, and reports an hour row whose rider the week row lacks.
func TestLoadHourRows(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	exec := func(sql string) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO hex_activity (res, cell, how, pings, rider_seconds, dwell_seconds, rider_keys) VALUES
		(9, 7, -1, 6, 60, 6, '{50,-30,90}'), (9, 7, 3, 4, 40, 4, '{90,-30}'), (9, 7, 100, 2, 20, 2, '{50}'),
		(9, 11, -1, 1, 10, 0, '{8}'), (9, 11, 0, 1, 10, 0, '{8}'),
		(10, 7, -1, 1, 1, 0, '{1}')`)
	all := func(int) bool { return true }
	hr, ok, err := st.LoadHourRows(ctx, 9, all)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if !slices.Equal(hr.Cells, []int64{7, 11}) || !slices.Equal(hr.Start, []int32{0, 2, 3}) || hr.MaxRiders != 3 {
		t.Fatalf("cells %v start %v most %d", hr.Cells, hr.Start, hr.MaxRiders)
	}
	// Cell 7's riders: -30 → 0, 50 → 1, 90 → 2.
	want := [][]uint16{{2, 0}, {1}, {0}}
	hows := []int16{3, 100, 0}
	for r := range hr.Rows {
		if got := hr.RowKeys(r); !slices.Equal(got, want[r]) || hr.Rows[r].How != hows[r] {
			t.Errorf("row %d: hour %d riders %v, want %d %v", r, hr.Rows[r].How, got, hows[r], want[r])
		}
	}
	if hr.Rows[0].Pings != 4 || hr.Rows[0].RiderSeconds != 40 || hr.Rows[0].DwellSeconds != 4 {
		t.Errorf("row 0: %+v", hr.Rows[0])
	}
	var asked int
	if _, ok, err := st.LoadHourRows(ctx, 9, func(b int) bool { asked = b; return false }); ok || err != nil {
		t.Fatalf("refused budget: ok %v, %v", ok, err)
	}
	if asked != hr.Bytes() {
		t.Errorf("asked for %d bytes, keeps %d", asked, hr.Bytes())
	}
	// An hour row with a rider its week row lacks is an error, not a guess.
	exec(`UPDATE hex_activity SET rider_keys = '{-30,51}' WHERE res = 9 AND cell = 7 AND how = 3`)
	if _, _, err := st.LoadHourRows(ctx, 9, all); err == nil || !strings.Contains(err.Error(), "not in the cell's whole-week row") {
		t.Errorf("rider missing from the week row: %v", err)
	}
}
