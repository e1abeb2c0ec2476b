package ingest

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the encoding of an input file.
type Format string

// Supported formats.
const (
	CSV     Format = "csv"
	NDJSON  Format = "ndjson"
	GeoJSON Format = "geojson"
)

// DetectFormat returns the format named by explicit when it is set, otherwise
// the one implied by the file name's extension: .csv, .ndjson or .jsonl,
// .geojson or .json, each optionally followed by .gz.
func DetectFormat(name string, explicit string) (Format, error) {
	if e := strings.ToLower(strings.TrimSpace(explicit)); e != "" {
		switch e {
		case "csv":
			return CSV, nil
		case "ndjson", "jsonl":
			return NDJSON, nil
		case "geojson", "json":
			return GeoJSON, nil
		}
		return "", fmt.Errorf("unknown format %q (want csv, ndjson or geojson)", explicit)
	}
	base := strings.ToLower(filepath.Base(name))
	base = strings.TrimSuffix(base, ".gz")
	switch filepath.Ext(base) {
	case ".csv":
		return CSV, nil
	case ".ndjson", ".jsonl":
		return NDJSON, nil
	case ".geojson", ".json":
		return GeoJSON, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q from its extension (want .csv, .ndjson, .jsonl, .geojson or .json, optionally .gz); set the format explicitly", name)
}
