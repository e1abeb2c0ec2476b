package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hexcover/hexcover/internal/store"
)

// Role names.
const (
	RoleAdmin       = "admin"
	RolePlanner     = "planner"
	RoleLeader      = "leader"
	RoleGridManager = "grid_manager"
)

// Viewer is who makes a request: the token's name, role and, for grid
// managers, the grids, streets or communities they manage.
type Viewer struct {
	TokenID int64    `json:"-"`
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Scope   []string `json:"scope"`
}

// Admin tells whether v sees rider-level data and unsuppressed aggregates.
func (v Viewer) Admin() bool { return v.Role == RoleAdmin }

// Actor names v in the audit log.
func (v Viewer) Actor() string { return v.Role + ":" + v.Name }

// CanGrid tells whether v may see rider-level data of a grid (candidates,
// members, ranges): admins anywhere, grid managers inside their scope.
func (v Viewer) CanGrid(code, street, community string) bool {
	if v.Admin() {
		return true
	}
	if v.Role != RoleGridManager {
		return false
	}
	for _, s := range v.Scope {
		switch {
		case s == code:
			return true
		case strings.HasPrefix(s, "street:") && street != "" && s[len("street:"):] == street:
			return true
		case strings.HasPrefix(s, "community:") && community != "" && s[len("community:"):] == community:
			return true
		}
	}
	return false
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the request's viewer (the zero Viewer, with no role,
// for public routes).
func ViewerFrom(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

// Forbidden is a 403 that says nothing about the data.
func Forbidden() error {
	return &Error{Status: http.StatusForbidden, Msg: "forbidden: your role does not allow this"}
}

// Unauthorized is a 401.
func Unauthorized() error {
	return &Error{Status: http.StatusUnauthorized, Msg: "authentication required: send Authorization: Bearer <token> or log in"}
}

// CookieName is the session cookie the map uses (it holds the token).
const CookieName = "hexcover_token"

// authenticator resolves tokens to viewers, caching lookups for a few
// seconds so tiles do not cost a query each; a revoked token stops working
// within tokenTTL.
type authenticator struct {
	st    *store.Store
	mu    sync.Mutex
	cache map[string]authEntry
}

type authEntry struct {
	v   Viewer
	ok  bool
	exp time.Time
}

const tokenTTL = 5 * time.Second

func (a *authenticator) viewer(r *http.Request) (Viewer, error) {
	secret := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			secret = strings.TrimSpace(h[7:])
		}
	} else if c, err := r.Cookie(CookieName); err == nil {
		secret = c.Value
	}
	if secret == "" || len(secret) > 200 {
		return Viewer{}, Unauthorized()
	}
	key := store.HashToken(secret)
	a.mu.Lock()
	e, hit := a.cache[key]
	a.mu.Unlock()
	if hit && time.Now().Before(e.exp) {
		if !e.ok {
			return Viewer{}, Unauthorized()
		}
		return e.v, nil
	}
	t, err := a.st.TokenBySecret(r.Context(), secret)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Viewer{}, err
	}
	e = authEntry{ok: err == nil, exp: time.Now().Add(tokenTTL)}
	if t != nil {
		e.v = Viewer{TokenID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope}
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		a.cache = map[string]authEntry{}
	}
	a.cache[key] = e
	a.mu.Unlock()
	if !e.ok {
		return Viewer{}, Unauthorized()
	}
	return e.v, nil
}

// authorize wraps h: public routes pass; others need a valid token whose
// role is in roles (any role when roles is empty).
func (s *Server) authorize(roles []string, public bool, h HandlerFunc) HandlerFunc {
	if public {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := s.auth.viewer(r)
		if err != nil {
			return err
		}
		if len(roles) > 0 {
			ok := false
			for _, role := range roles {
				ok = ok || role == v.Role
			}
			if !ok {
				return Forbidden()
			}
		}
		return h(w, r.WithContext(WithViewer(r.Context(), v)))
	}
}

// login: POST /api/login {"token": "..."} sets the session cookie the map
// uses, so tiles and API calls from the browser carry it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Token string `json:"token"`
	}
	if err := DecodeJSON(w, r, &body, 4<<10); err != nil {
		return err
	}
	rr := r.Clone(r.Context())
	rr.Header.Set("Authorization", "Bearer "+body.Token)
	v, err := s.auth.viewer(rr)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: body.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: 12 * 3600})
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	return writeJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, ViewerFrom(r.Context()))
}

// DemoToken derives the demo login token of a role from the secret: the
// demo command creates these tokens and, with HEXCOVER_DEMO_LOGIN on, the
// map offers them so `make run` works without copying tokens.
func DemoToken(secret, role string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("hexcover demo token " + role))
	return "hxc_demo_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// DemoScope is the scope of the demo grid manager: the first street.
const DemoName = "demo"

// demoLogins: GET /api/demo-logins, only with HEXCOVER_DEMO_LOGIN on; lists
// the demo tokens that exist (not revoked) in this database.
func (s *Server) demoLogins(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.DemoLogin {
		return NotFound("demo logins are off (HEXCOVER_DEMO_LOGIN)")
	}
	type login struct {
		Role  string   `json:"role"`
		Token string   `json:"token"`
		Scope []string `json:"scope"`
	}
	var out []login
	for _, role := range store.Roles {
		tok := DemoToken(s.cfg.DemoSecret(), role)
		t, err := s.store.TokenBySecret(r.Context(), tok)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		out = append(out, login{Role: role, Token: tok, Scope: t.Scope})
	}
	return writeJSON(w, http.StatusOK, out)
}

// DecodeJSON reads a JSON body of at most limit bytes into v, rejecting
// unknown fields and trailing data, with 400/413 errors that say what is wrong.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Msg: "request body too large"}
		}
		return BadRequest("invalid JSON body: " + err.Error())
	}
	if dec.More() {
		return BadRequest("invalid JSON body: more than one value")
	}
	return nil
}
