package ingest

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync/atomic"
)

// Source is an opened input file. Reading it yields the file's content,
// gunzipped when the file starts with the gzip magic bytes (whatever its
// name). It counts the raw bytes consumed, for progress, and hashes them as
// they stream so that the file's SHA-256 is known once the content is read.
//
// Reading fails with an error matching ErrLimit once the content passes
// Limits.MaxFileBytes, or, for gzip, once it passes 16 MiB and
// Limits.MaxRatio times the compressed bytes read (a gzip bomb); and with
// the context's error once the context given to OpenContext is done, so an
// import stops within one read of a signal.
type Source struct {
	Name string // the path given to Open

	f    *os.File
	size int64
	raw  *rawReader    // file → hash and count
	buf  *bufio.Reader // over raw
	r    io.Reader     // buf, or a gzip reader over buf
	gz   *gzip.Reader
	sum  atomic.Pointer[string]

	ctx      context.Context
	out      int64 // content bytes read
	maxBytes int64
	maxRatio float64
}

// ratioFloor is the content size below which the compression ratio is not
// checked: small, very repetitive files may compress far better than
// MaxRatio and harm nobody.
const ratioFloor = 16 << 20

// rawReader hashes and counts the bytes read from the file.
type rawReader struct {
	f *os.File
	h hash.Hash
	n atomic.Int64
}

func (r *rawReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if n > 0 {
		r.h.Write(p[:n])
		r.n.Add(int64(n))
	}
	return n, err
}

// Open opens the file at path with the default limits. Gzip is detected by
// its magic bytes (1f 8b).
func Open(path string) (*Source, error) {
	return OpenContext(context.Background(), path, Limits{})
}

// OpenContext opens the file at path; reads fail once ctx is done or the
// content passes lim (zero fields mean the defaults).
func OpenContext(ctx context.Context, path string, lim Limits) (*Source, error) {
	lim = lim.OrDefault()
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s is a directory", path)
	}
	s := &Source{Name: path, f: f, size: st.Size(), ctx: ctx, maxBytes: lim.MaxFileBytes, maxRatio: lim.MaxRatio}
	s.raw = &rawReader{f: f, h: sha256.New()}
	s.buf = bufio.NewReaderSize(s.raw, 256<<10)
	s.r = s.buf
	magic, err := s.buf.Peek(2)
	if err != nil && err != io.EOF {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		s.gz, err = gzip.NewReader(s.buf)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		s.r = s.gz
	}
	return s, nil
}

// Read reads the (decompressed) content.
func (s *Source) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	if s.out > s.maxBytes {
		if s.gz == nil {
			return 0, newLimitError("ingest %s: the file is larger than %s (HEXCOVER_INGEST_MAX_BYTES)", s.Name, size(s.maxBytes))
		}
		return 0, newLimitError("ingest %s: the file decompresses to more than %s (HEXCOVER_INGEST_MAX_BYTES)", s.Name, size(s.maxBytes))
	}
	if room := s.maxBytes - s.out + 1; int64(len(p)) > room {
		p = p[:room] // one byte past the limit tells it from a file of exactly the limit
	}
	n, err := s.r.Read(p)
	s.out += int64(n)
	if s.gz != nil && s.out > ratioFloor {
		if in := s.raw.n.Load() - int64(s.buf.Buffered()); float64(s.out) > s.maxRatio*float64(in) {
			return 0, newLimitError("ingest %s: %s of gzip data decompress to more than %s, a ratio over %g (HEXCOVER_INGEST_MAX_RATIO): a gzip bomb, or raise the limit",
				s.Name, size(in), size(s.out), s.maxRatio)
		}
	}
	if err == io.EOF && s.sum.Load() == nil {
		// Hash whatever the decompressor left unread so the sum covers the
		// whole file.
		if _, derr := io.Copy(io.Discard, s.buf); derr != nil {
			return n, fmt.Errorf("read %s: %w", s.Name, derr)
		}
		sum := hex.EncodeToString(s.raw.h.Sum(nil))
		s.sum.Store(&sum)
	}
	return n, err
}

// BytesRead is the number of raw (compressed) bytes consumed so far. It is
// safe to call from another goroutine.
func (s *Source) BytesRead() int64 { return s.raw.n.Load() }

// Size is the size of the file on disk.
func (s *Source) Size() int64 { return s.size }

// SHA256 is the lowercase hex SHA-256 of the raw file bytes. It is valid once
// Read has returned io.EOF; before that it is "".
func (s *Source) SHA256() string {
	if p := s.sum.Load(); p != nil {
		return *p
	}
	return ""
}

// Close closes the file.
func (s *Source) Close() error {
	if s.gz != nil {
		s.gz.Close()
	}
	return s.f.Close()
}

// ContextReader reads r until ctx is done, then fails with the context's
// error, so that reading a large file stops within one read of a signal.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
