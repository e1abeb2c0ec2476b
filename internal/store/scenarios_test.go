package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

func TestScenarios(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	sc, err := st.SaveScenario(ctx, "两个新站", "planner:ann", json.RawMessage(`{"k": 2}`), json.RawMessage(`{"covered_after": 12.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if sc.ID == 0 || sc.CreatedAt.IsZero() {
		t.Fatalf("saved %+v", sc)
	}
	if _, err := st.SaveScenario(ctx, "second", "", json.RawMessage(`{"k": 3}`), json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	list, err := st.Scenarios(ctx, 10)
	if err != nil || len(list) != 2 || list[1].ID != sc.ID || list[0].Name != "second" || list[1].Result != nil {
		t.Fatalf("Scenarios = %+v, %v; want newest first, without results", list, err)
	}
	got, err := st.Scenario(ctx, sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		CoveredAfter float64 `json:"covered_after"`
	}
	if err := json.Unmarshal(got.Result, &res); err != nil || res.CoveredAfter != 12.5 || got.Name != "两个新站" || got.CreatedBy != "planner:ann" {
		t.Errorf("Scenario = %+v (%s), %v", got, got.Result, err)
	}
	if _, err := st.Scenario(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing scenario: %v, want ErrNotFound", err)
	}
}
