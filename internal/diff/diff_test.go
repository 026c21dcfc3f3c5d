package diff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// fs is a finding spec: check, severity and port on a host.
type fs struct {
	check string
	sev   finding.Severity
	port  int
}

// hs is a host spec: its address, open TCP ports and findings.
type hs struct {
	addr     string
	ports    []int
	findings []fs
}

var t0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// doc builds a document the way a scan does, through result.Assemble, so
// host and overall levels follow the rubric. Hosts whose address starts with
// "audit:" have findings but are not in the host list, like host audits.
func doc(label string, hosts ...hs) *result.Document {
	var fh []facts.Host
	var found []finding.Finding
	for _, h := range hosts {
		addr, audit := strings.CutPrefix(h.addr, "audit:")
		if !audit {
			fhost := facts.Host{Address: addr}
			for _, p := range h.ports {
				fhost.Services = append(fhost.Services, facts.Service{Port: p, Transport: "tcp", Name: fmt.Sprintf("svc%d", p)})
			}
			fh = append(fh, fhost)
		}
		for _, f := range h.findings {
			found = append(found, finding.Finding{ID: finding.MakeID(f.check, addr, f.port, "tcp", ""), Check: f.check, Severity: f.sev,
				Host: addr, Port: f.port, Transport: "tcp", Title: "title of " + f.check})
		}
	}
	d := result.Assemble(result.NewID(t0), t0, t0.Add(time.Minute), []string{"10.0.0.0/24"}, fh, found, nil)
	d.Label = label
	return d
}

var (
	weakCipher = fs{"ssh.cipher.weak", finding.High, 22}
	password   = fs{"ssh.auth.password", finding.Medium, 22}
	telnet     = fs{"cleartext.telnet", finding.Critical, 23}
	noTLS13    = fs{"tls.protocol.no-tls13", finding.Low, 443}
	redis      = fs{"cleartext.redis", finding.High, 6379}
)

// checks lists the check IDs of findings, as host/check.
func checks(fs []finding.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Host+"/"+f.Check)
	}
	return strings.Join(out, " ")
}

func serviceList(ss []Service) string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s:%d/%s", s.Host, s.Port, s.Transport))
	}
	return strings.Join(out, " ")
}

func hostChanges(hs []HostChange) string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%s %s %d>%d", h.Address, h.Status, h.From, h.To))
	}
	return strings.Join(out, ", ")
}

