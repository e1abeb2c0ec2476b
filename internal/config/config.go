// Package config holds every hexcover setting with its default, read from the
// environment and overridable by command-line flags; defaults live here only.
package config

import (
	"errors"
	"flag"
	"fmt"
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
	// ServiceRadiusM is the service radius in metres of each site kind that
	// counts as organization presence (HEXCOVER_RADII, "kind=m,kind=m").
	ServiceRadiusM map[string]float64
	BasemapStyle   string // HEXCOVER_BASEMAP_STYLE: optional external MapLibre style URL
	LogLevel       string // HEXCOVER_LOG_LEVEL: debug, info, warn, error
	// DemoLogin lets the map offer the demo city's tokens (HEXCOVER_DEMO_LOGIN).
	DemoLogin bool
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
	{"HEXCOVER_SECRET", "", "key of the HMAC that pseudonymizes rider ids (≥ 16 bytes); required for `ingest pings`; the demo uses a fixed demo key when unset"},
	{"HEXCOVER_QUERY_TIMEOUT", "10s", "statement timeout of every database query"},
	{"HEXCOVER_K", "5", "k-anonymity: cells and zones with fewer distinct riders are not shown outside the admin role"},
	{"HEXCOVER_RETENTION_DAYS", "30", "raw pings older than this are dropped by partition; aggregates stay"},
	{"HEXCOVER_RADII", "service_center=1000,rest_station=500,fuel_station=800,branch=1000", "service radius (m) of each kind that counts as organization presence"},
	{"HEXCOVER_BASEMAP_STYLE", "", "URL of an external MapLibre style to draw under our layers (empty: our own offline basemap)"},
	{"HEXCOVER_LOG_LEVEL", "info", "log level: debug, info, warn, error"},
	{"HEXCOVER_DEMO_LOGIN", "off", "on: the map offers one-click logins with the demo city's tokens (make run sets it; never on real data)"},
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
	if c.ServiceRadiusM, err = ParseRadii(get("HEXCOVER_RADII")); err != nil {
		errs = append(errs, fmt.Errorf("HEXCOVER_RADII: %w", err))
	}
	return c, errors.Join(errs...)
}

// Load reads the configuration from the process environment.
func Load() (Config, error) { return FromEnv(os.Getenv) }

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
