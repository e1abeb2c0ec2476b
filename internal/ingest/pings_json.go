package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/hexcover/hexcover/internal/model"
)

// pingJSON holds the keys of an NDJSON ping or the properties of a GeoJSON
// ping, aliases included (encoding/json matches them case-insensitively).
type pingJSON struct {
	RiderID   json.RawMessage `json:"rider_id"`
	TS        json.RawMessage `json:"ts"`
	Time      json.RawMessage `json:"time"`
	Timestamp json.RawMessage `json:"timestamp"`
	Lat       json.RawMessage `json:"lat"`
	Latitude  json.RawMessage `json:"latitude"`
	Lng       json.RawMessage `json:"lng"`
	Lon       json.RawMessage `json:"lon"`
	Longitude json.RawMessage `json:"longitude"`
	Platform  json.RawMessage `json:"platform"`
	Status    json.RawMessage `json:"status"`
}

// first returns the first of the aliases that is present.
func first(vs ...json.RawMessage) json.RawMessage {
	for _, v := range vs {
		if len(v) > 0 {
			return v
		}
	}
	return nil
}

// texts returns the text of each value, or the reason one is not a string
// or number.
func texts(names []string, vs ...json.RawMessage) ([]string, string) {
	out := make([]string, len(vs))
	for i, v := range vs {
		s, ok := jsonText(v)
		if !ok {
			return nil, fmt.Sprintf("%s %s is not a string or number", names[i], shortJSON(v))
		}
		out[i] = s
	}
	return out, ""
}

var pingKeys = []string{"rider_id", "platform", "status", "ts", "lat", "lng"}

// build validates a decoded JSON ping; lat and lng, when given, override
// the object's (GeoJSON geometry).
func (c *pingCheck) buildJSON(p *pingJSON, lat, lng json.RawMessage) (model.Ping, string) {
	if lat == nil {
		lat = first(p.Lat, p.Latitude)
	}
	if lng == nil {
		lng = first(p.Lng, p.Lon, p.Longitude)
	}
	v, why := texts(pingKeys, p.RiderID, p.Platform, p.Status, first(p.TS, p.Time, p.Timestamp), lat, lng)
	if why != "" {
		return model.Ping{}, why
	}
	return c.build(v[0], v[1], v[2], v[3], v[4], v[5])
}

// readPingsNDJSON reads one JSON object per line. A line longer than
// c.lim.MaxRecordBytes fails the file as soon as the limit is passed; a
// line that is not valid UTF-8, not a JSON object, or has a value longer
// than c.lim.MaxFieldBytes is rejected.
func readPingsNDJSON(src io.Reader, c *pingCheck, fn func(int, model.Ping) error, rej func(Reject) error) error {
	max := c.lim.MaxRecordBytes
	br := bufio.NewReaderSize(src, 64<<10)
	var long []byte
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long[:0], b...)
			for err == bufio.ErrBufferFull {
				if len(long) > max+2 { // + "\r\n"
					return newLimitError("ingest %s line %d: the line is longer than %s (%s): not an NDJSON file of pings, or raise the limit",
						c.file, line, size(int64(max)), settingRecord)
				}
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("ingest %s line %d: %w", c.file, line, err)
		}
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if t := bytes.TrimSpace(b); len(t) > max {
			return newLimitError("ingest %s line %d: the line is longer than %s (%s): not an NDJSON file of pings, or raise the limit",
				c.file, line, size(int64(max)), settingRecord)
		} else if len(t) > 0 {
			var werr error
			reject := func(why string) error {
				return rej(Reject{File: c.file, Line: line, Reason: why, Raw: truncRaw(string(t))})
			}
			switch {
			case t[0] != '{':
				werr = reject("line is not a JSON object")
			case !utf8.Valid(t):
				werr = reject("line is not valid UTF-8")
			default:
				var p pingJSON
				if jerr := json.Unmarshal(t, &p); jerr != nil {
					werr = reject("invalid JSON object: " + jsonErr(jerr))
				} else if why := p.check(c.lim); why != "" {
					werr = reject(why)
				} else if ping, why := c.buildJSON(&p, nil, nil); why != "" {
					werr = reject(why)
				} else {
					werr = fn(line, ping)
				}
			}
			if werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

// check says why a ping object is rejected for a value longer than
// lim.MaxFieldBytes, or "".
func (p *pingJSON) check(lim Limits) string {
	for _, f := range [...]struct {
		name string
		v    json.RawMessage
	}{{"rider_id", p.RiderID}, {"ts", p.TS}, {"time", p.Time}, {"timestamp", p.Timestamp}, {"lat", p.Lat}, {"latitude", p.Latitude},
		{"lng", p.Lng}, {"lon", p.Lon}, {"longitude", p.Longitude}, {"platform", p.Platform}, {"status", p.Status}} {
		if len(f.v) > lim.MaxFieldBytes {
			return fmt.Sprintf("%s is %d bytes, longer than %d (%s)", f.name, len(f.v), lim.MaxFieldBytes, settingField)
		}
	}
	return ""
}

// jsonErr describes a JSON decoding error briefly.
func jsonErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s", te.Field, te.Value)
	}
	return err.Error()
}

func readPingsGeoJSON(src io.Reader, c *pingCheck, fn func(int, model.Ping) error, rej func(Reject) error) error {
	return readFeatures(src, c.file, c.lim, func(n int, raw json.RawMessage) error {
		f, _, why := decodeFeature(raw, c.lim)
		var ping model.Ping
		if why == "" {
			var lng, lat string
			lng, lat, why = pointCoords(f.Geometry)
			if why == "" {
				var p pingJSON
				if pt := bytes.TrimSpace(f.Properties); len(pt) > 0 && string(pt) != "null" {
					if err := json.Unmarshal(pt, &p); err != nil {
						why = "properties: " + jsonErr(err)
					}
				}
				if why == "" {
					ping, why = c.buildJSON(&p, quoteJSON(lat), quoteJSON(lng))
				}
			}
		}
		if why != "" {
			return rej(geojsonReject(c.file, n, why, raw))
		}
		return fn(n, ping)
	})
}

// quoteJSON makes a JSON string of s, so that an empty coordinate stays
// present rather than falling back to a property.
func quoteJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
