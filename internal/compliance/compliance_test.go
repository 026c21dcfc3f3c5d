package compliance

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

var (
	t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(3 * time.Minute)
)

// sshService is an audited SSH server whose authentication methods are known
// when auth is true.
func sshService(port int, auth bool) facts.Service {
	s := facts.Service{Port: port, Transport: "tcp", Name: "ssh", Product: "OpenSSH", Version: "9.2p1",
		SSH: &facts.SSH{ProtocolVersion: "2.0", KexAlgorithms: []string{"curve25519-sha256"}}}
	if auth {
		s.SSH.AuthMethods = []string{"publickey"}
	}
	return s
}

func httpsService(port int) facts.Service {
	return facts.Service{Port: port, Transport: "tcp", Name: "http", TLS: true, TLSAudit: &facts.TLS{
		Versions: []facts.TLSVersion{{Name: facts.TLS12, Accepted: true}, {Name: facts.TLS13, Accepted: true}},
		Chain:    []facts.Certificate{{Subject: "CN=clinic.example"}}, Trusted: true, NameMatch: true}}
}

// doc builds a scan document of one host.
func doc(id string, finished time.Time, audited *time.Time, services []facts.Service, fs ...finding.Finding) *result.Document {
	return &result.Document{Schema: result.Schema, ID: id, Started: finished.Add(-3 * time.Minute), Finished: finished,
		Targets: []string{"127.0.2.12"}, Ports: "1-65535",
		Hosts:    []result.Host{{Address: "127.0.2.12", Services: services, Audited: audited}},
		Findings: fs}
}

// noVulnDB marks a document as scanned without a vulnerability database.
func noVulnDB(d *result.Document) *result.Document {
	d.NoteGap(result.Gap{What: "known vulnerabilities: not checked (no database)", Checks: []string{"vuln.known"}})
	return d
}

// unjudged notes, as a host audit does, that the configuration of a kind
// of daemon was not read whole.
func unjudged(d *result.Document, kind string) *result.Document {
	d.NoteGap(result.Gap{What: kind + ": its configuration was not read whole", Checks: check.ConfigChecks(kind)})
	return d
}

// hit makes a finding of a catalogue check on 127.0.2.12.
func hit(id string, port int) finding.Finding {
	return check.MakeFinding(check.Hit{Check: id, Evidence: "seen"}, "127.0.2.12", port, "tcp")
}

func control(t *testing.T, a *Assessment, id string) Control {
	t.Helper()
	for _, c := range a.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("control %s not in the %s assessment: %v", id, a.Framework, a.Controls)
	return Control{}
}

func TestEveryCheckHasAnEvidenceRuleAndEveryControlATitle(t *testing.T) {
	for _, c := range check.All() {
		_, listed := rules[c.ID]
		switch {
		case !listed && c.Examines == nil:
			t.Errorf("check %s has no evidence rule: give its catalogue entry Examines and Needs, or list it in compliance.rules", c.ID)
		case listed && c.Examines != nil:
			t.Errorf("check %s has two evidence rules: its catalogue entry's Examines and compliance.rules", c.ID)
		case c.Examines != nil && c.Needs == "":
			t.Errorf("check %s examines services but does not say what it needs (Needs)", c.ID)
		}
		for _, ctl := range c.Frameworks {
			if Title(ctl) == "" {
				t.Errorf("control %s (of %s) has no title", ctl, c.ID)
			}
		}
	}
	for id := range rules {
		if _, ok := check.Lookup(id); !ok {
			t.Errorf("evidence rule for %s, which is not in the catalogue", id)
		}
	}
}

