package smbaudit

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/lab"
)

func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 16, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func labService(t *testing.T, m *lab.Manifest, id string) lab.Service {
	t.Helper()
	s := m.Find(id)
	if s.ID == "" {
		t.Skipf("the lab has no %s (part smbrdp not up)", id)
	}
	return s
}

// TestLabShares lists the shares of the lab's Samba twins: the weak one
// lets a null session list both its shares; the hardened one refuses null
// and guest sessions.
func TestLabShares(t *testing.T) {
	m := lab.Require(t)
	d := newDialer(t)
	for _, tt := range []struct {
		id      string
		session string
		names   []string
	}{
		{"smb-weak", "null", []string{"public", "records"}},
		{"smb-hard", "", nil},
	} {
		svc := labService(t, m, tt.id)
		s := &facts.Service{Port: svc.Port, Transport: facts.TCP, Name: "smb"}
		if err := Audit(t.Context(), d, svc.AddrPort(), s, Options{}); err != nil {
			t.Fatalf("%s: %v", tt.id, err)
		}
		sh := s.SMB.Shares
		t.Logf("%s: %+v", tt.id, sh)
		if sh == nil || sh.Session != tt.session || !slices.Equal(sh.Names, tt.names) {
			t.Errorf("%s: shares %+v, want session %q names %v", tt.id, sh, tt.session, tt.names)
		}
		if tt.session == "" && !strings.Contains(sh.Refused, "STATUS_ACCESS_DENIED") {
			t.Errorf("%s: refusal %q does not name the server's status", tt.id, sh.Refused)
		}
	}
}

// TestLabGuestLogin logs in to the weak Samba as "guest" with the empty
// password (NTLMv2): map to guest = bad user makes it the guest, which may
// list the shares too.
func TestLabGuestLogin(t *testing.T) {
	m := lab.Require(t)
	svc := labService(t, m, "smb-weak")
	a := &auditor{d: newDialer(t), addr: svc.AddrPort(), opt: Options{Timeout: 2 * time.Second}, f: &facts.SMB{}}
	names, why, err := a.list(t.Context(), "guest")
	if err != nil || why != "" || !slices.Equal(names, []string{"public", "records"}) {
		t.Errorf("guest listing: %v, refused %q, error %v", names, why, err)
	}
	svc = labService(t, m, "smb-hard")
	a.addr = svc.AddrPort()
	if names, why, err := a.list(t.Context(), "guest"); err != nil || !strings.Contains(why, "STATUS_LOGON_FAILURE") || names != nil {
		t.Errorf("smb-hard guest login: %v, refused %q, error %v", names, why, err)
	}
}
