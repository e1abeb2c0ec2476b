package server

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// CookieName is the map's session cookie. It holds a random session id
// (never the API token), stored hashed; POST /api/login makes one.
const CookieName = "hexcover_session"

// authenticator resolves API tokens (Authorization: Bearer) and session
// ids (the cookie) to viewers, caching lookups for a few seconds so tiles
// do not cost a query each; a revoked token (and its sessions) stops
// working within tokenTTL.
type authenticator struct {
	st    *store.Store
	idle  time.Duration // session idle expiry
	mu    sync.Mutex
	cache map[string]authEntry
}

type authEntry struct {
	v   model.Viewer
	ok  bool
	exp time.Time
}

const tokenTTL = 5 * time.Second

// credential is how a request authenticates.
type credential int

const (
	credNone   credential = iota
	credBearer            // Authorization: Bearer <API token>
	credCookie            // the session cookie
)

// credentials returns the request's credential and its kind. A request
// with an Authorization header is judged by it alone.
func credentials(r *http.Request) (string, credential) {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:]), credBearer
		}
		return "", credBearer
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return c.Value, credCookie
	}
	return "", credNone
}

func (a *authenticator) viewer(r *http.Request) (model.Viewer, credential, error) {
	secret, kind := credentials(r)
	if secret == "" || len(secret) > 200 {
		return model.Viewer{}, kind, errs.E(errs.Unauthenticated)
	}
	key := "t:" + store.HashToken(secret)
	if kind == credCookie {
		key = "s:" + store.HashToken(secret)
	}
	a.mu.Lock()
	e, hit := a.cache[key]
	a.mu.Unlock()
	if hit && time.Now().Before(e.exp) {
		if !e.ok {
			return model.Viewer{}, kind, errs.E(errs.Unauthenticated)
		}
		return e.v, kind, nil
	}
	var t *store.Token
	var err error
	ttl := tokenTTL
	if kind == credCookie {
		var st *store.SessionToken
		st, err = a.st.TouchSession(r.Context(), store.HashToken(secret), a.idle)
		if err == nil {
			t = &st.Token
			// Never trust the cache past the session's own deadlines,
			// and touch it often enough that use keeps it alive.
			ttl = min(ttl, a.idle/4, time.Until(st.ExpiresAt))
		}
	} else {
		t, err = a.st.TokenBySecret(r.Context(), secret)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return model.Viewer{}, kind, err
	}
	e = authEntry{ok: err == nil, exp: time.Now().Add(ttl)}
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
		return model.Viewer{}, kind, errs.E(errs.Unauthenticated)
	}
	return e.v, kind, nil
}

// forget drops a session from the cache (logout).
func (a *authenticator) forget(sessionID string) {
	a.mu.Lock()
	delete(a.cache, "s:"+store.HashToken(sessionID))
	a.mu.Unlock()
}

