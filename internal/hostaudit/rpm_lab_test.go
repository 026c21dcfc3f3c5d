package hostaudit

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

// rpmSpecs are two tiny packages built for the test: one without an
// architecture, with an epoch and a subpackage of another name; one for
// this machine's architecture, without an epoch.
var rpmSpecs = map[string]string{
	"vigil-fixture.spec": `Name: vigil-fixture
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: A package for vigil's tests
License: MIT
BuildArch: noarch

%description
A package for vigil's tests.

%package -n vigil-fixture-libs
Summary: A subpackage for vigil's tests
%description -n vigil-fixture-libs
A subpackage.

%files
%files -n vigil-fixture-libs
`,
	"vigil-arch.spec": `Name: vigil-arch
Version: 0.9~rc1
Release: 1.fc40
Summary: An architecture-dependent package for vigil's tests
License: MIT

%description
An architecture-dependent package for vigil's tests.

%files
`,
}

// TestRPMAgainstRealRPM builds real rpm packages with rpmbuild, records
// them in a new rpm database (rpm --initdb, rpm -i --justdb) inside a
// mounted root, and checks that vigil reads from that database what
// rpm -qa says is installed. It needs Debian's rpm package (lab/install-deps.sh
// installs it); without it the test is skipped, except under CI=true.
func TestRPMAgainstRealRPM(t *testing.T) {
	for _, tool := range []string{"rpm", "rpmbuild"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (lab/install-deps.sh installs it)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	dir := t.TempDir()
	top := filepath.Join(dir, "top")
	root := filepath.Join(dir, "root")
	db := filepath.Join(root, "var/lib/rpm")
	for _, d := range []string{filepath.Join(top, "SPECS"), db, filepath.Join(root, "etc")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), name, args...)
		// rpm keeps its defaults under HOME (Debian's dbpath is ~/.rpmdb).
		cmd.Env = append(os.Environ(), "HOME="+dir, "LC_ALL=C")
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
		}
		return string(out)
	}
	for name, spec := range rpmSpecs {
		file := filepath.Join(top, "SPECS", name)
		if err := os.WriteFile(file, []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		run("rpmbuild", "--define", "_topdir "+top, "--define", "_dbpath "+filepath.Join(dir, "build-db"), "--define", "debug_package %{nil}", "-bb", file)
	}
	rpms, err := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	if err != nil || len(rpms) != 3 {
		t.Fatalf("rpmbuild made %v (%v), want 3 packages", rpms, err)
	}
	run("rpm", "--initdb", "--dbpath", db)
	run("rpm", append([]string{"-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--dbpath", db}, rpms...)...)
	if err := os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// What rpm says is installed, in vigil's terms: [epoch:]version-release.
	var want []facts.Package
	for line := range strings.SplitSeq(strings.TrimSpace(run("rpm", "-qa", "--dbpath", db, "--qf", `%{NAME}|%{EPOCH}|%{VERSION}|%{RELEASE}|%{ARCH}|%{SOURCERPM}\n`)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 6 {
			t.Fatalf("rpm -qa printed %q", line)
		}
		v := f[2] + "-" + f[3]
		if f[1] != "(none)" && f[1] != "0" {
			v = f[1] + ":" + v
		}
		src, srcVersion := "vigil-fixture", "1.2.3-4.el9"
		if f[0] == "vigil-arch" {
			src, srcVersion = "vigil-arch", "0.9~rc1-1.fc40"
		}
		if f[5] != src+"-"+srcVersion+".src.rpm" {
			t.Fatalf("rpm says %s comes from %s", f[0], f[5])
		}
		want = append(want, facts.Package{Name: f[0], Version: v, Arch: f[4], Source: src, SourceVersion: srcVersion, Format: facts.FormatRPM})
	}
	slices.SortFunc(want, facts.ComparePackages)
	if len(want) != 3 || want[1].Version != "2:1.2.3-4.el9" {
		t.Fatalf("rpm -qa: %+v", want)
	}

	got, err := ParseRPMDB(t.Context(), readFile(t, filepath.Join(db, "rpmdb.sqlite")))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, facts.ComparePackages)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("vigil read\n%+v\nrpm -qa says\n%+v", got, want)
	}

	// The same through vigil host --root's Target, which must leave the
	// database as it was (no journal, no lock file).
	before, _ := os.ReadDir(db)
	r, err := Root(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h, err := Collect(t.Context(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Packages, want) || h.OS == nil || h.OS.ID != "rocky" {
		t.Errorf("--root audit: packages %+v, os %+v", h.Packages, h.OS)
	}
	after, _ := os.ReadDir(db)
	if len(before) != len(after) {
		t.Errorf("the rpm database directory changed: %v, then %v", before, after)
	}
}
