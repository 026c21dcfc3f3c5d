package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOutputFiles: a file -o writes is 0600 unless --mode says otherwise,
// appears only when complete (a failed run keeps what was there, even
// the run's own input), and replaces a symbolic link instead of writing
// through it.
func TestOutputFiles(t *testing.T) {
	doc := scanDoc("s1", "office", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	in := writeScan(t, doc)
	dir := t.TempDir()
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode()
	}
	for _, format := range []string{"table", "json", "sarif", "csv", "html", "pdf"} {
		out := filepath.Join(dir, "report."+format)
		if code, _, stderr := vigilIn(t, "", "report", in, "--format", format, "-o", out); code != ExitOK {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if m := mode(out); m != 0o600 {
			t.Errorf("%s report has mode %v, want 0600", format, m)
		}
	}
	shared := filepath.Join(dir, "shared.json")
	if code, _, stderr := vigilIn(t, "", "report", in, "--format", "json", "--mode", "0640", "-o", shared); code != ExitOK || mode(shared) != 0o640 {
		t.Errorf("--mode 0640: exit %d (%s), mode %v", code, stderr, mode(shared))
	}
	if code, _, _ := vigilIn(t, "", "report", in, "--mode", "rw-r--r--", "-o", shared); code != ExitUsage {
		t.Errorf("--mode rw-r--r--: exit %d, want %d", code, ExitUsage)
	}

	// A run that fails after the flags were read keeps its own input.
	orig, _ := os.ReadFile(in)
	if code, _, _ := vigilIn(t, "", "report", in, "--framework", "hipaa", "--format", "csv", "-o", in); code == ExitOK {
		t.Fatal("an impossible report succeeded")
	}
	if now, _ := os.ReadFile(in); !bytes.Equal(now, orig) {
		t.Error("a failed report changed the file -o named (its own input)")
	}
	// And a successful one over its own input works.
	if code, _, stderr := vigilIn(t, "", "report", in, "--format", "json", "-o", in); code != ExitOK {
		t.Errorf("report onto its own input: exit %d: %s", code, stderr)
	}

	// A link planted at the output path is replaced, its target untouched.
	target := filepath.Join(dir, "precious")
	if err := os.WriteFile(target, []byte("keep me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := vigilIn(t, "", "report", in, "--format", "json", "-o", link); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep me\n" {
		t.Error("vigil wrote through a symbolic link at the output path")
	}
	if m := mode(link); !m.IsRegular() || m.Perm() != 0o600 {
		t.Errorf("the output is %v, want a regular file 0600", m)
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.Name()[0] == '.' {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestBriefTable: --brief writes the level and one line per finding, with
// its id.
func TestBriefTable(t *testing.T) {
	doc := scanDoc("s1", "office", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	in := writeScan(t, doc)
	code, out, stderr := vigilIn(t, "", "report", in, "--brief")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range doc.Findings {
		n := 0
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, f.ID) {
				n++
				if !strings.Contains(l, f.Check) || !strings.Contains(l, strings.ToUpper(f.Severity.String())) {
					t.Errorf("line %q lacks the check or severity of %s", l, f.ID)
				}
			}
		}
		if n != 1 {
			t.Errorf("finding %s is on %d lines, want 1:\n%s", f.ID, n, out)
		}
	}
	if !strings.Contains(out, "Level 2 of 5") || strings.Contains(out, "Evidence:") {
		t.Errorf("brief table:\n%s", out)
	}
}
