// Package config holds every hexcover setting with its default, read from the
// environment and overridable by command-line flags; defaults live here only.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of one hexcover process.
type Config struct {
	DatabaseURL   string        // DATABASE_URL
	Addr          string        // HEXCOVER_ADDR
	Secret        string        // HEXCOVER_SECRET: key of the rider-id HMAC
	QueryTimeout  time.Duration // HEXCOVER_QUERY_TIMEOUT: statement timeout of every query
	MinRiders     int           // HEXCOVER_K: k-anonymity threshold (distinct riders)
	RetentionDays int           // HEXCOVER_RETENTION_DAYS: raw pings kept this many days
	// UTCOffset is the local time of the data (HEXCOVER_UTC_OFFSET): hours
	// of week, local dates and range periods are in UTC + UTCOffset.
	UTCOffset time.Duration
	// ServiceRadiusM is the service radius in metres of each site kind that
	// counts as organization presence (HEXCOVER_RADII, "kind=m,kind=m").
	ServiceRadiusM map[string]float64
	BasemapStyle   string // HEXCOVER_BASEMAP_STYLE: optional external MapLibre style URL
	// BasemapDatum is the datum the external basemap draws in
	// (HEXCOVER_BASEMAP_DATUM): "wgs84" or "gcj02" (Amap, Tencent); under
	// gcj02 every overlay is drawn shifted into it.
	BasemapDatum string
	LogLevel     string // HEXCOVER_LOG_LEVEL: debug, info, warn, error
	// DemoLogin lets the map offer the demo city's tokens (HEXCOVER_DEMO_LOGIN).
	DemoLogin bool
	// ReleaseRho is the zCDP ρ each release of a day charges every
	// rider-day of it (HEXCOVER_RELEASE_RHO); ReleaseBudget caps the total
	// per rider-day over all releases of its day (HEXCOVER_RELEASE_BUDGET).
	ReleaseRho, ReleaseBudget float64
	// Ingest bounds what one imported file may hold (HEXCOVER_INGEST_*).
	Ingest IngestLimits
	// Coverage, NetworkExclude, NetworkOneway: how service is measured
	// (network.go).
	Coverage       string
	NetworkExclude []string
	NetworkOneway  bool
	// AssignMinShare and AssignMinHours say who is worth asking as a
	// part-time grid member: at least this share of his active time and
	// this many hours per week in the grid (HEXCOVER_ASSIGN_MIN_SHARE,
	// HEXCOVER_ASSIGN_MIN_HOURS).
	AssignMinShare float64
	AssignMinHours float64
	Web            Web // the web surface's protections (sessions, admission, headers)
}

// IngestLimits bound what the importer reads and keeps of one file, so that
// a malformed or hostile file (a gzip bomb, a 3 GiB line, a 2 GiB GeoJSON
// property) fails fast in bounded memory instead of exhausting the machine.
// A zero field means its default.
type IngestLimits struct {
	MaxRecordBytes  int     // HEXCOVER_INGEST_MAX_RECORD: one CSV record or NDJSON line
	MaxFeatureBytes int     // HEXCOVER_INGEST_MAX_FEATURE: one GeoJSON feature (or other top-level member)
	MaxFieldBytes   int     // HEXCOVER_INGEST_MAX_FIELD: one CSV field or JSON property value, geometry excepted
	MaxIDBytes      int     // HEXCOVER_INGEST_MAX_ID: rider_id, platform, status, site ids and kinds, area and grid codes
	MaxColumns      int     // HEXCOVER_INGEST_MAX_COLUMNS: fields of one CSV record
	MaxFileBytes    int64   // HEXCOVER_INGEST_MAX_BYTES: decompressed bytes of one file
	MaxRatio        float64 // HEXCOVER_INGEST_MAX_RATIO: decompressed bytes per compressed byte of a gzip file
	RejectSamples   int     // HEXCOVER_INGEST_REJECT_SAMPLES: rejected rows written to the rejects file (all are counted)
	MaxRejectRate   float64 // HEXCOVER_INGEST_MAX_REJECT_RATE: a file with a larger share of rejected rows fails
}

