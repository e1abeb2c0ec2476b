package ingest

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// PingOptions say how to read a pings file.
type PingOptions struct {
	CRS      geo.CRS    // coordinate system of the input ("" means WGS-84); pings are converted to WGS-84
	Bounds   *orb.Bound // optional configured area (WGS-84): pings outside it are rejected
	Platform string     // platform of rows that have no platform column or an empty one
	Limits   Limits     // caps on records, fields and ids; zero fields mean the defaults

	// MinTime and MaxTime bound plausible ping times; a zero MinTime means
	// 2000-01-01 UTC and a zero MaxTime one day after the read starts.
	MinTime, MaxTime time.Time
}

var defaultMinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ReadPings streams the pings of a file in format f. fn gets each valid ping,
// with its rider pseudonymized by pz and its coordinates in WGS-84; rej gets
// each rejected row. ReadPings returns an error only for problems with the
// file as a whole (unreadable; a CSV header lacking a required column, which
// is detected before any row reaches fn; malformed GeoJSON structure) or an
// error returned by fn or rej. Raw platform ids are kept only in a cache
// that lives for the duration of the call.
func ReadPings(src io.Reader, file string, f Format, pz *Pseudonymizer, o PingOptions, fn func(model.Ping) error, rej func(Reject) error) error {
	return readPings(src, file, f, pz, o, func(_ int, p model.Ping) error { return fn(p) }, rej)
}

// readPings is ReadPings with the line (or feature number) of every accepted
// ping, for tests.
func readPings(src io.Reader, file string, f Format, pz *Pseudonymizer, o PingOptions, fn func(int, model.Ping) error, rej func(Reject) error) error {
	if pz == nil {
		return fmt.Errorf("ingest %s: no pseudonymizer", file)
	}
	if _, err := needConvert(file, o.CRS); err != nil {
		return err
	}
	c := newPingCheck(file, pz, o)
	switch f {
	case CSV:
		return readPingsCSV(src, c, fn, rej)
	case NDJSON:
		return readPingsNDJSON(src, c, fn, rej)
	case GeoJSON:
		return readPingsGeoJSON(src, c, fn, rej)
	}
	return fmt.Errorf("ingest %s: pings cannot be read from format %q", file, f)
}

// pingCheck validates and converts the fields of one ping.
type pingCheck struct {
	file     string
	riders   *riderCache
	crs      geo.CRS
	convert  bool
	bounds   *orb.Bound
	platform string
	min, max time.Time
	window   string // for messages
	strs     map[string]string
	recent   [4]string // the last strings interned, looked at before strs
	next     int
	lim      Limits
}

func newPingCheck(file string, pz *Pseudonymizer, o PingOptions) *pingCheck {
	c := &pingCheck{
		file:     file,
		riders:   newRiderCache(pz),
		crs:      o.CRS,
		convert:  o.CRS != "" && o.CRS != geo.WGS84,
		bounds:   o.Bounds,
		platform: o.Platform,
		min:      o.MinTime,
		max:      o.MaxTime,
		strs:     make(map[string]string),
		lim:      o.Limits.OrDefault(),
	}
	if c.min.IsZero() {
		c.min = defaultMinTime
	}
	if c.max.IsZero() {
		c.max = time.Now().Add(24 * time.Hour)
	}
	c.window = c.min.UTC().Format(time.RFC3339) + " .. " + c.max.UTC().Format(time.RFC3339)
	return c
}

// intern returns a copy of s that does not pin the buffer s points into;
// the few distinct platforms and statuses of a file are shared.
func (c *pingCheck) intern(s string) string {
	if s == "" {
		return ""
	}
	for _, v := range c.recent {
		if v == s {
			return v
		}
	}
	v, ok := c.strs[s]
	if !ok {
		v = strings.Clone(s)
		if len(c.strs) < 1024 {
			c.strs[v] = v
		}
	}
	c.recent[c.next] = v
	c.next = (c.next + 1) % len(c.recent)
	return v
}

