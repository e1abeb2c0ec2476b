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
