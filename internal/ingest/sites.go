package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// SiteOptions say how to read a sites file.
type SiteOptions struct {
	CRS           geo.CRS          // coordinate system of the input ("" means WGS-84)
	DefaultStatus model.SiteStatus // status of sites that give none; "" means existing
	Limits        Limits           // caps on records, features, fields and ids; zero fields mean the defaults
}

var siteColumnNames = columnNames{
	"id": "id", "kind": "kind", "status": "status", "name": "name",
	"capacity": "capacity", "amenities": "amenities",
	"opening_hours": "opening_hours", "hours": "opening_hours",
	"lat": "lat", "latitude": "lat",
	"lng": "lng", "lon": "lng", "longitude": "lng",
}

// ReadSites streams the sites of a GeoJSON FeatureCollection of Points
// (properties id, kind, status, name, capacity, amenities, opening_hours)
// or of a CSV file with header id,kind,status,name,capacity,amenities,
// opening_hours,lat,lng in any order (status, capacity, amenities and
// opening_hours optional; opening hours as model.ParseOpeningHours reads
// them, empty = always open). Amenities are an array of
// strings or a string separated by ";" or ",". A site lacking id or name,
// with an unknown kind or status, a bad capacity or bad coordinates, or
// with an id seen before in the file is rejected.
func ReadSites(src io.Reader, file string, f Format, o SiteOptions, fn func(model.Site) error, rej func(Reject) error) error {
	convert, err := needConvert(file, o.CRS)
	if err != nil {
		return err
	}
	b := siteBuilder{o: o, convert: convert, seen: make(map[string]int), lim: o.Limits.OrDefault()}
	if b.o.DefaultStatus == "" {
		b.o.DefaultStatus = model.StatusExisting
	}
	switch f {
	case GeoJSON:
		return readFeatures(src, file, b.lim, func(n int, raw json.RawMessage) error {
			s, why := b.geojson(n, raw)
			if why != "" {
				return rej(geojsonReject(file, n, why, raw))
			}
			return fn(s)
		})
	case CSV:
		return b.csv(src, file, fn, rej)
	}
	return fmt.Errorf("ingest %s: sites are read from GeoJSON or CSV, not %q", file, f)
}

type siteBuilder struct {
	o       SiteOptions
	convert bool
	seen    map[string]int // id → line
	lim     Limits
}

// siteFields is the text of a site's fields.
type siteFields struct {
	id, kind, status, name, capacity, lat, lng string
	openingHours                               string
	amenities                                  []string
}

func (b *siteBuilder) build(line int, f siteFields) (model.Site, string) {
	s := model.Site{ExtID: strings.TrimSpace(f.id), Name: strings.TrimSpace(f.name), Amenities: f.amenities}
	if s.ExtID == "" {
		return model.Site{}, "missing id"
	}
	if why := checkText("id", s.ExtID, b.lim.MaxIDBytes, settingID); why != "" {
		return model.Site{}, why
	}
	if why := checkText("name", s.Name, b.lim.MaxFieldBytes, settingField); why != "" {
		return model.Site{}, why
	}
	for _, a := range s.Amenities {
		if why := checkText("amenities", a, b.lim.MaxFieldBytes, settingField); why != "" {
			return model.Site{}, why
		}
	}
	if s.Name == "" {
		return model.Site{}, "missing name"
	}
	k, err := model.ParseSiteKind(strings.ToLower(strings.TrimSpace(f.kind)))
	if err != nil {
		return model.Site{}, "kind: " + err.Error()
	}
	s.Kind = k
	s.Status = b.o.DefaultStatus
	if st := strings.TrimSpace(f.status); st != "" {
		if s.Status, err = model.ParseSiteStatus(strings.ToLower(st)); err != nil {
			return model.Site{}, "status: " + err.Error()
		}
	}
	if oh := strings.TrimSpace(f.openingHours); oh != "" {
		if why := checkText("opening_hours", oh, b.lim.MaxFieldBytes, settingField); why != "" {
			return model.Site{}, why
		}
		if _, err := model.ParseOpeningHours(oh); err != nil {
			return model.Site{}, err.Error()
		}
		s.OpeningHours = oh
	}
	if c := strings.TrimSpace(f.capacity); c != "" {
		if s.Capacity, err = parseCount("capacity", c); err != nil {
			return model.Site{}, err.Error()
		}
	}
	y, why := coord("lat", f.lat, 90)
	if why != "" {
		return model.Site{}, why
	}
	x, why := coord("lng", f.lng, 180)
	if why != "" {
		return model.Site{}, why
	}
	if x == 0 && y == 0 {
		return model.Site{}, "lat and lng are both 0 (null island)"
	}
	if b.convert {
		x, y = b.o.CRS.ToWGS84(x, y)
		if !finite(x) || !finite(y) {
			return model.Site{}, fmt.Sprintf("lat %s, lng %s do not convert from %s to WGS-84", f.lat, f.lng, b.o.CRS)
		}
	}
	s.Location = orb.Point{x, y}
	if at, dup := b.seen[s.ExtID]; dup {
		return model.Site{}, fmt.Sprintf("duplicate id %q (first seen on line %d)", s.ExtID, at)
	}
	b.seen[s.ExtID] = line
	return s, ""
}

