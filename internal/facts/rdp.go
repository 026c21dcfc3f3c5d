package facts

// RDP is what identification and the RDP audit learnt of an RDP server's
// security negotiation ([MS-RDPBCGR] 2.2.1.1, 2.2.1.2).
type RDP struct {
	// Selected is the security protocol the server chose when offered TLS
	// and CredSSP: "rdp", "tls", "credssp", …; empty on a failure.
	Selected string `json:"selected,omitempty"`
	// Flags are the RDP_NEG_RSP flags of that answer.
	Flags uint8 `json:"flags,omitempty"`
	// TLSOnly and RDPOnly are the answers to a request offering only TLS
	// (PROTOCOL_SSL) and only standard RDP security: the protocol selected,
	// or the failure (e.g. "hybrid-required"); empty when not tried.
	TLSOnly string `json:"tls_only,omitempty"`
	RDPOnly string `json:"rdp_only,omitempty"`
	// NTLM is what the NTLMSSP CHALLENGE inside CredSSP told; nil when
	// CredSSP was not reached.
	NTLM *NTLMInfo `json:"ntlm,omitempty"`
}

// AcceptsWithoutNLA reports whether the server let a client in without
// network-level authentication: it selected TLS or standard RDP security
// when CredSSP was not offered. ok is false when neither was tried.
func (r *RDP) AcceptsWithoutNLA() (accepts, ok bool) {
	if r == nil || (r.TLSOnly == "" && r.RDPOnly == "") {
		return false, false
	}
	return r.TLSOnly == "tls" || r.RDPOnly == "rdp", true
}
