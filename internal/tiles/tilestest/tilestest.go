// Package tilestest loads small activity and feature fixtures into a test
// database through the store, the way imports write them.
package tilestest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Ping is one synthetic ping of a rider named by a short string.
type Ping struct {
	Rider    string
	Time     time.Time
	Lng, Lat float64
}

// RiderID returns the pseudonymous id the fixture gives a rider name.
func RiderID(name string) model.RiderID {
	s := sha256.Sum256([]byte("tilestest:" + name))
	return model.RiderID(hex.EncodeToString(s[:]))
}

// LoadActivity aggregates pings with the default activity settings and
// commits them as one pings import named name (which must be new).
func LoadActivity(tb testing.TB, st *store.Store, name string, pings []Ping) *activity.Result {
	tb.Helper()
	ctx := context.Background()
	ps := slices.Clone(pings)
	slices.SortStableFunc(ps, func(a, b Ping) int {
		if a.Rider != b.Rider {
			if a.Rider < b.Rider {
				return -1
			}
			return 1
		}
		return a.Time.Compare(b.Time)
	})
	set := activity.DefaultSettings()
	agg := activity.NewAggregator(set)
	riders := map[string]*store.RiderSeen{}
	var minTS, maxTS time.Time
	for _, p := range ps {
		cell, err := activity.CellOf(p.Lat, p.Lng, set.BaseRes)
		if err != nil {
			tb.Fatal(err)
		}
		id := RiderID(p.Rider)
		if err := agg.Add(model.Ping{Rider: id, Platform: "test", Time: p.Time, Lat: p.Lat, Lng: p.Lng}, cell); err != nil {
			tb.Fatal(err)
		}
		r := riders[p.Rider]
		if r == nil {
			key, err := id.Key()
			if err != nil {
				tb.Fatal(err)
			}
			r = &store.RiderSeen{Key: key, PID: string(id), Platform: "test", First: p.Time, Last: p.Time}
			riders[p.Rider] = r
		}
		r.Last = p.Time
		if minTS.IsZero() || p.Time.Before(minTS) {
			minTS = p.Time
		}
		if p.Time.After(maxTS) {
			maxTS = p.Time
		}
	}
	res := agg.Finish()
	sum := sha256.Sum256([]byte(name))
	load, _, err := st.BeginPings(ctx, name, hex.EncodeToString(sum[:]), "wgs84", false)
	if err != nil {
		tb.Fatalf("begin pings: %v", err)
	}
	seen := make([]store.RiderSeen, 0, len(riders))
	for _, r := range riders {
		seen = append(seen, *r)
	}
	if err := load.Commit(ctx, store.Derived{Riders: seen, Result: res, Offset: set.UTCOffset, MinTS: minTS, MaxTS: maxTS}, int64(len(ps)), 0); err != nil {
		tb.Fatalf("commit pings: %v", err)
	}
	return res
}

// LoadFeatures commits areas, grids and sites as three imports named after
// name.
func LoadFeatures(tb testing.TB, st *store.Store, name string, areas []model.Area, grids []model.Grid, sites []model.Site) {
	tb.Helper()
	ctx := context.Background()
	for _, kind := range []string{"areas", "grids", "sites"} {
		n := 0
		switch kind {
		case "areas":
			n = len(areas)
		case "grids":
			n = len(grids)
		case "sites":
			n = len(sites)
		}
		if n == 0 {
			continue
		}
		sum := sha256.Sum256([]byte(name + "/" + kind))
		load, _, err := st.BeginFeatures(ctx, kind, name+"."+kind, hex.EncodeToString(sum[:]), "wgs84", false)
		if err != nil {
			tb.Fatalf("begin %s: %v", kind, err)
		}
		for i := range n {
			switch kind {
			case "areas":
				err = load.Area(ctx, areas[i])
			case "grids":
				err = load.Grid(ctx, grids[i])
			case "sites":
				err = load.Site(ctx, sites[i])
			}
			if err != nil {
				tb.Fatalf("%s %d: %v", kind, i, err)
			}
		}
		if err := load.Commit(ctx, int64(n), 0); err != nil {
			tb.Fatalf("commit %s: %v", kind, err)
		}
	}
}

// Walk returns the pings of a rider moving back and forth between a and b
// (lng/lat) every step from start for n pings, deterministic.
func Walk(rider string, start time.Time, step time.Duration, n int, a, b [2]float64) []Ping {
	out := make([]Ping, n)
	for i := range n {
		// a triangle wave between a and b with period 40 pings
		ph := float64(i%40) / 20
		if ph > 1 {
			ph = 2 - ph
		}
		out[i] = Ping{Rider: rider, Time: start.Add(time.Duration(i) * step),
			Lng: a[0] + (b[0]-a[0])*ph, Lat: a[1] + (b[1]-a[1])*ph}
	}
	return out
}

// Name formats a unique import name.
func Name(prefix string, i int) string { return fmt.Sprintf("%s-%d.csv", prefix, i) }
