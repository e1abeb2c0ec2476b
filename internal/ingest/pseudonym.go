package ingest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"sync"

	"github.com/hexcover/hexcover/internal/model"
)

// Pseudonymizer turns platform rider ids into pseudonyms: the lowercase hex
// HMAC-SHA256 of platform + "\x00" + id under a secret. It is safe for
// concurrent use.
type Pseudonymizer struct {
	pool sync.Pool // of *macState
}

type macState struct {
	h   hash.Hash
	sum [sha256.Size]byte
	hex [2 * sha256.Size]byte
}

// NewPseudonymizer returns a pseudonymizer keyed by secret (HEXCOVER_SECRET),
// which must be at least 16 bytes.
func NewPseudonymizer(secret []byte) (*Pseudonymizer, error) {
	if len(secret) < 16 {
		return nil, errors.New("HEXCOVER_SECRET must be at least 16 bytes")
	}
	key := append([]byte(nil), secret...)
	p := &Pseudonymizer{}
	p.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key)} }
	return p, nil
}

// Rider returns the pseudonym of the rider with the given platform id.
func (p *Pseudonymizer) Rider(platform, id string) model.RiderID {
	m := p.pool.Get().(*macState)
	m.h.Reset()
	m.h.Write([]byte(platform))
	m.h.Write([]byte{0})
	m.h.Write([]byte(id))
	hex.Encode(m.hex[:], m.h.Sum(m.sum[:0]))
	r := model.RiderID(m.hex[:])
	p.pool.Put(m)
	return r
}

// riderCache remembers the pseudonyms of the riders seen during one read, so
// that a repeated rider costs one map lookup instead of an HMAC. It holds raw
// platform ids in memory for the duration of that read only, and is cleared
// when it grows past maxCachedRiders.
type riderCache struct {
	pz  *Pseudonymizer
	m   map[string]model.RiderID
	key []byte
	// the last rider looked up: files often hold a rider's pings in a run
	// (platform exports by rider), which then cost a comparison
	last      []byte
	lastRider model.RiderID
}

const maxCachedRiders = 1_000_000

func newRiderCache(pz *Pseudonymizer) *riderCache {
	return &riderCache{pz: pz, m: make(map[string]model.RiderID)}
}

func (c *riderCache) rider(platform, id string) model.RiderID {
	c.key = append(append(append(c.key[:0], platform...), 0), id...)
	if c.lastRider != "" && bytes.Equal(c.key, c.last) {
		return c.lastRider
	}
	r, ok := c.m[string(c.key)]
	if !ok {
		r = c.pz.Rider(platform, id)
		if len(c.m) >= maxCachedRiders {
			clear(c.m)
		}
		c.m[string(c.key)] = r
	}
	c.last, c.lastRider = append(c.last[:0], c.key...), r
	return r
}
