package coverage

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// namedHours are local clock hours applied to every day of the week (the
// same names as the tiles layer's filter).
var namedHours = map[string][]int{
	"breakfast": {7, 8, 9},
	"lunch":     {11, 12, 13},
	"dinner":    {17, 18, 19},
	"night":     {21, 22, 23, 0},
	"peak":      {11, 12, 13, 17, 18, 19},
}

// NamedRanges lists the named hour ranges ParseHours accepts, in display order.
var NamedRanges = []string{"breakfast", "lunch", "dinner", "night", "peak"}

// ParseHours parses an hours-of-week filter: a comma list of hours of week
// (0 = Monday 00:00 local .. 167 = Sunday 23:00), inclusive ranges of them
// ("11-13,35-37"), and named daily ranges applied to every day (breakfast
// 07–09, lunch 11–13, dinner 17–19, night 21–00, peak = lunch + dinner).
// It returns the sorted distinct hours; "" and "all" mean the whole week and
// give nil.
func ParseHours(s string) ([]int16, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "all") {
		return nil, nil
	}
	set := make([]bool, 168)
	for _, item := range strings.Split(s, ",") {
		item = strings.ToLower(strings.TrimSpace(item))
		if item == "" {
			continue
		}
		if hs, ok := namedHours[item]; ok {
			for day := range 7 {
				for _, h := range hs {
					set[day*24+h] = true
				}
			}
			continue
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := parseHow(lo)
		if err != nil {
			return nil, fmt.Errorf("hours %q: %w", item, err)
		}
		b := a
		if isRange {
			if b, err = parseHow(hi); err != nil {
				return nil, fmt.Errorf("hours %q: %w", item, err)
			}
			if b < a {
				return nil, fmt.Errorf("hours %q: range ends before it starts", item)
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
		return nil, fmt.Errorf("hours %q: no hours given", s)
	}
	if len(out) == 168 {
		return nil, nil // the whole week: the precomputed how = -1 rows
	}
	return out, nil
}

func parseHow(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 167 {
		return 0, fmt.Errorf("want an hour of week 0..167 or breakfast, lunch, dinner, night, peak")
	}
	return n, nil
}

// hoursKey is a compact cache key of a sorted hours list.
func hoursKey(hs []int16) string {
	if len(hs) == 0 {
		return "all"
	}
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(h)))
	}
	return b.String()
}

// normHours sorts and dedupes hours.
func normHours(hs []int16) []int16 {
	if len(hs) == 0 {
		return nil
	}
	hs = slices.Clone(hs)
	slices.Sort(hs)
	return slices.Compact(hs)
}
