package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/store"
)

// importMemoryLimit is the Go heap limit of the commands that import or
// rebuild pings, unless GOMEMLIMIT says otherwise: near it the garbage
// collector works harder instead of letting the heap grow to twice what is
// live, which keeps the district-day import under 1 GB (docs/SCALING.md).
const importMemoryLimit = 768 << 20

// tuneImport sets the Go runtime up for the commands that import or rebuild
// pings and returns how many aggregation workers they run (one per core):
// the heap limit above, and twice as many Ps as cores unless GOMAXPROCS says
// otherwise. With one P per core, the CPU-bound stages of an import (reading,
// H3, aggregating) held every P, and the goroutine writing raw tracks to
// PostgreSQL, parked whenever the socket was full, woke only when the
// runtime's monitor next polled the network: the tracks' COPYs took 34 s of
// a 36 s read of the district-day, PostgreSQL idle most of it. With spare Ps
// an idle one polls at once and the operating system shares the cores
// (COPYs 10-11 s, docs/SCALING.md).
// Setting it again (commands run in one process, as in the tests) leaves it
// as the first call did.
func tuneImport() (workers int) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(importMemoryLimit)
	}
	workers = startProcs()
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2 * workers)
	}
	return workers
}

// startProcs is GOMAXPROCS as the process started (one per core unless
// the environment or a CPU quota says otherwise).
var startProcs = sync.OnceValue(func() int { return runtime.GOMAXPROCS(0) })

