package alert

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
)

var now = time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)

// doc builds a document: targets, hosts and findings; its overall level is
// the lowest host level (4 without hosts).
func doc(id string, targets []string, hosts []result.Host, fs ...finding.Finding) *result.Document {
	d := &result.Document{Schema: result.Schema, ID: id, Started: now.Add(-time.Hour), Finished: now,
		Targets: targets, Hosts: hosts, Findings: fs, Ports: "1-65535", Level: level.Level{Value: 4}}
	for _, h := range hosts {
		if h.Level < d.Level.Value {
			d.Level.Value = h.Level
		}
	}
	d.Done()
	return d
}

func host(addr string, lv int) result.Host {
	return result.Host{Address: addr, Level: lv, Services: []facts.Service{{Port: 22, Transport: "tcp", Name: "ssh", Product: "OpenSSH", Version: "9.2p1"}}}
}

func fnd(check string, sev finding.Severity, addr string, port int) finding.Finding {
	return finding.Finding{ID: finding.MakeID(check, addr, port, "tcp", ""), Check: check, Severity: sev, Host: addr, Port: port,
		Transport: "tcp", Title: "Title of " + check, Evidence: "evidence", Recommendation: "fix it"}
}

func accepted(f finding.Finding) finding.Finding {
	f.Accepted = &finding.Acceptance{By: "ann", Reason: "lab", Until: "2027-01-01"}
	return f
}

// withCert gives a host a TLS service whose leaf ends at notAfter.
func withCert(h result.Host, port int, notAfter time.Time) result.Host {
	h.Services = append(h.Services, facts.Service{Port: port, Transport: "tcp", Name: "http", TLS: true,
		TLSAudit: &facts.TLS{Chain: []facts.Certificate{{Subject: "CN=www.example.org\r\nX-Evil: 1", Issuer: "CN=CA",
			NotBefore: notAfter.AddDate(-1, 0, 0), NotAfter: notAfter, SHA256: "ab12"}}}})
	return h
}

// alone returns the events that no other event of es tells.
func alone(es []Event) []Event {
	in := map[string]bool{}
	for _, e := range es {
		in[e.Key] = true
	}
	var out []Event
	for _, e := range es {
		if !slices.ContainsFunc(e.ToldBy, func(k string) bool { return in[k] }) {
			out = append(out, e)
		}
	}
	return out
}

func keys(es []Event) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Key)
	}
	return out
}

