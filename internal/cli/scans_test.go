package cli

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
)

func TestScansLists(t *testing.T) {
	docs := []struct {
		id, label string
		at        time.Time
		m         machine
	}{
		{"20260401T093000Z-aaaaaaaa", "office", day0, machine{"127.0.2.1", []int{22, 23}, []spot{
			{"cleartext.telnet", finding.Critical, 23}, {"ssh.auth.password", finding.Medium, 22}}}},
		{"20260402T093000Z-bbbbbbbb", "", day0.Add(24 * time.Hour), machine{"127.0.2.1", []int{22}, []spot{
			{"ssh.auth.password", finding.Medium, 22}, {"ssh.cipher.weak", finding.High, 22}}}},
		{"20260403T093000Z-cccccccc", "evil \x1b[31mlabel\x1b]0;pwned\x07", day0.Add(48 * time.Hour), machine{"127.0.2.1", []int{22}, nil}},
	}
	db := newStore(t,
		storeDoc(docs[0].id, docs[0].label, docs[0].at, docs[0].m),
		storeDoc(docs[1].id, docs[1].label, docs[1].at, docs[1].m),
		storeDoc(docs[2].id, docs[2].label, docs[2].at, docs[2].m))

	code, out, stderr := vigilIn(t, "", "scans", "--db", db)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 rows:\n%s", out)
	}
	wantRows := []struct {
		id    string
		parts []string
	}{
		{docs[2].id, []string{"4 solid", `evil \x1b[31mlabel`, "…", day0.Add(48 * time.Hour).In(time.Local).Format("2006-01-02 15:04")}},
		{docs[1].id, []string{"2 weak", "127.0.2.0/24"}},
		{docs[0].id, []string{"1 exposed", "office (127.0.2.0/24)"}},
	}
	for i, w := range wantRows {
		row := lines[i+1]
		if !strings.HasPrefix(row, w.id) {
			t.Errorf("row %d = %q, want scan %s (newest first)", i, row, w.id)
		}
		for _, p := range w.parts {
			if !strings.Contains(row, p) {
				t.Errorf("row %d = %q lacks %q", i, row, p)
			}
		}
	}
	// Counts sit under their severity columns: critical 1, medium 1 for the oldest.
	header := lines[0]
	oldest := lines[3]
	for _, c := range []struct {
		col, want string
	}{{"CRITICAL", "1"}, {"HIGH", "0"}, {"MEDIUM", "1"}, {"LOW", "0"}, {"INFO", "0"}, {"HOSTS", "1"}} {
		at := strings.Index(header, c.col)
		if at < 0 || at >= len(oldest) || !strings.HasPrefix(oldest[at:], c.want) {
			t.Errorf("column %s of %q is not %s", c.col, oldest, c.want)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters reach the terminal: %q", out)
	}

	// --limit, with a note that more exist.
	code, out, stderr = vigilIn(t, "", "scans", "--db", db, "--limit", "2")
	if code != ExitOK || strings.Count(strings.TrimSpace(out), "\n") != 2 || !strings.Contains(stderr, "--limit 0") {
		t.Errorf("--limit 2: exit %d, out:\n%s\nstderr: %s", code, out, stderr)
	}
	if strings.Contains(out, docs[0].id) {
		t.Errorf("--limit 2 lists the oldest scan:\n%s", out)
	}

	// JSON has every scan with its counts.
	code, out, stderr = vigilIn(t, "", "scans", "--db", db, "--format", "json", "--limit", "0")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var list []struct {
		ID       string
		Label    string
		Level    int
		Hosts    int
		Targets  []string
		Started  time.Time
		Findings map[string]int
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(list) != 3 || list[0].ID != docs[2].id || list[2].ID != docs[0].id {
		t.Fatalf("JSON list = %+v", list)
	}
	if l := list[2]; l.Label != "office" || l.Level != 1 || l.Hosts != 1 || l.Findings["critical"] != 1 || l.Findings["medium"] != 1 ||
		l.Findings["high"] != 0 || !l.Started.Equal(day0) || len(l.Targets) != 1 {
		t.Errorf("oldest scan in JSON = %+v", l)
	}

	// Colour on request, none when piped.
	if _, out, _ := vigilIn(t, "", "scans", "--db", db, "--color", "always"); !strings.Contains(out, "\x1b[41;97m") {
		t.Errorf("--color always: no colour for the level-1 scan:\n%q", out)
	}
}

func TestScansEmptyAndErrors(t *testing.T) {
	db := newStore(t)
	code, out, stderr := vigilIn(t, "", "scans", "--db", db)
	if code != ExitOK || out != "" || !strings.Contains(stderr, "vigil scan") || !strings.Contains(stderr, db) {
		t.Errorf("empty store: exit %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, _ = vigilIn(t, "", "scans", "--db", db, "--format", "json")
	if code != ExitOK || strings.TrimSpace(out) != "[]" {
		t.Errorf("empty store as JSON: exit %d, %q", code, out)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"scans", "--db", db, "--format", "xml"}, ExitUsage, "table or json"},
		{[]string{"scans", "--db", db, "--limit", "-1"}, ExitUsage, "--limit"},
		{[]string{"scans", "--db", db, "--color", "pink"}, ExitUsage, "--color"},
		{[]string{"scans", "extra"}, ExitUsage, "unknown command"},
	}
	for _, tt := range tests {
		code, _, stderr := vigilIn(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: exit %d (%s), want %d mentioning %q", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
}

// TestReadOnlyCommandsCreateNothing: scans, report, diff and compare never
// create a store. A --db that names none is a usage mistake (exit 2); a
// store that does not exist yet is "no scans stored yet" (exit 0).
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	notSQLite := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notSQLite, []byte("not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmds := [][]string{{"scans"}, {"report"}, {"report", "latest"}, {"diff"}, {"compare", "latest", "latest~1"}}
	tests := []struct {
		db   []string
		code int
		msg  string
	}{
		{nil, ExitOK, "no scans stored yet"},
		{[]string{"--db", "sqlite:" + filepath.Join(dir, "new", "vigil.db")}, ExitOK, "no scans stored yet"},
		{[]string{"--db", "postgres:/h/db"}, ExitUsage, "postgres://"},
		{[]string{"--db", ":::"}, ExitUsage, "no such file"},
		{[]string{"--db", filepath.Join(dir, "typo", "vigil.db")}, ExitUsage, "no such file"},
		{[]string{"--db", "mysql://h/db"}, ExitUsage, "give a file path"},
		{[]string{"--db", notSQLite}, ExitUsage, "not an SQLite file"},
	}
	for _, c := range cmds {
		for _, tt := range tests {
			args := append(append([]string{}, c...), tt.db...)
			code, _, stderr := vigilIn(t, "", args...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("%v: exit %d (%s), want %d mentioning %q", args, code, stderr, tt.code, tt.msg)
			}
		}
	}
	var made []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if p != dir && p != notSQLite {
			made = append(made, p)
		}
		return nil
	})
	if len(made) > 0 {
		t.Errorf("read-only commands created %q", made)
	}
}
