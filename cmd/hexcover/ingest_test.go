package main

import (
	"strings"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
)

// TestIngestRefusesWeakSecrets: ingest pings refuses the public demo key,
// short secrets and visibly low-entropy ones, saying how to make a good one,
// before it touches the database or the file.
func TestIngestRefusesWeakSecrets(t *testing.T) {
	db := "DATABASE_URL=" + dbtest.NewURL(t)
	for _, c := range []struct{ secret, want string }{
		{"hexcover-demo-secret-synthetic-riders-only", "public demo key"},
		{"aaaaaaaaaaaaaaaa", "shorter than 32"},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "distinct characters"},
		{"0123456789abcdefghijklmnopqrstuvwxyz", "runs such as 0123"},
		{"my-hexcover-key-my-hexcover-key-my-hexcover-key", "repeats a pattern"},
	} {
		t.Run(c.want, func(t *testing.T) {
			_, stderr, code := hexcover(t, []string{db, "HEXCOVER_SECRET=" + c.secret}, "ingest", "pings", "main.go")
			if code != 1 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "openssl rand -hex 32") {
				t.Errorf("exit %d, stderr %q; want 1 and a refusal saying %q and how to make a secret", code, stderr, c.want)
			}
		})
	}
}
