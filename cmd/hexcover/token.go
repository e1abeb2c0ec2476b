package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

func runToken(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "hexcover token create --name NAME --role admin|planner|leader|grid_manager [--scope CODE,street:CODE,community:CODE]")
		fmt.Fprintln(e.stdout, "hexcover token revoke ID|NAME")
		fmt.Fprintln(e.stdout, "hexcover token list [--json]")
		if len(args) == 0 {
			return usageError{"want create, revoke or list"}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlags(e, "token "+sub, "", "manage API tokens (stored hashed; the secret is shown once)")
	name := fs.String("name", "", "a name for the token (who holds it)")
	role := fs.String("role", "", "admin, planner, leader or grid_manager")
	scope := fs.String("scope", "", "grid_manager only: comma-separated grid codes, street:CODE or community:CODE")
	asJSON := fs.Bool("json", false, "print JSON")
	e.cfg.BindFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		if *name == "" || *role == "" || len(pos) > 0 {
			return usageError{"token create needs --name and --role"}
		}
	case "revoke":
		if len(pos) != 1 {
			return usageError{"token revoke needs one token id or name"}
		}
	case "list":
	default:
		return usageError{fmt.Sprintf("unknown token command %q: want create, revoke or list", sub)}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "create":
		var sc []string
		for _, s := range strings.Split(*scope, ",") {
			if s = strings.TrimSpace(s); s != "" {
				sc = append(sc, s)
			}
		}
		secret, err := store.NewTokenSecret()
		if err != nil {
			return err
		}
		t, err := st.CreateToken(ctx, *name, *role, sc, secret)
		if err != nil {
			return err
		}
		_ = st.Audit(ctx, "cli", "token.create", t.Name, map[string]any{"role": t.Role, "scope": t.Scope})
		fmt.Fprintf(e.stdout, "%s\n", secret)
		fmt.Fprintf(e.stderr, "token %d (%s, %s) created; the secret above is shown only now\n", t.ID, t.Name, t.Role)
	case "revoke":
		if err := st.RevokeToken(ctx, pos[0]); err != nil {
			if err == store.ErrNotFound {
				return fmt.Errorf("no live token with id or name %q", pos[0])
			}
			return err
		}
		_ = st.Audit(ctx, "cli", "token.revoke", pos[0], nil)
		fmt.Fprintf(e.stdout, "revoked %s\n", pos[0])
	case "list":
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			return json.NewEncoder(e.stdout).Encode(ts)
		}
		fmt.Fprintf(e.stdout, "%-5s %-20s %-13s %-8s %s\n", "id", "name", "role", "state", "scope")
		for _, t := range ts {
			state := "live"
			if t.RevokedAt != nil {
				state = "revoked"
			}
			fmt.Fprintf(e.stdout, "%-5d %-20s %-13s %-8s %s\n", t.ID, t.Name, t.Role, state, strings.Join(t.Scope, ","))
		}
	}
	return nil
}

// createDemoTokens makes one fresh random token per role for the demo
// city, revoking the previous load's, stores them for the map's demo
// logins (GET /api/demo-logins, HEXCOVER_DEMO_LOGIN=on) and prints them
// once.
func createDemoTokens(ctx context.Context, e *env, st *store.Store, gridScope string) error {
	var ls []store.DemoLogin
	for _, role := range model.Roles {
		var scope []string
		if role == model.RoleGridManager {
			scope = []string{gridScope}
		}
		tok, err := store.NewTokenSecret()
		if err != nil {
			return err
		}
		ls = append(ls, store.DemoLogin{Role: role, Token: tok, Scope: scope})
	}
	if err := st.ReplaceDemoLogins(ctx, ls); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "demo tokens (Authorization: Bearer <token>; new on every demo load):")
	for _, l := range ls {
		fmt.Fprintf(e.stdout, "  %-13s %s %s\n", l.Role, l.Token, strings.Join(l.Scope, ","))
	}
	return nil
}
