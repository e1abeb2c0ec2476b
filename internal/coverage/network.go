package coverage

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/store"
)

// Network coverage (HEXCOVER_COVERAGE=network) measures service by riding
// distance along the loaded road network instead of the straight-line
// radius. A site's catchment is the set of network vertices reachable from
// the vertex nearest the site within its kind's radius less the distance to
// that vertex (pgRouting's pgr_drivingDistance over the rideable edges,
// undirected unless one-way streets are respected). A demand cell is covered
// when its centre snaps (nearest vertex within SnapM) to a vertex of the
// catchment. Catchments are computed once per (road extract, site, radius,
// rules) and kept in network_catchments; a ping import only re-snaps cell
// centres, in Go. Points that are not stored sites (hand-added sites,
// cell-centre candidates) and every site when no roads are loaded or
// pgRouting is missing are measured by the radius.

// NetworkSettings turn network coverage on and say what is rideable.
type NetworkSettings struct {
	Enabled bool
	Rules   store.NetworkRules
	// SnapM is the farthest a cell centre or site may lie from the network
	// and still snap to it (300 m: from the middle of a ~400 m block).
	SnapM float64
}

// DefaultSnapM is NetworkSettings.SnapM's default.
const DefaultSnapM = 300

func networkSettings(cfg config.Config) NetworkSettings {
	return NetworkSettings{Enabled: cfg.Coverage == "network",
		Rules: store.NetworkRules{Exclude: cfg.NetworkExclude, Oneway: cfg.NetworkOneway}, SnapM: DefaultSnapM}
}

type catchKey struct {
	site   int64
	radius float64
}

// Network is the road network as one analysis uses it.
type Network struct {
	Batch    int64 // the road extract
	Rules    string
	verts    []store.NetVertex
	vix      *Index
	byVertex map[int64][]int32 // vertex → cells snapped to it
	catch    map[catchKey][]int64
	// Computed counts the catchments this analysis had to compute (the
	// others came from the table).
	Computed int
}

// snap returns the vertex nearest p within maxM metres and its distance.
func (n *Network) snap(p orb.Point, maxM float64) (int64, float64, bool) {
	best, bd := -1, math.Inf(1)
	n.vix.Within(p, maxM, func(i int) {
		if d := geo.Haversine(p, n.vix.pts[i]); d < bd || d == bd && n.verts[i].ID < n.verts[best].ID {
			best, bd = i, d
		}
	})
	if best < 0 {
		return 0, 0, false
	}
	return n.verts[best].ID, bd, true
}

// CatchmentVertices returns the vertices a site reaches with a radius, and
// whether the network holds its catchment.
func (n *Network) CatchmentVertices(siteID int64, radiusM float64) ([]int64, bool) {
	v, ok := n.catch[catchKey{siteID, radiusM}]
	return v, ok
}

// Within calls fn with every cell a site (or point) covers: by its network
// catchment when there is one, else by the straight-line radius.
func (a *Analysis) Within(p orb.Point, siteID int64, radiusM float64, fn func(i int)) {
	if a.Network != nil && siteID != 0 {
		if vs, ok := a.Network.catch[catchKey{siteID, radiusM}]; ok {
			for _, v := range vs {
				for _, c := range a.Network.byVertex[v] {
					fn(int(c))
				}
			}
			return
		}
	}
	a.Index.Within(p, radiusM, fn)
}

// Mode says how the analysis measured coverage: "network" or "radius".
func (a *Analysis) Mode() string {
	if a.Network != nil {
		return "network"
	}
	return "radius"
}

// network loads the road network for a (nil when network coverage is off,
// no roads are loaded or pgRouting is missing), snaps the cells and makes
// sure every site has its catchment.
func (e *Engine) network(ctx context.Context, a *Analysis) (*Network, error) {
	ns := e.set.Network
	if !ns.Enabled {
		return nil, nil
	}
	batch, err := e.st.OSMBatch(ctx)
	if err != nil || batch == 0 {
		return nil, err
	}
	if ok, err := e.st.HasPgRouting(ctx); err != nil || !ok {
		return nil, err
	}
	verts, err := e.st.NetworkVertices(ctx, batch, ns.Rules)
	if err != nil || len(verts) == 0 {
		return nil, err
	}
	n := &Network{Batch: batch, Rules: ns.Rules.Key(), verts: verts, byVertex: map[int64][]int32{}, catch: map[catchKey][]int64{}}
	pts := make([]orb.Point, len(verts))
	for i, v := range verts {
		pts[i] = orb.Point{v.Lng, v.Lat}
	}
	n.vix = NewIndex(pts, 200)
	for i, c := range a.Cells {
		if v, _, ok := n.snap(c.Center, ns.SnapM); ok {
			n.byVertex[v] = append(n.byVertex[v], int32(i))
		}
	}
	if err := e.catchments(ctx, n, a.Sites); err != nil {
		return nil, err
	}
	return n, nil
}

