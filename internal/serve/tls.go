package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Loopback reports whether a listen address (host:port) is on loopback
// only: the one case where vigil serve may speak plain HTTP. An empty host
// (every interface) is not loopback.
func Loopback(listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("--listen %q: give HOST:PORT, e.g. 127.0.0.1:8600: %w", listen, err)
	}
	if host == "localhost" {
		return true, nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false, nil // a name may resolve anywhere: not loopback
	}
	return a.Unmap().IsLoopback(), nil
}

// Fingerprint returns the SHA-256 fingerprint of a PEM certificate file,
// as colon-separated hex.
func Fingerprint(certFile string) (string, error) {
	b, err := os.ReadFile(certFile)
	if err != nil {
		return "", fmt.Errorf("cannot read the TLS certificate: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("%s holds no PEM certificate", certFile)
	}
	sum := sha256.Sum256(block.Bytes)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":"), nil
}

// SelfSigned returns the files of the server's self-signed certificate in
// dir (serve-cert.pem, serve-key.pem, mode 0600), making them when they
// are missing, expired within 30 days, or do not name host. hosts are the
// names and addresses the certificate is for.
func SelfSigned(dir string, hosts []string, now time.Time) (TLSFiles, bool, error) {
	files := TLSFiles{Cert: filepath.Join(dir, "serve-cert.pem"), Key: filepath.Join(dir, "serve-key.pem")}
	if pair, err := tls.LoadX509KeyPair(files.Cert, files.Key); err == nil && pair.Leaf != nil {
		ok := now.Add(30 * 24 * time.Hour).Before(pair.Leaf.NotAfter)
		for _, h := range hosts {
			if pair.Leaf.VerifyHostname(h) != nil {
				ok = false
			}
		}
		if ok {
			return files, false, nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return files, false, fmt.Errorf("cannot create %s for the TLS certificate: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return files, false, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return files, false, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "vigil serve", Organization: []string{"vigil"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(398 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, a.AsSlice())
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return files, false, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return files, false, err
	}
	if err := writePrivate(files.Key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})); err != nil {
		return files, false, err
	}
	if err := writePrivate(files.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
		return files, false, err
	}
	return files, true, nil
}

// writePrivate writes a file of mode 0600 through a temporary file.
func writePrivate(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vigil-tls-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// CheckTLSFiles loads a certificate and key pair given on the command line.
func CheckTLSFiles(f TLSFiles) error {
	if (f.Cert == "") != (f.Key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if _, err := tls.LoadX509KeyPair(f.Cert, f.Key); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot read the TLS certificate or key: %w", err)
		}
		return fmt.Errorf("the TLS certificate and key do not load: %w", err)
	}
	return nil
}
