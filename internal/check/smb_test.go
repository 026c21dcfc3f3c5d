package check

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func smbSvc(product string, f *facts.SMB) *facts.Service {
	return &facts.Service{Port: 445, Transport: facts.TCP, Name: "smb", Product: product, SMB: f}
}

// hitsByCheck indexes hits by check ID.
func hitsByCheck(hits []Hit) map[string]Hit {
	m := map[string]Hit{}
	for _, h := range hits {
		m[h.Check] = h
	}
	return m
}

func TestJudgeSMB(t *testing.T) {
	weak := &facts.SMB{
		Dialect: "3.1.1", Signing: "enabled", SMB1: yes(), SMB1Signing: "disabled",
		NativeOS: "Windows 6.1", NativeLanMan: "Samba 4.17.12-Debian",
		Shares: &facts.SMBShares{Session: "null", Names: []string{"public", "records"}},
	}
	hard := &facts.SMB{
		Dialect: "3.1.1", Signing: "required", SMB1: no(),
		Shares: &facts.SMBShares{Refused: "null session: IPC$ refused (STATUS_ACCESS_DENIED)"},
	}
	tests := []struct {
		name string
		s    *facts.Service
		want map[string][]string // check → strings its evidence or fix must hold
	}{
		{"samba weak", smbSvc("Samba", weak), map[string][]string{
			"smb.v1":                   {"NT LM 0.12", "Samba 4.17.12-Debian", "server min protocol = SMB2_10"},
			"smb.signing.not-required": {"signing enabled but not required", "dialect 3.1.1", "over SMBv1 signing is disabled", "server signing = mandatory"},
			"smb.guest.shares":         {"null session", "public, records", "map to guest = never", "restrict anonymous = 2"},
		}},
		{"hard", smbSvc("Samba", hard), nil},
		{"windows guest", smbSvc("Windows", &facts.SMB{Signing: "disabled", SMB1: no(),
			Shares: &facts.SMBShares{Session: "guest", Names: []string{"scans"}}}), map[string][]string{
			"smb.signing.not-required": {"signing disabled", "RequireSecuritySignature"},
			"smb.guest.shares":         {`"guest" with an empty password`, "scans", "RestrictNullSessAccess"},
		}},
		{"smb1 only", smbSvc("", &facts.SMB{SMB1: yes(), SMB1Signing: "enabled"}), map[string][]string{
			"smb.v1":                   {"NT LM 0.12", "Samba:", "Windows:"},
			"smb.signing.not-required": {"SMBv1 NEGOTIATE with signing enabled"},
		}},
		{"smb1 only, signing required", smbSvc("", &facts.SMB{SMB1: yes(), SMB1Signing: "required"}), map[string][]string{
			"smb.v1": {"NT LM 0.12"},
		}},
		{"only IPC listed", smbSvc("Samba", &facts.SMB{Signing: "required", Shares: &facts.SMBShares{Session: "null"}}), nil},
		{"nothing audited", smbSvc("Samba", nil), nil},
		{"not smb", &facts.Service{Port: 445, Transport: facts.TCP, Name: "http", SMB: weak}, nil},
	}
	for _, tt := range tests {
		got := hitsByCheck(judgeSMB(Input{Service: tt.s}))
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %d hits %v, want %d", tt.name, len(got), slices.Collect(maps.Keys(got)), len(tt.want))
		}
		for id, subs := range tt.want {
			h, ok := got[id]
			if !ok {
				t.Errorf("%s: %s did not fire", tt.name, id)
				continue
			}
			c, _ := Lookup(id)
			text := h.Evidence + " | " + h.Fix
			if h.Fix == "" {
				text += c.Fix
			}
			for _, sub := range subs {
				if !strings.Contains(text, sub) {
					t.Errorf("%s: %s lacks %q: %s", tt.name, id, sub, text)
				}
			}
		}
	}
}

func TestJudgeRDP(t *testing.T) {
	rdpSvc := func(product string, r *facts.RDP) *facts.Service {
		return &facts.Service{Port: 3389, Transport: facts.TCP, Name: "rdp", Product: product, RDP: r}
	}
	tests := []struct {
		name string
		s    *facts.Service
		want []string // strings of the evidence and fix; nil: no finding
	}{
		{"xrdp", rdpSvc("xrdp", &facts.RDP{Selected: "tls", TLSOnly: "tls", RDPOnly: "rdp"}),
			[]string{"selected TLS", "standard RDP security", "security_layer=tls"}},
		{"windows without NLA", rdpSvc("Windows", &facts.RDP{Selected: "credssp", TLSOnly: "tls", RDPOnly: "ssl-required"}),
			[]string{"offered TLS alone, it selected TLS", "UserAuthentication"}},
		{"rdp security only", rdpSvc("", &facts.RDP{TLSOnly: "ssl-not-allowed", RDPOnly: "rdp"}),
			[]string{"standard RDP security", "UserAuthentication"}},
		{"freerdp nla", rdpSvc("FreeRDP", &facts.RDP{Selected: "credssp", TLSOnly: "hybrid-required", RDPOnly: "hybrid-required"}), nil},
		{"not audited", rdpSvc("xrdp", &facts.RDP{Selected: "tls"}), nil},
		{"no facts", rdpSvc("xrdp", nil), nil},
	}
	for _, tt := range tests {
		hits := judgeRDP(Input{Service: tt.s})
		if tt.want == nil {
			if len(hits) != 0 {
				t.Errorf("%s: unexpected %+v", tt.name, hits)
			}
			continue
		}
		if len(hits) != 1 || hits[0].Check != "rdp.nla.missing" {
			t.Errorf("%s: got %+v", tt.name, hits)
			continue
		}
		c, _ := Lookup("rdp.nla.missing")
		text := hits[0].Evidence + " | " + hits[0].Fix
		if hits[0].Fix == "" {
			text += c.Fix
		}
		for _, sub := range tt.want {
			if !strings.Contains(text, sub) {
				t.Errorf("%s: lacks %q: %s", tt.name, sub, text)
			}
		}
	}
}