func TestScanEvents(t *testing.T) {
	net24 := []string{"10.0.0.0/24"}
	crit := fnd("cleartext.telnet", finding.Critical, "10.0.0.1", 23)
	high := fnd("ssh.cipher.weak", finding.High, "10.0.0.1", 22)
	med := fnd("ssh.auth.password", finding.Medium, "10.0.0.1", 22)
	high2 := fnd("tls.protocol.tls10", finding.High, "10.0.0.2", 443)
	incomplete := doc("cur", net24, []result.Host{host("10.0.0.1", 4)})
	incomplete.Complete = new(bool)
	otherPorts := doc("cur", net24, []result.Host{host("10.0.0.1", 4)})
	otherPorts.Ports = "22,80"

	tests := []struct {
		name       string
		prev, cur  *result.Document
		certWithin time.Duration
		want       []string
		// alone are the events no other event of the scan tells (ToldBy);
		// nil: all of want.
		alone []string
	}{
		{name: "no previous scan: every host and every critical or high finding is new",
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 1), host("10.0.0.2", 2)}, crit, high, med, accepted(high2)),
			want: []string{"finding.new:" + high.ID, "finding.new:" + crit.ID, "host.new:10.0.0.1", "host.new:10.0.0.2"}},
		{name: "nothing changed: no event",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 1)}, crit, high, med),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 1)}, crit, high, med),
			want: []string{}},
		{name: "a finding present in both scans is not new; one that appears is",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 1)}, crit),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 1)}, crit, high, med),
			want: []string{"finding.new:" + high.ID}},
		{name: "an accepted finding is not told",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 4)}, accepted(crit)),
			want: []string{}},
		{name: "a fixed finding is no event",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 2)}, high),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 4)}),
			want: []string{}},
		{name: "a level that drops: the host's alert tells the overall drop too",
			prev:  doc("prev", net24, []result.Host{host("10.0.0.1", 4), host("10.0.0.2", 4)}),
			cur:   doc("cur", net24, []result.Host{host("10.0.0.1", 3), host("10.0.0.2", 4)}),
			want:  []string{"level.drop:10.0.0.1:cur", "level.drop::cur"},
			alone: []string{"level.drop:10.0.0.1:cur"}},
		{name: "a new finding that explains its host's drop tells the drops",
			prev:  doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur:   doc("cur", net24, []result.Host{host("10.0.0.1", 1)}, crit),
			want:  []string{"finding.new:" + crit.ID, "level.drop:10.0.0.1:cur", "level.drop::cur"},
			alone: []string{"finding.new:" + crit.ID}},
		{name: "the overall level alone, when no host alert explains it",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 4), host("10.0.0.7", 3)}),
			want: []string{"host.new:10.0.0.7", "level.drop::cur"}},
		{name: "no overall drop between scans of other targets",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur:  doc("cur", []string{"10.0.0.1-9"}, []result.Host{host("10.0.0.1", 4), host("10.0.0.7", 3)}),
			want: []string{"host.new:10.0.0.7"}},
		{name: "a level that rises or stays is no event",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 2), host("10.0.0.2", 3)}),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 3), host("10.0.0.2", 3)}),
			want: []string{}},
		{name: "an unrated level is no drop",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 0)}),
			want: []string{}},
		{name: "a host that appears and one that disappears",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4), host("10.0.0.9", 4)}),
			cur:  doc("cur", net24, []result.Host{host("10.0.0.1", 4), host("10.0.0.7", 4)}),
			want: []string{"host.new:10.0.0.7", "host.gone:10.0.0.9:cur"}},
		{name: "hosts only among the targets both scans covered",
			prev: doc("prev", []string{"10.0.0.0/24", "10.0.2.1-20"}, []result.Host{host("10.0.0.1", 4), host("10.0.2.5", 4), host("10.0.0.9", 4)}),
			cur:  doc("cur", []string{"10.0.0.1-50", "10.0.1.0/24"}, []result.Host{host("10.0.0.1", 4), host("10.0.0.7", 4), host("10.0.1.5", 4)}),
			want: []string{"host.new:10.0.0.7", "host.gone:10.0.0.9:cur"}},
		{name: "no host is gone after an incomplete scan",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4), host("10.0.0.9", 4)}),
			cur:  incomplete,
			want: []string{}},
		{name: "no host is gone after a scan of other ports",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4), host("10.0.0.9", 4)}),
			cur:  otherPorts,
			want: []string{}},
		{name: "a certificate that ends within the window",
			prev:       doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur:        doc("cur", net24, []result.Host{withCert(host("10.0.0.1", 4), 443, now.Add(10*24*time.Hour))}),
			certWithin: 30 * 24 * time.Hour,
			want:       []string{"cert.expiring:10.0.0.1:443:ab12"}},
		{name: "a certificate that ends after the window, or has ended, is no event",
			prev: doc("prev", net24, []result.Host{host("10.0.0.1", 4)}),
			cur: doc("cur", net24, []result.Host{withCert(withCert(host("10.0.0.1", 4), 443, now.Add(40*24*time.Hour)),
				8443, now.Add(-time.Hour))}),
			certWithin: 30 * 24 * time.Hour,
			want:       []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScanEvents(tt.prev, tt.cur, now, tt.certWithin)
			if have, want := slices.Sorted(slices.Values(keys(got))), slices.Sorted(slices.Values(tt.want)); !slices.Equal(have, want) {
				t.Errorf("events %q, want %q", keys(got), tt.want)
			}
			if tt.alone == nil {
				tt.alone = tt.want
			}
			if have, want := slices.Sorted(slices.Values(keys(alone(got)))), slices.Sorted(slices.Values(tt.alone)); !slices.Equal(have, want) {
				t.Errorf("events told alone %q, want %q", have, want)
			}
			if !slices.IsSortedFunc(got, func(a, b Event) int { return slices.Index(Kinds, a.Kind) - slices.Index(Kinds, b.Kind) }) {
				t.Errorf("events %q are not in the order of Kinds", keys(got))
			}
			for _, e := range got {
				if e.Scan != "cur" || !e.Time.Equal(now) || e.Title == "" || e.Severity == "" || !strings.HasPrefix(e.Key, e.Kind+":") {
					t.Errorf("event %+v: want scan cur, time now, a title, a severity and a key starting with its kind", e)
				}
				if strings.ContainsAny(e.Title+e.Detail, "\r\n\x00") {
					t.Errorf("event %s: title or detail holds a control character: %q %q", e.Key, e.Title, e.Detail)
				}
			}
		})
	}
}

