// Package facts holds the typed evidence vigil's collectors gather: what runs
// on a port, what a TLS or SSH server offers, whether a service talks in
// cleartext or lets anyone in. Facts carry no judgement (checks judge them)
// and no I/O; they marshal to JSON so a stored scan can be judged again.
package facts

import (
	"time"

	"github.com/vigilsec/vigil/internal/tlsinfo"
)

// Transports.
const (
	TCP = "tcp"
	UDP = "udp"
)

// Unknown is the service name of a port whose protocol was not recognised.
const Unknown = "unknown"

// DetailUnexamined is the Details key saying why vigil did not try to
// identify a port at all (identification limited on a tarpit, or the scan
// interrupted); unset when it tried.
const DetailUnexamined = "vigil.unexamined"

// Host is one scanned address and what was found on it.
type Host struct {
	Address  string     `json:"address"`
	Names    []string   `json:"names,omitempty"`
	Ports    PortCounts `json:"ports"`
	Services []Service  `json:"services"`
}

// PortCounts tallies the states of the ports probed on one host.
type PortCounts struct {
	Open     int `json:"open"`
	Closed   int `json:"closed"`
	Filtered int `json:"filtered"`
}

// Service is one open port and what the server there said about itself. Its
// JSON form is the service object of the vigil/scan/v1 schema, plus the
// optional evidence fields below it.
type Service struct {
	Port      int    `json:"port"`
	Transport string `json:"transport"`
	Name      string `json:"name"`
	Product   string `json:"product,omitempty"`
	Version   string `json:"version,omitempty"`
	TLS       bool   `json:"tls"`
	// Banner is what the server sent first (or answered), already made
	// printable: control bytes appear as \xNN escapes, length is capped.
	Banner string `json:"banner,omitempty"`
	// Details holds protocol facts learnt while identifying, such as an
	// HTTP Server header or SMTP capabilities; keys are documented where set.
	Details map[string]string `json:"details,omitempty"`

	TLSAudit *TLS    `json:"tls_audit,omitempty"`
	SSH      *SSH    `json:"ssh,omitempty"`
	Access   *Access `json:"access,omitempty"`
	// HTTP is what the HTTP audit observed on a web server.
	HTTP *HTTPAudit `json:"http,omitempty"`
	// API is what an audit of an API or broker learnt about its access
	// control (facts/api.go).
	API *APIAccess `json:"api,omitempty"`
	// File services and binary protocols (see files.go).
	RPC      *RPC      `json:"rpc,omitempty"`
	ISCSI    *ISCSI    `json:"iscsi,omitempty"`
	MSSQL    *MSSQL    `json:"mssql,omitempty"`
	Kerberos *Kerberos `json:"kerberos,omitempty"`
	SMB      *SMB      `json:"smb,omitempty"`
	RDP      *RDP      `json:"rdp,omitempty"`
	DNS      *DNSAudit `json:"dns,omitempty"`
	// AuditErrors says which audits could not complete, and why.
	AuditErrors []string `json:"audit_errors,omitempty"`
	// Evidence is the typed evidence of the protocols that live in a
	// package of their own (internal/protocols), each read through its
	// Key; in JSON each is a member named after the protocol, like the
	// fields above (see evidence.go).
	Evidence Evidence `json:"-"`
}

// Detail returns Details[key], or "" when unset.
func (s *Service) Detail(key string) string {
	if s.Details == nil {
		return ""
	}
	return s.Details[key]
}

// SetDetail records a protocol fact, creating the map when needed.
func (s *Service) SetDetail(key, value string) {
	if s.Details == nil {
		s.Details = map[string]string{}
	}
	s.Details[key] = value
}