// OrDefault returns l with every zero field set to its default.
func (l IngestLimits) OrDefault() IngestLimits {
	d := Default().Ingest
	set := func(v *int, dv int) {
		if *v <= 0 {
			*v = dv
		}
	}
	set(&l.MaxRecordBytes, d.MaxRecordBytes)
	set(&l.MaxFeatureBytes, d.MaxFeatureBytes)
	set(&l.MaxFieldBytes, d.MaxFieldBytes)
	set(&l.MaxIDBytes, d.MaxIDBytes)
	set(&l.MaxColumns, d.MaxColumns)
	set(&l.RejectSamples, d.RejectSamples)
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxRejectRate <= 0 {
		l.MaxRejectRate = d.MaxRejectRate
	}
	return l
}

// Web holds the settings of the web surface's protections.
type Web struct {
	PublicURL      string        // HEXCOVER_PUBLIC_URL: the URL users reach the server at ("" = as asked)
	CookieSecure   bool          // HEXCOVER_COOKIE_SECURE, or a PublicURL starting with https
	SessionIdle    time.Duration // HEXCOVER_SESSION_IDLE: a session unused this long ends
	SessionMax     time.Duration // HEXCOVER_SESSION_MAX: a session ends this long after login
	AnalysisSlots  int           // HEXCOVER_ANALYSIS_SLOTS: analysis requests run at once
	AnalysisWait   time.Duration // HEXCOVER_ANALYSIS_WAIT: how long one waits for a slot before 503
	MetricsToken   string        // HEXCOVER_METRICS_TOKEN: bearer token that /metrics requires
	MetricsAddr    string        // HEXCOVER_METRICS_ADDR: separate listener for /metrics
	TrustedProxies []string      // HEXCOVER_TRUSTED_PROXIES: CIDRs whose X-Forwarded-For is believed
}

// demoSecret pseudonymizes the demo's synthetic rider ids and derives its
// demo tokens when HEXCOVER_SECRET is unset. It protects nothing and is never
// used for real data: ingest refuses to run without a secret of the user's own.
const demoSecret = "hexcover-demo-secret-synthetic-riders-only"

// DemoSecret is HEXCOVER_SECRET, or the fixed demo key when it is unset.
func (c Config) DemoSecret() string {
	if c.Secret != "" {
		return c.Secret
	}
	return demoSecret
}

// Setting documents one setting for --help and the README.
type Setting struct {
	Env, Default, Doc string
}