func TestScanEventsFields(t *testing.T) {
	crit := fnd("cleartext.telnet", finding.Critical, "10.0.0.1", 23)
	cur := doc("cur", []string{"10.0.0.1"}, []result.Host{withCert(host("10.0.0.1", 1), 443, now.Add(3*24*time.Hour))}, crit)
	got := ScanEvents(doc("prev", []string{"10.0.0.1"}, []result.Host{host("10.0.0.1", 4)}), cur, now, 30*24*time.Hour)
	byKind := map[string]Event{}
	for _, e := range got {
		byKind[e.Kind] = e
	}
	f := byKind[KindFindingNew]
	if f.Severity != "critical" || f.Host != "10.0.0.1" || f.Port != 23 || !strings.Contains(f.Title, crit.Title) || !strings.Contains(f.Detail, "fix it") {
		t.Errorf("finding.new event %+v", f)
	}
	if !strings.HasSuffix(f.Detail, "The level of 10.0.0.1 drops from 4 (solid) to 1 (exposed). The overall level drops from 4 (solid) to 1 (exposed).") {
		t.Errorf("finding.new event does not say the drop it causes: %q", f.Detail)
	}
	for _, e := range got {
		if e.Kind == KindLevelDrop && !slices.Contains(e.ToldBy, f.Key) {
			t.Errorf("level.drop event %+v is not told by the finding that explains it", e)
		}
	}
	drop := ScanEvents(doc("prev", []string{"10.0.0.1"}, []result.Host{host("10.0.0.1", 4)}),
		doc("cur", []string{"10.0.0.1"}, []result.Host{host("10.0.0.1", 2)}), now, 0)
	if len(drop) != 2 || drop[0].Severity != "high" || drop[0].Host != "10.0.0.1" ||
		drop[0].Title != "Level of 10.0.0.1 dropped from 4 (solid) to 2 (weak)" || !strings.Contains(drop[0].Detail, "The overall level drops") {
		t.Errorf("level.drop events %+v", drop)
	}
	c := byKind[KindCertExpiring]
	if c.Severity != "high" || c.Port != 443 || !strings.Contains(c.Title, "in 3 days") || !strings.Contains(c.Detail, `CN=www.example.org\x0d\x0aX-Evil: 1`) {
		t.Errorf("cert.expiring event %+v", c)
	}
}

func TestScanEventsNoCurrentScan(t *testing.T) {
	if got := ScanEvents(nil, nil, now, time.Hour); len(got) != 0 {
		t.Errorf("events %v from no scan", keys(got))
	}
}

