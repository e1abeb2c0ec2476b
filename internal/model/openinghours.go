package model

import (
	"fmt"
	"strconv"
	"strings"
)

// WeekHours marks hours of week (0 = Monday 00:00 local .. 167 = Sunday
// 23:00), the unit of every hours filter.
type WeekHours [168]bool

// Count is the number of marked hours.
func (w *WeekHours) Count() int {
	n := 0
	for _, b := range w {
		if b {
			n++
		}
	}
	return n
}

var dayAbbr = []string{"mo", "tu", "we", "th", "fr", "sa", "su"}

// ParseOpeningHours reads a site's opening hours, a small subset of
// OpenStreetMap's opening_hours syntax: "" or "24/7" (always open, nil),
// "09:00-17:00" (every day), or rules separated by ";" each naming days
// and times, "Mo-Fr 09:00-17:00; Sa 10:00-14:00; Su off". Days are Mo Tu
// We Th Fr Sa Su, as a list (Mo,We) or a range (Mo-Fr, Sa-Mo); times a
// list of ranges ("08:00-11:30,13:00-17:00"); a range ending before it
// starts runs past midnight, "24:00" ends at midnight. A later rule
// replaces what earlier rules said about its days, as in OSM. An hour of
// week counts as open when the site is open for at least half of it.
func ParseOpeningHours(s string) (*WeekHours, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "24/7" {
		return nil, nil
	}
	r := strings.NewReplacer("–", "-", "—", "-", "~", "-", "～", "-", "：", ":", "，", ",", "；", ";")
	s = r.Replace(s)
	var minutes [7 * 24 * 60]bool
	for _, rule := range strings.Split(s, ";") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		days := [7]bool{true, true, true, true, true, true, true}
		times := rule
		if f := strings.Fields(rule); len(f) > 0 && isDaySpec(f[0]) {
			var err error
			if days, err = parseDays(f[0]); err != nil {
				return nil, err
			}
			times = strings.TrimSpace(strings.Join(f[1:], " "))
		}
		for d := range 7 {
			if days[d] {
				clear(minutes[d*1440 : (d+1)*1440])
			}
		}
		if strings.EqualFold(times, "off") || strings.EqualFold(times, "closed") {
			continue
		}
		if times == "" || times == "24/7" {
			times = "00:00-24:00"
		}
		for _, tr := range strings.Split(times, ",") {
			from, to, err := parseTimeRange(strings.TrimSpace(tr))
			if err != nil {
				return nil, fmt.Errorf("opening hours %q: %w", s, err)
			}
			if to <= from {
				to += 1440 // past midnight into the next day
			}
			for d := range 7 {
				if !days[d] {
					continue
				}
				for m := from; m < to; m++ {
					minutes[(d*1440+m)%len(minutes)] = true
				}
			}
		}
	}
	var w WeekHours
	for h := range w {
		n := 0
		for _, open := range minutes[h*60 : (h+1)*60] {
			if open {
				n++
			}
		}
		w[h] = n >= 30
	}
	if w.Count() == len(w) {
		return nil, nil
	}
	return &w, nil
}

func isDaySpec(s string) bool {
	s = strings.ToLower(s)
	return len(s) >= 2 && dayIndex(s[:2]) >= 0
}

func dayIndex(s string) int {
	for i, d := range dayAbbr {
		if d == s {
			return i
		}
	}
	return -1
}

// parseDays reads "Mo-Fr", "Sa,Su", "Mo-We,Fr".
func parseDays(s string) ([7]bool, error) {
	var out [7]bool
	for _, part := range strings.Split(strings.ToLower(s), ",") {
		a, b, isRange := strings.Cut(part, "-")
		i, j := dayIndex(a), dayIndex(b)
		if !isRange {
			j = i
		}
		if i < 0 || j < 0 {
			return out, fmt.Errorf("opening hours: days %q: want Mo Tu We Th Fr Sa Su, a list (Mo,We) or a range (Mo-Fr)", s)
		}
		for d := i; ; d = (d + 1) % 7 {
			out[d] = true
			if d == j {
				break
			}
		}
	}
	return out, nil
}

// parseTimeRange reads "09:00-17:30" into minutes of the day.
func parseTimeRange(s string) (from, to int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("time %q: want HH:MM-HH:MM", s)
	}
	if from, err = parseClock(a, false); err != nil {
		return 0, 0, err
	}
	if to, err = parseClock(b, true); err != nil {
		return 0, 0, err
	}
	if from == to {
		return 0, 0, fmt.Errorf("time %q: empty range", s)
	}
	return from, to, nil
}

func parseClock(s string, end bool) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("time %q: want HH:MM from 00:00 to 24:00", s)
	}
	return hh*60 + mm, nil
}
