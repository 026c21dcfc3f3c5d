package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// JudgeAccess judges what the access audit learnt (facts.Access): services
// that offer no upgrade to TLS or accept passwords before it, HTTP that
// asks for credentials in cleartext, SNMP v1/v2c and its default
// communities, VNC without encryption, anonymous FTP and MQTT, and
// databases, caches and admin APIs that answer without credentials.
//
// Cleartext checks never fire on a port that speaks TLS from the first
// byte (Service.TLS). Telnet, and the plain Redis, memcached and MQTT
// protocols, are judged by judgeIdentified from identification alone.
//
// How mail logins before TLS are weighed: mechanisms that send the
// password itself or a bearer token (IMAP LOGIN, POP3 USER/PASS, SASL
// PLAIN and LOGIN, XOAUTH2, OAUTHBEARER) keep the catalogue's high
// severity. Challenge-response mechanisms (CRAM-MD5, DIGEST-MD5, NTLM,
// SCRAM-*, APOP) do not send the password, but a captured exchange can be
// attacked offline with a dictionary, and everything after the login is
// cleartext: when they are the only logins offered before TLS and STARTTLS
// is offered, the finding is lowered to medium and the evidence says why.
// GSSAPI, EXTERNAL and ANONYMOUS carry no password and are not listed by
// the audit.
func JudgeAccess(in Input) []Hit {
	s := in.Service
	if s == nil || s.Access == nil {
		return nil
	}
	t := accessTargetOf(s)
	var hits []Hit
	add := func(h Hit, ok bool) {
		if ok {
			hits = append(hits, h)
		}
	}
	switch s.Name {
	case proto.FTP:
		add(accessFTPCleartext(t))
		add(accessFTPAnonymous(t))
	case proto.SMTP, proto.IMAP, proto.POP3:
		add(accessMail(t))
	case proto.LDAP:
		add(accessLDAP(t))
	case proto.PostgreSQL:
		add(accessPostgreSQL(t))
	case proto.MySQL:
		add(accessMySQL(t))
	case proto.HTTP:
		add(accessHTTP(t))
	case proto.SNMP:
		add(accessSNMPCleartext(t))
		hits = append(hits, accessSNMPDefaults(t)...)
	case proto.VNC:
		add(accessVNC(t))
	case proto.MQTT:
		add(accessMQTT(t))
	case proto.Redis, proto.Memcached, proto.MongoDB, proto.Elasticsearch, proto.Docker:
		add(accessNoAuth(t))
	}
	return hits
}

// --- the target ----------------------------------------------------------------

// Products JudgeAccess has specific fixes for.
const (
	prodVsftpd        = "vsftpd"
	prodProFTPD       = "proftpd"
	prodPureFTPd      = "pure-ftpd"
	prodPostfix       = "postfix"
	prodExim          = "exim"
	prodDovecot       = "dovecot"
	prodOpenLDAP      = "openldap"
	prodPostgreSQL    = "postgresql"
	prodMySQL         = "mysql"
	prodMariaDB       = "mariadb"
	prodNginx         = "nginx"
	prodApache        = "apache"
	prodNetSNMP       = "net-snmp"
	prodMosquitto     = "mosquitto"
	prodRedis         = "redis"
	prodMemcached     = "memcached"
	prodMongoDB       = "mongodb"
	prodElasticsearch = "elasticsearch"
	prodOpenSearch    = "opensearch"
	prodDocker        = "docker"
	prodVNC           = "vnc" // no VNC product is told by the protocol: the fix covers TigerVNC and x11vnc
)

// accessTarget is what a fix needs to know about the service and the hit.
type accessTarget struct {
	s            *facts.Service
	a            *facts.Access
	product      string // one of the prod* keys, or ""
	major, minor int    // version, 0 0 when unknown
	where        string // "tcp/25"
	// Set by the mail judge for the fix.
	noStartTLS bool
	plainAuth  bool
}

// accessProducts maps a lower-case product name prefix to its key.
var accessProducts = []struct{ prefix, key string }{
	{"vsftpd", prodVsftpd}, {"proftpd", prodProFTPD}, {"pure-ftpd", prodPureFTPd},
	{"postfix", prodPostfix}, {"exim", prodExim}, {"dovecot", prodDovecot},
	{"openldap", prodOpenLDAP}, {"postgresql", prodPostgreSQL},
	{"mariadb", prodMariaDB}, {"mysql", prodMySQL},
	{"nginx", prodNginx}, {"apache httpd", prodApache},
	{"net-snmp", prodNetSNMP}, {"mosquitto", prodMosquitto},
	{"redis", prodRedis}, {"valkey", prodRedis}, {"memcached", prodMemcached},
	{"mongodb", prodMongoDB}, {"elasticsearch", prodElasticsearch}, {"opensearch", prodOpenSearch},
	{"docker", prodDocker},
}

