package tlsaudit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// testCert is a generated certificate and its key.
type testCert struct {
	der  []byte
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var testSerial atomic.Int64

// issue makes a certificate for cn valid from nb to na, signed by parent
// (self-signed when parent is nil). A CA gets the CA bits; a leaf names
// leaf.test and 127.0.0.1 and is for server authentication.
func issue(t testing.TB, cn string, nb, na time.Time, ca bool, parent *testCert) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(testSerial.Add(1)), Subject: pkix.Name{CommonName: cn},
		NotBefore: nb, NotAfter: na}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		tmpl.DNSNames, tmpl.IPAddresses = []string{"leaf.test"}, []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	signer, signKey := tmpl, key
	if parent != nil {
		signer, signKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signKey)
	if err != nil {
		t.Fatalf("issuing %s: %v", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{der: der, cert: c, key: key}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// certFindings judges res with vigil's registered judges at now and returns
// the tls.cert.* findings by check.
func certFindings(t *testing.T, res *facts.TLS, now time.Time) map[string]finding.Finding {
	t.Helper()
	svc := facts.Service{Port: 443, Transport: "tcp", Name: "http", TLS: true, TLSAudit: res}
	host := facts.Host{Address: "127.0.0.1", Services: []facts.Service{svc}}
	out := map[string]finding.Finding{}
	for _, f := range check.JudgeHosts([]facts.Host{host}, now) {
		if strings.HasPrefix(f.Check, "tls.cert.") {
			out[f.Check] = f
		}
	}
	return out
}

// TestJudgeChainDates: the chain is verified at the moment of the
// handshake. An expired (or not yet valid) certificate is tls.cert.expired,
// quoting its own date and the scan's; when the chain verifies apart from
// the dates the evidence says so and tls.cert.untrusted stays silent; when
// it also fails for another reason, that reason is tls.cert.untrusted's.
func TestJudgeChainDates(t *testing.T) {
	scan := time.Date(2026, 2, 14, 10, 30, 0, 0, time.UTC)
	const scanWords = "the scan, 2026-02-14 10:30 UTC"
	judged := scan.Add(20 * time.Minute) // when the whole scan ended and was judged

	root := issue(t, "Test Root", day(2020, 1, 1), day(2040, 1, 1), true, nil)
	other := issue(t, "Other Root", day(2020, 1, 1), day(2040, 1, 1), true, nil)
	interA := issue(t, "Intermediate A", day(2020, 1, 1), day(2035, 1, 1), true, &root)
	interB := issue(t, "Intermediate B", day(2020, 1, 1), day(2035, 1, 1), true, &root)
	interOld := issue(t, "Old Intermediate", day(2020, 1, 1), day(2025, 6, 1), true, &root)
	interOlder := issue(t, "Older Intermediate", day(2020, 1, 1), day(2024, 6, 1), true, &root)
	spare := issue(t, "Spare Cross-Sign", day(2010, 1, 1), day(2020, 5, 30), true, nil)

	valid := issue(t, "valid.test", day(2026, 1, 1), day(2027, 1, 1), false, &root)
	expired := issue(t, "expired.test", day(2024, 1, 1), day(2025, 1, 1), false, &root)
	selfSigned := issue(t, "www.weak.invalid", day(2020, 1, 1), day(2021, 1, 1), false, nil)
	byOther := issue(t, "unknown.test", day(2024, 1, 1), day(2025, 1, 1), false, &other)
	notYet := issue(t, "early.test", day(2026, 3, 1), day(2027, 3, 1), false, &root)
	byA := issue(t, "wrong-intermediate.test", day(2024, 1, 1), day(2025, 1, 1), false, &interA)
	underOld := issue(t, "under-old.test", day(2025, 1, 1), day(2027, 1, 1), false, &interOld)
	underOlder := issue(t, "under-older.test", day(2024, 1, 1), day(2025, 1, 1), false, &interOlder)

	tests := []struct {
		name    string
		chain   []testCert
		trusted bool
		want    map[string][]string // check → substrings of its evidence
		lacks   map[string][]string // check → substrings its evidence must not hold
	}{
		{"valid leaf by the trusted root", []testCert{valid}, true, map[string][]string{}, nil},
		{"valid leaf and a spare expired certificate", []testCert{valid, spare}, true, map[string][]string{}, nil},
		{"expired leaf by the trusted root", []testCert{expired}, false,
			map[string][]string{"tls.cert.expired": {"certificate CN=expired.test expired 2025-01-01 (409 days before " + scanWords + ")", "; chain valid apart from expiry"}}, nil},
		{"expired leaf and a spare certificate never valid with it", []testCert{expired, spare}, false,
			map[string][]string{"tls.cert.expired": {"CN=expired.test expired 2025-01-01", "chain valid apart from expiry"}},
			map[string][]string{"tls.cert.expired": {"Spare"}}},
		{"expired self-signed", []testCert{selfSigned}, false,
			map[string][]string{
				"tls.cert.expired":   {"certificate CN=www.weak.invalid expired 2021-01-01 (1870 days before " + scanWords + ")"},
				"tls.cert.untrusted": {"is not trusted: self-signed certificate, not issued by a trusted CA"},
			},
			map[string][]string{"tls.cert.expired": {"apart"}}},
		{"expired leaf by an unknown root, chain sent", []testCert{byOther, other}, false,
			map[string][]string{
				"tls.cert.expired":   {"certificate CN=unknown.test expired 2025-01-01 (409 days before " + scanWords + ")"},
				"tls.cert.untrusted": {`the chain ends at "CN=Other Root", which is not a trusted root`},
			},
			map[string][]string{"tls.cert.expired": {"apart"}}},
		{"expired leaf by an unknown root, leaf alone", []testCert{byOther}, false,
			map[string][]string{
				"tls.cert.expired":   {"expired 2025-01-01"},
				"tls.cert.untrusted": {`issuer "CN=Other Root" is not a trusted CA`},
			},
			map[string][]string{"tls.cert.expired": {"apart"}}},
		{"expired leaf with the wrong intermediate", []testCert{byA, interB}, false,
			map[string][]string{
				"tls.cert.expired":   {"certificate CN=wrong-intermediate.test expired 2025-01-01"},
				"tls.cert.untrusted": {`issuer "CN=Intermediate A" is not a trusted CA, and the server sent no chain to a trusted root`},
			},
			map[string][]string{"tls.cert.expired": {"apart"}}},
		{"not yet valid leaf by the trusted root", []testCert{notYet}, false,
			map[string][]string{"tls.cert.expired": {"certificate CN=early.test is not valid before 2026-03-01 (15 days after " + scanWords + "); chain valid apart from the start date"}}, nil},
		{"valid leaf under an expired intermediate", []testCert{underOld, interOld}, false,
			map[string][]string{"tls.cert.expired": {"chain certificate CN=Old Intermediate expired 2025-06-01 (258 days before " + scanWords + "); chain valid apart from expiry"}},
			map[string][]string{"tls.cert.expired": {"CN=under-old.test"}}},
		{"expired leaf under an intermediate that expired first", []testCert{underOlder, interOlder}, false,
			map[string][]string{"tls.cert.expired": {"certificate CN=under-older.test expired 2025-01-01", "chain certificate CN=Older Intermediate expired 2024-06-01", "chain valid apart from expiry"}}, nil},
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ders [][]byte
			for _, c := range tt.chain {
				ders = append(ders, c.der)
			}
			res := &facts.TLS{}
			judgeChain(res, ders, roots, "leaf.test", scan)
			if res.Trusted != tt.trusted {
				t.Errorf("trusted = %v (%q), want %v", res.Trusted, res.TrustError, tt.trusted)
			}
			if strings.Contains(res.TrustError, "current time") {
				t.Errorf("trust error quotes the moment it was verified at: %q", res.TrustError)
			}
			got := certFindings(t, res, judged)
			for c, f := range got {
				if _, ok := tt.want[c]; !ok {
					t.Errorf("%s fired: %s", c, f.Evidence)
				}
			}
			for c, subs := range tt.want {
				f, ok := got[c]
				if !ok {
					t.Errorf("%s did not fire (trust error %q)", c, res.TrustError)
					continue
				}
				for _, sub := range subs {
					if !strings.Contains(f.Evidence, sub) {
						t.Errorf("%s evidence %q\nlacks %q", c, f.Evidence, sub)
					}
				}
			}
			for c, subs := range tt.lacks {
				for _, sub := range subs {
					if f := got[c]; strings.Contains(f.Evidence, sub) {
						t.Errorf("%s evidence %q holds %q", c, f.Evidence, sub)
					}
				}
			}
		})
	}
}

