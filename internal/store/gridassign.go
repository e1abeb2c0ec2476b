package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/errs"

	"github.com/jackc/pgx/v5"
)

// The statements behind internal/gridassign: grids, the evidence of each
// courier in each grid, assignments (proposals, acceptances, declines) and
// their audit rows. Proposals are serialized by one advisory lock so that the
// state a proposal is computed from cannot change before it is saved.

// ShortPIDLen is how many hex characters of a rider's pseudonym are shown
// (48 bits: a collision among 50,000 riders has odds of about 1 in 200,000).
const ShortPIDLen = 12

// ShortPID shortens a pseudonym for display and audit.
func ShortPID(pid string) string {
	if len(pid) > ShortPIDLen {
		return pid[:ShortPIDLen]
	}
	return pid
}

// ErrNotProposed is returned when an assignment is decided that is no longer
// proposed (already accepted, declined or withdrawn).
var ErrNotProposed = errs.E(errs.Conflict, "assignment is not open for a decision; only proposed assignments can be accepted or declined")

// assignLockKey serializes proposal writes (pg_advisory_xact_lock).
const assignLockKey = 0x6865786173736e // "hexassn"

// GridInfo is a community grid without its geometry; Bounds is its bounding
// box (minLng, minLat, maxLng, maxLat).
type GridInfo struct {
	Code          string     `json:"code"`
	Name          string     `json:"name"`
	CommunityCode string     `json:"community_code"`
	StreetCode    string     `json:"street_code"`
	DistrictCode  string     `json:"district_code"`
	Manager       string     `json:"manager"`
	Target        int        `json:"target"`
	Bounds        [4]float64 `json:"bounds"`
}

const gridInfoCols = `code, name, community_code, street_code, district_code, manager, target,
	ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)`

func scanGridInfos(rows pgx.Rows) ([]GridInfo, error) {
	var out []GridInfo
	var g GridInfo
	_, err := pgx.ForEachRow(rows, []any{&g.Code, &g.Name, &g.CommunityCode, &g.StreetCode, &g.DistrictCode, &g.Manager,
		&g.Target, &g.Bounds[0], &g.Bounds[1], &g.Bounds[2], &g.Bounds[3]}, func() error {
		out = append(out, g)
		return nil
	})
	return out, err
}

// GridByCode returns one grid, or ErrNotFound.
func (s *Store) GridByCode(ctx context.Context, code string) (GridInfo, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+gridInfoCols+` FROM grids WHERE code = $1`, code)
	if err != nil {
		return GridInfo{}, err
	}
	gs, err := scanGridInfos(rows)
	if err != nil {
		return GridInfo{}, err
	}
	if len(gs) == 0 {
		return GridInfo{}, ErrNotFound
	}
	return gs[0], nil
}

// SearchGrids returns up to limit grids whose code starts with q or whose
// name contains it (case-insensitive), exact code matches first.
func (s *Store) SearchGrids(ctx context.Context, q string, limit int) ([]GridInfo, error) {
	return s.SearchGridsIn(ctx, q, limit, nil)
}

// GridScope limits a grid search to grids by code, street or community
// (a grid manager's scope); nil: every grid.
type GridScope struct {
	Codes, Streets, Communities []string
}

// SearchGridsIn is SearchGrids within a scope (nil: everywhere), so that a
// grid manager is offered only grids he may open.
func (s *Store) SearchGridsIn(ctx context.Context, q string, limit int, sc *GridScope) ([]GridInfo, error) {
	pat := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
	var codes, streets, comms []string
	if sc != nil {
		codes, streets, comms = append([]string{}, sc.Codes...), append([]string{}, sc.Streets...), append([]string{}, sc.Communities...)
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+gridInfoCols+` FROM grids
		WHERE ($1 = '' OR code ILIKE $2 || '%' OR name ILIKE '%' || $2 || '%')
		AND (NOT $4 OR code = ANY($5::text[]) OR street_code = ANY($6::text[]) OR community_code = ANY($7::text[]))
		ORDER BY code <> $1, code LIMIT $3`, q, pat, limit, sc != nil, codes, streets, comms)
	if err != nil {
		return nil, err
	}
	return scanGridInfos(rows)
}

