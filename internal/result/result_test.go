package result

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func mk(check, host string, port int, sev finding.Severity) finding.Finding {
	return finding.Finding{ID: finding.MakeID(check, host, port, "tcp", ""), Check: check, Severity: sev, Host: host, Port: port, Transport: "tcp",
		Title: check, Evidence: "seen", Recommendation: "fix it"}
}

// TestCarryAndRate: a scan of one of an audited machine's addresses
// carries the audit's findings about that address and about the machine
// as a whole, and is rated with them: an open medium finding of the audit
// keeps the address at level 3, never 5.
func TestCarryAndRate(t *testing.T) {
	end := time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)
	audit := Assemble("20261201T102900Z-aaaa", end.Add(-time.Minute), end, []string{"srv1"}, nil, []finding.Finding{
		mk("firewall.none", "srv1", 0, finding.Medium),
		mk("ssh.config.root-login", "10.0.0.5", 22, finding.Medium),
		mk("ssh.config.root-login", "10.0.0.6", 22, finding.Medium), // another address of the machine
	}, nil)
	audit.Kind = KindHost
	audit.HostAudit = &facts.HostAudit{Hostname: "srv1"}

	got := Carry(audit, "10.0.0.5")
	if len(got) != 2 {
		t.Fatalf("Carry = %+v, want the machine's and the address's findings", got)
	}
	for _, f := range got {
		if f.Host != "10.0.0.5" || !strings.Contains(f.Evidence, "host audit 20261201T102900Z-aaaa of srv1, 2026-12-01 10:30 UTC: seen") || !Carried(f) {
			t.Errorf("carried %+v", f)
		}
	}
	if Carried(audit.Findings[0]) || Carried(mk("ssh.cipher.weak", "10.0.0.5", 22, finding.High)) {
		t.Error("a finding that was not carried counts as carried")
	}
	if fw := got[0]; fw.Check == "firewall.none" && (fw.Port != 0 || fw.ID != finding.MakeID("firewall.none", "10.0.0.5", 0, "tcp", "")) {
		t.Errorf("machine-wide finding filed as %+v", fw)
	}
	if len(Carry(audit, "10.0.0.9")) != 1 || Carry(nil, "10.0.0.5") != nil {
		t.Error("another address gets more than the machine's finding, or a missing audit gives some")
	}

	scanEnd := end.Add(time.Hour)
	hosts := []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{{Port: 22, Transport: "tcp", Name: "ssh"}}}}
	clean := Assemble("s1", scanEnd, scanEnd, []string{"10.0.0.5"}, hosts, nil, map[string]time.Time{"10.0.0.5": end})
	if clean.Hosts[0].Level != 5 {
		t.Fatalf("without the audit's findings: level %d", clean.Hosts[0].Level)
	}
	doc := Assemble("s2", scanEnd, scanEnd, []string{"10.0.0.5"}, hosts, got, map[string]time.Time{"10.0.0.5": end})
	if doc.Hosts[0].Level != 3 || doc.Level.Value != 3 {
		t.Errorf("with the audit's findings: host level %d, overall %d; want 3", doc.Hosts[0].Level, doc.Level.Value)
	}
}

func TestSameTargets(t *testing.T) {
	tests := []struct {
		a, b []string
		want bool
	}{
		{nil, nil, true},
		{nil, []string{}, true},
		{[]string{"10.0.0.0/24"}, []string{"10.0.0.0/24"}, true},
		{[]string{"10.0.0.1", "10.0.0.2"}, []string{"10.0.0.2", " 10.0.0.1 "}, true},
		{[]string{"10.0.0.1", "10.0.0.1"}, []string{"10.0.0.1"}, true},
		{[]string{"10.0.0.0/24"}, []string{"10.0.0.0/25"}, false},
		{[]string{"10.0.0.1"}, []string{"10.0.0.1", "10.0.0.2"}, false},
		{[]string{"10.0.0.1"}, nil, false},
	}
	for _, tt := range tests {
		if got := SameTargets(tt.a, tt.b); got != tt.want {
			t.Errorf("SameTargets(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := SameTargets(tt.b, tt.a); got != tt.want {
			t.Errorf("SameTargets(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

// A scan that probed no UDP port says so; a document that does not record
// its UDP ports reads back as not knowing them.
func TestUDPPortsRoundTrip(t *testing.T) {
	none, some := "", "53,123,161"
	tests := []struct {
		name string
		udp  *string
		json string // what the document holds, "" for no udp_ports field
	}{
		{"none probed", &none, `"udp_ports": ""`},
		{"some probed", &some, `"udp_ports": "53,123,161"`},
		{"not recorded", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
			d := Assemble(NewID(t0), t0, t0, []string{"10.0.0.1"}, nil, nil, nil)
			d.UDPPorts = tt.udp
			var b bytes.Buffer
			if err := d.Write(&b); err != nil {
				t.Fatal(err)
			}
			if tt.json == "" && strings.Contains(b.String(), "udp_ports") || tt.json != "" && !strings.Contains(b.String(), tt.json) {
				t.Errorf("document holds %s, want %q", b.String(), tt.json)
			}
			back, err := Read(&b)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.udp == nil && back.UDPPorts != nil:
				t.Errorf("read back udp_ports %q, want none", *back.UDPPorts)
			case tt.udp != nil && (back.UDPPorts == nil || *back.UDPPorts != *tt.udp):
				t.Errorf("read back udp_ports %v, want %q", back.UDPPorts, *tt.udp)
			}
		})
	}
}