func accessTargetOf(s *facts.Service) accessTarget {
	t := accessTarget{s: s, a: s.Access, where: fmt.Sprintf("%s/%d", s.Transport, s.Port)}
	p := strings.ToLower(s.Product)
	for _, ap := range accessProducts {
		if strings.HasPrefix(p, ap.prefix) {
			t.product = ap.key
			break
		}
	}
	// Protocols with one dominant implementation, or whose fix names the
	// usual ones when the server does not tell.
	if t.product == "" {
		switch s.Name {
		case proto.PostgreSQL:
			t.product = prodPostgreSQL
		case proto.Redis:
			t.product = prodRedis
		case proto.Memcached:
			t.product = prodMemcached
		case proto.MongoDB:
			t.product = prodMongoDB
		case proto.Elasticsearch:
			t.product = prodElasticsearch
		case proto.Docker:
			t.product = prodDocker
		case proto.VNC:
			t.product = prodVNC
		case proto.MQTT:
			t.product = prodMosquitto // the fix says so when the broker did not tell
		}
	}
	t.major, t.minor = sshParseVersion(s.Version)
	return t
}

// atLeast reports whether the version is known and at least major.minor.
func (t accessTarget) atLeast(major, minor int) bool {
	return t.major > 0 && (t.major > major || t.major == major && t.minor >= minor)
}

// below reports whether the version is known and below major.minor.
func (t accessTarget) below(major, minor int) bool {
	return t.major > 0 && !t.atLeast(major, minor)
}

// cleartextPort reports whether the port speaks without TLS from the first
// byte, so that cleartext checks apply.
func (t accessTarget) cleartextPort() bool { return !t.s.TLS }

// productNote is " (vsftpd 3.0.3)" or "".
func (t accessTarget) productNote() string { return productNote(t.s) }

// accessFix returns the fix for check key on target t: the product's, or
// the generic one.
func accessFix(key string, t accessTarget) string {
	if f, ok := accessFixes[t.product][key]; ok {
		return f(t)
	}
	if f, ok := accessFixes[""][key]; ok {
		return f(t)
	}
	return ""
}

// --- FTP -----------------------------------------------------------------------

func accessFTPCleartext(t accessTarget) (Hit, bool) {
	a := t.a
	if !t.cleartextPort() || a.StartTLS == nil || *a.StartTLS {
		return Hit{}, false
	}
	var parts []string
	if f := t.s.Detail(facts.DetailFTPFEAT); f != "" {
		if strings.HasPrefix(f, "FEAT answered") {
			parts = append(parts, f)
		} else {
			parts = append(parts, fmt.Sprintf("FEAT lists no AUTH TLS (features: %s)", f))
		}
	}
	if r := t.s.Detail(facts.DetailFTPAuthTLS); r != "" {
		parts = append(parts, fmt.Sprintf("AUTH TLS was answered %q", r))
	}
	if len(parts) == 0 {
		parts = append(parts, "it does not offer AUTH TLS")
	}
	ev := fmt.Sprintf("the FTP server%s on %s offers no TLS: ", t.productNote(), t.where) + strings.Join(parts, "; ") +
		"; user names, passwords and files cross the network in cleartext"
	return Hit{Check: "cleartext.ftp", Evidence: ev, Fix: accessFix("cleartext.ftp", t)}, true
}

func accessFTPAnonymous(t accessTarget) (Hit, bool) {
	if !t.a.Anonymous {
		return Hit{}, false
	}
	ev := fmt.Sprintf("the FTP server%s on %s accepted USER anonymous with an e-mail address as password", t.productNote(), t.where)
	if r := t.s.Detail(facts.DetailFTPAnonymous); r != "" {
		ev += fmt.Sprintf(": it answered %q", r)
	}
	ev += "; vigil sent QUIT at once and listed or read nothing"
	return Hit{Check: "auth.anonymous.ftp", Evidence: ev, Fix: accessFix("auth.anonymous.ftp", t)}, true
}

// --- mail ------------------------------------------------------------------------

// mailPlaintextMechs are logins that send the password itself, or a bearer
// token, as the last word of an Access.PlaintextAuth entry names them.
var mailPlaintextMechs = []string{"PLAIN", "LOGIN", "USER", "XOAUTH2", "XOAUTH", "OAUTHBEARER"}

// classifyLogins splits Access.PlaintextAuth into logins that send the
// password (or token) and challenge-response ones.
func classifyLogins(list []string) (plain, derived []string) {
	for _, l := range list {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if slices.Contains(mailPlaintextMechs, strings.ToUpper(f[len(f)-1])) {
			plain = append(plain, l)
		} else {
			derived = append(derived, l)
		}
	}
	return plain, derived
}

// mailUpgrade names the upgrade command of each mail protocol.
var mailUpgrade = map[string]string{"smtp": "STARTTLS", "imap": "STARTTLS", "pop3": "STLS"}

// mailCapability names where each protocol lists what it offers.
var mailCapability = map[string]string{"smtp": "EHLO", "imap": "CAPABILITY", "pop3": "CAPA"}

