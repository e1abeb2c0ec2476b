package gridassign

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hexcover/hexcover/internal/csvsafe"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
)

// The HTTP face of grid members. Handlers parse, check the viewer in one
// place (allow), call the Service, and write JSON, CSV or GeoJSON.

// MaxBody is the largest request body accepted.
const MaxBody = 64 << 10

// Routes returns the routes of grid members for server.New.
func Routes(svc *Service) []httpkit.Route {
	h := &handlers{svc: svc}
	return []httpkit.Route{
		{Pattern: "GET /api/grids", Name: "grids", Handler: h.searchGrids},
		{Pattern: "GET /api/grids/{code}", Name: "grid", Handler: h.grid},
		{Pattern: "GET /api/grids/{code}/candidates", Name: "grid_candidates", Handler: h.candidates},
		{Pattern: "GET /api/grids/{code}/roster.csv", Name: "grid_roster_csv", Handler: h.rosterCSV},
		{Pattern: "GET /api/grids/{code}/roster.geojson", Name: "grid_roster_geojson", Handler: h.rosterGeoJSON},
		{Pattern: "GET /api/roster.csv", Name: "roster_csv", Handler: h.rosterCSV},
		{Pattern: "POST /api/assignments", Name: "assignments_propose", Handler: h.propose},
		{Pattern: "GET /api/assignments/{proposal}", Name: "assignments_proposal", Handler: h.proposal},
		{Pattern: "POST /api/assignments/{id}/accept", Name: "assignments_accept", Handler: h.decide(true)},
		{Pattern: "POST /api/assignments/{id}/decline", Name: "assignments_decline", Handler: h.decide(false)},
	}
}

type handlers struct{ svc *Service }

// Actions checked by allow.
const (
	actionRead    = "read"    // grids, candidates, proposals, rosters
	actionPropose = "propose" // create a proposal
	actionDecide  = "decide"  // accept or decline
)

// readerOf is the viewer as a reader of rider-level figures: exact for
// admins, the grid manager's view otherwise, audited under his name.
func readerOf(v model.Viewer) Reader { return Reader{Actor: v.Actor(), Exact: v.Admin()} }

// allow is the one place that decides whether v may do action on the grids.
// Listing grids (no rider data) is open to every role. Everything about
// couriers — candidates, proposals, decisions, rosters — is rider-level
// data: admins anywhere, grid managers only inside their scope (PIPL Art.
// 51); planners and district leaders see aggregates only.
func allow(v model.Viewer, action string, grids ...GridView) error {
	if action == actionRead && len(grids) == 0 {
		return nil
	}
	if len(grids) == 0 && !v.Admin() {
		return errs.E(errs.Forbidden)
	}
	for _, g := range grids {
		if !v.CanGrid(g.Code, g.StreetCode, g.CommunityCode) {
			return errs.E(errs.Forbidden)
		}
	}
	return nil
}

func (h *handlers) searchGrids(w http.ResponseWriter, r *http.Request) error {
	if err := allow(httpkit.ViewerFrom(r.Context()), actionRead); err != nil {
		return err
	}
	limit, err := httpkit.LimitParam(r.URL.Query(), 50, MaxLimit)
	if err != nil {
		return err
	}
	gs, err := h.svc.SearchGridsFor(r.Context(), r.URL.Query().Get("q"), limit, httpkit.ViewerFrom(r.Context()))
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, map[string]any{"grids": gs})
}

func (h *handlers) grid(w http.ResponseWriter, r *http.Request) error {
	g, err := h.svc.Grid(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	v := httpkit.ViewerFrom(r.Context())
	if err := allow(v, actionRead, g); err != nil {
		return err
	}
	d, err := h.svc.GridDetail(r.Context(), g.Code)
	if err != nil {
		return err
	}
	if !v.Admin() {
		d = d.ForManager()
	}
	return httpkit.WriteJSON(w, http.StatusOK, d)
}

func (h *handlers) candidates(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpkit.LimitParam(r.URL.Query(), DefaultLimit, MaxLimit)
	if err != nil {
		return err
	}
	g, err := h.svc.Grid(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	v := httpkit.ViewerFrom(r.Context())
	if err := allow(v, actionRead, g); err != nil {
		return err
	}
	list, err := h.svc.CandidatesFor(r.Context(), readerOf(v), g.Code, limit)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpkit.WriteJSON(w, http.StatusOK, list)
}

func (h *handlers) propose(w http.ResponseWriter, r *http.Request) error {
	var req ProposeRequest
	if err := httpkit.DecodeJSON(w, r, &req, MaxBody); err != nil {
		return err
	}
	v := httpkit.ViewerFrom(r.Context())
	grids, err := h.svc.Selected(r.Context(), req)
	if err != nil {
		return err
	}
	if err := allow(v, actionPropose, grids...); err != nil {
		return err
	}
	res, err := h.svc.Propose(r.Context(), req, v.Actor())
	if err != nil {
		return err
	}
	code := http.StatusCreated
	if req.DryRun {
		code = http.StatusOK
	} else {
		w.Header().Set("Location", "/api/assignments/"+strconv.FormatInt(res.ProposalID, 10))
	}
	if !v.Admin() {
		return httpkit.WriteJSON(w, code, res.ForManager())
	}
	return httpkit.WriteJSON(w, code, res)
}

func (h *handlers) proposal(w http.ResponseWriter, r *http.Request) error {
	id, err := httpkit.IDParam(r, "proposal")
	if err != nil {
		return err
	}
	v := httpkit.ViewerFrom(r.Context())
	p, err := h.svc.ProposalFor(r.Context(), readerOf(v), id, func(gs []GridView) error { return allow(v, actionRead, gs...) })
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, p)
}

func (h *handlers) decide(accept bool) httpkit.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := httpkit.IDParam(r, "id")
		if err != nil {
			return err
		}
		if r.ContentLength > MaxBody {
			return errs.E(errs.TooLarge, "request body larger than 64 KiB")
		}
		g, err := h.svc.AssignmentGrid(r.Context(), id)
		if err != nil {
			return err
		}
		v := httpkit.ViewerFrom(r.Context())
		if err := allow(v, actionDecide, g); err != nil {
			return err
		}
		m, err := h.svc.Decide(r.Context(), id, accept, v.Actor())
		if err != nil {
			return err
		}
		if !v.Admin() {
			m = m.forManager()
		}
		return httpkit.WriteJSON(w, http.StatusOK, m)
	}
}

