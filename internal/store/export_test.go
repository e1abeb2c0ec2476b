package store

// SetTrackBudget sets how many pings an import buffers before it writes
// them, for tests that need several batches from few pings; it returns the
// previous budget.
func SetTrackBudget(n int) int {
	old := trackBudget
	trackBudget = n
	return old
}
