package siting

// The HTTP face of siting: what-ifs and saved scenarios.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Roles allowed to run siting what-ifs and read scenarios, and to save them.
var (
	SitingRoles = model.RolesWith(model.CapSiting)
	SaveRoles   = model.RolesWith(model.CapScenariosWrite)
)

// Routes returns the siting and scenario routes.
func (s *Service) Routes() []httpkit.Route {
	return []httpkit.Route{
		{Pattern: "POST /api/siting", Name: "siting", Handler: s.handleSiting, Roles: SitingRoles},
		{Pattern: "POST /api/scenarios", Name: "scenarios_save", Handler: s.handleSave, Roles: SaveRoles},
		{Pattern: "GET /api/scenarios", Name: "scenarios_list", Handler: s.handleList, Roles: SitingRoles},
		{Pattern: "GET /api/scenarios/{id}", Name: "scenarios_get", Handler: s.handleGet, Roles: SitingRoles},
		{Pattern: "GET /api/scenarios/{id}/compare", Name: "scenarios_compare", Handler: s.handleCompare, Roles: SitingRoles},
	}
}

func (s *Service) handleSiting(w http.ResponseWriter, r *http.Request) error {
	var req Request
	if err := httpkit.DecodeJSON(w, r, &req, MaxRequestSize); err != nil {
		return err
	}
	res, err := s.RunLimited(r.Context(), req)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, res)
}

// saveRequest is the body of POST /api/scenarios.
type saveRequest struct {
	Name    string          `json:"name"`
	Request json.RawMessage `json:"request"`
}

func (s *Service) handleSave(w http.ResponseWriter, r *http.Request) error {
	var body saveRequest
	if err := httpkit.DecodeJSON(w, r, &body, MaxRequestSize); err != nil {
		return err
	}
	name := strings.TrimSpace(body.Name)
	if name == "" || utf8.RuneCountInString(name) > MaxScenarioName {
		return badf("name: want 1 to %d characters", MaxScenarioName)
	}
	if len(body.Request) == 0 {
		return badf("request: missing (a siting request such as {\"k\": 5})")
	}
	var req Request
	if err := httpkit.UnmarshalJSON(body.Request, &req); err != nil {
		return err
	}
	res, err := s.RunLimited(r.Context(), req)
	if err != nil {
		return err
	}
	v := httpkit.ViewerFrom(r.Context())
	sc, _, err := s.save(r.Context(), name, v.Actor(), req, res)
	if err != nil {
		return err
	}
	// The audit trail records who saved which what-if; a failure to write
	// it does not undo the saved scenario.
	_ = s.Coverage.Store().Audit(r.Context(), v.Actor(), "scenario.save", strconv.FormatInt(sc.ID, 10),
		map[string]any{"name": sc.Name, "k": req.K})
	return httpkit.WriteJSON(w, http.StatusCreated, sc)
}

func (s *Service) handleList(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpkit.LimitParam(r.URL.Query(), 100, 1000)
	if err != nil {
		return err
	}
	scs, err := s.Coverage.Store().Scenarios(r.Context(), limit)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, scs)
}

func (s *Service) scenario(r *http.Request) (store.Scenario, error) {
	id, err := httpkit.IDParam(r, "id")
	if err != nil {
		return store.Scenario{}, errs.E(errs.Invalid, "scenario id: want a positive integer")
	}
	sc, err := s.Coverage.Store().Scenario(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return sc, errs.E(errs.NotFound, fmt.Sprintf("no scenario %d", id), err)
	}
	return sc, err
}

func (s *Service) handleGet(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scenario(r)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, sc)
}

func (s *Service) handleCompare(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.scenario(r)
	if err != nil {
		return err
	}
	cmp, err := s.Compare(r.Context(), sc)
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, http.StatusOK, cmp)
}