// Settings lists every setting with its environment variable and default.
var Settings = []Setting{
	{"DATABASE_URL", "postgres:///hexcover?host=/var/run/postgresql", "PostgreSQL connection string (PostGIS required)"},
	{"HEXCOVER_ADDR", ":8080", "listen address of `hexcover serve`"},
	{"HEXCOVER_SECRET", "", "key of the HMAC that pseudonymizes rider ids; required for `ingest pings`, which refuses the demo key, fewer than 32 characters and visibly low entropy (make one with `openssl rand -hex 32`); the demo's synthetic riders use a fixed demo key when unset"},
	{"HEXCOVER_QUERY_TIMEOUT", "10s", "statement timeout of every database query"},
	{"HEXCOVER_K", "5", "k-anonymity: cells and zones with fewer distinct riders are not shown outside the admin role"},
	{"HEXCOVER_RETENTION_DAYS", "30", "raw pings older than this are dropped by partition; aggregates stay"},
	{"HEXCOVER_UTC_OFFSET", "+08:00", "the data's local time as a fixed offset from UTC (±HH:MM; Asia/Shanghai is +08:00): hours of week, local days and range periods use it"},
	{"HEXCOVER_RADII", "service_center=1000,rest_station=500,fuel_station=800,branch=1000", "service radius (m) of each kind that counts as organization presence"},
	{"HEXCOVER_BASEMAP_STYLE", "", "URL of an external MapLibre style to draw under our layers (empty: our own offline basemap)"},
	{"HEXCOVER_BASEMAP_DATUM", "wgs84", "datum of the external basemap: wgs84 (Tianditu, OpenStreetMap styles) or gcj02 (Amap/Gaode, Tencent): hexagons, sites and every overlay are drawn shifted into it, and map clicks and views are shifted back to WGS-84; gcj02 needs HEXCOVER_BASEMAP_STYLE"},
	{"HEXCOVER_COVERAGE", "radius", "radius: a site covers cells within its kind's radius (HEXCOVER_RADII) in a straight line; network: within that riding distance along the loaded OSM roads (pgRouting; radius where no roads are loaded)"},
	{"HEXCOVER_NETWORK_EXCLUDE", "motorway,motorway_link,trunk,trunk_link,bicycle=no", "highway classes and bicycle=V / access=V tags riders do not ride (network coverage)"},
	{"HEXCOVER_NETWORK_ONEWAY", "ignore", "ignore: one-way streets are ridden both ways (e-bikes do); respect: only along oneway=yes"},
	{"HEXCOVER_LOG_LEVEL", "info", "log level: debug, info, warn, error"},
	{"HEXCOVER_ASSIGN_MIN_SHARE", "0.10", "grid candidates: minimum share (0–1) of a courier's active time inside the grid; below it he is a passer-by, never listed or proposed"},
	{"HEXCOVER_ASSIGN_MIN_HOURS", "2", "grid candidates: minimum hours inside the grid per 7 days of data (scaled to the data's days)"},
	{"HEXCOVER_RELEASE_RHO", "0.5", "privacy loss (zCDP ρ) each release of a day charges every rider-day in it (docs/PRIVACY.md)"},
	{"HEXCOVER_RELEASE_BUDGET", "1", "most privacy loss (zCDP ρ) any rider-day may be charged over all releases of its day; a release beyond it is refused"},
	{"HEXCOVER_DEMO_LOGIN", "off", "on: the map offers one-click logins with the demo city's tokens (make run sets it); the server then listens on loopback only and refuses a database holding anything but the demo city"},
	// The web surface's protections (Web).
	{"HEXCOVER_PUBLIC_URL", "", "the URL users reach the server at, e.g. https://hexcover.example.org (behind a proxy): TileJSON tile URLs, the same-origin check, and Secure cookies when https"},
	{"HEXCOVER_COOKIE_SECURE", "off", "on: the session cookie is Secure even without an https HEXCOVER_PUBLIC_URL (a TLS proxy in front)"},
	{"HEXCOVER_SESSION_IDLE", "2h", "a map session unused this long ends"},
	{"HEXCOVER_SESSION_MAX", "12h", "a map session ends this long after login, used or not"},
	{"HEXCOVER_ANALYSIS_SLOTS", "2", "analysis requests (summary, gaps, coverage, siting, candidates, assignments) that run at once; more wait, so tiles and /api/meta keep database connections and CPU"},
	{"HEXCOVER_ANALYSIS_WAIT", "2s", "how long an analysis request waits for a slot before 503 with Retry-After"},
	{"HEXCOVER_METRICS_TOKEN", "", "bearer token /metrics requires on the main listener (unset and no HEXCOVER_METRICS_ADDR: /metrics is off)"},
	{"HEXCOVER_METRICS_ADDR", "", "separate listen address serving only /metrics, without a token (e.g. 127.0.0.1:9090)"},
	{"HEXCOVER_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (login rate limit)"},
	{"HEXCOVER_INGEST_MAX_RECORD", "64KiB", "bytes of one CSV record or NDJSON line; a longer one fails the file"},
	{"HEXCOVER_INGEST_MAX_FEATURE", "16MiB", "bytes of one GeoJSON feature; a larger one fails the file"},
	{"HEXCOVER_INGEST_MAX_FIELD", "4KiB", "bytes of one CSV field or JSON property value (geometry excepted); a longer one rejects its row"},
	{"HEXCOVER_INGEST_MAX_ID", "128", "bytes of rider_id, platform, status, site id and kind, area and grid codes; a longer one rejects its row"},
	{"HEXCOVER_INGEST_MAX_COLUMNS", "256", "fields of one CSV row; a header with more fails the file, a row with more is rejected"},
	{"HEXCOVER_INGEST_MAX_BYTES", "64GiB", "decompressed bytes of one file; a larger file fails"},
	{"HEXCOVER_INGEST_MAX_RATIO", "100", "decompressed bytes per compressed byte of a gzip file (checked past 16 MiB); a higher ratio fails the file"},
	{"HEXCOVER_INGEST_REJECT_SAMPLES", "1000", "rejected rows written to FILE.rejects.csv (the first ones); all are counted"},
	{"HEXCOVER_INGEST_MAX_REJECT_RATE", "0.1", "share of rejected rows above which a file fails and nothing of it is imported; 1 accepts any share"},
}

