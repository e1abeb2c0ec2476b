package ingest

import (
	"bufio"
	"compress/gzip"
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
type Source struct {
	Name string // the path given to Open

	f    *os.File
	size int64
	raw  *rawReader    // file → hash and count
	buf  *bufio.Reader // over raw
	r    io.Reader     // buf, or a gzip reader over buf
	gz   *gzip.Reader
	sum  atomic.Pointer[string]
}

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

// Open opens the file at path. Gzip is detected by its magic bytes (1f 8b).
func Open(path string) (*Source, error) {
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
	s := &Source{Name: path, f: f, size: st.Size()}
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
	n, err := s.r.Read(p)
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
