package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

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
	v   model.Viewer
	ok  bool
	exp time.Time
}

const tokenTTL = 5 * time.Second

func (a *authenticator) viewer(r *http.Request) (model.Viewer, error) {
	secret := ""
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			secret = strings.TrimSpace(h[7:])
		}
	} else if c, err := r.Cookie(CookieName); err == nil {
		secret = c.Value
	}
	if secret == "" || len(secret) > 200 {
		return model.Viewer{}, errs.E(errs.Unauthenticated)
	}
	key := store.HashToken(secret)
	a.mu.Lock()
	e, hit := a.cache[key]
	a.mu.Unlock()
	if hit && time.Now().Before(e.exp) {
		if !e.ok {
			return model.Viewer{}, errs.E(errs.Unauthenticated)
		}
		return e.v, nil
	}
	t, err := a.st.TokenBySecret(r.Context(), secret)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return model.Viewer{}, err
	}
	e = authEntry{ok: err == nil, exp: time.Now().Add(tokenTTL)}
	if t != nil {
		e.v = model.Viewer{TokenID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope}
	}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		a.cache = map[string]authEntry{}
	}
	a.cache[key] = e
	a.mu.Unlock()
	if !e.ok {
		return model.Viewer{}, errs.E(errs.Unauthenticated)
	}
	return e.v, nil
}

// authorize wraps h: public routes pass; others need a valid token whose
// role is in roles (any role when roles is empty).
func (s *Server) authorize(roles []model.Role, public bool, h httpkit.HandlerFunc) httpkit.HandlerFunc {
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
				return errs.E(errs.Forbidden)
			}
		}
		return h(w, r.WithContext(httpkit.WithViewer(r.Context(), v)))
	}
}

// login: POST /api/login {"token": "..."} sets the session cookie the map
// uses, so tiles and API calls from the browser carry it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Token string `json:"token"`
	}
	if err := httpkit.DecodeJSON(w, r, &body, 4<<10); err != nil {
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
	return httpkit.WriteJSON(w, http.StatusOK, meOf(v))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	return httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
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
		return errs.E(errs.NotFound, "demo logins are off (HEXCOVER_DEMO_LOGIN)")
	}
	type login struct {
		Role  string   `json:"role"`
		Token string   `json:"token"`
		Scope []string `json:"scope"`
	}
	var out []login
	for _, role := range model.Roles {
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
	return httpkit.WriteJSON(w, http.StatusOK, out)
}
