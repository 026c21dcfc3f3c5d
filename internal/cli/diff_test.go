package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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

// withSelection records the port selections of a default scan in d, as vigil
// scan does, and returns it.
func withSelection(d *result.Document) *result.Document {
	udp := "53,123,161"
	d.Ports, d.UDPPorts = "1-65535", &udp
	return d
}

// twoScans are a week apart: the weak cipher was fixed, Telnet was closed
// on one host, a new host appeared with a web server, and one host was not
// seen again.
func twoScans() (*result.Document, *result.Document) {
	before := withSelection(storeDoc("20260401T093000Z-11111111", "office", day0,
		machine{"127.0.2.1", []int{22}, []spot{weakCipherSpot, passwordSpot}},
		machine{"127.0.2.2", []int{22, 23}, []spot{telnetSpot}},
		machine{"127.0.2.9", []int{22}, []spot{passwordSpot}}))
	after := withSelection(storeDoc("20260408T093000Z-22222222", "office", day0.Add(7*24*time.Hour),
		machine{"127.0.2.1", []int{22}, []spot{passwordSpot}},
		machine{"127.0.2.2", []int{22}, nil},
		machine{"127.0.2.3", []int{443}, []spot{noTLS13Spot}}))
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
			"Scan B examined less than scan A:", "  - scan B did not reach 1 host(s) that scan A reached: 127.0.2.9",
			"Fixed (1)", "HIGH  127.0.2.1:22/tcp  ssh.cipher.weak  Title of ssh.cipher.weak",
			"New (1)", "LOW  127.0.2.3:443/tcp  tls.protocol.no-tls13",
			"No longer observed: port closed (1)",
			"CRITICAL  127.0.2.2:23/tcp  cleartext.telnet  Title of cleartext.telnet  port 23/tcp was not open in scan B",
			"Not rechecked (1)", "127.0.2.9:22/tcp  ssh.auth.password  Title of ssh.auth.password  scan B did not find 127.0.2.9",
			"Services opened (1)", "127.0.2.3  443/tcp  svc443  Product 1.0",
			"Services closed (1)", "127.0.2.2  23/tcp  svc23",
			"Unchanged: 1 finding(s) still open. Not rechecked: 1.",
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
		// Fixed comes before New; the host that went away is not "closed";
		// the closed Telnet port fixed nothing.
		if strings.Index(out, "Fixed (") > strings.Index(out, "New (") || strings.Contains(out, "127.0.2.9  22/tcp") {
			t.Errorf("%v: sections out of order or a vanished host's port listed as closed:\n%s", args, out)
		}
		if fixed := out[strings.Index(out, "Fixed ("):strings.Index(out, "New (")]; strings.Contains(fixed, "telnet") {
			t.Errorf("%v: the Telnet finding of a closed port is listed as fixed:\n%s", args, out)
		}
	}
}

func TestDiffNothingChanged(t *testing.T) {
	before, _ := twoScans()
	again := *before
	again.ID = "20260402T093000Z-33333333"
	again.Started = before.Started.Add(24 * time.Hour)
	again.Finished = before.Finished.Add(24 * time.Hour)
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
		Verdict   string
		Hosts     []struct{ Address, Status string }
		New       []finding.Finding
		Fixed     []finding.Finding
		Unchanged []finding.Finding
		Unchecked []finding.Finding
		Gone      []struct {
			finding.Finding
			Status, Reason string
		} `json:"no_longer_observed"`
		Coverage struct {
			Narrower bool
			Gaps     []string
		}
		Opened []struct{ Host string }
		Closed []struct{ Host string }
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if d.A.ID != before.ID || d.B.ID != after.ID || d.A.Name != "office" || d.Level.From != 1 || d.Level.To != 3 || d.Verdict != "better" ||
		len(d.New) != 1 || len(d.Fixed) != 1 || len(d.Unchanged) != 1 || len(d.Unchecked) != 1 || len(d.Gone) != 2 ||
		len(d.Opened) != 1 || len(d.Closed) != 1 || len(d.Hosts) != 4 || !d.Coverage.Narrower || len(d.Coverage.Gaps) != 1 {
		t.Fatalf("diff JSON = %+v", d)
	}
	if d.Fixed[0].Check != "ssh.cipher.weak" || d.Fixed[0].Severity != finding.High || d.Hosts[3].Status != "gone" {
		t.Errorf("fixed = %+v, hosts = %+v", d.Fixed, d.Hosts)
	}
	// Each finding no longer observed keeps its finding fields and says
	// what became of it.
	if g := d.Gone[0]; g.Check != "cleartext.telnet" || g.Severity != finding.Critical || g.Status != "port_closed" || g.Port != 23 ||
		!strings.Contains(g.Reason, "not open") {
		t.Errorf("no longer observed [0] = %+v", g)
	}
	if g := d.Gone[1]; g.Check != "ssh.auth.password" || g.Host != "127.0.2.9" || g.Status != "not_rechecked" || d.Unchecked[0].ID != g.ID {
		t.Errorf("no longer observed [1] = %+v, unchecked = %+v", g, d.Unchecked)
	}
}

