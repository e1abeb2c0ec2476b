package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hexcover/hexcover/internal/loadtest"
)

func runLoadtest(ctx context.Context, e *env, args []string) error {
	o := loadtest.Options{BaseURL: "http://127.0.0.1:8080", Duration: time.Minute, Concurrency: 4, MaxRequests: 2_000_000, Seed: 1}
	fs := newFlags(e, "loadtest", "--token T [--url U] [--duration D] [--clients N] [--paths FILE]",
		"drive a running server on loopback with a bounded mix of tiles, gaps, siting and candidates; report per route")
	fs.StringVar(&o.BaseURL, "url", o.BaseURL, "server base URL (loopback only)")
	fs.StringVar(&o.Token, "token", "", "bearer token (admin or planner)")
	fs.StringVar(&o.GridToken, "grid-token", "", "token for candidates (default --token)")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "how long to run (at most 30m)")
	fs.IntVar(&o.Concurrency, "clients", o.Concurrency, "concurrent clients (1..64)")
	fs.IntVar(&o.MaxRequests, "max-requests", o.MaxRequests, "stop after this many requests")
	paths := fs.String("paths", "", "file of request paths (one per line, e.g. /tiles/activity/14/13718/6692.mvt?hours=lunch): fetch each once instead of the mix")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if o.Token == "" {
		return usageError{"--token is required"}
	}
	if o.Duration <= 0 || o.Duration > 30*time.Minute || o.Concurrency < 1 || o.Concurrency > 64 {
		return usageError{"--duration must be within 0..30m and --clients within 1..64"}
	}
	if *paths != "" {
		b, err := os.ReadFile(*paths)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				if !strings.HasPrefix(l, "/") {
					return usageError{fmt.Sprintf("--paths %s: %q is not a path (want /tiles/…)", *paths, l)}
				}
				o.Paths = append(o.Paths, l)
			}
		}
		if len(o.Paths) == 0 {
			return usageError{fmt.Sprintf("--paths %s: no paths in the file", *paths)}
		}
	}
	rep, err := loadtest.Run(ctx, o)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(rep)
	}
	fmt.Fprintf(e.stdout, "%d requests in %s (%.0f/s), %d errors\n", rep.Requests, rep.Duration.Round(time.Millisecond),
		float64(rep.Requests)/rep.Duration.Seconds(), rep.Errors)
	fmt.Fprintf(e.stdout, "%-18s %9s %7s %8s %9s %9s %9s\n", "route", "requests", "errors", "503s", "p50 ms", "p99 ms", "max ms")
	for _, r := range rep.Routes {
		fmt.Fprintf(e.stdout, "%-18s %9d %7d %8d %9.2f %9.2f %9.2f\n", r.Route, r.Requests, r.Errors, r.Shed, r.P50ms, r.P99ms, r.MaxMs)
	}
	if rep.Errors > 0 {
		return fmt.Errorf("%d errors other than intended 503s", rep.Errors)
	}
	return nil
}
