package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// defaultMaintainer is the Debian packages' Maintainer field unless -maintainer
// (make dist MAINTAINER=...) names another.
const defaultMaintainer = "vigil maintainers <maintainers@vigilsec.invalid>"

// release is what one build stamps into its files.
type release struct {
	root       string    // the repository's top directory
	version    string    // git describe --tags --always --dirty, or -version
	debVersion string    // version made a Debian version
	revision   string    // full commit hash
	modified   bool      // the work tree has uncommitted changes
	committed  time.Time // the commit's time: the date of the man pages and package files
	maintainer string
}

// describe reads the release from the git checkout that holds dir.
// version, when not empty, replaces git describe.
func describe(ctx context.Context, dir, version, maintainer string) (*release, error) {
	root, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("vigil's release files are built from a git checkout, so that they carry its commit: %w", err)
	}
	r := &release{root: root, version: version, maintainer: maintainer}
	if r.version == "" {
		if r.version, err = git(ctx, root, "describe", "--tags", "--always", "--dirty"); err != nil {
			return nil, err
		}
	}
	if strings.ContainsAny(r.version, " \t\n'\"") {
		return nil, fmt.Errorf("version %q: a version has no spaces or quotes", r.version)
	}
	if r.revision, err = git(ctx, root, "rev-parse", "HEAD"); err != nil {
		return nil, err
	}
	status, err := git(ctx, root, "status", "--porcelain")
	if err != nil {
		return nil, err
	}
	r.modified = status != ""
	ct, err := git(ctx, root, "log", "-1", "--format=%ct")
	if err != nil {
		return nil, err
	}
	secs, err := strconv.ParseInt(ct, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("git gave %q as the commit time: %w", ct, err)
	}
	r.committed = time.Unix(secs, 0).UTC()
	count, err := git(ctx, root, "rev-list", "--count", "HEAD")
	if err != nil {
		return nil, err
	}
	commits, err := strconv.Atoi(count)
	if err != nil {
		return nil, fmt.Errorf("git gave %q as the number of commits: %w", count, err)
	}
	_, err = git(ctx, root, "describe", "--tags", "--abbrev=0")
	tagged := err == nil
	if r.debVersion, err = debVersion(r.version, tagged, commits); err != nil {
		return nil, err
	}
	if !validMaintainer(r.maintainer) {
		return nil, fmt.Errorf("maintainer %q: give a name and an address, as in 'Jane Admin <jane@example.org>'", r.maintainer)
	}
	return r, nil
}

// git runs git in dir and returns its output, trimmed.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("git is not installed (Debian: apt-get install git)")
		}
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s in %s: %s", strings.Join(args, " "), dir, msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

var (
	// describeRE is git describe's form after a tag: TAG-N-gHASH.
	describeRE = regexp.MustCompile(`^(.+)-([0-9]+)-g([0-9a-f]{4,64})$`)
	// hashRE is git describe --always without any tag: the abbreviated hash.
	hashRE = regexp.MustCompile(`^[0-9a-f]{4,64}$`)
	// debUpstreamRE is a Debian version without epoch and revision: it
	// starts with a digit and holds no hyphen (Debian Policy 5.6.12).
	debUpstreamRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
	// maintainerRE is a name and an address in angle brackets.
	maintainerRE = regexp.MustCompile(`^[^<>\n]+ <[^<>@\s]+@[^<>@\s]+>$`)
)

// debVersion turns git describe's output into a Debian version that sorts
// the way the commits do:
//
//	v1.2.0                 1.2.0
//	v1.2.0-rc1             1.2.0~rc1   (before 1.2.0)
//	v1.2.0-3-gabc1234      1.2.0+3.gabc1234
//	v1.2.0-dirty           1.2.0+dirty
//	abc1234 (no tag)       0.0.0+COMMITS.gabc1234
//
// tagged tells whether the history has a tag (else git describe gives the
// hash alone); commits is the number of commits up to HEAD, used when there
// is no tag.
func debVersion(describe string, tagged bool, commits int) (string, error) {
	v, dirty := strings.CutSuffix(describe, "-dirty")
	tag, extra := v, []string{}
	if m := describeRE.FindStringSubmatch(v); m != nil {
		tag = m[1]
		extra = append(extra, m[2], "g"+m[3])
	} else if !tagged && hashRE.MatchString(v) {
		tag = "0.0.0"
		extra = append(extra, strconv.Itoa(commits), "g"+v)
	}
	if len(tag) > 1 && tag[0] == 'v' && tag[1] >= '0' && tag[1] <= '9' {
		tag = tag[1:]
	}
	tag = strings.ReplaceAll(tag, "-", "~")
	if dirty {
		extra = append(extra, "dirty")
	}
	out := tag
	if len(extra) > 0 {
		out += "+" + strings.Join(extra, ".")
	}
	if !debUpstreamRE.MatchString(out) {
		return "", fmt.Errorf("version %q cannot be made a Debian version (%q): tag releases as v1.2.3", describe, out)
	}
	return out, nil
}

// validMaintainer reports whether s has the Maintainer field's form.
func validMaintainer(s string) bool { return maintainerRE.MatchString(s) }
