package tlsaudit

import (
	"bytes"
	//lint:ignore SA1019 DSA keys still occur in certificates vigil must describe.
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// maxCertString caps each certificate string kept in facts.
const maxCertString = 256

// describeCert turns one DER certificate into facts. Every string comes from
// the network and is made printable. A certificate crypto/x509 cannot parse
// is kept by fingerprint with the parse error as its subject.
func describeCert(der []byte) (facts.Certificate, *x509.Certificate) {
	sum := sha256.Sum256(der)
	fc := facts.Certificate{SHA256: hex.EncodeToString(sum[:])}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		fc.Subject = sanitize.String("(unparseable certificate: "+err.Error()+")", maxCertString)
		return fc, nil
	}
	fc.Subject = sanitize.String(c.Subject.String(), maxCertString)
	fc.Issuer = sanitize.String(c.Issuer.String(), maxCertString)
	for i, n := range c.DNSNames {
		if i == 64 {
			break
		}
		fc.DNSNames = append(fc.DNSNames, sanitize.String(n, maxCertString))
	}
	for i, ip := range c.IPAddresses {
		if i == 64 {
			break
		}
		fc.IPAddresses = append(fc.IPAddresses, ip.String())
	}
	fc.NotBefore, fc.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
	fc.KeyAlgorithm, fc.KeyBits = keyInfo(c)
	fc.SignatureAlgorithm = c.SignatureAlgorithm.String()
	fc.IsCA = c.BasicConstraintsValid && c.IsCA
	fc.SelfSigned = bytes.Equal(c.RawSubject, c.RawIssuer) && selfSignatureOK(c)
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	fc.KeySHA256 = hex.EncodeToString(spki[:])
	fc.KeyUsage = keyUsageNames(c.KeyUsage)
	for _, u := range c.ExtKeyUsage {
		fc.ExtKeyUsage = append(fc.ExtKeyUsage, extKeyUsageName(u))
	}
	if len(c.UnknownExtKeyUsage) > 0 {
		fc.ExtKeyUsage = append(fc.ExtKeyUsage, "other")
	}
	fc.OCSP = len(c.OCSPServer) > 0
	return fc, c
}

