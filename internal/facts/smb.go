package facts

// SMB is what identification and the SMB audit learnt of an SMB server:
// the dialects it accepts, whether it requires signing, what it says about
// itself, and whether a null or guest session may list its shares.
type SMB struct {
	// NetBIOSSession is true when the port wants a NetBIOS SESSION REQUEST
	// before SMB (the session service on port 139, RFC 1002).
	NetBIOSSession bool `json:"netbios_session,omitempty"`
	// Dialect is the SMB2 dialect the server chose when offered 2.0.2 to
	// 3.1.1 ("3.1.1"); empty when it does not speak SMB2.
	Dialect string `json:"dialect,omitempty"`
	// Signing is the SMB2 SecurityMode: "required", "enabled" or
	// "disabled"; empty when not learnt.
	Signing string `json:"signing,omitempty"`
	// SMB1 is true when the server accepted the SMBv1 dialect NT LM 0.12,
	// false when it refused it; nil when not tried.
	SMB1 *bool `json:"smb1,omitempty"`
	// SMB1Signing is the SMBv1 security mode, like Signing, when SMB1 was
	// accepted.
	SMB1Signing string `json:"smb1_signing,omitempty"`
	// NativeOS and NativeLanMan are what an SMBv1 session setup answer
	// named (e.g. "Windows 6.1", "Samba 4.17.12-Debian").
	NativeOS     string `json:"native_os,omitempty"`
	NativeLanMan string `json:"native_lan_man,omitempty"`
	// NTLM is what the server's NTLMSSP CHALLENGE told.
	NTLM *NTLMInfo `json:"ntlm,omitempty"`
	// Shares is what a null or guest session could list; nil when the
	// listing was not tried.
	Shares *SMBShares `json:"shares,omitempty"`
}

// NTLMInfo is what an NTLMSSP CHALLENGE message tells about its server
// ([MS-NLMP] 2.2.1.2): names from the target information and the OS
// version from the Version structure.
type NTLMInfo struct {
	TargetName    string `json:"target_name,omitempty"`
	NetBIOSName   string `json:"netbios_name,omitempty"`
	NetBIOSDomain string `json:"netbios_domain,omitempty"`
	DNSName       string `json:"dns_name,omitempty"`
	DNSDomain     string `json:"dns_domain,omitempty"`
	DNSTree       string `json:"dns_tree,omitempty"`
	// OSVersion is "major.minor.build" (e.g. "10.0.20348"); empty without
	// a Version structure. Samba sends 6.1.0.
	OSVersion string `json:"os_version,omitempty"`
}

// SMBShares is the outcome of listing shares (srvsvc NetShareEnumAll over
// IPC$) without credentials.
type SMBShares struct {
	// Session is the session that listed the shares: "null" (anonymous)
	// or "guest"; empty when neither could.
	Session string `json:"session,omitempty"`
	// Names are the shares listed, IPC$ and other IPC shares left out.
	Names []string `json:"names,omitempty"`
	// Refused says why the listing failed, in the server's terms.
	Refused string `json:"refused,omitempty"`
}

// Listed reports whether a session without credentials listed shares.
func (s *SMBShares) Listed() bool { return s != nil && s.Session != "" }