func TestControlStatus(t *testing.T) {
	audit := t1.Add(-24 * time.Hour)
	weakCipher := hit("ssh.cipher.weak", 22)
	tests := []struct {
		name      string
		fw        Framework
		doc       *result.Document
		control   string
		want      Status
		findings  []string
		checked   []string // checks that must be listed as having looked
		basisHint string
	}{
		{"audited SSH with no finding meets transmission security", HIPAA,
			doc("a", t1, nil, []facts.Service{sshService(22, false)}),
			"HIPAA 164.312(e)(1)", Met, nil, []string{"ssh.cipher.weak", "ssh.kex.weak"}, "none fired"},
		{"a weak SSH cipher fails transmission security", HIPAA,
			doc("a", t1, nil, []facts.Service{sshService(22, false)}, weakCipher),
			"HIPAA 164.312(e)(1)", NotMet, []string{weakCipher.ID}, nil, "SSH server offers weak ciphers"},
		{"the same finding fails PCI 2.2.7 (administrative access)", PCI,
			doc("a", t1, nil, []facts.Service{sshService(22, false)}, weakCipher),
			"PCI 2.2.7", NotMet, []string{weakCipher.ID}, nil, "127.0.2.12:22/tcp"},
		{"a TLS audit with a certificate gives evidence for authentication", HIPAA,
			doc("a", t1, nil, []facts.Service{httpsService(443)}),
			"HIPAA 164.312(d)", Met, nil, []string{"tls.cert.untrusted"}, ""},
		{"versions matched against the vulnerability database: patching met", HIPAA,
			doc("a", t1, nil, []facts.Service{sshService(22, false)}),
			"HIPAA 164.308(a)(1)(ii)(B)", Met, nil, []string{"vuln.known"}, "none fired"},
		{"no vulnerability database: patching has no evidence, never met", HIPAA,
			noVulnDB(doc("a", t1, nil, []facts.Service{sshService(22, false)})),
			"HIPAA 164.308(a)(1)(ii)(B)", NoEvidence, nil, nil, "vulnerability database"},
		{"no vulnerability database: PCI 6.3.3 has no evidence", PCI,
			noVulnDB(doc("a", t1, nil, []facts.Service{sshService(22, false)})),
			"PCI 6.3.3", NoEvidence, nil, nil, "vulnerability database"},
		{"no service at all: no evidence for transmission security", HIPAA,
			doc("a", t1, nil, nil),
			"HIPAA 164.312(e)(1)", NoEvidence, nil, nil, "a TLS service to audit"},
		{"firewall control needs a host audit (network-only scan)", CIS,
			doc("a", t1, nil, []facts.Service{sshService(22, true)}),
			"CIS 4.4", NoEvidence, nil, nil, "a host audit (vigil host)"},
		{"firewall control met after a host audit", CIS,
			doc("a", t1, &audit, []facts.Service{sshService(22, true)}),
			"CIS 4.4", Met, nil, []string{"firewall.none", "port.allowed-no-listener"}, ""},
		{"firewall.none from a host audit fails CIS 4.4", CIS,
			doc("a", t1, &audit, nil, check.MakeFinding(check.Hit{Check: "firewall.none", Evidence: "no rules"}, "127.0.2.12", 0, "")),
			"CIS 4.4", NotMet, nil, nil, "on 127.0.2.12."},
		{"a host-audit finding shows the host was audited", CIS,
			doc("a", t1, nil, nil, check.MakeFinding(check.Hit{Check: "ssh.config.root-login", Evidence: "PermitRootLogin yes"}, "clinic-server", 0, "")),
			"CIS 4.4", Met, nil, []string{"firewall.none"}, "none fired"},
		{"SSH password auth known from the handshake", CIS,
			doc("a", t1, nil, []facts.Service{sshService(22, true)}),
			"CIS 5.2", Met, nil, []string{"ssh.auth.password"}, ""},
		{"SSH password auth unknown and no host audit", CIS,
			doc("a", t1, nil, []facts.Service{sshService(22, false)}),
			"CIS 5.2", NoEvidence, nil, nil, "authentication methods were learnt"},
		{"SSH password auth unknown to the scan, sshd's configuration judged by a host audit", CIS,
			doc("a", t1, &audit, []facts.Service{sshService(22, false)}),
			"CIS 5.2", Met, nil, []string{"ssh.config.password-auth"}, ""},
		{"a host audit that could not read sshd's configuration vouches for none of its checks", CIS,
			unjudged(doc("a", t1, &audit, []facts.Service{sshService(22, false)}), "sshd"),
			"CIS 5.2", NoEvidence, nil, nil, ""},
		{"Redis identified in cleartext fails GDPR 32(1)(a)", GDPR,
			doc("a", t1, nil, []facts.Service{{Port: 6379, Transport: "tcp", Name: "redis"}}, hit("cleartext.redis", 6379)),
			"GDPR 32(1)(a)", NotMet, []string{hit("cleartext.redis", 6379).ID}, nil, ""},
		{"exposure cannot be judged from a scan document", CIS,
			doc("a", t1, nil, []facts.Service{sshService(22, true)}),
			"CIS 12.3", NoEvidence, nil, nil, "untrusted"},
		{"a control only a finding names is still listed", HIPAA,
			doc("a", t1, nil, nil, finding.Finding{ID: "x1", Check: "future.check", Severity: finding.Low, Host: "127.0.2.12",
				Title: "from a newer vigil", Frameworks: []string{"HIPAA 164.999(z)"}}),
			"HIPAA 164.999(z)", NotMet, []string{"x1"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Assess(tt.fw, tt.doc, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := control(t, a, tt.control)
			if c.Status != tt.want {
				t.Errorf("status %q, want %q (basis: %s)", c.Status, tt.want, c.Basis)
			}
			if !slices.Equal(c.Findings, append([]string{}, tt.findings...)) && tt.findings != nil {
				t.Errorf("findings %v, want %v", c.Findings, tt.findings)
			}
			if tt.want != NotMet && len(c.Findings) != 0 {
				t.Errorf("findings %v on a control that is %s", c.Findings, c.Status)
			}
			for _, want := range tt.checked {
				found := false
				for _, o := range c.Checked {
					found = found || slices.Contains(o.Checks, want)
				}
				if !found {
					t.Errorf("%s not among the checks that looked: %+v", want, c.Checked)
				}
			}
			if tt.want == NoEvidence && len(c.Checked) != 0 {
				t.Errorf("no evidence, yet checks looked: %+v", c.Checked)
			}
			if !strings.Contains(c.Basis, tt.basisHint) {
				t.Errorf("basis %q lacks %q", c.Basis, tt.basisHint)
			}
			for _, id := range c.Findings {
				if _, ok := a.Finding(id); !ok {
					t.Errorf("control cites finding %s that the assessment does not carry", id)
				}
			}
		})
	}
}

func TestRegularTesting(t *testing.T) {
	day := 24 * time.Hour
	run := func(id string, finished time.Time) Run {
		return Run{ID: id, Started: finished.Add(-time.Minute), Finished: finished}
	}
	vuln := hit("vuln.known", 22)
	tests := []struct {
		name   string
		doc    *result.Document
		series []Run
		want   Status
		runs   int
		hint   string
	}{
		{"one scan is not a series", doc("now", t1, nil, nil), nil, NoEvidence, 1, "Only this scan (2026-11-20)"},
		{"monthly scans are regular", doc("now", t1, nil, nil),
			[]Run{run("m2", t1.Add(-60*day)), run("m1", t1.Add(-30*day))}, Met, 3, "3 scans on record from 2026-09-21 to 2026-11-20"},
		{"a long gap before this scan", doc("now", t1, nil, nil),
			[]Run{run("old", t1.Add(-90*day))}, NoEvidence, 2, "90 days passed"},
		{"later scans do not count for an older report", doc("now", t1, nil, nil),
			[]Run{run("later", t1.Add(10*day))}, NoEvidence, 1, "Only this scan"},
		{"the document's own scan in the series is not counted twice", doc("now", t1, nil, nil),
			[]Run{run("now", t1), run("m1", t1.Add(-7*day))}, Met, 2, "7 day(s) apart"},
		{"an open known vulnerability fails it despite the series", doc("now", t1, nil, nil, vuln),
			[]Run{run("m1", t1.Add(-7*day))}, NotMet, 2, "Software version with known vulnerabilities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Assess(GDPR, tt.doc, tt.series)
			if err != nil {
				t.Fatal(err)
			}
			c := control(t, a, "GDPR 32(1)(d)")
			if c.Status != tt.want || !strings.Contains(c.Basis, tt.hint) {
				t.Errorf("got %s (%s), want %s with %q", c.Status, c.Basis, tt.want, tt.hint)
			}
			if len(a.Series) != tt.runs {
				t.Errorf("series %v, want %d runs", a.Series, tt.runs)
			}
			if !slices.IsSortedFunc(a.Series, func(x, y Run) int { return x.Finished.Compare(y.Finished) }) {
				t.Errorf("series not oldest first: %v", a.Series)
			}
		})
	}
}

