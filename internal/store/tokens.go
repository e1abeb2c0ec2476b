package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/internal/model"
)

// Token is an API token as stored (never the secret itself).
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Scope     []string   `json:"scope"` // grid codes, or "street:CODE" / "community:CODE", for grid managers
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// HashToken is how tokens are stored: SHA-256 of the secret, hex. Tokens are
// 32 random bytes, so a fast hash is enough (no dictionary to attack).
func HashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// NewTokenSecret makes a new random token secret.
func NewTokenSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "hxc_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// CreateToken stores a token for secret (as its hash) and returns it.
func (s *Store) CreateToken(ctx context.Context, name, role string, scope []string, secret string) (*Token, error) {
	ok := false
	for _, r := range model.Roles {
		ok = ok || r == role
	}
	if !ok {
		return nil, fmt.Errorf("unknown role %q: want %s", role, strings.Join(model.Roles, ", "))
	}
	if role == "grid_manager" && len(scope) == 0 {
		return nil, errors.New("a grid_manager token needs a scope: grid codes, street:CODE or community:CODE")
	}
	if role != "grid_manager" && len(scope) > 0 {
		return nil, fmt.Errorf("only grid_manager tokens have a scope; %s sees the whole district", role)
	}
	if scope == nil {
		scope = []string{}
	}
	t := &Token{Name: name, Role: role, Scope: scope}
	err := s.Pool.QueryRow(ctx, `INSERT INTO api_tokens (name, token_hash, role, scope) VALUES ($1, $2, $3, $4)
		ON CONFLICT (token_hash) DO NOTHING RETURNING id, created_at`, name, HashToken(secret), role, scope).Scan(&t.ID, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errors.New("this token exists already")
	}
	return t, err
}

// TokenBySecret returns the live token with this secret, or ErrNotFound.
func (s *Store) TokenBySecret(ctx context.Context, secret string) (*Token, error) {
	var t Token
	err := s.Pool.QueryRow(ctx, `SELECT id, name, role, scope, created_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
		HashToken(secret)).Scan(&t.ID, &t.Name, &t.Role, &t.Scope, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Tokens lists every token, newest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, name, role, scope, created_at, revoked_at FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) {
		var t Token
		err := r.Scan(&t.ID, &t.Name, &t.Role, &t.Scope, &t.CreatedAt, &t.RevokedAt)
		return t, err
	})
}

// RevokeToken revokes a token by id or name; it returns ErrNotFound if none
// was live.
func (s *Store) RevokeToken(ctx context.Context, idOrName string) error {
	tag, err := s.Pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND (id::text = $1 OR name = $1)`, idOrName)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID     int64          `json:"id"`
	At     time.Time      `json:"at"`
	Actor  string         `json:"actor"`
	Action string         `json:"action"`
	Target string         `json:"target"`
	Detail map[string]any `json:"detail"`
}

// Audit appends to the audit log.
func (s *Store) Audit(ctx context.Context, actor, action, target string, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	_, err := s.Pool.Exec(context.WithoutCancel(ctx), `INSERT INTO audit_log (actor, action, target, detail) VALUES ($1, $2, $3, $4)`,
		actor, action, target, detail)
	return err
}

// AuditLog returns audit entries, newest first, optionally only one action.
func (s *Store) AuditLog(ctx context.Context, action string, limit int) ([]AuditEntry, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log
		WHERE $1 = '' OR action = $1 ORDER BY id DESC LIMIT $2`, action, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
		var e AuditEntry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.Detail)
		return e, err
	})
}

// GridStreet returns the street and community codes of a grid, for scope
// checks; ErrNotFound when there is no such grid.
func (s *Store) GridStreet(ctx context.Context, code string) (street, community string, err error) {
	err = s.Pool.QueryRow(ctx, `SELECT street_code, community_code FROM grids WHERE code = $1`, code).Scan(&street, &community)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", ErrNotFound
	}
	return street, community, err
}