func TestAcceptanceEvents(t *testing.T) {
	acc := func(id, until string) Acceptance {
		return Acceptance{Finding: id, Check: "ssh.cipher.weak", Host: "10.0.0.1", Port: 22,
			Acceptance: finding.Acceptance{By: "ann", Reason: "vendor\r\nappliance", Until: until}}
	}
	revoked := acc("f4", "2026-12-10")
	revoked.Revoked = now.Add(-time.Hour)
	tests := []struct {
		name   string
		acc    []Acceptance
		within time.Duration
		want   []string
	}{
		{"none", nil, 7 * 24 * time.Hour, []string{}},
		{"ends within the window", []Acceptance{acc("f1", "2026-12-10")}, 7 * 24 * time.Hour,
			[]string{"acceptance.expiring:f1:2026-12-10"}},
		{"ends today (it holds to the end of its last day)", []Acceptance{acc("f1", "2026-12-07")}, time.Hour * 3,
			[]string{"acceptance.expiring:f1:2026-12-07"}},
		{"ends after the window", []Acceptance{acc("f2", "2027-02-01")}, 7 * 24 * time.Hour, []string{}},
		{"has ended", []Acceptance{acc("f3", "2026-12-01")}, 7 * 24 * time.Hour, []string{}},
		{"revoked", []Acceptance{revoked}, 7 * 24 * time.Hour, []string{}},
		{"a bad date", []Acceptance{acc("f5", "soon")}, 7 * 24 * time.Hour, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AcceptanceEvents(tt.acc, now, tt.within)
			if !slices.Equal(keys(got), tt.want) {
				t.Errorf("events %q, want %q", keys(got), tt.want)
			}
			for _, e := range got {
				if e.Kind != KindAcceptanceExpiring || e.Host != "10.0.0.1" || e.Port != 22 || strings.ContainsAny(e.Title+e.Detail, "\r\n") {
					t.Errorf("event %+v", e)
				}
			}
		})
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		expr     string
		ok       bool
		from, to string
	}{
		{"10.0.0.5", true, "10.0.0.5", "10.0.0.5"},
		{"10.0.0.0/30", true, "10.0.0.0", "10.0.0.3"},
		{"10.0.0.7/24", true, "10.0.0.0", "10.0.0.255"},
		{"127.0.2.10-14", true, "127.0.2.10", "127.0.2.14"},
		{"10.0.0.1-10.0.1.2", true, "10.0.0.1", "10.0.1.2"},
		{"fd00::1-fd00::9", true, "fd00::1", "fd00::9"},
		{"fd00::/126", true, "fd00::", "fd00::3"},
		{"10.0.0.9-3", false, "", ""},
		{"10.0.0.1-300", false, "", ""},
		{"db.example.org", false, "", ""},
		{"@hosts.txt", false, "", ""},
	}
	for _, tt := range tests {
		r, ok := parseTarget(tt.expr)
		if ok != tt.ok || ok && (r.from.String() != tt.from || r.to.String() != tt.to) {
			t.Errorf("parseTarget(%q) = %v-%v %v, want %s-%s %v", tt.expr, r.from, r.to, ok, tt.from, tt.to, tt.ok)
		}
	}
}

func TestCoverageByName(t *testing.T) {
	h := host("10.0.0.3", 4)
	h.Names = []string{"DB.example.org."}
	d := doc("cur", []string{"db.example.org"}, []result.Host{h})
	c := coverOf(d)
	if !c.covers("10.0.0.3", d) || c.covers("10.0.0.4", d) {
		t.Errorf("a name target covers its host and nothing else: %+v", c)
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"10.0.0.5", "10.0.0.0/24", "127.0.2.10-14", "fd00::1-fd00::9", "10.0.0.1-", "-", "::ffff:10.0.0.1-20", "1.2.3.4/33"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		r, ok := parseTarget(expr)
		if ok && (!r.from.IsValid() || !r.to.IsValid() || r.to.Less(r.from) || r.from.BitLen() != r.to.BitLen()) {
			t.Fatalf("parseTarget(%q) = %v-%v", expr, r.from, r.to)
		}
	})
}

func TestCertWithinADay(t *testing.T) {
	cur := doc("cur", []string{"10.0.0.1"}, []result.Host{withCert(host("10.0.0.1", 4), 443, now.Add(5*time.Hour))})
	got := ScanEvents(cur, cur, now, 24*time.Hour)
	if len(got) != 1 || !strings.HasSuffix(got[0].Title, "expires 2026-12-08 03:00 UTC (within a day)") {
		t.Errorf("events %+v", got)
	}
}

func TestPlain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"New host 10.0.0.5 «ünïcode»", "New host 10.0.0.5 «ünïcode»"},
		{`already escaped \x1b stays`, `already escaped \x1b stays`},
		{"line\r\nBcc: x", `line\x0d\x0aBcc: x`},
		{"evil \u202egnp.exe", `evil \u{202e}gnp.exe`},
		{"bad \xff byte", `bad \xff byte`},
	}
	for _, tt := range tests {
		if got := plain(tt.in); got != tt.want {
			t.Errorf("plain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := []rune(plain(strings.Repeat("x", 5000))); len(got) != 4*textMax+1 {
		t.Errorf("a long text keeps %d runes, want %d", len(got), 4*textMax+1)
	}
}
