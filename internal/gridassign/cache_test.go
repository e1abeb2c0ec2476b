package gridassign_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/gridassign"
)

// A grid's evidence is read once per data version: asked again, the list is
// the same even when the ranges changed behind the data version's back, and
// a new version (an import, a grids import) reads it anew.
func TestEvidenceKeptPerDataVersion(t *testing.T) {
	ctx := context.Background()
	st, city := demotest.LoadDemo(t, demo.Params{Seed: 5, Riders: 120, Days: 1, CourierShare: 0.5})
	svc := gridassign.NewService(st, gridassign.ServiceOptions{})
	days := 0 // the basis of the last list
	list := func(code string) string {
		t.Helper()
		l, err := svc.Candidates(ctx, code, 0)
		if err != nil {
			t.Fatal(err)
		}
		days = l.Basis.DaysTotal
		b, _ := json.Marshal(l.Candidates)
		return string(b)
	}
	var code, first string
	for _, g := range city.Grids {
		if c := list(g.Code); c != "[]" && c != "null" {
			code, first = g.Code, c
			break
		}
	}
	if code == "" {
		t.Fatal("no grid with candidates in the demo")
	}
	// Behind the data version's back: the kept evidence is served.
	if _, err := st.Pool.Exec(ctx, `ALTER TABLE rider_ranges ADD COLUMN cell_seconds_kept float8[];
		UPDATE rider_ranges SET cell_seconds_kept = cell_seconds, cell_seconds = array_fill(0::float8, ARRAY[cardinality(cells)])`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO rider_days (rider, day, pings) SELECT rider, day + 1, pings FROM rider_days`); err != nil {
		t.Fatal(err)
	}
	if again := list(code); again != first || days != 1 {
		t.Errorf("asked again at the same data version: %s over %d days, want the kept %s over 1", again, days, first)
	}
	// A new activity version: read anew, nobody has time in any grid now.
	bump := func(layer string) {
		t.Helper()
		if _, err := st.Pool.Exec(ctx, `UPDATE data_versions SET version = version + 1 WHERE layer = $1`, layer); err != nil {
			t.Fatal(err)
		}
	}
	bump("activity")
	none := list(code)
	if (none != "[]" && none != "null") || days != 2 {
		t.Errorf("after a new activity version: %s over %d days, want no candidates over 2 (read anew)", none, days)
	}
	if _, err := st.Pool.Exec(ctx, `DELETE FROM rider_days WHERE day > (SELECT min(day) FROM rider_days)`); err != nil {
		t.Fatal(err)
	}
	// Seconds back behind its back, then a new grids version: read anew.
	if _, err := st.Pool.Exec(ctx, `UPDATE rider_ranges SET cell_seconds = cell_seconds_kept`); err != nil {
		t.Fatal(err)
	}
	if again := list(code); again != none {
		t.Errorf("asked again at the same data version: %s, want the kept %s", again, none)
	}
	bump("grids")
	if back := list(code); back != first {
		t.Errorf("after a new grids version: %s, want %s (read anew)", back, first)
	}
}
