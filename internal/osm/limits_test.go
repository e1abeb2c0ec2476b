package osm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/osm"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/ingest"
)

// pbfWith writes a PBF of a valid header and one data block of the given
// string table and primitive groups (raw protobuf), zlib-compressed.
func pbfWith(t testing.TB, strs []string, groups ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	var hb []byte
	hb = protowire.AppendTag(hb, 4, protowire.BytesType)
	hb = protowire.AppendString(hb, "OsmSchema-V0.6")
	writeBlock(t, &out, "OSMHeader", hb)
	var st []byte
	for _, s := range strs {
		st = protowire.AppendTag(st, 1, protowire.BytesType)
		st = protowire.AppendString(st, s)
	}
	var pb []byte
	pb = protowire.AppendTag(pb, 1, protowire.BytesType)
	pb = protowire.AppendBytes(pb, st)
	for _, g := range groups {
		pb = protowire.AppendTag(pb, 2, protowire.BytesType)
		pb = protowire.AppendBytes(pb, g)
	}
	writeBlock(t, &out, "OSMData", pb)
	return out.Bytes()
}

// msg builds a protobuf message from (field, value) pairs: []byte values
// are length-delimited, uint64 varints, []uint64 packed varints.
func msg(kv ...any) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		num := protowire.Number(kv[i].(int))
		switch v := kv[i+1].(type) {
		case []byte:
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendBytes(b, v)
		case uint64:
			b = protowire.AppendTag(b, num, protowire.VarintType)
			b = protowire.AppendVarint(b, v)
		case []uint64:
			var p []byte
			for _, x := range v {
				p = protowire.AppendVarint(p, x)
			}
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendBytes(b, p)
		}
	}
	return b
}

func zz(v int64) uint64 { return protowire.EncodeZigZag(v) }

// denseGroup is a primitive group of dense nodes at 31.2, 121.4 with the
// given keys_vals.
func denseGroup(ids []int64, keysVals []uint64) []byte {
	var dids, lats, lons []uint64
	var prev int64
	for _, id := range ids {
		dids = append(dids, zz(id-prev))
		prev = id
		lats, lons = append(lats, zz(312000000)), append(lons, zz(1214000000))
	}
	d := msg(1, dids, 8, lats, 9, lons)
	if keysVals != nil {
		d = append(d, msg(10, keysVals)...)
	}
	return msg(2, d)
}

