package engine

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/lab"
)

// TestLabSMBRDPFindings scans the smbrdp part's twins end to end
// (identification, audits, judgement): each planted weakness gives its
// finding on the weak twin, and the hardened twins get no SMB or RDP
// finding and nothing high.
func TestLabSMBRDPFindings(t *testing.T) {
	m := lab.Require(t)
	ids := []string{"smb-weak", "smb-hard", "rdp-weak", "rdp-hard"}
	hostOf := map[string]string{}
	var targets []string
	for _, id := range ids {
		s := m.Find(id)
		if s.ID == "" {
			t.Skipf("the lab has no %s (part smbrdp not up)", id)
		}
		hostOf[id] = s.Host
		targets = append(targets, s.Host)
	}
	doc, err := Run(context.Background(), Config{
		Targets:    targets,
		Scope:      scope.Config{MaxHosts: 16},
		Dial:       dialer.Config{Concurrency: 64, Timeout: 2 * time.Second},
		Ports:      []uint16{445, 3389},
		MinTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{} // host → checks
	for _, f := range doc.Findings {
		got[f.Host] = append(got[f.Host], f.Check)
		t.Logf("%s:%d %s %s: %s", f.Host, f.Port, f.Severity, f.Check, f.Evidence)
		if f.Check == "coverage.audit-failed" {
			t.Errorf("an audit failed on %s: %s", f.Host, f.Evidence)
		}
	}
	want := map[string][]string{
		"smb-weak": {"smb.guest.shares", "smb.signing.not-required", "smb.v1"},
		"rdp-weak": {"rdp.nla.missing"},
	}
	for _, id := range []string{"smb-weak", "rdp-weak"} {
		var mine []string
		for _, c := range got[hostOf[id]] {
			if strings.HasPrefix(c, "smb.") || strings.HasPrefix(c, "rdp.") {
				mine = append(mine, c)
			}
		}
		slices.Sort(mine)
		if !slices.Equal(mine, want[id]) {
			t.Errorf("%s: findings %v, want %v", id, mine, want[id])
		}
	}
	for _, f := range doc.Findings {
		if f.Host != hostOf["smb-hard"] && f.Host != hostOf["rdp-hard"] {
			continue
		}
		if strings.HasPrefix(f.Check, "smb.") || strings.HasPrefix(f.Check, "rdp.") || f.Severity >= finding.High {
			t.Errorf("hardened twin %s: %s %s: %s", f.Host, f.Severity, f.Check, f.Evidence)
		}
	}
}
