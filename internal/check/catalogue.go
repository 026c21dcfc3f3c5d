package check

import (
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// Framework control references, written as they appear in findings
// (defined in package module, for protocol packages too).
const (
	hipaaTransmission = module.HIPAATransmission
	hipaaEncryption   = module.HIPAAEncryption
	hipaaAccess       = module.HIPAAAccess
	hipaaAuth         = module.HIPAAAuth
	hipaaRisk         = module.HIPAARisk
	hipaaRiskMgmt     = module.HIPAARiskMgmt
	gdprEncryption    = module.GDPREncryption
	gdprConfidential  = module.GDPRConfidential
	gdprByDesign      = module.GDPRByDesign
	cisEncryptTransit = module.CISEncryptTransit
	cisSecureConfig   = module.CISSecureConfig
	cisServerFirewall = module.CISServerFirewall
	cisDefaultAccts   = module.CISDefaultAccts
	cisUnneeded       = module.CISUnneeded
	cisPasswords      = module.CISPasswords
	cisAccessControl  = module.CISAccessControl
	cisVulnMgmt       = module.CISVulnMgmt
	cisPatchApps      = module.CISPatchApps
	cisNetArch        = module.CISNetArch
	cisSecureMgmt     = module.CISSecureMgmt
	pciServices       = module.PCIServices
	pciDefaults       = module.PCIDefaults
	pciAdminEncrypt   = module.PCIAdminEncrypt
	pciStrongCrypto   = module.PCIStrongCrypto
	pciAuth           = module.PCIAuth
	pciPatches        = module.PCIPatches
	pciNetControls    = module.PCINetControls
	pciDataNotDirect  = module.PCIDataNotDirect
	cisSoftwareInv    = module.CISSoftwareInv
	pciInternalScan   = module.PCIInternalScan
)

var (
	fwTransport   = module.FwTransport()
	fwAdminCrypto = []string{hipaaTransmission, hipaaEncryption, gdprEncryption, cisEncryptTransit, pciAdminEncrypt, pciStrongCrypto}
	fwCert        = []string{hipaaTransmission, hipaaAuth, gdprEncryption, cisEncryptTransit, pciStrongCrypto}
	fwNoAuth      = module.FwNoAuth()
	fwDefaults    = module.FwDefaults()
	fwPassword    = []string{hipaaAuth, gdprConfidential, cisPasswords, cisSecureConfig, pciAuth}
	fwUnneeded    = module.FwUnneeded()
	fwExposure    = []string{hipaaAccess, gdprConfidential, cisServerFirewall, cisNetArch, cisSecureMgmt, pciNetControls}
	fwDBExposed   = []string{hipaaAccess, gdprConfidential, cisServerFirewall, cisNetArch, pciDataNotDirect}
	fwVuln        = []string{hipaaRisk, hipaaRiskMgmt, "GDPR 32(1)(d)", cisVulnMgmt, cisPatchApps, pciPatches}
	fwFirewall    = []string{hipaaAccess, gdprConfidential, cisServerFirewall, pciNetControls}
	fwCoverage    = []string{hipaaRisk, cisSoftwareInv, pciInternalScan}
)

// coreChecks are the checks of the first catalogue, in the order
// `vigil checks` lists them. IDs are normative (../shared/DESIGN.md).
var coreChecks = []Check{
	// TLS protocol versions.
	{ID: "tls.protocol.sslv2", Severity: finding.Critical, Title: "Server accepts SSL 2.0",
		Rationale: "SSL 2.0 is broken (DROWN, CVE-2016-0800): an eavesdropper can decrypt traffic.",
		Fix:       "Disable SSLv2 and allow only TLS 1.2 and TLS 1.3 in the server's TLS settings.", Frameworks: fwTransport},
	{ID: "tls.protocol.sslv3", Severity: finding.Critical, Title: "Server accepts SSL 3.0",
		Rationale: "SSL 3.0 is broken (POODLE, CVE-2014-3566): an attacker on the path can decrypt traffic.",
		Fix:       "Disable SSLv3 and allow only TLS 1.2 and TLS 1.3 in the server's TLS settings.", Frameworks: fwTransport},
	{ID: "tls.protocol.tls10", Severity: finding.High, Title: "Server accepts TLS 1.0",
		Rationale: "TLS 1.0 is deprecated (RFC 8996): it relies on SHA-1 and CBC constructions with known attacks (BEAST).",
		Fix:       "Allow only TLS 1.2 and TLS 1.3.", Frameworks: fwTransport},
	{ID: "tls.protocol.tls11", Severity: finding.High, Title: "Server accepts TLS 1.1",
		Rationale: "TLS 1.1 is deprecated (RFC 8996) and no longer meets HIPAA, PCI DSS or NIST SP 800-52r2 guidance.",
		Fix:       "Allow only TLS 1.2 and TLS 1.3.", Frameworks: fwTransport},
	{ID: "tls.protocol.no-tls13", Severity: finding.Low, Title: "Server does not offer TLS 1.3",
		Rationale: "TLS 1.3 removes legacy algorithms and always gives forward secrecy; modern clients prefer it.",
		Fix:       "Enable TLS 1.3 alongside TLS 1.2 (needs OpenSSL 1.1.1 or later).", Frameworks: fwTransport},
	// TLS cipher suites.
	{ID: "tls.cipher.anonymous", Severity: finding.Critical, Title: "Server accepts anonymous cipher suites",
		Rationale: "Anonymous (aNULL) suites do not authenticate the server: anyone on the path can impersonate it.",
		Fix:       "Remove aNULL suites: use the Mozilla intermediate cipher list.", Frameworks: fwTransport},
	{ID: "tls.cipher.null", Severity: finding.Critical, Title: "Server accepts NULL-encryption cipher suites",
		Rationale: "NULL suites send data unencrypted inside TLS records.",
		Fix:       "Remove eNULL suites: use the Mozilla intermediate cipher list.", Frameworks: fwTransport},
	{ID: "tls.cipher.export", Severity: finding.Critical, Title: "Server accepts EXPORT cipher suites",
		Rationale: "EXPORT suites use 40- or 56-bit keys that can be broken in hours (FREAK, Logjam).",
		Fix:       "Remove EXPORT suites: use the Mozilla intermediate cipher list.", Frameworks: fwTransport},
	{ID: "tls.cipher.weak", Severity: finding.High, Title: "Server accepts weak cipher suites",
		Rationale: "RC4, DES, 3DES (SWEET32) and other suites under 128 bits can be broken or have practical attacks.",
		Fix:       "Remove RC4, DES, 3DES, IDEA and all suites under 128 bits: use the Mozilla intermediate cipher list.", Frameworks: fwTransport},
	{ID: "tls.cipher.no-forward-secrecy", Severity: finding.Medium, Title: "Server accepts cipher suites without forward secrecy",
		Rationale: "With static RSA or DH key exchange, whoever obtains the server key later can decrypt recorded traffic.",
		Fix:       "Offer only ECDHE and DHE key exchange: use the Mozilla intermediate cipher list.", Frameworks: fwTransport},
	// Certificates.
	{ID: "tls.cert.expired", Severity: finding.High, Title: "Certificate is expired or not yet valid",
		Rationale: "Clients reject or warn about an out-of-date certificate; users learn to click through warnings. " +
			"Dates are judged at the moment of the scan's handshake; the evidence quotes that moment and the certificate's own date, and says \"chain valid apart from expiry\" when the chain verifies once the dates are set aside.",
		Fix: "Renew the certificate (for example with certbot renew) and reload the server.", Frameworks: fwCert},
	{ID: "tls.cert.expiring", Severity: finding.Medium, Title: "Certificate expires within 30 days",
		Rationale: "An expiring certificate will break connections soon.",
		Fix:       "Renew the certificate now and automate renewal (certbot's timer or an ACME client).", Frameworks: fwCert},
	{ID: "tls.cert.untrusted", Severity: finding.Medium, Title: "Certificate chain is not trusted",
		Rationale: "A chain that does not verify (self-signed, unknown CA, missing intermediate) cannot be told apart from an impostor's. " +
			"A chain whose only fault is an expired or not yet valid certificate is reported as tls.cert.expired alone.",
		Fix: "Install a certificate from a trusted CA (or your internal CA, distributed to clients) with its full chain.", Frameworks: fwCert},
	{ID: "tls.cert.weak-key", Severity: finding.High, Title: "Certificate key is too small",
		Rationale: "RSA and DSA keys under 2048 bits and EC keys under 224 bits can be factored or broken with feasible effort.",
		Fix:       "Issue a new certificate with an RSA 2048+ or ECDSA P-256 key.", Frameworks: fwCert},
	{ID: "tls.cert.weak-signature", Severity: finding.High, Title: "Certificate is signed with MD5 or SHA-1",
		Rationale: "MD5 and SHA-1 signatures can be forged by collision attacks (SHAttered).",
		Fix:       "Reissue the certificate signed with SHA-256 or stronger.", Frameworks: fwCert},
	{ID: "tls.cert.name-mismatch", Severity: finding.Medium, Title: "Certificate does not name the host",
		Rationale: "Clients cannot tell the server is the one they asked for; they will warn or refuse.",
		Fix:       "Issue a certificate whose subjectAltName lists every name and address clients use.", Frameworks: fwCert},
	// SSH.
	{ID: "ssh.protocol.v1", Severity: finding.Critical, Title: "SSH server offers protocol version 1",
		Rationale: "SSH-1 has fundamental flaws (CRC-32 compensation attack, session hijacking).",
		Fix:       "Upgrade to a server that speaks only SSH-2 (OpenSSH 7.4 and later have no SSH-1 support).", Frameworks: fwAdminCrypto},
	{ID: "ssh.kex.weak", Severity: finding.High, Title: "SSH server offers weak key exchange",
		Rationale: "SHA-1 based and 1024-bit Diffie-Hellman key exchanges are within reach of well-funded attackers (Logjam).",
		Fix:       "Offer only curve25519-sha256, ecdh-sha2-nistp256/384/521 and diffie-hellman-group16/18-sha512.", Frameworks: fwAdminCrypto},
	{ID: "ssh.cipher.weak", Severity: finding.High, Title: "SSH server offers weak ciphers",
		Rationale: "CBC mode (plaintext recovery), 3DES, arcfour, blowfish and cast are obsolete.",
		Fix:       "Offer only chacha20-poly1305@openssh.com, aes256-gcm@openssh.com, aes128-gcm@openssh.com and aes256/192/128-ctr.", Frameworks: fwAdminCrypto},
	{ID: "ssh.mac.weak", Severity: finding.Medium, Title: "SSH server offers weak MACs",
		Rationale: "MD5, SHA-1, 96-bit and 64-bit MACs give weak integrity protection.",
		Fix:       "Offer only hmac-sha2-256-etm@openssh.com, hmac-sha2-512-etm@openssh.com and umac-128-etm@openssh.com.", Frameworks: fwAdminCrypto},
	{ID: "ssh.hostkey.weak", Severity: finding.High, Title: "SSH host key is weak",
		Rationale: "DSA keys, RSA keys under 2048 bits and RSA signatures with SHA-1 only let an attacker impersonate the server.",
		Fix:       "Use Ed25519 and RSA 3072+ host keys, and offer rsa-sha2-256/512 signatures.", Frameworks: fwAdminCrypto},
	{ID: "ssh.auth.password", Severity: finding.Medium, Title: "SSH server accepts password authentication",
		Rationale: "Passwords can be guessed or phished; keys cannot be brute-forced over the network.",
		Fix:       "Use public-key authentication and set PasswordAuthentication no and KbdInteractiveAuthentication no.", Frameworks: fwPassword},
	{ID: "ssh.terrapin", Severity: finding.Medium, Title: "SSH server is exposed to the Terrapin attack",
		Rationale: "CVE-2023-48795: with ChaCha20-Poly1305 or an EtM MAC and no strict key exchange, an attacker on the path can drop messages and downgrade security extensions.",
		Fix:       "Upgrade to OpenSSH 9.6 or later (strict key exchange), or remove chacha20-poly1305@openssh.com and *-etm@openssh.com MACs.", Frameworks: fwAdminCrypto},
	// Cleartext protocols.
	{ID: "cleartext.telnet", Severity: finding.Critical, Title: "Telnet service in use",
		Rationale: "Telnet sends passwords and every keystroke in cleartext.",
		Fix:       "Stop and remove the Telnet service; use SSH instead.", Frameworks: fwAdminCrypto,
		Examines: named(proto.Telnet), Needs: "a Telnet service"},
	{ID: "cleartext.ftp", Severity: finding.High, Title: "FTP without TLS",
		Rationale: "Plain FTP sends passwords and files in cleartext.",
		Fix:       "Enable FTPS (AUTH TLS) and require it, or replace FTP with SFTP.", Frameworks: fwTransport},
	{ID: "cleartext.http-auth", Severity: finding.High, Title: "Credentials requested over plain HTTP",
		Rationale: "Basic and form logins over HTTP send the password in cleartext; Digest can be attacked offline.",
		Fix:       "Serve the site over HTTPS and redirect HTTP to it.", Frameworks: fwTransport},
	{ID: "cleartext.smtp", Severity: finding.High, Title: "SMTP without STARTTLS, or login before TLS",
		Rationale: "Mail and passwords cross the network in cleartext.",
		Fix:       "Offer STARTTLS and allow AUTH only after TLS.", Frameworks: fwTransport},
	{ID: "cleartext.imap", Severity: finding.High, Title: "IMAP without STARTTLS, or login before TLS",
		Rationale: "Mailbox contents and passwords cross the network in cleartext.",
		Fix:       "Offer STARTTLS (or IMAPS on 993) and refuse plaintext login before TLS.", Frameworks: fwTransport},
	{ID: "cleartext.pop3", Severity: finding.High, Title: "POP3 without STARTTLS, or login before TLS",
		Rationale: "Mail and passwords cross the network in cleartext.",
		Fix:       "Offer STLS (or POP3S on 995) and refuse plaintext login before TLS.", Frameworks: fwTransport},
	{ID: "cleartext.ldap", Severity: finding.High, Title: "LDAP without StartTLS",
		Rationale: "Directory data and bind passwords cross the network in cleartext.",
		Fix:       "Configure a certificate so StartTLS works (or use LDAPS) and require it for binds.", Frameworks: fwTransport},
	{ID: "cleartext.postgresql", Severity: finding.High, Title: "PostgreSQL without TLS",
		Rationale: "The server refuses SSLRequest, so queries, results and passwords travel in cleartext.",
		Fix:       "Set ssl = on with ssl_cert_file and ssl_key_file, and use hostssl lines in pg_hba.conf.", Frameworks: fwTransport},
	{ID: "cleartext.mysql", Severity: finding.High, Title: "MySQL/MariaDB without TLS",
		Rationale: "The server does not offer TLS, so queries, results and passwords travel in cleartext.",
		Fix:       "Configure ssl_cert and ssl_key (and require_secure_transport = ON).", Frameworks: fwTransport},
	{ID: "cleartext.redis", Severity: finding.High, Title: "Redis speaks in cleartext",
		Rationale: "Redis commands, data and AUTH passwords cross the network unencrypted.",
		Fix:       "Bind Redis to loopback, or enable TLS (tls-port, Redis 6+) and disable the plain port.", Frameworks: fwTransport,
		Examines: named(proto.Redis), Needs: "a Redis service"},
	{ID: "cleartext.memcached", Severity: finding.High, Title: "memcached speaks in cleartext",
		Rationale: "Cached data crosses the network unencrypted.",
		Fix:       "Bind memcached to loopback (-l 127.0.0.1), or enable TLS (memcached 1.5.13+, -Z).", Frameworks: fwTransport,
		Examines: named(proto.Memcached), Needs: "a memcached service"},
	{ID: "cleartext.mqtt", Severity: finding.High, Title: "MQTT speaks in cleartext",
		Rationale: "Messages and credentials cross the network unencrypted.",
		Fix:       "Use an MQTT listener with TLS (port 8883) and close the plain listener.", Frameworks: fwTransport,
		Examines: named(proto.MQTT), Needs: "an MQTT broker"},
	{ID: "cleartext.snmp", Severity: finding.High, Title: "SNMP v1/v2c answers",
		Rationale: "SNMP v1 and v2c authenticate with a cleartext community string and do not encrypt.",
		Fix:       "Use SNMPv3 with authPriv (SHA and AES) and disable v1/v2c communities.", Frameworks: fwTransport},
	{ID: "cleartext.vnc", Severity: finding.High, Title: "VNC without encryption",
		Rationale: "Classic VNC encrypts neither the screen nor the keyboard; its password scheme is weak.",
		Fix:       "Tunnel VNC through SSH or use a server with VeNCrypt/TLS, and bind it to loopback.", Frameworks: fwAdminCrypto},
	// Missing or default authentication.
	{ID: "auth.none.redis", Severity: finding.Critical, Title: "Redis answers without a password",
		Rationale: "Anyone who reaches the port can read, change or delete all data, and often run code on the host.",
		Fix:       "Set requirepass (or ACL users) and bind Redis to the addresses that need it.", Frameworks: fwNoAuth},
	{ID: "auth.none.memcached", Severity: finding.Critical, Title: "memcached answers without authentication",
		Rationale: "Anyone who reaches the port can read and change every cached item.",
		Fix:       "Bind memcached to loopback, or enable SASL (-S).", Frameworks: fwNoAuth},
	{ID: "auth.none.mongodb", Severity: finding.Critical, Title: "MongoDB answers without authentication",
		Rationale: "Anyone who reaches the port can read and change every database.",
		Fix:       "Enable security.authorization and create users; bind to the addresses that need it.", Frameworks: fwNoAuth},
	{ID: "auth.none.elasticsearch", Severity: finding.Critical, Title: "Elasticsearch answers without authentication",
		Rationale: "Anyone who reaches the port can read and change every index.",
		Fix:       "Enable xpack.security with passwords and TLS.", Frameworks: fwNoAuth},
	{ID: "auth.none.docker", Severity: finding.Critical, Title: "Docker API answers without authentication",
		Rationale: "The Docker API gives root on the host to whoever reaches it.",
		Fix:       "Remove the tcp:// listener from dockerd, or protect it with TLS client certificates (--tlsverify).", Frameworks: fwNoAuth},
	{ID: "auth.none.mqtt", Severity: finding.Critical, Title: "MQTT broker accepts anonymous clients",
		Rationale: "Anyone who reaches the broker can read and publish every message.",
		Fix:       "Set allow_anonymous false and configure a password file or certificates.", Frameworks: fwNoAuth},
	{ID: "auth.anonymous.ftp", Severity: finding.High, Title: "Anonymous FTP login accepted",
		Rationale: "Anyone can read (and maybe write) files on the FTP server.",
		Fix:       "Disable anonymous login.", Frameworks: fwNoAuth},
	{ID: "auth.default.snmp", Severity: finding.High, Title: "SNMP accepts a default community",
		Rationale: "The communities public and private are the first anyone tries; they expose system details and sometimes write access.",
		Fix:       "Remove the public and private communities; use SNMPv3 users.", Frameworks: fwDefaults},
	// Ports and exposure.
	{ID: "port.open-unused", Severity: finding.Medium, Title: "Port is open but unused",
		Rationale: "A listener nobody uses only adds attack surface.",
		Fix:       "Stop and disable the service, bind it to loopback, or block the port in the firewall.", Frameworks: fwUnneeded},
	{ID: "port.allowed-no-listener", Severity: finding.Low, Title: "Firewall allows a port nothing listens on",
		Rationale: "A stale firewall rule lets in whatever starts on that port next.",
		Fix:       "Remove the firewall rule that accepts the port.", Frameworks: fwFirewall},
	{ID: "exposure.admin", Severity: finding.High, Title: "Administration service reachable from an untrusted network",
		Rationale: "SSH, RDP, VNC, Telnet, WinRM and the Docker API are the first things attackers try; they belong behind a VPN or an allow-list.",
		Fix:       "Allow the port only from management addresses (firewall) or reach it over a VPN.", Frameworks: fwExposure},
	{ID: "exposure.database", Severity: finding.High, Title: "Database or cache reachable from an untrusted network",
		Rationale: "Databases and caches should only be reachable by the applications that use them.",
		Fix:       "Bind the service to loopback or a private interface and allow only application servers in the firewall.", Frameworks: fwDBExposed},
	// Judged by package vuln against the vulnerability database; the
	// severity of each finding is its worst vulnerability's.
	{ID: "vuln.known", Severity: finding.High, Title: "Software version with known vulnerabilities",
		Rationale: "The version a server announces, or a package installed, is affected by published vulnerabilities its distribution or vendor has fixed in a later version.",
		Fix:       "Upgrade to the fixed version named in the finding (apt-get update && apt-get install --only-upgrade PACKAGE on Debian).", Frameworks: fwVuln},
	// Host configuration.
	{ID: "ssh.config.root-login", Severity: finding.Medium, Title: "sshd permits root login with a password",
		Rationale: "root is the one account name every attacker knows; with passwords allowed it can be guessed.",
		Fix:       "Set PermitRootLogin prohibit-password (or no) in sshd_config, then reload sshd.", Frameworks: fwPassword},
	{ID: "ssh.config.password-auth", Severity: finding.Medium, Title: "sshd allows password authentication",
		Rationale: "Password logins can be guessed or phished.",
		Fix:       "Set PasswordAuthentication no and KbdInteractiveAuthentication no in sshd_config, then reload sshd.", Frameworks: fwPassword},
	{ID: "postgresql.config.trust", Severity: finding.Critical, Title: "PostgreSQL trusts network connections without a password",
		Rationale: "A trust line in pg_hba.conf lets anyone who reaches the port log in as any user, superuser included.",
		Fix:       "Replace trust with scram-sha-256 on every host line of pg_hba.conf, then reload PostgreSQL.", Frameworks: fwNoAuth},
	{ID: "postgresql.config.no-ssl", Severity: finding.High, Title: "PostgreSQL has ssl = off while listening beyond loopback",
		Rationale: "Queries and passwords cross the network in cleartext.",
		Fix:       "Set ssl = on with a certificate in postgresql.conf and use hostssl in pg_hba.conf.", Frameworks: fwTransport},
	{ID: "redis.config.no-auth", Severity: finding.Critical, Title: "Redis has no password while bound beyond loopback",
		Rationale: "Anyone who reaches the port can read, change or delete all data.",
		Fix:       "Set requirepass (or ACL users) in redis.conf, or bind 127.0.0.1 ::1.", Frameworks: fwNoAuth},
	{ID: "ftp.config.anonymous", Severity: finding.High, Title: "FTP server configuration enables anonymous login",
		Rationale: "Anyone can log in and read files.",
		Fix:       "Set anonymous_enable=NO (vsftpd) or remove the <Anonymous> block (proftpd), then restart.", Frameworks: fwNoAuth},
	{ID: "firewall.none", Severity: finding.Medium, Title: "No inbound firewall on a host with network listeners",
		Rationale: "Without filtering, every listener is reachable by everyone who can route to the host.",
		Fix:       "Enable a default-deny inbound nftables ruleset that allows only the ports you need.", Frameworks: fwFirewall},
	{ID: "flow.cleartext", Severity: finding.High, Title: "Live connection over a cleartext protocol",
		Rationale: "Data between these hosts crosses the network unencrypted right now.",
		Fix:       "Enable TLS on the server side and require it from the client.", Frameworks: fwTransport},
	// Coverage: what the scan could not examine is a finding, not silence.
	{ID: "coverage.unexamined", Severity: finding.Low, Title: "Open port vigil could not identify or audit",
		Rationale: "A port that answers but speaks no protocol vigil recognises was not examined: whatever runs there is unknown, so the host cannot be vouched for.",
		Fix:       "Find the program behind the port (on the host: ss -ltnp 'sport = :PORT', or vigil host), and close the port if nothing needs it.", Frameworks: fwCoverage},
	{ID: "coverage.audit-failed", Severity: finding.Medium, Title: "An audit of a known service did not complete",
		Rationale: "vigil knew the service but could not finish examining it (a timeout, a refused handshake): its weaknesses, if any, are unknown.",
		Fix:       "Scan the service again (vigil scan HOST -p PORT); if the audit keeps failing, check the server's load and logs, or raise --timeout.", Frameworks: fwCoverage},
}

// named examines every service of protocol n: identification alone decides.
func named(n proto.Name) func(*facts.Service) bool {
	return func(s *facts.Service) bool { return s.Name == n }
}
