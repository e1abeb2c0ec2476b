package config

import (
	"errors"
	"fmt"
)

// MinSecretLen is the shortest HEXCOVER_SECRET accepted for real data: 32
// characters, such as 16 random bytes written in hex.
const MinSecretLen = 32

// howToMakeSecret is said by every refusal of a secret.
const howToMakeSecret = "make one with `openssl rand -hex 32` or `head -c32 /dev/urandom | base64`, " +
	"set it as HEXCOVER_SECRET and keep it (a new secret gives every rider a new pseudonym)"

// ErrNoSecret is returned by CheckSecret for an unset secret.
var ErrNoSecret = errors.New("HEXCOVER_SECRET is not set: rider ids are pseudonymized with it at import; " + howToMakeSecret)

// CheckSecret says why secret may not key the HMAC that pseudonymizes real
// riders' ids, or nil when it may. It refuses an unset secret, the public
// demo key (anyone can read it in the source and recompute every
// pseudonym), one shorter than MinSecretLen, and one of visibly low
// entropy: fewer than 8 distinct characters, a repeated pattern
// ("abcabcabc…", half or more of its characters equal to the one p places
// before), or a run such as "0123456789" or "abcdef" (half or more of its
// steps equal to the step before). Random output of the commands the
// message suggests passes with overwhelming probability. The demo's
// synthetic riders do not need this check.
func CheckSecret(secret string) error {
	switch {
	case secret == "":
		return ErrNoSecret
	case secret == demoSecret:
		return errors.New("HEXCOVER_SECRET is the public demo key, which anyone can read in hexcover's source: it protects no real rider; " + howToMakeSecret)
	case len(secret) < MinSecretLen:
		return fmt.Errorf("HEXCOVER_SECRET is %d characters, shorter than %d; %s", len(secret), MinSecretLen, howToMakeSecret)
	}
	if why := lowEntropy(secret); why != "" {
		return fmt.Errorf("HEXCOVER_SECRET looks easy to guess (%s); %s", why, howToMakeSecret)
	}
	return nil
}

// lowEntropy names what makes s visibly non-random, or returns "".
func lowEntropy(s string) string {
	distinct := map[byte]bool{}
	for i := 0; i < len(s); i++ {
		distinct[s[i]] = true
	}
	if len(distinct) < 8 {
		return fmt.Sprintf("only %d distinct characters", len(distinct))
	}
	for p := 1; p <= len(s)/2; p++ {
		same := 0
		for i := p; i < len(s); i++ {
			if s[i] == s[i-p] {
				same++
			}
		}
		if 2*same >= len(s)-p {
			return fmt.Sprintf("it repeats a pattern of %d characters", p)
		}
	}
	steady := 0
	for i := 2; i < len(s); i++ {
		if int(s[i])-int(s[i-1]) == int(s[i-1])-int(s[i-2]) {
			steady++
		}
	}
	if 2*steady >= len(s)-2 {
		return "it is mostly runs such as 0123 or abcd"
	}
	return ""
}