func accessMail(t accessTarget) (Hit, bool) {
	a, s := t.a, t.s
	if !t.cleartextPort() {
		return Hit{}, false
	}
	noTLS := a.StartTLS != nil && !*a.StartTLS
	plain, derived := classifyLogins(a.PlaintextAuth)
	if !noTLS && len(plain) == 0 && len(derived) == 0 {
		return Hit{}, false
	}
	id := "cleartext." + s.Name
	upgrade, listing := mailUpgrade[s.Name], mailCapability[s.Name]
	var parts []string
	if noTLS {
		p := fmt.Sprintf("%s does not offer %s", listing, upgrade)
		if l := mailListing(s); l != "" {
			p += fmt.Sprintf(" (it lists: %s)", l)
		}
		parts = append(parts, p)
	}
	if len(plain) > 0 {
		parts = append(parts, fmt.Sprintf("logins offered before TLS send the password itself: %s", strings.Join(plain, ", ")))
	}
	if len(derived) > 0 {
		parts = append(parts, fmt.Sprintf("challenge-response logins offered before TLS: %s (the password is not sent, but a captured exchange can be attacked offline)", strings.Join(derived, ", ")))
	}
	h := Hit{Check: id, Evidence: fmt.Sprintf("the %s server%s on %s: %s", strings.ToUpper(s.Name), t.productNote(), t.where, strings.Join(parts, "; "))}
	if !noTLS && len(plain) == 0 {
		h.Severity = finding.Medium
		h.Evidence += fmt.Sprintf("; severity lowered to medium because %s is offered and only challenge-response logins are allowed before it", upgrade)
	}
	t.noStartTLS, t.plainAuth = noTLS, len(plain)+len(derived) > 0
	h.Fix = accessFix(id, t)
	return h, true
}

// mailListing is what the server listed, as the audit recorded it.
func mailListing(s *facts.Service) string {
	switch s.Name {
	case proto.SMTP:
		return s.Detail(facts.DetailSMTPEHLO)
	case proto.IMAP:
		return s.Detail(facts.DetailIMAPCapability)
	case proto.POP3:
		return s.Detail(facts.DetailPOP3CAPA)
	}
	return ""
}

// --- LDAP, PostgreSQL, MySQL ------------------------------------------------------

func accessLDAP(t accessTarget) (Hit, bool) {
	if !t.cleartextPort() || t.a.StartTLS == nil || *t.a.StartTLS {
		return Hit{}, false
	}
	ev := fmt.Sprintf("the LDAP server%s on %s refused the StartTLS extended operation (1.3.6.1.4.1.1466.20037)", t.productNote(), t.where)
	if r := t.s.Detail(facts.DetailLDAPStartTLSResult); r != "" {
		ev += fmt.Sprintf(" with result %s", r)
	}
	ev += "; binds (passwords) and directory data cross the network in cleartext"
	return Hit{Check: "cleartext.ldap", Evidence: ev, Fix: accessFix("cleartext.ldap", t)}, true
}

func accessPostgreSQL(t accessTarget) (Hit, bool) {
	if !t.cleartextPort() || t.a.StartTLS == nil || *t.a.StartTLS {
		return Hit{}, false
	}
	ev := fmt.Sprintf("the PostgreSQL server on %s answered SSLRequest with 'N': it does not offer TLS, so passwords, queries and results cross the network in cleartext", t.where)
	return Hit{Check: "cleartext.postgresql", Evidence: ev, Fix: accessFix("cleartext.postgresql", t)}, true
}

func accessMySQL(t accessTarget) (Hit, bool) {
	if !t.cleartextPort() || t.a.StartTLS == nil || *t.a.StartTLS {
		return Hit{}, false
	}
	ev := fmt.Sprintf("the %s server%s on %s does not offer TLS", mysqlName(t), t.productNote(), t.where)
	if c := t.s.Detail(facts.DetailMySQLCapabilities); c != "" {
		ev += fmt.Sprintf(": the capability flags of its handshake (%s) lack CLIENT_SSL (0x800)", c)
	}
	ev += "; passwords, queries and results cross the network in cleartext"
	return Hit{Check: "cleartext.mysql", Evidence: ev, Fix: accessFix("cleartext.mysql", t)}, true
}

func mysqlName(t accessTarget) string {
	if t.product == prodMariaDB {
		return "MariaDB"
	}
	if t.product == prodMySQL {
		return "MySQL"
	}
	return "MySQL/MariaDB"
}

// --- HTTP ---------------------------------------------------------------------------

func accessHTTP(t accessTarget) (Hit, bool) {
	if !t.cleartextPort() || t.a.HTTPAuth == "" {
		return Hit{}, false
	}
	ev := fmt.Sprintf("plain HTTP%s on %s asks for credentials: %s; the password crosses the network without encryption", t.productNote(), t.where, t.a.HTTPAuth)
	if strings.HasPrefix(t.a.HTTPAuth, "Digest") {
		ev += " (Digest sends a hash of it that can be attacked offline)"
	}
	return Hit{Check: "cleartext.http-auth", Evidence: ev, Fix: accessFix("cleartext.http-auth", t)}, true
}

// --- SNMP ---------------------------------------------------------------------------

