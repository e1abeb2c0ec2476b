package ingest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParseDecimal: wherever parseDecimal reads a number it is bit for bit
// strconv.ParseFloat's, and whatever it declines strconv reads (or refuses)
// as before.
func TestParseDecimal(t *testing.T) {
	check := func(s string) {
		t.Helper()
		got, ok := parseDecimal(s)
		want, err := strconv.ParseFloat(s, 64)
		if ok && (err != nil || math.Float64bits(got) != math.Float64bits(want)) {
			t.Fatalf("parseDecimal(%q) = %v (%#x), strconv: %v (%#x) err %v", s, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	}
	fast := []string{"31.243812", "121.395631", "-0", "-0.0", "0", "+1.5", "1.", ".5", "00012.5", "0.0000001", "180",
		"-90.000000000000", "999999999999999", "0.999999999999999", "123456789.012345", "31.2438120000000"}
	for _, s := range fast {
		check(s)
		if _, ok := parseDecimal(s); !ok {
			t.Errorf("parseDecimal(%q) declined a plain decimal", s)
		}
	}
	for _, s := range []string{"", "+", "-", ".", "1e5", "1E-3", "0x1p-2", "Inf", "NaN", "1_000", "1.2.3", "--1", "1-",
		"1234567890123456", "0.1234567890123456", "31,5", " 1", "１"} {
		check(s)
		if _, ok := parseDecimal(s); ok {
			t.Errorf("parseDecimal(%q) read what it should leave to strconv", s)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var s string
		switch r.IntN(3) {
		case 0: // coordinates as GPS files write them
			s = strconv.FormatFloat(r.Float64()*360-180, 'f', r.IntN(10), 64)
		case 1: // any digits and a point
			b := make([]byte, 1+r.IntN(17))
			for i := range b {
				b[i] = "0123456789"[r.IntN(10)]
			}
			if p := r.IntN(len(b) + 1); p < len(b) {
				b[p] = '.'
			}
			s = string(b)
		default: // shortest round trips of random doubles
			s = strconv.FormatFloat(math.Float64frombits(r.Uint64()>>2), 'f', -1, 64)
		}
		check(s)
	}
}

// FuzzParseDecimal holds parseDecimal to strconv.ParseFloat on any input.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"31.243812", "-0", "1.", ".5", "1e5", "999999999999999.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseDecimal(s)
		want, err := strconv.ParseFloat(s, 64)
		if ok && (err != nil || math.Float64bits(got) != math.Float64bits(want)) {
			t.Fatalf("parseDecimal(%q) = %v, strconv %v err %v", s, got, want, err)
		}
	})
}
