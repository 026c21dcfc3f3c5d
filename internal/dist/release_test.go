package main

import (
	"os/exec"
	"testing"
)

func TestDebVersion(t *testing.T) {
	tests := []struct {
		describe string
		tagged   bool
		commits  int
		want     string
	}{
		{"v1.2.0", true, 40, "1.2.0"},
		{"1.2.0", true, 40, "1.2.0"},
		{"v1.2.0-dirty", true, 40, "1.2.0+dirty"},
		{"v1.2.0-3-gabc1234", true, 43, "1.2.0+3.gabc1234"},
		{"v1.2.0-3-gabc1234-dirty", true, 43, "1.2.0+3.gabc1234.dirty"},
		{"v1.2.0-rc1", true, 40, "1.2.0~rc1"},
		{"v1.2.0-rc1-2-gabc1234", true, 42, "1.2.0~rc1+2.gabc1234"},
		{"8b966c7", false, 54, "0.0.0+54.g8b966c7"},
		{"8b966c7-dirty", false, 54, "0.0.0+54.g8b966c7.dirty"},
		// A tag that happens to look like a hash is still a tag.
		{"20250101", true, 9, "20250101"},
	}
	for _, tt := range tests {
		got, err := debVersion(tt.describe, tt.tagged, tt.commits)
		if err != nil || got != tt.want {
			t.Errorf("debVersion(%q, %v, %d) = %q, %v; want %q", tt.describe, tt.tagged, tt.commits, got, err, tt.want)
		}
		if err == nil && !debUpstreamRE.MatchString(got) {
			t.Errorf("debVersion(%q) = %q, not a Debian version", tt.describe, got)
		}
	}
	for _, bad := range []string{"dev", "release-one", "v", ""} {
		if got, err := debVersion(bad, true, 1); err == nil {
			t.Errorf("debVersion(%q) = %q, want an error", bad, got)
		}
	}
}

// TestDebVersionOrder: dpkg sorts the versions the way the history does.
func TestDebVersionOrder(t *testing.T) {
	dpkg := need(t, "dpkg")
	ordered := []struct {
		describe string
		tagged   bool
		commits  int
	}{
		{"8b966c7", false, 54},
		{"1a2b3c4", false, 55},
		{"v1.2.0-rc1", true, 56},
		{"v1.2.0-rc1-1-gabcdef0", true, 57},
		{"v1.2.0", true, 58},
		{"v1.2.0-1-g0123456", true, 59},
		{"v1.2.0-2-g0123457", true, 60},
		{"v1.10.0", true, 61},
	}
	var prev string
	for i, o := range ordered {
		v, err := debVersion(o.describe, o.tagged, o.commits)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && exec.Command(dpkg, "--compare-versions", prev, "lt", v).Run() != nil {
			t.Errorf("dpkg does not sort %q before %q", prev, v)
		}
		prev = v
	}
}

func TestValidMaintainer(t *testing.T) {
	for s, want := range map[string]bool{
		defaultMaintainer:                   true,
		"Jane Admin <jane@example.org>":     true,
		"jane@example.org":                  false,
		"Jane Admin":                        false,
		"Jane <jane@example.org>\nDepends:": false,
	} {
		if validMaintainer(s) != want {
			t.Errorf("validMaintainer(%q) = %v", s, !want)
		}
	}
}