func TestScans(t *testing.T) {
	tests := []struct {
		name                              string
		a, b                              *result.Document
		level                             Change
		hosts                             string
		newF, fixed, unchanged, unchecked string
		opened, closed                    string
	}{
		{
			name:      "nothing changed",
			a:         doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher}}),
			b:         doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher}}),
			level:     Change{2, 2},
			unchanged: "10.0.0.1/ssh.cipher.weak",
		},
		{
			name:  "a fix raises the level",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{weakCipher, password}}, hs{"10.0.0.2", []int{443}, []fs{noTLS13}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}, hs{"10.0.0.2", []int{443}, []fs{noTLS13}}),
			level: Change{2, 3}, hosts: "10.0.0.1 changed 2>3",
			fixed: "10.0.0.1/ssh.cipher.weak", unchanged: "10.0.0.1/ssh.auth.password 10.0.0.2/tls.protocol.no-tls13",
		},
		{
			name:  "a new service brings a new finding",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}),
			b:     doc("", hs{"10.0.0.1", []int{22, 23}, []fs{password, telnet}}),
			level: Change{3, 1}, hosts: "10.0.0.1 changed 3>1",
			newF: "10.0.0.1/cleartext.telnet", unchanged: "10.0.0.1/ssh.auth.password",
			opened: "10.0.0.1:23/tcp",
		},
		{
			name:  "a closed port fixes its finding",
			a:     doc("", hs{"10.0.0.1", []int{22, 6379}, []fs{redis}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}),
			level: Change{2, 4}, hosts: "10.0.0.1 changed 2>4",
			fixed:  "10.0.0.1/cleartext.redis",
			closed: "10.0.0.1:6379/tcp",
		},
		{
			name:  "a host B did not see is unchecked, not fixed",
			a:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}, hs{"10.0.0.9", []int{23}, []fs{telnet}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, []fs{password}}),
			level: Change{1, 3}, hosts: "10.0.0.9 gone 1>0",
			unchanged: "10.0.0.1/ssh.auth.password", unchecked: "10.0.0.9/cleartext.telnet",
		},
		{
			name:  "a new host brings its services and findings",
			a:     doc("", hs{"10.0.0.1", []int{22}, nil}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}, hs{"10.0.0.3", []int{6379}, []fs{redis}}),
			level: Change{4, 2}, hosts: "10.0.0.3 new 0>2",
			newF: "10.0.0.3/cleartext.redis", opened: "10.0.0.3:6379/tcp",
		},
		{
			name:  "host-audit findings count as seen hosts",
			a:     doc("", hs{"10.0.0.1", []int{22}, nil}, hs{"audit:db1", nil, []fs{{"firewall.none", finding.Medium, 0}, {"redis.config.no-auth", finding.Critical, 0}}}),
			b:     doc("", hs{"10.0.0.1", []int{22}, nil}, hs{"audit:db1", nil, []fs{{"firewall.none", finding.Medium, 0}}}),
			level: Change{1, 3},
			fixed: "db1/redis.config.no-auth", unchanged: "db1/firewall.none",
		},
		{
			name: "hosts and findings sort by address and severity",
			a:    doc("", hs{"10.0.0.10", []int{22}, nil}, hs{"10.0.0.2", []int{22}, nil}),
			b: doc("", hs{"10.0.0.10", []int{22, 23}, []fs{telnet, password}}, hs{"10.0.0.2", []int{22, 443}, []fs{noTLS13, password}},
				hs{"fe80::1", nil, nil}),
			level: Change{4, 1}, hosts: "10.0.0.2 changed 4>3, 10.0.0.10 changed 4>1, fe80::1 new 0>4",
			newF:   "10.0.0.10/cleartext.telnet 10.0.0.2/ssh.auth.password 10.0.0.10/ssh.auth.password 10.0.0.2/tls.protocol.no-tls13",
			opened: "10.0.0.2:443/tcp 10.0.0.10:23/tcp",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Scans(tt.a, tt.b)
			got := map[string][2]string{
				"hosts":     {hostChanges(d.Hosts), tt.hosts},
				"new":       {checks(d.New), tt.newF},
				"fixed":     {checks(d.Fixed), tt.fixed},
				"unchanged": {checks(d.Unchanged), tt.unchanged},
				"unchecked": {checks(d.Unchecked), tt.unchecked},
				"opened":    {serviceList(d.Opened), tt.opened},
				"closed":    {serviceList(d.Closed), tt.closed},
			}
			for _, k := range []string{"hosts", "new", "fixed", "unchanged", "unchecked", "opened", "closed"} {
				if got[k][0] != got[k][1] {
					t.Errorf("%s = %q, want %q", k, got[k][0], got[k][1])
				}
			}
			if d.Level != tt.level {
				t.Errorf("level %v, want %v", d.Level, tt.level)
			}
			if d.A.ID != tt.a.ID || d.B.ID != tt.b.ID {
				t.Errorf("sides %s, %s; want %s, %s", d.A.ID, d.B.ID, tt.a.ID, tt.b.ID)
			}
			// Every finding of both scans is accounted for exactly once.
			if n := len(d.New) + len(d.Unchanged); n != len(tt.b.Findings) {
				t.Errorf("new+unchanged = %d, B has %d findings", n, len(tt.b.Findings))
			}
			if n := len(d.Fixed) + len(d.Unchanged) + len(d.Unchecked); n != len(tt.a.Findings) {
				t.Errorf("fixed+unchanged+unchecked = %d, A has %d findings", n, len(tt.a.Findings))
			}
		})
	}
}

func TestScansJSONHasEmptyListsNotNull(t *testing.T) {
	d := doc("", hs{"10.0.0.1", nil, nil})
	b, err := json.Marshal(Scans(d, d))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "null") {
		t.Errorf("JSON has null lists: %s", b)
	}
	for _, key := range []string{`"new":[]`, `"fixed":[]`, `"unchanged":[]`, `"unchecked":[]`, `"opened":[]`, `"closed":[]`, `"level":{"from":4,"to":4}`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
}

