package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed logins per client: a token bucket of loginBurst refilled at
// loginRate. Tokens are 256-bit random, so guessing is hopeless anyway; the
// limit keeps a guesser from costing a query per try.
const (
	loginRate  = rate.Limit(10.0 / 60) // 10 a minute
	loginBurst = 5
)

// loginLimiter counts failed logins per client address.
type loginLimiter struct {
	mu   sync.Mutex
	by   map[string]*rate.Limiter
	seen time.Time // last sweep
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{by: map[string]*rate.Limiter{}, seen: time.Now()}
}

// check reports whether client may try to log in, and if not, when it may.
func (l *loginLimiter) check(client string) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.by[client]
	if lim == nil || lim.Tokens() >= 1 {
		return 0, true
	}
	r := lim.Reserve()
	d := r.Delay()
	r.Cancel()
	return max(d, time.Second), false
}

// fail counts a failed login of client.
func (l *loginLimiter) fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.seen) > 10*time.Minute || len(l.by) > 100000 {
		// Forget clients whose bucket is full again.
		for k, lim := range l.by {
			if lim.TokensAt(now) >= loginBurst {
				delete(l.by, k)
			}
		}
		l.seen = now
	}
	lim := l.by[client]
	if lim == nil {
		lim = rate.NewLimiter(loginRate, loginBurst)
		l.by[client] = lim
	}
	lim.Allow()
}

// clientIP is the address of the client: the connection's peer, or, when
// that peer is a trusted proxy (HEXCOVER_TRUSTED_PROXIES), the nearest
// X-Forwarded-For address that is not itself a trusted proxy.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !s.trusted(peer) {
		return peer.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage: stop at the last address we could believe
		}
		peer = a.Unmap()
		if !s.trusted(peer) {
			break
		}
	}
	return peer.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
