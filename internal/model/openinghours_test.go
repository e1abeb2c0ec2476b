package model

import "testing"

func TestParseOpeningHours(t *testing.T) {
	open := func(w *WeekHours, day, hour int) bool { return w == nil || w[day*24+hour] }
	for _, s := range []string{"", "24/7", "00:00-24:00", "Mo-Su 00:00-24:00"} {
		if w, err := ParseOpeningHours(s); err != nil || w != nil {
			t.Errorf("%q: %v %v, want always open", s, w, err)
		}
	}
	w, err := ParseOpeningHours("09:00-17:00")
	if err != nil || w.Count() != 8*7 || !open(w, 0, 9) || open(w, 0, 17) || open(w, 6, 8) || open(w, 3, 22) {
		t.Fatalf("09:00-17:00: %v count %d", err, w.Count())
	}
	w, err = ParseOpeningHours("Mo-Fr 08:30-11:30,13:00-17:00; Sa 10:00-14:00; Su off")
	if err != nil {
		t.Fatal(err)
	}
	// 08:30-09:00 is half of hour 8: open; 11:00-11:30 half of 11: open.
	if !open(w, 0, 8) || !open(w, 4, 11) || open(w, 4, 12) || !open(w, 5, 10) || open(w, 5, 14) || open(w, 6, 11) {
		t.Errorf("rules: %v", w)
	}
	w, err = ParseOpeningHours("Fr-Sa 22:00-02:00")
	if err != nil || !open(w, 4, 23) || !open(w, 5, 1) || !open(w, 6, 1) || open(w, 6, 2) || open(w, 3, 23) {
		t.Errorf("past midnight: %v %v", w, err)
	}
	w, err = ParseOpeningHours("09：00～17：00") // full-width, as typed in Chinese
	if err != nil || w.Count() != 56 {
		t.Errorf("full-width: %v", err)
	}
	for _, bad := range []string{"9-17", "09:00", "25:00-26:00", "Xx 09:00-10:00", "09:00-09:00", "09:60-10:00", "24:00-02:00"} {
		if _, err := ParseOpeningHours(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
