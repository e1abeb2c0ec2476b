package ingest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// csvEvent is what reading a record gave: its fields and line, or an error.
type csvEvent struct {
	rec  []string
	line int
	err  string
}

// readAllCSV reads data as readPingsCSV did before csvRows: with a
// csv.Reader alone.
func readAllCSV(t *testing.T, data []byte) []csvEvent {
	r, err := newCSVReader(bytes.NewReader(data), "f.csv", Limits{}.OrDefault())
	if err != nil {
		t.Fatal(err)
	}
	var evs []csvEvent
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return evs
		}
		if err != nil && len(evs) == 0 {
			return append(evs, csvEvent{err: "header: " + err.Error()})
		}
		if err != nil {
			ev, more := errEvent(err)
			if evs = append(evs, ev); !more {
				return evs
			}
			continue
		}
		line, _ := r.FieldPos(0)
		evs = append(evs, csvEvent{rec: slices.Clone(rec), line: line})
	}
}

// errEvent is the event of a read error; more is false when reading
// cannot go on after it (anything but a malformed record).
func errEvent(err error) (ev csvEvent, more bool) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return csvEvent{err: err.Error()}, false
	}
	return csvEvent{err: fmt.Sprintf("%d %d %v", pe.StartLine, pe.Line, pe.Err)}, true
}

// readAllRows reads data with csvRows (after the first record, read as the
// header is) in a buffer of size bytes.
func readAllRows(t *testing.T, data []byte, size int) []csvEvent {
	r, br, err := newCSVReaderBuf(bytes.NewReader(data), "f.csv", Limits{}.OrDefault(), size)
	if err != nil {
		t.Fatal(err)
	}
	rows := &csvRows{r: r, br: br}
	var evs []csvEvent
	first := true
	for {
		var rec []string
		var line int
		var err error
		if first {
			first = false
			rec, err = r.Read()
			if err == nil {
				line, _ = r.FieldPos(0)
				rows.afterHeader(rec)
			} else if err != io.EOF {
				// readPingsCSV stops at a bad header; so does readAllCSV's caller
				return append(evs, csvEvent{err: "header: " + err.Error()})
			}
		} else {
			rec, line, err = rows.next()
		}
		if err == io.EOF {
			return evs
		}
		if err != nil {
			ev, more := errEvent(err)
			if evs = append(evs, ev); !more {
				return evs
			}
			continue
		}
		cp := make([]string, len(rec)) // the fields view the buffer: copy them
		for i, f := range rec {
			cp[i] = strings.Clone(f)
		}
		evs = append(evs, csvEvent{rec: cp, line: line})
	}
}

// TestCSVRowsLikeEncodingCSV: csvRows gives the records, line numbers and
// errors encoding/csv gives, whatever the quoting, line ends and buffer.
func TestCSVRowsLikeEncodingCSV(t *testing.T) {
	inputs := []string{
		"a,b,c\n1,2,3\n4,5,6\n",
		"a,b,c\r\n1,2,3\r\n4,5\r\n\r\n\n7,8,9",
		"h\n\"q,1\",x\n\"multi\nline\",y\nz,\"w\"\"v\"\n",
		"h,i\n\"a\nb\nc\"\nnext,1\n\"x\",\"y\n\"\nlast\n",
		"h\na\"b,c\nd,e\n\"bad\"x,1\nok,2\n",
		"h\n\"open\nnever closed\n",
		"\"h\nh\",k\n1,2\n\n\n3,4\r\n5,\r6\n,\n,,\n",
		"h\r\nx\r",
		"h\n" + strings.Repeat("long,", 40) + "end\nshort\n",
		"\ufeffh,i\n1,2\n",
		"h\n\"a\"\"\",b\n\"\"\n\"\",\"\"\n",
		"h\n\n\n",
		"h",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", ",", "\n", "\r\n", "\"", "\"\"", "\r", "xyz", "12.5", " "}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(80) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, b.String())
	}
	for i, in := range inputs {
		want := readAllCSV(t, []byte(in))
		for _, size := range []int{16, 17, 23, 64, 64 << 10} {
			if got := readAllRows(t, []byte(in), size); !slices.EqualFunc(got, want, func(a, b csvEvent) bool {
				return a.line == b.line && a.err == b.err && slices.Equal(a.rec, b.rec)
			}) {
				t.Fatalf("input %d %q, buffer %d:\n got %+v\nwant %+v", i, in, size, got, want)
			}
		}
	}
}
