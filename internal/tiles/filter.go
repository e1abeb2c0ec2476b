package tiles

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
)

// Filter is the validated, normalised query of a hexagon tile.
type Filter struct {
	// Hours are the selected hours of week (0 = Monday 00:00 local), sorted
	// and without duplicates; nil means the whole week.
	Hours  []int16
	Metric model.Metric
}

const maxHoursParam = 2000 // characters

// ParseFilter validates the hours= and metric= query parameters; other
// parameters are ignored. hours is a comma list of hours of week (0..167),
// ranges of them ("11-13,35-37") and named daily ranges (breakfast 07–09,
// lunch 11–13, dinner 17–19, night 21–00, peak = lunch + dinner), each named
// range applying to every day (how = day*24 + hour). Selecting all 168 hours
// is the same as no filter.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	m, err := model.ParseMetric(strings.TrimSpace(q.Get("metric")), false)
	if err != nil {
		return Filter{}, fmt.Errorf("metric=%q: want rider_hours, riders, pings or dwell", errs.Clip(q.Get("metric")))
	}
	f.Metric = m
	raw := strings.Join(q["hours"], ",")
	if len(raw) > maxHoursParam {
		return Filter{}, fmt.Errorf("hours: longer than %d characters", maxHoursParam)
	}
	if strings.Trim(raw, " ,") == "" {
		return f, nil // no hours given: the whole week
	}
	hs, err := activity.ParseHours(raw)
	if err != nil {
		return Filter{}, err
	}
	f.Hours = hs
	return f, nil
}

// Key is the canonical text of the filter, used in cache keys and ETags:
// equal filters give equal keys however they were written.
func (f Filter) Key() string {
	var b strings.Builder
	b.WriteString("m=")
	b.WriteString(string(f.Metric))
	if len(f.Hours) > 0 {
		b.WriteString(";h=")
		b.WriteString(activity.FormatHours(f.Hours))
	}
	return b.String()
}

// Query renders the filter back as query parameters (for TileJSON tile URLs).
func (f Filter) Query() url.Values {
	v := url.Values{}
	if len(f.Hours) > 0 {
		v.Set("hours", activity.FormatHours(f.Hours))
	}
	if f.Metric != "" && f.Metric != model.MetricRiderHours {
		v.Set("metric", string(f.Metric))
	}
	return v
}

// forLayer drops the parts of the filter a layer does not use, so that they
// do not split its cache.
func (f Filter) forLayer(l Layer) Filter {
	switch l {
	case LayerActivity:
		return f
	case LayerGaps:
		// Gaps are an analysis: its demand is riders or rider-hours (the
		// other metrics analyse as rider-hours, as /api/gaps does not take them).
		m := model.MetricRiderHours
		if f.Metric == model.MetricRiders {
			m = model.MetricRiders
		}
		return Filter{Hours: slices.Clone(f.Hours), Metric: m}
	}
	return Filter{}
}
