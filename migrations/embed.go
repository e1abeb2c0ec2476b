// Package migrations embeds the numbered SQL migrations of the hexcover schema,
// applied by internal/store with goose.
package migrations

import "embed"

// FS holds every *.sql migration, in goose's format.
//
//go:embed *.sql
var FS embed.FS
