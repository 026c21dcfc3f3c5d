package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/vigilsec/vigil/internal/cli"
)

// buildinfoPkg holds the variables -ldflags -X stamps.
const buildinfoPkg = "github.com/vigilsec/vigil/internal/buildinfo"

// debArches maps Go architectures to Debian's names for them.
var debArches = map[string]string{
	"amd64":   "amd64",
	"arm64":   "arm64",
	"386":     "i386",
	"ppc64le": "ppc64el",
	"riscv64": "riscv64",
	"s390x":   "s390x",
}

// completions are where Debian's shells look for completion scripts, by
// the shell cobra's completion command writes for.
var completions = map[string]string{
	"bash": "bash-completion/completions/vigil",
	"zsh":  "zsh/vendor-completions/_vigil",
	"fish": "fish/vendor_completions.d/vigil.fish",
}

// artefact is one file build wrote.
type artefact struct {
	arch string // Go architecture
	kind string // "binary" or "deb"
	path string
}

// build writes, into out, a static binary and a Debian package for each of
// arches, and SHA256SUMS over them.
func build(ctx context.Context, r *release, out string, arches []string) ([]artefact, error) {
	for _, a := range arches {
		if _, ok := debArches[a]; !ok {
			return nil, fmt.Errorf("architecture %q: vigil packages are built for %s", a, strings.Join(slices.Sorted(maps.Keys(debArches)), ", "))
		}
	}
	out, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "vigil-dist-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	// The man pages and completions are the same for every architecture.
	share := filepath.Join(tmp, "share")
	if err := writeShare(r, share); err != nil {
		return nil, err
	}
	var made []artefact
	for _, a := range arches {
		bin := filepath.Join(out, "vigil-linux-"+a)
		if err := goBuild(ctx, r, a, bin); err != nil {
			return nil, err
		}
		made = append(made, artefact{a, "binary", bin})
		deb, err := packageDeb(ctx, r, a, bin, share, filepath.Join(tmp, "deb-"+a), out)
		if err != nil {
			return nil, err
		}
		made = append(made, artefact{a, "deb", deb})
	}
	return made, writeSums(filepath.Join(out, "SHA256SUMS"), made)
}

// goBuild builds a static vigil for linux/arch into bin, stamped with the
// release's version and commit.
func goBuild(ctx context.Context, r *release, arch, bin string) error {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return errors.New("the Go toolchain (go) is not in PATH")
	}
	ldflags := fmt.Sprintf("-s -w -X %[1]s.version=%[2]s -X %[1]s.revision=%[3]s -X %[1]s.modified=%[4]t",
		buildinfoPkg, r.version, r.revision, r.modified)
	cmd := exec.CommandContext(ctx, gocmd, "build", "-trimpath", "-buildvcs=true", "-ldflags", ldflags, "-o", bin, "./cmd/vigil")
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building vigil for linux/%s: %v\n%s", arch, err, stderr.Bytes())
	}
	return nil
}

