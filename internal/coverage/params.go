package coverage

import (
	"net/url"
	"strconv"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
)

// Query limits of the API.
const (
	DefaultGapLimit = 50
	MaxGapLimit     = 500
)

// ParamsFromQuery reads hours=, metric=, planned= (true/1) and from=/to=
// (a date range, YYYY-MM-DD, both or neither); a bad value is an
// errs.Invalid error saying which.
func ParamsFromQuery(q url.Values) (Params, error) {
	var p Params
	var err error
	if p.Hours, err = activity.ParseHours(q.Get("hours")); err != nil {
		return p, errs.E(errs.Invalid, err.Error())
	}
	if p.Metric, err = model.ParseMetric(q.Get("metric"), true); err != nil {
		return p, errs.E(errs.Invalid, err.Error())
	}
	if v := q.Get("planned"); v != "" {
		if p.Planned, err = strconv.ParseBool(v); err != nil {
			return p, errs.E(errs.Invalid, "planned: want true or false")
		}
	}
	if p.From, p.To = q.Get("from"), q.Get("to"); p.From != "" || p.To != "" {
		if _, _, err := ParseDateRange(p.From, p.To); err != nil {
			return p, err
		}
	}
	return p, nil
}
