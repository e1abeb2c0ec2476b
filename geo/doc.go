// Package geo provides pure geometry, coordinate-system and H3 helpers for hexcover's spatial analytics.
package geo
