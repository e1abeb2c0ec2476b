package tiles

import (
	"net/url"
	"slices"
	"testing"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/model"
)

func TestParseTilePath(t *testing.T) {
	for _, c := range []struct {
		layer, z, x, y string
		ok             bool
	}{
		{"activity", "0", "0", "0.mvt", true},
		{"sites", "22", "4194303", "4194303.mvt", true},
		{"gaps", "14", "13717", "6693.mvt", true},
		{"activity", "23", "0", "0.mvt", false},
		{"activity", "1", "2", "0.mvt", false},
		{"activity", "1", "0", "0.pbf", false},
		{"activity", "1", "0", "0", false},
		{"activity", "1", "-0", "0.mvt", false},
		{"activity", "1", "0x1", "0.mvt", false},
		{"activity", "", "0", "0.mvt", false},
		{"Activity", "1", "0", "0.mvt", false},
		{"../etc", "1", "0", "0.mvt", false},
	} {
		l, tile, err := ParseTilePath(c.layer, c.z, c.x, c.y)
		if (err == nil) != c.ok {
			t.Errorf("ParseTilePath(%q, %q, %q, %q) = %v, %v, %v; want ok %v", c.layer, c.z, c.x, c.y, l, tile, err, c.ok)
		}
	}
}

func TestParseFilter(t *testing.T) {
	for _, c := range []struct {
		q    string
		key  string
		fail bool
	}{
		{"", "m=rider_hours", false},
		{"hours=", "m=rider_hours", false},
		{"hours=11-13,35-37", "m=rider_hours;h=11-13,35-37", false},
		{"hours=13,12,11,11", "m=rider_hours;h=11-13", false},
		{"hours=night&metric=riders", "m=riders;h=0,21-24,45-48,69-72,93-96,117-120,141-144,165-167", false},
		{"hours=0-167", "m=rider_hours", false},
		{"hours=peak", "", false},
		{"hours=LUNCH,breakfast", "", false},
		{"hours=168", "", true},
		{"hours=13-11", "", true},
		{"hours=1-2-3", "", true},
		{"hours=lunchtime", "", true},
		{"metric=speed", "", true},
		{"hours=-1", "", true},
	} {
		q, _ := url.ParseQuery(c.q)
		f, err := ParseFilter(q)
		if (err != nil) != c.fail {
			t.Errorf("ParseFilter(%q): err %v, want failure %v", c.q, err, c.fail)
			continue
		}
		if c.key != "" && f.Key() != c.key {
			t.Errorf("ParseFilter(%q).Key() = %q, want %q", c.q, f.Key(), c.key)
		}
	}
	peak, _ := ParseFilter(url.Values{"hours": {"peak"}})
	lunch, _ := ParseFilter(url.Values{"hours": {"lunch,dinner"}})
	if !slices.Equal(peak.Hours, lunch.Hours) || len(peak.Hours) != 42 {
		t.Errorf("peak %v != lunch+dinner %v", peak.Hours, lunch.Hours)
	}
	// Round trip through Query.
	f, _ := ParseFilter(url.Values{"hours": {"night"}, "metric": {"dwell"}})
	g, err := ParseFilter(f.Query())
	if err != nil || g.Key() != f.Key() {
		t.Errorf("round trip %q → %q (%v)", f.Key(), g.Key(), err)
	}
}

func FuzzParseTilePath(f *testing.F) {
	f.Add("activity", "14", "13717", "6693.mvt")
	f.Add("sites", "22", "4194303", "4194303.mvt")
	f.Add("gaps", "0", "0", "0.mvt")
	f.Add("areas", "99999999999", "1", "1.mvt")
	f.Add("grids", "3", "7", "8.mvt")
	f.Fuzz(func(t *testing.T, layer, z, x, y string) {
		l, tile, err := ParseTilePath(layer, z, x, y)
		if err != nil {
			return
		}
		if _, err := ParseLayer(string(l)); err != nil {
			t.Fatalf("accepted layer %q", l)
		}
		if tile.Z > MaxZoom || uint64(tile.X) >= 1<<tile.Z || uint64(tile.Y) >= 1<<tile.Z {
			t.Fatalf("accepted tile %v", tile)
		}
	})
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"lunch", "11-13,35-37", "night,peak", "0-167", "167", "5-3", "", ",,,", "breakfast,7"} {
		f.Add(s, "riders")
	}
	f.Add("1", "rider_hours")
	f.Fuzz(func(t *testing.T, hours, metric string) {
		fl, err := ParseFilter(url.Values{"hours": {hours}, "metric": {metric}})
		if err != nil {
			return
		}
		switch fl.Metric {
		case model.MetricRiderHours, model.MetricRiders, model.MetricPings, model.MetricDwell:
		default:
			t.Fatalf("metric %q", fl.Metric)
		}
		if len(fl.Hours) >= activity.HoursPerWeek || !slices.IsSorted(fl.Hours) {
			t.Fatalf("hours %v", fl.Hours)
		}
		for i, h := range fl.Hours {
			if h < 0 || h >= activity.HoursPerWeek || (i > 0 && fl.Hours[i-1] == h) {
				t.Fatalf("hours %v", fl.Hours)
			}
		}
		g, err := ParseFilter(fl.Query())
		if err != nil || g.Key() != fl.Key() {
			t.Fatalf("round trip %q → %q (%v)", fl.Key(), g.Key(), err)
		}
	})
}
