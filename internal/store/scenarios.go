package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Scenario is a saved siting what-if: the request that produced it and its
// result, both as JSON owned by the siting package.
type Scenario struct {
	ID        int64           `json:"id"`
	Name      string          `json:"name"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
	Params    json.RawMessage `json:"request"`
	Result    json.RawMessage `json:"result,omitempty"`
}

// SaveScenario stores a scenario and returns it with its id and time.
func (s *Store) SaveScenario(ctx context.Context, name, createdBy string, params, result json.RawMessage) (Scenario, error) {
	sc := Scenario{Name: name, CreatedBy: createdBy, Params: params, Result: result}
	err := s.Pool.QueryRow(ctx, `INSERT INTO scenarios (name, created_by, params, result) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at`, name, createdBy, []byte(params), []byte(result)).Scan(&sc.ID, &sc.CreatedAt)
	if err != nil {
		return Scenario{}, fmt.Errorf("save scenario: %w", err)
	}
	return sc, nil
}

// Scenarios lists saved scenarios, newest first, without their results.
func (s *Store) Scenarios(ctx context.Context, limit int) ([]Scenario, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, name, created_by, created_at, params FROM scenarios ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	out := []Scenario{}
	var sc Scenario
	var params []byte
	_, err = pgx.ForEachRow(rows, []any{&sc.ID, &sc.Name, &sc.CreatedBy, &sc.CreatedAt, &params}, func() error {
		sc.Params = json.RawMessage(append([]byte(nil), params...))
		out = append(out, sc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return out, nil
}

// Scenario returns one saved scenario with its result, or ErrNotFound.
func (s *Store) Scenario(ctx context.Context, id int64) (Scenario, error) {
	sc := Scenario{ID: id}
	var params, result []byte
	err := s.Pool.QueryRow(ctx, `SELECT name, created_by, created_at, params, result FROM scenarios WHERE id = $1`, id).
		Scan(&sc.Name, &sc.CreatedBy, &sc.CreatedAt, &params, &result)
	if errors.Is(err, pgx.ErrNoRows) {
		return Scenario{}, ErrNotFound
	}
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario %d: %w", id, err)
	}
	sc.Params, sc.Result = params, result
	return sc, nil
}
