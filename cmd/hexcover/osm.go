package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/osm"
	"github.com/hexcover/hexcover/internal/store"
)

func runIngestOSM(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "ingest osm", "FILE [flags]",
		"import an OpenStreetMap extract (.osm.pbf, or .osm XML, gzip or not): basemap roads, rail, water, parks, "+
			"buildings, place names and POIs, the road network, and fuel stations, charging stations and convenience "+
			"stores as candidate sites; a newer extract replaces the current one, the same one again is a no-op")
	replace := fs.Bool("replace", false, "re-import an extract that was imported before")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	e.cfg.BindFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"want exactly one OSM extract (.osm.pbf or .osm): a newer extract replaces the current one"}
	}
	if _, err := os.Stat(pos[0]); err != nil {
		return fmt.Errorf("cannot read %s: %v", pos[0], err)
	}
	if _, _, err := osm.Detect(pos[0]); err != nil {
		return err
	}
	st, err := openReady(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := requireSchema(ctx, st); err != nil {
		return err
	}
	im := &osm.Importer{Store: st, Log: e.log, Limits: e.cfg.Ingest}
	s, err := im.Import(ctx, pos[0], *replace, newProgress(e.stderr))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printOSMSummary(e.stdout, s)
	return nil
}

func printOSMSummary(w io.Writer, s osm.Summary) {
	if s.Skipped {
		fmt.Fprintf(w, "%s: already imported as batch %d; nothing changed (use --replace to re-import)\n", s.File, s.BatchID)
		return
	}
	fmt.Fprintf(w, "%s: osm batch %d: %d nodes, %d ways, %d relations read in %s\n", s.File, s.BatchID,
		s.Read.Nodes, s.Read.Ways, s.Read.Relations, s.Duration.Round(time.Millisecond))
	layers := make([]string, 0, len(s.Read.Features))
	for l := range s.Read.Features {
		layers = append(layers, l)
	}
	sort.Strings(layers)
	fmt.Fprint(w, "  features:")
	for _, l := range layers {
		fmt.Fprintf(w, " %s %d", l, s.Read.Features[l])
	}
	fmt.Fprintf(w, " (%d stored)\n", s.Stored.Features)
	fmt.Fprintf(w, "  road network: %d edges, %d vertices; candidate sites: %d", s.Stored.Edges, s.Stored.Vertices, s.Stored.Sites)
	if s.Stored.Removed > 0 {
		fmt.Fprintf(w, " (%d no longer in the extract removed)", s.Stored.Removed)
	}
	fmt.Fprintln(w)
	if s.Read.MissingNodes > 0 {
		fmt.Fprintf(w, "  %d way nodes were not in the extract (ways clipped at its edge)\n", s.Read.MissingNodes)
	}
	if s.Read.Rejected > 0 {
		fmt.Fprintf(w, "  %d objects kept without their tags (over the importer's limits), e.g. %s\n", s.Read.Rejected, s.Read.RejectSamples[0])
	}
}

// writeDemoRoads writes the demo city's road network (an OSM extract) into
// dir and appends its path to files.
func writeDemoRoads(city *demo.City, dir string, files []string) ([]string, error) {
	p := filepath.Join(dir, demo.FileRoads)
	f, err := os.Create(p)
	if err != nil {
		return files, err
	}
	bw := bufio.NewWriter(f)
	err = city.WriteRoads(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return files, fmt.Errorf("demo: write %s: %w", p, err)
	}
	return append(files, p), nil
}

// loadDemoRoads imports the demo city's road network through the OSM
// importer, so the map shows streets.
func loadDemoRoads(ctx context.Context, e *env, st *store.Store, city *demo.City, dir string) error {
	files, err := writeDemoRoads(city, dir, nil)
	if err != nil {
		return err
	}
	im := &osm.Importer{Store: st, Log: e.log, Limits: e.cfg.Ingest}
	s, err := im.Import(ctx, files[0], false, nil)
	if err != nil {
		return fmt.Errorf("load demo roads: %w", err)
	}
	printOSMSummary(e.stdout, s)
	return nil
}
