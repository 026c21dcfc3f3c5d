package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// tlsDeepChecks are the checks judged from the TLS vulnerability probes
// (facts.TLSProbes) and from the leaf certificate's extensions. Severities
// follow testssl.sh's verdicts: an exploitable flaw that reads memory or
// keys is critical or high, a precondition that needs more is lower.
var tlsDeepChecks = []Check{
	{ID: "tls.heartbleed", Severity: finding.Critical, Title: "TLS server leaks memory (Heartbleed, CVE-2014-0160)",
		Rationale: "A heartbeat request claiming more payload than it carries is answered with the server's memory: private keys, session keys and passwords leak to anyone, without a trace in the logs.",
		Fix:       "Upgrade OpenSSL to 1.0.1g or later (any maintained release), restart every service linked with it, then replace the certificate's key and revoke the old certificate: it must be assumed stolen.", Frameworks: fwVulnTLS},
	{ID: "tls.ccs-injection", Severity: finding.High, Title: "TLS server accepts an early ChangeCipherSpec (CCS injection, CVE-2014-0224)",
		Rationale: "A man in the middle can make both ends use keys derived from an empty master secret, then read and change the traffic.",
		Fix:       "Upgrade OpenSSL to 1.0.1h / 1.0.0m / 0.9.8za or later (any maintained release) and restart every service linked with it.", Frameworks: fwVulnTLS},
	{ID: "tls.robot", Severity: finding.High, Title: "TLS server is a Bleichenbacher padding oracle (ROBOT)",
		Rationale: "Answers that differ with the RSA key exchange's padding let an attacker decrypt recorded sessions and sign with the server's key, with some ten thousand connections.",
		Fix:       "Disable RSA key-exchange suites (keep ECDHE ones: Mozilla intermediate profile) and update the TLS stack or appliance firmware to a release fixing ROBOT.", Frameworks: fwVulnTLS},
	{ID: "tls.renegotiation.insecure", Severity: finding.High, Title: "TLS server lacks secure renegotiation (RFC 5746)",
		Rationale: "Without the renegotiation_info extension a man in the middle can splice its own request in front of a client's authenticated session (CVE-2009-3555).",
		Fix:       "Upgrade the TLS library to a release supporting RFC 5746 (OpenSSL 0.9.8m or later; every maintained release does).", Frameworks: fwVulnTLS},
	{ID: "tls.renegotiation.client-initiated", Severity: finding.Medium, Title: "TLS server renegotiates at the client's request",
		Rationale: "Each renegotiation costs the server far more than the client: one client can exhaust the server's CPU (a denial of service, CVE-2011-1473).",
		Fix:       "Turn off client-initiated renegotiation: OpenSSL 3.0 and later refuse it unless the program sets SSL_OP_ALLOW_CLIENT_RENEGOTIATION (remove ClientRenegotiation from Options in openssl.cnf; in stunnel remove options = ALLOW_CLIENT_RENEGOTIATION; never run openssl s_server -client_renegotiation as a service); older OpenSSL and other TLS libraries allow it by default: upgrade them, or set the server's own option (nginx never allows it; Apache httpd refuses it except for per-directory SSLVerifyClient and SSLCipherSuite, which need it).", Frameworks: fwVulnTLS},
	{ID: "tls.compression", Severity: finding.High, Title: "TLS compression is on (CRIME)",
		Rationale: "Compressed TLS records leak the size of repeated secrets: an attacker who can inject requests recovers cookies and tokens byte by byte (CRIME).",
		Fix:       "Turn TLS compression off: OpenSSL 1.1.0 and later have it off by default (SSL_OP_NO_COMPRESSION); in Apache httpd set SSLCompression off.", Frameworks: fwVulnTLS},
	{ID: "tls.breach", Severity: finding.Info, Title: "HTTPS answers with compressed bodies (BREACH preconditions)",
		Rationale: "HTTP compression over TLS leaks the size of secrets reflected in a page next to attacker-controlled input (BREACH); it matters only for pages that carry secrets such as CSRF tokens.",
		Fix:       "For pages that carry secrets, turn HTTP compression off or mask the secrets per response (random CSRF token masking); keep compression for static files.", Frameworks: fwVulnTLS},
	{ID: "tls.dh.weak", Severity: finding.High, Title: "TLS server uses a weak Diffie-Hellman group (Logjam)",
		Rationale: "DHE with a prime under 2048 bits can be broken by a well-funded attacker (1024 bits) or today (512 bits, Logjam), exposing every session that used it.",
		Fix:       "Use a 2048-bit or larger DH group (an RFC 7919 ffdhe group) or drop DHE suites in favour of ECDHE.", Frameworks: fwVulnTLS},
	{ID: "tls.drown", Severity: finding.High, Title: "Certificate key is exposed through SSLv2 (DROWN)",
		Rationale: "A server that speaks SSLv2 with a key lets an attacker decrypt TLS sessions made with the same key, on this or any other service that shares it (CVE-2016-0800).",
		Fix:       "Disable SSLv2 on every service that uses this key, or give those services different keys.", Frameworks: fwVulnTLS},
	{ID: "tls.fallback-scsv.missing", Severity: finding.Medium, Title: "TLS server ignores TLS_FALLBACK_SCSV (downgrade protection)",
		Rationale: "A server that accepts a hello marked as a fallback at a lower version than it supports lets a man in the middle push clients that retry down to an older protocol (POODLE-style downgrades).",
		Fix:       "Update the TLS library (OpenSSL 1.0.1j or later supports RFC 7507), or accept only TLS 1.2 and 1.3 so that there is nothing weak to fall back to.", Frameworks: fwVulnTLS},
	{ID: "tls.ocsp-stapling.missing", Severity: finding.Low, Title: "TLS server does not staple OCSP responses",
		Rationale: "The certificate names an OCSP responder, but the server sends no stapled response: clients must ask the CA themselves (slower, and telling the CA who visits) or skip the revocation check.",
		Fix:       "Turn OCSP stapling on (nginx: ssl_stapling on; ssl_stapling_verify on; with a resolver; Apache httpd: SSLUseStapling on with SSLStaplingCache).", Frameworks: fwCert},
	{ID: "tls.cert.key-usage", Severity: finding.Medium, Title: "Certificate's key usage does not allow a TLS server",
		Rationale: "A leaf whose keyUsage lacks digitalSignature and keyEncipherment, or whose extendedKeyUsage lacks serverAuth, is refused by clients that check, and is not meant for this use.",
		Fix:       "Reissue the certificate with keyUsage digitalSignature (and keyEncipherment for RSA) and extendedKeyUsage serverAuth.", Frameworks: fwCert},
	{ID: "tls.cert.no-san", Severity: finding.Medium, Title: "Certificate has no subjectAltName",
		Rationale: "Browsers and current TLS libraries match names only against subjectAltName (RFC 6125, CA/B Forum); a certificate naming the server in its common name alone is refused.",
		Fix:       "Reissue the certificate with a subjectAltName listing every DNS name and IP address clients use (openssl req … -addext \"subjectAltName=DNS:host.example,IP:192.0.2.10\").", Frameworks: fwCert},
}

