package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// SessionToken is the token behind a live session.
type SessionToken struct {
	Token
	ExpiresAt time.Time // absolute expiry of the session
}

// CreateSession stores a session for token id tokenID under the hash of
// its id (HashToken), dying at expires; it also deletes sessions that are
// past their absolute expiry or idle longer than idle.
func (s *Store) CreateSession(ctx context.Context, idHash string, tokenID int64, expires time.Time, idle time.Duration) error {
	if _, err := s.Pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= now() OR last_seen <= now() - make_interval(secs => $1)`,
		idle.Seconds()); err != nil {
		return err
	}
	_, err := s.Pool.Exec(ctx, `INSERT INTO sessions (id_hash, token_id, expires_at) VALUES ($1, $2, $3)`, idHash, tokenID, expires)
	return err
}

// TouchSession returns the live token of the session whose id hashes to
// idHash and marks the session used now. A session is live when its token
// is not revoked, it is before its absolute expiry and it was used within
// idle. ErrNotFound otherwise.
func (s *Store) TouchSession(ctx context.Context, idHash string, idle time.Duration) (*SessionToken, error) {
	var t SessionToken
	err := s.Pool.QueryRow(ctx, `UPDATE sessions s SET last_seen = now()
		FROM api_tokens t
		WHERE s.id_hash = $1 AND t.id = s.token_id AND t.revoked_at IS NULL
		  AND s.expires_at > now() AND s.last_seen > now() - make_interval(secs => $2)
		RETURNING t.id, t.name, t.role, t.scope, t.created_at, s.expires_at`, idHash, idle.Seconds()).
		Scan(&t.ID, &t.Name, &t.Role, &t.Scope, &t.CreatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteSession ends the session whose id hashes to idHash (logout); no
// error when there is none.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.Pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return err
}

// DemoLogin is one of the demo city's login tokens.
type DemoLogin struct {
	Role  string   `json:"role"`
	Token string   `json:"token"`
	Scope []string `json:"scope"`
}

// ReplaceDemoLogins revokes the demo tokens of an earlier load (their
// sessions die with them), creates one fresh token per login (named
// "demo-ROLE") and stores the logins' plain text for DemoLogins, all in
// one transaction.
func (s *Store) ReplaceDemoLogins(ctx context.Context, logins []DemoLogin) error {
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = now()
			WHERE revoked_at IS NULL AND token_hash IN (SELECT encode(sha256(convert_to(token, 'UTF8')), 'hex') FROM demo_logins)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM demo_logins`); err != nil {
			return err
		}
		for _, l := range logins {
			scope := l.Scope
			if scope == nil {
				scope = []string{}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_tokens (name, token_hash, role, scope) VALUES ($1, $2, $3, $4)`,
				"demo-"+l.Role, HashToken(l.Token), l.Role, scope); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO demo_logins (role, token, scope) VALUES ($1, $2, $3)`, l.Role, l.Token, scope); err != nil {
				return err
			}
		}
		return nil
	})
}

// DemoLogins returns the demo logins whose tokens are still live.
func (s *Store) DemoLogins(ctx context.Context) ([]DemoLogin, error) {
	rows, err := s.Pool.Query(ctx, `SELECT d.role, d.token, d.scope FROM demo_logins d
		JOIN api_tokens t ON t.token_hash = encode(sha256(convert_to(d.token, 'UTF8')), 'hex') AND t.revoked_at IS NULL
		ORDER BY array_position(ARRAY['admin', 'planner', 'leader', 'grid_manager'], d.role), d.role`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (DemoLogin, error) {
		var l DemoLogin
		err := r.Scan(&l.Role, &l.Token, &l.Scope)
		return l, err
	})
}

// MarkDemo records that the database holds only the demo city (set by
// `hexcover demo` after loading; any later import clears it).
func (s *Store) MarkDemo(ctx context.Context) error {
	_, err := s.Pool.Exec(ctx, `INSERT INTO demo_state DEFAULT VALUES ON CONFLICT (only_row) DO UPDATE SET loaded_at = now()`)
	return err
}

// IsDemo reports whether the database holds only the demo city: the demo
// mark is set and no import has run since.
func (s *Store) IsDemo(ctx context.Context) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM demo_state)`).Scan(&ok)
	return ok, err
}
