package gridassign

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestScore(t *testing.T) {
	half := Evidence{Rider: "a", TimeShare: 0.5, DaysActive: 15, DaysTotal: 30, DwellShare: 0.25, Stability: 0.8}
	tests := []struct {
		name string
		e    Evidence
		w    Weights
		want float64
	}{
		// 100·(0.4·0.5 + 0.3·0.5 + 0.2·0.25 + 0.1·0.8) = 100·(0.2+0.15+0.05+0.08)
		{"default weights", half, DefaultWeights(), 48},
		{"all ones", Evidence{TimeShare: 1, DaysActive: 7, DaysTotal: 7, DwellShare: 1, Stability: 1}, DefaultWeights(), 100},
		{"all zero", Evidence{DaysTotal: 7}, DefaultWeights(), 0},
		{"stability unknown", Evidence{TimeShare: 1, DaysActive: 7, DaysTotal: 7, DwellShare: 1}, DefaultWeights(), 90},
		{"inputs clamped above", Evidence{TimeShare: 1.5, DaysActive: 40, DaysTotal: 30, DwellShare: 2, Stability: 9}, DefaultWeights(), 100},
		{"inputs clamped below", Evidence{TimeShare: -0.5, DaysActive: -3, DaysTotal: 30, DwellShare: -1, Stability: -1}, DefaultWeights(), 0},
		{"NaN inputs count as 0", Evidence{TimeShare: math.NaN(), DaysActive: 30, DaysTotal: 30, DwellShare: math.NaN(), Stability: math.NaN()}, DefaultWeights(), 30},
		{"no days in period", Evidence{TimeShare: 1, DaysActive: 5, DaysTotal: 0}, DefaultWeights(), 40},
		{"time only", half, Weights{Time: 1}, 50},
		{"weights are normalised", Evidence{TimeShare: 0.5, DaysActive: 10, DaysTotal: 20, DwellShare: 1}, Weights{Time: 2, Days: 2}, 50},
		{"negative weight counts as 0", half, Weights{Time: 1, Dwell: -5}, 50},
		{"all weights zero", half, Weights{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Score(tt.e, tt.w); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Score(%+v, %+v) = %v, want %v", tt.e, tt.w, got, tt.want)
			}
		})
	}
}

func TestRank(t *testing.T) {
	ev := []Evidence{
		{Rider: "d", TimeShare: 0.2, DaysActive: 10, DaysTotal: 10},       // 100·(0.08+0.3) = 38
		{Rider: "b", TimeShare: 0.5, DaysActive: 5, DaysTotal: 10},        // 100·(0.2+0.15) = 35
		{Rider: "a", TimeShare: 0.5, DaysActive: 5, DaysTotal: 10},        // 35, ties with b: a first
		{Rider: "z", TimeShare: 0, DaysActive: 10, DaysTotal: 10},         // never inside the grid: dropped
		{Rider: "n", TimeShare: math.NaN(), DaysActive: 9, DaysTotal: 10}, // unknown share: dropped
		{Rider: "c", TimeShare: 0.1, DaysActive: 1, DaysTotal: 10},        // 100·(0.04+0.03) = 7
	}
	type row struct {
		rider string
		score float64
		rank  int
	}
	all := []row{{"d", 38, 1}, {"a", 35, 2}, {"b", 35, 3}, {"c", 7, 4}}
	tests := []struct {
		name  string
		limit int
		want  []row
	}{
		{"all", 0, all},
		{"negative limit is all", -1, all},
		{"limit", 2, all[:2]},
		{"limit above count", 10, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(ev)
			got := Rank(in, DefaultWeights(), tt.limit)
			if fmt.Sprint(in) != fmt.Sprint(ev) { // NaN ≠ NaN, so compare the printed form
				t.Errorf("Rank modified its input")
			}
			var rows []row
			for _, c := range got {
				rows = append(rows, row{c.Rider, math.Round(c.Score*1e9) / 1e9, c.Rank})
			}
			if !slices.Equal(rows, tt.want) {
				t.Errorf("Rank(limit %d) = %v, want %v", tt.limit, rows, tt.want)
			}
		})
	}
	if got := Rank(nil, DefaultWeights(), 3); len(got) != 0 {
		t.Errorf("Rank(nil) = %v, want empty", got)
	}
	if got := Rank(ev, DefaultWeights(), 1); len(got) != 1 || got[0].Evidence != ev[0] {
		t.Errorf("Rank kept evidence %+v, want %+v", got[0].Evidence, ev[0])
	}
}
