package activity

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"testing"
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
}
