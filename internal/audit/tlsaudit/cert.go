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
	return fc, c
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
// the server sent it (leaf first).
//
// Trust is judged on the issuer chain alone: when the leaf is outside its
// validity period the chain is verified at a moment inside it, so an expired
// but otherwise good certificate is reported as expired (tls.cert.expired),
// not also as untrusted.
func judgeChain(t *facts.TLS, ders [][]byte, roots *x509.CertPool, name string, now time.Time) {
	var parsed []*x509.Certificate
	t.Chain = nil
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
	at := now
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		at = leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		t.TrustError = sanitize.String(trustReason(err, parsed), 400)
		return
	}
	t.Trusted = true
}

// trustReason words a verification error for a sysadmin.
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
	case errors.As(err, &ci):
		return "invalid certificate: " + err.Error()
	}
	return err.Error()
}