// Default returns the configuration with every default applied.
func Default() Config {
	c, err := FromEnv(func(string) string { return "" })
	if err != nil {
		panic("config defaults do not parse: " + err.Error())
	}
	return c
}

// FromEnv reads the configuration from an environment lookup (os.Getenv in
// production), applying defaults for unset values.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, s := range Settings {
			if s.Env == name {
				return s.Default
			}
		}
		return ""
	}
	var c Config
	var errs []error
	c.DatabaseURL = get("DATABASE_URL")
	c.Addr = get("HEXCOVER_ADDR")
	c.Secret = getenv("HEXCOVER_SECRET")
	c.BasemapStyle = get("HEXCOVER_BASEMAP_STYLE")
	switch c.BasemapDatum = strings.ToLower(get("HEXCOVER_BASEMAP_DATUM")); c.BasemapDatum {
	case "wgs84":
	case "gcj02":
		if c.BasemapStyle == "" {
			errs = append(errs, errors.New("HEXCOVER_BASEMAP_DATUM=gcj02 needs HEXCOVER_BASEMAP_STYLE: hexcover's own basemap is WGS-84"))
		}
	default:
		errs = append(errs, fmt.Errorf("HEXCOVER_BASEMAP_DATUM=%q: want wgs84 or gcj02", get("HEXCOVER_BASEMAP_DATUM")))
	}
	c.LogLevel = strings.ToLower(get("HEXCOVER_LOG_LEVEL"))
	switch strings.ToLower(get("HEXCOVER_DEMO_LOGIN")) {
	case "on", "1", "true", "yes":
		c.DemoLogin = true
	case "off", "0", "false", "no":
	default:
		errs = append(errs, fmt.Errorf("HEXCOVER_DEMO_LOGIN=%q: want on or off", get("HEXCOVER_DEMO_LOGIN")))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("HEXCOVER_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	var err error
	if c.QueryTimeout, err = time.ParseDuration(get("HEXCOVER_QUERY_TIMEOUT")); err != nil || c.QueryTimeout <= 0 || c.QueryTimeout > time.Hour {
		errs = append(errs, fmt.Errorf("HEXCOVER_QUERY_TIMEOUT=%q: want a duration between 1ms and 1h, such as 10s", get("HEXCOVER_QUERY_TIMEOUT")))
	}
	if c.MinRiders, err = strconv.Atoi(get("HEXCOVER_K")); err != nil || c.MinRiders < 1 || c.MinRiders > 1000 {
		errs = append(errs, fmt.Errorf("HEXCOVER_K=%q: want an integer from 1 to 1000", get("HEXCOVER_K")))
	}
	if c.RetentionDays, err = strconv.Atoi(get("HEXCOVER_RETENTION_DAYS")); err != nil || c.RetentionDays < 1 || c.RetentionDays > 3650 {
		errs = append(errs, fmt.Errorf("HEXCOVER_RETENTION_DAYS=%q: want an integer from 1 to 3650", get("HEXCOVER_RETENTION_DAYS")))
	}
	if c.AssignMinShare, err = strconv.ParseFloat(get("HEXCOVER_ASSIGN_MIN_SHARE"), 64); err != nil || !(c.AssignMinShare > 0 && c.AssignMinShare <= 1) {
		errs = append(errs, fmt.Errorf("HEXCOVER_ASSIGN_MIN_SHARE=%q: want a share above 0 and at most 1, such as 0.10", get("HEXCOVER_ASSIGN_MIN_SHARE")))
	}
	if c.AssignMinHours, err = strconv.ParseFloat(get("HEXCOVER_ASSIGN_MIN_HOURS"), 64); err != nil || !(c.AssignMinHours > 0 && c.AssignMinHours <= 168) {
		errs = append(errs, fmt.Errorf("HEXCOVER_ASSIGN_MIN_HOURS=%q: want hours per week above 0 and at most 168, such as 2", get("HEXCOVER_ASSIGN_MIN_HOURS")))
	}
	if c.UTCOffset, err = ParseUTCOffset(get("HEXCOVER_UTC_OFFSET")); err != nil {
		errs = append(errs, fmt.Errorf("HEXCOVER_UTC_OFFSET: %w", err))
	}
	if c.ReleaseRho, err = strconv.ParseFloat(get("HEXCOVER_RELEASE_RHO"), 64); err != nil || !(c.ReleaseRho > 0 && c.ReleaseRho <= 10) {
		errs = append(errs, fmt.Errorf("HEXCOVER_RELEASE_RHO=%q: want a number above 0 and at most 10, such as 0.5", get("HEXCOVER_RELEASE_RHO")))
	}
	if c.ReleaseBudget, err = strconv.ParseFloat(get("HEXCOVER_RELEASE_BUDGET"), 64); err != nil || !(c.ReleaseBudget > 0 && c.ReleaseBudget <= 10) {
		errs = append(errs, fmt.Errorf("HEXCOVER_RELEASE_BUDGET=%q: want a number above 0 and at most 10, such as 1", get("HEXCOVER_RELEASE_BUDGET")))
	} else if c.ReleaseRho > c.ReleaseBudget {
		errs = append(errs, fmt.Errorf("HEXCOVER_RELEASE_RHO=%g is above HEXCOVER_RELEASE_BUDGET=%g: no release could be made", c.ReleaseRho, c.ReleaseBudget))
	}
	if c.ServiceRadiusM, err = ParseRadii(get("HEXCOVER_RADII")); err != nil {
		errs = append(errs, fmt.Errorf("HEXCOVER_RADII: %w", err))
	}
	errs = append(errs, c.Ingest.fromEnv(get)...)
	errs = append(errs, c.networkFromEnv(get)...)
	c.Web, err = webFromEnv(get)
	if err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// webFromEnv reads the Web settings.
func webFromEnv(get func(string) string) (Web, error) {
	var w Web
	var errs []error
	var err error
	w.PublicURL = strings.TrimRight(get("HEXCOVER_PUBLIC_URL"), "/")
	if w.PublicURL != "" {
		u, err := url.Parse(w.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("HEXCOVER_PUBLIC_URL=%q: want an http or https URL such as https://hexcover.example.org", w.PublicURL))
		} else {
			w.CookieSecure = u.Scheme == "https"
		}
	}
	switch strings.ToLower(get("HEXCOVER_COOKIE_SECURE")) {
	case "on", "1", "true", "yes":
		w.CookieSecure = true
	case "off", "0", "false", "no":
	default:
		errs = append(errs, fmt.Errorf("HEXCOVER_COOKIE_SECURE=%q: want on or off", get("HEXCOVER_COOKIE_SECURE")))
	}
	dur := func(name string, lo, hi time.Duration) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil || d < lo || d > hi {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration from %s to %s", name, get(name), lo, hi))
		}
		return d
	}
	w.SessionIdle = dur("HEXCOVER_SESSION_IDLE", time.Second, 30*24*time.Hour)
	w.SessionMax = dur("HEXCOVER_SESSION_MAX", time.Second, 90*24*time.Hour)
	w.AnalysisWait = dur("HEXCOVER_ANALYSIS_WAIT", 0, time.Minute)
	if w.AnalysisSlots, err = strconv.Atoi(get("HEXCOVER_ANALYSIS_SLOTS")); err != nil || w.AnalysisSlots < 1 || w.AnalysisSlots > 1000 {
		errs = append(errs, fmt.Errorf("HEXCOVER_ANALYSIS_SLOTS=%q: want an integer from 1 to 1000", get("HEXCOVER_ANALYSIS_SLOTS")))
	}
	w.MetricsToken = get("HEXCOVER_METRICS_TOKEN")
	if w.MetricsToken != "" && len(w.MetricsToken) < 16 {
		errs = append(errs, errors.New("HEXCOVER_METRICS_TOKEN: want at least 16 characters (openssl rand -hex 24 makes one)"))
	}
	w.MetricsAddr = get("HEXCOVER_METRICS_ADDR")
	for _, p := range strings.Split(get("HEXCOVER_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if ip, err := netip.ParseAddr(p); err == nil {
				p = netip.PrefixFrom(ip, ip.BitLen()).String()
			}
		}
		if _, err := netip.ParsePrefix(p); err != nil {
			errs = append(errs, fmt.Errorf("HEXCOVER_TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8 or an address", p))
			continue
		}
		w.TrustedProxies = append(w.TrustedProxies, p)
	}
	return w, errors.Join(errs...)
}

