package demo

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/internal/model"
)

// File names WriteFiles writes, in order.
const (
	FileAreas      = "areas.geojson"
	FileGrids      = "grids.geojson"
	FileSitesJSON  = "sites.geojson"
	FileSitesCSV   = "sites.csv"
	FilePings      = "pings.csv"
	coordDecimals  = 7 // GeoJSON and sites.csv: about 1 cm
	pingDecimals   = 6 // pings.csv: about 10 cm, finer than any GPS
	pingsCSVHeader = "rider_id,platform,ts,lat,lng,status\n"
)

type areaProps struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	Level      string `json:"level"`
	ParentCode string `json:"parent_code"`
}

type gridProps struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	CommunityCode string `json:"community_code"`
	StreetCode    string `json:"street_code"`
	DistrictCode  string `json:"district_code"`
	Manager       string `json:"manager"`
	Target        int    `json:"target"`
}

type siteProps struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Status    string   `json:"status"`
	Name      string   `json:"name"`
	Capacity  int      `json:"capacity"`
	Amenities []string `json:"amenities"`
	Hours     string   `json:"opening_hours,omitempty"`
}

// WriteFiles writes the city in hexcover's import formats into dir (created
// if needed) and returns the paths written: areas.geojson, grids.geojson,
// sites.geojson, sites.csv and pings.csv.
func (c *City) WriteFiles(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	steps := []struct {
		name  string
		write func(io.Writer) error
	}{
		{FileAreas, c.writeAreas},
		{FileGrids, c.writeGrids},
		{FileSitesJSON, c.writeSitesGeoJSON},
		{FileSitesCSV, c.writeSitesCSV},
		{FilePings, c.writePings},
	}
	var paths []string
	for _, st := range steps {
		p := filepath.Join(dir, st.name)
		if err := writeFile(p, st.write); err != nil {
			return paths, fmt.Errorf("demo: write %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// featureWriter writes a GeoJSON FeatureCollection one feature per line.
type featureWriter struct {
	w   io.Writer
	n   int
	buf []byte
}

func newFeatureWriter(w io.Writer) (*featureWriter, error) {
	_, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`)
	return &featureWriter{w: w}, err
}

func (fw *featureWriter) feature(geom orb.Geometry, props any) error {
	pj, err := json.Marshal(props)
	if err != nil {
		return err
	}
	b := fw.buf[:0]
	if fw.n > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n{\"type\":\"Feature\",\"geometry\":"...)
	b = appendGeometry(b, geom)
	b = append(b, `,"properties":`...)
	b = append(b, pj...)
	b = append(b, '}')
	fw.buf = b
	fw.n++
	_, err = fw.w.Write(b)
	return err
}

func (fw *featureWriter) close() error {
	_, err := io.WriteString(fw.w, "\n]}\n")
	return err
}

func appendCoord(b []byte, p orb.Point) []byte {
	b = append(b, '[')
	b = strconv.AppendFloat(b, p[0], 'f', coordDecimals, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p[1], 'f', coordDecimals, 64)
	return append(b, ']')
}

func appendGeometry(b []byte, g orb.Geometry) []byte {
	switch g := g.(type) {
	case orb.Point:
		b = append(b, `{"type":"Point","coordinates":`...)
		b = appendCoord(b, g)
	case orb.MultiPolygon:
		b = append(b, `{"type":"MultiPolygon","coordinates":[`...)
		for i, poly := range g {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			for j, ring := range poly {
				if j > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				for k, p := range ring {
					if k > 0 {
						b = append(b, ',')
					}
					b = appendCoord(b, p)
				}
				b = append(b, ']')
			}
			b = append(b, ']')
		}
		b = append(b, ']')
	default:
		panic(fmt.Sprintf("demo: unexpected geometry %T", g))
	}
	return append(b, '}')
}

func (c *City) writeAreas(w io.Writer) error {
	fw, err := newFeatureWriter(w)
	if err != nil {
		return err
	}
	for _, a := range c.Areas {
		props := areaProps{a.Code, a.Name, a.NameEn, string(a.Level), a.ParentCode}
		if err := fw.feature(a.Geometry, props); err != nil {
			return err
		}
	}
	return fw.close()
}

func (c *City) writeGrids(w io.Writer) error {
	fw, err := newFeatureWriter(w)
	if err != nil {
		return err
	}
	for _, g := range c.Grids {
		props := gridProps{g.Code, g.Name, g.CommunityCode, g.StreetCode, g.DistrictCode, g.Manager, g.Target}
		if err := fw.feature(g.Geometry, props); err != nil {
			return err
		}
	}
	return fw.close()
}

func (c *City) writeSitesGeoJSON(w io.Writer) error {
	fw, err := newFeatureWriter(w)
	if err != nil {
		return err
	}
	for _, s := range c.Sites {
		am := s.Amenities
		if am == nil {
			am = []string{}
		}
		props := siteProps{s.ExtID, string(s.Kind), string(s.Status), s.Name, s.Capacity, am, s.OpeningHours}
		if err := fw.feature(s.Location, props); err != nil {
			return err
		}
	}
	return fw.close()
}

func (c *City) writeSitesCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	// The opening_hours column only when a site has hours (--service-hours),
	// so the default files stay as they were.
	hours := slices.ContainsFunc(c.Sites, func(s model.Site) bool { return s.OpeningHours != "" })
	head := []string{"id", "kind", "status", "name", "capacity", "amenities", "lat", "lng"}
	if hours {
		head = append(head, "opening_hours")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, s := range c.Sites {
		rec := []string{
			s.ExtID, string(s.Kind), string(s.Status), s.Name, strconv.Itoa(s.Capacity),
			strings.Join(s.Amenities, ";"),
			strconv.FormatFloat(s.Location[1], 'f', coordDecimals, 64),
			strconv.FormatFloat(s.Location[0], 'f', coordDecimals, 64),
		}
		if hours {
			rec = append(rec, s.OpeningHours)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (c *City) writePings(w io.Writer) error {
	if _, err := io.WriteString(w, pingsCSVHeader); err != nil {
		return err
	}
	var tf tsFormatter
	b := make([]byte, 0, 128)
	return c.Pings(func(p RawPing) error {
		b = b[:0]
		b = append(b, p.PlatformID...)
		b = append(b, ',')
		b = append(b, p.Platform...)
		b = append(b, ',')
		b = tf.append(b, p.Time.Unix())
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.Lat, 'f', pingDecimals, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, p.Lng, 'f', pingDecimals, 64)
		b = append(b, ',')
		b = append(b, p.Status...)
		b = append(b, '\n')
		_, err := w.Write(b)
		return err
	})
}

// tsFormatter formats unix seconds as RFC 3339 in +08:00, caching the date.
type tsFormatter struct {
	day  int64 // local day number of date
	date []byte
}

func (f *tsFormatter) append(b []byte, unix int64) []byte {
	local := unix + 8*3600
	day := floorDiv(local, 86400)
	if f.date == nil || day != f.day {
		f.day = day
		f.date = f.date[:0]
		f.date = append(f.date, timeFromUnix(unix).Format("2006-01-02T")...)
	}
	sec := local - day*86400
	b = append(b, f.date...)
	b = append2(b, sec/3600)
	b = append(b, ':')
	b = append2(b, sec/60%60)
	b = append(b, ':')
	b = append2(b, sec%60)
	return append(b, "+08:00"...)
}

func append2(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Checksum returns the hex SHA-256 of a canonical serialisation of the whole
// city: areas, grids, sites, clusters, riders and every ping.
func (c *City) Checksum() (string, error) {
	h := sha256.New()
	e := &hashEncoder{w: bufio.NewWriterSize(h, 1<<16)}
	e.str("hexcover-demo-v2")
	e.int(int64(len(c.Areas)))
	for _, a := range c.Areas {
		e.str(a.Code, a.Name, a.NameEn, string(a.Level), a.ParentCode)
		e.geom(a.Geometry)
	}
	e.int(int64(len(c.Grids)))
	for _, g := range c.Grids {
		e.str(g.Code, g.Name, g.CommunityCode, g.StreetCode, g.DistrictCode, g.Manager)
		e.int(int64(g.Target))
		e.geom(g.Geometry)
	}
	e.int(int64(len(c.Sites)))
	for _, s := range c.Sites {
		e.str(s.ExtID, string(s.Kind), string(s.Status), s.Name)
		e.int(int64(s.Capacity), int64(len(s.Amenities)))
		e.str(s.Amenities...)
		if s.OpeningHours != "" { // absent by default, so default checksums stay
			e.str("opening_hours", s.OpeningHours)
		}
		e.float(s.Location[0], s.Location[1])
	}
	e.int(int64(len(c.Clusters)))
	for _, cl := range c.Clusters {
		e.str(cl.Name, cl.NameEn, cl.Kind)
		e.float(cl.Location[0], cl.Location[1], cl.Weight)
		if cl.Unserved {
			e.int(1)
		} else {
			e.int(0)
		}
	}
	e.int(int64(len(c.Riders)))
	for _, r := range c.Riders {
		e.str(r.PlatformID, r.Platform, r.Kind)
		e.int(int64(r.Home), int64(len(r.Territory)))
		for _, g := range r.Territory {
			e.int(int64(g))
		}
	}
	err := c.Pings(func(p RawPing) error {
		e.str(p.PlatformID, p.Platform, p.Status)
		e.int(p.Time.Unix())
		e.float(p.Lat, p.Lng)
		return nil
	})
	if err != nil {
		return "", err
	}
	if err := e.w.Flush(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type hashEncoder struct {
	w   *bufio.Writer
	tmp [8]byte
}

func (e *hashEncoder) int(vs ...int64) {
	for _, v := range vs {
		binary.LittleEndian.PutUint64(e.tmp[:], uint64(v))
		e.w.Write(e.tmp[:])
	}
}

func (e *hashEncoder) float(vs ...float64) {
	for _, v := range vs {
		binary.LittleEndian.PutUint64(e.tmp[:], math.Float64bits(v))
		e.w.Write(e.tmp[:])
	}
}

func (e *hashEncoder) str(ss ...string) {
	for _, s := range ss {
		e.int(int64(len(s)))
		e.w.WriteString(s)
	}
}

func (e *hashEncoder) geom(mp orb.MultiPolygon) {
	e.int(int64(len(mp)))
	for _, poly := range mp {
		e.int(int64(len(poly)))
		for _, ring := range poly {
			e.int(int64(len(ring)))
			for _, p := range ring {
				e.float(p[0], p[1])
			}
		}
	}
}
