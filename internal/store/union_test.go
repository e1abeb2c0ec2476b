package store

import (
	"slices"
	"testing"
)

func TestUnionSorted(t *testing.T) {
	for _, c := range []struct{ a, b, want []int64 }{
		{nil, nil, []int64{}},
		{[]int64{1, 5, 9}, nil, []int64{1, 5, 9}},
		{nil, []int64{-3, 2}, []int64{-3, 2}},
		{[]int64{1, 5, 9}, []int64{2, 5, 10}, []int64{1, 2, 5, 9, 10}},
		{[]int64{-9, 0, 7}, []int64{-9, 0, 7}, []int64{-9, 0, 7}},
		{[]int64{3, 1, 3}, []int64{2}, []int64{1, 2, 3}}, // not as stored: tidied first
	} {
		a := slices.Clone(c.a)
		if got := unionSorted(c.a, c.b); !slices.Equal(got, c.want) {
			t.Errorf("unionSorted(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
		if !slices.Equal(a, c.a) {
			t.Errorf("unionSorted changed its input %v to %v", a, c.a)
		}
	}
}