// fwVulnTLS are the controls a TLS implementation flaw gives evidence for.
var fwVulnTLS = []string{hipaaTransmission, hipaaEncryption, gdprEncryption, cisEncryptTransit, cisPatchApps, pciStrongCrypto, pciPatches}

// deepFixes are product-specific fixes by tlsFix.product, per check.
var deepFixes = map[string]map[string]string{
	"tls.dh.weak": {
		"nginx":        "nginx: generate a 2048-bit group (openssl dhparam -out /etc/nginx/dhparam.pem 2048) and set ssl_dhparam /etc/nginx/dhparam.pem; in the server block, or drop DHE from ssl_ciphers; then nginx -t && systemctl reload nginx",
		"Apache httpd": "Apache httpd: append a 2048-bit group to the certificate file (openssl dhparam 2048 >> /etc/ssl/certs/SITE.crt) or drop DHE from SSLCipherSuite; then apachectl configtest && systemctl reload apache2",
	},
	"tls.ocsp-stapling.missing": {
		"nginx":        "nginx: in the server block set ssl_stapling on; ssl_stapling_verify on; ssl_trusted_certificate /etc/ssl/certs/SITE-chain.pem; resolver 127.0.0.53; then nginx -t && systemctl reload nginx",
		"Apache httpd": "Apache httpd: set SSLUseStapling on in the <VirtualHost> and SSLStaplingCache shmcb:/var/run/ocsp(128000) outside it; then apachectl configtest && systemctl reload apache2",
	},
	"tls.renegotiation.client-initiated": {
		"nginx":        "nginx refuses client-initiated renegotiation itself (since 0.8.23): upgrade nginx and the OpenSSL it is linked with (apt install --only-upgrade nginx libssl3), and make sure no TLS proxy in front of it (stunnel, HAProxy) is the one answering; then systemctl restart nginx",
		"Apache httpd": "Apache httpd: remove per-directory SSLVerifyClient and SSLCipherSuite from <Directory>/<Location> blocks (move them to the <VirtualHost>), upgrade httpd and OpenSSL (apt install --only-upgrade apache2 libssl3); then apachectl configtest && systemctl reload apache2",
	},
	"tls.compression": {
		"Apache httpd": "Apache httpd: set SSLCompression off; then apachectl configtest && systemctl reload apache2",
	},
	"tls.breach": {
		"nginx":        "nginx: set gzip off; in the locations that serve pages with secrets (keep it for static files); then nginx -t && systemctl reload nginx",
		"Apache httpd": "Apache httpd: SetEnv no-gzip 1 in the <Location> that serves pages with secrets; then apachectl configtest && systemctl reload apache2",
	},
}

