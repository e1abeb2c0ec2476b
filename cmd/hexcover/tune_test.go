package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

// TestTuneImport: the importing commands run twice as many Ps as cores,
// one aggregation worker per core, however often they run in one process.
func TestTuneImport(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOMAXPROCS or GOMEMLIMIT given: tuneImport leaves them")
	}
	procs, limit := runtime.GOMAXPROCS(0), debug.SetMemoryLimit(-1)
	defer func() { runtime.GOMAXPROCS(procs); debug.SetMemoryLimit(limit) }()
	cores := startProcs()
	for i := range 3 {
		if w := tuneImport(); w != cores {
			t.Errorf("call %d: %d workers, want %d (one per core)", i+1, w, cores)
		}
		if got := runtime.GOMAXPROCS(0); got != 2*cores {
			t.Errorf("call %d: GOMAXPROCS %d, want %d", i+1, got, 2*cores)
		}
	}
	if got := debug.SetMemoryLimit(-1); got != importMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, importMemoryLimit)
	}
}
