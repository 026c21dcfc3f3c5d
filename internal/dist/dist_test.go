package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/cli"
)

// need returns the path of a program the test needs; without it the test
// is skipped, except under CI=true, where it fails.
func need(t *testing.T, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed", program)
		}
		t.Skipf("%s is not installed", program)
	}
	return path
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestDebianPackage builds the package for this machine's architecture as
// `make dist` does, installs it into a temporary root with dpkg -x and runs
// the vigil it installed.
func TestDebianPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds vigil and a Debian package")
	}
	need(t, "go")
	need(t, "git")
	need(t, "dpkg-deb")
	dpkg := need(t, "dpkg")
	debArch, ok := debArches[runtime.GOARCH]
	if !ok {
		t.Skipf("no Debian package is built for %s", runtime.GOARCH)
	}
	r, err := describe(t.Context(), ".", "", defaultMaintainer)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}

	out := t.TempDir()
	start := time.Now()
	made, err := build(t.Context(), r, out, []string{runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built vigil and its package for %s in %s", runtime.GOARCH, time.Since(start).Round(time.Millisecond))
	var bin, deb string
	for _, a := range made {
		switch a.kind {
		case "binary":
			bin = a.path
		case "deb":
			deb = a.path
		}
	}
	if want := filepath.Join(out, "vigil_"+r.debVersion+"_"+debArch+".deb"); deb != want {
		t.Fatalf("package %q, want %q", deb, want)
	}
	staticBinary(t, bin)

	// The control file.
	fields := controlFields(t, output(t, "dpkg-deb", "--field", deb))
	for field, want := range map[string]string{
		"Package": "vigil", "Version": r.debVersion, "Architecture": debArch,
		"Maintainer": defaultMaintainer, "Section": "admin", "Priority": "optional",
	} {
		if fields[field] != want {
			t.Errorf("control field %s = %q, want %q", field, fields[field], want)
		}
	}
	if !strings.HasPrefix(fields["Description"], "security inspector for your own servers\n ") {
		t.Errorf("Description %q lacks a synopsis and a long description", fields["Description"])
	}
	for _, f := range []string{"Depends", "Pre-Depends", "Recommends"} {
		if v, ok := fields[f]; ok {
			t.Errorf("a static binary needs no %s: %q", f, v)
		}
	}
	if exec.Command(dpkg, "--validate-version", r.debVersion).Run() != nil {
		t.Errorf("dpkg refuses the version %q", r.debVersion)
	}

	// The archive: everything root's, the binary executable, the rest not.
	listing := output(t, "dpkg-deb", "--contents", deb)
	t.Logf("dpkg -c %s:\n%s", filepath.Base(deb), listing)
	for line := range strings.Lines(listing) {
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb -c line %q", line)
		}
		mode, owner, path := f[0], f[1], f[5]
		if owner != "root/root" {
			t.Errorf("%s belongs to %s, want root/root", path, owner)
		}
		switch {
		case strings.HasPrefix(mode, "d"):
			if mode != "drwxr-xr-x" {
				t.Errorf("directory %s has mode %s", path, mode)
			}
		case path == "./usr/bin/vigil":
			if mode != "-rwxr-xr-x" {
				t.Errorf("%s has mode %s", path, mode)
			}
		case mode != "-rw-r--r--":
			t.Errorf("%s has mode %s", path, mode)
		}
	}

	// Installed into a temporary root, it runs and knows its version.
	root := t.TempDir()
	output(t, "dpkg", "-x", deb, root)
	vigil := filepath.Join(root, "usr", "bin", "vigil")
	version := output(t, vigil, "--version")
	t.Logf("vigil --version:\n%s", version)
	lines := strings.Split(strings.TrimSpace(version), "\n")
	if len(lines) != 3 {
		t.Fatalf("vigil --version printed %q, want three lines", version)
	}
	if lines[0] != "vigil "+r.version || r.version == "dev" {
		t.Errorf("first line %q, want vigil %s", lines[0], r.version)
	}
	if !strings.HasPrefix(lines[1], "revision "+r.revision) || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(r.revision) {
		t.Errorf("second line %q, want the revision %s", lines[1], r.revision)
	}
	if strings.Contains(lines[1], "uncommitted") != r.modified {
		t.Errorf("second line %q, but the work tree's modified state is %v", lines[1], r.modified)
	}
	if again := output(t, vigil, "version"); again != version {
		t.Errorf("vigil version printed %q, vigil --version %q", again, version)
	}

	// A man page for vigil and for each command.
	man1 := filepath.Join(root, "usr", "share", "man", "man1")
	pages := 0
	for _, c := range manCommands(cli.Command("test", io.Discard, io.Discard)) {
		page := strings.ReplaceAll(c.CommandPath(), " ", "-")
		text := gunzip(t, filepath.Join(man1, page+".1.gz"))
		title := `.TH "` + strings.ToUpper(page) + `" "1" `
		if !strings.Contains(text, title) || !strings.Contains(text, ".SH NAME\n"+page+" - ") {
			t.Errorf("%s.1.gz lacks its title and name:\n%s", page, text)
		}
		pages++
	}
	for _, want := range []string{"vigil", "vigil-scan", "vigil-host", "vigil-host-observe", "vigil-fix", "vigil-report"} {
		if _, err := os.Stat(filepath.Join(man1, want+".1.gz")); err != nil {
			t.Errorf("no man page %s.1.gz", want)
		}
	}
	entries, err := os.ReadDir(man1)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != pages {
		t.Errorf("%d files in man1, want the %d command pages", len(entries), pages)
	}

	// Debian's changelog names the version and the commit.
	changelog := gunzip(t, filepath.Join(root, "usr", "share", "doc", "vigil", "changelog.gz"))
	if !strings.HasPrefix(changelog, "vigil ("+r.debVersion+") ") || !strings.Contains(changelog, r.revision) {
		t.Errorf("changelog.gz:\n%s", changelog)
	}

	// The completions, where each shell looks for them.
	for rel, says := range map[string]string{
		"usr/share/bash-completion/completions/vigil":    "complete -o default -F __start_vigil vigil",
		"usr/share/zsh/vendor-completions/_vigil":        "#compdef vigil",
		"usr/share/fish/vendor_completions.d/vigil.fish": "complete -c vigil ",
	} {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Errorf("completion: %v", err)
			continue
		}
		if !bytes.Contains(data, []byte(says)) {
			t.Errorf("%s does not contain %q", rel, says)
		}
	}
}

// staticBinary checks that bin needs no dynamic loader or shared library.
func staticBinary(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s asks for a dynamic loader: not static", bin)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("%s needs %v: not static", bin, libs)
	}
}

// controlFields parses dpkg-deb --field's output: Field: value, with
// continuation lines kept (joined by newlines).
func controlFields(t *testing.T, text string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	var last string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") && last != "" {
			fields[last] += "\n" + line
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("control line %q", line)
		}
		last = k
		fields[k] = strings.TrimSpace(v)
	}
	return fields
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return ""
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return ""
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Errorf("%s: %v", path, err)
	}
	return string(text)
}