// deepFix is the product's fix for check, or "" for the catalogue's.
func deepFix(s *facts.Service, check string) string {
	if f := fixFor(s); f != nil {
		return deepFixes[check][f.product]
	}
	return ""
}

// judgeTLSDeep judges the vulnerability probes and the leaf certificate's
// extensions of one TLS service, and DROWN across the scan's services.
func judgeTLSDeep(in Input) []Hit {
	s := in.Service
	t := s.TLSAudit
	if t == nil {
		return nil
	}
	var hits []Hit
	hit := func(id, ev string) { hits = append(hits, Hit{Check: id, Evidence: ev, Fix: deepFix(s, id)}) }
	if p := t.Probes; p != nil {
		if p.Heartbleed.Is() {
			hit("tls.heartbleed", p.Heartbleed.Evidence)
		}
		if p.CCSInjection.Is() {
			hit("tls.ccs-injection", p.CCSInjection.Evidence)
		}
		if p.ROBOT.Is() {
			hit("tls.robot", p.ROBOT.Evidence)
		}
		if p.SecureRenegotiation.IsNot() {
			hit("tls.renegotiation.insecure", p.SecureRenegotiation.Evidence)
		}
		if p.ClientRenegotiation.Is() {
			hit("tls.renegotiation.client-initiated", p.ClientRenegotiation.Evidence)
		}
		if p.Compression.Is() {
			hit("tls.compression", p.Compression.Evidence)
		}
		if p.HTTPCompression.Is() {
			hit("tls.breach", p.HTTPCompression.Evidence)
		}
		if p.DH.Is() && p.DHBits > 0 && p.DHBits < 2048 {
			h := Hit{Check: "tls.dh.weak", Evidence: p.DH.Evidence + " (under 2048 bits)", Fix: deepFix(s, "tls.dh.weak")}
			if p.DHBits > 1024 {
				h.Severity = finding.Medium
				h.Evidence += "; medium: over 1024 bits, beyond today's precomputation attacks"
			}
			hits = append(hits, h)
		}
		if p.FallbackSCSV.IsNot() {
			hit("tls.fallback-scsv.missing", p.FallbackSCSV.Evidence)
		}
		if p.OCSPStapling.IsNot() && len(t.Chain) > 0 && t.Chain[0].OCSP {
			hit("tls.ocsp-stapling.missing", p.OCSPStapling.Evidence+"; the certificate names an OCSP responder")
		}
	}
	if ev := drownEvidence(in, s); ev != "" {
		hit("tls.drown", ev)
	}
	if len(t.Chain) > 0 {
		leaf := t.Chain[0]
		if ev := keyUsageProblem(leaf); ev != "" {
			hit("tls.cert.key-usage", ev)
		}
		// KeySHA256 is set only when the leaf parsed (and by audits that
		// record subjectAltName at all).
		if len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 && !leaf.IsCA && leaf.KeySHA256 != "" {
			hit("tls.cert.no-san", "the certificate ("+certName(leaf)+") has no subjectAltName: no DNS name or IP address")
		}
	}
	return hits
}

