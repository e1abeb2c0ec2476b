package config

import (
	"fmt"
	"strings"
)

// networkFromEnv reads how coverage is measured: HEXCOVER_COVERAGE,
// HEXCOVER_NETWORK_EXCLUDE and HEXCOVER_NETWORK_ONEWAY.
func (c *Config) networkFromEnv(get func(string) string) []error {
	var errs []error
	c.Coverage = strings.ToLower(get("HEXCOVER_COVERAGE"))
	if c.Coverage != "radius" && c.Coverage != "network" {
		errs = append(errs, fmt.Errorf("HEXCOVER_COVERAGE=%q: want radius or network", c.Coverage))
	}
	c.NetworkExclude = nil
	for _, e := range strings.Split(get("HEXCOVER_NETWORK_EXCLUDE"), ",") {
		e = strings.TrimSpace(e)
		if e == "" || e == "none" {
			continue
		}
		k, v, tag := strings.Cut(e, "=")
		if !word(k) || tag && (k != "bicycle" && k != "access" || !word(v)) {
			errs = append(errs, fmt.Errorf("HEXCOVER_NETWORK_EXCLUDE: %q: want highway classes (motorway, trunk_link, …) or bicycle=VALUE / access=VALUE", e))
			continue
		}
		c.NetworkExclude = append(c.NetworkExclude, e)
	}
	switch strings.ToLower(get("HEXCOVER_NETWORK_ONEWAY")) {
	case "ignore":
	case "respect":
		c.NetworkOneway = true
	default:
		errs = append(errs, fmt.Errorf("HEXCOVER_NETWORK_ONEWAY=%q: want ignore or respect", get("HEXCOVER_NETWORK_ONEWAY")))
	}
	return errs
}

// word reports whether s is a plain OSM key or value: lower-case letters,
// digits, '_', '-' and ':'.
func word(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == ':') {
			return false
		}
	}
	return true
}
