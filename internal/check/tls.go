package check

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/tlsinfo"
)

// Mozilla's "intermediate" server-side TLS profile (guidelines 6.0): TLS 1.2
// and 1.3, ECDHE with AES-GCM or ChaCha20-Poly1305 only, client's order.
const (
	mozIntermediateCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" +
		"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" +
		"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
	mozTLS13Suites = "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256"
)

// tlsFix is how one product is told to follow the intermediate profile.
// Each field is literal text: configuration lines or commands.
type tlsFix struct {
	// names are lower-case words of facts.Service.Product that select this
	// entry ("Apache httpd" has the words apache and httpd).
	names []string
	// product is the name used in the text.
	product string
	// where says which file (or interface) to edit.
	where string
	// protocols, ciphers and cert are the lines that allow TLS 1.2 and
	// 1.3 only, set the intermediate cipher list, and install a
	// certificate with its chain.
	protocols, ciphers, cert string
	// apply is the command that checks and applies the change.
	apply string
	// versions states the minimum versions the lines need.
	versions string
}

// tlsFixes maps products to their fix. Order matters only when two entries
// could match the same product string; the first wins.
var tlsFixes = []tlsFix{
	{
		names: []string{"nginx"}, product: "nginx",
		where:     "the server block's TLS settings (/etc/nginx/nginx.conf, or the site file in /etc/nginx/sites-enabled/)",
		protocols: "ssl_protocols TLSv1.2 TLSv1.3;",
		ciphers:   "ssl_ciphers " + mozIntermediateCiphers + ";\nssl_prefer_server_ciphers off;",
		cert:      "ssl_certificate /etc/ssl/certs/SITE-fullchain.pem;   # certificate followed by its intermediates\nssl_certificate_key /etc/ssl/private/SITE.key;",
		apply:     "nginx -t && systemctl reload nginx",
		versions:  "TLSv1.3 needs nginx 1.13.0 or later built with OpenSSL 1.1.1 or later.",
	},
	{
		names: []string{"apache", "httpd"}, product: "Apache httpd",
		where:     "/etc/apache2/mods-available/ssl.conf (Debian/Ubuntu) or /etc/httpd/conf.d/ssl.conf (RHEL), or the <VirtualHost> that serves this port",
		protocols: "SSLProtocol -all +TLSv1.2 +TLSv1.3",
		ciphers:   "SSLCipherSuite " + mozIntermediateCiphers + "\nSSLHonorCipherOrder off",
		cert:      "SSLCertificateFile /etc/ssl/certs/SITE-fullchain.pem   # certificate followed by its intermediates\nSSLCertificateKeyFile /etc/ssl/private/SITE.key",
		apply:     "apachectl configtest && systemctl reload apache2   # httpd on RHEL",
		versions:  "+TLSv1.3 needs Apache httpd 2.4.36 or later with OpenSSL 1.1.1 or later.",
	},
	{
		names: []string{"postfix"}, product: "Postfix",
		where:     "/etc/postfix/main.cf, with postconf -e",
		protocols: "postconf -e 'smtpd_tls_protocols = >=TLSv1.2' 'smtpd_tls_mandatory_protocols = >=TLSv1.2'",
		ciphers:   "postconf -e 'smtpd_tls_ciphers = medium' 'smtpd_tls_mandatory_ciphers = medium' 'tls_medium_cipherlist = " + mozIntermediateCiphers + "' 'tls_preempt_cipherlist = no'",
		cert:      "postconf -e 'smtpd_tls_cert_file = /etc/ssl/certs/MAIL-fullchain.pem' 'smtpd_tls_key_file = /etc/ssl/private/MAIL.key'",
		apply:     "postfix check && postfix reload",
		versions: "The '>=TLSv1.2' form needs Postfix 3.6 or later; before 3.6 write '!SSLv2, !SSLv3, !TLSv1, !TLSv1.1'. TLS 1.3 needs Postfix linked with OpenSSL 1.1.1 or later. " +
			"On a public MX (port 25) senders fall back to plaintext when TLS fails, so apply strict settings to submission ports (587/465) first.",
	},
	{
		names: []string{"dovecot"}, product: "Dovecot",
		where:     "/etc/dovecot/conf.d/10-ssl.conf",
		protocols: "ssl_min_protocol = TLSv1.2",
		ciphers:   "ssl_cipher_list = " + mozIntermediateCiphers + "\nssl_prefer_server_ciphers = no",
		cert:      "ssl_cert = </etc/ssl/certs/MAIL-fullchain.pem\nssl_key = </etc/ssl/private/MAIL.key",
		apply:     "doveconf -n > /dev/null && systemctl reload dovecot",
		versions:  "ssl_min_protocol needs Dovecot 2.3 or later (2.2: ssl_protocols = !SSLv3 !TLSv1 !TLSv1.1); TLS 1.3 needs OpenSSL 1.1.1 or later.",
	},
	{
		names: []string{"vsftpd"}, product: "vsftpd",
		where:     "/etc/vsftpd.conf",
		protocols: "ssl_sslv2=NO\nssl_sslv3=NO\nssl_tlsv1=YES",
		ciphers:   "ssl_ciphers=" + mozIntermediateCiphers,
		cert:      "rsa_cert_file=/etc/ssl/certs/FTP-fullchain.pem\nrsa_private_key_file=/etc/ssl/private/FTP.key",
		apply:     "systemctl restart vsftpd",
		versions: "vsftpd 3.0.x has no switch per TLS 1.x version: with OpenSSL 3 (Debian 12, Ubuntu 22.04 and later) TLS 1.0 and 1.1 stay off " +
			"as long as ssl_ciphers does not lower the security level (no @SECLEVEL=0).",
	},
	{
		names: []string{"postgresql", "postgres"}, product: "PostgreSQL",
		where:     "postgresql.conf (Debian: /etc/postgresql/VERSION/main/postgresql.conf)",
		protocols: "ssl_min_protocol_version = 'TLSv1.2'",
		ciphers:   "ssl_ciphers = '" + mozIntermediateCiphers + "'",
		cert:      "ssl_cert_file = '/etc/ssl/certs/DB-fullchain.pem'\nssl_key_file = '/etc/ssl/private/DB.key'",
		apply:     "sudo -u postgres psql -c 'SELECT pg_reload_conf()'",
		versions:  "ssl_min_protocol_version needs PostgreSQL 12 or later; TLS 1.3 needs OpenSSL 1.1.1 or later.",
	},
	{
		names: []string{"mariadb", "mysql"}, product: "MySQL/MariaDB",
		where:     "the [mysqld] section of the server's option file (Debian MariaDB: /etc/mysql/mariadb.conf.d/50-server.cnf; MySQL: /etc/mysql/mysql.conf.d/mysqld.cnf)",
		protocols: "tls_version = TLSv1.2,TLSv1.3",
		ciphers:   "ssl_cipher = " + mozIntermediateCiphers,
		cert:      "ssl_cert = /etc/ssl/certs/DB-fullchain.pem\nssl_key = /etc/ssl/private/DB.key",
		apply:     "systemctl restart mariadb   # or mysql",
		versions:  "tls_version needs MySQL 5.7.10 or MariaDB 10.4.6 or later; TLSv1.3 needs MySQL 8.0.16 or later, or MariaDB linked with OpenSSL 1.1.1 or later.",
	},
	{
		names: []string{"mosquitto"}, product: "Mosquitto",
		where:     "the TLS listener's block in /etc/mosquitto/conf.d/*.conf",
		protocols: "tls_version tlsv1.2",
		ciphers:   "ciphers " + mozIntermediateCiphers,
		cert:      "certfile /etc/mosquitto/certs/fullchain.pem\nkeyfile /etc/mosquitto/certs/server.key",
		apply:     "systemctl restart mosquitto",
		versions:  "In Mosquitto 2.0 and later tls_version is the minimum version, so tlsv1.2 allows TLS 1.2 and 1.3.",
	},
	{
		names: []string{"redis"}, product: "Redis",
		where:     "/etc/redis/redis.conf",
		protocols: `tls-protocols "TLSv1.2 TLSv1.3"`,
		ciphers:   "tls-ciphers " + mozIntermediateCiphers + "\ntls-prefer-server-ciphers no",
		cert:      "tls-cert-file /etc/redis/tls/fullchain.pem\ntls-key-file /etc/redis/tls/server.key",
		apply:     "systemctl restart redis-server",
		versions:  "TLS needs Redis 6.0 or later built with TLS support.",
	},
	{
		names: []string{"openldap", "slapd"}, product: "OpenLDAP",
		where:     "cn=config, with ldapmodify -Y EXTERNAL -H ldapi:/// and this LDIF",
		protocols: "dn: cn=config\nchangetype: modify\nreplace: olcTLSProtocolMin\nolcTLSProtocolMin: 3.3",
		ciphers: "dn: cn=config\nchangetype: modify\nreplace: olcTLSCipherSuite\nolcTLSCipherSuite: " + mozIntermediateCiphers +
			"\n# slapd built with GnuTLS (Debian, Ubuntu) takes a priority string instead:\n# olcTLSCipherSuite: NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305",
		cert:     "dn: cn=config\nchangetype: modify\nreplace: olcTLSCertificateFile\nolcTLSCertificateFile: /etc/ldap/tls/fullchain.pem\n-\nreplace: olcTLSCertificateKeyFile\nolcTLSCertificateKeyFile: /etc/ldap/tls/server.key",
		apply:    "systemctl restart slapd",
		versions: "olcTLSProtocolMin 3.3 means TLS 1.2; TLS 1.3 needs slapd linked with OpenSSL 1.1.1 or a GnuTLS that supports it.",
	},
}

