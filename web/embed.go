// Package web holds the built map (MapLibre GL JS bundle) embedded into the binary.
//
// The sources live in web/src and are built into web/dist by `npm run build` (make web):
// index.html, app.js, app.js.map, app.css, maplibre-gl.css and maplibre-gl-worker.mjs.
// Before a build, dist holds only README.txt, so `go build` works on a fresh clone.
package web

import (
	"embed"
	"io/fs"
)

// Dist is the web/dist directory as built, including the placeholder README.txt.
//
//go:embed all:dist
var Dist embed.FS

// Assets returns the built files rooted at dist, ready for http.FileServerFS.
func Assets() (fs.FS, error) {
	return fs.Sub(Dist, "dist")
}