// TLS is what a TLS audit observed on one port.
type TLS struct {
	// StartTLS names the protocol used to upgrade to TLS (smtp, imap, pop3,
	// ftp, ldap, postgresql, mysql); empty when TLS starts at the first byte.
	StartTLS string `json:"starttls,omitempty"`
	// Versions lists every protocol version tried, accepted or not, oldest first.
	Versions []TLSVersion `json:"versions"`
	// Chain is the certificate chain as the server sent it, leaf first.
	Chain []Certificate `json:"chain,omitempty"`
	// Trusted is true when the chain verifies, at Checked, to the system
	// roots or the extra roots given with --tls-ca; TrustError says why
	// not.
	Trusted    bool   `json:"trusted"`
	TrustError string `json:"trust_error,omitempty"`
	// VerifiedAgainAt is set when the chain does not verify at Checked only
	// because of certificate dates: a certificate it sent (the leaf, or an
	// intermediate) had expired or was not yet valid, and verified again at
	// that certificate's NotAfter (or NotBefore), a moment all the dates
	// that failed allow, the chain verifies. It is zero otherwise.
	VerifiedAgainAt time.Time `json:"verified_again_at,omitzero"`
	// NameChecked is the host name or address the leaf was matched against;
	// NameMatch whether the leaf covers it.
	NameChecked string `json:"name_checked,omitempty"`
	NameMatch   bool   `json:"name_match"`
	// Checked is when the handshake that delivered the certificate chain
	// took place: the chain is verified, and its dates judged, at that
	// moment. Without a chain it is when the audit gave up on one.
	Checked time.Time `json:"checked"`
	// Probes are the vulnerability probes' observations (Heartbleed,
	// ROBOT, renegotiation, compression, DH, fallback, OCSP stapling);
	// nil when they did not run.
	Probes *TLSProbes `json:"probes,omitempty"`
}

// TrustedApartFromDates reports that the chain fails to verify at Checked
// only because of certificate dates (see VerifiedAgainAt).
func (t *TLS) TrustedApartFromDates() bool {
	return !t.Trusted && !t.VerifiedAgainAt.IsZero()
}

// Accepted returns the accepted version named name (e.g. "TLS1.0"), or nil.
func (t *TLS) Accepted(name string) *TLSVersion {
	for i := range t.Versions {
		if t.Versions[i].Name == name && t.Versions[i].Accepted {
			return &t.Versions[i]
		}
	}
	return nil
}

// TLS and SSL protocol version names, as used in TLSVersion.Name.
const (
	SSLv2 = tlsinfo.NameSSL2
	SSLv3 = tlsinfo.NameSSL3
	TLS10 = tlsinfo.NameTLS10
	TLS11 = tlsinfo.NameTLS11
	TLS12 = tlsinfo.NameTLS12
	TLS13 = tlsinfo.NameTLS13
)

// TLSVersion is one protocol version and the cipher suites the server
// accepted with it.
type TLSVersion struct {
	Name     string `json:"name"`
	Accepted bool   `json:"accepted"`
	// Suites are the accepted cipher suites, in the server's order of
	// preference when ServerOrder is true.
	Suites []Suite `json:"suites,omitempty"`
	// ServerOrder is true when the server chooses by its own preference
	// rather than the client's; nil when it could not be told.
	ServerOrder *bool `json:"server_order,omitempty"`
}

// Suite is one cipher suite by its IANA number and name (SSLv2 kinds use
// their 24-bit number).
type Suite struct {
	ID   uint32 `json:"id"`
	Name string `json:"name"`
}

