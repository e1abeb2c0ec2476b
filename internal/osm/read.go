// Package osm reads OpenStreetMap extracts (.osm.pbf, and .osm XML plain or
// gzipped) as a stream and classifies what they hold into the basemap's
// layers (roads by class, railways, water, parks, buildings, place names and
// points of interest), the rideable road network as node-to-node edges, and
// candidate sites (fuel stations, charging stations, convenience stores).
//
// Coordinates stay WGS-84, as OSM has them. A file is read twice: a quick
// first pass collects the member ways of multipolygon relations (PBF: relations
// only, nodes and ways skipped), the second emits everything. Node positions
// are kept in two sorted arrays (16 bytes per node), so memory grows with the
// number of nodes in the extract, not with the file's size on disk; a city's
// extract of a few million nodes needs tens of megabytes.
package osm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"

	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/model"
)

// Feature is one basemap feature.
type Feature struct {
	OSMType string // node, way or relation
	OSMID   int64
	Layer   string // one of Layers
	Class   string // the OSM value that classified it (e.g. primary, river, park)
	Name    string // local (Chinese) name
	NameEn  string // name:en
	Ref     string
	Bridge  bool
	Tunnel  bool
	MinZoom int // lowest zoom it is drawn at; 0 for areas = from their size
	// Area is set for polygons. Parts is set when Geometry is a
	// MultiLineString of a multipolygon's member ways, still to be assembled
	// into polygons (the store does it with ST_BuildArea).
	Area     bool
	Parts    bool
	Geometry orb.Geometry
}

// Edge is one segment of a highway between two consecutive OSM nodes: the
// road network is split at every node, so any node is a vertex.
type Edge struct {
	WayID           int64
	Source, Target  int64 // OSM node ids
	From, To        orb.Point
	Class           string // highway value
	Bicycle, Access string
	Oneway          string
	LengthM         float64
}

// Site is a candidate site found in the extract.
type Site struct {
	OSMType string
	OSMID   int64
	Site    model.Site
}

// Sink receives what a file holds, in file order.
type Sink interface {
	Feature(context.Context, Feature) error
	Edge(context.Context, Edge) error
	Site(context.Context, Site) error
}

// Stats counts what was read.
type Stats struct {
	Nodes        int64            `json:"nodes"`
	Ways         int64            `json:"ways"`
	Relations    int64            `json:"relations"`
	Features     map[string]int64 `json:"features"` // by layer
	Edges        int64            `json:"edges"`
	Sites        int64            `json:"sites"`
	MissingNodes int64            `json:"missing_nodes"` // way nodes absent from the extract (clipped at its edge)
	// Rejected counts objects whose tags were over a limit or not text
	// (their tags are ignored; a node's position still serves its ways);
	// RejectSamples says why for the first few.
	Rejected      int64    `json:"rejected"`
	RejectSamples []string `json:"reject_samples,omitempty"`
}

// Limits are the importer's limits (HEXCOVER_INGEST_*) as the OSM reader
// applies them; zero fields take the defaults:
//   - MaxFileBytes and MaxRatio: decompressed bytes of the file (gzip for
//     XML, every zlib blob for PBF) and their ratio to the compressed bytes;
//   - MaxFeatureBytes: bytes of one XML element (a node, way or relation);
//     a PBF's blocks are at most 32 MiB by the format;
//   - MaxColumns: tags of one object; MaxIDBytes: bytes of a tag key;
//     MaxFieldBytes: bytes of a tag value. An object over these, or with
//     a tag that is not valid UTF-8 or holds a NUL, keeps its position but
//     loses its tags (Stats.Rejected);
//   - MaxRejectRate: a larger share of rejected objects fails the file.
//
// Passing the first two or MaxFeatureBytes fails the file with an error
// matching ingest.ErrLimit.
type Limits = ingest.Limits

// rejectSamples is how many reasons Stats.RejectSamples keeps.
const rejectSamples = 10

// Format of an extract.
type Format int

// Formats.
const (
	FormatXML Format = iota
	FormatPBF
)

