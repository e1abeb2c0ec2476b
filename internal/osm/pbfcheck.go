package osm

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// checkPBF reads a whole PBF file once, before paulmach/osm's decoder sees
// it, and fails with a clear error on anything that decoder would panic on
// in its own goroutines (where no recover can reach, so the process would
// crash): plain (not dense) nodes, string-table indices out of range, a
// relation's member arrays of different lengths, coordinates on ways that
// do not match their node ids, a negative or oversized raw_size (which it
// allocates before decompressing). It also fails on what the format does
// not allow (a blob header over 64 KiB, a blob over 32 MiB, data in another
// compression than zlib, features the reader does not support) and on the
// importer's limits: more than maxBytes decompressed in all, or more than
// maxRatio times the compressed bytes once past 16 MiB (a zlib bomb).
//
// The format is https://wiki.openstreetmap.org/wiki/PBF_Format.
func checkPBF(r io.Reader, maxBytes int64, maxRatio float64) error {
	var c pbfChecker
	c.maxBytes, c.maxRatio = maxBytes, maxRatio
	return c.check(r)
}

const (
	pbfMaxHeader = 64 << 10
	pbfMaxBlob   = 32 << 20
	pbfRatioFrom = 16 << 20 // decompressed bytes past which the ratio is checked
)

type pbfChecker struct {
	maxBytes      int64
	maxRatio      float64
	block         int   // 1-based block being checked
	in, out       int64 // compressed and decompressed bytes so far
	strings       int   // entries of the current block's string table
	sawHeader     bool
	buf, blobData []byte
}

// errPBF marks a PBF the importer will not read; the message says why.
var errPBF = errors.New("malformed or unsupported OSM PBF")

func (c *pbfChecker) fail(format string, a ...any) error {
	return fmt.Errorf("%w: block %d: %s", errPBF, c.block, fmt.Sprintf(format, a...))
}

func (c *pbfChecker) check(r io.Reader) error {
	var size [4]byte
	for {
		c.block++
		if _, err := io.ReadFull(r, size[:]); err == io.EOF {
			if !c.sawHeader {
				return c.fail("no OSMHeader block")
			}
			return nil
		} else if err != nil {
			return c.fail("truncated block size: %v", err)
		}
		n := binary.BigEndian.Uint32(size[:])
		if n >= pbfMaxHeader {
			return c.fail("blob header of %d bytes (at most 64 KiB)", n)
		}
		hdr := make([]byte, n)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return c.fail("truncated blob header: %v", err)
		}
		typ, datasize, err := c.blobHeader(hdr)
		if err != nil {
			return err
		}
		if datasize < 0 || datasize >= pbfMaxBlob {
			return c.fail("blob of %d bytes (at most 32 MiB)", datasize)
		}
		if cap(c.buf) < int(datasize) {
			c.buf = make([]byte, datasize)
		}
		blob := c.buf[:datasize]
		if _, err := io.ReadFull(r, blob); err != nil {
			return c.fail("truncated blob: %v", err)
		}
		data, err := c.blob(blob)
		if err != nil {
			return err
		}
		switch {
		case typ == "OSMHeader" && c.block == 1:
			c.sawHeader = true
			err = c.header(data)
		case typ == "OSMData" && c.sawHeader:
			err = c.primitiveBlock(data)
		default:
			err = c.fail("unexpected block type %q", typ)
		}
		if err != nil {
			return err
		}
	}
}

// fields calls fn for each field of a protobuf message; fn gets the raw
// value bytes (for length-delimited fields) or the varint.
func fields(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// varints calls fn for each varint of a packed repeated field.
func varints(b []byte, fn func(uint64) error) error {
	for len(b) > 0 {
		x, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(x); err != nil {
			return err
		}
	}
	return nil
}

func countVarints(b []byte) (int, error) {
	n := 0
	err := varints(b, func(uint64) error { n++; return nil })
	return n, err
}

func (c *pbfChecker) blobHeader(b []byte) (typ string, datasize int64, err error) {
	datasize = -1
	err = fields(b, func(num protowire.Number, t protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && t == protowire.BytesType:
			typ = string(v)
		case num == 3 && t == protowire.VarintType:
			datasize = int64(int32(x))
		}
		return nil
	})
	if err != nil {
		return "", 0, c.fail("bad blob header: %v", err)
	}
	return typ, datasize, nil
}

