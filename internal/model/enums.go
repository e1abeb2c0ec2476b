package model

import (
	"fmt"
	"strings"
)

// This file holds the one definition of each enumeration the service and
// the map share, with the names people read (zh, en). The server serves
// them at GET /api/meta ("enums") so the map does not restate them.

// Label is a name in Chinese and English.
type Label struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// RoleLabels names the roles.
var RoleLabels = map[Role]Label{
	RoleAdmin:       {"管理员", "Admin"},
	RolePlanner:     {"规划人员", "Planner"},
	RoleLeader:      {"区领导", "District leader"},
	RoleGridManager: {"网格长", "Grid manager"},
}

// SiteKindLabels names the site kinds.
var SiteKindLabels = map[SiteKind]Label{
	KindServiceCenter: {"骑手服务中心", "Rider service centre"},
	KindRestStation:   {"骑手驿站", "Rest station"},
	KindFuelStation:   {"加油站休息点", "Fuel-station rest point"},
	KindBranch:        {"网点", "Branch"},
	KindCandidate:     {"候选点", "Candidate"},
}

// SiteStatuses lists the site statuses in display order.
var SiteStatuses = []SiteStatus{StatusExisting, StatusPlanned, StatusCandidate}

// SiteStatusLabels names the site statuses.
var SiteStatusLabels = map[SiteStatus]Label{
	StatusExisting:  {"已建成", "Existing"},
	StatusPlanned:   {"规划中", "Planned"},
	StatusCandidate: {"候选", "Candidate"},
}

// AreaLevels lists the administrative levels, coarse to fine.
var AreaLevels = []AreaLevel{LevelDistrict, LevelStreet, LevelCommunity}

// AreaLevelLabels names the levels.
var AreaLevelLabels = map[AreaLevel]Label{
	LevelDistrict:  {"区", "District"},
	LevelStreet:    {"街道", "Street"},
	LevelCommunity: {"社区", "Community"},
}

// Metric is what a figure of activity or demand counts.
type Metric string

// Metrics.
const (
	MetricRiderHours Metric = "rider_hours" // time riders spent in a cell (rider-seconds / 3600); the default
	MetricRiders     Metric = "riders"      // distinct riders seen (over the union of the selected hours)
	MetricPings      Metric = "pings"       // located observations
	MetricDwell      Metric = "dwell"       // time riders stood still (tiles carry seconds, shown in hours)
)

// MetricInfo describes a metric: its names, its unit, and whether it can
// be the demand of coverage, gaps and siting (rider-hours and riders can;
// pings and dwell are activity figures only).
type MetricInfo struct {
	Label
	Unit   Label
	Demand bool
}

// Metrics lists the metrics in display order.
var Metrics = []Metric{MetricRiderHours, MetricRiders, MetricPings, MetricDwell}

// MetricInfos describes each metric.
var MetricInfos = map[Metric]MetricInfo{
	MetricRiderHours: {Label{"骑手·小时", "Rider-hours"}, Label{"骑手·小时", "rider-hours"}, true},
	MetricRiders:     {Label{"骑手数", "Riders"}, Label{"人", "riders"}, true},
	MetricPings:      {Label{"定位点数", "Pings"}, Label{"个", "pings"}, false},
	MetricDwell:      {Label{"停留时长", "Dwell time"}, Label{"小时", "hours"}, false},
}

// ParseMetric validates a metric (spaces trimmed); "" is MetricRiderHours. With demand set,
// only demand metrics are accepted.
func ParseMetric(s string, demand bool) (Metric, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return MetricRiderHours, nil
	}
	if in, ok := MetricInfos[Metric(s)]; ok && (in.Demand || !demand) {
		return Metric(s), nil
	}
	if demand {
		return "", fmt.Errorf("metric %q: want rider_hours or riders", s)
	}
	return "", fmt.Errorf("metric %q: want rider_hours, riders, pings or dwell", s)
}

// HourRange is a named range of local clock hours, applied to every day
// of the week by the hours= filter (activity.ParseHours).
type HourRange struct {
	Name  string
	Hours []int // local clock hours 0..23
	Label
}

// HourRanges are the named hour ranges in display order.
var HourRanges = []HourRange{
	{"breakfast", []int{7, 8, 9}, Label{"早餐", "Breakfast"}},
	{"lunch", []int{11, 12, 13}, Label{"午高峰", "Lunch"}},
	{"dinner", []int{17, 18, 19}, Label{"晚高峰", "Dinner"}},
	{"night", []int{21, 22, 23, 0}, Label{"夜间", "Night"}},
	{"peak", []int{11, 12, 13, 17, 18, 19}, Label{"午晚高峰", "Lunch+dinner"}},
}

// HourRangeNamed returns the named range, if there is one.
func HourRangeNamed(name string) (HourRange, bool) {
	for _, r := range HourRanges {
		if r.Name == name {
			return r, true
		}
	}
	return HourRange{}, false
}
