package ingest

import (
	"testing"
)

// TestRiderCacheRuns: runs of one rider, riders that alternate, and the same
// id on two platforms each get the pseudonym the HMAC gives, whether they
// come from the last-rider shortcut, the map or the HMAC.
func TestRiderCacheRuns(t *testing.T) {
	pz, err := NewPseudonymizer([]byte("a secret of sixteen+ bytes"))
	if err != nil {
		t.Fatal(err)
	}
	c := newRiderCache(pz)
	seq := [][2]string{{"mt", "1"}, {"mt", "1"}, {"elm", "1"}, {"mt", "1"}, {"mt", "12"}, {"mt1", "2"}, {"mt", "12"}, {"", "1"}, {"", "1"}, {"elm", "1"}}
	for i, p := range seq {
		// The id arrives in a buffer the reader reuses: the cache must not
		// keep a view of it.
		buf := []byte(p[1])
		got := c.rider(p[0], bytesView(buf))
		for j := range buf {
			buf[j] = 'x'
		}
		if want := pz.Rider(p[0], p[1]); got != want {
			t.Errorf("row %d (%q, %q): pseudonym %s, want %s", i, p[0], p[1], got, want)
		}
	}
}

// TestInternCopies: interned strings equal what was read, do not view the
// read buffer, and repeat as one string.
func TestInternCopies(t *testing.T) {
	c := newPingCheck("t.csv", nil, PingOptions{})
	var got []string
	for _, s := range []string{"idle", "delivering", "idle", "meituan", "a", "b", "c", "d", "idle"} {
		buf := []byte(s)
		got = append(got, c.intern(bytesView(buf)))
		for j := range buf {
			buf[j] = 'x'
		}
	}
	want := []string{"idle", "delivering", "idle", "meituan", "a", "b", "c", "d", "idle"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("intern #%d = %q, want %q", i, got[i], want[i])
		}
	}
	if c.intern("") != "" {
		t.Error(`intern("") is not ""`)
	}
}