// blob returns the blob's data, decompressed, within the limits.
func (c *pbfChecker) blob(b []byte) ([]byte, error) {
	var raw, zdata []byte
	rawSize := int64(-1)
	var other []string
	err := fields(b, func(num protowire.Number, t protowire.Type, v []byte, x uint64) error {
		switch num {
		case 1:
			raw = v
		case 2:
			rawSize = int64(int32(x))
		case 3:
			zdata = v
		case 4:
			other = append(other, "LZMA")
		case 5:
			other = append(other, "bzip2")
		case 6:
			other = append(other, "LZ4")
		case 7:
			other = append(other, "ZSTD")
		}
		return nil
	})
	if err != nil {
		return nil, c.fail("bad blob: %v", err)
	}
	if len(other) > 0 {
		return nil, c.fail("%s-compressed data is not supported (zlib or none: osmium cat --output-format pbf,pbf_compression=zlib converts)", other[0])
	}
	c.in += int64(len(b))
	var data []byte
	switch {
	case raw != nil && zdata == nil:
		data = raw
	case zdata != nil && raw == nil:
		if rawSize <= 0 || rawSize > pbfMaxBlob {
			return nil, c.fail("raw_size %d of zlib data (1 byte to 32 MiB)", rawSize)
		}
		zr, err := zlib.NewReader(bytes.NewReader(zdata))
		if err != nil {
			return nil, c.fail("zlib: %v", err)
		}
		if cap(c.blobData) < int(rawSize)+1 {
			c.blobData = make([]byte, rawSize+1)
		}
		n, err := io.ReadFull(zr, c.blobData[:rawSize+1])
		if err != io.ErrUnexpectedEOF || int64(n) != rawSize {
			if err == nil || err == io.ErrUnexpectedEOF || err == io.EOF {
				return nil, c.fail("zlib data decompresses to %d bytes or more, raw_size says %d", n, rawSize)
			}
			return nil, c.fail("zlib: %v", err)
		}
		data = c.blobData[:n]
	default:
		return nil, c.fail("a blob with neither or both of raw and zlib data")
	}
	c.out += int64(len(data))
	if c.out > c.maxBytes {
		return nil, fmt.Errorf("the file decompresses to more than %d bytes (HEXCOVER_INGEST_MAX_BYTES)", c.maxBytes)
	}
	if c.out > pbfRatioFrom && float64(c.out) > c.maxRatio*float64(c.in) {
		return nil, fmt.Errorf("%d bytes of PBF blobs decompress to %d, a ratio over %g (HEXCOVER_INGEST_MAX_RATIO): a zlib bomb, or raise the limit",
			c.in, c.out, c.maxRatio)
	}
	return data, nil
}

// supportedFeatures are the OSMHeader required_features the reader handles.
var supportedFeatures = map[string]bool{"OsmSchema-V0.6": true, "DenseNodes": true}

func (c *pbfChecker) header(b []byte) error {
	return fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		if num == 4 && t == protowire.BytesType && !supportedFeatures[string(v)] {
			return c.fail("the file requires feature %q, which the reader does not support (OsmSchema-V0.6 and DenseNodes only: use a plain extract, not a history or change file)", v)
		}
		return nil
	})
}