// GridGeometry returns a grid's outline as GeoJSON (nil when there is no
// such grid).
func (s *Store) GridGeometry(ctx context.Context, code string) ([]byte, error) {
	var g []byte
	err := s.Pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(geom, 7)::bytea FROM grids WHERE code = $1`, code).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("grid geometry: %w", err)
	}
	return g, nil
}

// ScopeName is the name of one entry of a viewer's scope.
type ScopeName struct {
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// ScopeNames names the entries of a scope ("street:CODE",
// "community:CODE", "district:CODE" or a grid code): the area's or the
// grid's name, by entry. Entries that name nothing are left out.
func (s *Store) ScopeNames(ctx context.Context, scope []string) (map[string]ScopeName, error) {
	out := map[string]ScopeName{}
	if len(scope) == 0 {
		return out, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT e, coalesce(a.name, g.name), coalesce(nullif(a.name_en, ''), g.name, '')
		FROM unnest($1::text[]) AS e
		LEFT JOIN admin_areas a ON position(':' IN e) > 0 AND a.level = split_part(e, ':', 1) AND a.code = split_part(e, ':', 2)
		LEFT JOIN grids g ON g.code = CASE WHEN position(':' IN e) > 0 AND split_part(e, ':', 1) = 'grid' THEN split_part(e, ':', 2)
			WHEN position(':' IN e) = 0 THEN e END
		WHERE a.code IS NOT NULL OR g.code IS NOT NULL`, scope)
	if err != nil {
		return nil, fmt.Errorf("scope names: %w", err)
	}
	var e string
	var n ScopeName
	_, err = pgx.ForEachRow(rows, []any{&e, &n.Name, &n.NameEn}, func() error { out[e] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("scope names: %w", err)
	}
	return out, nil
}

// GridSelection picks grids: by street, by community, by codes, or all.
// Exactly one should be set; the caller validates.
type GridSelection struct {
	Street    string
	Community string
	Codes     []string
	All       bool
}

// SelectGrids returns the selected grids ordered by code. Codes that do not
// exist are returned in missing.
func (s *Store) SelectGrids(ctx context.Context, sel GridSelection) (grids []GridInfo, missing []string, err error) {
	var rows pgx.Rows
	switch {
	case sel.All:
		rows, err = s.Pool.Query(ctx, `SELECT `+gridInfoCols+` FROM grids ORDER BY code`)
	case sel.Street != "":
		rows, err = s.Pool.Query(ctx, `SELECT `+gridInfoCols+` FROM grids WHERE street_code = $1 ORDER BY code`, sel.Street)
	case sel.Community != "":
		rows, err = s.Pool.Query(ctx, `SELECT `+gridInfoCols+` FROM grids WHERE community_code = $1 ORDER BY code`, sel.Community)
	default:
		rows, err = s.Pool.Query(ctx, `SELECT `+gridInfoCols+` FROM grids WHERE code = ANY($1) ORDER BY code`, sel.Codes)
	}
	if err != nil {
		return nil, nil, err
	}
	if grids, err = scanGridInfos(rows); err != nil {
		return nil, nil, err
	}
	if len(sel.Codes) > 0 && !sel.All && sel.Street == "" && sel.Community == "" {
		have := make(map[string]bool, len(grids))
		for _, g := range grids {
			have[g.Code] = true
		}
		for _, c := range sel.Codes {
			if !have[c] {
				missing = append(missing, c)
				have[c] = true
			}
		}
	}
	return grids, missing, nil
}

// EvidenceBasis is what is common to every courier's evidence: the number
// of local dates with any data, and the number of distinct range periods.
type EvidenceBasis struct {
	DaysTotal int
	Periods   int
}

// EvidenceBasis counts the days and range periods of the loaded data.
func (s *Store) EvidenceBasis(ctx context.Context) (EvidenceBasis, error) {
	var b EvidenceBasis
	err := s.Pool.QueryRow(ctx, `SELECT (SELECT count(DISTINCT day) FROM rider_days)::int,
		(SELECT count(DISTINCT period) FROM rider_ranges)::int`).Scan(&b.DaysTotal, &b.Periods)
	return b, err
}

