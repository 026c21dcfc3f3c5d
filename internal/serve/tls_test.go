package serve

import (
	"crypto/tls"
	"os"
	"testing"
	"time"
)

func TestLoopback(t *testing.T) {
	tests := []struct {
		listen string
		want   bool
	}{
		{"127.0.0.1:8600", true},
		{"127.0.2.9:8600", true},
		{"[::1]:8600", true},
		{"localhost:8600", true},
		{"0.0.0.0:8600", false},
		{":8600", false},
		{"[::]:8600", false},
		{"10.0.0.2:8600", false},
		{"vigil.office.lan:8600", false},
		{"[::ffff:127.0.0.1]:8600", true},
	}
	for _, tt := range tests {
		got, err := Loopback(tt.listen)
		if err != nil || got != tt.want {
			t.Errorf("Loopback(%q) = %v, %v; want %v", tt.listen, got, err, tt.want)
		}
	}
	if _, err := Loopback("8600"); err == nil {
		t.Error("Loopback took an address without a port")
	}
}

func TestSelfSigned(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	f, made, err := SelfSigned(dir, []string{"10.0.0.2", "vigil.lan"}, now)
	if err != nil || !made {
		t.Fatalf("SelfSigned = %v, %v", made, err)
	}
	for _, p := range []string{f.Cert, f.Key} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v; want 0600", p, err, fi.Mode().Perm())
		}
	}
	pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"10.0.0.2", "vigil.lan"} {
		if err := pair.Leaf.VerifyHostname(h); err != nil {
			t.Errorf("the certificate is not for %s: %v", h, err)
		}
	}
	fp1, err := Fingerprint(f.Cert)
	if err != nil || len(fp1) != 95 {
		t.Fatalf("Fingerprint = %q, %v", fp1, err)
	}
	// Kept across restarts; remade for another name or near expiry.
	if _, made, _ := SelfSigned(dir, []string{"10.0.0.2"}, now); made {
		t.Error("a valid certificate was remade")
	}
	if _, made, _ := SelfSigned(dir, []string{"10.0.0.3"}, now); !made {
		t.Error("a certificate for another address was kept")
	}
	if _, made, _ := SelfSigned(dir, []string{"10.0.0.3"}, now.Add(380*24*time.Hour)); !made {
		t.Error("a certificate about to expire was kept")
	}
	if fp2, _ := Fingerprint(f.Cert); fp2 == fp1 {
		t.Error("the fingerprint did not change with the certificate")
	}
}
