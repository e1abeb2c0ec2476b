package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/hexcover/hexcover/internal/model"
)

// columnNames maps every accepted header name (lowercase) to its column.
type columnNames map[string]string

var pingColumnNames = columnNames{
	"rider_id": "rider_id",
	"ts":       "ts", "time": "ts", "timestamp": "ts",
	"lat": "lat", "latitude": "lat",
	"lng": "lng", "lon": "lng", "longitude": "lng",
	"platform": "platform",
	"status":   "status",
}

// header maps canonical column names to their index in a CSV header.
type header struct {
	idx map[string]int
	n   int // number of fields in the header
}

// parseHeader reads a header row: names are trimmed and compared
// case-insensitively; unknown names are ignored; a column given twice (also
// under two aliases) is an error, as is a missing required column.
func parseHeader(rec []string, names columnNames, required []string) (header, error) {
	h := header{idx: make(map[string]int), n: len(rec)}
	for i, name := range rec {
		key := strings.ToLower(strings.TrimSpace(name))
		col, ok := names[key]
		if !ok {
			continue
		}
		if j, dup := h.idx[col]; dup {
			return header{}, fmt.Errorf("header has column %s twice (%q and %q)", col, rec[j], name)
		}
		h.idx[col] = i
	}
	var missing []string
	for _, col := range required {
		if _, ok := h.idx[col]; !ok {
			missing = append(missing, col)
		}
	}
	if len(missing) > 0 {
		return header{}, fmt.Errorf("header %q lacks required column(s) %s", strings.Join(rec, ","), strings.Join(missing, ", "))
	}
	return h, nil
}

// col returns the index of a column, or -1.
func (h header) col(name string) int {
	if i, ok := h.idx[name]; ok {
		return i
	}
	return -1
}

// field returns rec[i], or "" for a column the header lacks.
func field(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return rec[i]
}

// newCSVReader skips a UTF-8 byte order mark and returns a reader that
// reuses its record slice and accepts rows of any number of fields. A
// record longer than lim.MaxRecordBytes fails the read with a limitError.
func newCSVReader(src io.Reader, file string, lim Limits) (*csv.Reader, error) {
	r, _, err := newCSVReaderBuf(src, file, lim, 64<<10)
	return r, err
}

// newCSVReaderBuf is newCSVReader that also returns the buffered reader the
// csv.Reader reads from (csv.NewReader uses it as it is), of size bytes.
func newCSVReaderBuf(src io.Reader, file string, lim Limits, size int) (*csv.Reader, *bufio.Reader, error) {
	src = newCSVLimiter(src, file, lim.MaxRecordBytes)
	br := bufio.NewReaderSize(src, size)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	} else if err != nil && err != io.EOF {
		return nil, nil, err
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.LazyQuotes = false
	return r, br, nil
}

// csvRows reads the records of a CSV file as encoding/csv does (the same
// fields, line numbers and errors), faster: a line that is complete in the
// buffer and holds no quote is split at its commas where it lies, its
// fields are strings that view the buffer (valid until the next call; the
// caller copies what it keeps), and everything else (quotes, empty lines,
// a line not complete in the buffer, the end of the file, read errors) is
// read by the csv.Reader, which reads from the same buffer and
// never ahead of the record it returns. encoding/csv allocated a string per
// record and copied every field twice: 5.8 s of the 10,000-rider day's 41 s
// of CPU.
type csvRows struct {
	r   *csv.Reader
	br  *bufio.Reader
	rec []string
	// Lines numbered as encoding/csv would: csvLine is the csv.Reader's own
	// count (the lines it read), own the lines read here.
	csvLine, own int
}

// afterHeader records where the csv.Reader stands after reading the header
// record rec.
func (c *csvRows) afterHeader(rec []string) {
	if len(rec) > 0 {
		c.csvLine = csvEndLine(c.r, rec)
	}
}

// csvEndLine is the csv.Reader's line count after it returned rec without
// an error: the line its last field starts on plus the line ends inside it
// (only a quoted field holds any, one per line read).
func csvEndLine(r *csv.Reader, rec []string) int {
	line, _ := r.FieldPos(len(rec) - 1)
	return line + strings.Count(rec[len(rec)-1], "\n")
}

// next returns the next record and the line it starts on, a *csv.ParseError
// for a malformed one (with the file's line numbers), or io.EOF.
func (c *csvRows) next() ([]string, int, error) {
	// Only what is buffered (Peek does not read then, and leaves a read
	// error for the csv.Reader): a line not complete in it goes to csv,
	// which reads on, about once per buffer.
	buf, _ := c.br.Peek(c.br.Buffered())
	if nl := bytes.IndexByte(buf, '\n'); nl >= 0 {
		line := buf[:nl]
		if n := len(line); n > 0 && line[n-1] == '\r' { // csv drops the \r of \r\n
			line = line[:n-1]
		}
		if len(line) > 0 && bytes.IndexByte(line, '"') < 0 {
			c.rec = c.rec[:0]
			for {
				i := bytes.IndexByte(line, ',')
				if i < 0 {
					c.rec = append(c.rec, bytesView(line))
					break
				}
				c.rec = append(c.rec, bytesView(line[:i]))
				line = line[i+1:]
			}
			c.br.Discard(nl + 1)
			c.own++
			return c.rec, c.csvLine + c.own, nil
		}
	}
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, err
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, 0, err
		}
		// The line of the error is read to its end.
		c.csvLine = pe.Line
		e := *pe
		e.StartLine += c.own
		e.Line += c.own
		return nil, 0, &e
	}
	line, _ := c.r.FieldPos(0)
	c.csvLine = csvEndLine(c.r, rec)
	return rec, line + c.own, nil
}

