package check

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/tlsinfo"
)

var tlsNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// ver builds an accepted version with the given suite numbers.
func ver(name string, ids ...uint32) facts.TLSVersion {
	v := facts.TLSVersion{Name: name, Accepted: true}
	for _, id := range ids {
		v.Suites = append(v.Suites, facts.Suite{ID: id, Name: tlsinfo.Name(id)})
	}
	return v
}

func refusedVer(name string) facts.TLSVersion { return facts.TLSVersion{Name: name} }

// intermediateTLS is what an endpoint configured to Mozilla's intermediate
// profile with a trusted ECDSA certificate looks like.
func intermediateTLS() *facts.TLS {
	return &facts.TLS{
		Versions: []facts.TLSVersion{
			refusedVer(facts.SSLv2), refusedVer(facts.SSLv3), refusedVer(facts.TLS10), refusedVer(facts.TLS11),
			ver(facts.TLS12, 0xC02B, 0xC02C, 0xCCA9),
			ver(facts.TLS13, 0x1301, 0x1302, 0x1303),
		},
		Chain: []facts.Certificate{{
			Subject: "CN=good.example", Issuer: "CN=Lab CA", DNSNames: []string{"good.example"}, IPAddresses: []string{"127.0.2.11"},
			NotBefore: tlsNow.AddDate(0, -1, 0), NotAfter: tlsNow.AddDate(0, 2, 0),
			KeyAlgorithm: "ECDSA", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256",
		}},
		Trusted: true, NameChecked: "127.0.2.11", NameMatch: true, Checked: tlsNow,
	}
}

// weakTLS is the lab's weak nginx: TLS 1.0–1.2, static RSA, CBC, anonymous
// ECDH, NULL and legacy suites, an expired self-signed RSA-1024 SHA-1
// certificate for another name.
func weakTLS() *facts.TLS {
	legacy := []uint32{0xC014, 0xC013, 0xC019, 0x0035, 0x002F, 0x0002, 0x0001, 0x000A, 0x0005, 0x0003, 0x0014}
	return &facts.TLS{
		Versions: []facts.TLSVersion{
			refusedVer(facts.SSLv2), refusedVer(facts.SSLv3),
			ver(facts.TLS10, legacy...),
			ver(facts.TLS11, legacy...),
			ver(facts.TLS12, append([]uint32{0xC030, 0x009D, 0x003B}, legacy...)...),
			refusedVer(facts.TLS13),
		},
		Chain: []facts.Certificate{{
			Subject: "CN=weak.example", Issuer: "CN=weak.example", DNSNames: []string{"weak.example"},
			NotBefore: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC),
			KeyAlgorithm: "RSA", KeyBits: 1024, SignatureAlgorithm: "SHA1-RSA", SelfSigned: true,
		}},
		TrustError: "self-signed certificate, not issued by a trusted CA", NameChecked: "127.0.2.10",
	}
}

func judge(t *testing.T, svc facts.Service) map[string]Hit {
	t.Helper()
	in := Input{Host: &facts.Host{Address: "127.0.2.10"}, Service: &svc, Now: tlsNow}
	out := map[string]Hit{}
	for _, h := range judgeTLS(in) {
		if _, dup := out[h.Check]; dup {
			t.Errorf("check %s reported twice", h.Check)
		}
		if _, ok := Lookup(h.Check); !ok {
			t.Errorf("unknown check %s", h.Check)
		}
		// MakeFinding must accept every hit.
		f := MakeFinding(h, "127.0.2.10", svc.Port, "tcp")
		if strings.TrimSpace(f.Recommendation) == "" {
			t.Errorf("%s: empty recommendation", h.Check)
		}
		out[h.Check] = h
	}
	return out
}

func keys(m map[string]Hit) []string {
	var k []string
	for id := range m {
		k = append(k, id)
	}
	slices.Sort(k)
	return k
}