// catchments fills n.catch for every site, from the table or computed.
func (e *Engine) catchments(ctx context.Context, n *Network, sites []Site) error {
	ids := make([]int64, len(sites))
	for i, s := range sites {
		ids[i] = s.ID
	}
	cached, err := e.st.Catchments(ctx, n.Batch, n.Rules, ids)
	if err != nil {
		return err
	}
	have := map[catchKey]store.Catchment{}
	for _, c := range cached {
		have[catchKey{c.SiteID, c.RadiusM}] = c
	}
	type job struct {
		site   Site
		start  int64
		budget float64
	}
	byRadius := map[float64][]job{}
	var fresh []store.Catchment
	for _, s := range sites {
		r := e.set.Radius(s.Kind)
		k := catchKey{s.ID, r}
		if c, ok := have[k]; ok && c.Lng == s.Point[0] && c.Lat == s.Point[1] {
			n.catch[k] = c.Vertices
			continue
		}
		start, off, ok := n.snap(s.Point, e.set.Network.SnapM)
		if !ok || off >= r {
			// Too far from any rideable road: it reaches nothing.
			n.catch[k] = []int64{}
			fresh = append(fresh, store.Catchment{SiteID: s.ID, RadiusM: r, Lng: s.Point[0], Lat: s.Point[1],
				Reach: store.Reach{Vertices: []int64{}, Costs: []float64{}}})
			continue
		}
		byRadius[r] = append(byRadius[r], job{s, start, r - off})
	}
	radii := make([]float64, 0, len(byRadius))
	for r := range byRadius {
		radii = append(radii, r)
	}
	slices.Sort(radii)
	for _, r := range radii {
		jobs := byRadius[r]
		starts := make([]int64, 0, len(jobs))
		for _, j := range jobs {
			starts = append(starts, j.start)
		}
		slices.Sort(starts)
		starts = slices.Compact(starts)
		reach, err := e.st.DrivingDistance(ctx, n.Batch, e.set.Network.Rules, starts, r)
		if err != nil {
			return fmt.Errorf("network catchments: %w", err)
		}
		for _, j := range jobs {
			c := store.Catchment{SiteID: j.site.ID, RadiusM: r, Lng: j.site.Point[0], Lat: j.site.Point[1],
				Reach: store.Reach{Vertices: []int64{}, Costs: []float64{}}}
			if rc := reach[j.start]; rc != nil {
				for i, v := range rc.Vertices {
					if rc.Costs[i] <= j.budget {
						c.Vertices = append(c.Vertices, v)
						c.Costs = append(c.Costs, rc.Costs[i])
					}
				}
			} else {
				// pgRouting returns nothing for an isolated start vertex.
				c.Vertices, c.Costs = []int64{j.start}, []float64{0}
			}
			n.catch[catchKey{j.site.ID, r}] = c.Vertices
			fresh = append(fresh, c)
		}
	}
	n.Computed = len(fresh)
	if len(fresh) == 0 {
		return nil
	}
	return e.st.SaveCatchments(ctx, n.Batch, n.Rules, fresh)
}

// Catchment describes what one site covers, for the map.
type Catchment struct {
	Site    Site
	Mode    string  // network or radius
	RadiusM float64 // riding distance or straight-line radius
	Cells   int     // demand cells covered
	Demand  float64 // their demand (rider-hours, whole week)
	// Geometry: the network edges within reach (MultiLineString), or the
	// radius circle (Polygon).
	Geometry orb.Geometry
}

// SiteCatchment returns the catchment of a stored site on the current data.
func (e *Engine) SiteCatchment(ctx context.Context, siteID int64) (*Catchment, error) {
	return e.SiteCatchmentOf(ctx, func(s *Site) bool { return s.ID == siteID }, strconv.FormatInt(siteID, 10))
}

// SiteCatchmentOf is SiteCatchment of the site match picks (named name in
// the not-found error).
func (e *Engine) SiteCatchmentOf(ctx context.Context, match func(*Site) bool, name string) (*Catchment, error) {
	a, err := e.Analyze(ctx, Params{})
	if err != nil {
		return nil, err
	}
	var site *Site
	for i := range a.Sites {
		if match(&a.Sites[i]) {
			site = &a.Sites[i]
			break
		}
	}
	if site == nil {
		return nil, errs.Errorf(errs.NotFound, "no site %s", name)
	}
	r := e.set.Radius(site.Kind)
	c := &Catchment{Site: *site, Mode: a.Mode(), RadiusM: r}
	a.Within(site.Point, site.ID, r, func(i int) { c.Cells++; c.Demand += a.Cells[i].Demand })
	if vs, ok := a.Network.catchVertices(site.ID, r); ok {
		segs, err := e.st.CatchmentEdges(ctx, a.Network.Batch, vs)
		if err != nil {
			return nil, err
		}
		ml := make(orb.MultiLineString, 0, len(segs))
		for _, s := range segs {
			ml = append(ml, orb.LineString{{s[0], s[1]}, {s[2], s[3]}})
		}
		c.Geometry = ml
		return c, nil
	}
	c.Mode = "radius"
	c.Geometry = circle(site.Point, r, 64)
	return c, nil
}

func (n *Network) catchVertices(siteID int64, r float64) ([]int64, bool) {
	if n == nil {
		return nil, false
	}
	return n.CatchmentVertices(siteID, r)
}

// circle approximates the circle of radius m metres around p with n points.
func circle(p orb.Point, m float64, n int) orb.Polygon {
	ring := make(orb.Ring, 0, n+1)
	dLat := m / (orb.EarthRadius * math.Pi / 180)
	dLng := dLat / math.Cos(p[1]*math.Pi/180)
	for i := 0; i < n; i++ {
		t := 2 * math.Pi * float64(i) / float64(n)
		ring = append(ring, orb.Point{p[0] + dLng*math.Cos(t), p[1] + dLat*math.Sin(t)})
	}
	return orb.Polygon{append(ring, ring[0])}
}
