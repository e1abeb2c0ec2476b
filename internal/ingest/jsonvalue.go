package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// jsonText returns the text of a JSON string or number: a string unquoted, a
// number as written. A missing value or null gives "" and true; a boolean,
// object or array gives false.
func jsonText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case c == '-' || c >= '0' && c <= '9':
		return string(raw), true
	}
	return "", false
}

// props are the properties of a GeoJSON feature.
type props map[string]json.RawMessage

// str returns a trimmed string or number property; "" when missing or null.
func (p props) str(key string) (string, error) {
	s, ok := jsonText(p[key])
	if !ok {
		return "", fmt.Errorf("%s %s is not a string or number", key, shortJSON(p[key]))
	}
	return strings.TrimSpace(s), nil
}

// text returns a trimmed string or number property ("" when missing or
// null), or why it is rejected: not a string or number, longer than the
// limit for ids (id) or other text, not valid UTF-8, or holding a NUL.
func (p props) text(key string, id bool, lim Limits) (string, string) {
	s, err := p.str(key)
	if err != nil {
		return "", err.Error()
	}
	max, setting := lim.MaxFieldBytes, settingField
	if id {
		max, setting = lim.MaxIDBytes, settingID
	}
	return s, checkText(key, s, max, setting)
}

// count returns an integer ≥ 0 property (a number or a numeric string),
// or 0 when missing.
func (p props) count(key string) (int, error) {
	s, err := p.str(key)
	if err != nil || s == "" {
		return 0, err
	}
	return parseCount(key, s)
}

func parseCount(key, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e9 {
			return 0, fmt.Errorf("%s %q is not an integer", key, s)
		}
		n = int(f)
	}
	if n < 0 {
		return 0, fmt.Errorf("%s %d is negative", key, n)
	}
	return n, nil
}

// shortJSON is a JSON value cut short for a message.
func shortJSON(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}
