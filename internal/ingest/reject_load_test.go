package ingest_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/ingest"
)

// badRows writes a pings CSV of good rows with every k-th row bad in a
// different way: a spreadsheet formula as rider id with a bad time,
// invalid UTF-8, a NUL, and a bad latitude.
func badRows(t *testing.T, dir, name string, rows, k int) (path string, bad int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("rider_id,ts,lat,lng,platform,status\n")
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for i := 0; i < rows; i++ {
		ts := start.Add(time.Duration(i) * 30 * time.Second).Format(time.RFC3339)
		if i%k == k-1 {
			bad++
			switch bad % 4 {
			case 0:
				fmt.Fprintf(&b, "=HYPERLINK(C2&C3),yesterday,31.23,121.40,mt,\n")
			case 1:
				fmt.Fprintf(&b, "r%d,%s,31.23,121.40,mt,idl\xffe\n", i%7, ts)
			case 2:
				fmt.Fprintf(&b, "r%d,%s,31.23,121.40,m\x00t,\n", i%7, ts)
			case 3:
				fmt.Fprintf(&b, "r%d,%s,95,121.40,mt,\n", i%7, ts)
			}
			continue
		}
		fmt.Fprintf(&b, "r%d,%s,%.5f,121.40,mt,idle\n", i%7, ts, 31.23+float64(i%50)*1e-4)
	}
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, bad
}

// TestImportRejectRateAndSamples: a day file with routine bad rows loads,
// counting every reject but writing only the first samples, 0600 and
// formula-safe; invalid UTF-8 and NUL are rejects, not a database error.
// Above the reject rate the file fails and nothing of it is committed.
func TestImportRejectRateAndSamples(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	l := newLoader(t, st)
	l.Limits = ingest.Limits{RejectSamples: 5, MaxRejectRate: 0.05}

	path, bad := badRows(t, dir, "day.csv", 2000, 25) // 4% bad
	sum, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
	if err != nil {
		t.Fatalf("a file with 4%% bad rows: %v", err)
	}
	if sum.RowsRejected != int64(bad) || sum.RowsOK != int64(2000-bad) {
		t.Errorf("summary %+v, want %d ok and %d rejected", sum, 2000-bad, bad)
	}
	fi, err := os.Stat(sum.RejectsFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("rejects file mode %v, want 0600", fi.Mode().Perm())
	}
	f, _ := os.Open(sum.RejectsFile)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+5 {
		t.Fatalf("rejects file has %d rows, want a header and 5 samples", len(recs))
	}
	reasons := map[string]bool{}
	for _, r := range recs[1:] {
		reasons[r[2]] = true
		if c := r[3][0]; c == '=' || c == '+' || c == '-' || c == '@' {
			t.Errorf("raw cell %q starts with a formula character", r[3])
		}
		if strings.Contains(r[3], "HYPERLINK") && !strings.HasPrefix(r[3], "'=HYPERLINK") {
			t.Errorf("raw cell %q, want the formula prefixed with '", r[3])
		}
	}
	for _, want := range []string{"status is not valid UTF-8", "platform holds a NUL character", "lat 95 is outside [-90, 90]", `ts "yesterday"`} {
		found := false
		for r := range reasons {
			found = found || strings.Contains(r, want)
		}
		if !found {
			t.Errorf("no reject says %q: %v", want, reasons)
		}
	}

	// Over the rate: nothing of the file is imported; the error says the
	// rate and the setting to change.
	before := snapshot(t, st)
	path, bad = badRows(t, dir, "bad.csv", 2000, 5) // 20% bad
	sum, err = l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
	want := fmt.Sprintf("%d of 2000 rows (20.0%%) were rejected, more than HEXCOVER_INGEST_MAX_REJECT_RATE=0.05 allows", bad)
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("a file with 20%% bad rows: %v, want %q", err, want)
	}
	if sum.RowsRejected != int64(bad) || sum.RejectsFile == "" {
		t.Errorf("summary %+v, want %d rejected and the rejects file", sum, bad)
	}
	if got := snapshot(t, st); got != before {
		t.Errorf("a failed file changed the data:\n got %s\nwant %s", got, before)
	}

	// Sites go by the same rule.
	sites := filepath.Join(dir, "sites.csv")
	os.WriteFile(sites, []byte("id,kind,name,lat,lng\ns1,branch,a,31.2,121.4\ns2,castle,b,31.2,121.4\n"), 0o644)
	if _, err := l.Import(ctx, sites, ingest.Options{Kind: ingest.KindSites}); err == nil || !strings.Contains(err.Error(), "HEXCOVER_INGEST_MAX_REJECT_RATE") {
		t.Errorf("sites with half the rows rejected: %v, want the reject rate error", err)
	}
	var n int
	st.Pool.QueryRow(ctx, `SELECT count(*) FROM sites`).Scan(&n)
	if n != 0 {
		t.Errorf("%d sites stored from a failed file", n)
	}
}

// TestImportLimitErrorsLeaveNothing: a file that passes a cap fails with
// ErrLimit and leaves nothing behind, in the loader as in the readers.
func TestImportLimitErrorsLeaveNothing(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	l := newLoader(t, st)
	l.Limits = ingest.Limits{MaxRecordBytes: 1 << 10}
	path := filepath.Join(dir, "long.csv")
	data := "rider_id,ts,lat,lng\n" + strings.Repeat("r1,2026-11-02T10:00:00Z,31.23,121.40\n", 3000) + "r" + strings.Repeat("x", 2000) + ",2026-11-02T10:00:00Z,31.23,121.40\n"
	os.WriteFile(path, []byte(data), 0o644)
	before := snapshot(t, st)
	_, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
	if !errors.Is(err, ingest.ErrLimit) || !strings.Contains(err.Error(), "line 3002: a record is longer than 1 KiB") {
		t.Fatalf("got %v, want the record limit at line 3002", err)
	}
	if got := snapshot(t, st); got != before {
		t.Errorf("the failed file changed the data:\n got %s\nwant %s", got, before)
	}
}