func (l *IngestLimits) fromEnv(get func(string) string) []error {
	var errs []error
	size := func(name string, lo, hi int64) int64 {
		n, err := ParseSize(get(name))
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s=%q: want a size from %d to %d bytes, such as 64KiB or 16MiB", name, get(name), lo, hi))
		}
		return n
	}
	l.MaxRecordBytes = int(size("HEXCOVER_INGEST_MAX_RECORD", 256, 1<<30))
	l.MaxFeatureBytes = int(size("HEXCOVER_INGEST_MAX_FEATURE", 1<<10, 1<<31-1))
	l.MaxFieldBytes = int(size("HEXCOVER_INGEST_MAX_FIELD", 16, 1<<30))
	l.MaxIDBytes = int(size("HEXCOVER_INGEST_MAX_ID", 8, 1<<20))
	l.MaxFileBytes = size("HEXCOVER_INGEST_MAX_BYTES", 1<<10, 1<<50)
	var err error
	if l.MaxColumns, err = strconv.Atoi(get("HEXCOVER_INGEST_MAX_COLUMNS")); err != nil || l.MaxColumns < 4 || l.MaxColumns > 100000 {
		errs = append(errs, fmt.Errorf("HEXCOVER_INGEST_MAX_COLUMNS=%q: want an integer from 4 to 100000", get("HEXCOVER_INGEST_MAX_COLUMNS")))
	}
	if l.MaxRatio, err = strconv.ParseFloat(get("HEXCOVER_INGEST_MAX_RATIO"), 64); err != nil || !(l.MaxRatio >= 2 && l.MaxRatio <= 1e6) {
		errs = append(errs, fmt.Errorf("HEXCOVER_INGEST_MAX_RATIO=%q: want a number from 2 to 1000000", get("HEXCOVER_INGEST_MAX_RATIO")))
	}
	if l.RejectSamples, err = strconv.Atoi(get("HEXCOVER_INGEST_REJECT_SAMPLES")); err != nil || l.RejectSamples < 1 || l.RejectSamples > 100_000_000 {
		errs = append(errs, fmt.Errorf("HEXCOVER_INGEST_REJECT_SAMPLES=%q: want an integer from 1 to 100000000", get("HEXCOVER_INGEST_REJECT_SAMPLES")))
	}
	if l.MaxRejectRate, err = strconv.ParseFloat(get("HEXCOVER_INGEST_MAX_REJECT_RATE"), 64); err != nil || !(l.MaxRejectRate > 0 && l.MaxRejectRate <= 1) {
		errs = append(errs, fmt.Errorf("HEXCOVER_INGEST_MAX_REJECT_RATE=%q: want a share above 0 and at most 1, such as 0.1 (0.000001 fails a file on almost any reject)", get("HEXCOVER_INGEST_MAX_REJECT_RATE")))
	}
	return errs
}

