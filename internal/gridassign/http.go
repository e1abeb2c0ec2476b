package gridassign

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hexcover/hexcover/internal/server"
)

// The HTTP face of grid members. Handlers parse, check the viewer in one
// place (allow), call the Service, and write JSON, CSV or GeoJSON.

// MaxBody is the largest request body accepted.
const MaxBody = 64 << 10

// Routes returns the routes of grid members for server.New.
func Routes(svc *Service) []server.Route {
	h := &handlers{svc: svc}
	return []server.Route{
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

// Viewer is who makes a request: the authenticated token's role and scope.
type Viewer struct {
	Actor string
	Role  string
	Scope []string // grid codes, "street:CODE" or "community:CODE"
	sv    server.Viewer
}

// Actions checked by allow.
const (
	actionRead    = "read"    // grids, candidates, proposals, rosters
	actionPropose = "propose" // create a proposal
	actionDecide  = "decide"  // accept or decline
)

// viewerOf reads the viewer the server authenticated.
func viewerOf(r *http.Request) Viewer {
	sv := server.ViewerFrom(r.Context())
	return Viewer{Actor: sv.Actor(), Role: sv.Role, Scope: sv.Scope, sv: sv}
}

// allow is the one place that decides whether v may do action on the grids.
// Listing grids (no rider data) is open to every role. Everything about
// couriers — candidates, proposals, decisions, rosters — is rider-level
// data: admins anywhere, grid managers only inside their scope (PIPL Art.
// 51); planners and district leaders see aggregates only.
func allow(v Viewer, action string, grids ...GridView) error {
	if action == actionRead && len(grids) == 0 {
		return nil
	}
	if len(grids) == 0 && !v.sv.Admin() {
		return server.Forbidden()
	}
	for _, g := range grids {
		if !v.sv.CanGrid(g.Code, g.StreetCode, g.CommunityCode) {
			return server.Forbidden()
		}
	}
	return nil
}

// httpErr maps service errors to HTTP errors.
func httpErr(err error) error {
	var in *InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &in):
		return server.BadRequest(in.Msg)
	case errors.Is(err, ErrNotFound):
		return server.NotFound(err.Error())
	case errors.Is(err, ErrNotProposed):
		return &server.Error{Status: http.StatusConflict, Msg: err.Error() + "; only proposed assignments can be accepted or declined"}
	case errors.Is(err, ErrBusy):
		return server.Unavailable(err.Error(), 5*time.Second)
	}
	return err
}

func (h *handlers) searchGrids(w http.ResponseWriter, r *http.Request) error {
	if err := allow(viewerOf(r), actionRead); err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 50, 1, MaxLimit)
	if err != nil {
		return err
	}
	gs, err := h.svc.SearchGrids(r.Context(), r.URL.Query().Get("q"), limit)
	if err != nil {
		return httpErr(err)
	}
	return server.WriteJSON(w, http.StatusOK, map[string]any{"grids": gs})
}

func (h *handlers) grid(w http.ResponseWriter, r *http.Request) error {
	g, err := h.svc.Grid(r.Context(), r.PathValue("code"))
	if err != nil {
		return httpErr(err)
	}
	if err := allow(viewerOf(r), actionRead, g); err != nil {
		return err
	}
	d, err := h.svc.GridDetail(r.Context(), g.Code)
	if err != nil {
		return httpErr(err)
	}
	return server.WriteJSON(w, http.StatusOK, d)
}