func TestAssessmentShape(t *testing.T) {
	weak := hit("ssh.cipher.weak", 22)
	d := doc("s1", t1, nil, []facts.Service{sshService(22, true)}, weak)
	for _, fw := range Frameworks() {
		f, err := ParseFramework(strings.ToUpper(fw))
		if err != nil {
			t.Fatal(err)
		}
		a, err := Assess(f, d, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Controls) < 4 {
			t.Errorf("%s: only %d controls", fw, len(a.Controls))
		}
		if a.Summary.Met+a.Summary.NotMet+a.Summary.NoEvidence != len(a.Controls) {
			t.Errorf("%s: summary %+v does not add up to %d controls", fw, a.Summary, len(a.Controls))
		}
		if a.Summary.NotMet == 0 {
			t.Errorf("%s: the weak SSH cipher fails no control", fw)
		}
		if !slices.IsSortedFunc(a.Controls, func(x, y Control) int { return naturalCompare(x.ID, y.ID) }) {
			t.Errorf("%s: controls out of order", fw)
		}
		if len(a.Limits) < 3 || !strings.Contains(a.Limits[0], "moment of the scan") {
			t.Errorf("%s: limits %v", fw, a.Limits)
		}
		prefix := map[string]string{"hipaa": "HIPAA ", "gdpr": "GDPR ", "cis": "CIS ", "pci": "PCI "}[fw]
		for _, c := range a.Controls {
			if !strings.HasPrefix(c.ID, prefix) {
				t.Errorf("%s assessment lists %s", fw, c.ID)
			}
		}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, a); err != nil {
			t.Fatal(err)
		}
		var back Assessment
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("%s: JSON does not read back: %v", fw, err)
		}
		if back.Schema != Schema || len(back.Controls) != len(a.Controls) || back.Controls[0].Status != a.Controls[0].Status {
			t.Errorf("%s: JSON round trip lost data", fw)
		}
	}
	a, _ := Assess(GDPR, d, nil)
	if !strings.Contains(strings.Join(a.Limits, " "), "at rest") {
		t.Errorf("GDPR limits do not say a scan is blind to data at rest: %v", a.Limits)
	}
	if _, err := ParseFramework("sox"); err == nil || !strings.Contains(err.Error(), "hipaa, gdpr, cis, pci") {
		t.Errorf("ParseFramework(sox) = %v", err)
	}
	if _, err := Assess("sox", d, nil); err == nil {
		t.Error("Assess accepted an unknown framework")
	}
}