// Detect sniffs a file's format from its first bytes: gzip-compressed or
// plain XML (starting with '<'), or PBF (a blob header naming OSMHeader).
func Detect(path string) (Format, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if n == 0 {
		return 0, false, fmt.Errorf("%s is empty: want an OpenStreetMap extract (.osm.pbf or .osm XML)", path)
	}
	gz := len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b
	if gz {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return 0, false, err
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			return 0, false, fmt.Errorf("%s: %v", path, err)
		}
		head = make([]byte, 64)
		n, _ = io.ReadFull(zr, head)
		head = head[:n]
	}
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	t = bytes.TrimPrefix(t, []byte("\xef\xbb\xbf"))
	switch {
	case len(t) > 0 && t[0] == '<':
		return FormatXML, gz, nil
	case !gz && bytes.Contains(head, []byte("OSMHeader")):
		return FormatPBF, false, nil
	}
	return 0, false, fmt.Errorf("%s is not an OpenStreetMap extract: neither OSM XML (starting with '<') nor PBF (a block named OSMHeader)", path)
}

// Read streams the extract at path into sink. A malformed file fails with an
// error naming the file (and, for XML, the line).
// progress, when not nil, is told how far the second pass is: bytes of the
// file read and objects seen.
func Read(ctx context.Context, path string, sink Sink, progress func(bytes, objects int64)) (Stats, error) {
	return ReadLimited(ctx, path, Limits{}, sink, progress)
}

