package activity

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
)

// HoursPerWeek is the number of hours of week (How 0..167).
const HoursPerWeek = 168

// allDay is every hour of a day.
var allDay = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}

// ParseHours parses an hours-of-week filter, the hours= parameter of the
// tiles and the API: a comma list of hours of week (0 = Monday 00:00 local ..
// 167 = Sunday 23:00), inclusive ranges of them ("11-13,35-37"), and named
// daily ranges applied to every day (breakfast 07–09, lunch 11–13, dinner
// 17–19, night 21–00, peak = lunch + dinner). It returns the sorted distinct
// hours; "", "all" and a selection of all 168 hours mean the whole week and
// give nil. "weekday" and "weekend" are every hour of Monday–Friday and of
// Saturday–Sunday; "NAME:weekday" and "NAME:weekend" a named range on those
// days only (the views of the published release).
func ParseHours(s string) ([]int16, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "all") {
		return nil, nil
	}
	var set [HoursPerWeek]bool
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
		name, days, _ := strings.Cut(item, ":")
		from, to := 0, 7
		switch days {
		case "":
		case "weekday":
			to = 5
		case "weekend":
			from = 5
		default:
			return nil, fmt.Errorf("hours %q: want NAME, NAME:weekday or NAME:weekend", errs.Clip(item))
		}
		r, ok := model.HourRangeNamed(name)
		hs := r.Hours
		if name == "weekday" || name == "weekend" {
			if days != "" {
				return nil, fmt.Errorf("hours %q: want weekday or weekend alone", errs.Clip(item))
			}
			hs, ok = allDay, true
			if name == "weekend" {
				from, to = 5, 7
			} else {
				to = 5
			}
		}
		if ok {
			for day := from; day < to; day++ {
				for _, h := range hs {
					set[day*24+h] = true
				}
			}
			continue
		}
		if days != "" {
			return nil, fmt.Errorf("hours %q: %q is not a named range (breakfast, lunch, dinner, night, peak)", errs.Clip(item), name)
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := parseHow(lo)
		if err != nil {
			return nil, fmt.Errorf("hours %q: %w", errs.Clip(item), err)
		}
		b := a
		if isRange {
			if b, err = parseHow(hi); err != nil {
				return nil, fmt.Errorf("hours %q: %w", errs.Clip(item), err)
			}
			if a > b {
				return nil, fmt.Errorf("hours: range %q starts after it ends; split it, e.g. %d-167,0-%d", errs.Clip(item), a, b)
			}
		}
		for h := a; h <= b; h++ {
			set[h] = true
		}
	}
	var out []int16
	for h, ok := range set {
		if ok {
			out = append(out, int16(h))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("hours %q: no hours given", errs.Clip(s))
	}
	if len(out) == HoursPerWeek {
		return nil, nil // the whole week: the precomputed how = -1 rows
	}
	return out, nil
}

func parseHow(s string) (int, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 8)
	if err != nil || n >= HoursPerWeek {
		return 0, fmt.Errorf("want an hour of week 0..167, breakfast, lunch, dinner, night, peak, weekday or weekend")
	}
	return int(n), nil
}

// FormatHours renders sorted distinct hours of week as ranges, e.g.
// "11-13,35-37" (the form ParseHours reads back); "" for none.
func FormatHours(hs []int16) string {
	var b strings.Builder
	for i := 0; i < len(hs); {
		j := i
		for j+1 < len(hs) && hs[j+1] == hs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(hs[i])))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(int(hs[j])))
		}
		i = j + 1
	}
	return b.String()
}
