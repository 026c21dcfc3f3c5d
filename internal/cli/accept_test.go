package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// TestAcceptRisk: an accepted finding stops capping the level of the next
// scan, every format shows it as accepted, --revoke makes it count again,
// and --export/--import move acceptances to another store.
func TestAcceptRisk(t *testing.T) {
	const host = "127.0.5.4"
	port := strconv.Itoa(fakeRedis(t, host))
	dir := t.TempDir()
	db := filepath.Join(dir, "vigil.db")
	scan := func(db string) *result.Document {
		t.Helper()
		file := filepath.Join(dir, "scan.json")
		if code, _, stderr := vigilIn(t, "", "scan", host, "-p", port, "--udp-ports", "", "--db", db, "--format", "json", "-o", file); code != ExitOK {
			t.Fatalf("scan: exit %d: %s", code, stderr)
		}
		return readDoc(t, file)
	}
	before := scan(db)
	crit, ok := findingOf(before, "auth.none.redis", atoi(port))
	if !ok || before.Level.Value != 1 {
		t.Fatalf("before: level %d, findings %+v", before.Level.Value, before.Findings)
	}

	// Refusals: no reason, a date past or too far, an unknown finding.
	until := time.Now().AddDate(0, 3, 0).Format(finding.DateLayout)
	for _, args := range [][]string{
		{"accept", crit.ID, "--until", until},
		{"accept", crit.ID, "--reason", "r", "--until", "2020-01-01"},
		{"accept", crit.ID, "--reason", "r", "--until", time.Now().AddDate(2, 0, 0).Format(finding.DateLayout)},
		{"accept", crit.ID, "--reason", "r", "--until", "next week"},
	} {
		if code, _, _ := vigilIn(t, "", append(args, "--db", db)...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	if code, _, _ := vigilIn(t, "", "accept", "ffffffffffff", "--reason", "r", "--until", until, "--db", db); code == ExitOK {
		t.Error("an unknown finding was accepted")
	}

	code, out, stderr := vigilIn(t, "", "accept", crit.ID[:8], "--reason", "lab Redis, isolated", "--until", until, "--by", "alice", "--db", db)
	if code != ExitOK || !strings.Contains(out, "Accepted finding "+crit.ID) {
		t.Fatalf("accept: exit %d: %s%s", code, out, stderr)
	}
	after := scan(db)
	acc, _ := findingOf(after, "auth.none.redis", atoi(port))
	if after.Level.Value != 2 || acc.Accepted == nil || acc.Accepted.By != "alice" || acc.Accepted.Until != until {
		t.Errorf("after accepting: level %d, finding %+v; want level 2 and the acceptance on the finding", after.Level.Value, acc)
	}
	for format, want := range map[string]string{"table": "Risk accepted until " + until + " by alice: lab Redis, isolated",
		"csv": until + ",alice,\"lab Redis, isolated\"", "html": "lab Redis, isolated", "sarif": `"status": "accepted"`} {
		code, out, _ := vigilIn(t, "", "report", after.ID, "--db", db, "--format", format)
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("%s report lacks %q", format, want)
		}
	}
	code, out, _ = vigilIn(t, "", "accept", "--list", "--db", db)
	if code != ExitOK || !strings.Contains(out, crit.ID) || !strings.Contains(out, "in force") {
		t.Errorf("--list: %d %s", code, out)
	}

	// Moved to another store.
	export := filepath.Join(dir, "acceptances.json")
	if code, _, stderr := vigilIn(t, "", "accept", "--export", export, "--db", db); code != ExitOK {
		t.Fatalf("export: %d %s", code, stderr)
	}
	if fi, _ := os.Stat(export); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the export is not 0600: %v", fi)
	}
	other := filepath.Join(dir, "other.db")
	if code, out, stderr := vigilIn(t, "", "accept", "--import", export, "--db", other); code != ExitOK || !strings.Contains(out, "Imported 1") {
		t.Fatalf("import: %d %s%s", code, out, stderr)
	}
	var list []map[string]any
	_, js, _ := vigilIn(t, "", "accept", "--list", "--format", "json", "--db", other)
	if err := json.Unmarshal([]byte(js), &list); err != nil || len(list) != 1 || list[0]["finding"] != crit.ID {
		t.Errorf("imported list: %v %s", err, js)
	}

	// Revoked: it counts again.
	if code, out, stderr := vigilIn(t, "", "accept", "--revoke", crit.ID[:6], "--db", db); code != ExitOK {
		t.Fatalf("revoke: %d %s%s", code, out, stderr)
	}
	if again := scan(db); again.Level.Value != 1 {
		t.Errorf("after revoking: level %d, want 1", again.Level.Value)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
