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
		n += len(c.Stat.RiderOrds)
	}
	return n
}
