package coverage

import (
	"slices"

	"github.com/hexcover/hexcover/internal/activity"
)

// hoursKey is a compact cache key of a sorted hours list.
func hoursKey(hs []int16) string {
	if len(hs) == 0 {
		return "all"
	}
	return activity.FormatHours(hs)
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
