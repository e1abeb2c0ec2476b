package osm

import (
	"encoding/xml"
	"io"

	"github.com/paulmach/osm"
)

// WriteXML writes o as an OSM XML file (what `ingest osm` reads); the demo
// city writes its road network with it.
func WriteXML(w io.Writer, o *osm.OSM) error {
	if o.Version == "" {
		o.Version = "0.6"
	}
	if o.Generator == "" {
		o.Generator = "hexcover"
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", " ")
	if err := enc.Encode(o); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