// Malformed and unsupported PBFs fail with a clear error naming the file,
// never a panic in paulmach/osm's decoder goroutines (which would end the
// process): without checkPBF, plain nodes and every string index out of
// range here panic there; the other cases fail with less clear errors.
func TestReadRejectsPBFTheDecoderCannotRead(t *testing.T) {
	dir := t.TempDir()
	plainNode := msg(1, msg(1, uint64(zz(1)), 8, uint64(zz(312000000)), 9, uint64(zz(1214000000))))
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"plain.osm.pbf", "plain (not dense) nodes", pbfWith(t, []string{""}, plainNode)},
		{"densetag.osm.pbf", "a dense node's tag refers to string 7 of a table of 2", pbfWith(t, []string{"", "name"}, denseGroup([]int64{1}, []uint64{1, 7, 0}))},
		{"negtag.osm.pbf", "refers to string -1", pbfWith(t, []string{"", "name"}, denseGroup([]int64{1}, []uint64{uint64(1<<64 - 1), 1, 0}))},
		{"waytag.osm.pbf", "a way's tag value refers to string 9", pbfWith(t, []string{"", "highway"},
			denseGroup([]int64{1, 2}, nil), msg(3, msg(1, uint64(10), 2, []uint64{1}, 3, []uint64{9}, 8, []uint64{zz(1), zz(1)})))},
		{"waytags.osm.pbf", "1 tag keys and 0 values", pbfWith(t, []string{"", "highway"},
			denseGroup([]int64{1, 2}, nil), msg(3, msg(1, uint64(10), 2, []uint64{1}, 8, []uint64{zz(1), zz(1)})))},
		{"members.osm.pbf", "2 member roles, 1 ids and 2 types", pbfWith(t, []string{"", "outer"},
			denseGroup([]int64{1}, nil), msg(4, msg(1, uint64(20), 8, []uint64{1, 1}, 9, []uint64{zz(5)}, 10, []uint64{1, 1})))},
		{"role.osm.pbf", "a relation member's role refers to string 4", pbfWith(t, []string{"", "outer"},
			denseGroup([]int64{1}, nil), msg(4, msg(1, uint64(20), 8, []uint64{4}, 9, []uint64{zz(5)}, 10, []uint64{1})))},
		{"waycoords.osm.pbf", "2 node ids but 1 latitudes", pbfWith(t, []string{""},
			denseGroup([]int64{1, 2}, nil), msg(3, msg(1, uint64(10), 8, []uint64{zz(1), zz(1)}, 9, []uint64{zz(5)}, 10, []uint64{zz(5), zz(6)})))},
		{"history.osm.pbf", `requires feature "HistoricalInformation"`, func() []byte {
			var out bytes.Buffer
			writeBlock(t, &out, "OSMHeader", msg(4, []byte("OsmSchema-V0.6"), 4, []byte("HistoricalInformation")))
			return out.Bytes()
		}()},
		{"rawsize.osm.pbf", "raw_size -5", func() []byte {
			b := pbfWith(t, []string{""}, denseGroup([]int64{1}, nil))
			return rewriteRawSize(t, b, -5)
		}()},
		{"lzma.osm.pbf", "LZMA-compressed data is not supported", func() []byte {
			var out bytes.Buffer
			writeBlock(t, &out, "OSMHeader", msg(4, []byte("OsmSchema-V0.6")))
			blob := msg(2, uint64(10), 4, []byte("0123456789"))
			hdr := msg(1, []byte("OSMData"), 3, uint64(len(blob)))
			out.Write([]byte{0, 0, 0, byte(len(hdr))})
			out.Write(hdr)
			out.Write(blob)
			return out.Bytes()
		}()},
		{"truncated.osm.pbf", "truncated blob", func() []byte {
			b := writePBF(t, fixtureCity())
			return b[:len(b)-10]
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name)
			if err := os.WriteFile(p, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var rec recorder
			_, err := Read(context.Background(), p, &rec, nil)
			if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want one naming %s and saying %q", err, c.name, c.want)
			}
			if len(rec.features)+len(rec.edges)+len(rec.sites) > 0 {
				t.Errorf("%d features reached the sink before the error", len(rec.features))
			}
			t.Log(err)
		})
	}
}

// rewriteRawSize sets the raw_size of the data block of a pbfWith file.
func rewriteRawSize(t *testing.T, b []byte, size int64) []byte {
	t.Helper()
	// Header block: 4 + header + blob; then the data block.
	n := func(off int) int { return int(b[off])<<24 | int(b[off+1])<<16 | int(b[off+2])<<8 | int(b[off+3]) }
	off := 0
	for i := 0; i < 2; i++ {
		hl := n(off)
		hdr := b[off+4 : off+4+hl]
		var ds int
		_ = fields(hdr, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
			if num == 3 {
				ds = int(x)
			}
			return nil
		})
		if i == 1 {
			blob := b[off+4+hl : off+4+hl+ds]
			var nb []byte
			_ = fields(blob, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
				switch num {
				case 2:
					nb = append(nb, msg(2, uint64(size))...)
				case 3:
					nb = append(nb, msg(3, v)...)
				}
				return nil
			})
			var out bytes.Buffer
			out.Write(b[:off])
			nh := msg(1, []byte("OSMData"), 3, uint64(len(nb)))
			out.Write([]byte{0, 0, 0, byte(len(nh))})
			out.Write(nh)
			out.Write(nb)
			return out.Bytes()
		}
		off += 4 + hl + ds
	}
	return nil
}

