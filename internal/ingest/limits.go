package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hexcover/hexcover/internal/config"
)

// Limits bound what the readers hold and accept of one file; see
// config.IngestLimits for each field and its setting. A zero field means its
// default.
//
// Every reader holds at most one record (a CSV record, an NDJSON line, a
// GeoJSON feature) in memory, and a record over its limit fails the file as
// soon as the limit is passed, without reading the rest of it: a 3 GiB line
// costs 64 KiB. Fields and properties over their limits, invalid UTF-8 and
// NUL characters in text reject their row, with its line.
type Limits = config.IngestLimits

// ErrLimit is matched (errors.Is) by every error that stops a file because
// it passed one of the Limits.
var ErrLimit = errors.New("over an importer limit")

// limitError is a file-level error naming the limit and its setting.
type limitError struct{ msg string }

func (e *limitError) Error() string        { return e.msg }
func (e *limitError) Is(target error) bool { return target == ErrLimit }

func newLimitError(format string, a ...any) error {
	return &limitError{msg: fmt.Sprintf(format, a...)}
}

// size prints a byte count the way the settings are written.
func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkText says why the text of a field or property may not be stored: it
// is longer than max bytes (setting names the limit), is not valid UTF-8,
// or holds a NUL character (PostgreSQL text cannot). "" when it is fine.
func checkText(name, s string, max int, setting string) string {
	if len(s) > max {
		return fmt.Sprintf("%s is %d bytes, longer than %d (%s)", name, len(s), max, setting)
	}
	if !utf8.ValidString(s) {
		return name + " is not valid UTF-8"
	}
	if strings.IndexByte(s, 0) >= 0 {
		return name + " holds a NUL character"
	}
	return ""
}

const (
	settingID     = "HEXCOVER_INGEST_MAX_ID"
	settingField  = "HEXCOVER_INGEST_MAX_FIELD"
	settingRecord = "HEXCOVER_INGEST_MAX_RECORD"
)

// csvLimiter passes CSV text through while following its records (quoted
// fields may span lines) the way encoding/csv reads them, and fails with a
// limitError as soon as one record passes max bytes. encoding/csv would
// otherwise buffer a record of any length whole.
type csvLimiter struct {
	r    io.Reader
	file string
	max  int
	err  error

	n          int  // bytes of the current record so far
	line       int  // physical line being read (1-based)
	startLine  int  // line where the current record began
	fieldStart bool // the next byte begins a field
	inQuote    bool // inside a quoted field
	quote      bool // inside a quoted field, just after a '"'
	skip       bool // after a CSV syntax error: the rest of the line is discarded
}

func newCSVLimiter(r io.Reader, file string, max int) *csvLimiter {
	return &csvLimiter{r: r, file: file, max: max, line: 1, startLine: 1, fieldStart: true}
}

func (l *csvLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	if k := l.scan(p[:n]); k < n {
		l.err = newLimitError("ingest %s line %d: a record is longer than %s (%s): not a CSV file of this kind, or raise the limit",
			l.file, l.startLine, size(int64(l.max)), settingRecord)
		return k, l.err
	}
	return n, err
}

// scan follows b and returns len(b), or the offset at which the current
// record passed the limit.
func (l *csvLimiter) scan(b []byte) int {
	i := 0
	for i < len(b) {
		if !l.inQuote && !l.skip {
			// Fast path: a stretch without quotes up to the next newline.
			seg := b[i:]
			nl := bytes.IndexByte(seg, '\n')
			if nl >= 0 {
				seg = seg[:nl+1]
			}
			if bytes.IndexByte(seg, '"') < 0 {
				if l.n+len(seg) > l.max+boolInt(nl >= 0) {
					return i + l.max - l.n
				}
				i += len(seg)
				if nl >= 0 {
					l.endRecord()
				} else {
					l.n += len(seg)
					l.fieldStart = seg[len(seg)-1] == ','
				}
				continue
			}
		}
		c := b[i]
		i++
		l.n++
		if l.n > l.max && c != '\n' {
			return i - 1
		}
		switch {
		case l.quote:
			l.quote = false
			if c == '"' { // an escaped quote
				continue
			}
			l.inQuote = false
			switch c {
			case ',':
				l.fieldStart = true
			case '\n':
				l.endRecord()
			case '\r':
			default: // text after a closing quote: a syntax error
				l.skip = true
			}
		case l.inQuote:
			switch c {
			case '"':
				l.quote = true
			case '\n':
				l.line++
			}
		case c == '\n':
			l.endRecord()
		case l.skip:
		case c == '"':
			if l.fieldStart {
				l.inQuote = true
			} else {
				l.skip = true // a bare quote: a syntax error
			}
			l.fieldStart = false
		case c == ',':
			l.fieldStart = true
		default:
			l.fieldStart = false
		}
	}
	return len(b)
}

func (l *csvLimiter) endRecord() {
	l.n, l.skip, l.fieldStart = 0, false, true
	l.line++
	l.startLine = l.line
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonLimiter stops a json.Decoder from reading one value past a limit:
// before each value the reader sets limit to the decoder's offset plus the
// largest value it accepts. The decoder asks for more input only when the
// value it is reading does not yet fit in what it holds, so a Read at the
// limit means the value is too large.
type jsonLimiter struct {
	r     io.Reader
	total int64 // bytes handed to the decoder
	limit int64
}

// errValueTooLarge is returned by jsonLimiter at its limit.
var errValueTooLarge = errors.New("value too large")

func (l *jsonLimiter) Read(p []byte) (int, error) {
	room := l.limit - l.total
	if room <= 0 {
		return 0, errValueTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.total += int64(n)
	return n, err
}
