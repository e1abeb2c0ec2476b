package coverage

import "testing"

func TestParseMetric(t *testing.T) {
	for in, want := range map[string]Metric{"": RiderHours, "rider_hours": RiderHours, "riders": Riders} {
		if got, err := ParseMetric(in); err != nil || got != want {
			t.Errorf("ParseMetric(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMetric("pings"); err == nil {
		t.Error("ParseMetric(pings) should fail")
	}
}
