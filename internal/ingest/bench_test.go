package ingest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/model"
)

// pingsCSV generates n rows of a realistic pings CSV: 5,000 riders around
// Shanghai, one ping every few seconds, RFC 3339 times in +08:00.
func pingsCSV(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("rider_id,ts,lat,lng,platform,status\n")
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	statuses := []string{"idle", "delivering", "offline"}
	for i := 0; i < n; i++ {
		t := t0.Add(time.Duration(i) * 300 * time.Millisecond)
		fmt.Fprintf(&b, "u%07d,%s,%.6f,%.6f,meituan,%s\n",
			rng.IntN(5000), t.Format("2006-01-02T15:04:05-07:00"),
			31.1+rng.Float64()*0.3, 121.3+rng.Float64()*0.4, statuses[rng.IntN(3)])
	}
	return b.Bytes()
}

func BenchmarkReadPingsCSV(b *testing.B) {
	const rows = 200_000
	data := pingsCSV(rows)
	pz := testPZ(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		err := ReadPings(bytes.NewReader(data), "bench.csv", CSV, pz, PingOptions{},
			func(model.Ping) error { n++; return nil },
			func(r Reject) error { return fmt.Errorf("unexpected reject %+v", r) })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(0, "ns/op")
}
