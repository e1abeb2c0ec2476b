package tiles

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/errs"
)

// Layer names a tile layer.
type Layer string

// The layers; no other name is ever served.
const (
	LayerActivity Layer = "activity"
	LayerGaps     Layer = "gaps"
	LayerGrids    Layer = "grids"
	LayerAreas    Layer = "areas"
	LayerSites    Layer = "sites"
)

// Layers lists every layer.
var Layers = []Layer{LayerActivity, LayerGaps, LayerGrids, LayerAreas, LayerSites, LayerBasemap}

// MaxZoom is the deepest zoom served.
const MaxZoom = 22

// ParseLayer validates a layer name.
func ParseLayer(s string) (Layer, error) {
	for _, l := range Layers {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown layer %q: want activity, gaps, grids, areas, sites or basemap", errs.Clip(s))
}

// hex reports whether the layer is drawn as H3 hexagons.
func (l Layer) hex() bool { return l == LayerActivity || l == LayerGaps }

// ParseTilePath validates the parts of /tiles/{layer}/{z}/{x}/{y}.mvt: a
// known layer, z in 0..22, x and y in 0..2^z-1 as plain decimal numbers, and
// y ending in ".mvt".
func ParseTilePath(layer, z, x, y string) (Layer, maptile.Tile, error) {
	l, err := ParseLayer(layer)
	if err != nil {
		return "", maptile.Tile{}, err
	}
	ys, ok := strings.CutSuffix(y, ".mvt")
	if !ok {
		return "", maptile.Tile{}, errors.New("tile path must end in {z}/{x}/{y}.mvt")
	}
	zn, err := parseCoord(z, MaxZoom)
	if err != nil {
		return "", maptile.Tile{}, fmt.Errorf("zoom %q: %v (0..%d)", errs.Clip(z), err, MaxZoom)
	}
	max := uint64(1)<<zn - 1
	xn, err := parseCoord(x, max)
	if err != nil {
		return "", maptile.Tile{}, fmt.Errorf("x %q: %v (0..%d at zoom %d)", errs.Clip(x), err, max, zn)
	}
	yn, err := parseCoord(ys, max)
	if err != nil {
		return "", maptile.Tile{}, fmt.Errorf("y %q: %v (0..%d at zoom %d)", errs.Clip(ys), err, max, zn)
	}
	return l, maptile.New(uint32(xn), uint32(yn), maptile.Zoom(zn)), nil
}

func parseCoord(s string, max uint64) (uint64, error) {
	if s == "" || len(s) > 10 {
		return 0, errors.New("not a tile coordinate")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a decimal number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, errors.New("out of range")
	}
	return n, nil
}