// fixFor returns the product's fix entry, or nil when the product is unknown.
func fixFor(s *facts.Service) *tlsFix {
	words := strings.FieldsFunc(strings.ToLower(s.Product), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	for i := range tlsFixes {
		for _, n := range tlsFixes[i].names {
			if slices.Contains(words, n) {
				return &tlsFixes[i]
			}
		}
	}
	return nil
}

// tlsFixKind selects which lines a recommendation needs.
type tlsFixKind int

const (
	fixProtocols tlsFixKind = iota
	fixCiphers
	fixCert
)

// tlsRecommendation writes the fix text for a check kind: the product's
// exact lines, file and command when the product is known, a generic text
// naming the intermediate profile otherwise.
func tlsRecommendation(s *facts.Service, kind tlsFixKind) string {
	f := fixFor(s)
	if f == nil {
		switch kind {
		case fixProtocols:
			return "Allow only TLS 1.2 and TLS 1.3 (Mozilla intermediate profile) in the server's TLS settings, then reload it. " +
				"TLS 1.3 needs OpenSSL 1.1.1 or later (TLS 1.3 suites: " + mozTLS13Suites + ")."
		case fixCiphers:
			return "Offer only the Mozilla intermediate cipher list for TLS 1.2: " + mozIntermediateCiphers +
				" (TLS 1.3 suites: " + mozTLS13Suites + "), and let the client choose the order; then reload the server."
		default:
			return "" // the catalogue's fix for the certificate check
		}
	}
	var lines, what string
	switch kind {
	case fixProtocols:
		lines, what = f.protocols, "allow only TLS 1.2 and TLS 1.3"
	case fixCiphers:
		lines, what = f.ciphers, "offer only the Mozilla intermediate cipher suites"
	default:
		lines, what = f.cert, "install the new certificate (RSA 2048+ or ECDSA P-256 key, SHA-256 signature, naming every name and address clients use, issued by a trusted CA) with its intermediates"
	}
	text := fmt.Sprintf("%s: %s. In %s set:\n%s\nthen apply it: %s", f.product, what, f.where, lines, f.apply)
	if kind != fixCert && f.versions != "" {
		text += "\n" + f.versions
	}
	return text
}

// protoChecks maps accepted protocol versions to their checks.
var protoChecks = []struct {
	version, check, label string
}{
	{facts.SSLv2, "tls.protocol.sslv2", "SSLv2"},
	{facts.SSLv3, "tls.protocol.sslv3", "SSLv3"},
	{facts.TLS10, "tls.protocol.tls10", "TLS 1.0"},
	{facts.TLS11, "tls.protocol.tls11", "TLS 1.1"},
}

// versionLabel is how evidence names a facts version name.
func versionLabel(name string) string { return tlsinfo.VersionLabel(name) }

// suiteLabel names a suite for evidence: OpenSSL name (or IANA name) and
// number.
func suiteLabel(id uint32, fallback string) string {
	if s, ok := tlsinfo.Lookup(id); ok {
		return s.Label()
	}
	if fallback != "" {
		return fmt.Sprintf("%s (0x%04x)", fallback, id)
	}
	return tlsinfo.Name(id)
}

// judgeTLS judges a TLS audit: protocol versions, cipher suites and the
// certificate. It reports nothing for a service without a TLS audit.
func judgeTLS(in Input) []Hit {
	t := in.Service.TLSAudit
	if t == nil {
		return nil
	}
	var hits []Hit
	hits = append(hits, judgeTLSProtocols(in.Service, t)...)
	hits = append(hits, judgeTLSCiphers(in.Service, t)...)
	hits = append(hits, judgeTLSCert(in.Service, t, in.Now)...)
	return hits
}

func judgeTLSProtocols(s *facts.Service, t *facts.TLS) []Hit {
	var hits []Hit
	for _, pc := range protoChecks {
		v := t.Accepted(pc.version)
		if v == nil {
			continue
		}
		unit := "suites"
		if pc.version == facts.SSLv2 {
			unit = "cipher kinds"
		}
		ev := fmt.Sprintf("accepts %s with %d %s", pc.label, len(v.Suites), unit)
		if len(v.Suites) > 0 {
			ev += ", e.g. " + suiteLabel(v.Suites[0].ID, v.Suites[0].Name)
		}
		hits = append(hits, Hit{Check: pc.check, Evidence: ev, Fix: tlsRecommendation(s, fixProtocols)})
	}
	highest := ""
	for _, v := range t.Versions {
		if v.Accepted {
			highest = v.Name
		}
	}
	if highest != "" && t.Accepted(facts.TLS13) == nil {
		hits = append(hits, Hit{Check: "tls.protocol.no-tls13",
			Evidence: fmt.Sprintf("does not accept TLS 1.3; the newest version it accepts is %s", versionLabel(highest)),
			Fix:      tlsRecommendation(s, fixProtocols)})
	}
	return hits
}

// acceptedSuite is one suite and the versions it was accepted with.
type acceptedSuite struct {
	suite    tlsinfo.Suite
	known    bool
	name     string
	versions []string
}

// acceptedSuites gathers the distinct suites accepted over all versions, in
// the order first seen (oldest version first, server order within).
func acceptedSuites(t *facts.TLS) []*acceptedSuite {
	var out []*acceptedSuite
	index := map[uint32]*acceptedSuite{}
	for _, v := range t.Versions {
		if !v.Accepted {
			continue
		}
		for _, fs := range v.Suites {
			a := index[fs.ID]
			if a == nil {
				s, ok := tlsinfo.Lookup(fs.ID)
				a = &acceptedSuite{suite: s, known: ok, name: fs.Name}
				index[fs.ID] = a
				out = append(out, a)
			}
			if !slices.Contains(a.versions, v.Name) {
				a.versions = append(a.versions, v.Name)
			}
		}
	}
	return out
}

// suiteEvidence lists up to five suites (with a note each) and the
// versions they were accepted with.
func suiteEvidence(what string, list []*acceptedSuite, note func(tlsinfo.Suite) string) string {
	var labels, vers []string
	for i, a := range list {
		if i < 5 {
			l := suiteLabel(a.suite.ID, a.name)
			if n := note(a.suite); n != "" {
				l += " [" + n + "]"
			}
			labels = append(labels, l)
		}
		for _, v := range a.versions {
			if !slices.Contains(vers, v) {
				vers = append(vers, v)
			}
		}
	}
	slices.SortFunc(vers, func(a, b string) int { return versionRank(a) - versionRank(b) })
	for i := range vers {
		vers[i] = versionLabel(vers[i])
	}
	n := len(list)
	noun := "suites"
	if n == 1 {
		noun = "suite"
	}
	ev := fmt.Sprintf("accepts %d %s %s: %s", n, what, noun, strings.Join(labels, ", "))
	if n > 5 {
		ev += fmt.Sprintf(" and %d more", n-5)
	}
	return ev + " (with " + strings.Join(vers, ", ") + ")"
}

func versionRank(name string) int {
	for i, v := range []string{facts.SSLv2, facts.SSLv3, facts.TLS10, facts.TLS11, facts.TLS12, facts.TLS13} {
		if v == name {
			return i
		}
	}
	return 99
}

func judgeTLSCiphers(s *facts.Service, t *facts.TLS) []Hit {
	var anon, null, export, weak, nofs []*acceptedSuite
	for _, a := range acceptedSuites(t) {
		if !a.known {
			continue
		}
		su := a.suite
		if su.Anonymous() {
			anon = append(anon, a)
		}
		if su.Null() {
			null = append(null, a)
		}
		if su.IsExport() {
			export = append(export, a)
		}
		if su.Weak() && !su.IsExport() && !su.Null() {
			weak = append(weak, a)
		}
		if !su.ForwardSecret() && !su.Anonymous() && !su.Null() && !su.IsExport() {
			nofs = append(nofs, a)
		}
	}
	none := func(tlsinfo.Suite) string { return "" }
	fix := tlsRecommendation(s, fixCiphers)
	var hits []Hit
	if len(anon) > 0 {
		hits = append(hits, Hit{Check: "tls.cipher.anonymous", Evidence: suiteEvidence("anonymous (aNULL, no server authentication)", anon, none), Fix: fix})
	}
	if len(null) > 0 {
		hits = append(hits, Hit{Check: "tls.cipher.null", Evidence: suiteEvidence("NULL-encryption (eNULL)", null, none), Fix: fix})
	}
	if len(export) > 0 {
		hits = append(hits, Hit{Check: "tls.cipher.export", Evidence: suiteEvidence("EXPORT-grade", export, func(su tlsinfo.Suite) string {
			return fmt.Sprintf("%d-bit", su.Strength)
		}), Fix: fix})
	}
	if len(weak) > 0 {
		hits = append(hits, Hit{Check: "tls.cipher.weak", Evidence: suiteEvidence("weak", weak, weakReason), Fix: fix})
	}
	if len(nofs) > 0 {
		var kx []string
		for _, a := range nofs {
			k := string(a.suite.Kx)
			if a.suite.Kx == tlsinfo.KxSSL2RSA {
				k = string(tlsinfo.KxRSA)
			}
			if !slices.Contains(kx, k) {
				kx = append(kx, k)
			}
		}
		what := "non-forward-secret (static " + strings.Join(kx, ", ") + " key exchange)"
		hits = append(hits, Hit{Check: "tls.cipher.no-forward-secrecy", Evidence: suiteEvidence(what, nofs, none), Fix: fix})
	}
	return hits
}

// weakReason says why tlsinfo counts a suite as weak.
func weakReason(s tlsinfo.Suite) string {
	switch s.Enc {
	case tlsinfo.EncRC4:
		return "RC4"
	case tlsinfo.Enc3DES:
		return "3DES, 64-bit blocks (SWEET32)"
	case tlsinfo.EncDES:
		return "DES"
	case tlsinfo.EncIDEA:
		return "IDEA, 64-bit blocks"
	case tlsinfo.EncRC2:
		return "RC2"
	case tlsinfo.EncGOST28147:
		return "GOST 28147-89, 64-bit blocks"
	}
	return fmt.Sprintf("%d-bit", s.Strength)
}

// certName names a certificate for evidence.
func certName(c facts.Certificate) string {
	if c.Subject != "" {
		return c.Subject
	}
	return "with SHA-256 " + c.SHA256
}

// days counts the days in d, rounded to the nearest whole day.
func days(d time.Duration) int { return int(math.Round(math.Abs(d.Hours()) / 24)) }

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func judgeTLSCert(s *facts.Service, t *facts.TLS, now time.Time) []Hit {
	if len(t.Chain) == 0 {
		return nil
	}
	hits := certHits(t, now)
	// With a known product, its lines follow each check's own advice;
	// otherwise the catalogue's fix stands alone.
	if product := tlsRecommendation(s, fixCert); product != "" {
		for i := range hits {
			c, _ := Lookup(hits[i].Check)
			hits[i].Fix = c.Fix + "\n" + product
		}
	}
	return hits
}

// certHits judges the chain; the hits carry no fix. Dates are judged at
// the moment of the handshake that delivered the chain (facts.TLS.Checked),
// or at now for facts that do not record it, and the evidence quotes that
// moment beside the certificate's own date.
func certHits(t *facts.TLS, now time.Time) []Hit {
	leaf := t.Chain[0]
	at := now
	if !t.Checked.IsZero() {
		at = t.Checked
	}
	var hits []Hit
	if ev := datesEvidence(t, at); ev != "" {
		hits = append(hits, Hit{Check: "tls.cert.expired", Evidence: ev})
	} else if !leaf.NotAfter.IsZero() && leaf.NotAfter.Sub(at) <= 30*24*time.Hour {
		hits = append(hits, Hit{Check: "tls.cert.expiring",
			Evidence: fmt.Sprintf("certificate %s expires %s (%s after the scan, %s)", certName(leaf), leaf.NotAfter.Format(certDay), plural(days(leaf.NotAfter.Sub(at)), "day"), scanStamp(at))})
	}
	if !t.Trusted && !t.TrustedApartFromDates() {
		why := t.TrustError
		if why == "" {
			why = "it does not verify to a trusted root"
		}
		issuer := " issued by " + leaf.Issuer
		if leaf.Issuer == leaf.Subject {
			issuer = ""
		}
		hits = append(hits, Hit{Check: "tls.cert.untrusted",
			Evidence: fmt.Sprintf("certificate %s%s is not trusted: %s", certName(leaf), issuer, why)})
	}
	var weakKeys, weakSigs []string
	for i, c := range t.Chain {
		role := "leaf"
		if i > 0 {
			role = "chain"
		}
		switch {
		case (c.KeyAlgorithm == "RSA" || c.KeyAlgorithm == "DSA") && c.KeyBits > 0 && c.KeyBits < 2048,
			c.KeyAlgorithm == "ECDSA" && c.KeyBits > 0 && c.KeyBits < 224:
			weakKeys = append(weakKeys, fmt.Sprintf("%s certificate %s has a %d-bit %s key", role, certName(c), c.KeyBits, c.KeyAlgorithm))
		}
		root := i > 0 && c.SelfSigned
		sig := strings.ToUpper(c.SignatureAlgorithm)
		if !root && (strings.Contains(sig, "MD5") || strings.Contains(sig, "MD2") || strings.Contains(sig, "SHA1")) {
			weakSigs = append(weakSigs, fmt.Sprintf("%s certificate %s is signed with %s", role, certName(c), c.SignatureAlgorithm))
		}
	}
	if len(weakKeys) > 0 {
		hits = append(hits, Hit{Check: "tls.cert.weak-key", Evidence: strings.Join(weakKeys, "; ")})
	}
	if len(weakSigs) > 0 {
		hits = append(hits, Hit{Check: "tls.cert.weak-signature", Evidence: strings.Join(weakSigs, "; ")})
	}
	if !t.NameMatch && t.NameChecked != "" {
		hits = append(hits, Hit{Check: "tls.cert.name-mismatch",
			Evidence: fmt.Sprintf("certificate %s names %s but was reached as %s", certName(leaf), certNames(leaf), t.NameChecked)})
	}
	return hits
}

// certDay is how evidence writes a certificate's date.
const certDay = "2006-01-02"

// scanStamp is how evidence writes the moment dates were judged at.
func scanStamp(at time.Time) string { return at.UTC().Format("2006-01-02 15:04 UTC") }

// outOfPeriod reports whether c was expired or not yet valid at moment at;
// a certificate without dates (unparseable) never is.
func outOfPeriod(c facts.Certificate, at time.Time) bool {
	if c.NotAfter.IsZero() {
		return false
	}
	return at.After(c.NotAfter) || at.Before(c.NotBefore)
}

// datesEvidence words the certificates outside their validity period at
// at: the leaf always; the others only when the chain did not verify at at
// (a spare certificate the verified chain did not need is no fault) and,
// when the chain verified apart from its dates, only those valid at the
// moment it verified. It adds "chain valid apart from expiry" (or "from
// the start date") when the dates are the chain's only fault, and returns
// "" when no date is at fault.
func datesEvidence(t *facts.TLS, at time.Time) string {
	var faults []string
	expiry := false
	for i, c := range t.Chain {
		if !outOfPeriod(c, at) {
			continue
		}
		if i > 0 && (t.Trusted || (t.TrustedApartFromDates() && outOfPeriod(c, t.VerifiedAgainAt))) {
			continue
		}
		role := "certificate"
		if i > 0 {
			role = "chain certificate"
		}
		if at.After(c.NotAfter) {
			expiry = true
			faults = append(faults, fmt.Sprintf("%s %s expired %s (%s before the scan, %s)", role, certName(c), c.NotAfter.Format(certDay), plural(days(at.Sub(c.NotAfter)), "day"), scanStamp(at)))
		} else {
			faults = append(faults, fmt.Sprintf("%s %s is not valid before %s (%s after the scan, %s)", role, certName(c), c.NotBefore.Format(certDay), plural(days(c.NotBefore.Sub(at)), "day"), scanStamp(at)))
		}
	}
	if !t.TrustedApartFromDates() {
		return strings.Join(faults, "; ")
	}
	if len(faults) == 0 {
		// Facts judged at another moment than at: their own words.
		return t.TrustError
	}
	apart := "chain valid apart from the start date"
	if expiry {
		apart = "chain valid apart from expiry"
	}
	return strings.Join(faults, "; ") + "; " + apart
}

// certNames lists the names a certificate covers, for evidence.
func certNames(c facts.Certificate) string {
	var names []string
	for _, n := range c.DNSNames {
		names = append(names, "DNS:"+n)
	}
	for _, ip := range c.IPAddresses {
		names = append(names, "IP:"+ip)
	}
	if len(names) == 0 {
		return "no subjectAltName (only " + c.Subject + ")"
	}
	if len(names) > 8 {
		names = append(names[:8], fmt.Sprintf("and %d more", len(names)-8))
	}
	return strings.Join(names, ", ")
}