// TestJudgeChainVerifiedAgainAt: when only dates fail, the facts record the
// moment the chain verified again (the failing certificate's own NotAfter
// or NotBefore, never a moment made up) and say so in the trust error.
func TestJudgeChainVerifiedAgainAt(t *testing.T) {
	scan := time.Date(2026, 2, 14, 10, 30, 0, 0, time.UTC)
	root := issue(t, "Test Root", day(2020, 1, 1), day(2040, 1, 1), true, nil)
	inter := issue(t, "Older Intermediate", day(2020, 1, 1), day(2024, 6, 1), true, &root)
	expired := issue(t, "expired.test", day(2024, 1, 1), day(2025, 1, 1), false, &root)
	notYet := issue(t, "early.test", day(2026, 3, 1), day(2027, 3, 1), false, &root)
	underOld := issue(t, "under-older.test", day(2024, 1, 1), day(2025, 1, 1), false, &inter)
	selfSigned := issue(t, "www.weak.invalid", day(2020, 1, 1), day(2021, 1, 1), false, nil)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)

	tests := []struct {
		name  string
		chain [][]byte
		again time.Time // zero: the dates are not the only fault
		error string
	}{
		{"expired leaf", [][]byte{expired.der}, day(2025, 1, 1),
			`chain valid apart from expiry: "CN=expired.test" expired 2025-01-01 00:00:00 UTC (handshake at 2026-02-14 10:30:00 UTC)`},
		{"not yet valid leaf", [][]byte{notYet.der}, day(2026, 3, 1),
			`chain valid apart from its validity dates: "CN=early.test" is not valid before 2026-03-01 00:00:00 UTC`},
		{"intermediate expired first", [][]byte{underOld.der, inter.der}, day(2024, 6, 1),
			`"CN=under-older.test" expired 2025-01-01 00:00:00 UTC; "CN=Older Intermediate" expired 2024-06-01 00:00:00 UTC`},
		{"expired self-signed", [][]byte{selfSigned.der}, time.Time{}, "self-signed certificate, not issued by a trusted CA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &facts.TLS{}
			judgeChain(res, tt.chain, roots, "leaf.test", scan)
			if !res.VerifiedAgainAt.Equal(tt.again) || res.TrustedApartFromDates() != !tt.again.IsZero() {
				t.Errorf("verified again at %v (apart from dates %v), want %v", res.VerifiedAgainAt, res.TrustedApartFromDates(), tt.again)
			}
			if !res.Checked.Equal(scan) {
				t.Errorf("checked %v, want the handshake's %v", res.Checked, scan)
			}
			if res.Trusted || !strings.Contains(res.TrustError, tt.error) {
				t.Errorf("trusted %v, trust error %q, want it to hold %q", res.Trusted, res.TrustError, tt.error)
			}
		})
	}
}

