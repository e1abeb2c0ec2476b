package model

import "strings"

// Role is what a token may do.
type Role = string

// Roles.
const (
	RoleAdmin       Role = "admin"        // everything, including rider-level data anywhere
	RolePlanner     Role = "planner"      // aggregates, siting, saving scenarios
	RoleLeader      Role = "leader"       // aggregates, siting what-ifs (read-only scenarios)
	RoleGridManager Role = "grid_manager" // aggregates; rider-level data inside his scope
)

// Roles lists every role in display order.
var Roles = []Role{RoleAdmin, RolePlanner, RoleLeader, RoleGridManager}

// Viewer is who makes a request: the token's name, role and, for grid
// managers, the grids, streets or communities they manage ("G1",
// "street:CODE", "community:CODE"). The zero Viewer has no role.
type Viewer struct {
	TokenID int64    `json:"-"`
	Name    string   `json:"name"`
	Role    Role     `json:"role"`
	Scope   []string `json:"scope"`
}

// Admin tells whether v sees rider-level data and unsuppressed aggregates.
func (v Viewer) Admin() bool { return v.Role == RoleAdmin }

// Actor names v in the audit log.
func (v Viewer) Actor() string { return v.Role + ":" + v.Name }

// CanGrid tells whether v may see rider-level data of a grid (candidates,
// members, ranges): admins anywhere, grid managers inside their scope.
func (v Viewer) CanGrid(code, street, community string) bool {
	if v.Admin() {
		return true
	}
	if v.Role != RoleGridManager {
		return false
	}
	for _, s := range v.Scope {
		switch {
		case s == code:
			return true
		case strings.HasPrefix(s, "street:") && street != "" && s[len("street:"):] == street:
			return true
		case strings.HasPrefix(s, "community:") && community != "" && s[len("community:"):] == community:
			return true
		}
	}
	return false
}

// Capability names something a viewer may do; GET /api/me lists the
// viewer's so the map shows only what works.
type Capability = string

// Capabilities.
const (
	CapSiting         Capability = "siting"          // run siting what-ifs, read scenarios
	CapScenariosWrite Capability = "scenarios.write" // save scenarios
	CapCandidates     Capability = "candidates"      // ranked couriers of a grid (in scope)
	CapAssignments    Capability = "assignments"     // propose, accept and decline grid members (in scope)
	CapRoster         Capability = "roster"          // grid member rosters (in scope)
	CapRiderRange     Capability = "rider_range"     // one rider's activity range (audited)
	CapAudit          Capability = "audit"           // the audit log
	CapUnsuppressed   Capability = "unsuppressed"    // cells, zones and areas below k riders
	CapHoursArbitrary Capability = "hours.arbitrary" // any hours-of-week filter, not only the named ranges
)

// capabilityRoles is the one table of which role may do what; routes take
// their role lists from it (RolesWith). Rider-level capabilities of grid
// managers hold inside their scope only (Viewer.CanGrid).
var capabilityRoles = []struct {
	c     Capability
	roles []Role
}{
	{CapSiting, []Role{RoleAdmin, RolePlanner, RoleLeader}},
	{CapScenariosWrite, []Role{RoleAdmin, RolePlanner}},
	{CapCandidates, []Role{RoleAdmin, RoleGridManager}},
	{CapAssignments, []Role{RoleAdmin, RoleGridManager}},
	{CapRoster, []Role{RoleAdmin, RoleGridManager}},
	{CapRiderRange, []Role{RoleAdmin}},
	{CapAudit, []Role{RoleAdmin}},
	{CapUnsuppressed, []Role{RoleAdmin}},
	{CapHoursArbitrary, []Role{RoleAdmin, RolePlanner, RoleLeader, RoleGridManager}},
}

// RolesWith lists the roles that have capability c.
func RolesWith(c Capability) []Role {
	for _, cr := range capabilityRoles {
		if cr.c == c {
			return append([]Role(nil), cr.roles...)
		}
	}
	return nil
}

// Capabilities lists what v may do, in a fixed order (never nil).
func (v Viewer) Capabilities() []Capability {
	out := []Capability{}
	for _, cr := range capabilityRoles {
		for _, r := range cr.roles {
			if r == v.Role {
				out = append(out, cr.c)
				break
			}
		}
	}
	return out
}

// Can tells whether v has capability c.
func (v Viewer) Can(c Capability) bool {
	for _, x := range v.Capabilities() {
		if x == c {
			return true
		}
	}
	return false
}
