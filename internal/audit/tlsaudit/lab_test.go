package tlsaudit

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/lab"
)

// labRoots returns the system roots plus the lab CA, as --tls-ca would.
func labRoots(t *testing.T, m *lab.Manifest) *x509.CertPool {
	t.Helper()
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(m.CA)
	if err != nil {
		t.Fatalf("lab CA: %v", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("lab CA %s holds no certificate", m.CA)
	}
	return pool
}

func labService(t *testing.T, m *lab.Manifest, id string) lab.Service {
	t.Helper()
	s := m.Find(id)
	if s.ID == "" {
		t.Fatalf("the lab manifest has no service %q", id)
	}
	return s
}

// judgeLab audits a lab service and judges the result with vigil's
// registered judges, returning the tls.* findings by check.
func judgeLab(t *testing.T, res *facts.TLS, s lab.Service, now time.Time) map[string]finding.Finding {
	t.Helper()
	svc := facts.Service{Port: s.Port, Transport: s.Transport, Name: s.Name, Product: s.Product, TLS: s.TLS, TLSAudit: res}
	host := facts.Host{Address: s.Host, Services: []facts.Service{svc}}
	out := map[string]finding.Finding{}
	for _, f := range check.JudgeHosts([]facts.Host{host}, now) {
		if strings.HasPrefix(f.Check, "tls.") {
			out[f.Check] = f
		}
	}
	return out
}

func acceptedVersions(res *facts.TLS) []string {
	var out []string
	for _, v := range res.Versions {
		if v.Accepted {
			out = append(out, v.Name)
		}
	}
	return out
}

func suiteNames(res *facts.TLS, version string) []string {
	var out []string
	if v := res.Accepted(version); v != nil {
		for _, s := range v.Suites {
			out = append(out, s.Name)
		}
	}
	return out
}

// TestLabWeakEndpoints: every tls.* check fires on the lab's weak TLS
// endpoints, with evidence naming what was observed.
func TestLabWeakEndpoints(t *testing.T) {
	m := lab.Require(t)
	roots := labRoots(t, m)
	now := time.Now()
	fired := map[string]bool{}

	tests := []struct {
		id        string
		versions  []string
		suites    map[string][]string // version → suites that must be accepted
		checks    map[string]string   // check → evidence substring
		lacks     map[string]string   // check → substring its evidence must not hold
		noneAbove []string            // checks that must not fire
	}{
		{
			id:       "web-weak-https",
			versions: []string{facts.TLS10, facts.TLS11, facts.TLS12},
			suites: map[string][]string{facts.TLS12: {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
				"TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_NULL_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}},
			checks: map[string]string{
				"tls.protocol.tls10":            "accepts TLS 1.0 with",
				"tls.protocol.tls11":            "accepts TLS 1.1 with",
				"tls.protocol.no-tls13":         "the newest version it accepts is TLS 1.2",
				"tls.cipher.anonymous":          "AECDH-AES128-SHA (0xc018)",
				"tls.cipher.null":               "NULL-SHA256 (0x003b)",
				"tls.cipher.no-forward-secrecy": "AES128-SHA (0x002f)",
				"tls.cert.expired":              "expired 2021-01-01",
				"tls.cert.untrusted":            "self-signed",
				"tls.cert.weak-key":             "1024-bit RSA key",
				"tls.cert.weak-signature":       "SHA1-RSA",
				"tls.cert.name-mismatch":        "was reached as 127.0.2.10",
			},
			// Expired and self-signed: both faults, each on its own.
			lacks: map[string]string{"tls.cert.expired": "apart from", "tls.cert.untrusted": "expired"},
		},
		{
			id:       "web-weak-expiring",
			versions: []string{facts.TLS12, facts.TLS13},
			checks:   map[string]string{"tls.cert.expiring": "expires"},
			noneAbove: []string{"tls.cert.expired", "tls.cert.untrusted", "tls.cert.name-mismatch", "tls.cipher.no-forward-secrecy",
				"tls.protocol.tls10", "tls.protocol.tls11"},
		},
		{
			id:       "legacy-tls",
			versions: []string{facts.SSLv2, facts.SSLv3, facts.TLS10},
			checks: map[string]string{
				"tls.protocol.sslv2":            "accepts SSLv2 with",
				"tls.protocol.sslv3":            "accepts SSLv3 with",
				"tls.protocol.tls10":            "accepts TLS 1.0 with",
				"tls.cipher.export":             "EXP-",
				"tls.cipher.weak":               "RC4",
				"tls.cipher.null":               "NULL",
				"tls.cipher.no-forward-secrecy": "static RSA",
				"tls.cert.weak-key":             "1024-bit RSA key",
				"tls.cert.weak-signature":       "SHA1-RSA",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s := labService(t, m, tt.id)
			before := time.Now()
			res, err := Audit(t.Context(), testDialer(t), s.AddrPort(), Options{Roots: roots})
			if err != nil {
				t.Fatalf("audit of %s: %v", s.Address(), err)
			}
			if res.Checked.Before(before) || res.Checked.After(time.Now()) {
				t.Errorf("chain checked at %v, outside the audit (%v on)", res.Checked, before)
			}
			if got := acceptedVersions(res); !slices.Equal(got, tt.versions) {
				t.Errorf("accepted versions %v, want %v", got, tt.versions)
			}
			for v, want := range tt.suites {
				got := suiteNames(res, v)
				for _, w := range want {
					if !slices.Contains(got, w) {
						t.Errorf("%s: %s not among the accepted suites %v", v, w, got)
					}
				}
			}
			found := judgeLab(t, res, s, now)
			for c, sub := range tt.checks {
				f, ok := found[c]
				if !ok {
					t.Errorf("%s did not fire", c)
					continue
				}
				fired[c] = true
				if !strings.Contains(f.Evidence, sub) {
					t.Errorf("%s evidence %q lacks %q", c, f.Evidence, sub)
				}
				if s.Product != "" && !strings.Contains(f.Recommendation, s.Product) {
					t.Errorf("%s: recommendation is not specific to %s: %q", c, s.Product, f.Recommendation)
				}
			}
			for c, sub := range tt.lacks {
				if f := found[c]; strings.Contains(f.Evidence, sub) {
					t.Errorf("%s evidence %q holds %q", c, f.Evidence, sub)
				}
			}
			for _, c := range tt.noneAbove {
				if f, ok := found[c]; ok {
					t.Errorf("%s fired: %s", c, f.Evidence)
				}
			}
		})
	}
	for _, c := range check.All() {
		if strings.HasPrefix(c.ID, "tls.") && !fired[c.ID] && !deepLabChecks[c.ID] && !t.Failed() {
			t.Errorf("%s fired on none of the weak endpoints", c.ID)
		}
	}
}

// TestLabHardened: the Mozilla-intermediate nginx, with the lab CA as an
// extra root, yields nothing at medium or above, and no certificate
// finding at all.
func TestLabHardened(t *testing.T) {
	m := lab.Require(t)
	s := labService(t, m, "web-hard-https")
	now := time.Now()
	res, err := Audit(t.Context(), testDialer(t), s.AddrPort(), Options{Roots: labRoots(t, m)})
	if err != nil {
		t.Fatal(err)
	}
	if got := acceptedVersions(res); !slices.Equal(got, []string{facts.TLS12, facts.TLS13}) {
		t.Errorf("accepted versions %v", got)
	}
	if !res.Trusted || !res.NameMatch || len(res.Chain) == 0 || res.Chain[0].KeyAlgorithm != "ECDSA" {
		t.Errorf("trusted %v (%s), name match %v, chain %+v", res.Trusted, res.TrustError, res.NameMatch, res.Chain)
	}
	if res.Checked.Before(now) || res.Checked.After(time.Now()) || !res.VerifiedAgainAt.IsZero() {
		t.Errorf("chain checked at %v (audit from %v), verified again at %v", res.Checked, now, res.VerifiedAgainAt)
	}
	for c, f := range judgeLab(t, res, s, now) {
		if f.Severity >= finding.Medium || strings.HasPrefix(c, "tls.cert.") {
			t.Errorf("%s at %s: %s", c, f.Severity, f.Evidence)
		}
	}
}

// TestLabStartTLS audits each STARTTLS service of the lab.
func TestLabStartTLS(t *testing.T) {
	m := lab.Require(t)
	roots := labRoots(t, m)
	tests := []struct{ id, proto string }{
		{"mail-hard-smtp", StartSMTP},
		{"mail-hard-imap", StartIMAP},
		{"mail-hard-pop3", StartPOP3},
		{"ftp-hard", StartFTP},
		{"db-hard-postgresql", StartPostgreSQL},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			s := labService(t, m, tt.id)
			res, err := Audit(t.Context(), testDialer(t), s.AddrPort(), Options{StartTLS: tt.proto, Roots: roots})
			if err != nil {
				t.Fatalf("%s STARTTLS audit of %s: %v", tt.proto, s.Address(), err)
			}
			if res.StartTLS != tt.proto || res.Accepted(facts.TLS12) == nil || len(res.Chain) == 0 {
				t.Errorf("versions %v, chain of %d", acceptedVersions(res), len(res.Chain))
			}
			for _, v := range []string{facts.SSLv2, facts.SSLv3, facts.TLS10, facts.TLS11} {
				if res.Accepted(v) != nil {
					t.Errorf("%s accepted on a TLS >= 1.2 service", v)
				}
			}
			if !res.Trusted {
				t.Errorf("lab-CA certificate not trusted: %s", res.TrustError)
			}
		})
	}
	// Services without an upgrade fail with ErrNoStartTLS, not a hang.
	for _, tt := range []struct{ id, proto string }{
		{"mail-weak-smtp", StartSMTP}, {"mail-weak-imap", StartIMAP}, {"ftp-weak", StartFTP},
		{"misc-ldap", StartLDAP}, {"db-weak-postgresql", StartPostgreSQL}, {"db-weak-mysql", StartMySQL},
	} {
		s := labService(t, m, tt.id)
		if _, err := Audit(t.Context(), testDialer(t), s.AddrPort(), Options{StartTLS: tt.proto}); !errors.Is(err, ErrNoStartTLS) {
			t.Errorf("%s: err = %v, want ErrNoStartTLS", tt.id, err)
		}
	}
}

// TestLabHostile: the garbage, truncated and endless TLS servers end the
// audit with an error, within the audit's own bounds.
func TestLabHostile(t *testing.T) {
	m := lab.Require(t)
	for _, id := range []string{"legacy-tls-garbage", "legacy-tls-truncated", "legacy-tls-endless"} {
		t.Run(id, func(t *testing.T) {
			s := labService(t, m, id)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			res, err := Audit(ctx, testDialer(t), s.AddrPort(), Options{Timeout: 2 * time.Second})
			if err == nil || res != nil {
				t.Fatalf("res %+v err %v, want an error", res, err)
			}
			if ctx.Err() != nil {
				t.Fatalf("the audit did not end by itself: %v", err)
			}
			t.Logf("%s: %v", id, err)
		})
	}
}
