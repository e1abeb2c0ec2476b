package activity

import "testing"

// FuzzParseHours: no input panics, and accepted hours are distinct hours of
// the week in ascending order.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"", "lunch", "breakfast,dinner", "11-13,35-37", "0,167", "peak", "night", "5-", "-3", "200", "a,b", "1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hs, err := ParseHours(s)
		if err != nil {
			return
		}
		for i, h := range hs {
			if h < 0 || h > 167 {
				t.Fatalf("ParseHours(%q) gave hour %d outside 0..167", s, h)
			}
			if i > 0 && hs[i-1] >= h {
				t.Fatalf("ParseHours(%q) = %v: not ascending and distinct", s, hs)
			}
		}
	})
}
