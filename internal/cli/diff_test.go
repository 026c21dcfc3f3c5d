package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

var (
	weakCipherSpot = spot{"ssh.cipher.weak", finding.High, 22}
	passwordSpot   = spot{"ssh.auth.password", finding.Medium, 22}
	telnetSpot     = spot{"cleartext.telnet", finding.Critical, 23}
	noTLS13Spot    = spot{"tls.protocol.no-tls13", finding.Low, 443}
)

// twoScans are a week apart: the weak cipher was fixed, Telnet was closed
// on one host, a new host appeared with a web server, and one host was not
// seen again.
func twoScans() (*result.Document, *result.Document) {
	before := storeDoc("20260401T093000Z-11111111", "office", day0,
		machine{"127.0.2.1", []int{22}, []spot{weakCipherSpot, passwordSpot}},
		machine{"127.0.2.2", []int{22, 23}, []spot{telnetSpot}},
		machine{"127.0.2.9", []int{22}, []spot{passwordSpot}})
	after := storeDoc("20260408T093000Z-22222222", "office", day0.Add(7*24*time.Hour),
		machine{"127.0.2.1", []int{22}, []spot{passwordSpot}},
		machine{"127.0.2.2", []int{22}, nil},
		machine{"127.0.2.3", []int{443}, []spot{noTLS13Spot}})
	return before, after
}

func TestDiffTable(t *testing.T) {
	before, after := twoScans()
	db := newStore(t, before, after)
	// No argument: the two newest scans; one: that one against the newest;
	// two: as given, by id prefix or file.
	fileA, fileB := writeDoc(t, "a.json", before), writeDoc(t, "b.json", after)
	for _, args := range [][]string{
		{"diff", "--db", db},
		{"diff", "--db", db, "20260401"},
		{"diff", "--db", db, "latest~1", "latest"},
		{"diff", "--db", db, "20260401T093000Z-11111111", "20260408"},
		{"diff", fileA, fileB},
		{"diff", "--db", db, fileA, "latest"},
	} {
		code, out, stderr := vigilIn(t, "", args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		want := []string{
			"A 20260401T093000Z-11111111  office", "B 20260408T093000Z-22222222  office",
			"Level 1 → 3: better (exposed → basic).",
			"Hosts", "127.0.2.1  level 2 → 3", "127.0.2.2  level 1 → 4", "127.0.2.3  new, level 4", "127.0.2.9  not seen by B (was level 3)",
			"Fixed (2)", "CRITICAL  127.0.2.2:23/tcp  cleartext.telnet  Title of cleartext.telnet",
			"HIGH      127.0.2.1:22/tcp  ssh.cipher.weak   Title of ssh.cipher.weak",
			"New (1)", "LOW  127.0.2.3:443/tcp  tls.protocol.no-tls13",
			"Not rechecked (1)", "127.0.2.9:22/tcp  ssh.auth.password",
			"Services opened (1)", "127.0.2.3  443/tcp  svc443  Product 1.0",
			"Services closed (1)", "127.0.2.2  23/tcp  svc23",
			"Unchanged: 1 finding(s) still open.",
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", args, w, out)
			}
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("%v: colour when piped", args)
		}
		if strings.Contains(out, "different targets") {
			t.Errorf("%v: warns of different targets, but both scanned the same", args)
		}
		// Fixed comes before New; the host that went away is not "closed".
		if strings.Index(out, "Fixed (") > strings.Index(out, "New (") || strings.Contains(out, "127.0.2.9  22/tcp") {
			t.Errorf("%v: sections out of order or a vanished host's port listed as closed:\n%s", args, out)
		}
	}
}

func TestDiffNothingChanged(t *testing.T) {
	before, _ := twoScans()
	again := *before
	again.ID = "20260402T093000Z-33333333"
	again.Started = before.Started.Add(24 * time.Hour)
	db := newStore(t, before, &again)
	code, out, stderr := vigilIn(t, "", "diff", "--db", db)
	if code != ExitOK || !strings.Contains(out, "Level 1 → 1: unchanged (exposed).") || !strings.Contains(out, "Nothing changed: the same 4 finding(s) are open.") ||
		strings.Contains(out, "Fixed") || strings.Contains(out, "Hosts") {
		t.Errorf("exit %d (%s):\n%s", code, stderr, out)
	}
}

