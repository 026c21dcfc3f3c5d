package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// weakSamba is the lab's smb-weak as the host audit sees it.
func weakSamba() facts.SambaConfig {
	const f = "/etc/samba/smb.conf"
	return facts.SambaConfig{PID: 40, ConfigFile: f, ReadFrom: f, Files: []string{f},
		MinProtocol: "NT1", Signing: "disabled", ServerRole: "standalone server", MapToGuest: "bad user", GuestShares: []string{"public"},
		Ports: []int{445, 139},
		Sources: map[string]string{
			"server min protocol": f + ":25: server min protocol = NT1",
			"server signing":      f + ":26: server signing = disabled",
			"map to guest":        f + ":27: map to guest = bad user",
			"guest ok [public]":   f + ":32: guest ok = yes",
		}}
}

func sambaWith(mod func(c *facts.SambaConfig)) facts.SambaConfig {
	c := weakSamba()
	mod(&c)
	return c
}

func TestJudgeHostSamba(t *testing.T) {
	lan := []string{"192.168.1.5", "127.0.0.1"}
	on := func(addr string) *facts.HostAudit { return machine(lan, tcp(addr, 445, 40, "smbd")) }
	all := []string{"smb.config.v1", "smb.config.signing", "smb.config.guest"}
	tests := []struct {
		name string
		h    *facts.HostAudit
		c    facts.SambaConfig
		want []string // check IDs on the target
		host string
		port int
		// evidence and fix each finding must contain
		evidence, fix []string
	}{
		{name: "weak on a lab alias", h: on("127.0.2.45"), c: weakSamba(), want: all, host: "127.0.2.45", port: 445,
			evidence: []string{"/etc/samba/smb.conf:2"}, fix: []string{"/etc/samba/smb.conf", "line 2", "testparm -s /etc/samba/smb.conf", "kill -HUP 40"}},
		{name: "weak on every address", h: on("0.0.0.0"), c: weakSamba(), want: all, host: "192.168.1.5", port: 445},
		{name: "loopback only", h: on("127.0.0.1"), c: weakSamba()},
		{name: "hardened", h: on("127.0.2.46"), c: sambaWith(func(c *facts.SambaConfig) {
			c.MinProtocol, c.Signing, c.MapToGuest, c.GuestShares = "SMB2_10", "required", "never", nil
		})},
		{name: "defaults: SMB2_02, signing default on a standalone server, map to guest never", h: on("127.0.2.46"), c: sambaWith(func(c *facts.SambaConfig) {
			c.MinProtocol, c.Signing, c.ServerRole, c.MapToGuest, c.Sources = "SMB2_02", "default", "auto", "never", nil
		}), want: []string{"smb.config.signing"}, host: "127.0.2.46", port: 445,
			evidence: []string{"server signing = default (not set in /etc/samba/smb.conf", "server role = auto"}, fix: []string{"set server signing = mandatory (/etc/samba/smb.conf)"}},
		{name: "signing default on an AD domain controller is required", h: on("127.0.2.46"), c: sambaWith(func(c *facts.SambaConfig) {
			c.MinProtocol, c.Signing, c.ServerRole, c.MapToGuest = "SMB3", "default", "active directory domain controller", "never"
		})},
		{name: "guest shares while map to guest is never", h: on("127.0.2.46"), c: sambaWith(func(c *facts.SambaConfig) {
			c.MinProtocol, c.Signing, c.MapToGuest = "SMB2_02", "required", "never"
		})},
		{name: "map to guest bad user without guest shares", h: on("127.0.2.46"), c: sambaWith(func(c *facts.SambaConfig) {
			c.MinProtocol, c.Signing, c.GuestShares = "SMB2_02", "required", nil
		})},
		{name: "what vigil could not see is neither raised nor cleared", h: on("127.0.2.45"), c: sambaWith(func(c *facts.SambaConfig) {
			c.Unknown = map[string]string{"server min protocol": "x", "server signing": "x", "map to guest": "x"}
		})},
		{name: "signing default with an unknown role", h: on("127.0.2.45"), c: sambaWith(func(c *facts.SambaConfig) {
			c.Signing, c.Unknown = "default", map[string]string{"server role": "x"}
		}), want: []string{"smb.config.v1", "smb.config.guest"}, host: "127.0.2.45", port: 445},
		{name: "configuration not read", h: on("127.0.2.45"), c: sambaWith(func(c *facts.SambaConfig) { c.ReadFrom = "" })},
		{name: "no listener seen: bind interfaces only on loopback", h: machine(lan), c: sambaWith(func(c *facts.SambaConfig) {
			c.PID, c.BindInterfacesOnly, c.Interfaces = 0, true, []string{"127.0.0.1/8", "lo"}
		})},
		{name: "no listener seen: its interfaces", h: machine(lan), c: sambaWith(func(c *facts.SambaConfig) {
			c.PID, c.BindInterfacesOnly, c.Interfaces, c.Ports = 0, true, []string{"10.0.0.5/24"}, []int{1445}
		}), want: all, host: "10.0.0.5", port: 1445},
		{name: "no listener seen: every address", h: machine(lan), c: sambaWith(func(c *facts.SambaConfig) { c.PID = 0 }),
			want: all, host: "192.168.1.5", port: 445},
		{name: "config file moved it", h: on("127.0.2.45"), c: sambaWith(func(c *facts.SambaConfig) {
			c.ReadFrom = "/etc/samba/real.conf"
			c.Sources = map[string]string{"server min protocol": "/etc/samba/real.conf:4: server min protocol = NT1", "config file": "/etc/samba/smb.conf:3: config file = /etc/samba/real.conf"}
		}), want: all, host: "127.0.2.45", port: 445, evidence: []string{"smbd reads /etc/samba/real.conf instead of /etc/samba/smb.conf"}, fix: []string{"/etc/samba/real.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.h.Samba = []facts.SambaConfig{tt.c}
			fs := judgeHostSamba(tt.h, hostNow)
			var got []string
			for _, f := range fs {
				got = append(got, f.Check)
				if f.Host != tt.host || f.Port != tt.port {
					t.Errorf("%s on %s:%d, want %s:%d", f.Check, f.Host, f.Port, tt.host, tt.port)
				}
				for _, e := range tt.evidence {
					if !strings.Contains(f.Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", f.Check, f.Evidence, e)
					}
				}
				for _, e := range tt.fix {
					if !strings.Contains(f.Recommendation, e) {
						t.Errorf("%s fix %q lacks %q", f.Check, f.Recommendation, e)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJudgeHostSambaEvidence(t *testing.T) {
	h := machine([]string{"192.168.1.5"}, tcp("127.0.2.45", 445, 40, "smbd"))
	h.Listeners[0].Unit = "smbd.service"
	h.Samba = []facts.SambaConfig{weakSamba()}
	fs := JudgeHostAudit(h, hostNow)
	byID := map[string]finding.Finding{}
	for _, f := range fs {
		byID[f.Check] = f
	}
	for id, want := range map[string][]string{
		"smb.config.v1":      {"server min protocol = NT1 (/etc/samba/smb.conf:25: server min protocol = NT1)", "line 25 of /etc/samba/smb.conf", "systemctl reload smbd.service"},
		"smb.config.signing": {"server signing = disabled (/etc/samba/smb.conf:26", "line 26 of /etc/samba/smb.conf", "server signing = mandatory"},
		"smb.config.guest":   {"share(s) public", "/etc/samba/smb.conf:32: guest ok = yes", "map to guest = bad user", "line 27 of /etc/samba/smb.conf"},
	} {
		f, ok := byID[id]
		if !ok {
			t.Errorf("no %s", id)
			continue
		}
		text := f.Evidence + " | " + f.Recommendation
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q lacks %q", id, text, w)
			}
		}
		if c, ok := Lookup(id); !ok || f.Severity != c.Severity {
			t.Errorf("%s: severity %v, catalogue %v", id, f.Severity, c.Severity)
		}
	}
}
