package fileshare

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/protocols/rsync"
	"github.com/vigilsec/vigil/internal/protocols/x11"
	"github.com/vigilsec/vigil/lab"
)

// filesChecks are the checks of the part's services.
var filesChecks = []string{"rsync.module.open", "nfs.export.world", "iscsi.discovery.open", "x11.open", "cleartext.mssql", "exposure.admin"}

// TestLabFiles identifies, audits and judges the services of the lab part
// files (lab/parts/files.sh): each weak service gives its planted finding
// with the evidence that proves it, each hardened twin none of them.
func TestLabFiles(t *testing.T) {
	m := lab.Require(t)
	if m.Find("files-rsync-weak").ID == "" {
		t.Skip("the lab runs without part files (VIGIL_LAB_ONLY names other parts)")
	}
	d := newDialer(t)
	tests := []struct {
		id        string
		untrusted bool
		// want maps each expected check to strings its evidence holds;
		// nil means none of filesChecks may fire.
		want  map[string][]string
		facts func(t *testing.T, s *facts.Service)
	}{
		{"files-rsync-weak", false, map[string][]string{"rsync.module.open": {`module "pub"`, `"backup"`}}, func(t *testing.T, s *facts.Service) {
			if r := rsync.Evidence.Get(s); r == nil || !r.Listed || len(r.Modules) != 2 || r.Modules[1].Access != rsync.Auth {
				t.Errorf("rsync facts %+v", r)
			}
		}},
		{"files-rsync-hard", false, nil, func(t *testing.T, s *facts.Service) {
			if r := rsync.Evidence.Get(s); r == nil || r.Listed {
				t.Errorf("rsync facts %+v", r)
			}
		}},
		{"files-iscsi-weak", false, map[string][]string{"iscsi.discovery.open": {"iqn.2026-12.lab.vigil:weak-disk"}}, nil},
		{"files-iscsi-hard", false, nil, func(t *testing.T, s *facts.Service) {
			if s.ISCSI == nil || s.ISCSI.DiscoveryOpen || s.ISCSI.StatusClass != 2 {
				t.Errorf("iSCSI facts %+v", s.ISCSI)
			}
		}},
		{"files-mssql-weak", false, map[string][]string{"cleartext.mssql": {"ENCRYPT_NOT_SUP", "16.0.1000"}}, nil},
		{"files-mssql-hard", false, nil, nil},
		{"files-x11-weak", false, map[string][]string{"x11.open": {"without any authorisation", "X.Org"}}, nil},
		{"files-x11-hard", false, nil, func(t *testing.T, s *facts.Service) {
			if x := x11.Evidence.Get(s); x == nil || x.Status != x11.Failed || !strings.Contains(x.Reason, "Authorization required") {
				t.Errorf("X11 facts %+v", x)
			}
		}},
		{"files-rpcbind-weak", false, map[string][]string{"nfs.export.world": {"/files/nfs-weak/world", "everyone", "port 20048"}}, func(t *testing.T, s *facts.Service) {
			if s.RPC == nil || !s.RPC.ExportsRead || slices.ContainsFunc(s.RPC.Exports, func(e facts.NFSExport) bool { return strings.HasSuffix(e.Path, "/lan") }) {
				t.Errorf("RPC facts %+v", s.RPC)
			}
		}},
		{"files-rpcbind-weak-udp", false, map[string][]string{"nfs.export.world": {"/files/nfs-weak/world"}}, nil},
		{"files-rpcbind-hard", false, nil, func(t *testing.T, s *facts.Service) {
			if s.RPC == nil || !s.RPC.ExportsRead || len(s.RPC.Programs) == 0 {
				t.Errorf("RPC facts %+v", s.RPC)
			}
		}},
		{"files-rpcbind-hard-udp", false, nil, nil},
		{"files-winrm", true, map[string][]string{"exposure.admin": {"WinRM on tcp/5985"}}, nil},
		{"files-kdc", false, nil, func(t *testing.T, s *facts.Service) {
			if s.Kerberos == nil || s.Kerberos.ErrorCode == 0 || s.Kerberos.ServerTime.IsZero() {
				t.Errorf("Kerberos facts %+v", s.Kerberos)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			svc := m.Find(tt.id)
			if svc.ID == "" {
				t.Fatalf("manifest lacks %s", tt.id)
			}
			addr := svc.AddrPort()
			var s facts.Service
			if svc.Transport == "udp" {
				s, _ = identify.UDP(t.Context(), d, addr, identify.Options{})
			} else {
				s = identify.TCP(t.Context(), d, addr, identify.Options{})
			}
			if s.Name != svc.Name {
				t.Fatalf("identified as %q, manifest says %q", s.Name, svc.Name)
			}
			if err := Audit(t.Context(), d, addr, &s, Options{}); err != nil {
				t.Errorf("audit: %v", err)
			}
			// rsync moved to a protocol module with its audit.
			if a := rsync.Module.Audit; s.Name == rsync.Module.Name && a.Applies(&s) {
				if err := a.Run(t.Context(), module.Env{Dialer: d}, addr, &s); err != nil {
					t.Errorf("rsync audit: %v", err)
				}
			}
			if tt.facts != nil {
				tt.facts(t, &s)
			}
			host := facts.Host{Address: svc.Host, Services: []facts.Service{s}}
			fs := check.JudgeScan([]facts.Host{host}, check.Scope{Now: time.Now(), Untrusted: tt.untrusted})
			got := map[string]finding.Finding{}
			for _, f := range fs {
				if slices.Contains(filesChecks, f.Check) {
					got[f.Check] = f
				}
			}
			for c, ev := range tt.want {
				f, ok := got[c]
				if !ok {
					t.Errorf("no %s finding; got %v", c, fs)
					continue
				}
				for _, e := range ev {
					if !strings.Contains(f.Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", c, f.Evidence, e)
					}
				}
			}
			for c, f := range got {
				if _, ok := tt.want[c]; !ok {
					t.Errorf("unexpected %s (%s): %s", c, f.Severity, f.Evidence)
				}
			}
			if tt.want == nil {
				for _, f := range fs {
					if f.Severity >= finding.High {
						t.Errorf("hardened twin has a %s finding %s: %s", f.Severity, f.Check, f.Evidence)
					}
				}
			}
		})
	}
}