// ReadLimited is Read under the importer's limits (see Limits). A PBF is
// checked whole first (checkPBF), so a file its decoder cannot read fails
// with a clear error before anything reaches sink.
func ReadLimited(ctx context.Context, path string, lim Limits, sink Sink, progress func(bytes, objects int64)) (Stats, error) {
	st := Stats{Features: map[string]int64{}}
	lim = lim.OrDefault()
	format, _, err := Detect(path)
	if err != nil {
		return st, err
	}
	if format == FormatPBF {
		if err := checkPBFFile(ctx, path, lim); err != nil {
			return st, err
		}
	}
	members, err := multipolygonMembers(ctx, path, format, lim)
	if err != nil {
		return st, err
	}
	r := &reader{ctx: ctx, sink: sink, st: &st, lim: lim, members: members, memberGeom: map[int64]orb.LineString{}}
	err = scan(ctx, path, format, lim, false, func(o osm.Object, read int64) error {
		if err := r.object(o); err != nil {
			return err
		}
		if progress != nil && (st.Nodes+st.Ways+st.Relations)%4096 == 0 {
			progress(read, st.Nodes+st.Ways+st.Relations)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if st.Nodes == 0 {
		return st, fmt.Errorf("%s holds no OpenStreetMap nodes: is it an OSM extract?", path)
	}
	if n := st.Nodes + st.Ways + st.Relations; st.Rejected > 0 && float64(st.Rejected) > lim.MaxRejectRate*float64(n) {
		return st, fmt.Errorf("%s: %d of %d objects have tags over the importer's limits (more than the %g allowed by HEXCOVER_INGEST_MAX_REJECT_RATE), e.g. %s",
			path, st.Rejected, n, lim.MaxRejectRate, st.RejectSamples[0])
	}
	return st, nil
}

// checkPBFFile runs checkPBF over the file at path.
func checkPBFFile(ctx context.Context, path string, lim Limits) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := checkPBF(ingest.ContextReader(ctx, bufio.NewReaderSize(f, 1<<20)), lim.MaxFileBytes, lim.MaxRatio); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !errors.Is(err, errPBF) {
			err = fmt.Errorf("%w: %w", ingest.ErrLimit, err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// multipolygonMembers returns the ids of the ways that are members of
// multipolygon relations drawn on the basemap.
func multipolygonMembers(ctx context.Context, path string, format Format, lim Limits) (map[int64]bool, error) {
	m := map[int64]bool{}
	err := scan(ctx, path, format, lim, true, func(o osm.Object, _ int64) error {
		rel, ok := o.(*osm.Relation)
		if !ok || !isMultipolygon(rel.Tags) {
			return nil
		}
		if _, ok := classifyArea(rel.Tags); !ok {
			return nil
		}
		for _, mb := range rel.Members {
			if mb.Type == osm.TypeWay {
				m[mb.Ref] = true
			}
		}
		return nil
	})
	return m, err
}

// scan calls fn for every object of the file, with the file's bytes read
// so far; relationsOnly skips nodes and ways where the format allows it.
// The file is read through ingest's Source: gzip, and the limits on
// decompressed bytes and ratio; an XML element is at most
// lim.MaxFeatureBytes.
func scan(ctx context.Context, path string, format Format, lim Limits, relationsOnly bool, fn func(osm.Object, int64) error) (err error) {
	src, err := ingest.OpenContext(ctx, path, lim)
	if err != nil {
		return err
	}
	defer src.Close()
	var sc osm.Scanner
	var lines *lineReader
	switch format {
	case FormatPBF:
		ps := osmpbf.New(ctx, src, max(1, runtime.GOMAXPROCS(0)))
		ps.SkipNodes, ps.SkipWays = relationsOnly, relationsOnly
		sc = ps
	default:
		// The XML decoder reads a ByteReader byte by byte, so lines counts
		// exactly up to where an error is, and element the bytes of the
		// element being read.
		lines = &lineReader{r: bufio.NewReaderSize(src, 1<<16), line: 1, max: lim.MaxFeatureBytes, path: path}
		sc = osmxml.New(ctx, lines)
	}
	defer sc.Close()
	for sc.Scan() {
		if lines != nil {
			lines.element = 0
		}
		if err := fn(sc.Object(), src.BytesRead()); err != nil {
			if lines != nil {
				return fmt.Errorf("%s line %d: %w", path, lines.line, err)
			}
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if errors.Is(err, ingest.ErrLimit) {
			return err // names the file and the setting
		}
		if lines != nil {
			return fmt.Errorf("%s line %d: malformed OSM XML: %v", path, lines.line, err)
		}
		return fmt.Errorf("%s: malformed OSM PBF: %v", path, err)
	}
	return nil
}

// lineReader counts the lines read through it, and the bytes of the element
// being read (scan resets element after each object): past max it fails.
type lineReader struct {
	r       *bufio.Reader
	line    int
	element int
	max     int
	path    string
}

func (l *lineReader) tooLong() error {
	return fmt.Errorf("ingest %s line %d: an element is longer than %d bytes (HEXCOVER_INGEST_MAX_FEATURE): %w",
		l.path, l.line, l.max, ingest.ErrLimit)
}

func (l *lineReader) ReadByte() (byte, error) {
	if l.element++; l.element > l.max {
		return 0, l.tooLong()
	}
	b, err := l.r.ReadByte()
	if b == '\n' && err == nil {
		l.line++
	}
	return b, err
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.element > l.max {
		return 0, l.tooLong()
	}
	p = p[:min(len(p), l.max-l.element+1)]
	n, err := l.r.Read(p)
	l.element += n
	l.line += bytes.Count(p[:n], []byte{'\n'})
	return n, err
}

// reader is the second pass.
type reader struct {
	ctx        context.Context
	sink       Sink
	st         *Stats
	lim        Limits
	nodes      nodeStore
	members    map[int64]bool
	memberGeom map[int64]orb.LineString
}

// checkTags says why an object's tags may not be stored, or "".
func (r *reader) checkTags(t osm.Tags) string {
	if len(t) > r.lim.MaxColumns {
		return fmt.Sprintf("%d tags, more than %d (HEXCOVER_INGEST_MAX_COLUMNS)", len(t), r.lim.MaxColumns)
	}
	for _, tg := range t {
		if why := checkText("tag key", tg.Key, r.lim.MaxIDBytes, "HEXCOVER_INGEST_MAX_ID"); why != "" {
			return why
		}
		if why := checkText("tag "+tg.Key, tg.Value, r.lim.MaxFieldBytes, "HEXCOVER_INGEST_MAX_FIELD"); why != "" {
			return why
		}
	}
	return ""
}

// checkText is ingest's rule for a text field: at most max bytes, valid
// UTF-8, no NUL (PostgreSQL text cannot hold one).
func checkText(name, s string, max int, setting string) string {
	switch {
	case len(s) > max:
		if len(name) > 64 {
			name = name[:64] + "…"
		}
		return fmt.Sprintf("%s is %d bytes, longer than %d (%s)", strings.ToValidUTF8(name, "?"), len(s), max, setting)
	case !utf8.ValidString(s):
		return strings.ToValidUTF8(name, "?") + " is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", "?"), "?") + " holds a NUL character"
	}
	return ""
}

// tags returns t, or nil (counting a reject) when it is over a limit.
func (r *reader) tags(typ string, id int64, t osm.Tags) osm.Tags {
	why := r.checkTags(t)
	if why == "" {
		return t
	}
	r.st.Rejected++
	if len(r.st.RejectSamples) < rejectSamples {
		r.st.RejectSamples = append(r.st.RejectSamples, fmt.Sprintf("%s %d: %s", typ, id, why))
	}
	return nil
}

func (r *reader) object(o osm.Object) error {
	switch v := o.(type) {
	case *osm.Node:
		r.st.Nodes++
		v.Tags = r.tags("node", int64(v.ID), v.Tags)
		if v.Lat < -90 || v.Lat > 90 || v.Lon < -180 || v.Lon > 180 {
			return fmt.Errorf("node %d: position %v,%v is outside WGS-84's range", v.ID, v.Lon, v.Lat)
		}
		r.nodes.add(int64(v.ID), v.Lon, v.Lat)
		if len(v.Tags) > 0 {
			return r.point("node", int64(v.ID), v.Tags, orb.Point{v.Lon, v.Lat})
		}
	case *osm.Way:
		r.st.Ways++
		v.Tags = r.tags("way", int64(v.ID), v.Tags)
		return r.way(v)
	case *osm.Relation:
		r.st.Relations++
		v.Tags = r.tags("relation", int64(v.ID), v.Tags)
		return r.relation(v)
	}
	return nil
}

func (r *reader) emit(f Feature) error {
	r.st.Features[f.Layer]++
	return r.sink.Feature(r.ctx, f)
}

func names(t osm.Tags) (string, string) { return nameOf(t), t.Find("name:en") }

func yes(v string) bool { return v != "" && v != "no" }

// point emits a place or POI feature and a site for a tagged node (or an
// area's label point).
func (r *reader) point(typ string, id int64, t osm.Tags, p orb.Point) error {
	nm, en := names(t)
	if c, ok := classifyPoint(t); ok {
		if err := r.emit(Feature{OSMType: typ, OSMID: id, Layer: c.layer, Class: c.class, Name: nm, NameEn: en,
			MinZoom: c.minZoom, Geometry: p}); err != nil {
			return err
		}
	}
	if kind, am, ok := siteOf(t); ok {
		name := nm
		if name == "" {
			name = siteFallbackName(kind, am)
		}
		if b := t.Find("brand"); b != "" && nm == "" {
			name = b + name
		}
		r.st.Sites++
		return r.sink.Site(r.ctx, Site{OSMType: typ, OSMID: id, Site: model.Site{
			ExtID: fmt.Sprintf("osm:%s/%d", typ, id), Kind: kind, Status: model.StatusCandidate, Name: name,
			Amenities: am, Location: p}})
	}
	return nil
}

func (r *reader) way(w *osm.Way) error {
	ids := make([]int64, 0, len(w.Nodes))
	ls := make(orb.LineString, 0, len(w.Nodes))
	for _, wn := range w.Nodes {
		p, ok := r.nodes.get(int64(wn.ID))
		if !ok {
			r.st.MissingNodes++
			continue
		}
		ids = append(ids, int64(wn.ID))
		ls = append(ls, p)
	}
	if len(ls) < 2 {
		return nil
	}
	if r.members[int64(w.ID)] {
		r.memberGeom[int64(w.ID)] = ls
	}
	if len(w.Tags) == 0 {
		return nil
	}
	id := int64(w.ID)
	nm, en := names(w.Tags)
	closed := len(ls) >= 4 && ids[0] == ids[len(ids)-1]
	if c, ok := classifyLine(w.Tags); ok {
		if err := r.emit(Feature{OSMType: "way", OSMID: id, Layer: c.layer, Class: c.class, Name: nm, NameEn: en,
			Ref: w.Tags.Find("ref"), Bridge: yes(w.Tags.Find("bridge")), Tunnel: yes(w.Tags.Find("tunnel")),
			MinZoom: c.minZoom, Geometry: ls}); err != nil {
			return err
		}
		if c.layer == LayerRoad {
			if err := r.edges(w, ids, ls, c.class); err != nil {
				return err
			}
		}
	}
	if !closed {
		return nil
	}
	poly := orb.Polygon{orb.Ring(ls)}
	if c, ok := classifyArea(w.Tags); ok {
		if err := r.emit(Feature{OSMType: "way", OSMID: id, Layer: c.layer, Class: c.class, Name: nm, NameEn: en,
			Area: true, MinZoom: c.minZoom, Geometry: poly}); err != nil {
			return err
		}
	}
	if w.Tags.Find("highway") != "" || w.Tags.Find("building") != "" && !w.Tags.HasTag("amenity") && !w.Tags.HasTag("shop") {
		return nil
	}
	c, _ := planar.CentroidArea(poly)
	return r.point("way", id, w.Tags, c)
}

func (r *reader) edges(w *osm.Way, ids []int64, ls orb.LineString, class string) error {
	bic, acc, one := w.Tags.Find("bicycle"), w.Tags.Find("access"), w.Tags.Find("oneway")
	for i := 1; i < len(ls); i++ {
		if ids[i] == ids[i-1] {
			continue
		}
		r.st.Edges++
		if err := r.sink.Edge(r.ctx, Edge{WayID: int64(w.ID), Source: ids[i-1], Target: ids[i], From: ls[i-1], To: ls[i],
			Class: class, Bicycle: bic, Access: acc, Oneway: one, LengthM: geo.Distance(ls[i-1], ls[i])}); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) relation(rel *osm.Relation) error {
	if !isMultipolygon(rel.Tags) {
		return nil
	}
	c, ok := classifyArea(rel.Tags)
	if !ok {
		return nil
	}
	var parts orb.MultiLineString
	for _, m := range rel.Members {
		if m.Type != osm.TypeWay {
			continue
		}
		if ls, ok := r.memberGeom[m.Ref]; ok {
			parts = append(parts, ls)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	nm, en := names(rel.Tags)
	return r.emit(Feature{OSMType: "relation", OSMID: int64(rel.ID), Layer: c.layer, Class: c.class, Name: nm,
		NameEn: en, Area: true, Parts: true, MinZoom: c.minZoom, Geometry: parts})
}

// nodeStore keeps node positions as 1e-7 degree integers (OSM's own
// precision) in arrays sorted by id; extracts list nodes by id, so appends
// stay sorted and lookups are binary searches.
type nodeStore struct {
	ids      []int64
	ll       []int32 // lon, lat pairs
	unsorted bool
}

func (n *nodeStore) add(id int64, lon, lat float64) {
	if len(n.ids) > 0 && id <= n.ids[len(n.ids)-1] {
		n.unsorted = true
	}
	n.ids = append(n.ids, id)
	n.ll = append(n.ll, int32(lon*1e7+copysignHalf(lon)), int32(lat*1e7+copysignHalf(lat)))
}

func copysignHalf(v float64) float64 {
	if v < 0 {
		return -0.5
	}
	return 0.5
}

func (n *nodeStore) Len() int           { return len(n.ids) }
func (n *nodeStore) Less(i, j int) bool { return n.ids[i] < n.ids[j] }
func (n *nodeStore) Swap(i, j int) {
	n.ids[i], n.ids[j] = n.ids[j], n.ids[i]
	n.ll[2*i], n.ll[2*j] = n.ll[2*j], n.ll[2*i]
	n.ll[2*i+1], n.ll[2*j+1] = n.ll[2*j+1], n.ll[2*i+1]
}

func (n *nodeStore) get(id int64) (orb.Point, bool) {
	if n.unsorted {
		sort.Stable(n)
		n.unsorted = false
	}
	i := sort.Search(len(n.ids), func(i int) bool { return n.ids[i] >= id })
	if i == len(n.ids) || n.ids[i] != id {
		return orb.Point{}, false
	}
	return orb.Point{float64(n.ll[2*i]) / 1e7, float64(n.ll[2*i+1]) / 1e7}, true
}
