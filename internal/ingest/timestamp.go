package ingest

import (
	"errors"
	"time"
)

var errBadTime = errors.New("bad time")

// parseTime parses a ping timestamp: RFC 3339 (with or without fractional
// seconds), unix seconds (integer or decimal) or unix milliseconds (an
// integer of exactly 13 digits). The result is in UTC.
func parseTime(s string) (time.Time, error) {
	if len(s) == 0 {
		return time.Time{}, errBadTime
	}
	if c := s[0]; c >= '0' && c <= '9' && len(s) >= 5 && s[4] == '-' {
		if t, ok := parseRFC3339Fast(s); ok {
			return t, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errBadTime
		}
		return t.UTC(), nil
	}
	return parseUnix(s)
}

// parseUnix parses unix seconds with an optional fraction, or 13-digit unix
// milliseconds. Signs and exponents are not accepted.
func parseUnix(s string) (time.Time, error) {
	var sec int64
	i := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i]
		if c < '0' || c > '9' || i >= 13 {
			return time.Time{}, errBadTime
		}
		sec = sec*10 + int64(c-'0')
	}
	if i == 0 {
		return time.Time{}, errBadTime
	}
	if i == len(s) {
		if i == 13 {
			return time.UnixMilli(sec).UTC(), nil
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	// fraction
	frac := s[i+1:]
	if len(frac) == 0 || len(frac) > 9 {
		return time.Time{}, errBadTime
	}
	var ns int64
	for j := 0; j < 9; j++ {
		ns *= 10
		if j < len(frac) {
			c := frac[j]
			if c < '0' || c > '9' {
				return time.Time{}, errBadTime
			}
			ns += int64(c - '0')
		}
	}
	return time.Unix(sec, ns).UTC(), nil
}

// parseRFC3339Fast parses "2006-01-02T15:04:05[.fffffffff](Z|±hh:mm)"
// without allocating. It reports false for anything else, including values
// time.Parse would accept, so callers fall back to time.Parse.
func parseRFC3339Fast(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	min, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return time.Time{}, false
	}
	if year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	var ns int
	if rest[0] == '.' {
		i := 1
		scale := 100_000_000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			if i > 9 {
				return time.Time{}, false
			}
			ns += int(rest[i]-'0') * scale
			scale /= 10
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	var off int
	switch {
	case rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off = (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+min*60+sec) - int64(off)
	return time.Unix(unix, int64(ns)).UTC(), true
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given date
// in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0: the fast path takes years 0001..9999
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
