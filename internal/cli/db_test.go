package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

// spot is a finding to place: check, severity, port.
type spot struct {
	check string
	sev   finding.Severity
	port  int
}

// machine is a host to place: address, open ports, findings.
type machine struct {
	addr  string
	ports []int
	finds []spot
}

// storeDoc builds a scan document as a scan does (result.Assemble rates it).
func storeDoc(id, label string, started time.Time, ms ...machine) *result.Document {
	var hosts []facts.Host
	var fs []finding.Finding
	for _, m := range ms {
		h := facts.Host{Address: m.addr}
		for _, p := range m.ports {
			h.Services = append(h.Services, facts.Service{Port: p, Transport: "tcp", Name: fmt.Sprintf("svc%d", p), Product: "Product", Version: "1.0"})
		}
		hosts = append(hosts, h)
		for _, s := range m.finds {
			fs = append(fs, finding.Finding{ID: finding.MakeID(s.check, m.addr, s.port, "tcp", ""), Check: s.check, Severity: s.sev,
				Host: m.addr, Port: s.port, Transport: "tcp", Title: "Title of " + s.check, Evidence: "seen", Recommendation: "fix it",
				Frameworks: []string{}})
		}
	}
	d := result.Assemble(id, started, started.Add(90*time.Second), []string{"127.0.2.0/24"}, hosts, fs, nil)
	d.Label = label
	return d
}

// newStore creates an SQLite store in a temporary directory holding docs.
func newStore(t *testing.T, docs ...*result.Document) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "vigil.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, d := range docs {
		if err := st.Save(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// writeDoc writes a document as a JSON file and returns its path.
func writeDoc(t *testing.T, name string, d *result.Document) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var day0 = time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)

func TestSaveScan(t *testing.T) {
	data := t.TempDir()
	t.Setenv("XDG_DATA_HOME", data)
	d := storeDoc("20260401T093000Z-00000001", "", day0, machine{"127.0.2.1", []int{22}, nil})
	where, err := saveScan(t.Context(), "", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(data, "vigil", "vigil.db"); where != want {
		t.Errorf("saved in %q, want the default store %q", where, want)
	}
	st, err := openStore(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(t.Context(), "latest")
	st.Close()
	if err != nil || got.ID != d.ID {
		t.Fatalf("the default store's latest scan: %v, %v", got, err)
	}
	// Saving twice is refused with a message that says what to do.
	_, err = saveScan(t.Context(), "", d)
	if !errors.Is(err, store.ErrExists) || !strings.Contains(err.Error(), "--no-store") {
		t.Errorf("second save: %v", err)
	}
	if _, err := saveScan(t.Context(), "mysql://x/y", d); err == nil || !strings.Contains(err.Error(), "cannot be stored") {
		t.Errorf("save to an unsupported database: %v", err)
	}
}

func TestScanSource(t *testing.T) {
	d := storeDoc("20260401T093000Z-00000002", "office", day0, machine{"127.0.2.1", []int{22}, nil})
	file := writeDoc(t, "scan.json", d)
	dir := t.TempDir()
	var stdin bytes.Buffer
	if err := d.Write(&stdin); err != nil {
		t.Fatal(err)
	}
	db := newStore(t, d)
	tests := []struct {
		ref    string
		wantID string
		msg    string
	}{
		{file, d.ID, ""},
		{"-", d.ID, ""},
		{"latest", d.ID, ""},
		{"20260401", d.ID, ""},
		{filepath.Join(dir, "missing.json"), "", "cannot read the scan file"},
		{"missing.json", "", "cannot read the scan file"},
		{dir, "", "is not a scan file"},
		{"nope", "", "no such scan"},
	}
	for _, tt := range tests {
		src := &scanSource{dsn: db, stdin: bytes.NewReader(stdin.Bytes())}
		got, err := src.load(t.Context(), tt.ref)
		src.close()
		switch {
		case tt.msg != "":
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("load(%q) error %v, want one mentioning %q", tt.ref, err, tt.msg)
			}
		case err != nil:
			t.Errorf("load(%q): %v", tt.ref, err)
		case got.ID != tt.wantID:
			t.Errorf("load(%q) = scan %s, want %s", tt.ref, got.ID, tt.wantID)
		}
	}
	src := &scanSource{dsn: db, stdin: bytes.NewReader(stdin.Bytes())}
	defer src.close()
	if _, err := src.load(t.Context(), "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := src.load(t.Context(), "-"); err == nil || !strings.Contains(err.Error(), "only once") {
		t.Errorf("reading standard input twice: %v", err)
	}
	// Two files need no store: none is created.
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	files := &scanSource{stdin: strings.NewReader("")}
	if _, err := files.load(t.Context(), file); err != nil {
		t.Fatal(err)
	}
	files.close()
	if _, err := os.Stat(filepath.Join(xdg, "vigil")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading a file created the default store: %v", err)
	}
}
