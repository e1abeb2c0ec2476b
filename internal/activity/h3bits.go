package activity

import (
	"fmt"

	"github.com/uber/h3-go/v4"
)

// H3 index bit layout (https://h3geo.org/docs/core-library/h3Indexing):
// bit 63 reserved, bits 59–62 mode (1 = cell), bits 56–58 reserved, bits
// 52–55 resolution, bits 45–51 base cell, then fifteen 3-bit digits for
// resolutions 1..15, unused digits set to 7.
const (
	h3ModeShift = 59
	h3ResShift  = 52
	h3ModeCell  = 1
)

// cellRes returns the resolution of a cell index, or -1 if it is not a cell
// index at all (cheap structural check, no cgo).
func cellRes(c int64) int {
	if c <= 0 || (c>>h3ModeShift)&0xF != h3ModeCell {
		return -1
	}
	return int((c >> h3ResShift) & 0xF)
}

// parentCell returns the parent of c at resolution res (res ≤ c's
// resolution), by bit manipulation: the same as h3's cellToParent for a valid
// cell, without a cgo call.
func parentCell(c int64, res int) int64 {
	c = c&^(0xF<<h3ResShift) | int64(res)<<h3ResShift
	return c | (int64(1)<<(uint(15-res)*3) - 1)
}

// CellOf returns the H3 cell at res containing (lat, lng) in WGS-84 degrees.
func CellOf(lat, lng float64, res int) (int64, error) {
	if !(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180) {
		return 0, fmt.Errorf("activity: coordinates (%v, %v) out of range", lat, lng)
	}
	c, err := h3.LatLngToCell(h3.NewLatLng(lat, lng), res)
	if err != nil {
		return 0, fmt.Errorf("activity: cell of (%v, %v) at res %d: %w", lat, lng, res, err)
	}
	return int64(c), nil
}
