package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c := Default()
	if c.Addr != ":8080" || c.MinRiders != 5 || c.RetentionDays != 30 || c.QueryTimeout != 10*time.Second {
		t.Errorf("defaults = %+v", c)
	}
	want := map[string]float64{"service_center": 1000, "rest_station": 500, "fuel_station": 800, "branch": 1000}
	for k, v := range want {
		if c.ServiceRadiusM[k] != v {
			t.Errorf("radius %s = %v, want %v", k, c.ServiceRadiusM[k], v)
		}
	}
	if got := strings.Join(c.PresenceKinds(), ","); got != "branch,fuel_station,rest_station,service_center" {
		t.Errorf("presence kinds = %s", got)
	}
}

func TestFromEnvErrors(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HEXCOVER_K": "0"}, "HEXCOVER_K"},
		{map[string]string{"HEXCOVER_QUERY_TIMEOUT": "soon"}, "HEXCOVER_QUERY_TIMEOUT"},
		{map[string]string{"HEXCOVER_RETENTION_DAYS": "-1"}, "HEXCOVER_RETENTION_DAYS"},
		{map[string]string{"HEXCOVER_RADII": "rest_station=abc"}, "HEXCOVER_RADII"},
		{map[string]string{"HEXCOVER_RADII": "castle=100"}, "unknown site kind"},
		{map[string]string{"HEXCOVER_LOG_LEVEL": "loud"}, "HEXCOVER_LOG_LEVEL"},
		{map[string]string{"HEXCOVER_UTC_OFFSET": "Asia/Shanghai"}, "HEXCOVER_UTC_OFFSET"},
		{map[string]string{"HEXCOVER_UTC_OFFSET": "+15:00"}, "HEXCOVER_UTC_OFFSET"},
		{map[string]string{"HEXCOVER_BASEMAP_DATUM": "bd09"}, "want wgs84 or gcj02"},
		{map[string]string{"HEXCOVER_BASEMAP_DATUM": "gcj02"}, "needs HEXCOVER_BASEMAP_STYLE"},
	}
	for _, c := range cases {
		_, err := FromEnv(env(c.env))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromEnv(%v) error = %v, want one mentioning %q", c.env, err, c.want)
		}
	}
	c, err := FromEnv(env(map[string]string{"HEXCOVER_RADII": "rest_station=300", "HEXCOVER_K": "10"}))
	if err != nil || c.MinRiders != 10 || len(c.ServiceRadiusM) != 1 || c.ServiceRadiusM["rest_station"] != 300 {
		t.Errorf("overrides: %+v %v", c, err)
	}
	if c.BasemapDatum != "wgs84" {
		t.Errorf("default datum %q, want wgs84", c.BasemapDatum)
	}
	c, err = FromEnv(env(map[string]string{"HEXCOVER_BASEMAP_STYLE": "https://tiles.example.org/style.json", "HEXCOVER_BASEMAP_DATUM": "GCJ02"}))
	if err != nil || c.BasemapDatum != "gcj02" {
		t.Errorf("gcj02 with a style: %q %v", c.BasemapDatum, err)
	}
}

func TestUsageListsEverySetting(t *testing.T) {
	u := Usage()
	for _, s := range Settings {
		if !strings.Contains(u, s.Env) {
			t.Errorf("usage lacks %s", s.Env)
		}
	}
}

func TestCheckSecret(t *testing.T) {
	refused := map[string]string{
		"":                 "not set",
		demoSecret:         "public demo key",
		"aaaaaaaaaaaaaaaa": "shorter than 32",
		"0123456789abcdef": "shorter than 32",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":                       "distinct characters",
		"0123456789abcdef0123456789abcdef":                               "repeats a pattern",
		"hexcover-key-hexcover-key-hexcover-key":                         "repeats a pattern",
		"abcdefghijklmnopqrstuvwxyz0123456789":                           "runs such as",
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz": "runs such as",
	}
	for s, want := range refused {
		err := CheckSecret(s)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("CheckSecret(%q) = %v, want a refusal saying %q and how to make a secret", s, err, want)
		}
	}
	for _, s := range []string{
		"3f1c9a0b7e6d45c2a8b19e0f4d7c6a2b",                                 // openssl rand -hex 16
		"9c2f4e1a7b3d8c6e0f5a2b9d4c7e1f3a6b8d0c2e4f6a8b1d3c5e7f9a0b2c4d6e", // openssl rand -hex 32
		"q8Yx1FfN0m3TzK9bV2cLw7pR5sHj4uAe6DgXoIiZkE0=",                     // head -c32 /dev/urandom | base64
		"riders' secret: 夜班骑手-普陀-2026-k7Q!",
	} {
		if err := CheckSecret(s); err != nil {
			t.Errorf("CheckSecret(%q) = %v, want accepted", s, err)
		}
	}
}

// TestCheckSecretRandom: random secrets of the suggested forms always pass.
func TestCheckSecretRandom(t *testing.T) {
	for i := 0; i < 2000; i++ {
		b := make([]byte, 16+i%17)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{hex.EncodeToString(b), base64.StdEncoding.EncodeToString(append(b, b[:len(b)/2]...))} {
			if len(s) < MinSecretLen {
				continue
			}
			if err := CheckSecret(s); err != nil {
				t.Fatalf("random secret %q refused: %v", s, err)
			}
		}
	}
}