func accessSNMPCleartext(t accessTarget) (Hit, bool) {
	var old []string
	for _, v := range t.a.Versions {
		if v == "v1" || v == "v2c" {
			old = append(old, v)
		}
	}
	if len(old) == 0 {
		return Hit{}, false
	}
	ev := fmt.Sprintf("the SNMP agent%s on %s answered SNMP %s requests", t.productNote(), t.where, strings.Join(old, " and "))
	if c := t.s.Detail(facts.DetailSNMPDefaultCommunities); c != "" {
		ev += fmt.Sprintf(" (communities accepted: %s)", c)
	}
	ev += "; these versions send the community in cleartext and encrypt nothing"
	return Hit{Check: "cleartext.snmp", Evidence: ev, Fix: accessFix("cleartext.snmp", t)}, true
}

// accessSNMPDefaults reports each accepted default community as its own
// finding (subject: the community), so removing one closes its finding.
func accessSNMPDefaults(t accessTarget) []Hit {
	var hits []Hit
	versions := snmpCommunityVersions(t.s.Detail(facts.DetailSNMPDefaultCommunities))
	for _, c := range t.a.DefaultCredentials {
		ev := fmt.Sprintf("the SNMP agent%s on %s accepted the community %q", t.productNote(), t.where, c)
		if v := versions[c]; v != "" {
			ev += " on " + v
		}
		ev += ": it answered a GetRequest for sysDescr.0"
		if d := t.s.Detail(facts.DetailSNMPSysDescr); d != "" {
			ev += fmt.Sprintf(" (%q)", d)
		}
		if c == "private" {
			ev += `; "private" is the customary read-write community: vigil only read, so whether it also allows writes (SET) was not tried`
		}
		hits = append(hits, Hit{Check: "auth.default.snmp", Subject: c, Evidence: ev, Fix: accessFix("auth.default.snmp", t)})
	}
	return hits
}

// snmpCommunityVersions reads the snmp.default-communities detail
// ("public: v1, v2c; private: v2c").
func snmpCommunityVersions(d string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(d, "; ") {
		if c, v, ok := strings.Cut(part, ": "); ok {
			out[c] = v
		}
	}
	return out
}

// --- VNC ----------------------------------------------------------------------------

// vncEncrypted are the security types that encrypt the session: TLS,
// RealVNC/TigerVNC's RSA-AES (RA2 family, not RA2ne), tunnels, and VeNCrypt
// sub-types over TLS or X.509.
func vncEncrypted(t string) bool {
	switch t {
	case "TLS", "RA2", "RA2TwoStep", "RA2_256", "RA2TwoStep_256", "SecureTunnel", "IntegratedSSH":
		return true
	}
	sub, ok := strings.CutPrefix(t, "VeNCrypt/")
	return ok && (strings.HasPrefix(sub, "TLS") || strings.HasPrefix(sub, "X509"))
}

func accessVNC(t accessTarget) (Hit, bool) {
	types := t.a.SecurityTypes
	if !t.cleartextPort() || len(types) == 0 {
		return Hit{}, false
	}
	encrypted := slices.ContainsFunc(types, vncEncrypted)
	vencryptKnown := slices.ContainsFunc(types, func(s string) bool { return strings.HasPrefix(s, "VeNCrypt/") })
	if slices.Contains(types, "VeNCrypt") && !vencryptKnown {
		encrypted = true // sub-types unknown: VeNCrypt is meant for TLS
	}
	none := slices.Contains(types, "None") || slices.Contains(types, "VeNCrypt/None")
	plain := slices.Contains(types, "VeNCrypt/Plain")
	if encrypted && !none && !plain {
		return Hit{}, false
	}
	var why []string
	if none {
		why = append(why, "it offers security type None: anyone who reaches the port sees and controls the desktop without a password, unencrypted")
	}
	if plain {
		why = append(why, "it offers VeNCrypt/Plain: user name and password in cleartext")
	}
	if !encrypted {
		why = append(why, "none of the offered types encrypts the session (screen contents and keystrokes cross the network in cleartext)")
	}
	ev := fmt.Sprintf("the VNC server on %s offers %s: %s", t.where, strings.Join(types, ", "), strings.Join(why, "; "))
	return Hit{Check: "cleartext.vnc", Evidence: ev, Fix: accessFix("cleartext.vnc", t)}, true
}

// --- missing authentication ------------------------------------------------------

func accessMQTT(t accessTarget) (Hit, bool) {
	if !t.a.Anonymous {
		return Hit{}, false
	}
	ev := fmt.Sprintf("the MQTT broker%s on %s accepted a CONNECT without user name or password (CONNACK return code 0): anyone who reaches it can subscribe to every topic and publish", t.productNote(), t.where)
	return Hit{Check: "auth.none.mqtt", Evidence: ev, Fix: accessFix("auth.none.mqtt", t)}, true
}

func accessNoAuth(t accessTarget) (Hit, bool) {
	if t.a.Unauthenticated == "" {
		return Hit{}, false
	}
	id := "auth.none." + t.s.Name
	return Hit{Check: id, Evidence: noAuthEvidence(accessServiceName(t), t.s, t.a.Unauthenticated), Fix: accessFix(id, t)}, true
}

