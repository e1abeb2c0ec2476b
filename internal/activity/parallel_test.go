package activity

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/model"
)

func TestAggregateParallelEqualsSingle(t *testing.T) {
	stream := genStream(42, 60, 10)
	s := DefaultSettings()
	want := run(t, s, stream...)
	if want.Riders != 60 || want.Pings != int64(len(stream)) {
		t.Fatalf("single: riders %d pings %d, want 60 and %d", want.Riders, want.Pings, len(stream))
	}
	dwell := total(want, 10, func(st *Stat) float64 { return st.DwellSeconds })
	if dwell == 0 {
		t.Fatal("generated stream has no dwell; the test would prove little")
	}
	for _, workers := range []int{1, 2, 3} {
		got, err := AggregateParallel(context.Background(), s, workers, batches(stream, 97))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("workers=%d: result differs from a single Aggregator (stats %d vs %d, rider keys %d vs %d)",
				workers, len(got.Stats), len(want.Stats), riderKeys(got), riderKeys(want))
		}
	}
	t.Logf("%d pings, %d stats, %d rider keys, %.0f rider-hours, %.0f dwell hours",
		len(stream), len(want.Stats), riderKeys(want), total(want, 10, secs)/3600, dwell/3600)
}

func TestMerge(t *testing.T) {
	stream := genStream(7, 20, 6)
	s := DefaultSettings()
	want := run(t, s, stream...)
	// Split riders into two disjoint sets.
	var a, b []model.Ping
	for _, p := range stream {
		if k, _ := p.Rider.Key(); k%2 == 0 {
			a = append(a, p)
		} else {
			b = append(b, p)
		}
	}
	got := Merge(run(t, s, a...), run(t, s, b...))
	if got.Pings != want.Pings || got.Riders != want.Riders || len(got.Stats) != len(want.Stats) {
		t.Fatalf("pings %d riders %d stats %d, want %d %d %d",
			got.Pings, got.Riders, len(got.Stats), want.Pings, want.Riders, len(want.Stats))
	}
	for k, w := range want.Stats {
		g := got.Stats[k]
		if g == nil || g.Pings != w.Pings || g.Riders != w.Riders ||
			!near(g.RiderSeconds, w.RiderSeconds, 1e-6) || !near(g.DwellSeconds, w.DwellSeconds, 1e-6) {
			t.Fatalf("%+v: got %+v, want %+v", k, g, w)
		}
	}
	if len(got.Cells) != len(want.Cells) || !reflect.DeepEqual(got.Ranges, want.Ranges) {
		t.Error("cells or ranges differ")
	}
	for i := range min(len(got.Cells), len(want.Cells)) {
		g, w := got.Cells[i], want.Cells[i]
		if g.Key != w.Key || !reflect.DeepEqual(g.Stat.RiderKeys, w.Stat.RiderKeys) {
			t.Fatalf("cell %d: %+v riders %v, want %+v riders %v", i, g.Key, g.Stat.RiderKeys, w.Key, w.Stat.RiderKeys)
		}
	}
	// Merging a result with itself keeps distinct riders right.
	twice := Merge(want, want)
	for k, w := range want.Stats {
		if g := twice.Stats[k]; g.Riders != w.Riders || g.Pings != 2*w.Pings {
			t.Fatalf("%+v merged with itself: riders %d pings %d, want %d and %d", k, g.Riders, g.Pings, w.Riders, 2*w.Pings)
		}
	}
}

func TestAggregateParallelErrors(t *testing.T) {
	pt := at(0, 0)
	t0 := local(0, 9, 0, 0)
	in := make(chan []model.Ping, 2)
	in <- []model.Ping{ping(1, t0, pt), ping(2, t0, pt), ping(1, t0.Add(-time.Second), pt)}
	close(in)
	if _, err := AggregateParallel(context.Background(), DefaultSettings(), 2, in); !errors.Is(err, ErrOutOfOrder) {
		t.Errorf("err = %v, want ErrOutOfOrder", err)
	}

	in = make(chan []model.Ping, 1)
	in <- []model.Ping{{Rider: riderID(1), Time: t0, Lat: 91, Lng: 0}}
	close(in)
	if _, err := AggregateParallel(context.Background(), DefaultSettings(), 2, in); err == nil {
		t.Error("bad coordinates accepted")
	}

	// Cancelled while waiting for input: returns promptly with the context error.
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan []model.Ping)
	done := make(chan error, 1)
	go func() {
		_, err := AggregateParallel(ctx, DefaultSettings(), 2, block)
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AggregateParallel did not return after cancel")
	}
}

// riderKeys counts the (key, rider) presence pairs of r.
func riderKeys(r *Result) int {
	n := 0
	for _, c := range r.Cells {
		n += len(c.Stat.RiderKeys)
	}
	return n
}