func runIngest(ctx context.Context, e *env, args []string) error {
	workers := tuneImport()
	if len(args) > 0 && args[0] == "osm" {
		return runIngestOSM(ctx, e, args[1:])
	}
	fs := newFlags(e, "ingest", "pings|grids|sites|areas|osm FILE... [flags]",
		"import files: each file is one batch; a failed file leaves nothing behind and a re-import of the same file is a no-op")
	crs := fs.String("crs", "wgs84", "coordinate system of the input: wgs84, gcj02 (Amap, Tencent) or bd09 (Baidu)")
	format := fs.String("format", "", "csv, ndjson or geojson (default: from the file extension; .gz is read transparently)")
	replace := fs.Bool("replace", false, "re-import a file that was imported before, replacing its rows")
	rejects := fs.String("rejects-dir", "", "directory for FILE.rejects.csv (default: beside each input)")
	bounds := fs.String("bounds", "", "optional area minLng,minLat,maxLng,maxLat: pings outside are rejected")
	platform := fs.String("platform", "", "platform of pings whose file has no platform column")
	asJSON := fs.Bool("json", false, "print the summaries as JSON")
	e.cfg.BindFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageError{"want a kind (pings, grids, sites, areas, osm) and at least one file"}
	}
	kind := pos[0]
	switch kind {
	case ingest.KindPings, ingest.KindGrids, ingest.KindSites, ingest.KindAreas:
	default:
		return usageError{fmt.Sprintf("unknown kind %q: want pings, grids, sites, areas or osm", kind)}
	}
	c, err := geo.ParseCRS(*crs)
	if err != nil {
		return usageError{err.Error()}
	}
	if *format != "" {
		if _, err := ingest.DetectFormat("x", *format); err != nil {
			return usageError{err.Error()}
		}
	}
	var b *orb.Bound
	if *bounds != "" {
		bb, err := parseBounds(*bounds)
		if err != nil {
			return usageError{err.Error()}
		}
		b = &bb
	}
	for _, f := range pos[1:] {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("cannot read %s: %v", f, err)
		}
	}
	var pz *ingest.Pseudonymizer
	if kind == ingest.KindPings {
		if err := config.CheckSecret(e.cfg.Secret); err != nil {
			return err
		}
		if pz, err = ingest.NewPseudonymizer([]byte(e.cfg.Secret)); err != nil {
			return err
		}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := requireSchema(ctx, st); err != nil {
		return err
	}
	l := &ingest.Loader{Store: st, Pseudo: pz, Activity: e.activitySettings(), Log: e.log, Limits: e.cfg.Ingest, Workers: workers}
	var sums []ingest.Summary
	for _, f := range pos[1:] {
		o := ingest.Options{Kind: kind, Format: *format, CRS: c, Replace: *replace, Bounds: b, Platform: *platform,
			RejectsDir: *rejects, Progress: newProgress(e.stderr)}
		s, err := l.Import(ctx, f, o)
		if err != nil && ctx.Err() != nil {
			before := ""
			if len(sums) > 0 {
				before = fmt.Sprintf(" (the %d file(s) before it were imported)", len(sums))
			}
			return fmt.Errorf("interrupted while importing %s: its batch was rolled back and nothing of it was imported%s: %w", f, before, ctx.Err())
		}
		if err != nil {
			if s.RejectsFile != "" {
				fmt.Fprintf(e.stderr, "rejected rows so far are in %s\n", s.RejectsFile)
			}
			return err
		}
		sums = append(sums, s)
		if !*asJSON {
			printSummary(e.stdout, s)
			if n := int64(e.cfg.Ingest.OrDefault().RejectSamples); s.RowsRejected > n {
				fmt.Fprintf(e.stdout, "  (the first %d of %d; HEXCOVER_INGEST_REJECT_SAMPLES sets how many are written)\n", n, s.RowsRejected)
			}
		}
	}
	if kind == ingest.KindPings || kind == ingest.KindAreas {
		out := e.stdout
		if *asJSON {
			out = e.stderr
		}
		if err := publishRelease(ctx, e, st, out); err != nil {
			// The imports are committed; only what follows them failed.
			return fmt.Errorf("the files were imported, but the steps after the import failed: %w; run the same command again to finish them (the files are not imported twice)", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(sums)
	}
	return nil
}

// activitySettings are the aggregation's definitions with the configured
// local time (HEXCOVER_UTC_OFFSET).
func (e *env) activitySettings() activity.Settings {
	s := activity.DefaultSettings()
	s.UTCOffset = e.cfg.UTCOffset
	return s
}

func requireSchema(ctx context.Context, st *store.Store) error {
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v == 0 {
		return fmt.Errorf("the database has no hexcover schema yet: run hexcover migrate")
	}
	return nil
}

func printSummary(w io.Writer, s ingest.Summary) {
	if s.Skipped {
		fmt.Fprintf(w, "%s: already imported as batch %d (%d rows); nothing changed (use --replace to re-import)\n", s.File, s.BatchID, s.RowsOK)
		return
	}
	fmt.Fprintf(w, "%s: %s batch %d: %d rows accepted, %d rejected in %s", s.File, s.Kind, s.BatchID, s.RowsOK, s.RowsRejected, s.Duration.Round(time.Millisecond))
	if s.Duration > 0 && s.RowsOK > 0 {
		fmt.Fprintf(w, " (%.0f rows/s)", float64(s.RowsOK+s.RowsRejected)/s.Duration.Seconds())
	}
	fmt.Fprintln(w)
	if len(s.Phases) > 0 {
		parts := make([]string, len(s.Phases))
		for i, p := range s.Phases {
			parts[i] = fmt.Sprintf("%s %.1f s", p.Name, p.Duration.Seconds())
		}
		fmt.Fprintf(w, "  where the time went: %s\n", strings.Join(parts, ", "))
	}
	if s.Replaced != 0 {
		fmt.Fprintf(w, "  replaced batch %d\n", s.Replaced)
	}
	if s.RejectsFile != "" {
		fmt.Fprintf(w, "  rejected rows (file, line, reason, raw) are in %s\n", s.RejectsFile)
	}
	if s.OutOfOrder {
		fmt.Fprintln(w, "  riders' pings were not in time order; aggregated from the database instead")
	}
}

func parseBounds(s string) (orb.Bound, error) {
	var v [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, fmt.Errorf("--bounds %q: want minLng,minLat,maxLng,maxLat", s)
	}
	for i, p := range parts {
		if _, err := fmt.Sscan(strings.TrimSpace(p), &v[i]); err != nil {
			return orb.Bound{}, fmt.Errorf("--bounds %q: %q is not a number", s, p)
		}
	}
	if v[0] >= v[2] || v[1] >= v[3] || v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return orb.Bound{}, fmt.Errorf("--bounds %q: want minLng < maxLng and minLat < maxLat within ±180/±90", s)
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// progress shows a bar on a terminal and a line every few seconds otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	name  string
	start time.Time
	last  time.Time
	rows  int64
}

func newProgress(w io.Writer) ingest.Progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	return &progress{w: w, tty: tty}
}

func (p *progress) Start(name string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.name, p.start, p.last = name, time.Now(), time.Now()
	if p.tty {
		p.bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(name), progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
}

func (p *progress) Update(bytes, rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows = rows
	if p.bar != nil {
		_ = p.bar.Set64(bytes)
		el := time.Since(p.start).Seconds()
		if el > 0 {
			p.bar.Describe(fmt.Sprintf("%s %d rows (%.0f rows/s)", p.name, rows, float64(rows)/el))
		}
		return
	}
	if time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		el := time.Since(p.start).Seconds()
		fmt.Fprintf(p.w, "%s: %d rows, %d MB read, %.0f rows/s\n", p.name, rows, bytes>>20, float64(rows)/el)
	}
}

func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func runRebuild(ctx context.Context, e *env, args []string) error {
	workers := tuneImport()
	fs := newFlags(e, "rebuild", "", "recompute every activity aggregate and rider range from the stored pings")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	l := &ingest.Loader{Store: st, Activity: e.activitySettings(), Log: e.log, Workers: workers}
	n, err := l.Rebuild(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt aggregates from %d pings in %s\n", n, time.Since(start).Round(time.Millisecond))
	return publishRelease(ctx, e, st, e.stdout)
}

func runBatches(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "batches", "[--limit N]", "list imported files, newest first")
	limit := fs.Int("limit", 50, "how many")
	e.cfg.BindFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *limit < 1 || *limit > 10000 {
		return usageError{"--limit must be 1..10000"}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	bs, err := st.Batches(ctx, *limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%-6s %-6s %-9s %10s %9s  %-20s %s\n", "id", "kind", "status", "rows", "rejected", "started", "file")
	for _, b := range bs {
		fmt.Fprintf(e.stdout, "%-6d %-6s %-9s %10d %9d  %-20s %s\n", b.ID, b.Kind, b.Status, b.RowsOK, b.RowsRejected, b.StartedAt.Format("2006-01-02 15:04:05"), b.Name)
	}
	return nil
}

func runRetention(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "retention", "[--days N]", "drop raw pings older than N days (whole daily partitions) and every per-rider trace of those days; aggregate counts and releases stay")
	fs.IntVar(&e.cfg.RetentionDays, "days", e.cfg.RetentionDays, "keep this many days (env HEXCOVER_RETENTION_DAYS)")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if e.cfg.RetentionDays < 1 {
		return usageError{"--days must be at least 1"}
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	dropped, err := applyRetention(ctx, st, e.cfg.RetentionDays, e.cfg.UTCOffset)
	for _, d := range dropped {
		fmt.Fprintf(e.stdout, "dropped %s\n", d)
	}
	if err == nil && len(dropped) == 0 {
		fmt.Fprintf(e.stdout, "nothing older than %d days\n", e.cfg.RetentionDays)
	}
	return err
}

func applyRetention(ctx context.Context, st *store.Store, days int, offset time.Duration) ([]string, error) {
	cutoff := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -days)
	dropped, err := st.DropPingsBefore(ctx, cutoff)
	if len(dropped) > 0 {
		_ = st.Audit(ctx, "system", "retention.drop", fmt.Sprint(len(dropped), " partitions"), map[string]any{"partitions": dropped, "days": days})
	}
	if err != nil {
		return dropped, err
	}
	// Then every other per-rider trace of those days (docs/PRIVACY.md).
	tr, err := st.DropRiderTracesBefore(ctx, cutoff, offset)
	if err == nil && (tr.RiderDays > 0 || tr.Ranges > 0 || tr.Riders > 0 || tr.Ledger > 0) {
		_ = st.Audit(ctx, "system", "retention.traces", cutoff.Format(time.DateOnly), map[string]any{"rider_days": tr.RiderDays,
			"ranges": tr.Ranges, "ledger": tr.Ledger, "riders": tr.Riders, "assignments": tr.Assignments, "aggregate_rows_stripped": tr.KeysStripped})
		dropped = append(dropped, fmt.Sprintf("rider traces before %s: %d rider-days, %d ranges, %d ledger rows, %d riders (keys stripped from %d aggregate rows)",
			cutoff.Format(time.DateOnly), tr.RiderDays, tr.Ranges, tr.Ledger, tr.Riders, tr.KeysStripped))
	}
	return dropped, err
}
