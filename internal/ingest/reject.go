package ingest

import (
	"encoding/csv"
	"io"
	"strconv"
	"unicode/utf8"
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
type RejectWriter struct {
	w      *csv.Writer
	header bool
	rec    [4]string
}

// NewRejectWriter returns a writer of rejects to w. The header is written
// with the first reject, or by Flush if there was none.
func NewRejectWriter(w io.Writer) *RejectWriter {
	return &RejectWriter{w: csv.NewWriter(w)}
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
	r.rec = [4]string{j.File, strconv.Itoa(j.Line), j.Reason, truncRaw(j.Raw)}
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
