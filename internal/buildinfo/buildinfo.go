// Package buildinfo tells which vigil is running: the version stamped at
// build time and the commit the binary was built from.
//
// The version is set with
//
//	go build -buildvcs=true -ldflags "-X github.com/vigilsec/vigil/internal/buildinfo.version=$(git describe --tags --always --dirty)"
//
// The commit comes from the Go toolchain's version control stamp
// (debug.ReadBuildInfo: vcs.revision, vcs.time, vcs.modified), which
// `go build -buildvcs=true` writes when it builds in a git checkout. The
// toolchain does not recognise a linked git worktree (golang/go#58218): it
// stamps nothing there, or the commit of a repository around it. So the
// Makefile also stamps the revision and the dirty flag with -ldflags
// (variables revision and modified); a stamped revision wins over the
// toolchain's.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set at build time with -ldflags -X: the release version (git describe),
// the commit hash (git rev-parse HEAD) and "true" when the work tree had
// uncommitted changes.
var version, revision, modified string

// Dev is the version of a build that carries no version stamp.
const Dev = "dev"

// Info describes one build of vigil.
type Info struct {
	// Version is the stamped version (git describe), else the module version
	// the Go toolchain recorded, else Dev.
	Version string
	// Revision is the full commit hash the binary was built from; empty when
	// the build carries no version control stamp.
	Revision string
	// Time is the commit's time; zero when unknown.
	Time time.Time
	// Modified reports that the work tree had uncommitted changes.
	Modified bool
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
}

// Read returns this binary's build information.
func Read() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, stamp{version: version, revision: revision, modified: modified == "true"})
}

// stamp is what -ldflags set.
type stamp struct {
	version, revision string
	modified          bool
}

// Version returns this binary's version: the stamped one, else the module
// version, else Dev.
func Version() string { return Read().Version }

// fromBuildInfo builds Info from the toolchain's record (nil when there is
// none) and what -ldflags stamped.
func fromBuildInfo(bi *debug.BuildInfo, st stamp) Info {
	info := Info{Version: st.version, GoVersion: runtime.Version()}
	var vcs Info
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		// Go 1.24 and later record a version from the git tag or commit
		// ("v1.2.0", "v0.0.0-20250101120000-0123456789ab+dirty"); go install
		// of a release records its tag. "(devel)" means neither.
		if v := bi.Main.Version; info.Version == "" && v != "" && v != "(devel)" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				vcs.Revision = s.Value
			case "vcs.time":
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					vcs.Time = t.UTC()
				}
			case "vcs.modified":
				vcs.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = Dev
	}
	switch {
	case st.revision == "" || st.revision == vcs.Revision:
		// The toolchain's stamp, which knows the commit time too.
		info.Revision, info.Time, info.Modified = vcs.Revision, vcs.Time, vcs.Modified
	default:
		// The toolchain saw no repository, or another one around a
		// worktree: the revision git gave the build is the right one.
		info.Revision, info.Modified = st.revision, st.modified
	}
	return info
}

// String is what `vigil --version` prints, without the final newline: the
// version on the first line, the commit on the second, the toolchain on
// the third.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vigil %s\n", i.Version)
	switch {
	case i.Revision == "":
		b.WriteString("revision unknown (built without version control information)\n")
	default:
		b.WriteString("revision " + i.Revision)
		var notes []string
		if !i.Time.IsZero() {
			notes = append(notes, "committed "+i.Time.Format(time.RFC3339))
		}
		if i.Modified {
			notes = append(notes, "built with uncommitted changes")
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, ", ") + ")")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "built with %s for %s/%s", i.GoVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