// keyUsageNames names the bits of a key usage extension as RFC 5280
// 4.2.1.3 does.
func keyUsageNames(ku x509.KeyUsage) []string {
	names := []string{"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// extKeyUsageName names an extended key usage as RFC 5280 4.2.1.12 does.
func extKeyUsageName(u x509.ExtKeyUsage) string {
	switch u {
	case x509.ExtKeyUsageAny:
		return "any"
	case x509.ExtKeyUsageServerAuth:
		return "serverAuth"
	case x509.ExtKeyUsageClientAuth:
		return "clientAuth"
	case x509.ExtKeyUsageCodeSigning:
		return "codeSigning"
	case x509.ExtKeyUsageEmailProtection:
		return "emailProtection"
	case x509.ExtKeyUsageTimeStamping:
		return "timeStamping"
	case x509.ExtKeyUsageOCSPSigning:
		return "OCSPSigning"
	}
	return "other"
}

// selfSignatureOK reports whether c's signature verifies with its own key.
// crypto/x509 refuses to check MD5 and SHA-1 signatures at all
// (InsecureAlgorithmError); a certificate whose subject equals its issuer
// and whose signature uses such an algorithm still counts as self-signed.
func selfSignatureOK(c *x509.Certificate) bool {
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}

// keyInfo names the public key's algorithm and size: RSA and DSA modulus
// bits, the EC curve's size, 256 for Ed25519.
func keyInfo(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	case *dsa.PublicKey:
		return "DSA", k.P.BitLen()
	}
	return c.PublicKeyAlgorithm.String(), 0
}

// judgeChain fills the chain, trust and name facts from the DER chain as
// the server sent it (leaf first), at the moment at when the handshake that
// delivered it took place.
//
// The chain is verified at that moment. When that fails and a certificate
// the server sent was outside its validity period then, the chain is
// verified again at the end of that period (its start, for a certificate
// not yet valid): if it verifies, the dates are the only fault
// (VerifiedAgainAt is set, and tls.cert.expired reports them alone); if not,
// the trust error is the fault that remains once the dates are set aside
// (self-signed, unknown CA, missing intermediate), as found at that moment.
func judgeChain(t *facts.TLS, ders [][]byte, roots *x509.CertPool, name string, at time.Time) {
	var parsed []*x509.Certificate
	t.Chain = nil
	t.Checked = at.UTC()
	for _, der := range ders {
		fc, c := describeCert(der)
		t.Chain = append(t.Chain, fc)
		parsed = append(parsed, c)
	}
	t.NameChecked = sanitize.String(name, maxCertString)
	if len(parsed) == 0 || parsed[0] == nil {
		t.TrustError = "the server's certificate could not be parsed"
		return
	}
	leaf := parsed[0]
	t.NameMatch = leaf.VerifyHostname(name) == nil

	if roots == nil {
		sys, err := x509.SystemCertPool()
		if err != nil {
			t.TrustError = "no trusted roots: " + err.Error()
			return
		}
		roots = sys
	}
	inter := x509.NewCertPool()
	for _, c := range parsed[1:] {
		if c != nil {
			inter.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	_, err := leaf.Verify(opts)
	if err == nil {
		t.Trusted = true
		return
	}
	var remains error
	for _, m := range retryMoments(parsed, at) {
		opts.CurrentTime = m
		_, again := leaf.Verify(opts)
		if again == nil {
			t.VerifiedAgainAt = m.UTC()
			t.TrustError = sanitize.String(datesReason(parsed, at, m), 400)
			return
		}
		if remains == nil {
			remains = again
		}
	}
	if remains != nil {
		err = remains
	}
	t.TrustError = sanitize.String(trustReason(err, parsed), 400)
}

// inPeriod reports whether c is valid at moment at (both ends included, as
// crypto/x509 counts them).
func inPeriod(c *x509.Certificate, at time.Time) bool {
	return !at.Before(c.NotBefore) && !at.After(c.NotAfter)
}

// retryMoments returns the moments to verify the chain again at, leaf
// first: for each certificate outside its validity period at at, the end of
// that period (the start, when it is not yet valid), kept inside the leaf's
// own period. It returns none when every certificate is valid at at, and
// skips a certificate never valid at the same time as the leaf.
func retryMoments(chain []*x509.Certificate, at time.Time) []time.Time {
	leaf := chain[0]
	var out []time.Time
	for _, c := range chain {
		if c == nil || inPeriod(c, at) {
			continue
		}
		lo, hi := c.NotBefore, c.NotAfter
		if leaf.NotBefore.After(lo) {
			lo = leaf.NotBefore
		}
		if leaf.NotAfter.Before(hi) {
			hi = leaf.NotAfter
		}
		if lo.After(hi) {
			continue
		}
		m := hi
		if at.Before(lo) {
			m = lo
		}
		if !slices.ContainsFunc(out, m.Equal) {
			out = append(out, m)
		}
	}
	return out
}

// stamp formats a certificate date or the moment of a handshake.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// datesReason words a chain that verifies at moment again but not at at:
// each certificate outside its validity period at at and inside it at
// again, with its own date.
func datesReason(chain []*x509.Certificate, at, again time.Time) string {
	var faults []string
	expiry := false
	for _, c := range chain {
		if c == nil || inPeriod(c, at) || !inPeriod(c, again) {
			continue
		}
		if at.After(c.NotAfter) {
			expiry = true
			faults = append(faults, fmt.Sprintf("%q expired %s", c.Subject.String(), stamp(c.NotAfter)))
		} else {
			faults = append(faults, fmt.Sprintf("%q is not valid before %s", c.Subject.String(), stamp(c.NotBefore)))
		}
	}
	what := "its validity dates"
	if expiry {
		what = "expiry"
	}
	return fmt.Sprintf("chain valid apart from %s: %s (handshake at %s)", what, strings.Join(faults, "; "), stamp(at))
}

// trustReason words a verification error for a sysadmin. It quotes dates
// from the certificates only, never the moment the chain was verified at.
func trustReason(err error, chain []*x509.Certificate) string {
	leaf, last := chain[0], chain[len(chain)-1]
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var ia x509.InsecureAlgorithmError
	switch {
	case errors.As(err, &ua) && len(chain) == 1 && bytes.Equal(leaf.RawSubject, leaf.RawIssuer):
		return "self-signed certificate, not issued by a trusted CA"
	case errors.As(err, &ua) && last != nil && bytes.Equal(last.RawSubject, last.RawIssuer):
		return fmt.Sprintf("the chain ends at %q, which is not a trusted root", last.Subject.String())
	case errors.As(err, &ua):
		return fmt.Sprintf("issuer %q is not a trusted CA, and the server sent no chain to a trusted root", leaf.Issuer.String())
	case errors.As(err, &ia):
		return "signed with an algorithm no longer trusted: " + err.Error()
	case errors.As(err, &ci) && ci.Reason == x509.Expired && ci.Cert != nil:
		return fmt.Sprintf("certificate %q is valid only from %s to %s", ci.Cert.Subject.String(), stamp(ci.Cert.NotBefore), stamp(ci.Cert.NotAfter))
	case errors.As(err, &ci):
		return "invalid certificate: " + err.Error()
	}
	return err.Error()
}