// keyUsageProblem says why leaf's key usages do not allow a TLS server, or
// "".
func keyUsageProblem(leaf facts.Certificate) string {
	var why []string
	if len(leaf.KeyUsage) > 0 && !slices.Contains(leaf.KeyUsage, "digitalSignature") && !slices.Contains(leaf.KeyUsage, "keyEncipherment") && !slices.Contains(leaf.KeyUsage, "keyAgreement") {
		why = append(why, "keyUsage "+strings.Join(leaf.KeyUsage, ", ")+" lacks digitalSignature and keyEncipherment")
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, "serverAuth") && !slices.Contains(leaf.ExtKeyUsage, "any") {
		why = append(why, "extendedKeyUsage "+strings.Join(leaf.ExtKeyUsage, ", ")+" lacks serverAuth")
	}
	if len(why) == 0 {
		return ""
	}
	return "the certificate (" + certName(leaf) + "): " + strings.Join(why, "; ")
}

// drownEvidence says why s is exposed to DROWN: it speaks SSLv2 itself, or
// another service of the scan (of the host alone when the input holds no
// scan-wide index) speaks SSLv2 with the same certificate key.
func drownEvidence(in Input, s *facts.Service) string {
	t := s.TLSAudit
	if t.Accepted(facts.SSLv2) != nil {
		return "the service accepts SSLv2 connections with its certificate key"
	}
	if len(t.Chain) == 0 || t.Chain[0].KeySHA256 == "" {
		return ""
	}
	key := t.Chain[0].KeySHA256
	places := in.sslv2[key]
	if in.sslv2 == nil && in.Host != nil {
		places = sslv2Keys([]facts.Host{*in.Host})[key]
	}
	var others []string
	for _, p := range places {
		if in.Host != nil {
			p = strings.TrimPrefix(p, in.Host.Address+":") // the host's own ports by number alone
		}
		others = append(others, p)
	}
	if len(others) == 0 {
		return ""
	}
	return "the certificate key (SHA-256 " + key[:min(16, len(key))] + "…) is also used by " + strings.Join(others, ", ") + ", which accepts SSLv2"
}

// sslv2Keys indexes the services of hosts that accept SSLv2 by their
// certificate key's SHA-256: "address:port/transport" each.
func sslv2Keys(hosts []facts.Host) map[string][]string {
	m := map[string][]string{}
	for hi := range hosts {
		h := &hosts[hi]
		for si := range h.Services {
			o := &h.Services[si]
			if o.TLSAudit == nil || len(o.TLSAudit.Chain) == 0 || o.TLSAudit.Chain[0].KeySHA256 == "" || o.TLSAudit.Accepted(facts.SSLv2) == nil {
				continue
			}
			k := o.TLSAudit.Chain[0].KeySHA256
			m[k] = append(m[k], fmt.Sprintf("%s:%d/%s", h.Address, o.Port, o.Transport))
		}
	}
	return m
}