// writeShare writes the usr/share part of the package into dir: a man page
// for vigil and one for each of its commands, and the bash, zsh and fish
// completions, both from the command tree the binary runs.
func writeShare(r *release, dir string) error {
	man1 := filepath.Join(dir, "man", "man1")
	if err := os.MkdirAll(man1, 0o755); err != nil {
		return err
	}
	root := cli.Command(r.version, io.Discard, io.Discard)
	root.DisableAutoGenTag = true
	header := doc.GenManHeader{Section: "1", Date: &r.committed, Source: "vigil " + r.version, Manual: "vigil manual"}
	for _, c := range manCommands(root) {
		var page bytes.Buffer
		h := header // GenMan fills in the title from the command
		if err := doc.GenMan(c, &h, &page); err != nil {
			return fmt.Errorf("man page of %s: %w", c.CommandPath(), err)
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1.gz"
		if err := writeGzip(filepath.Join(man1, name), page.Bytes()); err != nil {
			return err
		}
	}
	for shell, rel := range completions {
		var script bytes.Buffer
		root := cli.Command(r.version, &script, io.Discard)
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil {
			return fmt.Errorf("vigil completion %s: %w", shell, err)
		}
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, script.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// manCommands lists c and the commands under it that get a man page: those
// a user can run (not help, not hidden ones).
func manCommands(c *cobra.Command) []*cobra.Command {
	list := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
			list = append(list, manCommands(sub)...)
		}
	}
	return list
}

// writeGzip writes data gzip-compressed, with no name or time in the
// header, so that the same page gives the same bytes.
func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// packageDeb lays out the package in stage and builds it into out with
// dpkg-deb; it returns the package's path.
func packageDeb(ctx context.Context, r *release, arch, bin, share, stage, out string) (string, error) {
	debArch := debArches[arch]
	if err := copyFile(bin, filepath.Join(stage, "usr", "bin", "vigil"), 0o755); err != nil {
		return "", err
	}
	err := filepath.WalkDir(share, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(share, path)
		if err != nil {
			return err
		}
		return copyFile(path, filepath.Join(stage, "usr", "share", rel), 0o644)
	})
	if err != nil {
		return "", err
	}
	if err := writeDocFiles(r, stage); err != nil {
		return "", err
	}
	sums, size, err := md5sums(stage)
	if err != nil {
		return "", err
	}
	control := fmt.Sprintf(`Package: vigil
Version: %s
Architecture: %s
Maintainer: %s
Installed-Size: %d
Section: admin
Priority: optional
Description: security inspector for your own servers
 vigil scans the servers you name and finds ports left open, management
 services exposed, services talking in cleartext or with outdated TLS or
 SSH, and weak configurations. It says exactly how to fix each one, rates
 your security level from 1 (exposed) to 5 (strong) and writes the
 evidence HIPAA, GDPR, CIS and PCI auditors ask for.
 .
 It sends nothing anywhere: every result is a local file or a row in your
 own database. It is one static binary and needs no other package.
`, r.debVersion, debArch, r.maintainer, size)
	debian := filepath.Join(stage, "DEBIAN")
	if err := os.MkdirAll(debian, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(debian, "control"), []byte(control), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(debian, "md5sums"), sums, 0o644); err != nil {
		return "", err
	}
	if err := normalise(stage, r); err != nil {
		return "", err
	}
	deb := filepath.Join(out, fmt.Sprintf("vigil_%s_%s.deb", r.debVersion, debArch))
	cmd := exec.CommandContext(ctx, "dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage, deb)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(r.committed.Unix(), 10))
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("dpkg-deb is not installed (Debian: apt-get install dpkg)")
		}
		return "", fmt.Errorf("dpkg-deb --build for %s: %v\n%s", debArch, err, output.Bytes())
	}
	return deb, nil
}

// writeDocFiles writes the package's changelog, which Debian wants in
// every package, and the lintian override that says the binary is static on
// purpose.
func writeDocFiles(r *release, stage string) error {
	doc := filepath.Join(stage, "usr", "share", "doc", "vigil")
	if err := os.MkdirAll(doc, 0o755); err != nil {
		return err
	}
	state := ""
	if r.modified {
		state = "\n    with uncommitted changes"
	}
	changelog := fmt.Sprintf(`vigil (%s) unstable; urgency=medium

  * Built from vigil %s,
    commit %s%s.

 -- %s  %s
`, r.debVersion, r.version, r.revision, state, r.maintainer, r.committed.Format(time.RFC1123Z))
	if err := writeGzip(filepath.Join(doc, "changelog.gz"), []byte(changelog)); err != nil {
		return err
	}
	overrides := filepath.Join(stage, "usr", "share", "lintian", "overrides")
	if err := os.MkdirAll(overrides, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(overrides, "vigil"), []byte("# Go, CGO_ENABLED=0: one static binary that needs no other package.\nvigil: statically-linked-binary [usr/bin/vigil]\n"), 0o644)
}

// copyFile copies src to dst, creating dst's directories, with mode.
func copyFile(src, dst string, mode fs.FileMode) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, mode)
}

// md5sums returns DEBIAN/md5sums for the files under stage, and their
// installed size in KiB as dpkg counts it (each file rounded up to 1 KiB,
// each directory 1 KiB).
func md5sums(stage string) ([]byte, int64, error) {
	var sums bytes.Buffer
	var size int64
	err := filepath.WalkDir(stage, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == stage {
			return err
		}
		rel, err := filepath.Rel(stage, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			size++
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		size += (int64(len(data)) + 1023) / 1024
		fmt.Fprintf(&sums, "%x  %s\n", md5.Sum(data), filepath.ToSlash(rel))
		return nil
	})
	return sums.Bytes(), size, err
}

// normalise gives every file and directory of the package the modes Debian
// expects, whatever the umask, and the commit's time.
func normalise(stage string, r *release) error {
	return filepath.WalkDir(stage, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() || path == filepath.Join(stage, "usr", "bin", "vigil") {
			mode = 0o755
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
		return os.Chtimes(path, r.committed, r.committed)
	})
}

// writeSums writes a SHA256SUMS file (sha256sum -c reads it) for made.
func writeSums(path string, made []artefact) error {
	var b bytes.Buffer
	for _, a := range made {
		data, err := os.ReadFile(a.path)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), filepath.Base(a.path))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