// GridEvidence is one courier's activity in one grid. "In the grid" means in
// a range cell (resolution res) whose centre lies inside the grid polygon.
type GridEvidence struct {
	Grid  string
	Rider int64
	PID   string

	Seconds      float64 // rider seconds in the grid, all periods
	DwellSeconds float64 // dwell seconds in the grid, all periods
	// Days is, summed over periods, the most days the rider was seen in any
	// one cell of the grid: a lower bound of the days he was in the grid
	// (exact when he passes one of its cells every day he is there).
	Days int

	ActiveSeconds float64 // the rider's active seconds, all periods
	TotalDwell    float64 // the rider's dwell seconds, all periods
	Periods       int     // range periods of the rider
	// Stability is the mean, over consecutive periods a and b (by start), of
	// 1 − ½·Σ_cell |share_a − share_b|; 0 with a single period.
	Stability float64
}

// GridEvidence returns the evidence of every courier with time in any of the
// grids (codes), ordered by grid and rider. res is the range resolution.
func (s *Store) GridEvidence(ctx context.Context, codes []string, res int) ([]GridEvidence, error) {
	// A range's cells are arrays of its row sorted by cell; the ranges
	// touching the grids' cells are found by the GIN index on cells (&&).
	// Sums run in cell order, as they did over the former rider_cells
	// primary key. The CTEs are materialized: inlined, the planner re-ran
	// them per row. Stability is computed in Go (rangeStability).
	rows, err := s.Pool.Query(ctx, `WITH g AS (SELECT code, geom FROM grids WHERE code = ANY($1)),
		gc AS MATERIALIZED (SELECT g.code, h.cell FROM g JOIN hex_cells h ON h.res = $2 AND ST_Within(h.center, g.geom)),
		cand AS MATERIALIZED (SELECT rr.rider, rr.period, rr.cells, rr.cell_seconds, rr.cell_dwell_seconds, rr.cell_days
			FROM rider_ranges rr WHERE rr.cells && ARRAY(SELECT DISTINCT cell FROM gc)),
		ins AS (SELECT gc.code, c.rider, c.period, sum(c.cell_seconds[u.i]) AS s, sum(c.cell_dwell_seconds[u.i]) AS d,
				max(c.cell_days[u.i]) AS days
			FROM cand c CROSS JOIN LATERAL unnest(c.cells) WITH ORDINALITY AS u(cell, i)
			JOIN gc ON gc.cell = u.cell GROUP BY gc.code, c.rider, c.period),
		per AS MATERIALIZED (SELECT code, rider, sum(s) AS s, sum(d) AS d, sum(days)::int AS days FROM ins GROUP BY code, rider),
		rs AS (SELECT DISTINCT rider FROM per),
		tot AS MATERIALIZED (SELECT rr.rider, sum(rr.active_seconds) AS active, sum(rr.dwell_seconds) AS dwell, count(*)::int AS periods
			FROM rs JOIN rider_ranges rr ON rr.rider = rs.rider GROUP BY rr.rider)
		SELECT per.code, per.rider, r.pid, per.s, per.d, per.days, tot.active, tot.dwell, tot.periods
		FROM per JOIN riders r ON r.id = per.rider JOIN tot ON tot.rider = per.rider
		ORDER BY per.code, per.rider`, codes, int16(res))
	if err != nil {
		return nil, err
	}
	var out []GridEvidence
	var e GridEvidence
	_, err = pgx.ForEachRow(rows, []any{&e.Grid, &e.Rider, &e.PID, &e.Seconds, &e.DwellSeconds, &e.Days,
		&e.ActiveSeconds, &e.TotalDwell, &e.Periods}, func() error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var multi []int64 // riders with consecutive periods to compare
	seen := map[int64]bool{}
	for i := range out {
		if r := out[i].Rider; out[i].Periods > 1 && !seen[r] {
			seen[r] = true
			multi = append(multi, r)
		}
	}
	if len(multi) == 0 {
		return out, nil
	}
	stab, err := s.rangeStability(ctx, multi)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Stability = stab[out[i].Rider]
	}
	return out, nil
}

