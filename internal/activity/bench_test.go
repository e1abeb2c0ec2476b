package activity

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uber/h3-go/v4"

	"github.com/hexcover/hexcover/internal/model"
)

// The benchmark stream: 300 riders over 12 hours (~300k pings).
// It is built lazily so that plain test runs do not pay for it.
var benchData = sync.OnceValue(func() []model.Ping { return genStream(1, 300, 12) })

// BenchmarkAggregate: one Aggregator, cells precomputed (aggregation only).
func BenchmarkAggregate(b *testing.B) {
	benchStream := benchData()
	s := DefaultSettings()
	cells := make([]int64, len(benchStream))
	for i, p := range benchStream {
		cells[i] = cellAt(b, [2]float64{p.Lng, p.Lat})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a := NewAggregator(s)
		for i, p := range benchStream {
			if err := a.Add(p, cells[i]); err != nil {
				b.Fatal(err)
			}
		}
		a.Finish()
	}
	b.ReportMetric(float64(b.N)*float64(len(benchStream))/b.Elapsed().Seconds(), "pings/s")
}

// BenchmarkAggregateParallel: AggregateParallel with 2 workers, H3 included.
func BenchmarkAggregateParallel(b *testing.B) {
	benchStream := benchData()
	s := DefaultSettings()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AggregateParallel(context.Background(), s, 2, batches(benchStream, 4096)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(benchStream))/b.Elapsed().Seconds(), "pings/s")
}

// BenchmarkH3Raw: one raw h3.LatLngToCell per op, for the ratio.
func BenchmarkH3Raw(b *testing.B) {
	benchStream := benchData()
	i := 0
	for b.Loop() {
		p := &benchStream[i%len(benchStream)]
		if _, err := h3.LatLngToCell(h3.NewLatLng(p.Lat, p.Lng), 10); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkAdd: the hot path alone (Add, no Finish), cells precomputed.
func BenchmarkAdd(b *testing.B) {
	benchStream := benchData()
	cells := make([]int64, len(benchStream))
	for i, p := range benchStream {
		cells[i] = cellAt(b, [2]float64{p.Lng, p.Lat})
	}
	b.ResetTimer()
	for b.Loop() {
		a := NewAggregator(DefaultSettings())
		for i, p := range benchStream {
			if err := a.Add(p, cells[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(benchStream))/b.Elapsed().Seconds(), "pings/s")
}

// BenchmarkRiderState: the live heap the aggregation holds per rider once the
// stream is read (before Finish), which is where an import's memory peaks:
// the open state, presence list, range cells and reservoir of every rider.
// The pings are quantized as imports store them (1e-7°, 1 ms).
func BenchmarkRiderState(b *testing.B) {
	benchStream := slices.Clone(benchData())
	for i := range benchStream {
		p := &benchStream[i]
		p.Time = time.UnixMilli(p.Time.UnixMilli())
		p.Lat = float64(int32(math.Round(p.Lat*1e7))) / 1e7
		p.Lng = float64(int32(math.Round(p.Lng*1e7))) / 1e7
	}
	cells := make([]int64, len(benchStream))
	for i, p := range benchStream {
		cells[i] = cellAt(b, [2]float64{p.Lng, p.Lat})
	}
	var perRider float64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		a := NewAggregator(DefaultSettings())
		for i, p := range benchStream {
			if err := a.Add(p, cells[i]); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		perRider = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(len(a.riders))
		runtime.KeepAlive(a)
	}
	b.ReportMetric(perRider, "live-B/rider")
}