// ParseSize parses a byte count: an integer, optionally followed by KiB,
// MiB or GiB (or K, M, G, KB, MB, GB, all powers of 1024).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	var shift uint
	switch strings.ToUpper(strings.TrimSpace(s[i:])) {
	case "", "B":
	case "K", "KB", "KIB":
		shift = 10
	case "M", "MB", "MIB":
		shift = 20
	case "G", "GB", "GIB":
		shift = 30
	default:
		return 0, fmt.Errorf("%q: unknown unit (want KiB, MiB or GiB)", s)
	}
	if n > 1<<(62-shift) {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << shift, nil
}

// Load reads the configuration from the process environment.
func Load() (Config, error) { return FromEnv(os.Getenv) }

// ParseUTCOffset parses a fixed offset from UTC: "+08:00", "-05:00",
// "+0530", "+8" or "Z"; within ±14 h, whole minutes.
func ParseUTCOffset(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "Z" || s == "UTC" || s == "0" {
		return 0, nil
	}
	bad := fmt.Errorf("%q: want an offset such as +08:00 or -05:00", s)
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, bad
	}
	sign := time.Duration(1)
	if s[0] == '-' {
		sign = -1
	}
	hh, mm, ok := strings.Cut(s[1:], ":")
	if !ok && len(hh) == 4 {
		hh, mm = hh[:2], hh[2:]
	}
	h, err := strconv.Atoi(hh)
	if err != nil || len(hh) > 2 || h < 0 || h > 14 {
		return 0, bad
	}
	m := 0
	if mm != "" {
		if m, err = strconv.Atoi(mm); err != nil || len(mm) != 2 || m < 0 || m > 59 {
			return 0, bad
		}
	}
	d := sign * (time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	if d > 14*time.Hour || d < -14*time.Hour {
		return 0, bad
	}
	return d, nil
}

