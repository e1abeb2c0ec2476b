package coverage

import (
	"slices"
	"strconv"
	"strings"
)

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