func (h *handlers) candidates(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", DefaultLimit, 1, MaxLimit)
	if err != nil {
		return err
	}
	g, err := h.svc.Grid(r.Context(), r.PathValue("code"))
	if err != nil {
		return httpErr(err)
	}
	if err := allow(viewerOf(r), actionRead, g); err != nil {
		return err
	}
	list, err := h.svc.Candidates(r.Context(), g.Code, limit)
	if err != nil {
		return httpErr(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return server.WriteJSON(w, http.StatusOK, list)
}

func (h *handlers) propose(w http.ResponseWriter, r *http.Request) error {
	var req ProposeRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	v := viewerOf(r)
	grids, err := h.svc.Selected(r.Context(), req)
	if err != nil {
		return httpErr(err)
	}
	if err := allow(v, actionPropose, grids...); err != nil {
		return err
	}
	res, err := h.svc.Propose(r.Context(), req, v.Actor)
	if err != nil {
		return httpErr(err)
	}
	code := http.StatusCreated
	if req.DryRun {
		code = http.StatusOK
	} else {
		w.Header().Set("Location", "/api/assignments/"+strconv.FormatInt(res.ProposalID, 10))
	}
	return server.WriteJSON(w, code, res)
}

func (h *handlers) proposal(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "proposal")
	if err != nil {
		return err
	}
	p, err := h.svc.Proposal(r.Context(), id)
	if err != nil {
		return httpErr(err)
	}
	gs := make([]GridView, len(p.Grids))
	for i, g := range p.Grids {
		gs[i] = g.Grid
	}
	if err := allow(viewerOf(r), actionRead, gs...); err != nil {
		return err
	}
	return server.WriteJSON(w, http.StatusOK, p)
}

func (h *handlers) decide(accept bool) server.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := idParam(r, "id")
		if err != nil {
			return err
		}
		if r.ContentLength > MaxBody {
			return &server.Error{Status: http.StatusRequestEntityTooLarge, Msg: "request body over 64 KiB"}
		}
		g, err := h.svc.AssignmentGrid(r.Context(), id)
		if err != nil {
			return httpErr(err)
		}
		v := viewerOf(r)
		if err := allow(v, actionDecide, g); err != nil {
			return err
		}
		m, err := h.svc.Decide(r.Context(), id, accept, v.Actor)
		if err != nil {
			return httpErr(err)
		}
		return server.WriteJSON(w, http.StatusOK, m)
	}
}

// rosterCSV serves /api/grids/{code}/roster.csv and /api/roster.csv?street=.
func (h *handlers) rosterCSV(w http.ResponseWriter, r *http.Request) error {
	code, street := r.PathValue("code"), ""
	name := code
	v := viewerOf(r)
	if code == "" {
		street = r.URL.Query().Get("street")
		if street == "" {
			return server.BadRequest("give street=CODE")
		}
		name = "street-" + street
		if err := allow(v, actionRead, GridView{StreetCode: street}); err != nil {
			return err
		}
	} else {
		g, err := h.svc.Grid(r.Context(), code)
		if err != nil {
			return httpErr(err)
		}
		if err := allow(v, actionRead, g); err != nil {
			return err
		}
	}
	rs, err := h.svc.Roster(r.Context(), code, street)
	if err != nil {
		return httpErr(err)
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

// WriteRosterCSV writes the roster as CSV (UTF-8, header row).
func WriteRosterCSV(w io.Writer, rs []RosterEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RosterCSVHeader); err != nil {
		return err
	}
	for _, e := range rs {
		err := cw.Write([]string{e.Grid, e.GridName, e.Rider, strconv.FormatFloat(e.Score, 'f', 2, 64),
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
		return httpErr(err)
	}
	if err := allow(viewerOf(r), actionRead, g); err != nil {
		return err
	}
	rs, err := h.svc.Roster(r.Context(), g.Code, "")
	if err != nil {
		return httpErr(err)
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

// decodeBody reads a JSON body of at most MaxBody bytes into v, refusing
// unknown fields and trailing data.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &server.Error{Status: http.StatusRequestEntityTooLarge, Msg: "request body over 64 KiB"}
		}
		if errors.Is(err, io.EOF) {
			return server.BadRequest("empty request body; send a JSON object")
		}
		return server.BadRequest("invalid JSON body: " + err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return server.BadRequest("invalid JSON body: data after the object")
	}
	return nil
}

func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, server.BadRequest(fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}

func idParam(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, server.BadRequest(name + " must be a positive integer id")
	}
	return n, nil
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