func (c *pbfChecker) primitiveBlock(b []byte) error {
	c.strings = 0
	err := fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		if num == 1 && t == protowire.BytesType {
			return fields(v, func(num protowire.Number, _ protowire.Type, _ []byte, _ uint64) error {
				if num == 1 {
					c.strings++
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return c.fail("bad primitive block: %v", err)
	}
	err = fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		if num == 2 && t == protowire.BytesType {
			return c.group(v)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPBF) {
		return c.fail("bad primitive group: %v", err)
	}
	return err
}

// index checks a string-table index.
func (c *pbfChecker) index(what string, i int64) error {
	if i < 0 || i >= int64(c.strings) {
		return c.fail("%s refers to string %d of a table of %d", what, i, c.strings)
	}
	return nil
}

func (c *pbfChecker) group(b []byte) error {
	return fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		if t != protowire.BytesType {
			return nil
		}
		switch num {
		case 1:
			return c.fail("plain (not dense) nodes, which the PBF reader does not support: convert the file with osmium cat (it writes dense nodes)")
		case 2:
			return c.dense(v)
		case 3:
			return c.way(v)
		case 4:
			return c.relation(v)
		}
		return nil
	})
}

func (c *pbfChecker) dense(b []byte) error {
	return fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 10 && t == protowire.BytesType: // keys_vals: (k v)* 0, per node
			return varints(v, func(x uint64) error { return c.index("a dense node's tag", int64(int32(x))) })
		case num == 5 && t == protowire.BytesType: // dense info: user_sid, delta-coded
			return fields(v, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
				if num != 5 || t != protowire.BytesType {
					return nil
				}
				var sid int64
				return varints(v, func(x uint64) error {
					sid += int64(int32(protowire.DecodeZigZag(x & 0xffffffff)))
					return c.index("a dense node's user", sid)
				})
			})
		}
		return nil
	})
}

// info checks the user_sid of a way's or relation's Info.
func (c *pbfChecker) info(what string, b []byte) error {
	return fields(b, func(num protowire.Number, t protowire.Type, _ []byte, x uint64) error {
		if num == 5 && t == protowire.VarintType {
			return c.index(what+"'s user", int64(uint32(x)))
		}
		return nil
	})
}

// tags checks packed keys and values: string indices, as many of each.
func (c *pbfChecker) tags(what string, keys, vals []byte) error {
	nk, nv := 0, 0
	if err := varints(keys, func(x uint64) error { nk++; return c.index(what+"'s tag key", int64(uint32(x))) }); err != nil {
		return err
	}
	if err := varints(vals, func(x uint64) error { nv++; return c.index(what+"'s tag value", int64(uint32(x))) }); err != nil {
		return err
	}
	if nk != nv {
		return c.fail("%s has %d tag keys and %d values", what, nk, nv)
	}
	return nil
}

func (c *pbfChecker) way(b []byte) error {
	var keys, vals, refs, lats, lons []byte
	var hasLats, hasLons bool
	err := fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		if t != protowire.BytesType {
			return nil
		}
		switch num {
		case 2:
			keys = v
		case 3:
			vals = v
		case 4:
			return c.info("a way", v)
		case 8:
			refs = v
		case 9:
			lats, hasLats = v, true
		case 10:
			lons, hasLons = v, true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.tags("a way", keys, vals); err != nil {
		return err
	}
	if hasLats || hasLons {
		nr, err1 := countVarints(refs)
		nla, err2 := countVarints(lats)
		nlo, err3 := countVarints(lons)
		if err := errors.Join(err1, err2, err3); err != nil {
			return err
		}
		if nla != nr || nlo != nr {
			return c.fail("a way has %d node ids but %d latitudes and %d longitudes", nr, nla, nlo)
		}
	}
	return nil
}

func (c *pbfChecker) relation(b []byte) error {
	var keys, vals, roles, memids, types []byte
	err := fields(b, func(num protowire.Number, t protowire.Type, v []byte, _ uint64) error {
		if t != protowire.BytesType {
			return nil
		}
		switch num {
		case 2:
			keys = v
		case 3:
			vals = v
		case 4:
			return c.info("a relation", v)
		case 8:
			roles = v
		case 9:
			memids = v
		case 10:
			types = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := c.tags("a relation", keys, vals); err != nil {
		return err
	}
	nr := 0
	if err := varints(roles, func(x uint64) error { nr++; return c.index("a relation member's role", int64(int32(x))) }); err != nil {
		return err
	}
	nm, err1 := countVarints(memids)
	nt, err2 := countVarints(types)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	if nm != nr || nt != nr {
		return c.fail("a relation has %d member roles, %d ids and %d types", nr, nm, nt)
	}
	return nil
}
