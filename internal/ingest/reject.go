package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hexcover/hexcover/internal/csvsafe"
)

// maxRaw bounds the raw text kept with a reject.
const maxRaw = 1000

// Reject is a row that was not accepted, with where it was and why.
type Reject struct {
	File   string
	Line   int    // 1-based physical line for CSV and NDJSON (the header is line 1); feature index+1 for GeoJSON
	Reason string // what is wrong, naming the column and value
	Raw    string // the row's text, at most 1,000 bytes
}

// truncRaw cuts s to at most maxRaw bytes without splitting a UTF-8 sequence.
func truncRaw(s string) string {
	if len(s) <= maxRaw {
		return s
	}
	i := maxRaw
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// RejectWriter writes rejects as CSV with the header file,line,reason,raw.
// Text cells are made safe to open in a spreadsheet (csvsafe: a raw row
// such as =HYPERLINK(...) is written as '=HYPERLINK(...)) and invalid UTF-8
// in them is replaced by U+FFFD, so the file is valid UTF-8 whatever the
// input held.
type RejectWriter struct {
	w      *csvsafe.Writer
	header bool
	rec    [4]string
}

// NewRejectWriter returns a writer of rejects to w. The header is written
// with the first reject, or by Flush if there was none.
func NewRejectWriter(w io.Writer) *RejectWriter {
	return &RejectWriter{w: csvsafe.NewWriter(w)}
}

func (r *RejectWriter) writeHeader() error {
	if r.header {
		return nil
	}
	r.header = true
	return r.w.Write([]string{"file", "line", "reason", "raw"})
}

// Write writes one reject.
func (r *RejectWriter) Write(j Reject) error {
	if err := r.writeHeader(); err != nil {
		return err
	}
	r.rec = [4]string{validText(j.File), strconv.Itoa(j.Line), validText(j.Reason), validText(truncRaw(j.Raw))}
	return r.w.Write(r.rec[:])
}

// Flush writes buffered rejects (and the header, if nothing was written yet)
// to the underlying writer.
func (r *RejectWriter) Flush() error {
	if err := r.writeHeader(); err != nil {
		return err
	}
	r.w.Flush()
	return r.w.Error()
}

// validText is s with each invalid UTF-8 sequence replaced by U+FFFD.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func rejectsPath(path, dir string) string {
	base := filepath.Base(path) + ".rejects.csv"
	if dir == "" {
		return filepath.Join(filepath.Dir(path), base)
	}
	return filepath.Join(dir, base)
}

// rejectFile counts every reject and writes the first samples of them; the
// file is created, readable by its owner only (it may hold raw rider ids),
// at the first reject.
type rejectFile struct {
	path    string
	samples int64
	mu      sync.Mutex
	f       *os.File
	w       *RejectWriter
	n       int64 // rejects counted
	written int64 // rejects written
}

func newRejectFile(path string, samples int) (*rejectFile, error) {
	return &rejectFile{path: path, samples: int64(samples)}, nil
}

func (r *rejectFile) write(j Reject) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	if r.written >= r.samples {
		return nil
	}
	if r.f == nil {
		f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err == nil {
			err = f.Chmod(0o600) // a file left by an earlier run keeps its mode otherwise
		}
		if err != nil {
			return fmt.Errorf("rejects file: %w", err)
		}
		r.f, r.w = f, NewRejectWriter(f)
	}
	r.written++
	return r.w.Write(j)
}

// checkRate fails a file of which more than max of the rows (accepted ok
// plus rejected) were rejected.
func (r *rejectFile) checkRate(ok int64, max float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	total := ok + r.n
	if total == 0 || float64(r.n) <= max*float64(total) {
		return nil
	}
	return fmt.Errorf("%d of %d rows (%.1f%%) were rejected, more than HEXCOVER_INGEST_MAX_REJECT_RATE=%g allows; "+
		"the first %d are in %s: fix the file, or raise HEXCOVER_INGEST_MAX_REJECT_RATE (1 accepts any share)",
		r.n, total, 100*float64(r.n)/float64(total), max, min(r.n, r.samples), r.path)
}

func (r *rejectFile) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.w.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	return err
}

func (r *rejectFile) discardIfEmpty() { _ = r.close() }
