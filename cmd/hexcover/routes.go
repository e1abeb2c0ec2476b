package main

import (
	"context"
	"io/fs"

	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
)

// buildServer wires every route: the server's own plus the tiles and
// analysis handlers, each built from the shared store and settings.
func buildServer(ctx context.Context, e *env, st *store.Store, assets fs.FS) (*server.Server, error) {
	_ = ctx
	return server.New(e.cfg, st, e.log, assets), nil
}