// rangeStability computes each rider's Stability (GridEvidence) from the
// share arrays of their periods, read in order of start: in Go, one pass
// over two sorted arrays per pair of periods, where the same sums in SQL
// (unnest and join per pair) were most of a grid's candidate list once
// riders have a month of periods.
func (s *Store) rangeStability(ctx context.Context, riders []int64) (map[int64]float64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT rider, cells, cell_share FROM rider_ranges WHERE rider = ANY($1)
		ORDER BY rider, from_ts, period`, riders)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]float64, len(riders))
	var (
		rider, cur    int64 = 0, -1
		cells, pcells []int64
		share, pshare []float64
		m, pm, sum    float64
		pairs         int
	)
	finish := func() {
		if pairs > 0 {
			out[cur] = sum / float64(pairs)
		}
	}
	_, err = pgx.ForEachRow(rows, []any{&rider, &cells, &share}, func() error {
		if len(cells) != len(share) {
			return fmt.Errorf("range of rider %d: %d cells but %d shares", rider, len(cells), len(share))
		}
		m = 0
		for _, x := range share {
			m += x
		}
		if rider != cur {
			finish()
			cur, sum, pairs = rider, 0, 0
		} else {
			// Σ|a−b| = Σa + Σb − 2·Σ_common min(a, b), the common cells
			// summed in cell order.
			var common float64
			for i, j := 0, 0; i < len(pcells) && j < len(cells); {
				switch {
				case pcells[i] < cells[j]:
					i++
				case pcells[i] > cells[j]:
					j++
				default:
					common += min(pshare[i], share[j])
					i, j = i+1, j+1
				}
			}
			sum += max(0, min(1, 1-0.5*(pm+m)+common))
			pairs++
		}
		pcells, pshare, pm = cells, share, m
		cells, share = nil, nil // scanned afresh: the previous period keeps its arrays
		return nil
	})
	if err != nil {
		return nil, err
	}
	finish()
	return out, nil
}

// AssignmentRow is one row of assignments with the rider's pseudonym.
type AssignmentRow struct {
	ID         int64
	ProposalID int64
	Grid       string
	Rider      int64
	PID        string
	Score      float64
	Status     string
	ProposedBy string
	ProposedAt time.Time
	DecidedBy  string     // "" while proposed
	DecidedAt  *time.Time // nil while proposed
}

const assignmentCols = `a.id, a.proposal_id, a.grid_code, a.rider, coalesce(r.pid, ''), a.score, a.status,
	a.proposed_by, a.proposed_at, coalesce(a.decided_by, ''), a.decided_at`

func scanAssignments(rows pgx.Rows) ([]AssignmentRow, error) {
	var out []AssignmentRow
	var a AssignmentRow
	_, err := pgx.ForEachRow(rows, []any{&a.ID, &a.ProposalID, &a.Grid, &a.Rider, &a.PID, &a.Score, &a.Status,
		&a.ProposedBy, &a.ProposedAt, &a.DecidedBy, &a.DecidedAt}, func() error {
		out = append(out, a)
		return nil
	})
	return out, err
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// AssignmentFilter selects assignment rows; zero fields do not filter.
type AssignmentFilter struct {
	Grids      []string
	ProposalID int64
	Statuses   []string
}

// Assignments returns the rows matching f, ordered by grid, score desc, id.
func (s *Store) Assignments(ctx context.Context, f AssignmentFilter) ([]AssignmentRow, error) {
	return assignments(ctx, s.Pool, f)
}

func assignments(ctx context.Context, q querier, f AssignmentFilter) ([]AssignmentRow, error) {
	grids, statuses := f.Grids, f.Statuses
	rows, err := q.Query(ctx, `SELECT `+assignmentCols+` FROM assignments a LEFT JOIN riders r ON r.id = a.rider
		WHERE ($1::text[] IS NULL OR a.grid_code = ANY($1)) AND ($2 = 0 OR a.proposal_id = $2)
			AND ($3::text[] IS NULL OR a.status = ANY($3))
		ORDER BY a.grid_code, a.score DESC, a.id`, grids, f.ProposalID, statuses)
	if err != nil {
		return nil, err
	}
	return scanAssignments(rows)
}

// AssignmentByID returns one assignment row, or ErrNotFound.
func (s *Store) AssignmentByID(ctx context.Context, id int64) (AssignmentRow, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+assignmentCols+` FROM assignments a LEFT JOIN riders r ON r.id = a.rider WHERE a.id = $1`, id)
	if err != nil {
		return AssignmentRow{}, err
	}
	got, err := scanAssignments(rows)
	if err != nil {
		return AssignmentRow{}, err
	}
	if len(got) == 0 {
		return AssignmentRow{}, ErrNotFound
	}
	return got[0], nil
}

// AssignState is what a new proposal is computed from: the open rows
// (proposed or accepted) of every grid and the declined (grid, rider) pairs.
type AssignState struct {
	Open     []AssignmentRow
	Declined []AssignmentRow
}

// NewAssignment is one proposed (grid, rider) pair with its score.
type NewAssignment struct {
	Grid  string
	Rider int64
	Score float64
}

// ProposeParams say which grids a proposal covers and who makes it.
type ProposeParams struct {
	Grids    []string
	Actor    string
	Reassign bool // also withdraw the accepted members of Grids (their seats reopen)
	DryRun   bool // compute everything, save nothing
}

// SavedProposal is the outcome of Propose.
type SavedProposal struct {
	ID        int64 // the proposal id: the id of its audit row (0 on a dry run)
	At        time.Time
	Rows      []AssignmentRow // the new proposed rows
	Withdrawn []AssignmentRow // open rows of the grids withdrawn first
}

// Propose saves a proposal in one transaction, holding the proposal lock:
// the still-proposed rows of the grids are withdrawn (superseded; with
// Reassign the accepted ones too), plan computes the new rows from the state
// left, they are inserted with status proposed, and detail (given the saved
// rows) becomes the detail of the proposal's audit row. Withdrawals and the
// proposal are audited with the actor; the assignments data version is
// bumped. On a dry run the transaction is rolled back.
func (s *Store) Propose(ctx context.Context, p ProposeParams,
	plan func(AssignState) ([]NewAssignment, error), detail func(SavedProposal) (any, error)) (SavedProposal, error) {
	var out SavedProposal
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(assignLockKey)); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO audit_log (actor, action, target) VALUES ($1, 'assign.propose', '')
			RETURNING id, at`, p.Actor).Scan(&out.ID, &out.At); err != nil {
			return err
		}
		statuses := []string{"proposed"}
		if p.Reassign {
			statuses = append(statuses, "accepted")
		}
		rows, err := tx.Query(ctx, `WITH w AS (UPDATE assignments SET status = 'withdrawn', decided_by = $3, decided_at = $4
				WHERE grid_code = ANY($1) AND status = ANY($2) RETURNING *)
			SELECT `+assignmentCols+` FROM w a LEFT JOIN riders r ON r.id = a.rider ORDER BY a.grid_code, a.id`,
			p.Grids, statuses, p.Actor, out.At)
		if err != nil {
			return err
		}
		if out.Withdrawn, err = scanAssignments(rows); err != nil {
			return err
		}
		if len(out.Withdrawn) > 0 {
			ids := make([]int64, len(out.Withdrawn))
			for i, a := range out.Withdrawn {
				ids[i] = a.ID
			}
			reason := "superseded by a new proposal"
			if p.Reassign {
				reason = "reassign: seats reopened by a new proposal"
			}
			d, _ := json.Marshal(map[string]any{"reason": reason, "assignments": ids})
			if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target, detail, at) VALUES ($1, 'assign.withdraw', $2, $3, $4)`,
				p.Actor, "proposal:"+strconv.FormatInt(out.ID, 10), d, out.At); err != nil {
				return err
			}
		}
		var st AssignState
		if st.Open, err = assignments(ctx, tx, AssignmentFilter{Statuses: []string{"proposed", "accepted"}}); err != nil {
			return err
		}
		if st.Declined, err = assignments(ctx, tx, AssignmentFilter{Statuses: []string{"declined"}}); err != nil {
			return err
		}
		news, err := plan(st)
		if err != nil {
			return err
		}
		if len(news) > 0 {
			gs, rs, sc := make([]string, len(news)), make([]int64, len(news)), make([]float64, len(news))
			for i, n := range news {
				gs[i], rs[i], sc[i] = n.Grid, n.Rider, n.Score
			}
			rows, err := tx.Query(ctx, `WITH n AS (INSERT INTO assignments (proposal_id, grid_code, rider, score, status, proposed_by, proposed_at)
					SELECT $1, g, r, s, 'proposed', $2, $3 FROM unnest($4::text[], $5::bigint[], $6::float8[]) AS u(g, r, s)
					RETURNING *)
				SELECT `+assignmentCols+` FROM n a LEFT JOIN riders r ON r.id = a.rider ORDER BY a.grid_code, a.score DESC, a.id`,
				out.ID, p.Actor, out.At, gs, rs, sc)
			if err != nil {
				return err
			}
			if out.Rows, err = scanAssignments(rows); err != nil {
				return fmt.Errorf("save proposal: %w", err)
			}
		}
		if p.DryRun {
			return errDryRun
		}
		d, err := detail(out)
		if err != nil {
			return err
		}
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE audit_log SET target = $2, detail = $3 WHERE id = $1`,
			out.ID, "proposal:"+strconv.FormatInt(out.ID, 10), b); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "assignments")
	})
	if errors.Is(err, errDryRun) {
		out.ID = 0
		for i := range out.Rows {
			out.Rows[i].ID, out.Rows[i].ProposalID = 0, 0
		}
		return out, nil
	}
	if err != nil {
		return SavedProposal{}, err
	}
	return out, nil
}

