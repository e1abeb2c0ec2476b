package activity

import (
	"slices"
	"testing"
)

func everyDay(hs ...int) []int16 {
	var out []int16
	for d := range 7 {
		for _, h := range hs {
			out = append(out, int16(d*24+h))
		}
	}
	slices.Sort(out)
	return out
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in   string
		want []int16
		err  bool
	}{
		{"", nil, false},
		{"all", nil, false},
		{"0-167", nil, false},
		{"5", []int16{5}, false},
		{"11-13,35-37", []int16{11, 12, 13, 35, 36, 37}, false},
		{" 13 , 11-12 ,12", []int16{11, 12, 13}, false},
		{"lunch", everyDay(11, 12, 13), false},
		{"breakfast", everyDay(7, 8, 9), false},
		{"dinner", everyDay(17, 18, 19), false},
		{"night", everyDay(0, 21, 22, 23), false},
		{"peak", everyDay(11, 12, 13, 17, 18, 19), false},
		{"Lunch,dinner", everyDay(11, 12, 13, 17, 18, 19), false},
		{"lunch,0", append([]int16{0}, everyDay(11, 12, 13)...), false},
		{"168", nil, true},
		{"-1", nil, true},
		{"13-11", nil, true},
		{"brunch", nil, true},
		{"1-x", nil, true},
		{",", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseHours(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("ParseHours(%q) error = %v, want error %v", tc.in, err, tc.err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ParseHours(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
