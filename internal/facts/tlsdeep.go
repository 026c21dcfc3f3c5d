package facts

// TLSProbes is what vigil's vulnerability probes of one TLS endpoint
// observed, in the manner of testssl.sh: each probe is a few raw
// handshakes, read only as far as the answer decides. A nil probe was not
// examined; NotExamined says why.
type TLSProbes struct {
	// Version is the protocol version the handshake probes used: the
	// newest the server accepts up to TLS 1.2 ("" when it accepts only
	// TLS 1.3, where none of the legacy attacks apply).
	Version string `json:"version,omitempty"`
	// Heartbleed: a heartbeat request claiming more payload than it
	// carried was answered (CVE-2014-0160). Positive means vulnerable.
	Heartbleed *TLSProbe `json:"heartbleed,omitempty"`
	// CCSInjection: an early ChangeCipherSpec was taken instead of refused
	// with unexpected_message (CVE-2014-0224). Positive means vulnerable.
	CCSInjection *TLSProbe `json:"ccs_injection,omitempty"`
	// ROBOT: the server answers differently to RSA key exchanges with
	// well-formed and malformed PKCS #1 v1.5 padding (a Bleichenbacher
	// oracle). Positive means vulnerable.
	ROBOT *TLSProbe `json:"robot,omitempty"`
	// SecureRenegotiation: the ServerHello carried renegotiation_info
	// (RFC 5746). Positive means supported.
	SecureRenegotiation *TLSProbe `json:"secure_renegotiation,omitempty"`
	// ClientRenegotiation: after a complete TLS 1.2 handshake, an
	// encrypted second ClientHello (renegotiation_info carrying the
	// client's verify_data) was answered with a ServerHello. Positive
	// means the server renegotiates at the client's request. An HTTP
	// service is asked up to four times, as testssl.sh does: one that
	// answers the first with a ServerHello but refuses a later one limits
	// renegotiations and counts as negative.
	ClientRenegotiation *TLSProbe `json:"client_renegotiation,omitempty"`
	// Compression: offered DEFLATE, the server chose it (CRIME).
	// Positive means TLS compression is on.
	Compression *TLSProbe `json:"compression,omitempty"`
	// HTTPCompression: an HTTP request over TLS with Accept-Encoding:
	// gzip,deflate got a compressed body (BREACH preconditions). Positive
	// means compressed.
	HTTPCompression *TLSProbe `json:"http_compression,omitempty"`
	// DHBits is the size of the DHE prime in the ServerKeyExchange, 0
	// when no DHE suite is accepted or it was not examined (DH says which).
	DHBits int       `json:"dh_bits,omitempty"`
	DH     *TLSProbe `json:"dh,omitempty"`
	// FallbackSCSV: a hello at a lower version than the server's best,
	// carrying TLS_FALLBACK_SCSV, was refused with inappropriate_fallback
	// (RFC 7507). Positive means the downgrade protection works.
	FallbackSCSV *TLSProbe `json:"fallback_scsv,omitempty"`
	// OCSPStapling: offered status_request, the server stapled an OCSP
	// response (RFC 6066 8). Positive means stapled.
	OCSPStapling *TLSProbe `json:"ocsp_stapling,omitempty"`
	// NotExamined maps a probe's JSON name to why it was not run.
	NotExamined map[string]string `json:"not_examined,omitempty"`
}

// TLSProbe is the outcome of one probe.
type TLSProbe struct {
	// Positive is true when the condition the field names holds (the
	// field's comment says which way round).
	Positive bool `json:"positive"`
	// Evidence is what was sent and received, in words.
	Evidence string `json:"evidence,omitempty"`
}

// Skip records that the probe named name was not examined, and why.
func (p *TLSProbes) Skip(name, why string) {
	if p.NotExamined == nil {
		p.NotExamined = map[string]string{}
	}
	p.NotExamined[name] = why
}

// Is reports whether probe p ran and its outcome was positive.
func (p *TLSProbe) Is() bool { return p != nil && p.Positive }

// IsNot reports whether probe p ran and its outcome was negative.
func (p *TLSProbe) IsNot() bool { return p != nil && !p.Positive }