var errDryRun = errors.New("dry run: roll back")

// ProposalRecord is a saved proposal: its audit row and its rows now.
type ProposalRecord struct {
	ID     int64
	Actor  string
	At     time.Time
	Detail json.RawMessage
	Rows   []AssignmentRow
}

// Proposal returns a saved proposal, or ErrNotFound.
func (s *Store) Proposal(ctx context.Context, id int64) (ProposalRecord, error) {
	p := ProposalRecord{ID: id}
	err := s.Pool.QueryRow(ctx, `SELECT actor, at, detail FROM audit_log WHERE id = $1 AND action = 'assign.propose'`, id).
		Scan(&p.Actor, &p.At, &p.Detail)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, err
	}
	p.Rows, err = s.Assignments(ctx, AssignmentFilter{ProposalID: id})
	return p, err
}

// DecideAssignment moves a proposed assignment to status (accepted or
// declined), recording who decided and when, audits it and bumps the
// assignments data version. It returns ErrNotFound for an unknown id and
// ErrNotProposed (with the row as it is) when the row is not proposed.
func (s *Store) DecideAssignment(ctx context.Context, id int64, status, actor string) (AssignmentRow, error) {
	if status != "accepted" && status != "declined" {
		return AssignmentRow{}, fmt.Errorf("decide assignment: status %q is not accepted or declined", status)
	}
	var out AssignmentRow
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH u AS (UPDATE assignments SET status = $2, decided_by = $3, decided_at = now()
				WHERE id = $1 AND status = 'proposed' RETURNING *)
			SELECT `+assignmentCols+` FROM u a LEFT JOIN riders r ON r.id = a.rider`, id, status, actor)
		if err != nil {
			return err
		}
		got, err := scanAssignments(rows)
		if err != nil {
			return err
		}
		if len(got) == 0 {
			rows, err := tx.Query(ctx, `SELECT `+assignmentCols+` FROM assignments a LEFT JOIN riders r ON r.id = a.rider WHERE a.id = $1`, id)
			if err != nil {
				return err
			}
			cur, err := scanAssignments(rows)
			if err != nil {
				return err
			}
			if len(cur) == 0 {
				return ErrNotFound
			}
			out = cur[0]
			return ErrNotProposed
		}
		out = got[0]
		action := "assign.accept"
		if status == "declined" {
			action = "assign.decline"
		}
		d, err := json.Marshal(map[string]any{"assignment": out.ID, "proposal": out.ProposalID, "grid": out.Grid,
			"rider": ShortPID(out.PID), "score": out.Score})
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target, detail, at) VALUES ($1, $2, $3, $4, $5)`,
			actor, action, "assignment:"+strconv.FormatInt(out.ID, 10), d, *out.DecidedAt); err != nil {
			return err
		}
		return bumpVersion(ctx, tx, "assignments")
	})
	if errors.Is(err, ErrNotProposed) {
		return out, err
	}
	if err != nil {
		return AssignmentRow{}, err
	}
	return out, nil
}