// The importer's size limits hold for OSM files too: decompressed bytes and
// ratio (gzip XML and zlib PBF blobs), and the bytes of one XML element.
func TestReadLimits(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	xmlPath := writeFixture(t, dir, "city.osm", fixtureCity())
	pbfPath := writeFixture(t, dir, "city.osm.pbf", fixtureCity())
	gzPath := writeFixture(t, dir, "city.osm.gz", fixtureCity())
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// A node whose tag is a 4 KiB element of its own.
	big := fixtureCity()
	big.Nodes[0].Tags = osm.Tags{{Key: "note", Value: strings.Repeat("x", 3000)}}
	bigPath := writeFixture(t, dir, "big.osm", big)
	// A zlib bomb: 20 MiB of zeros in one PBF block (20 KiB compressed).
	bomb := pbfWith(t, []string{"", strings.Repeat("\x00", 20<<20)}, denseGroup([]int64{1}, nil))

	bombPath := filepath.Join(dir, "bomb.osm.pbf")
	if err := os.WriteFile(bombPath, bomb, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		lim        Limits
		want       string
	}{
		{"xml bytes", xmlPath, Limits{MaxFileBytes: size(xmlPath) - 100}, "HEXCOVER_INGEST_MAX_BYTES"},
		{"gzip bytes", gzPath, Limits{MaxFileBytes: size(xmlPath) / 2}, "HEXCOVER_INGEST_MAX_BYTES"},
		{"pbf bytes", pbfPath, Limits{MaxFileBytes: 1024}, "HEXCOVER_INGEST_MAX_BYTES"},
		{"pbf ratio", bombPath, Limits{}, "HEXCOVER_INGEST_MAX_RATIO"},
		{"element", bigPath, Limits{MaxFeatureBytes: 2048}, "HEXCOVER_INGEST_MAX_FEATURE"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rec recorder
			_, err := ReadLimited(ctx, c.path, c.lim, &rec, nil)
			if !errors.Is(err, ingest.ErrLimit) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.path)) {
				t.Fatalf("error %v; want an ingest.ErrLimit naming %s and the file", err, c.want)
			}
			t.Log(err)
		})
	}
	// Within the limits the same files read.
	for _, p := range []string{xmlPath, pbfPath, gzPath, bigPath} {
		if _, err := ReadLimited(ctx, p, Limits{}, &recorder{}, nil); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// Tags over the limits, not UTF-8 or with a NUL: the object keeps its
// position and loses its tags, counted; over the reject rate the file fails.
func TestReadRejectsTags(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	o := fixtureCity()
	var fuel *osm.Node
	for _, n := range o.Nodes {
		if n.ID == 50 {
			fuel = n
		}
	}
	fuel.Tags = append(fuel.Tags, osm.Tag{Key: "description", Value: strings.Repeat("长", 2000)}) // 6000 bytes
	p := writeFixture(t, dir, "longtag.osm", o)
	var rec recorder
	st, err := ReadLimited(ctx, p, Limits{MaxRejectRate: 0.5}, &rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rejected != 1 || len(st.RejectSamples) != 1 || !strings.Contains(st.RejectSamples[0], "node 50: tag description is 6000 bytes") {
		t.Fatalf("rejected %d %q; want node 50 for its 6000-byte description", st.Rejected, st.RejectSamples)
	}
	for _, s := range rec.sites {
		if s.OSMID == 50 {
			t.Error("the rejected fuel station still became a site")
		}
	}
	if rec.find("way", 100, LayerRoad) == nil {
		t.Error("a road lost its geometry")
	}
	// Too many tags (MaxColumns), in a PBF with a NUL and bad UTF-8 too.
	o = fixtureCity()
	for _, n := range o.Nodes {
		switch n.ID {
		case 50:
			n.Tags = append(n.Tags, osm.Tag{Key: "a", Value: "1"}, osm.Tag{Key: "b", Value: "2"}, osm.Tag{Key: "c", Value: "3"})
		case 51:
			n.Tags = append(n.Tags, osm.Tag{Key: "note", Value: "a\x00b"})
		case 52:
			n.Tags = append(n.Tags, osm.Tag{Key: "name:xx", Value: "\xff\xfe"})
		}
	}
	p = writeFixture(t, dir, "tags.osm.pbf", o)
	st, err = ReadLimited(ctx, p, Limits{MaxColumns: 4, MaxRejectRate: 0.5}, &recorder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(st.RejectSamples, "; ")
	for _, want := range []string{"node 50: 7 tags, more than 4", "node 51: tag note holds a NUL", "node 52: tag name:xx is not valid UTF-8"} {
		if !strings.Contains(got, want) {
			t.Errorf("reject samples %q lack %q", got, want)
		}
	}
	// Over the reject rate (3 of 117 objects, over 1%): the file fails.
	_, err = ReadLimited(ctx, p, Limits{MaxColumns: 4, MaxRejectRate: 0.01}, &recorder{}, nil)
	if err == nil || !strings.Contains(err.Error(), "HEXCOVER_INGEST_MAX_REJECT_RATE") || !strings.Contains(err.Error(), "tags.osm.pbf") {
		t.Fatalf("over the reject rate: %v", err)
	}
}

// A PBF the decoder cannot read, imported: a clear error, nothing written,
// the failed batch recorded.
func TestImportRejectsPlainNodePBF(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	dir := t.TempDir()
	im := &Importer{Store: st}
	p := filepath.Join(dir, "plain.osm.pbf")
	plain := msg(1, msg(1, uint64(zz(1)), 8, uint64(zz(312000000)), 9, uint64(zz(1214000000))))
	if err := os.WriteFile(p, pbfWith(t, []string{""}, denseGroup([]int64{1, 2}, nil), plain), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := im.Import(ctx, p, false, nil)
	if err == nil || !strings.Contains(err.Error(), "plain (not dense) nodes") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("error %v; want plain nodes refused and nothing imported", err)
	}
	if n := count(t, st, `SELECT count(*) FROM osm_features`) + count(t, st, `SELECT count(*) FROM osm_edges`) + count(t, st, `SELECT count(*) FROM sites`); n != 0 {
		t.Errorf("%d rows written", n)
	}
	if n := count(t, st, `SELECT count(*) FROM ingest_batches WHERE kind = 'osm' AND status = 'failed'`); n != 1 {
		t.Errorf("%d failed osm batches; want 1", n)
	}
}

// FuzzReadPBF: any bytes given as a .osm.pbf either read or fail with an
// error naming the file; never a panic, in this goroutine or the decoder's
// (a panic there ends the fuzzing process, so the fuzzer reports it).
func FuzzReadPBF(f *testing.F) {
	f.Add(writePBF(f, fixtureCity()))
	f.Add(pbfWith(f, []string{"", "name", "x"}, denseGroup([]int64{1, 2}, []uint64{1, 2, 0, 0})))
	f.Add(pbfWith(f, []string{"", "outer"}, denseGroup([]int64{1}, nil), msg(4, msg(1, uint64(20), 8, []uint64{1}, 9, []uint64{zz(5)}, 10, []uint64{1}))))
	f.Add(pbfWith(f, []string{"", "highway", "primary"}, denseGroup([]int64{1, 2}, nil), msg(3, msg(1, uint64(10), 2, []uint64{1}, 3, []uint64{2}, 8, []uint64{zz(1), zz(1)}))))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		p := filepath.Join(dir, "fuzz.osm.pbf")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(context.Background(), p, &recorder{}, nil); err != nil && !strings.Contains(err.Error(), "fuzz.osm.pbf") {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}