func TestJudgeTLSFindings(t *testing.T) {
	sslv2 := intermediateTLS()
	sslv2.Versions[0] = facts.TLSVersion{Name: facts.SSLv2, Accepted: true, Suites: []facts.Suite{{ID: 0x0700C0}, {ID: 0x020080}}}
	sslv2.Versions[1] = ver(facts.SSLv3, 0x000A, 0x0004)

	expiring := intermediateTLS()
	expiring.Chain[0].NotAfter = tlsNow.Add(10*24*time.Hour + time.Hour)
	atThirty := intermediateTLS()
	atThirty.Chain[0].NotAfter = tlsNow.Add(30 * 24 * time.Hour)
	atThirtyOne := intermediateTLS()
	atThirtyOne.Chain[0].NotAfter = tlsNow.Add(31 * 24 * time.Hour)
	notYet := intermediateTLS()
	notYet.Chain[0].NotBefore = tlsNow.Add(72 * time.Hour)

	badChain := intermediateTLS()
	badChain.Chain = append(badChain.Chain,
		facts.Certificate{Subject: "CN=Old Intermediate", Issuer: "CN=Old Root", KeyAlgorithm: "ECDSA", KeyBits: 192, SignatureAlgorithm: "SHA1-RSA", IsCA: true},
		facts.Certificate{Subject: "CN=Old Root", Issuer: "CN=Old Root", KeyAlgorithm: "RSA", KeyBits: 4096, SignatureAlgorithm: "MD5-RSA", SelfSigned: true, IsCA: true})

	goodChain := intermediateTLS()
	goodChain.Chain = append(goodChain.Chain,
		facts.Certificate{Subject: "CN=Root", Issuer: "CN=Root", KeyAlgorithm: "RSA", KeyBits: 4096, SignatureAlgorithm: "SHA1-RSA", SelfSigned: true, IsCA: true})

	unknownCA := intermediateTLS()
	unknownCA.Trusted = false
	unknownCA.TrustError = `the chain ends at "CN=Lab CA", which is not a trusted root`

	dhe := intermediateTLS()
	dhe.Versions[4] = ver(facts.TLS12, 0xC02B, 0x009E, 0x00A0)

	tests := []struct {
		name string
		tls  *facts.TLS
		want map[string]string // check → substring of its evidence
	}{
		{"no audit", nil, map[string]string{}},
		{"mozilla intermediate", intermediateTLS(), map[string]string{}},
		{"intermediate with a root signed by SHA-1", goodChain, map[string]string{}},
		{"weak nginx", weakTLS(), map[string]string{
			"tls.protocol.tls10":            "accepts TLS 1.0 with 11 suites, e.g. ECDHE-RSA-AES256-SHA (0xc014)",
			"tls.protocol.tls11":            "accepts TLS 1.1 with 11 suites, e.g. ECDHE-RSA-AES256-SHA (0xc014)",
			"tls.protocol.no-tls13":         "does not accept TLS 1.3; the newest version it accepts is TLS 1.2",
			"tls.cipher.anonymous":          "accepts 1 anonymous (aNULL, no server authentication) suite: AECDH-AES256-SHA (0xc019) (with TLS 1.0, TLS 1.1, TLS 1.2)",
			"tls.cipher.null":               "accepts 3 NULL-encryption (eNULL) suites: NULL-SHA (0x0002), NULL-MD5 (0x0001), NULL-SHA256 (0x003b) (with TLS 1.0, TLS 1.1, TLS 1.2)",
			"tls.cipher.export":             "accepts 2 EXPORT-grade suites: EXP-RC4-MD5 (0x0003) [40-bit], EXP-EDH-RSA-DES-CBC-SHA (0x0014) [40-bit]",
			"tls.cipher.weak":               "accepts 2 weak suites: DES-CBC3-SHA (0x000a) [3DES, 64-bit blocks (SWEET32)], RC4-SHA (0x0005) [RC4]",
			"tls.cipher.no-forward-secrecy": "accepts 5 non-forward-secret (static RSA key exchange) suites: AES256-SHA (0x0035), AES128-SHA (0x002f), DES-CBC3-SHA (0x000a), RC4-SHA (0x0005), AES256-GCM-SHA384 (0x009d) (with TLS 1.0, TLS 1.1, TLS 1.2)",
			"tls.cert.expired":              "certificate CN=weak.example expired 2025-01-03 (690 days before the scan, 2026-11-23 12:00 UTC)",
			"tls.cert.untrusted":            "certificate CN=weak.example is not trusted: self-signed certificate",
			"tls.cert.weak-key":             "leaf certificate CN=weak.example has a 1024-bit RSA key",
			"tls.cert.weak-signature":       "leaf certificate CN=weak.example is signed with SHA1-RSA",
			"tls.cert.name-mismatch":        "certificate CN=weak.example names DNS:weak.example but was reached as 127.0.2.10",
		}},
		{"SSLv2 and SSLv3", sslv2, map[string]string{
			"tls.protocol.sslv2":            "accepts SSLv2 with 2 cipher kinds, e.g. DES-CBC3-MD5 (0x0700c0)",
			"tls.protocol.sslv3":            "accepts SSLv3 with 2 suites, e.g. DES-CBC3-SHA (0x000a)",
			"tls.cipher.export":             "EXP-RC4-MD5 (0x020080) [40-bit] (with SSLv2)",
			"tls.cipher.weak":               "accepts 3 weak suites: DES-CBC3-MD5 (0x0700c0) [3DES, 64-bit blocks (SWEET32)], DES-CBC3-SHA (0x000a) [3DES, 64-bit blocks (SWEET32)], RC4-MD5 (0x0004) [RC4] (with SSLv2, SSLv3)",
			"tls.cipher.no-forward-secrecy": "accepts 3 non-forward-secret (static RSA key exchange) suites: DES-CBC3-MD5 (0x0700c0)",
		}},
		{"expiring in 10 days", expiring, map[string]string{"tls.cert.expiring": "certificate CN=good.example expires 2026-12-03 (10 days after the scan, 2026-11-23 12:00 UTC)"}},
		{"expiring in exactly 30 days", atThirty, map[string]string{"tls.cert.expiring": "(30 days after the scan"}},
		{"expiring in 31 days", atThirtyOne, map[string]string{}},
		{"not yet valid", notYet, map[string]string{"tls.cert.expired": "is not valid before 2026-11-26 (3 days after the scan, 2026-11-23 12:00 UTC)"}},
		{"weak chain", badChain, map[string]string{
			"tls.cert.weak-key":       "chain certificate CN=Old Intermediate has a 192-bit ECDSA key",
			"tls.cert.weak-signature": "chain certificate CN=Old Intermediate is signed with SHA1-RSA",
		}},
		{"unknown CA", unknownCA, map[string]string{"tls.cert.untrusted": `certificate CN=good.example issued by CN=Lab CA is not trusted: the chain ends at "CN=Lab CA", which is not a trusted root`}},
		{"static DH", dhe, map[string]string{"tls.cipher.no-forward-secrecy": "accepts 1 non-forward-secret (static DH key exchange) suite: DH-RSA-AES128-GCM-SHA256 (0x00a0) (with TLS 1.2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantTLSFindings(t, tt.tls, tt.want)
		})
	}
}