// RosterMember is an accepted part-time grid member with his activity range
// over all periods: the convex hull of the period hulls (GeoJSON geometry;
// the centroid when no hull) and the active-time-weighted centroid.
type RosterMember struct {
	AssignmentRow
	GridName    string
	Range       json.RawMessage // GeoJSON geometry, null when the rider has no range
	CentroidLng float64
	CentroidLat float64
}

// Roster returns the accepted members of the grids, ordered by grid, score
// desc, id. With clip, each range is cut to the union of the grids
// (ST_Intersection) and the centroid is a point on that clipped range, so
// nothing of the member's activity outside them is returned (for grid
// managers, who may see only their scope).
func (s *Store) Roster(ctx context.Context, grids []string, clip bool) ([]RosterMember, error) {
	rows, err := s.Pool.Query(ctx, `WITH scope AS (SELECT ST_Union(geom) AS geom FROM grids WHERE code = ANY($1))
		SELECT `+assignmentCols+`, g.name, ST_AsEWKB(cl.geom),
			coalesce(ST_X(cl.pt), 0), coalesce(ST_Y(cl.pt), 0)
		FROM assignments a JOIN grids g ON g.code = a.grid_code LEFT JOIN riders r ON r.id = a.rider
		LEFT JOIN LATERAL (SELECT ST_ConvexHull(ST_Collect(coalesce(rr.hull, rr.centroid))) AS hull,
				sum(ST_X(rr.centroid) * greatest(rr.active_seconds, 1)) / sum(greatest(rr.active_seconds, 1)) AS lng,
				sum(ST_Y(rr.centroid) * greatest(rr.active_seconds, 1)) / sum(greatest(rr.active_seconds, 1)) AS lat
			FROM rider_ranges rr WHERE rr.rider = a.rider HAVING count(*) > 0) rg ON true
		LEFT JOIN LATERAL (SELECT x.geom, CASE WHEN $2 THEN ST_PointOnSurface(nullif(x.geom, 'GEOMETRYCOLLECTION EMPTY'))
				ELSE ST_SetSRID(ST_MakePoint(rg.lng, rg.lat), 4326) END AS pt
			FROM (SELECT CASE WHEN $2 THEN ST_Intersection(rg.hull, scope.geom) ELSE rg.hull END AS geom FROM scope) x) cl ON rg.hull IS NOT NULL
		WHERE a.grid_code = ANY($1) AND a.status = 'accepted'
		ORDER BY a.grid_code, a.score DESC, a.id`, grids, clip)
	if err != nil {
		return nil, err
	}
	var out []RosterMember
	var m RosterMember
	var ewkb []byte
	a := &m.AssignmentRow
	_, err = pgx.ForEachRow(rows, []any{&a.ID, &a.ProposalID, &a.Grid, &a.Rider, &a.PID, &a.Score, &a.Status,
		&a.ProposedBy, &a.ProposedAt, &a.DecidedBy, &a.DecidedAt, &m.GridName, &ewkb, &m.CentroidLng, &m.CentroidLat}, func() error {
		r := m
		g, err := geo.EWKBToGeoJSON(ewkb)
		if err != nil {
			return fmt.Errorf("roster range of assignment %d: %w", a.ID, err)
		}
		if g == nil {
			g = json.RawMessage("null")
		}
		r.Range = g
		out = append(out, r)
		return nil
	})
	return out, err
}
