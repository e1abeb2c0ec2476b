// Package gridassign ranks couriers for each community grid and assigns part-time grid members under capacities.
//
// The package is pure and in-memory: the caller turns rider ranges and grid
// polygons into [Evidence] per (grid, rider), ranks them with [Rank], and
// hands the scores to [Solve] as [Edge]s of a [Problem]. Solve returns
// proposals only; the grid manager decides (PIPL Art. 24), so every figure a
// proposal rests on stays in [Evidence] and no raw platform id is used.
package gridassign

import (
	"cmp"
	"math"
	"slices"
)

// Evidence is what we know of one courier in one grid (figures shown to the grid manager, never a raw platform id).
type Evidence struct {
	Rider      string  // pseudonymous rider id
	TimeShare  float64 // share (0..1) of the rider's active time spent inside the grid
	DaysActive int     // days the rider was seen inside the grid
	DaysTotal  int     // days in the period (≥ 1)
	DwellShare float64 // share (0..1) of the rider's dwell time that was inside the grid
	Stability  float64 // 0..1, how similar the rider's range is across periods (1 = identical), may be 0 if unknown
	Hours      float64 // hours the rider spent inside the grid
}

// Thresholds say who is worth asking at all: a courier is a candidate for a
// grid only with at least MinShare of his active time in it and at least
// MinHoursPerWeek hours there per seven days of data. Below either, he is a
// passer-by however he ranks among the others, and is never listed or
// proposed.
type Thresholds struct {
	MinShare        float64 // 0..1
	MinHoursPerWeek float64 // hours in the grid per 7 days of data
}

// DefaultThresholds returns the thresholds used unless configured otherwise:
// 10% of active time and 2 hours a week.
func DefaultThresholds() Thresholds { return Thresholds{MinShare: 0.10, MinHoursPerWeek: 2} }

// MinHours is the minimum hours in the grid for data of daysTotal days
// (MinHoursPerWeek·daysTotal/7, daysTotal at least 1).
func (t Thresholds) MinHours(daysTotal int) float64 {
	return t.MinHoursPerWeek * float64(max(1, daysTotal)) / 7
}

// Qualifies reports whether e meets both thresholds.
func (t Thresholds) Qualifies(e Evidence) bool {
	return unit(e.TimeShare) > 0 && e.TimeShare >= t.MinShare && e.Hours >= t.MinHours(e.DaysTotal)
}

// Weights weigh the four figures of [Evidence] in [Score].
type Weights struct{ Time, Days, Dwell, Stability float64 }

// DefaultWeights returns the weights used unless configured otherwise:
// time share 0.4, active days 0.3, dwell share 0.2, stability 0.1.
func DefaultWeights() Weights {
	return Weights{Time: 0.4, Days: 0.3, Dwell: 0.2, Stability: 0.1}
}

// Score is a documented weighted sum in [0,100]:
//
//	100·(Wt·TimeShare + Wd·DaysActive/DaysTotal + Ww·DwellShare + Ws·Stability)/(Wt+Wd+Ww+Ws)
//
// Each input is clamped to [0,1] (NaN counts as 0; DaysActive/DaysTotal is 0
// when DaysTotal < 1). Negative or NaN weights count as 0; if every weight is
// 0 the score is 0.
func Score(e Evidence, w Weights) float64 {
	wt, wd, ww, ws := weight(w.Time), weight(w.Days), weight(w.Dwell), weight(w.Stability)
	sum := wt + wd + ww + ws
	if sum == 0 || math.IsInf(sum, 0) {
		return 0
	}
	days := 0.0
	if e.DaysTotal >= 1 {
		days = float64(e.DaysActive) / float64(e.DaysTotal)
	}
	s := wt*unit(e.TimeShare) + wd*unit(days) + ww*unit(e.DwellShare) + ws*unit(e.Stability)
	return min(100, max(0, 100*s/sum))
}

// weight maps a weight to [0, ∞): negative and NaN weights count as 0.
func weight(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return x
}

// unit clamps x to [0,1]; NaN counts as 0.
func unit(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

// Candidate is a courier ranked for one grid: the evidence, its [Score] and
// its 1-based rank.
type Candidate struct {
	Evidence
	Score float64
	Rank  int
}

// Rank sorts by score desc, ties by Rider asc (deterministic), filters out couriers with TimeShare == 0, and returns at most limit (≤0 = all).
//
// TimeShare is taken after clamping, so negative and NaN shares are filtered
// out too. Ranks are 1-based and consecutive. ev is not modified.
func Rank(ev []Evidence, w Weights, limit int) []Candidate {
	out := make([]Candidate, 0, len(ev))
	for _, e := range ev {
		if unit(e.TimeShare) == 0 {
			continue
		}
		out = append(out, Candidate{Evidence: e, Score: Score(e, w)})
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Rider, b.Rider)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit:limit]
	}
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}
