package ingest

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{"2024-05-01T08:00:00+08:00", base, false},
		{"2024-05-01T00:00:00Z", base, false},
		{"2024-04-30T19:30:00-04:30", base, false},
		{"2024-05-01T08:00:00.25+08:00", base.Add(250 * time.Millisecond), false},
		{"2024-05-01T00:00:00.123456789Z", base.Add(123456789), false},
		{"2024-05-01T00:00:00,5Z", base.Add(500 * time.Millisecond), false}, // time.Parse accepts a comma
		{"2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{"1714521600", base, false},
		{"1714521600.5", base.Add(500 * time.Millisecond), false},
		{"1714521600123", base.Add(123 * time.Millisecond), false},
		{"946684800", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"2023-02-29T00:00:00Z", time.Time{}, true},
		{"2024-05-01 08:00:00", time.Time{}, true},
		{"2024-05-01T24:00:00Z", time.Time{}, true},
		{"2024-05-01T08:00:00", time.Time{}, true},
		{"-1714521600", time.Time{}, true},
		{"1.7e9", time.Time{}, true},
		{"17145216001234", time.Time{}, true},
		{"1714521600.", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in)
		if (err != nil) != tt.err || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil && got.Location() != time.UTC {
			t.Errorf("parseTime(%q) location %v, want UTC", tt.in, got.Location())
		}
	}
}
