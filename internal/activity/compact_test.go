package activity

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"
	"time"
)

// rangesDigest hashes every field of every Range bit for bit.
func rangesDigest(rs []Range) string {
	h := sha256.New()
	var b [8]byte
	put := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); h.Write(b[:]) }
	f := func(v float64) { put(math.Float64bits(v)) }
	for _, g := range rs {
		h.Write([]byte(g.Rider))
		put(uint64(g.RiderKey))
		put(uint64(g.From.UnixNano()))
		put(uint64(g.To.UnixNano()))
		put(uint64(g.Days))
		put(uint64(g.Pings))
		f(g.ActiveSeconds)
		f(g.DwellSeconds)
		f(g.Centroid[0])
		f(g.Centroid[1])
		f(g.GyrationM)
		f(g.P90M)
		for _, ring := range g.Hull {
			put(uint64(len(ring)))
			for _, p := range ring {
				f(p[0])
				f(p[1])
			}
		}
		put(uint64(len(g.Cells)))
		for _, c := range g.Cells {
			put(uint64(c.Cell))
			f(c.Share)
			f(c.Seconds)
			f(c.DwellSeconds)
			put(uint64(c.Days))
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestRangesUnchangedByCompactState: the per-rider state was made compact
// (reservoir in chunks, range cells in a slice with an int32 index instead of
// a map of pointers); the ranges must stay bit-identical to those of the
// earlier form, whose digests are recorded here (computed with it on amd64;
// other architectures may fuse multiply-adds differently). Reservoir sizes
// 100 (a short last chunk, most riders overflow it) and 1000 (the default;
// riders overflow it too) and 3.
func TestRangesUnchangedByCompactState(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("digests recorded on amd64")
	}
	stream := genStream(11, 60, 16)
	want := map[int]string{
		3:    "6cde903caf2d07a5e5f04779834775412b2dac1f25dea7b8b2e959edec70e328",
		100:  "e5cd2f4eba94bf773e5ca9909ae28f18266d76bb30dd97416c26407d56638ee5",
		1000: "d9cbfbc572d68e3d4ae071d8d2a2b23b1ce027b77c30b4e022604bf7be6d50ce",
	}
	for size, w := range want {
		s := DefaultSettings()
		s.ReservoirSize = size
		got := rangesDigest(run(t, s, stream...).Ranges)
		if got != w {
			t.Errorf("reservoir %d: ranges digest %s, want %s", size, got, w)
		}
	}
	// The same stream quantized as an import stores it (store.Quantize:
	// 1e-7° and 1 ms), the form the compact reservoir points take; one
	// rider's pings unquantized, and one with a gap of hours (the reservoir
	// falls back to full points for those).
	q := slices.Clone(stream)
	for i := range q {
		p := &q[i]
		if p.Rider == stream[0].Rider {
			continue
		}
		p.Time = time.UnixMilli(p.Time.UnixMilli())
		p.Lat = float64(int32(math.Round(p.Lat*1e7))) / 1e7
		p.Lng = float64(int32(math.Round(p.Lng*1e7))) / 1e7
	}
	wantQ := map[int]string{
		3:     "766994988f9cdfac56d5325ddcf37264bc9ee33232f0bff39f09d73f2de19325",
		100:   "eda9ff24df22c7fea0da284b5dbf379df470ff7ead96a5589b901b6a78414b82",
		1000:  "f97cac33dd5989eca2e8ceb0bc88d26fa0ae3bcb3d181c192cca9af43999275c",
		-3:    "8e229cd4722db8a4ad4de6971fc831024063ff0618ca054a8865273a1bd9dfe4",
		-100:  "ca9b16e61850f28c629286496ab8599238faa259e672d929646b7aa10bab75d3",
		-1000: "609c95f5b671875ba0dd673a4970358eed3d8ccf18b24754ef25fc7d612f995b",
	}
	for size, w := range wantQ {
		if size < 0 {
			continue
		}
		s := DefaultSettings()
		s.ReservoirSize = size
		s.DefaultPingSeconds = 5000 // more than the compact form's 2^22 ms
		got := rangesDigest(run(t, s, q...).Ranges)
		if got != w {
			t.Errorf("quantized, reservoir %d: ranges digest %s, want %s", size, got, w)
		}
		s.DefaultPingSeconds = 30
		got = rangesDigest(run(t, s, q...).Ranges)
		if w := wantQ[-size]; got != w {
			t.Errorf("quantized, default ping 30 s, reservoir %d: ranges digest %s, want %s", size, got, w)
		}
	}
}
