package release

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"time"
)

// Noise draws the release's Gaussian noise from a keyed PRF: the same
// (day, draw, figure, view, unit) always gives the same value, so asking
// again, rebuilding or restarting never draws new noise, and without the key
// nobody can predict or remove it.
type Noise struct{ key []byte }

// NewNoise derives the noise key from HEXCOVER_SECRET (or the demo key);
// it is never the pseudonymization key itself.
func NewNoise(secret []byte) Noise {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("hexcover release noise v1"))
	return Noise{key: m.Sum(nil)}
}

// Normal returns a standard normal variate for the coordinates.
func (n Noise) Normal(day time.Time, draw int64, figure, view int, unit int64, code string) float64 {
	m := hmac.New(sha256.New, n.key)
	var b [8 * 5]byte
	binary.BigEndian.PutUint64(b[0:], uint64(day.Unix()))
	binary.BigEndian.PutUint64(b[8:], uint64(draw))
	binary.BigEndian.PutUint64(b[16:], uint64(figure))
	binary.BigEndian.PutUint64(b[24:], uint64(view))
	binary.BigEndian.PutUint64(b[32:], uint64(unit))
	m.Write(b[:])
	m.Write([]byte(code))
	sum := m.Sum(nil)
	// Box–Muller from two 53-bit uniforms in (0, 1).
	u1 := (float64(binary.BigEndian.Uint64(sum[0:])>>11) + 0.5) / (1 << 53)
	u2 := (float64(binary.BigEndian.Uint64(sum[8:])>>11) + 0.5) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