// TestJudgeTLSIntermediateNothingAtMedium: an endpoint following the
// intermediate profile, whatever its product, yields nothing at medium or
// above.
func TestJudgeTLSIntermediateNothingAtMedium(t *testing.T) {
	for _, product := range []string{"", "nginx", "Postfix", "PostgreSQL"} {
		svc := facts.Service{Port: 443, Transport: "tcp", Product: product, TLSAudit: intermediateTLS()}
		in := Input{Host: &facts.Host{Address: "127.0.2.11"}, Service: &svc, Now: tlsNow}
		for _, h := range judgeTLS(in) {
			f := MakeFinding(h, "127.0.2.11", 443, "tcp")
			if f.Severity >= finding.Medium {
				t.Errorf("%s: %s (%s) at %s", product, f.Check, f.Evidence, f.Severity)
			}
		}
	}
}

func TestJudgeTLSFixes(t *testing.T) {
	tests := []struct {
		product string
		check   string
		want    []string
	}{
		{"nginx", "tls.protocol.tls10", []string{"ssl_protocols TLSv1.2 TLSv1.3;", "/etc/nginx/", "nginx -t && systemctl reload nginx", "nginx 1.13.0"}},
		{"nginx", "tls.cipher.weak", []string{"ssl_ciphers " + mozIntermediateCiphers + ";", "ssl_prefer_server_ciphers off;"}},
		{"Apache httpd", "tls.protocol.tls11", []string{"SSLProtocol -all +TLSv1.2 +TLSv1.3", "apachectl configtest", "2.4.36"}},
		{"Apache httpd", "tls.cipher.null", []string{"SSLCipherSuite " + mozIntermediateCiphers, "SSLHonorCipherOrder off"}},
		{"Postfix", "tls.protocol.tls10", []string{"postconf -e 'smtpd_tls_protocols = >=TLSv1.2' 'smtpd_tls_mandatory_protocols = >=TLSv1.2'", "postfix reload", "Postfix 3.6"}},
		{"Postfix", "tls.cipher.anonymous", []string{"'smtpd_tls_ciphers = medium'", "tls_medium_cipherlist = " + mozIntermediateCiphers}},
		{"Dovecot", "tls.protocol.tls10", []string{"ssl_min_protocol = TLSv1.2", "/etc/dovecot/conf.d/10-ssl.conf", "systemctl reload dovecot"}},
		{"Dovecot", "tls.cipher.weak", []string{"ssl_cipher_list = " + mozIntermediateCiphers}},
		{"vsftpd", "tls.protocol.tls10", []string{"ssl_sslv3=NO", "ssl_tlsv1=YES", "/etc/vsftpd.conf", "@SECLEVEL=0"}},
		{"vsftpd", "tls.cipher.weak", []string{"ssl_ciphers=" + mozIntermediateCiphers}},
		{"PostgreSQL", "tls.protocol.tls11", []string{"ssl_min_protocol_version = 'TLSv1.2'", "pg_reload_conf()", "PostgreSQL 12"}},
		{"PostgreSQL", "tls.cipher.no-forward-secrecy", []string{"ssl_ciphers = '" + mozIntermediateCiphers + "'"}},
		{"MariaDB", "tls.protocol.tls10", []string{"tls_version = TLSv1.2,TLSv1.3", "[mysqld]", "MariaDB 10.4.6"}},
		{"MySQL", "tls.cipher.weak", []string{"ssl_cipher = " + mozIntermediateCiphers}},
		{"Mosquitto", "tls.protocol.tls11", []string{"tls_version tlsv1.2", "systemctl restart mosquitto"}},
		{"Mosquitto", "tls.cipher.weak", []string{"ciphers " + mozIntermediateCiphers}},
		{"Redis", "tls.protocol.tls10", []string{`tls-protocols "TLSv1.2 TLSv1.3"`, "/etc/redis/redis.conf"}},
		{"Redis", "tls.cipher.weak", []string{"tls-ciphers " + mozIntermediateCiphers}},
		{"OpenLDAP", "tls.protocol.tls10", []string{"olcTLSProtocolMin: 3.3", "ldapmodify -Y EXTERNAL -H ldapi:///"}},
		{"OpenLDAP", "tls.cipher.weak", []string{"olcTLSCipherSuite: " + mozIntermediateCiphers, "+VERS-TLS1.2"}},
		{"nginx", "tls.cert.expired", []string{"Renew the certificate", "ssl_certificate /etc/ssl/certs/", "nginx -t && systemctl reload nginx"}},
		{"Dovecot", "tls.cert.weak-key", []string{"Issue a new certificate with an RSA 2048+", "ssl_cert = <"}},
		// Generic texts when the product is unknown.
		{"", "tls.protocol.tls10", []string{"Allow only TLS 1.2 and TLS 1.3 (Mozilla intermediate profile)"}},
		{"lighttpd", "tls.protocol.tls11", []string{"Allow only TLS 1.2 and TLS 1.3 (Mozilla intermediate profile)"}},
		{"", "tls.cipher.weak", []string{"Mozilla intermediate cipher list for TLS 1.2: " + mozIntermediateCiphers}},
		{"", "tls.cert.expired", []string{"Renew the certificate (for example with certbot renew)"}},
	}
	for _, tt := range tests {
		svc := facts.Service{Port: 443, Transport: "tcp", Product: tt.product, TLSAudit: weakTLS()}
		svc.TLSAudit.Versions[1] = ver(facts.SSLv3, 0x000A) // so every protocol check fires
		hits := judge(t, svc)
		h, ok := hits[tt.check]
		if !ok {
			t.Errorf("%q: %s did not fire", tt.product, tt.check)
			continue
		}
		f := MakeFinding(h, "127.0.2.10", 443, "tcp")
		for _, w := range tt.want {
			if !strings.Contains(f.Recommendation, w) {
				t.Errorf("%q %s: recommendation\n%s\nlacks %q", tt.product, tt.check, f.Recommendation, w)
			}
		}
		if tt.product != "" && fixFor(&svc) != nil {
			for _, other := range tlsFixes {
				if other.product != fixFor(&svc).product && strings.Contains(f.Recommendation, other.apply) {
					t.Errorf("%q %s: recommendation names %s's command", tt.product, tt.check, other.product)
				}
			}
		}
	}
}

