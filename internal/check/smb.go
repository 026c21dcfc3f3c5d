package check

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// smbChecks are the checks judgeSMB emits.
var smbChecks = []Check{
	{
		ID: "smb.v1", Severity: finding.High,
		Title:      "SMB server accepts SMBv1",
		Rationale:  "SMBv1 has no pre-authentication integrity, weak signing (MD5) and no encryption, lets a man in the middle downgrade a session, and is the protocol of EternalBlue/WannaCry (MS17-010); Microsoft and Samba have disabled it by default since 2017 and 2019.",
		Fix:        "Turn SMBv1 off on the server. Samba: in /etc/samba/smb.conf, section [global], set \"server min protocol = SMB2_10\", then run: systemctl restart smbd. Windows: Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force, and remove the feature with Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol.",
		Frameworks: fwAdminCrypto,
	},
	{
		ID: "smb.signing.not-required", Severity: finding.Medium,
		Title:      "SMB server does not require signing",
		Rationale:  "Without mandatory signing a man in the middle can alter SMB traffic or relay a user's NTLM authentication to this server (NTLM relay) and act as that user.",
		Fix:        "Require SMB signing. Samba: in /etc/samba/smb.conf, section [global], set \"server signing = mandatory\", then run: systemctl restart smbd. Windows: Set-SmbServerConfiguration -RequireSecuritySignature $true -Force (Group Policy: \"Microsoft network server: Digitally sign communications (always)\").",
		Frameworks: fwTransport,
	},
	{
		ID: "smb.guest.shares", Severity: finding.High,
		Title:      "SMB shares listable without credentials",
		Rationale:  "A null (anonymous) or guest session listed the server's shares: anyone who reaches the port learns what data it holds, and shares that allow guests can be read or written without a password.",
		Fix:        "Refuse null and guest sessions. Samba: in /etc/samba/smb.conf, section [global], set \"map to guest = never\" and \"restrict anonymous = 2\", remove \"guest ok = yes\" (and \"public = yes\") from every share, then run: systemctl restart smbd. Windows: disable the Guest account (net user guest /active:no) and set Network access: \"Do not allow anonymous enumeration of SAM accounts and shares\" (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa RestrictAnonymous = 1) and \"Restrict anonymous access to Named Pipes and Shares\".",
		Frameworks: fwNoAuth,
	},
}

// rdpChecks are the checks judgeRDP emits.
var rdpChecks = []Check{
	{
		ID: "rdp.nla.missing", Severity: finding.High,
		Title:      "RDP server does not require network-level authentication",
		Rationale:  "Without NLA (CredSSP) the server starts a full graphical session, login screen included, for anyone who connects, before they authenticate: it spends resources on strangers, shows user and domain names, and exposes its pre-authentication code (BlueKeep, CVE-2019-0708, needed no NLA). With standard RDP security the session is also protected only by RC4 and a key a man in the middle can substitute.",
		Fix:        "Require NLA. Windows: System Properties → Remote → \"Allow connections only from computers running Remote Desktop with Network Level Authentication\", or: Set-ItemProperty 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 1.",
		Frameworks: fwNoAuth,
	},
}

// Products with specific fixes.
const (
	prodSamba   = "Samba"
	prodWindows = "Windows"
	prodXRDP    = "xrdp"
	prodFreeRDP = "FreeRDP"
)

// judgeSMB judges what identification and the SMB audit learnt (facts.SMB):
// SMBv1 accepted, signing not required, shares listed by a null or guest
// session.
func judgeSMB(in Input) []Hit {
	s := in.Service
	if s == nil || s.SMB == nil || s.Name != proto.SMB {
		return nil
	}
	f := s.SMB
	where := fmt.Sprintf("the SMB server on %s/%d", s.Transport, s.Port)
	var hits []Hit
	if f.SMB1 != nil && *f.SMB1 {
		ev := where + " accepted the SMBv1 dialect NT LM 0.12"
		if f.NativeLanMan != "" || f.NativeOS != "" {
			ev += fmt.Sprintf(" (its SMBv1 session setup names %q, %q)", f.NativeOS, f.NativeLanMan)
		}
		hits = append(hits, Hit{Check: "smb.v1", Evidence: ev, Fix: smbFix("smb.v1", s)})
	}
	if ev, ok := smbSigning(f, where); ok {
		hits = append(hits, Hit{Check: "smb.signing.not-required", Evidence: ev, Fix: smbFix("smb.signing.not-required", s)})
	}
	if f.Shares.Listed() && len(f.Shares.Names) > 0 {
		ev := fmt.Sprintf("%s let a %s session (no user name or password%s) list its shares through IPC$ and srvsvc: %s",
			where, f.Shares.Session, guestNote(f.Shares.Session), strings.Join(f.Shares.Names, ", "))
		hits = append(hits, Hit{Check: "smb.guest.shares", Evidence: ev, Fix: smbFix("smb.guest.shares", s)})
	}
	return hits
}