// noAuthEvidence is the evidence of every auth.none finding, whichever
// audit found it: who answered, where, and what it answered without
// credentials.
func noAuthEvidence(service string, s *facts.Service, what string) string {
	return fmt.Sprintf("%s%s on %s/%d: %s", service, productNote(s), s.Transport, s.Port, what)
}

func accessServiceName(t accessTarget) string {
	switch t.s.Name {
	case proto.Redis:
		return "Redis"
	case proto.Memcached:
		return "memcached"
	case proto.MongoDB:
		return "MongoDB"
	case proto.Elasticsearch:
		return "the search cluster"
	case proto.Docker:
		return "the Docker Engine API"
	}
	return t.s.Name
}

// --- fixes -------------------------------------------------------------------------

// accessFixes maps a product key to the fix of each check; checks missing
// from a product's entry, and unknown products, use the generic fixes
// under "".
var accessFixes = map[string]map[string]func(accessTarget) string{
	prodVsftpd: {
		"cleartext.ftp": func(accessTarget) string {
			return "In /etc/vsftpd.conf set ssl_enable=YES, rsa_cert_file=/etc/ssl/certs/ftp.pem, rsa_private_key_file=/etc/ssl/private/ftp.key (a certificate for the server's name), " +
				"force_local_logins_ssl=YES and force_local_data_ssl=YES so that logins and transfers happen only inside TLS, ssl_sslv2=NO and ssl_sslv3=NO; " +
				"then systemctl restart vsftpd. Clients connect with explicit FTPS (FTP over TLS); or replace FTP with SFTP over SSH."
		},
		"auth.anonymous.ftp": func(accessTarget) string {
			return "In /etc/vsftpd.conf set anonymous_enable=NO (and remove anon_upload_enable and anon_mkdir_write_enable if present), then systemctl restart vsftpd. If files must stay public, serve them read-only over HTTPS instead."
		},
	},
	prodProFTPD: {
		"cleartext.ftp": func(accessTarget) string {
			return "Load mod_tls (LoadModule mod_tls.c in /etc/proftpd/modules.conf on Debian) and include /etc/proftpd/tls.conf from /etc/proftpd/proftpd.conf; in tls.conf set TLSEngine on, " +
				"TLSRSACertificateFile /etc/ssl/certs/ftp.pem, TLSRSACertificateKeyFile /etc/ssl/private/ftp.key, TLSProtocol TLSv1.2 TLSv1.3 and TLSRequired on; " +
				"check with proftpd -t, then systemctl restart proftpd. Or replace FTP with SFTP over SSH."
		},
		"auth.anonymous.ftp": func(accessTarget) string {
			return "Remove (or comment out) the <Anonymous …> section of /etc/proftpd/proftpd.conf, check with proftpd -t, then systemctl restart proftpd."
		},
	},
	prodPureFTPd: {
		"cleartext.ftp": func(accessTarget) string {
			return "Put the certificate and key in /etc/ssl/private/pure-ftpd.pem and require TLS for logins and transfers: on Debian echo 3 > /etc/pure-ftpd/conf/TLS (2 requires it for logins only); then systemctl restart pure-ftpd."
		},
		"auth.anonymous.ftp": func(accessTarget) string {
			return "Refuse anonymous logins: on Debian echo yes > /etc/pure-ftpd/conf/NoAnonymous (the -E option), then systemctl restart pure-ftpd."
		},
	},
	prodPostfix: {
		"cleartext.smtp": func(t accessTarget) string {
			var cmds []string
			if t.noStartTLS {
				cmds = append(cmds, "'smtpd_tls_cert_file = /etc/ssl/certs/mail.pem'", "'smtpd_tls_key_file = /etc/ssl/private/mail.key'", "'smtpd_tls_security_level = may'")
			}
			if t.plainAuth {
				cmds = append(cmds, "'smtpd_tls_auth_only = yes'")
			}
			s := "Run postconf -e " + strings.Join(cmds, " ") + " (a certificate for the server's name), then postfix check && postfix reload."
			if t.noStartTLS {
				switch t.s.Port {
				case 25:
					s += " Keep smtpd_tls_security_level = may on port 25: other mail servers that cannot do TLS must still deliver."
				case 587:
					s += " On the submission port require TLS: add -o smtpd_tls_security_level=encrypt to the submission entry of /etc/postfix/master.cf."
				}
			}
			if t.plainAuth {
				s += " smtpd_tls_auth_only = yes stops Postfix from offering AUTH until the client has started TLS."
			}
			return s
		},
	},
	prodExim: {
		"cleartext.smtp": func(t accessTarget) string {
			var parts []string
			if t.noStartTLS {
				parts = append(parts, "offer STARTTLS: set tls_certificate = /etc/exim4/exim.crt, tls_privatekey = /etc/exim4/exim.key and tls_advertise_hosts = * in the main configuration (Debian's exim4: MAIN_TLS_ENABLE = yes in /etc/exim4/exim4.conf.localmacros, certificate and key at those paths)")
			}
			if t.plainAuth {
				parts = append(parts, "offer AUTH only after TLS: in the main configuration set auth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}} (or give each authenticator server_advertise_condition = ${if eq{$tls_in_cipher}{}{no}{yes}})")
			}
			return accessSentence(strings.Join(parts, "; ")) + " Then check with exim -bV, and on Debian run update-exim4.conf && systemctl restart exim4."
		},
	},
	prodDovecot: {
		"cleartext.imap": func(t accessTarget) string { return dovecotFix(t) },
		"cleartext.pop3": func(t accessTarget) string { return dovecotFix(t) },
	},
	prodOpenLDAP: {
		"cleartext.ldap": func(accessTarget) string {
			return "Give slapd a certificate: with ldapmodify -Y EXTERNAL -H ldapi:/// apply, to dn: cn=config, one modify that replaces olcTLSCertificateFile (e.g. /etc/ldap/tls/ldap.crt) and olcTLSCertificateKeyFile (the key, readable by the openldap user) together; " +
				"then require TLS before binds with a second modify setting olcSecurity: tls=1 on cn=config (with slapd.conf instead: TLSCertificateFile, TLSCertificateKeyFile and security tls=1, then systemctl restart slapd). " +
				"Check with ldapwhoami -ZZ -H ldap://SERVER -x."
		},
	},
	prodPostgreSQL: {
		"cleartext.postgresql": func(accessTarget) string {
			return "In postgresql.conf (on Debian /etc/postgresql/VERSION/main/postgresql.conf) set ssl = on, ssl_cert_file and ssl_key_file (the key owned by postgres, mode 0600), and in pg_hba.conf change the host lines for remote clients to hostssl; " +
				"then run SELECT pg_reload_conf(); as a superuser (PostgreSQL 10 and later apply SSL settings on reload; 9.x needs systemctl restart postgresql). Clients should connect with sslmode=verify-full."
		},
	},
	prodMariaDB: {
		"cleartext.mysql": func(t accessTarget) string {
			s := "In the [mariadb] or [mysqld] section (on Debian /etc/mysql/mariadb.conf.d/50-server.cnf) remove skip-ssl or ssl=0 if present and set ssl_cert = /etc/mysql/ssl/server-cert.pem and ssl_key = /etc/mysql/ssl/server-key.pem (readable by the mysql user)"
			if known, ok := versionAtLeast(t.s.Version, 10, 5, 2); known && !ok {
				s += "; this MariaDB predates require_secure_transport (10.5.2): require TLS per account with ALTER USER … REQUIRE SSL"
			} else {
				s += ", and require_secure_transport = ON (MariaDB 10.5.2 and later)"
			}
			return s + "; then systemctl restart mariadb and check with SHOW VARIABLES LIKE 'have_ssl'."
		},
	},
	prodMySQL: {
		"cleartext.mysql": func(t accessTarget) string {
			s := "In the [mysqld] section (on Debian /etc/mysql/mysql.conf.d/mysqld.cnf) remove skip-ssl or ssl=0 if present and set ssl_cert and ssl_key (readable by the mysql user)"
			if known, ok := versionAtLeast(t.s.Version, 5, 7, 8); known && !ok {
				s += "; this MySQL predates require_secure_transport (5.7.8): require TLS per account with ALTER USER … REQUIRE SSL (GRANT … REQUIRE SSL before 5.7), and plan an upgrade"
			} else {
				s += ", and require_secure_transport = ON (MySQL 5.7.8 and later)"
			}
			return s + "; then systemctl restart mysql and check with SHOW VARIABLES LIKE 'have_ssl'."
		},
	},
	prodNginx: {
		"cleartext.http-auth": func(t accessTarget) string {
			return fmt.Sprintf("Serve the site over HTTPS only: replace the body of the server block that listens on %d with \"return 301 https://$host$request_uri;\", and move the site (with its auth_basic or login page) into a server block with \"listen 443 ssl;\", ssl_certificate and ssl_certificate_key; then nginx -t && systemctl reload nginx.", t.s.Port)
		},
	},
	prodApache: {
		"cleartext.http-auth": func(t accessTarget) string {
			return fmt.Sprintf("Serve the site over HTTPS only: in the <VirtualHost *:%d> of the site keep only ServerName and \"Redirect permanent / https://SERVER-NAME/\", and move the site (with its AuthType or login page) into a <VirtualHost *:443> with SSLEngine on, SSLCertificateFile and SSLCertificateKeyFile (on Debian: a2enmod ssl); then apachectl configtest && systemctl reload apache2.", t.s.Port)
		},
	},
	prodNetSNMP: {
		"cleartext.snmp": func(accessTarget) string {
			return "Use SNMPv3 with authentication and encryption and turn v1/v2c off: stop snmpd (systemctl stop snmpd), create a user with net-snmp-create-v3-user -ro -a SHA -A 'AUTH-PASSPHRASE' -x AES -X 'PRIV-PASSPHRASE' monitor " +
				"(or add createUser monitor SHA \"AUTH-PASSPHRASE\" AES \"PRIV-PASSPHRASE\" to /var/lib/snmp/snmpd.conf and rouser monitor priv to /etc/snmp/snmpd.conf), " +
				"delete every rocommunity, rwcommunity and com2sec line from /etc/snmp/snmpd.conf, then systemctl start snmpd and point the monitoring system at user monitor with SHA/AES."
		},
		"auth.default.snmp": func(accessTarget) string {
			return "In /etc/snmp/snmpd.conf delete the rocommunity/rwcommunity lines (and com2sec lines) that grant the communities public and private, then systemctl restart snmpd; monitor with an SNMPv3 user instead (net-snmp-create-v3-user -ro -a SHA -A 'AUTH-PASSPHRASE' -x AES -X 'PRIV-PASSPHRASE' monitor while snmpd is stopped)."
		},
	},
	prodVNC: {
		"cleartext.vnc": func(t accessTarget) string {
			return fmt.Sprintf("Never offer None, and encrypt: TigerVNC (Xvnc, vncserver) takes -SecurityTypes X509Vnc,TLSVnc with -X509Cert and -X509Key; "+
				"x11vnc takes -ssl with -rfbauth ~/.vnc/passwd. Simplest and safest: make the server listen on loopback only (TigerVNC and x11vnc: -localhost) and reach it through SSH: ssh -L %d:localhost:%d user@HOST, then connect the viewer to localhost:%d.", t.s.Port, t.s.Port, t.s.Port)
		},
	},
	prodMosquitto: {
		"auth.none.mqtt": func(t accessTarget) string {
			s := "In /etc/mosquitto/mosquitto.conf and /etc/mosquitto/conf.d/*.conf set allow_anonymous false and password_file /etc/mosquitto/passwd, create the file with mosquitto_passwd -c /etc/mosquitto/passwd USER (without -c for further users; readable by the mosquitto user), then systemctl restart mosquitto. " +
				"Mosquitto 2.0 and later refuse anonymous clients on a configured listener unless allow_anonymous true is set: remove that line."
			if t.s.Product == "" {
				s = "If the broker is Mosquitto: " + s + " Other brokers: turn off anonymous access and require a user name and password or client certificates."
			}
			return s
		},
	},
	prodRedis: {
		"auth.none.redis": func(t accessTarget) string {
			s := "In /etc/redis/redis.conf set requirepass to a long random secret (openssl rand -base64 32)"
			if !t.below(6, 0) {
				s += ", or with ACLs (Redis 6.0 and later) switch the default user off (user default off) and define named users with only the commands and keys they need (user app on >SECRET ~app:* +@read +@write, in redis.conf or an aclfile)"
			}
			return s + "; keep bind to the addresses that need Redis (bind 127.0.0.1 ::1 if only this host does) and protected-mode yes; then systemctl restart redis-server and give the clients the password."
		},
	},
	prodMemcached: {
		"auth.none.memcached": func(accessTarget) string {
			return "memcached has no access control by default: if only this host uses it, set -l 127.0.0.1 (and -U 0) in /etc/memcached.conf; otherwise firewall the port to the application servers. " +
				"It can also require authentication: -S (SASL, binary protocol only, clients must support it) or -Y FILE (user:password lines for the text protocol, marked experimental). Then systemctl restart memcached."
		},
	},
	prodMongoDB: {
		"auth.none.mongodb": func(accessTarget) string {
			return "Create an administrator first, from the server itself: mongosh (mongo before MongoDB 5), use admin, db.createUser({user: \"admin\", pwd: passwordPrompt(), roles: [\"root\"]}); " +
				"then in /etc/mongod.conf set security: authorization: enabled and net.bindIp to the addresses that need MongoDB, and systemctl restart mongod. Applications then connect with a user of their own."
		},
	},
	prodElasticsearch: {
		"auth.none.elasticsearch": func(t accessTarget) string {
			s := "In /etc/elasticsearch/elasticsearch.yml set xpack.security.enabled: true with TLS on the HTTP layer (xpack.security.http.ssl.enabled: true and its keystore); security is free in the Basic licence since 6.8 and 7.1, and on by default since 8.0. Restart Elasticsearch, then set the built-in users' passwords: "
			switch {
			case t.atLeast(8, 0):
				s += "bin/elasticsearch-reset-password -u elastic."
			case t.major == 7 || t.major == 6:
				s += "bin/elasticsearch-setup-passwords interactive."
			default:
				s += "bin/elasticsearch-reset-password -u elastic (8.x) or bin/elasticsearch-setup-passwords interactive (6.8, 7.x)."
			}
			if t.below(6, 8) {
				s += " This version predates free security: upgrade, or keep the port reachable only from the application servers."
			}
			return s
		},
	},
	prodOpenSearch: {
		"auth.none.elasticsearch": func(accessTarget) string {
			return "Enable the OpenSearch Security plugin: remove plugins.security.disabled: true from opensearch.yml, configure its TLS certificates and internal users (securityadmin.sh applies them), and restart OpenSearch."
		},
	},
	prodDocker: {
		"auth.none.docker": func(t accessTarget) string {
			return fmt.Sprintf("Remove the tcp:// listener on %d: drop the -H tcp://… option from dockerd (a systemd override in /etc/systemd/system/docker.service.d/) or the tcp:// entry of \"hosts\" in /etc/docker/daemon.json, then systemctl daemon-reload && systemctl restart docker, and use SSH instead (DOCKER_HOST=ssh://user@HOST). "+
				"If remote access over TCP is required, require client certificates: dockerd --tlsverify --tlscacert=ca.pem --tlscert=server-cert.pem --tlskey=server-key.pem -H tcp://0.0.0.0:2376.", t.s.Port)
		},
	},
	"": {
		"cleartext.ftp": func(accessTarget) string {
			return "Turn on explicit FTPS in the FTP server (AUTH TLS with a certificate for the server's name) and require it for logins and data, or replace FTP with SFTP over SSH."
		},
		"auth.anonymous.ftp": func(accessTarget) string {
			return "Turn off anonymous login in the FTP server's configuration and restart it; serve public files read-only over HTTPS instead."
		},
		"cleartext.smtp": func(t accessTarget) string {
			return mailGenericFix(t, "STARTTLS")
		},
		"cleartext.imap": func(t accessTarget) string {
			return mailGenericFix(t, "STARTTLS") + " Or serve IMAPS on port 993 and close 143."
		},
		"cleartext.pop3": func(t accessTarget) string {
			return mailGenericFix(t, "STLS") + " Or serve POP3S on port 995 and close 110."
		},
		"cleartext.ldap": func(accessTarget) string {
			return "Give the directory server a certificate so that StartTLS succeeds (or serve LDAPS on 636), and require TLS before simple binds."
		},
		"cleartext.http-auth": func(accessTarget) string {
			return "Serve the site over HTTPS and make the plain HTTP port only redirect to it (301 to https://), so that no login page or Basic challenge is ever answered over HTTP."
		},
		"cleartext.snmp": func(accessTarget) string {
			return "Turn off SNMP v1 and v2c (remove every community) and use SNMPv3 users with authPriv (SHA authentication and AES encryption); if the device cannot, restrict SNMP to the monitoring host by firewall."
		},
		"auth.default.snmp": func(accessTarget) string {
			return "Remove the communities public and private from the agent's configuration; use SNMPv3 users (authPriv), or at least a long random community restricted to the monitoring host."
		},
		"auth.none.mqtt": func(accessTarget) string {
			return "Turn off anonymous access in the broker and require a user name and password or client certificates."
		},
	},
}

