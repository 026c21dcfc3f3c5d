package identify

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/lab"
)

// TestLabSMBRDPFacts identifies the smbrdp part's servers and checks the
// typed facts identification records: SMB dialect, signing, SMBv1 and
// what Samba says about itself; RDP's selected protocol and, through
// CredSSP, the NTLM CHALLENGE.
func TestLabSMBRDPFacts(t *testing.T) {
	m := lab.Require(t)
	d := newDialer(t)
	get := func(id string) lab.Service {
		t.Helper()
		s := m.Find(id)
		if s.ID == "" {
			t.Skipf("the lab has no %s (part smbrdp not up)", id)
		}
		return s
	}

	weak := get("smb-weak")
	s := TCP(t.Context(), d, weak.AddrPort(), Options{})
	f := s.SMB
	if f == nil || f.SMB1 == nil || !*f.SMB1 || f.SMB1Signing != "disabled" || f.Signing != "enabled" || f.Dialect != "3.1.1" {
		t.Fatalf("smb-weak facts: %+v", f)
	}
	if f.NativeLanMan != "Samba "+weak.Version+"-Debian" || s.Version != weak.Version {
		t.Errorf("smb-weak NativeLanMan %q version %q, installed Samba is %s", f.NativeLanMan, s.Version, weak.Version)
	}
	if f.NTLM == nil || f.NTLM.NetBIOSName != "SMBWEAK" || f.NTLM.OSVersion != "6.1.0" {
		t.Errorf("smb-weak NTLM %+v", f.NTLM)
	}

	s = TCP(t.Context(), d, get("smb-hard").AddrPort(), Options{})
	f = s.SMB
	if f == nil || f.SMB1 == nil || *f.SMB1 || f.Signing != "required" || f.NativeLanMan != "" || s.Product != "Samba" || s.Version != "" {
		t.Fatalf("smb-hard: product %q version %q facts %+v", s.Product, s.Version, f)
	}
	if f.NTLM == nil || f.NTLM.NetBIOSName != "SMBHARD" {
		t.Errorf("smb-hard NTLM %+v", f.NTLM)
	}

	s = TCP(t.Context(), d, get("rdp-weak").AddrPort(), Options{})
	if s.RDP == nil || s.RDP.Selected != "tls" || s.RDP.NTLM != nil || s.Product != "xrdp" {
		t.Errorf("rdp-weak: product %q facts %+v", s.Product, s.RDP)
	}
	s = TCP(t.Context(), d, get("rdp-hard").AddrPort(), Options{})
	if s.RDP == nil || s.RDP.Selected != "credssp" || s.RDP.NTLM == nil || !strings.Contains(s.RDP.NTLM.OSVersion, ".") || s.Product != "FreeRDP" {
		t.Errorf("rdp-hard: product %q facts %+v", s.Product, s.RDP)
	}
}
