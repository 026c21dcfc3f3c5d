package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

const (
	rev   = "0123456789abcdef0123456789abcdef01234567"
	other = "fedcba9876543210fedcba9876543210fedcba98"
)

func toolchain(mainVersion string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/vigilsec/vigil", Version: mainVersion}}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestFromBuildInfo(t *testing.T) {
	committed := time.Date(2025, 12, 7, 16, 18, 0, 0, time.UTC)
	vcs := []string{"vcs", "git", "vcs.revision", rev, "vcs.time", "2025-12-07T16:18:00Z", "vcs.modified", "true"}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		st   stamp
		want Info
	}{
		{"nothing at all", nil, stamp{},
			Info{Version: Dev}},
		{"go run: no stamp, no module version", toolchain("(devel)"), stamp{},
			Info{Version: Dev, GoVersion: "go1.26.8"}},
		{"go build -buildvcs=true in a clone", toolchain("v0.0.0-20251207161800-0123456789ab+dirty", vcs...), stamp{},
			Info{Version: "v0.0.0-20251207161800-0123456789ab+dirty", Revision: rev, Time: committed, Modified: true, GoVersion: "go1.26.8"}},
		{"make build in a clone: stamps agree", toolchain("(devel)", vcs...), stamp{version: "v1.2.0-3-g0123456-dirty", revision: rev, modified: true},
			Info{Version: "v1.2.0-3-g0123456-dirty", Revision: rev, Time: committed, Modified: true, GoVersion: "go1.26.8"}},
		{"make build in a worktree: the toolchain saw nothing", toolchain("(devel)"), stamp{version: "v1.2.0", revision: rev},
			Info{Version: "v1.2.0", Revision: rev, GoVersion: "go1.26.8"}},
		{"worktree inside another repository: the stamp wins", toolchain("(devel)", "vcs.revision", other, "vcs.time", "2020-01-01T00:00:00Z", "vcs.modified", "true"), stamp{version: "v1.2.0", revision: rev},
			Info{Version: "v1.2.0", Revision: rev, GoVersion: "go1.26.8"}},
		{"go install of a release", toolchain("v1.2.0"), stamp{},
			Info{Version: "v1.2.0", GoVersion: "go1.26.8"}},
	}
	for _, tt := range tests {
		got := fromBuildInfo(tt.bi, tt.st)
		if tt.bi == nil {
			tt.want.GoVersion = got.GoVersion // the running toolchain's
		}
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	i := Info{Version: "v1.2.0-3-g0123456-dirty", Revision: rev, Time: time.Date(2025, 12, 7, 16, 18, 0, 0, time.UTC), Modified: true, GoVersion: "go1.26.8"}
	lines := strings.Split(i.String(), "\n")
	if len(lines) != 3 {
		t.Fatalf("want three lines, got %q", i.String())
	}
	if lines[0] != "vigil v1.2.0-3-g0123456-dirty" {
		t.Errorf("first line %q", lines[0])
	}
	if lines[1] != "revision "+rev+" (committed 2025-12-07T16:18:00Z, built with uncommitted changes)" {
		t.Errorf("second line %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "built with go1.26.8 for ") {
		t.Errorf("third line %q", lines[2])
	}

	unknown := Info{Version: Dev, GoVersion: "go1.26.8"}.String()
	if !strings.Contains(unknown, "vigil dev\nrevision unknown (built without version control information)\n") {
		t.Errorf("without a revision: %q", unknown)
	}
	clean := Info{Version: "v1.2.0", Revision: rev, GoVersion: "go1.26.8"}.String()
	if !strings.Contains(clean, "\nrevision "+rev+"\n") {
		t.Errorf("clean build without commit time: %q", clean)
	}
}
