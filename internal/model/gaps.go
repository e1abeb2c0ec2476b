package model

// GapCell is a cell of a gap zone as the gaps tile layer draws it. The
// coverage package owns the one gap rule and the zones (what /api/gaps
// lists); the tiles package only draws what it is given.
type GapCell struct {
	Cell     int64   // H3 cell at the demand resolution
	Demand   float64 // by the analysis metric (rider-hours or riders)
	Riders   int64   // distinct riders of the cell (released for non-admins)
	Zone     int64   // the zone's id: its lowest cell (GapZone.ID in hex)
	ZoneRank int     // the zone's rank in /api/gaps for the same viewer, hours and metric
	NearestM float64 // straight-line metres to the nearest existing presence site; < 0: none
}