// TestAuditExpiredChain: a real handshake with a server whose certificate
// expired; the audit judges the chain at the moment its clock gave when the
// chain arrived, and records that moment.
func TestAuditExpiredChain(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	root := issue(t, "Test Root", now.AddDate(-5, 0, 0), now.AddDate(5, 0, 0), true, nil)
	leaf := issue(t, "expired.test", now.AddDate(-2, 0, 0), now.AddDate(0, 0, -30), false, &root)
	roots := x509.NewCertPool()
	roots.AddCert(root.cert)
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.der, root.der}, PrivateKey: leaf.key}}}
	addr := serve(t, func(c net.Conn) { _ = tls.Server(c, cfg).Handshake() })

	var reads atomic.Int64
	clock := func() time.Time { return now.Add(time.Duration(reads.Add(1)) * time.Second) }
	res, err := Audit(t.Context(), testDialer(t), addr, Options{Roots: roots, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); res.Checked.Before(now.Add(time.Second)) || res.Checked.After(now.Add(time.Duration(n)*time.Second)) {
		t.Errorf("checked %v, not a moment the clock gave (%v + 1..%ds)", res.Checked, now, n)
	}
	if res.Trusted || !res.TrustedApartFromDates() || !res.VerifiedAgainAt.Equal(leaf.cert.NotAfter) {
		t.Errorf("trusted %v, apart from dates %v, verified again at %v, want %v", res.Trusted, res.TrustedApartFromDates(), res.VerifiedAgainAt, leaf.cert.NotAfter)
	}
	got := certFindings(t, res, time.Now())
	if f, ok := got["tls.cert.expired"]; !ok || !strings.Contains(f.Evidence, "expired "+leaf.cert.NotAfter.Format("2006-01-02")+" (30 days before the scan, "+res.Checked.Format("2006-01-02 15:04 UTC")+"); chain valid apart from expiry") {
		t.Errorf("tls.cert.expired: %+v", f)
	}
	if f, ok := got["tls.cert.untrusted"]; ok {
		t.Errorf("tls.cert.untrusted fired: %s", f.Evidence)
	}
}