func TestDiffJSON(t *testing.T) {
	before, after := twoScans()
	db := newStore(t, before, after)
	var stdin bytes.Buffer
	if err := before.Write(&stdin); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := vigilIn(t, stdin.String(), "diff", "-", "latest", "--db", db, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d struct {
		A, B      struct{ ID, Name string }
		Level     struct{ From, To int }
		Hosts     []struct{ Address, Status string }
		New       []finding.Finding
		Fixed     []finding.Finding
		Unchanged []finding.Finding
		Unchecked []finding.Finding
		Opened    []struct{ Host string }
		Closed    []struct{ Host string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if d.A.ID != before.ID || d.B.ID != after.ID || d.A.Name != "office" || d.Level.From != 1 || d.Level.To != 3 ||
		len(d.New) != 1 || len(d.Fixed) != 2 || len(d.Unchanged) != 1 || len(d.Unchecked) != 1 ||
		len(d.Opened) != 1 || len(d.Closed) != 1 || len(d.Hosts) != 4 {
		t.Errorf("diff JSON = %+v", d)
	}
	if d.Fixed[0].Check != "cleartext.telnet" || d.Fixed[0].Severity != finding.Critical || d.Hosts[3].Status != "gone" {
		t.Errorf("fixed = %+v, hosts = %+v", d.Fixed, d.Hosts)
	}
}

func TestCompare(t *testing.T) {
	office := storeDoc("20260401T093000Z-0ff1ce00", "office network", day0,
		machine{"127.0.2.1", []int{22}, []spot{weakCipherSpot, passwordSpot}},
		machine{"127.0.2.2", []int{22, 443}, []spot{passwordSpot, noTLS13Spot}})
	hosted := storeDoc("20260401T100000Z-40570000", "hosted servers", day0.Add(30*time.Minute),
		machine{"127.0.3.1", []int{443}, []spot{noTLS13Spot}})
	db := newStore(t, office, hosted)

	code, out, stderr := vigilIn(t, "", "compare", "--db", db, "20260401T09", "latest")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{
		"office network: level 2 (weak) — hosted servers: level 4 (solid)",
		"hosted servers is rated 2 levels higher than office network.",
		"Only in office network (2 checks)",
		"HIGH    ssh.cipher.weak    1 finding   Title of ssh.cipher.weak",
		"MEDIUM  ssh.auth.password  2 findings",
		"Only in hosted servers: none.",
		"In both (one check)", "tls.protocol.no-tls13  1 / 1",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	// The side-by-side rows hold each side's values.
	rows := map[string]string{
		"level": "2 weak 4 solid", "hosts": "2 1", "critical": "0 0", "high": "1 0", "medium": "2 0", "low": "1 1", "info": "0 0",
		"scan": "20260401T093000Z-0ff1ce00 20260401T100000Z-40570000",
	}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && strings.HasPrefix(l, "  "+f[0]+" ") {
			if want, ok := rows[f[0]]; ok {
				if got := strings.Join(f[1:], " "); got != want {
					t.Errorf("row %s reads %q, want %q", f[0], got, want)
				}
				delete(rows, f[0])
			}
		}
	}
	if len(rows) > 0 {
		t.Errorf("rows missing: %v\n%s", rows, out)
	}

	code, out, stderr = vigilIn(t, "", "compare", "--db", db, "latest", "latest~1", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var c struct {
		A, B struct {
			Name   string
			Level  int
			Counts map[string]int
		}
		OnlyA []struct{ Check string } `json:"only_a"`
		OnlyB []struct {
			Check    string
			Severity string
			A, B     int
		} `json:"only_b"`
		Both []struct{ Check string }
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if c.A.Name != "hosted servers" || c.B.Level != 2 || len(c.OnlyA) != 0 || len(c.OnlyB) != 2 || len(c.Both) != 1 ||
		c.OnlyB[0].Check != "ssh.cipher.weak" || c.OnlyB[0].Severity != "high" || c.OnlyB[1].B != 2 || c.B.Counts["medium"] != 2 {
		t.Errorf("compare JSON = %+v", c)
	}
}

// Strings from a scan document never reach the terminal raw.
func TestDiffEscapesHostileText(t *testing.T) {
	before, after := twoScans()
	after.Label = "x\x1b]0;owned\x07"
	after.Findings[0].Title = "bad \x1b[2J title"
	after.Findings[0].Check = "evil\x1b[31m"
	after.Hosts[0].Services[0].Product = "\x9b31m"
	after.Targets = []string{"127.0.2.0/24", "\x1b[8m"}
	db := newStore(t, before, after)
	if _, out, _ := vigilIn(t, "", "diff", "--db", db); !strings.Contains(out, `different targets (127.0.2.0/24; 127.0.2.0/24 \x1b[8m)`) {
		t.Errorf("no warning that the targets differ:\n%s", out)
	}
	for _, cmd := range []string{"diff", "compare"} {
		code, out, stderr := vigilIn(t, "", cmd, "--db", db, "latest~1", "latest")
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", cmd, code, stderr)
		}
		if strings.ContainsAny(out, "\x1b\x07\u009b") {
			t.Errorf("%s: control characters reach the terminal:\n%q", cmd, out)
		}
		if !strings.Contains(out, `\x1b`) {
			t.Errorf("%s: the hostile text is not shown escaped:\n%s", cmd, out)
		}
	}
}

func TestDiffErrors(t *testing.T) {
	before, after := twoScans()
	db := newStore(t, before, after)
	one := newStore(t, before)
	empty := newStore(t)
	notScan := filepath.Join(t.TempDir(), "notes.json")
	if err := os.WriteFile(notScan, []byte(`{"schema":"other"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"diff", "--db", db, "nope", "latest"}, ExitError, "no such scan in the store"},
		{[]string{"diff", "--db", db, "2026040", "latest"}, ExitError, "ambiguous"},
		{[]string{"diff", "--db", one}, ExitError, "only 1 scan(s) are stored"},
		{[]string{"diff", "--db", empty}, ExitError, "run 'vigil scan' first"},
		{[]string{"diff", "--db", db, "latest~x"}, ExitError, "latest~1"},
		{[]string{"diff", "--db", db, notScan, "latest"}, ExitError, "not a vigil scan result"},
		{[]string{"diff", "--db", db, "missing.json", "latest"}, ExitError, "cannot read the scan file"},
		{[]string{"diff", "--db", db, "-", "-"}, ExitError, "standard input"},
		{[]string{"diff", "--db", db, "--format", "csv"}, ExitUsage, "table or json"},
		{[]string{"diff", "a", "b", "c"}, ExitUsage, "accepts at most 2"},
		{[]string{"compare", "--db", db, "latest"}, ExitUsage, "accepts 2"},
		{[]string{"compare", "--db", db, "latest", "latest", "--color", "sometimes"}, ExitUsage, "--color"},
	}
	for _, tt := range tests {
		code, _, stderr := vigilIn(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("%v: exit %d (%s), want %d mentioning %q", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
}