func TestIngestLimits(t *testing.T) {
	d := Default().Ingest
	if d.MaxRecordBytes != 64<<10 || d.MaxFeatureBytes != 16<<20 || d.MaxFieldBytes != 4<<10 || d.MaxIDBytes != 128 ||
		d.MaxColumns != 256 || d.MaxFileBytes != 64<<30 || d.MaxRatio != 100 || d.RejectSamples != 1000 || d.MaxRejectRate != 0.1 {
		t.Errorf("ingest defaults = %+v", d)
	}
	if got := (IngestLimits{MaxIDBytes: 64}).OrDefault(); got.MaxIDBytes != 64 || got.MaxRecordBytes != d.MaxRecordBytes {
		t.Errorf("OrDefault = %+v", got)
	}
	c, err := FromEnv(env(map[string]string{"HEXCOVER_INGEST_MAX_RECORD": "1MiB", "HEXCOVER_INGEST_MAX_BYTES": "2G", "HEXCOVER_INGEST_MAX_ID": "256"}))
	if err != nil || c.Ingest.MaxRecordBytes != 1<<20 || c.Ingest.MaxFileBytes != 2<<30 || c.Ingest.MaxIDBytes != 256 {
		t.Errorf("overrides: %+v %v", c.Ingest, err)
	}
	for _, bad := range []map[string]string{
		{"HEXCOVER_INGEST_MAX_RECORD": "lots"}, {"HEXCOVER_INGEST_MAX_FIELD": "1TiB"}, {"HEXCOVER_INGEST_MAX_COLUMNS": "2"},
		{"HEXCOVER_INGEST_MAX_RATIO": "1"}, {"HEXCOVER_INGEST_MAX_ID": "-5"},
		{"HEXCOVER_INGEST_MAX_REJECT_RATE": "0"}, {"HEXCOVER_INGEST_MAX_REJECT_RATE": "1.5"}, {"HEXCOVER_INGEST_REJECT_SAMPLES": "0"},
	} {
		if _, err := FromEnv(env(bad)); err == nil {
			t.Errorf("FromEnv(%v) accepted", bad)
		}
	}
}

func TestParseUTCOffset(t *testing.T) {
	if c := Default(); c.UTCOffset != 8*time.Hour {
		t.Errorf("default offset = %v, want +8h (Asia/Shanghai)", c.UTCOffset)
	}
	cases := map[string]time.Duration{
		"+08:00": 8 * time.Hour, "-05:00": -5 * time.Hour, "+0530": 5*time.Hour + 30*time.Minute,
		"+8": 8 * time.Hour, "Z": 0, "-14:00": -14 * time.Hour,
	}
	for in, want := range cases {
		if got, err := ParseUTCOffset(in); err != nil || got != want {
			t.Errorf("ParseUTCOffset(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "8", "+8:0", "+08:60", "+14:30", "CST", "+123"} {
		if got, err := ParseUTCOffset(in); err == nil {
			t.Errorf("ParseUTCOffset(%q) = %v, want an error", in, got)
		}
	}
}

func TestWebSettings(t *testing.T) {
	c := Default()
	if c.Web.SessionIdle != 2*time.Hour || c.Web.SessionMax != 12*time.Hour || c.Web.CookieSecure || c.Web.AnalysisSlots != 2 ||
		c.Web.AnalysisWait != 2*time.Second || c.Web.MetricsToken != "" || c.Web.PublicURL != "" {
		t.Errorf("web defaults = %+v", c.Web)
	}
	c, err := FromEnv(env(map[string]string{"HEXCOVER_PUBLIC_URL": "https://maps.example.org/", "HEXCOVER_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7"}))
	if err != nil || !c.Web.CookieSecure || c.Web.PublicURL != "https://maps.example.org" || strings.Join(c.Web.TrustedProxies, " ") != "10.0.0.0/8 192.0.2.7/32" {
		t.Errorf("https public URL and proxies: %+v %v", c.Web, err)
	}
	if c, _ := FromEnv(env(map[string]string{"HEXCOVER_COOKIE_SECURE": "on"})); !c.Web.CookieSecure {
		t.Error("HEXCOVER_COOKIE_SECURE=on: cookie not Secure")
	}
	for k, v := range map[string]string{
		"HEXCOVER_PUBLIC_URL": "ftp://x", "HEXCOVER_COOKIE_SECURE": "maybe", "HEXCOVER_SESSION_IDLE": "0s",
		"HEXCOVER_SESSION_MAX": "forever", "HEXCOVER_ANALYSIS_SLOTS": "0", "HEXCOVER_ANALYSIS_WAIT": "-1s",
		"HEXCOVER_METRICS_TOKEN": "short", "HEXCOVER_TRUSTED_PROXIES": "10.0.0.0/99",
	} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: error %v, want one naming it", k, v, err)
		}
	}
}
