package check

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/conf/samba"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// hostSambaChecks are the checks judgeHostSamba emits from the smb.conf a
// running smbd reads (vigil host).
var hostSambaChecks = []Check{
	{ID: "smb.config.v1", Severity: finding.High, Title: "smbd configuration accepts SMBv1",
		Rationale:  "server min protocol is NT1 or older: clients may use SMBv1, which has no pre-authentication integrity, weak signing and no encryption, and is the protocol of EternalBlue/WannaCry (MS17-010).",
		Fix:        "In the [global] section of smb.conf set server min protocol = SMB2_02 (or SMB2_10, SMB3), check the file with testparm -s, then reload smbd.",
		Frameworks: fwAdminCrypto},
	{ID: "smb.config.signing", Severity: finding.Medium, Title: "smbd configuration does not require signing",
		Rationale:  "server signing is not mandatory: a man in the middle can alter SMB traffic or relay a user's NTLM authentication to this server and act as that user.",
		Fix:        "In the [global] section of smb.conf set server signing = mandatory, check the file with testparm -s, then reload smbd.",
		Frameworks: fwTransport},
	{ID: "smb.config.guest", Severity: finding.High, Title: "smbd configuration lets guests into shares",
		Rationale:  "A share has guest ok = yes (or public = yes) while map to guest is not Never: anyone who reaches the server can use that share without a password, and a mistyped user name lands there too.",
		Fix:        "In the [global] section of smb.conf set map to guest = never and remove guest ok = yes (public = yes) from the shares that need no guests, check the file with testparm -s, then reload smbd.",
		Frameworks: fwNoAuth},
}

// haSambaReload says how to check the file and make smbd re-read it.
func haSambaReload(h *facts.HostAudit, c facts.SambaConfig, file string) string {
	check := "testparm -s " + file
	if u := haUnit(h, c.PID); u != "" {
		return fmt.Sprintf("check the file with %s, then reload smbd: systemctl reload %s", check, u)
	}
	if c.PID > 0 {
		return fmt.Sprintf("check the file with %s, then reload smbd: kill -HUP %d (or smbcontrol %d reload-config)", check, c.PID, c.PID)
	}
	return fmt.Sprintf("check the file with %s, then reload smbd: smbcontrol smbd reload-config", check)
}

// haSambaBeyond reports whether an smbd listens beyond loopback: its
// listeners, or, when none of them was seen, what its configuration says
// (every address unless bind interfaces only = yes, then its interfaces).
// declared are the addresses to name in findings when it has no listener.
func haSambaBeyond(h *facts.HostAudit, c facts.SambaConfig) (beyond bool, declared []string) {
	if ls := haListenersOf(h, c.PID); len(ls) > 0 {
		for _, l := range ls {
			beyond = beyond || haBeyondLoopback(l.Address)
		}
		return beyond, nil
	}
	if !c.BindInterfacesOnly || len(c.Interfaces) == 0 {
		return true, []string{"0.0.0.0"}
	}
	for _, i := range c.Interfaces {
		a, _, _ := strings.Cut(i, "/")
		if ip, err := netip.ParseAddr(a); err == nil {
			declared = append(declared, ip.String())
			beyond = beyond || haBeyondLoopback(ip.String())
			continue
		}
		// An interface name (eth0) or a network: beyond loopback unless it
		// is the loopback interface.
		beyond = beyond || !strings.EqualFold(a, "lo")
	}
	return beyond, declared
}

// haSambaSetting describes one setting and where it comes from.
func haSambaSetting(c facts.SambaConfig, key, value, def string) string {
	if src := c.Sources[key]; src != "" {
		return fmt.Sprintf("%s = %s (%s)", key, value, src)
	}
	return fmt.Sprintf("%s = %s (not set in %s: %s)", key, value, haOr(c.ReadFrom, c.ConfigFile), def)
}

