package model_test

import (
	"slices"
	"testing"

	"github.com/hexcover/hexcover/internal/model"
)

// TestEveryValueNamed: each enumeration value has both names, so the map
// never shows a raw id.
func TestEveryValueNamed(t *testing.T) {
	named := func(what, id string, l model.Label, ok bool) {
		if !ok || l.Zh == "" || l.En == "" {
			t.Errorf("%s %q has no zh/en name", what, id)
		}
	}
	for _, r := range model.Roles {
		l, ok := model.RoleLabels[r]
		named("role", r, l, ok)
	}
	for _, k := range model.SiteKinds {
		l, ok := model.SiteKindLabels[k]
		named("site kind", string(k), l, ok)
	}
	for _, s := range model.SiteStatuses {
		l, ok := model.SiteStatusLabels[s]
		named("status", string(s), l, ok)
	}
	for _, a := range model.AreaLevels {
		l, ok := model.AreaLevelLabels[a]
		named("level", string(a), l, ok)
	}
	for _, m := range model.Metrics {
		in, ok := model.MetricInfos[m]
		named("metric", string(m), in.Label, ok)
		named("unit of", string(m), in.Unit, ok)
	}
	for _, h := range model.HourRanges {
		named("hour range", h.Name, h.Label, true)
		if len(h.Hours) == 0 || slices.ContainsFunc(h.Hours, func(x int) bool { return x < 0 || x > 23 }) {
			t.Errorf("hour range %s: hours %v", h.Name, h.Hours)
		}
	}
}

func TestParseMetric(t *testing.T) {
	for _, c := range []struct {
		in     string
		demand bool
		want   model.Metric
		ok     bool
	}{
		{"", true, model.MetricRiderHours, true}, {" riders ", true, model.MetricRiders, true},
		{"pings", true, "", false}, {"pings", false, model.MetricPings, true}, {"dwell", false, model.MetricDwell, true},
		{"speed", false, "", false},
	} {
		got, err := model.ParseMetric(c.in, c.demand)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseMetric(%q, %v) = %q, %v", c.in, c.demand, got, err)
		}
	}
}

func TestCapabilities(t *testing.T) {
	if got := model.RolesWith(model.CapScenariosWrite); !slices.Equal(got, []model.Role{model.RoleAdmin, model.RolePlanner}) {
		t.Errorf("scenarios.write roles = %v", got)
	}
	leader := model.Viewer{Role: model.RoleLeader}
	if !leader.Can(model.CapSiting) || leader.Can(model.CapScenariosWrite) || leader.Can(model.CapAudit) {
		t.Errorf("leader capabilities = %v", leader.Capabilities())
	}
	if got := (model.Viewer{}).Capabilities(); got == nil || len(got) != 0 {
		t.Errorf("no role: %v, want an empty list", got)
	}
}