// TestTLSFixTableComplete: every product entry has every field, and its
// cipher lines carry the intermediate list.
func TestTLSFixTableComplete(t *testing.T) {
	for _, f := range tlsFixes {
		if len(f.names) == 0 || f.product == "" || f.where == "" || f.protocols == "" || f.ciphers == "" || f.cert == "" || f.apply == "" || f.versions == "" {
			t.Errorf("%s: incomplete entry", f.product)
		}
		if !strings.Contains(f.ciphers, mozIntermediateCiphers) {
			t.Errorf("%s: cipher lines lack the intermediate list", f.product)
		}
	}
	// The profile's list names only suites tlsinfo knows as strong and
	// forward secret.
	for _, name := range strings.Split(mozIntermediateCiphers, ":") {
		found := false
		for _, s := range tlsinfo.All() {
			if s.OpenSSL == name {
				found = true
				if s.Weak() || !s.ForwardSecret() || s.Anonymous() || s.Null() {
					t.Errorf("%s is not a strong forward-secret suite", name)
				}
			}
		}
		if !found {
			t.Errorf("%s unknown to tlsinfo", name)
		}
	}
}

// TestJudgeTLSCertDates: certificate dates are judged at the moment of the
// handshake the facts record, not when the scan is judged; the evidence
// quotes that moment and the certificate's own date; a chain that verified
// apart from its dates is tls.cert.expired alone, saying so.
func TestJudgeTLSCertDates(t *testing.T) {
	handshake := tlsNow.Add(-72 * time.Hour) // 2026-11-20 12:00 UTC
	leaf := func(nb, na time.Time) facts.Certificate {
		return facts.Certificate{Subject: "CN=good.example", Issuer: "CN=Lab CA", IPAddresses: []string{"127.0.2.10"},
			NotBefore: nb, NotAfter: na, KeyAlgorithm: "ECDSA", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256"}
	}
	inter := func(nb, na time.Time) facts.Certificate {
		return facts.Certificate{Subject: "CN=Lab Intermediate", Issuer: "CN=Lab Root", NotBefore: nb, NotAfter: na,
			KeyAlgorithm: "ECDSA", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256", IsCA: true}
	}
	tlsWith := func(trusted bool, again time.Time, why string, chain ...facts.Certificate) *facts.TLS {
		return &facts.TLS{Versions: []facts.TLSVersion{ver(facts.TLS13, 0x1301)}, Chain: chain, Trusted: trusted, VerifiedAgainAt: again,
			TrustError: why, NameChecked: "127.0.2.10", NameMatch: true, Checked: handshake}
	}
	expiredAt := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	stale := expiredAt.AddDate(-1, 0, 0)
	oldFacts := tlsWith(true, time.Time{}, "", leaf(stale, expiredAt))
	oldFacts.Checked = time.Time{}

	tests := []struct {
		name  string
		tls   *facts.TLS
		want  map[string]string // check → substring of its evidence
		lacks string            // no evidence may hold it
	}{
		{"valid at the handshake, expired when judged",
			tlsWith(true, time.Time{}, "", leaf(stale, handshake.Add(36*time.Hour))),
			map[string]string{"tls.cert.expiring": "certificate CN=good.example expires 2026-11-22 (2 days after the scan, 2026-11-20 12:00 UTC)"}, ""},
		{"expired leaf, chain valid apart from expiry",
			tlsWith(false, expiredAt, "chain valid apart from expiry: …", leaf(stale, expiredAt)),
			map[string]string{"tls.cert.expired": "certificate CN=good.example expired 2026-11-01 (20 days before the scan, 2026-11-20 12:00 UTC); chain valid apart from expiry"}, ""},
		{"expired leaf, also untrusted",
			tlsWith(false, time.Time{}, "self-signed certificate, not issued by a trusted CA", leaf(stale, expiredAt)),
			map[string]string{
				"tls.cert.expired":   "certificate CN=good.example expired 2026-11-01 (20 days before the scan, 2026-11-20 12:00 UTC)",
				"tls.cert.untrusted": "is not trusted: self-signed certificate, not issued by a trusted CA",
			}, "apart"},
		{"not yet valid, chain valid apart from the start date",
			tlsWith(false, handshake.AddDate(0, 0, 5), "chain valid apart from its validity dates: …", leaf(handshake.AddDate(0, 0, 5), handshake.AddDate(1, 0, 0))),
			map[string]string{"tls.cert.expired": "is not valid before 2026-11-25 (5 days after the scan, 2026-11-20 12:00 UTC); chain valid apart from the start date"}, ""},
		{"expired intermediate, chain valid apart from expiry",
			tlsWith(false, expiredAt, "chain valid apart from expiry: …", leaf(stale, handshake.AddDate(1, 0, 0)), inter(stale, expiredAt)),
			map[string]string{"tls.cert.expired": "chain certificate CN=Lab Intermediate expired 2026-11-01 (20 days before the scan, 2026-11-20 12:00 UTC); chain valid apart from expiry"},
			"CN=good.example expire"},
		{"expired intermediate, also untrusted",
			tlsWith(false, time.Time{}, `the chain ends at "CN=Lab Intermediate", which is not a trusted root`, leaf(stale, handshake.AddDate(1, 0, 0)), inter(stale, expiredAt)),
			map[string]string{
				"tls.cert.expired":   "chain certificate CN=Lab Intermediate expired 2026-11-01",
				"tls.cert.untrusted": "which is not a trusted root",
			}, "apart"},
		{"spare expired certificate in a trusted chain",
			tlsWith(true, time.Time{}, "", leaf(stale, handshake.AddDate(1, 0, 0)), inter(stale, expiredAt)),
			map[string]string{}, ""},
		{"spare certificate the chain verified without",
			tlsWith(false, expiredAt, "chain valid apart from expiry: …", leaf(stale, expiredAt), inter(stale.AddDate(-5, 0, 0), stale.AddDate(-1, 0, 0))),
			map[string]string{"tls.cert.expired": "certificate CN=good.example expired 2026-11-01 (20 days before the scan, 2026-11-20 12:00 UTC); chain valid apart from expiry"},
			"Lab Intermediate"},
		{"facts without the handshake's moment",
			oldFacts,
			map[string]string{"tls.cert.expired": "certificate CN=good.example expired 2026-11-01 (23 days before the scan, 2026-11-23 12:00 UTC)"}, "apart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wantTLSFindings(t, tt.tls, tt.want)
			for id, h := range got {
				if tt.lacks != "" && strings.Contains(h.Evidence, tt.lacks) {
					t.Errorf("%s evidence = %q holds %q", id, h.Evidence, tt.lacks)
				}
			}
		})
	}
}

// wantTLSFindings judges an HTTPS service with TLS audit a and checks that
// exactly the checks of want fire, each with evidence containing its text;
// it returns the hits by check.
func wantTLSFindings(t *testing.T, a *facts.TLS, want map[string]string) map[string]Hit {
	t.Helper()
	got := judge(t, facts.Service{Port: 443, Transport: "tcp", Name: "http", TLS: true, TLSAudit: a})
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if g := keys(got); !slices.Equal(g, ids) {
		t.Fatalf("checks = %v\nwant     %v", g, ids)
	}
	for id, sub := range want {
		if !strings.Contains(got[id].Evidence, sub) {
			t.Errorf("%s evidence = %q\nwant it to contain %q", id, got[id].Evidence, sub)
		}
	}
	return got
}
