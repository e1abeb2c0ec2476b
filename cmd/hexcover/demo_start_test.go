package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/demo"
)

// TestDemoStart: the demo's days are the Monday-based weeks before today
// unless --start names the first day; a bad date is a usage error.
func TestDemoStart(t *testing.T) {
	firstDay := func(args ...string) string {
		t.Helper()
		dir := t.TempDir()
		if _, stderr, code := hexcover(t, nil, append([]string{"demo", "--out", dir, "--riders", "3"}, args...)...); code != 0 {
			t.Fatalf("demo %v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(dir, "pings.csv"))
		if err != nil {
			t.Fatal(err)
		}
		rows := strings.SplitN(string(b), "\n", 3)
		f := strings.Split(rows[1], ",")
		return f[2][:10]
	}
	if got := firstDay("--days", "1", "--start", "2026-11-02"); got != "2026-11-02" {
		t.Errorf("--start 2026-11-02: first ping on %s", got)
	}
	want := demo.DefaultStart(time.Now(), 8).Format(time.DateOnly)
	if got := firstDay("--days", "8"); got != want {
		t.Errorf("no --start, 8 days: first ping on %s, want %s", got, want)
	}
	if _, stderr, code := hexcover(t, nil, "demo", "--out", t.TempDir(), "--start", "2026-13-01"); code != 2 || !strings.Contains(stderr, "YYYY-MM-DD") {
		t.Errorf("--start 2026-13-01: exit %d, %q; want a usage error", code, stderr)
	}
}