// splitAmenities splits a ";"- or ","-separated list, trimming and
// dropping empty items.
func splitAmenities(s string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (b *siteBuilder) geojson(n int, raw json.RawMessage) (model.Site, string) {
	f, p, why := decodeFeature(raw, b.lim)
	if why != "" {
		return model.Site{}, why
	}
	var sf siteFields
	for _, kv := range []struct {
		key string
		dst *string
	}{{"id", &sf.id}, {"kind", &sf.kind}, {"status", &sf.status}, {"name", &sf.name}, {"capacity", &sf.capacity}, {"opening_hours", &sf.openingHours}} {
		s, err := p.str(kv.key)
		if err != nil {
			return model.Site{}, err.Error()
		}
		*kv.dst = s
	}
	if am := p["amenities"]; len(am) > 0 {
		var list []string
		if err := json.Unmarshal(am, &list); err == nil {
			for _, a := range list {
				if a = strings.TrimSpace(a); a != "" {
					sf.amenities = append(sf.amenities, a)
				}
			}
		} else if s, err := p.str("amenities"); err == nil {
			sf.amenities = splitAmenities(s)
		} else {
			return model.Site{}, fmt.Sprintf("amenities %s is not an array of strings or a string", shortJSON(am))
		}
	}
	sf.lng, sf.lat, why = pointCoords(f.Geometry)
	if why != "" {
		return model.Site{}, why
	}
	return b.build(n, sf)
}

func (b *siteBuilder) csv(src io.Reader, file string, fn func(model.Site) error, rej func(Reject) error) error {
	r, err := newCSVReader(src, file, b.lim)
	if err != nil {
		return fmt.Errorf("ingest %s: %w", file, err)
	}
	hrec, err := readHeader(r, file, b.lim)
	if err != nil {
		return err
	}
	h, err := parseHeader(hrec, siteColumnNames, []string{"id", "kind", "name", "lat", "lng"})
	if err != nil {
		return fmt.Errorf("ingest %s line 1: %w", file, err)
	}
	iID, iKind, iStatus, iName := h.col("id"), h.col("kind"), h.col("status"), h.col("name")
	iCap, iAm, iLat, iLng, iOH := h.col("capacity"), h.col("amenities"), h.col("lat"), h.col("lng"), h.col("opening_hours")
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if j, ok := csvParseReject(file, err); ok {
				if err := rej(j); err != nil {
					return err
				}
				continue
			}
			return readErr(file, err)
		}
		line, _ := r.FieldPos(0)
		var s model.Site
		why := checkRow(rec, hrec, b.lim)
		if why == "" {
			s, why = b.build(line, siteFields{
				id: rec[iID], kind: rec[iKind], status: field(rec, iStatus), name: rec[iName],
				capacity: field(rec, iCap), amenities: splitAmenities(field(rec, iAm)), openingHours: field(rec, iOH),
				lat: rec[iLat], lng: rec[iLng],
			})
		}
		if why != "" {
			err = rej(Reject{File: file, Line: line, Reason: why, Raw: rawRow(rec)})
		} else {
			err = fn(s)
		}
		if err != nil {
			return err
		}
	}
}
