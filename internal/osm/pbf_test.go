package osm

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"math"
	"testing"

	"github.com/paulmach/osm"
	"google.golang.org/protobuf/encoding/protowire"
)

// writePBF encodes o as an OSM PBF file (the format of .osm.pbf extracts):
// one header block and one data block of dense nodes, ways and relations,
// zlib-compressed as osmium writes them. paulmach/osm reads PBF but has no
// encoder, so the tests carry this small one (the format is in
// https://wiki.openstreetmap.org/wiki/PBF_Format).
func writePBF(t testing.TB, o *osm.OSM) []byte {
	t.Helper()
	var out bytes.Buffer
	var hb []byte
	hb = protowire.AppendTag(hb, 4, protowire.BytesType)
	hb = protowire.AppendString(hb, "OsmSchema-V0.6")
	hb = protowire.AppendTag(hb, 4, protowire.BytesType)
	hb = protowire.AppendString(hb, "DenseNodes")
	writeBlock(t, &out, "OSMHeader", hb)

	strs := []string{""}
	idx := map[string]uint64{"": 0}
	sid := func(s string) uint64 {
		if i, ok := idx[s]; ok {
			return i
		}
		idx[s] = uint64(len(strs))
		strs = append(strs, s)
		return idx[s]
	}
	var groups []byte
	// dense nodes
	{
		var ids, lats, lons, kv []byte
		var pid, plat, plon int64
		for _, n := range o.Nodes {
			lat := int64(math.Round(n.Lat * 1e7)) // granularity 100 nanodegrees
			lon := int64(math.Round(n.Lon * 1e7))
			ids = protowire.AppendVarint(ids, protowire.EncodeZigZag(int64(n.ID)-pid))
			lats = protowire.AppendVarint(lats, protowire.EncodeZigZag(lat-plat))
			lons = protowire.AppendVarint(lons, protowire.EncodeZigZag(lon-plon))
			pid, plat, plon = int64(n.ID), lat, lon
			for _, tg := range n.Tags {
				kv = protowire.AppendVarint(kv, sid(tg.Key))
				kv = protowire.AppendVarint(kv, sid(tg.Value))
			}
			kv = protowire.AppendVarint(kv, 0)
		}
		var dense []byte
		dense = protowire.AppendTag(dense, 1, protowire.BytesType)
		dense = protowire.AppendBytes(dense, ids)
		dense = protowire.AppendTag(dense, 8, protowire.BytesType)
		dense = protowire.AppendBytes(dense, lats)
		dense = protowire.AppendTag(dense, 9, protowire.BytesType)
		dense = protowire.AppendBytes(dense, lons)
		dense = protowire.AppendTag(dense, 10, protowire.BytesType)
		dense = protowire.AppendBytes(dense, kv)
		var g []byte
		g = protowire.AppendTag(g, 2, protowire.BytesType)
		g = protowire.AppendBytes(g, dense)
		groups = protowire.AppendTag(groups, 2, protowire.BytesType)
		groups = protowire.AppendBytes(groups, g)
	}
	tags := func(msg []byte, ts osm.Tags) []byte {
		var ks, vs []byte
		for _, tg := range ts {
			ks = protowire.AppendVarint(ks, sid(tg.Key))
			vs = protowire.AppendVarint(vs, sid(tg.Value))
		}
		msg = protowire.AppendTag(msg, 2, protowire.BytesType)
		msg = protowire.AppendBytes(msg, ks)
		msg = protowire.AppendTag(msg, 3, protowire.BytesType)
		return protowire.AppendBytes(msg, vs)
	}
	if len(o.Ways) > 0 {
		var g []byte
		for _, w := range o.Ways {
			var m, refs []byte
			m = protowire.AppendTag(m, 1, protowire.VarintType)
			m = protowire.AppendVarint(m, uint64(w.ID))
			m = tags(m, w.Tags)
			var prev int64
			for _, wn := range w.Nodes {
				refs = protowire.AppendVarint(refs, protowire.EncodeZigZag(int64(wn.ID)-prev))
				prev = int64(wn.ID)
			}
			m = protowire.AppendTag(m, 8, protowire.BytesType)
			m = protowire.AppendBytes(m, refs)
			g = protowire.AppendTag(g, 3, protowire.BytesType)
			g = protowire.AppendBytes(g, m)
		}
		groups = protowire.AppendTag(groups, 2, protowire.BytesType)
		groups = protowire.AppendBytes(groups, g)
	}
	if len(o.Relations) > 0 {
		var g []byte
		for _, r := range o.Relations {
			var m, roles, ids, types []byte
			m = protowire.AppendTag(m, 1, protowire.VarintType)
			m = protowire.AppendVarint(m, uint64(r.ID))
			m = tags(m, r.Tags)
			var prev int64
			for _, mb := range r.Members {
				roles = protowire.AppendVarint(roles, sid(mb.Role))
				ids = protowire.AppendVarint(ids, protowire.EncodeZigZag(mb.Ref-prev))
				prev = mb.Ref
				tp := uint64(0)
				switch mb.Type {
				case osm.TypeWay:
					tp = 1
				case osm.TypeRelation:
					tp = 2
				}
				types = protowire.AppendVarint(types, tp)
			}
			m = protowire.AppendTag(m, 8, protowire.BytesType)
			m = protowire.AppendBytes(m, roles)
			m = protowire.AppendTag(m, 9, protowire.BytesType)
			m = protowire.AppendBytes(m, ids)
			m = protowire.AppendTag(m, 10, protowire.BytesType)
			m = protowire.AppendBytes(m, types)
			g = protowire.AppendTag(g, 4, protowire.BytesType)
			g = protowire.AppendBytes(g, m)
		}
		groups = protowire.AppendTag(groups, 2, protowire.BytesType)
		groups = protowire.AppendBytes(groups, g)
	}
	var st []byte
	for _, s := range strs {
		st = protowire.AppendTag(st, 1, protowire.BytesType)
		st = protowire.AppendString(st, s)
	}
	var pb []byte
	pb = protowire.AppendTag(pb, 1, protowire.BytesType)
	pb = protowire.AppendBytes(pb, st)
	pb = append(pb, groups...)
	writeBlock(t, &out, "OSMData", pb)
	return out.Bytes()
}

func writeBlock(t testing.TB, out *bytes.Buffer, typ string, data []byte) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var blob []byte
	blob = protowire.AppendTag(blob, 2, protowire.VarintType)
	blob = protowire.AppendVarint(blob, uint64(len(data)))
	blob = protowire.AppendTag(blob, 3, protowire.BytesType)
	blob = protowire.AppendBytes(blob, z.Bytes())
	var hdr []byte
	hdr = protowire.AppendTag(hdr, 1, protowire.BytesType)
	hdr = protowire.AppendString(hdr, typ)
	hdr = protowire.AppendTag(hdr, 3, protowire.VarintType)
	hdr = protowire.AppendVarint(hdr, uint64(len(blob)))
	_ = binary.Write(out, binary.BigEndian, uint32(len(hdr)))
	out.Write(hdr)
	out.Write(blob)
}