// bytesView returns b as a string without copying: valid only while b is.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// readHeader reads the first record of r: at most lim.MaxColumns names of
// at most lim.MaxFieldBytes each.
func readHeader(r *csv.Reader, file string, lim Limits) ([]string, error) {
	rec, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("ingest %s: empty file, a header is required", file)
	}
	if errors.Is(err, ErrLimit) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("ingest %s line 1: header: %w", file, err)
	}
	if len(rec) > lim.MaxColumns {
		return nil, newLimitError("ingest %s line 1: the header has %d columns, more than %d (HEXCOVER_INGEST_MAX_COLUMNS)", file, len(rec), lim.MaxColumns)
	}
	for i, name := range rec {
		if len(name) > lim.MaxFieldBytes {
			return nil, newLimitError("ingest %s line 1: the name of column %d is longer than %d bytes (%s)", file, i+1, lim.MaxFieldBytes, settingField)
		}
	}
	return append([]string(nil), rec...), nil
}

// readErr turns an error of csv.Reader.Read that is not about one row into
// the file's error.
func readErr(file string, err error) error {
	if errors.Is(err, ErrLimit) {
		return err
	}
	return fmt.Errorf("ingest %s: %w", file, err)
}

// checkRow says why a row of a file with header hdr is rejected before its
// fields are read: a field count other than the header's (which is at most
// lim.MaxColumns), or a field longer than lim.MaxFieldBytes.
func checkRow(rec, hdr []string, lim Limits) string {
	if len(rec) != len(hdr) {
		return fmt.Sprintf("row has %d fields, header has %d", len(rec), len(hdr))
	}
	for i, f := range rec {
		if len(f) > lim.MaxFieldBytes {
			return fmt.Sprintf("%s is %d bytes, longer than %d (%s)", strings.TrimSpace(hdr[i]), len(f), lim.MaxFieldBytes, settingField)
		}
	}
	return ""
}

// csvParseReject turns a CSV syntax error in one row into a reject. It
// returns false for errors that are not about one row.
func csvParseReject(file string, err error) (Reject, bool) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return Reject{}, false
	}
	return Reject{File: file, Line: pe.StartLine, Reason: "malformed CSV: " + pe.Err.Error()}, true
}

// rawRow is the text of a CSV row for a reject: its fields re-joined with
// commas, quoted where needed. The reader does not keep the original line
// (that would cost a copy per row); this is the same row modulo quoting.
func rawRow(rec []string) string {
	var b strings.Builder
	for i, f := range rec {
		if i > 0 {
			b.WriteByte(',')
		}
		if f == "" || !strings.ContainsAny(f, ",\"\r\n") && f[0] != ' ' && f[0] != '\t' {
			b.WriteString(f)
		} else {
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(f, `"`, `""`))
			b.WriteByte('"')
		}
		if b.Len() > maxRaw {
			break
		}
	}
	return truncRaw(b.String())
}

func readPingsCSV(src io.Reader, c *pingCheck, fn func(int, model.Ping) error, rej func(Reject) error) error {
	return readPingsCSVBuf(src, c, fn, rej, 64<<10)
}

// readPingsCSVBuf is readPingsCSV with a read buffer of size bytes (tests
// use small ones).
func readPingsCSVBuf(src io.Reader, c *pingCheck, fn func(int, model.Ping) error, rej func(Reject) error, size int) error {
	r, br, err := newCSVReaderBuf(src, c.file, c.lim, size)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", c.file, err)
	}
	hrec, err := readHeader(r, c.file, c.lim)
	if err != nil {
		return err
	}
	rows := &csvRows{r: r, br: br}
	rows.afterHeader(hrec)
	h, err := parseHeader(hrec, pingColumnNames, []string{"rider_id", "ts", "lat", "lng"})
	if err != nil {
		return fmt.Errorf("ingest %s line 1: %w", c.file, err)
	}
	iRider, iTS, iLat, iLng := h.col("rider_id"), h.col("ts"), h.col("lat"), h.col("lng")
	iPlatform, iStatus := h.col("platform"), h.col("status")
	for {
		rec, line, err := rows.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if j, ok := csvParseReject(c.file, err); ok {
				if err := rej(j); err != nil {
					return err
				}
				continue
			}
			return readErr(c.file, err)
		}
		if why := checkRow(rec, hrec, c.lim); why != "" {
			err = rej(Reject{File: c.file, Line: line, Reason: why, Raw: rawRow(rec)})
		} else {
			p, why := c.build(rec[iRider], field(rec, iPlatform), field(rec, iStatus), rec[iTS], rec[iLat], rec[iLng])
			if why != "" {
				err = rej(Reject{File: c.file, Line: line, Reason: why, Raw: rawRow(rec)})
			} else {
				err = fn(line, p)
			}
		}
		if err != nil {
			return err
		}
	}
}