// build validates the text of one ping's fields and returns the ping, or the
// reason it is rejected. Strings are trimmed here.
func (c *pingCheck) build(rider, platform, status, ts, lat, lng string) (model.Ping, string) {
	rider = strings.TrimSpace(rider)
	if rider == "" {
		return model.Ping{}, "empty rider_id"
	}
	platform = strings.TrimSpace(platform)
	status = strings.TrimSpace(status)
	for _, f := range [...]struct{ name, v string }{{"rider_id", rider}, {"platform", platform}, {"status", status}} {
		if why := checkText(f.name, f.v, c.lim.MaxIDBytes, settingID); why != "" {
			return model.Ping{}, why
		}
	}
	y, why := coord("lat", lat, 90)
	if why != "" {
		return model.Ping{}, why
	}
	x, why := coord("lng", lng, 180)
	if why != "" {
		return model.Ping{}, why
	}
	if x == 0 && y == 0 {
		return model.Ping{}, "lat and lng are both 0 (null island)"
	}
	ts = strings.TrimSpace(ts)
	if ts == "" {
		return model.Ping{}, "empty ts"
	}
	t, err := parseTime(ts)
	if err != nil {
		return model.Ping{}, fmt.Sprintf("ts %q is not RFC 3339, unix seconds or unix milliseconds", ts)
	}
	if t.Before(c.min) || t.After(c.max) {
		return model.Ping{}, fmt.Sprintf("ts %q is outside the accepted window %s", ts, c.window)
	}
	if c.convert {
		x, y = c.crs.ToWGS84(x, y)
		if !finite(x) || !finite(y) || y < -90 || y > 90 || x < -180 || x > 180 {
			return model.Ping{}, fmt.Sprintf("lat %s, lng %s do not convert from %s to WGS-84", lat, lng, c.crs)
		}
	}
	if c.bounds != nil && !c.bounds.Contains(orb.Point{x, y}) {
		return model.Ping{}, fmt.Sprintf("lat %s, lng %s is outside the configured area", strconv.FormatFloat(y, 'f', -1, 64), strconv.FormatFloat(x, 'f', -1, 64))
	}
	if platform == "" {
		platform = c.platform
	}
	return model.Ping{
		Rider:    c.riders.rider(platform, rider),
		Platform: c.intern(platform),
		Time:     t,
		Lat:      y,
		Lng:      x,
		Status:   c.intern(status),
	}, ""
}

// coord parses a latitude (limit 90) or longitude (limit 180).
func coord(name, s string, limit float64) (float64, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, "empty " + name
	}
	v, ok := parseDecimal(s)
	if !ok {
		var err error
		if v, err = strconv.ParseFloat(s, 64); err != nil {
			return 0, fmt.Sprintf("%s %q is not a number", name, s)
		}
	}
	if !finite(v) {
		return 0, fmt.Sprintf("%s %q is not finite", name, s)
	}
	if v < -limit || v > limit {
		return 0, fmt.Sprintf("%s %s is outside [-%g, %g]", name, s, limit, limit)
	}
	return v, ""
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseDecimal parses a plain decimal ([+-]digits[.digits]) of at most 15
// significant digits, such as every coordinate of a GPS file, to the same
// float64 as strconv.ParseFloat: the digits as an integer (exact below
// 2^53) divided by an exact power of ten is one correctly rounded
// operation (Clinger's fast path, which strconv takes too, after a general
// scan that cost the district-day import 3-4 s). It reports false for
// anything else, which strconv.ParseFloat reads.
func parseDecimal(s string) (float64, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var m uint64
	sig, frac, dot, digit := 0, 0, false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
			if m != 0 || c != '0' {
				if sig++; sig > 15 {
					return 0, false
				}
			}
			m = m*10 + uint64(c-'0')
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if !digit || frac >= len(pow10) {
		return 0, false
	}
	v := float64(m) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
