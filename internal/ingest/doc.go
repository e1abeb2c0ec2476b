// Package ingest reads pings, grids, sites and administrative areas from CSV,
// NDJSON and GeoJSON files, validates every row, converts coordinates to
// WGS-84, pseudonymizes rider ids, and reports rejects with file and line.
//
// The readers stream: they hold one row (or one GeoJSON feature) at a time,
// hand each valid value to a callback and each rejected row to another, and
// return an error only for problems with the file as a whole. Loading into
// the database is done elsewhere in this package (load.go). What a reader
// holds and accepts is capped by Limits (limits.go): a record over its cap
// fails the file before it is read whole; a field over its cap, invalid
// UTF-8 or a NUL character rejects its row.
//
// Ping CSV columns (header required; any order; names trimmed and matched
// case-insensitively; extra columns ignored):
//
//	rider_id   required
//	ts         required; aliases "time", "timestamp"
//	lat        required; alias "latitude"
//	lng        required; aliases "lon", "longitude"
//	platform   optional; PingOptions.Platform when absent or empty
//	status     optional
//
// The same names are the keys of an NDJSON object and the properties of a
// GeoJSON Point feature (where the geometry gives lat and lng).
//
// Timestamps are RFC 3339 (with or without fractional seconds), unix seconds
// (integer or decimal), or unix milliseconds (a 13-digit integer).
package ingest
