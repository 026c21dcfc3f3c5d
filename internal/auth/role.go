package auth

import (
	"fmt"
	"strings"
)

// Role is what a user or a token may do. Roles are ordered: an admin may
// do everything an operator may, and an operator everything a viewer may.
type Role string

// The roles.
const (
	// Viewer reads: pages, findings, scans, reports.
	Viewer Role = "viewer"
	// Operator also launches scans and host audits and accepts risks.
	Operator Role = "operator"
	// Admin also manages users, tokens, schedules and alert targets.
	Admin Role = "admin"
)

// Roles returns the roles from the least to the most powerful.
func Roles() []Role { return []Role{Viewer, Operator, Admin} }

// rank orders the roles; an unknown role ranks 0 and is allowed nothing.
func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Operator:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// ParseRole reads a role name (case and surrounding spaces do not matter).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q: use viewer, operator or admin", s)
	}
	return r, nil
}

// Allows reports whether a holder of role r may do what needs role need:
// admin ⊇ operator ⊇ viewer. An unknown role allows nothing, and nothing
// allows an unknown need.
func (r Role) Allows(need Role) bool {
	return r.rank() > 0 && need.rank() > 0 && r.rank() >= need.rank()
}

// String returns the role's name.
func (r Role) String() string { return string(r) }
