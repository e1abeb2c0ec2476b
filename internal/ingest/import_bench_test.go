package ingest_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/ingest"
)

// BenchmarkImportPings: end to end, a 500k-row pings CSV (500 riders moving
// around central Shanghai, each rider's pings in time order) into a fresh
// database: read, H3, aggregation, COPY, aggregates committed. Each iteration
// gets its own empty database (created with the timer stopped).
func BenchmarkImportPings(b *testing.B) {
	ps := synthPings(11, 500, 1000)
	path := filepath.Join(b.TempDir(), "pings.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("rider_id,ts,lat,lng,platform\n")
	var buf []byte
	for _, p := range ps {
		buf = append(buf[:0], p.rider...)
		buf = append(buf, ',')
		buf = p.ts.AppendFormat(buf, time.RFC3339)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.lat, 'f', 6, 64)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, p.lng, 'f', 6, 64)
		buf = append(buf, ",meituan\n"...)
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		st := dbtest.New(b)
		pz, err := ingest.NewPseudonymizer([]byte(secret))
		if err != nil {
			b.Fatal(err)
		}
		l := &ingest.Loader{Store: st, Pseudo: pz, Activity: activity.DefaultSettings()}
		b.StartTimer()
		sum, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
		if err != nil {
			b.Fatal(err)
		}
		if sum.RowsOK != int64(len(ps)) {
			b.Fatalf("rows ok %d, want %d", sum.RowsOK, len(ps))
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(ps))/b.Elapsed().Seconds(), "pings/s")
}