// dovecotFix is the fix for Dovecot's IMAP and POP3.
func dovecotFix(t accessTarget) string {
	var parts []string
	if t.noStartTLS {
		parts = append(parts, "offer TLS: in /etc/dovecot/conf.d/10-ssl.conf set ssl = required with ssl_cert = </etc/ssl/certs/mail.pem and ssl_key = </etc/ssl/private/mail.key (Dovecot 2.3 names; 2.4 renamed the TLS settings, see its 2.3-to-2.4 upgrade notes)")
	}
	if t.plainAuth {
		parts = append(parts, "refuse logins before TLS: in /etc/dovecot/conf.d/10-auth.conf set disable_plaintext_auth = yes (Dovecot 2.3 and earlier; in 2.4 the setting is auth_allow_cleartext = no, its default), or ssl = required, which implies it")
	}
	return accessSentence(strings.Join(parts, "; ")) + " Check with doveconf -n, then doveadm reload."
}

// mailGenericFix is the fix for mail servers vigil has no recipe for.
func mailGenericFix(t accessTarget, upgrade string) string {
	var parts []string
	if t.noStartTLS {
		parts = append(parts, "give the server a certificate and offer "+upgrade)
	}
	if t.plainAuth {
		parts = append(parts, "allow logins only after "+upgrade+" (or over implicit TLS)")
	}
	return accessSentence(strings.Join(parts, ", and ")) + " Then restart the server."
}

// accessSentence capitalises s and ends it with a full stop.
func accessSentence(s string) string { return sshSentence(s) }

// versionAtLeast compares a dotted version ("10.11.19", "5.7.44-log")
// with want; known is false when v does not start with a number.
func versionAtLeast(v string, want ...int) (known, ok bool) {
	var got []int
	for _, part := range strings.Split(v, ".") {
		n, digits := 0, 0
		for _, c := range part {
			if c < '0' || c > '9' || digits == 6 {
				break
			}
			n, digits = n*10+int(c-'0'), digits+1
		}
		if digits == 0 {
			break
		}
		got = append(got, n)
		if digits < len(part) {
			break // "19-log": the rest is not a version
		}
	}
	if len(got) == 0 {
		return false, false
	}
	for i, w := range want {
		g := 0
		if i < len(got) {
			g = got[i]
		}
		if g != w {
			return true, g > w
		}
	}
	return true, true
}