// authorize wraps h: public routes pass; others need a valid token or
// session whose role is in roles (any role when roles is empty). A request
// that changes state on the strength of the cookie must also pass the
// CSRF check (checkCSRF).
func (s *Server) authorize(roles []model.Role, public bool, h httpkit.HandlerFunc) httpkit.HandlerFunc {
	if public {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		v, kind, err := s.auth.viewer(r)
		if err != nil {
			return err
		}
		if kind == credCookie {
			if err := s.checkCSRF(r); err != nil {
				return err
			}
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

// safeMethod: methods that change nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// checkCSRF refuses (403) a state-changing request that a browser sent
// from another site: it must say it is same-origin (Sec-Fetch-Site:
// same-origin, or an Origin equal to ours) and carry a JSON body type,
// which no HTML form and no "simple" cross-site fetch can send. SameSite
// on the cookie is the first line; this is the second.
func (s *Server) checkCSRF(r *http.Request) error {
	if safeMethod(r.Method) {
		return nil
	}
	if !s.sameOrigin(r) {
		return errs.E(errs.Forbidden, "cross-site request refused: a request signed in by cookie that changes anything must come from this site's own pages (Origin or Sec-Fetch-Site: same-origin)")
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return errs.E(errs.Forbidden, "request refused: a request signed in by cookie that changes anything must send Content-Type: application/json")
	}
	return nil
}

// sameOrigin: Sec-Fetch-Site, when the browser sends it, decides; else
// the Origin must be HEXCOVER_PUBLIC_URL's origin or name the host the
// request was sent to. A request with neither is not same-origin.
func (s *Server) sameOrigin(r *http.Request) bool {
	if sfs := r.Header.Get("Sec-Fetch-Site"); sfs != "" {
		return sfs == "same-origin"
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return false
	}
	if s.cfg.Web.PublicURL != "" && strings.EqualFold(o, originOf(s.cfg.Web.PublicURL)) {
		return true
	}
	_, host, ok := strings.Cut(o, "://")
	return ok && host != "" && strings.EqualFold(host, r.Host)
}

// originOf is scheme://host of a URL.
func originOf(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	return scheme + "://" + host
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// sessionCookie is the session cookie with value and maxAge; login and
// logout send the same attributes.
func (s *Server) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.cfg.Web.CookieSecure || r.TLS != nil, MaxAge: maxAge}
}

// login: POST /api/login {"token": "..."} exchanges an API token for a
// session: a random id in an HttpOnly cookie, stored hashed, ending after
// HEXCOVER_SESSION_IDLE unused or HEXCOVER_SESSION_MAX in all, at logout,
// or when the token is revoked. Only JSON from our own pages is accepted,
// and failed attempts are rate-limited per client.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !isJSON(r.Header.Get("Content-Type")) {
		return errs.E(errs.Unsupported, "Content-Type must be application/json")
	}
	if sfs := r.Header.Get("Sec-Fetch-Site"); (sfs != "" || r.Header.Get("Origin") != "") && !s.sameOrigin(r) {
		return errs.E(errs.Forbidden, "cross-site login refused: log in from this site's own pages")
	}
	client := s.clientIP(r)
	if d, ok := s.logins.check(client); !ok {
		return errs.E(errs.RateLimited, "too many failed logins from your address; wait and try again", d)
	}
	var body struct {
		Token string `json:"token"`
	}
	if err := httpkit.DecodeJSON(w, r, &body, 4<<10); err != nil {
		return err
	}
	var t *store.Token
	var err error
	if body.Token != "" && len(body.Token) <= 200 {
		t, err = s.store.TokenBySecret(r.Context(), body.Token)
	} else {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		s.logins.fail(client)
		return errs.E(errs.Unauthenticated, "unknown or revoked token")
	}
	if err != nil {
		return err
	}
	id, err := newSessionID()
	if err != nil {
		return err
	}
	if err := s.store.CreateSession(r.Context(), store.HashToken(id), t.ID, time.Now().Add(s.cfg.Web.SessionMax), s.cfg.Web.SessionIdle); err != nil {
		return err
	}
	http.SetCookie(w, s.sessionCookie(r, id, int(s.cfg.Web.SessionMax/time.Second)))
	return httpkit.WriteJSON(w, http.StatusOK, s.meOf(r.Context(), model.Viewer{TokenID: t.ID, Name: t.Name, Role: t.Role, Scope: t.Scope}))
}

// newSessionID is 32 random bytes, URL-safe.
func newSessionID() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "hxs_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// logout: POST /api/logout ends the cookie's session (server side) and
// clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" && r.Header.Get("Authorization") == "" {
		if err := s.checkCSRF(r); err != nil {
			return err
		}
		if len(c.Value) <= 200 {
			if err := s.store.DeleteSession(r.Context(), store.HashToken(c.Value)); err != nil {
				return err
			}
			s.auth.forget(c.Value)
		}
	}
	http.SetCookie(w, s.sessionCookie(r, "", -1))
	return httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "logged out"})
}

// demoLogins: GET /api/demo-logins, only with HEXCOVER_DEMO_LOGIN on;
// lists the demo city's live tokens, which `hexcover demo` made at random
// and stored for this purpose.
func (s *Server) demoLogins(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.DemoLogin {
		return errs.E(errs.NotFound, "demo logins are off (HEXCOVER_DEMO_LOGIN)")
	}
	if ok, err := s.store.IsDemo(r.Context()); err != nil {
		return err
	} else if !ok {
		return errs.E(errs.NotFound, "demo logins are off: the database holds more than the demo city")
	}
	ls, err := s.store.DemoLogins(r.Context())
	if err != nil {
		return err
	}
	if ls == nil {
		ls = []store.DemoLogin{}
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpkit.WriteJSON(w, http.StatusOK, ls)
}