// judgeHostSamba judges each smbd's smb.conf: SMBv1 allowed (server min
// protocol NT1 or older), signing not required (server signing anything
// but mandatory, or default outside an AD domain controller: smb.conf(5),
// server signing), and shares with guest ok = yes while map to guest is
// not Never. Only an smbd listening beyond loopback is judged. A setting
// vigil could not see in full (Unknown) is neither raised nor cleared.
func judgeHostSamba(h *facts.HostAudit, _ time.Time) []finding.Finding {
	var out []finding.Finding
	for _, c := range h.Samba {
		if c.ReadFrom == "" {
			continue // the configuration could not be read: the audit's errors say why
		}
		beyond, declared := haSambaBeyond(h, c)
		if !beyond {
			continue
		}
		port := 445
		if len(c.Ports) > 0 {
			port = c.Ports[0]
		}
		targets := haTargets(h, c.PID, declared, port)
		file := c.ReadFrom
		reload := haSambaReload(h, c, file)
		redirect := ""
		if src := c.Sources["config file"]; src != "" {
			redirect = fmt.Sprintf(" (smbd reads %s instead of %s: %s)", file, c.ConfigFile, src)
		}
		_, unknown := c.Unknown["server min protocol"]
		if !unknown && samba.SMB1(c.MinProtocol) {
			out = append(out, haMake(targets, Hit{
				Check:    "smb.config.v1",
				Evidence: "smbd accepts SMBv1: " + haSambaSetting(c, "server min protocol", c.MinProtocol, "Samba's default is SMB2_02") + redirect,
				Fix: fmt.Sprintf("In the [global] section of %s set server min protocol = SMB2_02 (%s; SMB2_10 or SMB3 if no client needs older dialects); %s. Clients that speak only SMBv1 (Windows XP, old printers and scanners) can no longer connect.",
					file, haWhereToSet(c.Sources["server min protocol"], file), reload),
			})...)
		}
		_, unknownSigning := c.Unknown["server signing"]
		_, unknownRole := c.Unknown["server role"]
		signing := strings.ToLower(c.Signing)
		required := signing == "required" || signing == "mandatory" || (signing == "default" && samba.ADDC(c.ServerRole))
		if !unknownSigning && !(signing == "default" && unknownRole) && !required {
			ev := "smbd does not require signing: " + haSambaSetting(c, "server signing", c.Signing, "Samba's default, which requires signing only on an Active Directory domain controller")
			if signing == "default" {
				ev += "; " + haSambaSetting(c, "server role", c.ServerRole, "Samba's default, auto")
			}
			out = append(out, haMake(targets, Hit{
				Check:    "smb.config.signing",
				Evidence: ev + redirect,
				Fix: fmt.Sprintf("In the [global] section of %s set server signing = mandatory (%s); %s. Every client must then sign (Windows and Samba clients can; some old NAS and printer clients cannot).",
					file, haWhereToSet(c.Sources["server signing"], file), reload),
			})...)
		}
		_, unknownMap := c.Unknown["map to guest"]
		if !unknownMap && strings.ToLower(c.MapToGuest) != "never" && len(c.GuestShares) > 0 {
			var shares []string
			for _, s := range c.GuestShares {
				shares = append(shares, haSource(c.Sources, "guest ok ["+s+"]", "["+s+"]: guest ok = yes from [global]"))
			}
			out = append(out, haMake(targets, Hit{
				Check: "smb.config.guest",
				Evidence: fmt.Sprintf("smbd lets guests into share(s) %s: %s; %s%s", strings.Join(c.GuestShares, ", "), strings.Join(shares, "; "),
					haSambaSetting(c, "map to guest", c.MapToGuest, "Samba's default, Never"), redirect),
				Fix: fmt.Sprintf("In the [global] section of %s set map to guest = never (%s), and remove guest ok = yes from the shares that need no guests (%s); %s.",
					file, haWhereToSet(c.Sources["map to guest"], file), strings.Join(c.GuestShares, ", "), reload),
			})...)
		}
	}
	return out
}
