package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/lab"
)

// slowTLS serves HTTPS on addr, each handshake begun only after delay, as
// a loaded server's is.
func slowTLS(t *testing.T, addr string, delay time.Duration) uint16 {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "slow.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), DNSNames: []string{"slow.test"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				time.Sleep(delay)
				tc := tls.Server(c, cfg)
				_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				buf := make([]byte, 4096)
				if n, _ := tc.Read(buf); n > 0 {
					tc.Write([]byte("HTTP/1.1 200 OK\r\nServer: slow\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"))
				}
			}()
		}
	}()
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// TestSlowTLSAmongManyHosts: a host whose only server is a TLS server that
// answers each handshake after 800 ms, scanned with every lab host, is
// still identified as HTTPS and audited.
func TestSlowTLSAmongManyHosts(t *testing.T) {
	m := lab.Require(t)
	const slowHost = "127.0.67.30"
	slow := slowTLS(t, slowHost, 800*time.Millisecond)
	ports := []uint16{slow}
	targets := []string{slowHost}
	for _, s := range m.Services {
		if s.Transport != "tcp" || s.Hostile != "" {
			continue
		}
		if !slices.Contains(targets, s.Host) {
			targets = append(targets, s.Host)
		}
		if !slices.Contains(ports, uint16(s.Port)) {
			ports = append(ports, uint16(s.Port))
		}
	}
	doc, err := Run(context.Background(), Config{
		Targets:    targets,
		Scope:      scope.Config{MaxHosts: 256},
		Dial:       dialer.Config{Concurrency: 1024, Timeout: time.Second},
		Ports:      ports,
		MinTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var svc *facts.Service
	for i := range doc.Hosts {
		if doc.Hosts[i].Address == slowHost {
			for j := range doc.Hosts[i].Services {
				if doc.Hosts[i].Services[j].Port == int(slow) {
					svc = &doc.Hosts[i].Services[j]
				}
			}
		}
	}
	if svc == nil {
		t.Fatalf("the slow TLS server was not found among %d hosts", len(doc.Hosts))
	}
	if svc.Name != "http" || !svc.TLS || svc.TLSAudit == nil || len(svc.AuditErrors) > 0 {
		t.Errorf("slow TLS server: name %q, tls %v, audit %v, errors %v; want http over TLS, audited", svc.Name, svc.TLS, svc.TLSAudit != nil, svc.AuditErrors)
	}
	t.Logf("%d hosts, %d ports each, %v", len(targets), len(ports), doc.Finished.Sub(doc.Started))
}