// ParseRadii parses "kind=metres,kind=metres".
func ParseRadii(s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want kind=metres", part)
		}
		k = strings.TrimSpace(k)
		switch k {
		case "service_center", "rest_station", "fuel_station", "branch", "candidate":
		default:
			return nil, fmt.Errorf("%q: unknown site kind %q", part, k)
		}
		m, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || m <= 0 || m > 20000 {
			return nil, fmt.Errorf("%q: want a radius in metres between 0 and 20000", part)
		}
		out[k] = m
	}
	if len(out) == 0 {
		return nil, errors.New("no site kind counts as presence")
	}
	return out, nil
}

// PresenceKinds returns the site kinds that count as organization presence,
// sorted.
func (c Config) PresenceKinds() []string {
	ks := make([]string, 0, len(c.ServiceRadiusM))
	for k := range c.ServiceRadiusM {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// DefaultRadiusM is the service radius of a site whose kind has none
// configured (candidate sites, cell-centre candidates): the rest-station
// radius, else 500 m.
func (c Config) DefaultRadiusM() float64 {
	if r := c.ServiceRadiusM["rest_station"]; r > 0 {
		return r
	}
	return 500
}

// BindFlags registers the flags common to subcommands that touch the database.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "db", c.DatabaseURL, "PostgreSQL connection string (env DATABASE_URL)")
	fs.DurationVar(&c.QueryTimeout, "query-timeout", c.QueryTimeout, "statement timeout (env HEXCOVER_QUERY_TIMEOUT)")
}

// Usage renders the settings table for --help.
func Usage() string {
	var b strings.Builder
	b.WriteString("Settings (environment):\n")
	for _, s := range Settings {
		d := s.Default
		if d == "" {
			d = "(unset)"
		}
		fmt.Fprintf(&b, "  %-24s %s\n  %-24s default: %s\n", s.Env, s.Doc, "", d)
	}
	return b.String()
}