func TestEnvironments(t *testing.T) {
	office := doc("office network",
		hs{"10.0.0.1", []int{22}, []fs{weakCipher, password}},
		hs{"10.0.0.2", []int{22, 443}, []fs{password, noTLS13}})
	hosted := doc("hosted servers", hs{"10.1.0.1", []int{443}, []fs{noTLS13}})
	unlabelled := doc("", hs{"10.2.0.1", []int{23, 6379}, []fs{telnet, redis}})
	unlabelled.Targets = []string{"10.2.0.0/24", "10.3.0.1"}

	tests := []struct {
		name               string
		a, b               *result.Document
		nameA, nameB       string
		levelA, levelB     int
		onlyA, onlyB, both string
		diff               int
		countsA            string
	}{
		{
			name: "office against hosted", a: office, b: hosted,
			nameA: "office network", nameB: "hosted servers", levelA: 2, levelB: 4, diff: 2,
			onlyA: "ssh.cipher.weak:high:1:0 ssh.auth.password:medium:2:0", both: "tls.protocol.no-tls13:low:1:1",
			countsA: "critical=0 high=1 medium=2 low=1 info=0",
		},
		{
			name: "the other way round", a: hosted, b: office,
			nameA: "hosted servers", nameB: "office network", levelA: 4, levelB: 2, diff: -2,
			onlyB: "ssh.cipher.weak:high:0:1 ssh.auth.password:medium:0:2", both: "tls.protocol.no-tls13:low:1:1",
			countsA: "critical=0 high=0 medium=0 low=1 info=0",
		},
		{
			name: "no label: named by targets", a: unlabelled, b: hosted,
			nameA: "10.2.0.0/24, 10.3.0.1", nameB: "hosted servers", levelA: 1, levelB: 4, diff: 3,
			onlyA: "cleartext.telnet:critical:1:0 cleartext.redis:high:1:0", onlyB: "tls.protocol.no-tls13:low:0:1",
			countsA: "critical=1 high=1 medium=0 low=0 info=0",
		},
		{
			name: "same environment", a: office, b: office,
			nameA: "office network", nameB: "office network", levelA: 2, levelB: 2,
			both:    "ssh.cipher.weak:high:1:1 ssh.auth.password:medium:2:2 tls.protocol.no-tls13:low:1:1",
			countsA: "critical=0 high=1 medium=2 low=1 info=0",
		},
	}
	ccs := func(l []CheckCount) string {
		var out []string
		for _, c := range l {
			out = append(out, fmt.Sprintf("%s:%s:%d:%d", c.Check, c.Severity, c.A, c.B))
		}
		return strings.Join(out, " ")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Environments(tt.a, tt.b)
			if c.A.Name != tt.nameA || c.B.Name != tt.nameB {
				t.Errorf("names %q, %q; want %q, %q", c.A.Name, c.B.Name, tt.nameA, tt.nameB)
			}
			if c.A.Level != tt.levelA || c.B.Level != tt.levelB || c.Diff() != tt.diff {
				t.Errorf("levels %d, %d (diff %d); want %d, %d (%d)", c.A.Level, c.B.Level, c.Diff(), tt.levelA, tt.levelB, tt.diff)
			}
			for _, l := range []struct{ name, got, want string }{
				{"only A", ccs(c.OnlyA), tt.onlyA}, {"only B", ccs(c.OnlyB), tt.onlyB}, {"both", ccs(c.Both), tt.both},
			} {
				if l.got != l.want {
					t.Errorf("%s = %q, want %q", l.name, l.got, l.want)
				}
			}
			var counts []string
			for s := finding.Critical; s >= finding.Info; s-- {
				counts = append(counts, fmt.Sprintf("%s=%d", s, c.A.Counts[s]))
			}
			if got := strings.Join(counts, " "); got != tt.countsA {
				t.Errorf("counts of A = %s, want %s", got, tt.countsA)
			}
			if c.A.Hosts != len(tt.a.Hosts) || c.A.LevelName == "" {
				t.Errorf("side A = %+v", c.A)
			}
		})
	}
}

// Comparing does not modify the documents.
func TestPure(t *testing.T) {
	a := doc("a", hs{"10.0.0.1", []int{22}, []fs{weakCipher, password}})
	b := doc("b", hs{"10.0.0.1", []int{22}, []fs{password}})
	before, _ := json.Marshal([]*result.Document{a, b})
	d := Scans(a, b)
	Environments(a, b)
	d.Unchanged[0].Title = "changed"
	after, _ := json.Marshal([]*result.Document{a, b})
	if string(before) != string(after) || !slices.Equal(a.Targets, []string{"10.0.0.0/24"}) {
		t.Error("comparing changed the documents")
	}
}