func guestNote(session string) string {
	if session == "guest" {
		return `: the user "guest" with an empty password`
	}
	return ""
}

// smbSigning says why signing is not required, if it is not: the SMB2
// security mode decides; an SMBv1-only server is judged by its SMBv1 one.
func smbSigning(f *facts.SMB, where string) (string, bool) {
	switch {
	case f.Signing == "enabled" || f.Signing == "disabled":
		ev := fmt.Sprintf("%s answered the SMB2 NEGOTIATE with signing %s but not required", where, f.Signing)
		if f.Dialect != "" {
			ev += " (dialect " + f.Dialect + ")"
		}
		if f.SMB1 != nil && *f.SMB1 && f.SMB1Signing != "" && f.SMB1Signing != "required" {
			ev += "; over SMBv1 signing is " + f.SMB1Signing
		}
		return ev, true
	case f.Signing == "" && f.SMB1 != nil && *f.SMB1 && f.SMB1Signing != "" && f.SMB1Signing != "required":
		return fmt.Sprintf("%s answered the SMBv1 NEGOTIATE with signing %s but not required", where, f.SMB1Signing), true
	}
	return "", false
}

// smbFixes are the product-specific fixes of the SMB checks.
var smbFixes = map[string]map[string]string{
	"smb.v1": {
		prodSamba:   "Turn SMBv1 off: in /etc/samba/smb.conf, section [global], set \"server min protocol = SMB2_10\", then run: systemctl restart smbd.",
		prodWindows: "Turn SMBv1 off: in PowerShell as Administrator run Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force, then Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol.",
	},
	"smb.signing.not-required": {
		prodSamba:   "Require signing: in /etc/samba/smb.conf, section [global], set \"server signing = mandatory\", then run: systemctl restart smbd.",
		prodWindows: "Require signing: in PowerShell as Administrator run Set-SmbServerConfiguration -RequireSecuritySignature $true -Force.",
	},
	"smb.guest.shares": {
		prodSamba:   "Refuse null and guest sessions: in /etc/samba/smb.conf, section [global], set \"map to guest = never\" and \"restrict anonymous = 2\", remove \"guest ok = yes\" and \"public = yes\" from every share, then run: systemctl restart smbd.",
		prodWindows: "Refuse null and guest sessions: disable the Guest account (net user guest /active:no), set HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa RestrictAnonymous = 1 and HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters RestrictNullSessAccess = 1.",
	},
}

// smbFix is the product-specific fix for an SMB check; "" means the
// catalogue's.
func smbFix(id string, s *facts.Service) string { return smbFixes[id][s.Product] }

// judgeRDP judges the RDP audit's answers (facts.RDP): a server that
// selects TLS or standard RDP security when CredSSP is not offered does
// not require network-level authentication.
func judgeRDP(in Input) []Hit {
	s := in.Service
	if s == nil || s.RDP == nil || s.Name != proto.RDP {
		return nil
	}
	accepts, ok := s.RDP.AcceptsWithoutNLA()
	if !ok || !accepts {
		return nil
	}
	var what []string
	if s.RDP.TLSOnly == "tls" {
		what = append(what, "offered TLS alone, it selected TLS")
	}
	if s.RDP.RDPOnly == "rdp" {
		what = append(what, "offered only standard RDP security, it accepted it (RC4, no server authentication)")
	}
	ev := fmt.Sprintf("the RDP server on %s/%d does not require network-level authentication: %s; a server that requires NLA answers HYBRID_REQUIRED_BY_SERVER",
		s.Transport, s.Port, strings.Join(what, "; "))
	return []Hit{{Check: "rdp.nla.missing", Evidence: ev, Fix: rdpFix(s)}}
}

// rdpFix is the product-specific fix for rdp.nla.missing.
func rdpFix(s *facts.Service) string {
	switch s.Product {
	case prodXRDP:
		return "xrdp cannot require NLA (it has no CredSSP). In /etc/xrdp/xrdp.ini, section [Globals], set \"security_layer=tls\" to refuse standard RDP security, bind it to loopback (\"port=tcp://127.0.0.1:3389\") and let users reach it only through SSH or a VPN; then run: systemctl restart xrdp."
	case prodFreeRDP:
		return "Start the FreeRDP server with NLA only: freerdp-shadow-cli /sec:nla /sam-file:FILE (or -sec-rdp -sec-tls)."
	}
	return ""
}