func TestCompare(t *testing.T) {
	office := storeDoc("20260401T093000Z-0ff1ce00", "office network", day0,
		machine{"127.0.2.1", []int{22}, []spot{weakCipherSpot, passwordSpot}},
		machine{"127.0.2.2", []int{22, 443}, []spot{passwordSpot, noTLS13Spot}})
	hosted := storeDoc("20260401T100000Z-40570000", "hosted servers", day0.Add(30*time.Minute),
		machine{"127.0.3.1", []int{443}, []spot{noTLS13Spot}})
	hosted.Targets = []string{"127.0.3.0/24"}
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
	after.Findings[0].Evidence = "evil\x1b[31m"
	after.Hosts[0].Services[0].Product = "\x9b31m"
	after.Targets = []string{"127.0.2.0/24", "\x1b[8m"}
	db := newStore(t, before, after)
	if _, out, _ := vigilIn(t, "", "diff", "--db", db, "latest~1", "latest"); !strings.Contains(out, `different targets (127.0.2.0/24; 127.0.2.0/24 \x1b[8m)`) {
		t.Errorf("no warning that the targets differ:\n%s", out)
	}
	// Without arguments there is no pair: the message names the targets,
	// escaped.
	if code, _, stderr := vigilIn(t, "", "diff", "--db", db); code != ExitError || strings.ContainsRune(stderr, 0x1b) || !strings.Contains(stderr, `\x1b[8m`) {
		t.Errorf("diff without a pair: exit %d, %q", code, stderr)
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
		{[]string{"diff", "--db", one}, ExitError, "the newest scan, 20260401T093000Z-11111111, is the only scan of 127.0.2.0/24"},
		{[]string{"diff", "--db", empty}, ExitError, "run 'vigil scan' first"},
		{[]string{"diff", "--db", db, "latest~x"}, ExitError, "latest~1"},
		{[]string{"diff", "--db", db, notScan, "latest"}, ExitUsage, "not a valid vigil scan result"},
		{[]string{"diff", "--db", db, "missing.json", "latest"}, ExitUsage, "cannot read the scan file"},
		{[]string{"diff", "--db", db, "-", "-"}, ExitUsage, "standard input"},
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

// Without arguments, diff pairs the newest scan with the newest one before
// it of the same targets, passing over scans of other targets and host
// audits in between.
func TestDiffPairsScansOfTheSameTargets(t *testing.T) {
	office := func(id string, at time.Time, finds ...spot) *result.Document {
		return withSelection(storeDoc(id, "", at, machine{"127.0.2.1", []int{22, 23}, finds}))
	}
	other := func(id string, at time.Time, targets ...string) *result.Document {
		d := withSelection(storeDoc(id, "", at, machine{"127.0.5.1", []int{443}, []spot{noTLS13Spot}}))
		d.Targets = targets
		return d
	}
	audit := func(id string, at time.Time) *result.Document {
		d := storeDoc(id, "", at, machine{"127.0.2.1", nil, []spot{{"firewall.none", finding.Medium, 0}}})
		d.Kind, d.Targets = result.KindHost, []string{"db1"}
		return d
	}
	first := office("20260401T093000Z-0ff1ce01", day0, telnetSpot, passwordSpot)
	second := office("20260403T093000Z-0ff1ce02", day0.Add(48*time.Hour), passwordSpot)
	third := office("20260405T093000Z-0ff1ce03", day0.Add(96*time.Hour), passwordSpot)
	between := other("20260402T093000Z-1ab00001", day0.Add(24*time.Hour), "127.0.5.0/24")
	lone := other("20260406T093000Z-1ab00002", day0.Add(120*time.Hour), "127.0.6.0/24")
	tests := []struct {
		name  string
		docs  []*result.Document
		a, b  string // the pair, or "" when none
		error string
	}{
		{"a scan of other targets in between", []*result.Document{first, between, second}, first.ID, second.ID, ""},
		{"the two newest of the same targets", []*result.Document{first, between, second, third}, second.ID, third.ID, ""},
		{"a host audit after them", []*result.Document{first, between, second, audit("20260404T093000Z-a0d17000", day0.Add(72*time.Hour))},
			first.ID, second.ID, ""},
		{"the newest scan has no earlier one of its targets", []*result.Document{first, second, lone}, "", "",
			"the newest scan, 20260406T093000Z-1ab00002, is the only scan of 127.0.6.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newStore(t, tt.docs...)
			code, out, stderr := vigilIn(t, "", "diff", "--db", db)
			if tt.a == "" {
				if code != ExitError || !strings.Contains(stderr, tt.error) || !strings.Contains(stderr, "vigil scans") {
					t.Errorf("exit %d (%s), want an error saying %q", code, stderr, tt.error)
				}
				return
			}
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(out, "A "+tt.a+"  ") || !strings.Contains(out, "B "+tt.b+"  ") || strings.Contains(out, "different targets") {
				t.Errorf("want scans %s and %s compared:\n%s", tt.a, tt.b, out)
			}
			code, out, stderr = vigilIn(t, "", "diff", "--db", db, "--format", "json")
			var d struct{ A, B struct{ ID string } }
			if err := json.Unmarshal([]byte(out), &d); code != ExitOK || err != nil || d.A.ID != tt.a || d.B.ID != tt.b {
				t.Errorf("JSON: exit %d (%s), %v: sides %s, %s; want %s, %s", code, stderr, err, d.A.ID, d.B.ID, tt.a, tt.b)
			}
		})
	}
}

// Two scans that their names cannot tell apart are called by id and date.
func TestCompareLabelsScansOfTheSameTargets(t *testing.T) {
	date := func(at time.Time) string { return at.In(time.Local).Format("2006-01-02 15:04") }
	at1, at2 := day0, day0.Add(7*24*time.Hour)
	tests := []struct {
		name           string
		labelA, labelB string
		targetsB       []string
		byID           bool
	}{
		{"same targets, same label", "office", "office", nil, true},
		{"same targets, no label", "", "", nil, true},
		{"same targets, other labels", "before", "after", nil, true},
		{"other targets, same label", "office", "office", []string{"127.0.3.0/24"}, true},
		{"other targets, other labels", "office", "hosted", []string{"127.0.3.0/24"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := storeDoc("20260401T093000Z-0ff1ce0a", tt.labelA, at1, machine{"127.0.2.1", []int{22}, []spot{weakCipherSpot, passwordSpot}})
			b := storeDoc("20260408T093000Z-0ff1ce0b", tt.labelB, at2, machine{"127.0.2.1", []int{22}, []spot{passwordSpot}})
			if tt.targetsB != nil {
				b.Targets = tt.targetsB
			}
			db := newStore(t, a, b)
			code, out, stderr := vigilIn(t, "", "compare", "--db", db, "latest~1", "latest")
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			nameA, nameB := a.ID+" ("+date(at1)+")", b.ID+" ("+date(at2)+")"
			want := []string{
				nameA + ": level 2 (weak) — " + nameB + ": level 3 (basic)",
				nameB + " is rated one level higher than " + nameA + ".",
				"Only in " + nameA + " (one check)", "Only in " + nameB + ": none.",
			}
			if !tt.byID {
				want = []string{"office: level 2 (weak) — hosted: level 3 (basic)", "Only in office (one check)"}
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			// The columns are headed by date; the ids are in the scan row.
			if tt.byID && !regexp.MustCompile(`(?m)^ +`+date(at1)+` +`+date(at2)+`$`).MatchString(out) {
				t.Errorf("columns not headed by the scans' dates:\n%s", out)
			}
			code, out, _ = vigilIn(t, "", "compare", "--db", db, "latest~1", "latest", "--format", "json")
			var c struct {
				SameTargets bool `json:"same_targets"`
			}
			if err := json.Unmarshal([]byte(out), &c); code != ExitOK || err != nil || c.SameTargets != (tt.targetsB == nil) {
				t.Errorf("JSON: exit %d, %v, same_targets %v:\n%s", code, err, c.SameTargets, out)
			}
		})
	}
}
