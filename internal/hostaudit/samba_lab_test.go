package hostaudit

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/lab"
)

// TestLabSamba audits this machine with the lab's smbd twins running: each
// smbd's smb.conf is found from its -s option and read as smbd reads it,
// the weak twin raises every smb.config check on its address and port, and
// the hardened twin none.
func TestLabSamba(t *testing.T) {
	m := lab.Require(t)
	h, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	weak, hard := m.Find("smb-weak"), m.Find("smb-hard")
	cfgs := map[string]facts.SambaConfig{}
	for _, c := range h.Samba {
		cfgs[c.ConfigFile] = c
	}
	wf, hf := m.Dir+"/smbrdp/smb-weak/smb.conf", m.Dir+"/smbrdp/smb-hard/smb.conf"
	w, ok := cfgs[wf]
	if !ok {
		t.Fatalf("no configuration for %s among %+v", wf, h.Samba)
	}
	if w.ReadFrom != wf || w.MinProtocol != "NT1" || w.Signing != "disabled" || w.MapToGuest != "bad user" ||
		!slices.Equal(w.GuestShares, []string{"public"}) || !w.BindInterfacesOnly || !slices.Equal(w.Interfaces, []string{weak.Host + "/32"}) ||
		!slices.Equal(w.Ports, []int{445, 139}) || len(w.Unknown) > 0 || w.Daemon.UID != 0 {
		t.Errorf("smb-weak: %+v", w)
	}
	if !strings.HasPrefix(w.Sources["server min protocol"], wf+":") || !strings.HasSuffix(w.Sources["server min protocol"], ": server min protocol = NT1") {
		t.Errorf("smb-weak source of server min protocol: %q", w.Sources["server min protocol"])
	}
	if w.Testparm == "" {
		t.Errorf("smb-weak: no trusted testparm (%s)", w.Daemon.Note)
	}
	hc, ok := cfgs[hf]
	if !ok {
		t.Fatalf("no configuration for %s", hf)
	}
	if hc.MinProtocol != "SMB2_10" || hc.Signing != "required" || hc.MapToGuest != "never" || len(hc.GuestShares) != 0 || len(hc.Unknown) > 0 {
		t.Errorf("smb-hard: %+v", hc)
	}
	// One smbd per twin: the per-client children and smbd-notifyd,
	// cleanupd are not examined as daemons.
	n := 0
	for _, c := range h.Samba {
		if c.ConfigFile == wf || c.ConfigFile == hf {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d configurations of the lab's two smbd", n)
	}

	fs := check.JudgeHostAudit(h, h.Time)
	requireFinding(t, fs, "smb.config.v1", weak.Host, weak.Port, wf+":", "server min protocol = NT1")
	requireFinding(t, fs, "smb.config.signing", weak.Host, weak.Port, wf+":", "server signing = disabled")
	requireFinding(t, fs, "smb.config.guest", weak.Host, weak.Port, "share(s) public", "map to guest = bad user")
	for _, f := range fs {
		if strings.HasPrefix(f.Check, "smb.config.") && f.Host == hard.Host {
			t.Errorf("hardened smb-hard has finding %s: %s", f.Check, f.Evidence)
		}
	}
}

// TestLabSambaSSH reads the lab's smbd configurations over SSH, as root of
// ssh-hard, and expects what the local audit reads.
func TestLabSambaSSH(t *testing.T) {
	m := lab.Require(t)
	hard := m.Find("ssh-hard")
	s, err := DialSSH(t.Context(), loopbackDialer(t), SSHConfig{User: "root", Host: hard.Host, Addr: hard.AddrPort(), Identities: []string{m.ClientKey}, KnownHosts: m.KnownHosts})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	remote, err := Collect(t.Context(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	local, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	key := func(c facts.SambaConfig) string {
		return strings.Join([]string{c.ConfigFile, c.ReadFrom, c.MinProtocol, c.Signing, c.MapToGuest, strings.Join(c.GuestShares, ","), c.Testparm, c.Sources["server min protocol"]}, "|")
	}
	for _, twin := range []string{"smb-weak", "smb-hard"} {
		file := m.Dir + "/smbrdp/" + twin + "/smb.conf"
		find := func(h *facts.HostAudit) string {
			for _, c := range h.Samba {
				if c.ConfigFile == file {
					return key(c)
				}
			}
			return "(none)"
		}
		if l, r := find(local), find(remote); l != r || l == "(none)" {
			t.Errorf("%s: local %q, remote %q", twin, l, r)
		}
	}
}
