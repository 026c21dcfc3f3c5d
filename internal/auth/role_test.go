package auth

import (
	"strings"
	"testing"
)

func TestParseRole(t *testing.T) {
	tests := []struct {
		in      string
		want    Role
		wantErr bool
	}{
		{"viewer", Viewer, false},
		{"operator", Operator, false},
		{"admin", Admin, false},
		{" Admin ", Admin, false},
		{"OPERATOR", Operator, false},
		{"", "", true},
		{"root", "", true},
		{"admins", "", true},
		{"view er", "", true},
	}
	for _, tt := range tests {
		got, err := ParseRole(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRole(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil {
			for _, r := range []string{"viewer", "operator", "admin"} {
				if !strings.Contains(err.Error(), r) {
					t.Errorf("ParseRole(%q): error %q does not name %s", tt.in, err, r)
				}
			}
		}
	}
}

func TestRoleAllows(t *testing.T) {
	tests := []struct {
		have, need Role
		want       bool
	}{
		{Viewer, Viewer, true},
		{Viewer, Operator, false},
		{Viewer, Admin, false},
		{Operator, Viewer, true},
		{Operator, Operator, true},
		{Operator, Admin, false},
		{Admin, Viewer, true},
		{Admin, Operator, true},
		{Admin, Admin, true},
		{"", Viewer, false},
		{"root", Viewer, false},
		{"Admin", Viewer, false}, // not parsed: not a role
		{Admin, "", false},
		{Admin, "superuser", false},
	}
	for _, tt := range tests {
		if got := tt.have.Allows(tt.need); got != tt.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", tt.have, tt.need, got, tt.want)
		}
	}
}

func TestRoles(t *testing.T) {
	rs := Roles()
	if len(rs) != 3 {
		t.Fatalf("Roles() = %v", rs)
	}
	for i := 1; i < len(rs); i++ {
		if !rs[i].Allows(rs[i-1]) || rs[i-1].Allows(rs[i]) {
			t.Errorf("Roles() not ordered: %v", rs)
		}
	}
}
