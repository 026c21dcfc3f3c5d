package hostaudit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/facts"
)

// osReleaseFiles are where os-release(5) lives; the first that exists
// counts.
var osReleaseFiles = []string{"/etc/os-release", "/usr/lib/os-release"}

// collectOS reads the target's os-release. A machine without one is no
// error: it is nil.
func collectOS(ctx context.Context, t Target) (*facts.OSRelease, error) {
	for _, f := range osReleaseFiles {
		b, err := t.ReadFile(ctx, f)
		switch {
		case missing(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("cannot read %s: %w", f, err)
		}
		return ParseOSRelease(b), nil
	}
	return nil, nil
}

// collectPackages reads every package database the target has (dpkg,
// apk, rpm) and returns their packages, sorted by facts.ComparePackages,
// at most MaxPackages of them. A database that does not exist is no
// error; one that cannot be read, or that does not parse, is one error
// each (with what could be read of it).
func collectPackages(ctx context.Context, t Target) ([]facts.Package, []string) {
	var (
		out  []facts.Package
		errs []string
	)
	t = onlyExisting{t, existing(ctx, t, packageFiles())}
	add := func(ps []facts.Package, err error) {
		out = append(out, ps...)
		if err != nil {
			errs = append(errs, "packages: "+err.Error())
		}
	}
	if b, err := t.ReadFile(ctx, dpkgStatusFile); err == nil {
		add(ParseDpkgStatus(b))
	} else if !missing(err) {
		add(nil, fmt.Errorf("cannot read %s: %w", dpkgStatusFile, err))
	}
	for _, f := range apkInstalledFiles {
		b, err := t.ReadFile(ctx, f)
		if missing(err) {
			continue
		}
		if err != nil {
			add(nil, fmt.Errorf("cannot read %s: %w", f, err))
			break
		}
		ps, err := ParseApkInstalled(b)
		if err != nil {
			err = fmt.Errorf("%s: %w", f, err)
		}
		add(ps, err)
		break
	}
	add(collectRPM(ctx, t))
	if len(out) > MaxPackages {
		out = out[:MaxPackages]
		errs = append(errs, fmt.Sprintf("packages: more than %d installed packages; the rest are not reported", MaxPackages))
	}
	slices.SortFunc(out, facts.ComparePackages)
	return out, errs
}

// collectRPM reads rpm's SQLite database when the target has one, and
// says so when it has only a database format vigil does not read.
func collectRPM(ctx context.Context, t Target) ([]facts.Package, error) {
	for _, f := range rpmSQLiteFiles {
		b, err := t.ReadFile(ctx, f)
		if missing(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", f, err)
		}
		ps, err := ParseRPMDB(ctx, b)
		if err != nil {
			err = fmt.Errorf("%s: %w", f, err)
		}
		return ps, err
	}
	o, _ := t.(onlyExisting)
	for _, old := range rpmOldFormats {
		there, known := o.there[old.file]
		if !known {
			// The target cannot tell which files exist: the read tells,
			// and a large database says so by being too large.
			_, err := t.ReadFile(ctx, old.file)
			there = err == nil || errors.Is(err, ErrTooLarge)
		}
		if there {
			return nil, fmt.Errorf("rpm database format not supported: %s is a %s database (rpm before 4.16); vigil reads rpm's SQLite database (rpmdb.sqlite) only", old.file, old.format)
		}
	}
	return nil, nil
}

// packageFiles lists every file collectPackages looks for.
func packageFiles() []string {
	out := append([]string{dpkgStatusFile}, apkInstalledFiles...)
	out = append(out, rpmSQLiteFiles...)
	for _, old := range rpmOldFormats {
		out = append(out, old.file)
	}
	return out
}

// existsScript prints those of its arguments that exist.
const existsScript = `for f; do [ -e "$f" ] && printf '%s\n' "$f"; done; exit 0`

// existsCommand is the command that tells which package databases a
// remote target has, in one session (phase 1 fetches it in its bundle).
func existsCommand() []string {
	return append([]string{"sh", "-c", existsScript, "vigil-exists"}, packageFiles()...)
}

// existing tells which of paths exist on t, without reading them: a
// remote target answers in one session rather than one per file, and a
// large database of a format vigil does not read is not read to learn
// that it is there. A path that cannot be checked counts as there (its
// read will say why). It returns nil when the target cannot tell.
func existing(ctx context.Context, t Target, paths []string) map[string]bool {
	out := map[string]bool{}
	if r, ok := t.(*RootFS); ok {
		for _, p := range paths {
			fd, err := r.open(p)
			if err == nil {
				unix.Close(fd)
			}
			out[p] = !missing(err)
		}
		return out
	}
	if isLocal(t) {
		for _, p := range paths {
			_, err := os.Stat(p)
			out[p] = !missing(err)
		}
		return out
	}
	b, err := t.Run(ctx, "sh", append([]string{"-c", existsScript, "vigil-exists"}, paths...)...)
	if err != nil {
		return nil
	}
	for _, p := range paths {
		out[p] = false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if _, ok := out[line]; ok {
			out[line] = true
		}
	}
	return out
}

// onlyExisting is a Target that answers "no such file" at once for the
// files it knows are not there, and reads the others.
type onlyExisting struct {
	Target
	there map[string]bool // nil: it knows nothing
}

// ReadFile implements Target.
func (o onlyExisting) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if there, ok := o.there[path]; ok && !there {
		return nil, fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	return o.Target.ReadFile(ctx, path)
}