// Certificate is what vigil keeps of one X.509 certificate.
type Certificate struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	DNSNames           []string  `json:"dns_names,omitempty"`
	IPAddresses        []string  `json:"ip_addresses,omitempty"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	KeyAlgorithm       string    `json:"key_algorithm"` // RSA, ECDSA, Ed25519, DSA
	KeyBits            int       `json:"key_bits"`
	SignatureAlgorithm string    `json:"signature_algorithm"` // as crypto/x509 names it, e.g. SHA256-RSA
	SelfSigned         bool      `json:"self_signed"`
	IsCA               bool      `json:"is_ca"`
	SHA256             string    `json:"sha256"` // fingerprint, hex
	// KeySHA256 is the SHA-256 of the subject public key info, hex: two
	// certificates with the same key have the same value (DROWN).
	KeySHA256 string `json:"key_sha256,omitempty"`
	// KeyUsage and ExtKeyUsage name the key usages the certificate
	// allows ("digitalSignature", "serverAuth", …); empty when it has no
	// such extension.
	KeyUsage    []string `json:"key_usage,omitempty"`
	ExtKeyUsage []string `json:"ext_key_usage,omitempty"`
	// OCSP is true when the certificate names an OCSP responder.
	OCSP bool `json:"ocsp,omitempty"`
}

// SSH is what an SSH audit observed on one port.
type SSH struct {
	// ProtocolVersion is from the identification string: "2.0", "1.99", "1.5".
	ProtocolVersion string `json:"protocol_version"`
	// Software is the software-version part of the identification string.
	Software string `json:"software"`
	// Name-lists of the server's SSH_MSG_KEXINIT, as sent.
	KexAlgorithms         []string `json:"kex_algorithms"`
	HostKeyAlgorithms     []string `json:"host_key_algorithms"`
	CiphersClientToServer []string `json:"ciphers_client_to_server"`
	CiphersServerToClient []string `json:"ciphers_server_to_client"`
	MACsClientToServer    []string `json:"macs_client_to_server"`
	MACsServerToClient    []string `json:"macs_server_to_client"`
	Compression           []string `json:"compression,omitempty"`
	// HostKeys are the keys the server proved, one per host-key algorithm.
	HostKeys []SSHHostKey `json:"host_keys,omitempty"`
	// AuthMethods are the methods offered in answer to a "none" request;
	// nil when they could not be learnt.
	AuthMethods []string `json:"auth_methods,omitempty"`
}

// SSHHostKey is one host key the server presented.
type SSHHostKey struct {
	Algorithm   string `json:"algorithm"` // negotiated host-key algorithm, e.g. rsa-sha2-512
	Type        string `json:"type"`      // key type, e.g. ssh-rsa, ssh-ed25519
	Bits        int    `json:"bits"`
	Fingerprint string `json:"fingerprint"` // SHA256:… as ssh-keygen prints it
}

// Access is what vigil learnt about encryption and authentication of a
// plaintext-capable protocol, by read-only probes.
type Access struct {
	// StartTLS is true when the service offers an upgrade to TLS (STARTTLS,
	// AUTH TLS, StartTLS, SSLRequest accepted, CLIENT_SSL), false when it
	// does not; nil when not applicable or unknown.
	StartTLS *bool `json:"starttls,omitempty"`
	// PlaintextAuth lists authentication mechanisms usable before any TLS
	// (SMTP AUTH PLAIN/LOGIN, IMAP LOGIN, POP3 USER, …).
	PlaintextAuth []string `json:"plaintext_auth,omitempty"`
	// HTTPAuth describes a credential request over plain HTTP: a
	// WWW-Authenticate challenge or "password form".
	HTTPAuth string `json:"http_auth,omitempty"`
	// Anonymous is true when an anonymous login was accepted (FTP, MQTT).
	Anonymous bool `json:"anonymous,omitempty"`
	// Unauthenticated is the evidence that data or an admin API answered
	// without credentials (Redis INFO, memcached stats, MongoDB
	// listDatabases, Elasticsearch, Docker /version); empty when not.
	Unauthenticated string `json:"unauthenticated,omitempty"`
	// DefaultCredentials lists vendor defaults that were accepted, such as
	// SNMP community "public".
	DefaultCredentials []string `json:"default_credentials,omitempty"`
	// Versions lists protocol versions that answered, such as SNMP "v1",
	// "v2c"; used where the version decides encryption.
	Versions []string `json:"versions,omitempty"`
	// SecurityTypes lists security types offered, such as VNC's "None",
	// "VNC", "VeNCrypt".
	SecurityTypes []string `json:"security_types,omitempty"`
}

// StartTLSOffered reports whether an upgrade to TLS may be tried: true when
// the service offers it or when that is not known yet.
func (a *Access) StartTLSOffered() bool {
	return a == nil || a.StartTLS == nil || *a.StartTLS
}