// rosterCSV serves /api/grids/{code}/roster.csv and /api/roster.csv?street=.
func (h *handlers) rosterCSV(w http.ResponseWriter, r *http.Request) error {
	code, street := r.PathValue("code"), ""
	name := code
	v := httpkit.ViewerFrom(r.Context())
	if code == "" {
		street = r.URL.Query().Get("street")
		if street == "" {
			return errs.E(errs.Invalid, "street: give street=CODE")
		}
		name = "street-" + street
		if err := allow(v, actionRead, GridView{StreetCode: street}); err != nil {
			return err
		}
	} else {
		g, err := h.svc.Grid(r.Context(), code)
		if err != nil {
			return err
		}
		if err := allow(v, actionRead, g); err != nil {
			return err
		}
	}
	rs, err := h.svc.RosterFor(r.Context(), readerOf(v), code, street)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteRosterCSV(&buf, rs); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="roster-`+safeName(name)+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// RosterCSVHeader is the header row of the roster CSV.
var RosterCSVHeader = []string{"grid_code", "grid_name", "rider", "score", "accepted_at", "accepted_by", "assignment_id", "proposal_id", "centroid_lng", "centroid_lat"}

// WriteRosterCSV writes the roster as CSV (UTF-8, header row), with text
// cells that a spreadsheet would run as formulas neutralized (csvsafe); the
// score column is empty where it is withheld (grid managers).
func WriteRosterCSV(w io.Writer, rs []RosterEntry) error {
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(RosterCSVHeader); err != nil {
		return err
	}
	for _, e := range rs {
		score := ""
		if e.Score > 0 {
			score = strconv.FormatFloat(e.Score, 'f', 2, 64)
		}
		err := cw.Write([]string{e.Grid, e.GridName, e.Rider, score,
			e.AcceptedAt.UTC().Format(time.RFC3339), e.AcceptedBy, strconv.FormatInt(e.AssignmentID, 10),
			strconv.FormatInt(e.ProposalID, 10), strconv.FormatFloat(e.Centroid[0], 'f', 6, 64), strconv.FormatFloat(e.Centroid[1], 'f', 6, 64)})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (h *handlers) rosterGeoJSON(w http.ResponseWriter, r *http.Request) error {
	g, err := h.svc.Grid(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	v := httpkit.ViewerFrom(r.Context())
	if err := allow(v, actionRead, g); err != nil {
		return err
	}
	rs, err := h.svc.RosterFor(r.Context(), readerOf(v), g.Code, "")
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/geo+json")
	return json.NewEncoder(w).Encode(RosterGeoJSON(rs))
}

// RosterFeature is one member in the roster GeoJSON: his activity range
// (hull over all periods) with the roster fields as properties.
type RosterFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties RosterEntry     `json:"properties"`
}

// RosterCollection is the roster as a GeoJSON FeatureCollection.
type RosterCollection struct {
	Type     string          `json:"type"`
	Features []RosterFeature `json:"features"`
}

// RosterGeoJSON builds the GeoJSON roster.
func RosterGeoJSON(rs []RosterEntry) RosterCollection {
	fc := RosterCollection{Type: "FeatureCollection", Features: make([]RosterFeature, 0, len(rs))}
	for _, e := range rs {
		g := e.Range
		if len(g) == 0 {
			g = json.RawMessage("null")
		}
		fc.Features = append(fc.Features, RosterFeature{Type: "Feature", Geometry: g, Properties: e})
	}
	return fc
}

// safeName keeps a file name to letters, digits, '-' and '_'.
func safeName(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '_'
	}, s)
}