func TestWriteTextEscapesScanStrings(t *testing.T) {
	f := hit("ssh.cipher.weak", 22)
	f.Title = "weak \x1b[31mred\x1b[0m"
	d := doc("s1", t1, nil, []facts.Service{sshService(22, false)}, f)
	d.Targets = []string{"127.0.2.12\x1b]0;pwned\x07"}
	a, err := Assess(HIPAA, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, a); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("raw control characters in the text output:\n%q", out)
	}
	for _, want := range []string{"NOT MET", "HIPAA 164.312(e)(1)", "Transmission security", `weak \x1b[31mred`,
		"NO EVIDENCE", "What this scan cannot prove", "Scans on record: 2026-11-20"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteTextNamesTheWorstVulnerability: a vuln.known finding reads as
// its title and its worst vulnerability, escaped like every scan string.
func TestWriteTextNamesTheWorstVulnerability(t *testing.T) {
	f := hit("vuln.known", 22)
	f.Severity = finding.Critical
	f.Title = "openssh 9.2p1-2+deb12u1 has 2 known vulnerabilities"
	f.Package = &finding.Package{Name: "openssh", Version: "9.2p1-2+deb12u1", Ecosystem: "Debian:12", From: "banner"}
	f.Vulnerabilities = []finding.Vulnerability{
		{ID: "CVE-2024-6387", CVSS: 8.1, Fixed: "1:9.2p1-2+deb12u3"},
		{ID: "CVE-2023-51385", CVSS: 9.8, Fixed: "1:9.2p1-2+deb12u2"},
	}
	hostile := f
	hostile.ID = "f-hostile"
	hostile.Port = 2222
	hostile.Vulnerabilities = []finding.Vulnerability{{ID: "CVE-2024-0001\x1b[2J", KEV: true}}
	d := doc("s1", t1, nil, []facts.Service{sshService(22, false), sshService(2222, false)}, f, hostile)
	a, err := Assess(HIPAA, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, a); err != nil {
		t.Fatal(err)
	}
	out := strings.Join(strings.Fields(buf.String()), " ")
	for _, want := range []string{
		"CRITICAL 127.0.2.12:22/tcp vuln.known: openssh 9.2p1-2+deb12u1 has 2 known vulnerabilities; worst CVE-2023-51385 (CVSS 9.8, fixed in 1:9.2p1-2+deb12u2)",
		`worst CVE-2024-0001\x1b[2J (unscored, KEV)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), "\x1b[2J") {
		t.Error("a raw escape reached the text output")
	}
}

func TestNaturalCompare(t *testing.T) {
	got := []string{"CIS 12.2", "CIS 3.10", "CIS 4.1", "CIS 3.9", "CIS 12.10", "CIS 4.10"}
	slices.SortFunc(got, naturalCompare)
	want := []string{"CIS 3.9", "CIS 3.10", "CIS 4.1", "CIS 4.10", "CIS 12.2", "CIS 12.10"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestStatusText(t *testing.T) {
	for _, s := range []Status{Met, NotMet, NoEvidence} {
		b, _ := s.MarshalText()
		var back Status
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("%v: round trip gave %v, %v", s, back, err)
		}
	}
	var s Status
	if err := s.UnmarshalText([]byte("partly")); err == nil {
		t.Error("accepted an unknown status")
	}
}
