package siting

// Evaluate is the demand covered by existing presence and exactly the
// candidates chosen (Required is not added implicitly). It panics if an index
// is out of range.
func Evaluate(p Problem, chosen []int) float64 {
	covered := make([]bool, len(p.Demand))
	copy(covered, p.Covered)
	for _, j := range chosen {
		for _, i := range p.Candidates[j].Cells {
			covered[i] = true
		}
	}
	s := 0.0
	for i, c := range covered {
		if c {
			s += p.Demand[i]
		}
	}
	return s
}
