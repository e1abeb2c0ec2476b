package config

import (
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
}

func TestUsageListsEverySetting(t *testing.T) {
	u := Usage()
	for _, s := range Settings {
		if !strings.Contains(u, s.Env) {
			t.Errorf("usage lacks %s", s.Env)
		}
	}
}
