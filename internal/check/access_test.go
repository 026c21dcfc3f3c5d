package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// svc builds a service with access facts and details.
func svc(name, product, version string, port int, a facts.Access, details ...string) facts.Service {
	s := facts.Service{Port: port, Transport: facts.TCP, Name: name, Product: product, Version: version, Access: &a}
	if name == "snmp" {
		s.Transport = facts.UDP
	}
	for i := 0; i+1 < len(details); i += 2 {
		s.SetDetail(details[i], details[i+1])
	}
	return s
}

// hitWant is one expected hit: its check and subject, its severity when not
// the catalogue's, and strings its evidence and fix must hold.
type hitWant struct {
	check, subject string
	severity       finding.Severity
	evidence, fix  []string
}

func TestJudgeAccess(t *testing.T) {
	tests := []struct {
		name string
		s    facts.Service
		want []hitWant
	}{
		// FTP.
		{"vsftpd weak", svc("ftp", "vsftpd", "3.0.3", 21, facts.Access{StartTLS: no(), Anonymous: true},
			"ftp.feat", "EPRT; EPSV", "ftp.auth-tls", "530 Please login with USER and PASS.", "ftp.anonymous", "230 Login successful."),
			[]hitWant{
				{check: "cleartext.ftp", evidence: []string{"vsftpd 3.0.3", "tcp/21", "FEAT lists no AUTH TLS (features: EPRT; EPSV)", `AUTH TLS was answered "530 Please login with USER and PASS."`}, fix: []string{"/etc/vsftpd.conf", "ssl_enable=YES", "rsa_cert_file", "force_local_logins_ssl=YES", "systemctl restart vsftpd"}},
				{check: "auth.anonymous.ftp", evidence: []string{"USER anonymous", `"230 Login successful."`, "QUIT"}, fix: []string{"anonymous_enable=NO", "systemctl restart vsftpd"}},
			}},
		{"vsftpd hard", svc("ftp", "vsftpd", "3.0.3", 2121, facts.Access{StartTLS: yes()}, "ftp.anonymous", "530 Login incorrect."), nil},
		{"proftpd", svc("ftp", "ProFTPD", "1.3.8", 21, facts.Access{StartTLS: no(), Anonymous: true}, "ftp.feat", "FEAT answered 500 no"),
			[]hitWant{
				{check: "cleartext.ftp", evidence: []string{"FEAT answered 500 no"}, fix: []string{"mod_tls", "TLSRequired on", "TLSRSACertificateFile", "proftpd -t"}},
				{check: "auth.anonymous.ftp", fix: []string{"<Anonymous", "systemctl restart proftpd"}},
			}},
		{"pure-ftpd", svc("ftp", "Pure-FTPd", "", 21, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.ftp", evidence: []string{"it does not offer AUTH TLS"}, fix: []string{"/etc/pure-ftpd/conf/TLS"}}}},
		{"generic ftp", svc("ftp", "", "", 21, facts.Access{StartTLS: no(), Anonymous: true}),
			[]hitWant{{check: "cleartext.ftp", fix: []string{"FTPS", "SFTP"}}, {check: "auth.anonymous.ftp", fix: []string{"anonymous"}}}},
		{"implicit ftps", func() facts.Service {
			s := svc("ftp", "vsftpd", "", 990, facts.Access{StartTLS: no(), Anonymous: true})
			s.TLS = true
			return s
		}(), []hitWant{{check: "auth.anonymous.ftp"}}},
		{"ftp starttls unknown", svc("ftp", "vsftpd", "", 21, facts.Access{}), nil},

		// SMTP.
		{"postfix weak", svc("smtp", "Postfix", "3.7.11", 25, facts.Access{StartTLS: no(), PlaintextAuth: []string{"AUTH PLAIN", "AUTH LOGIN"}}, "smtp.ehlo", "PIPELINING; AUTH PLAIN LOGIN"),
			[]hitWant{{check: "cleartext.smtp", evidence: []string{"Postfix 3.7.11", "EHLO does not offer STARTTLS (it lists: PIPELINING; AUTH PLAIN LOGIN)", "send the password itself: AUTH PLAIN, AUTH LOGIN"},
				fix: []string{"postconf -e", "smtpd_tls_cert_file", "smtpd_tls_security_level = may", "smtpd_tls_auth_only = yes", "postfix reload", "port 25"}}}},
		{"postfix starttls but auth before it", svc("smtp", "Postfix", "", 587, facts.Access{StartTLS: yes(), PlaintextAuth: []string{"AUTH PLAIN"}}),
			[]hitWant{{check: "cleartext.smtp", evidence: []string{"send the password itself: AUTH PLAIN"}, fix: []string{"smtpd_tls_auth_only = yes"}}}},
		{"postfix no tls on submission", svc("smtp", "Postfix", "", 587, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.smtp", fix: []string{"smtpd_tls_security_level=encrypt", "master.cf"}}}},
		{"cram-md5 only, starttls offered", svc("smtp", "Postfix", "", 25, facts.Access{StartTLS: yes(), PlaintextAuth: []string{"AUTH CRAM-MD5"}}),
			[]hitWant{{check: "cleartext.smtp", severity: finding.Medium, evidence: []string{"challenge-response logins offered before TLS: AUTH CRAM-MD5", "lowered to medium"}}}},
		{"cram-md5 without starttls stays high", svc("smtp", "", "", 25, facts.Access{StartTLS: no(), PlaintextAuth: []string{"AUTH CRAM-MD5"}}),
			[]hitWant{{check: "cleartext.smtp", evidence: []string{"does not offer STARTTLS"}, fix: []string{"offer STARTTLS"}}}},
		{"exim", svc("smtp", "Exim", "4.96", 25, facts.Access{StartTLS: no(), PlaintextAuth: []string{"AUTH PLAIN"}}),
			[]hitWant{{check: "cleartext.smtp", fix: []string{"tls_certificate", "tls_advertise_hosts", "auth_advertise_hosts", "$tls_in_cipher", "update-exim4.conf"}}}},
		{"postfix hardened", svc("smtp", "Postfix", "", 25, facts.Access{StartTLS: yes()}), nil},
		{"smtps", func() facts.Service {
			s := svc("smtp", "Postfix", "", 465, facts.Access{StartTLS: no(), PlaintextAuth: []string{"AUTH PLAIN"}})
			s.TLS = true
			return s
		}(), nil},

		// IMAP and POP3.
		{"dovecot imap weak", svc("imap", "Dovecot", "", 143, facts.Access{StartTLS: no(), PlaintextAuth: []string{"LOGIN", "AUTHENTICATE PLAIN"}}, "imap.capability", "IMAP4rev1 AUTH=PLAIN"),
			[]hitWant{{check: "cleartext.imap", evidence: []string{"CAPABILITY does not offer STARTTLS (it lists: IMAP4rev1 AUTH=PLAIN)", "LOGIN, AUTHENTICATE PLAIN"},
				fix: []string{"10-ssl.conf", "ssl = required", "10-auth.conf", "disable_plaintext_auth = yes", "auth_allow_cleartext = no", "doveadm reload"}}}},
		{"dovecot imap hardened", svc("imap", "Dovecot", "", 143, facts.Access{StartTLS: yes()}), nil},
		{"dovecot pop3 weak", svc("pop3", "Dovecot", "", 110, facts.Access{StartTLS: no(), PlaintextAuth: []string{"USER", "AUTH PLAIN"}}, "pop3.capa", "USER; SASL PLAIN"),
			[]hitWant{{check: "cleartext.pop3", evidence: []string{"CAPA does not offer STLS", "USER, AUTH PLAIN"}, fix: []string{"ssl = required", "doveadm reload"}}}},
		{"generic pop3 apop", svc("pop3", "", "", 110, facts.Access{StartTLS: yes(), PlaintextAuth: []string{"APOP"}}),
			[]hitWant{{check: "cleartext.pop3", severity: finding.Medium, evidence: []string{"APOP"}, fix: []string{"STLS", "995"}}}},
		{"generic imap", svc("imap", "Courier", "", 143, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.imap", fix: []string{"offer STARTTLS", "993"}}}},
		{"imaps", func() facts.Service {
			s := svc("imap", "Dovecot", "", 993, facts.Access{StartTLS: no(), PlaintextAuth: []string{"LOGIN"}})
			s.TLS = true
			return s
		}(), nil},

		// LDAP, PostgreSQL, MySQL.
		{"openldap", svc("ldap", "OpenLDAP", "", 389, facts.Access{StartTLS: no()}, "ldap.starttls-result", "2 (protocolError) unsupported extended operation"),
			[]hitWant{{check: "cleartext.ldap", evidence: []string{"1.3.6.1.4.1.1466.20037", "2 (protocolError) unsupported extended operation"}, fix: []string{"ldapmodify -Y EXTERNAL -H ldapi:///", "olcTLSCertificateFile", "olcTLSCertificateKeyFile", "olcSecurity: tls=1"}}}},
		{"ldap generic", svc("ldap", "389 Directory Server", "2.3.4", 389, facts.Access{StartTLS: no()}), []hitWant{{check: "cleartext.ldap", fix: []string{"LDAPS"}}}},
		{"ldap with starttls", svc("ldap", "OpenLDAP", "", 389, facts.Access{StartTLS: yes()}), nil},
		{"postgresql", svc("postgresql", "PostgreSQL", "", 5433, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.postgresql", evidence: []string{"tcp/5433", "'N'"}, fix: []string{"ssl = on", "ssl_cert_file", "ssl_key_file", "hostssl", "SELECT pg_reload_conf();", "PostgreSQL 10"}}}},
		{"postgresql with tls", svc("postgresql", "PostgreSQL", "", 5432, facts.Access{StartTLS: yes()}), nil},
		{"mariadb", svc("mysql", "MariaDB", "10.11.19", 3307, facts.Access{StartTLS: no()}, "mysql.capabilities", "0x81fff7fe"),
			[]hitWant{{check: "cleartext.mysql", evidence: []string{"MariaDB server (MariaDB 10.11.19)", "0x81fff7fe", "CLIENT_SSL (0x800)"}, fix: []string{"50-server.cnf", "ssl_cert", "ssl_key", "require_secure_transport = ON (MariaDB 10.5.2 and later)", "systemctl restart mariadb"}}}},
		{"old mariadb", svc("mysql", "MariaDB", "10.3.39", 3306, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.mysql", fix: []string{"predates require_secure_transport (10.5.2)", "REQUIRE SSL"}}}},
		{"mysql 8", svc("mysql", "MySQL", "8.0.36", 3306, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.mysql", evidence: []string{"MySQL server"}, fix: []string{"mysqld.cnf", "require_secure_transport = ON (MySQL 5.7.8 and later)", "systemctl restart mysql"}}}},
		{"mysql 5.6", svc("mysql", "MySQL", "5.6.51", 3306, facts.Access{StartTLS: no()}),
			[]hitWant{{check: "cleartext.mysql", fix: []string{"predates require_secure_transport (5.7.8)"}}}},
		{"mysql with tls", svc("mysql", "MySQL", "8.0.36", 3306, facts.Access{StartTLS: yes()}), nil},

		// HTTP.
		{"nginx basic", svc("http", "nginx", "1.22.1", 8080, facts.Access{HTTPAuth: `Basic challenge at / (401, WWW-Authenticate: Basic realm="x")`}),
			[]hitWant{{check: "cleartext.http-auth", evidence: []string{"tcp/8080", "Basic challenge at /", "without encryption"}, fix: []string{"listens on 8080", "return 301 https://$host$request_uri;", "listen 443 ssl;", "nginx -t && systemctl reload nginx"}}}},
		{"apache form", svc("http", "Apache httpd", "2.4.57", 80, facts.Access{HTTPAuth: "password form at /login.html (posting to /login)"}),
			[]hitWant{{check: "cleartext.http-auth", evidence: []string{"password form at /login.html"}, fix: []string{"<VirtualHost *:80>", "Redirect permanent", "SSLEngine on", "apachectl configtest"}}}},
		{"generic digest", svc("http", "lighttpd", "", 80, facts.Access{HTTPAuth: "Digest challenge at / (401, WWW-Authenticate: Digest realm=\"x\")"}),
			[]hitWant{{check: "cleartext.http-auth", evidence: []string{"attacked offline"}, fix: []string{"301 to https://"}}}},
		{"http redirecting", svc("http", "nginx", "", 80, facts.Access{}), nil},
		{"https login", func() facts.Service {
			s := svc("http", "nginx", "", 443, facts.Access{HTTPAuth: "password form at /"})
			s.TLS = true
			return s
		}(), nil},

		// SNMP.
		{"net-snmp weak", svc("snmp", "net-snmp", "", 161, facts.Access{DefaultCredentials: []string{"public", "private"}, Versions: []string{"v1", "v2c", "v3"}},
			"snmp.default-communities", "public: v1, v2c; private: v2c", "snmp.sysdescr", "Linux lab"),
			[]hitWant{
				{check: "cleartext.snmp", evidence: []string{"udp/161", "SNMP v1 and v2c", "public: v1, v2c; private: v2c"}, fix: []string{"net-snmp-create-v3-user -ro -a SHA", "-x AES", "rocommunity", "/etc/snmp/snmpd.conf", "systemctl start snmpd"}},
				{check: "auth.default.snmp", subject: "public", evidence: []string{`"public" on v1, v2c`, `"Linux lab"`}, fix: []string{"rocommunity/rwcommunity", "systemctl restart snmpd"}},
				{check: "auth.default.snmp", subject: "private", evidence: []string{`"private" on v2c`, "read-write", "was not tried"}},
			}},
		{"snmp v3 only", svc("snmp", "net-snmp", "", 1161, facts.Access{Versions: []string{"v3"}}), nil},
		{"generic snmp", svc("snmp", "Cisco SNMP", "", 161, facts.Access{DefaultCredentials: []string{"public"}, Versions: []string{"v2c"}}),
			[]hitWant{{check: "cleartext.snmp", fix: []string{"SNMPv3", "authPriv"}}, {check: "auth.default.snmp", subject: "public", fix: []string{"public and private"}}}},

		// VNC.
		{"vnc none", svc("vnc", "", "", 5901, facts.Access{SecurityTypes: []string{"None"}}),
			[]hitWant{{check: "cleartext.vnc", evidence: []string{"offers None", "without a password", "none of the offered types encrypts"}, fix: []string{"-SecurityTypes X509Vnc,TLSVnc", "-localhost", "ssh -L 5901:localhost:5901"}}}},
		{"vnc auth only", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"VNC"}}),
			[]hitWant{{check: "cleartext.vnc", evidence: []string{"none of the offered types encrypts"}}}},
		{"vnc tls and none", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"VeNCrypt", "None", "VeNCrypt/X509Vnc"}}),
			[]hitWant{{check: "cleartext.vnc", evidence: []string{"security type None"}}}},
		{"vencrypt plain", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"VeNCrypt", "VeNCrypt/Plain", "VeNCrypt/TLSPlain"}}),
			[]hitWant{{check: "cleartext.vnc", evidence: []string{"VeNCrypt/Plain"}}}},
		{"vencrypt without tls sub-types", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"VeNCrypt", "VeNCrypt/VNC"}}),
			[]hitWant{{check: "cleartext.vnc", evidence: []string{"none of the offered types encrypts"}}}},
		{"tigervnc hardened", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"VeNCrypt", "VeNCrypt/X509Vnc", "VeNCrypt/TLSVnc"}}), nil},
		{"vencrypt, sub-types unknown", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"VeNCrypt", "VNC"}}), nil},
		{"realvnc ra2", svc("vnc", "", "", 5900, facts.Access{SecurityTypes: []string{"RA2", "RA2ne"}}), nil},
		{"vnc refused everything", svc("vnc", "", "", 5900, facts.Access{}), nil},

		// Missing authentication.
		{"mosquitto anonymous", svc("mqtt", "Mosquitto", "2.0.11", 1883, facts.Access{Anonymous: true}),
			[]hitWant{{check: "auth.none.mqtt", evidence: []string{"Mosquitto 2.0.11", "CONNACK return code 0"}, fix: []string{"allow_anonymous false", "password_file", "mosquitto_passwd -c", "Mosquitto 2.0"}}}},
		{"unknown broker anonymous", svc("mqtt", "", "", 1883, facts.Access{Anonymous: true}),
			[]hitWant{{check: "auth.none.mqtt", fix: []string{"If the broker is Mosquitto", "Other brokers"}}}},
		{"mqtt over tls anonymous", func() facts.Service {
			s := svc("mqtt", "", "", 8883, facts.Access{Anonymous: true})
			s.TLS = true
			return s
		}(), []hitWant{{check: "auth.none.mqtt"}}},
		{"mqtt refused", svc("mqtt", "", "", 8883, facts.Access{}), nil},
		{"redis 7", svc("redis", "Redis", "7.0.15", 6379, facts.Access{Unauthenticated: "INFO answered without a password: redis_version 7.0.15, 3 keys in db0"}),
			[]hitWant{{check: "auth.none.redis", evidence: []string{"Redis (Redis 7.0.15) on tcp/6379", "3 keys in db0"}, fix: []string{"requirepass", "Redis 6.0 and later", "user default off", "protected-mode yes"}}}},
		{"redis 5", svc("redis", "Redis", "5.0.7", 6379, facts.Access{Unauthenticated: "INFO answered without a password"}),
			[]hitWant{{check: "auth.none.redis", fix: []string{"requirepass"}}}},
		{"redis with password", svc("redis", "Redis", "", 6390, facts.Access{}), nil},
		{"memcached", svc("memcached", "memcached", "1.6.18", 11211, facts.Access{Unauthenticated: "stats answered without authentication: 12 items"}),
			[]hitWant{{check: "auth.none.memcached", evidence: []string{"12 items"}, fix: []string{"-l 127.0.0.1", "/etc/memcached.conf", "-S", "systemctl restart memcached"}}}},
		{"mongodb", svc("mongodb", "MongoDB", "7.0.2", 27017, facts.Access{Unauthenticated: "listDatabases answered without credentials: 3 databases (admin, clinic, local)"}),
			[]hitWant{{check: "auth.none.mongodb", evidence: []string{"clinic"}, fix: []string{"db.createUser", "authorization: enabled", "systemctl restart mongod"}}}},
		{"elasticsearch 8", svc("elasticsearch", "Elasticsearch", "8.11.0", 9200, facts.Access{Unauthenticated: "GET /_cluster/health answered without credentials"}),
			[]hitWant{{check: "auth.none.elasticsearch", fix: []string{"xpack.security.enabled: true", "elasticsearch-reset-password -u elastic"}}}},
		{"elasticsearch 7", svc("elasticsearch", "Elasticsearch", "7.17.9", 9200, facts.Access{Unauthenticated: "x"}),
			[]hitWant{{check: "auth.none.elasticsearch", fix: []string{"elasticsearch-setup-passwords interactive"}}}},
		{"elasticsearch 6.2", svc("elasticsearch", "Elasticsearch", "6.2.4", 9200, facts.Access{Unauthenticated: "x"}),
			[]hitWant{{check: "auth.none.elasticsearch", fix: []string{"predates free security"}}}},
		{"opensearch", svc("elasticsearch", "OpenSearch", "2.11.0", 9200, facts.Access{Unauthenticated: "x"}),
			[]hitWant{{check: "auth.none.elasticsearch", fix: []string{"OpenSearch Security plugin"}}}},
		{"docker", svc("docker", "Docker", "24.0.7", 2375, facts.Access{Unauthenticated: "GET /version answered without credentials: Docker 24.0.7"}),
			[]hitWant{{check: "auth.none.docker", evidence: []string{"Docker Engine API", "tcp/2375"}, fix: []string{"tcp:// listener on 2375", "daemon.json", "--tlsverify", "systemctl daemon-reload"}}}},
		{"docker with client certificates", svc("docker", "Docker", "", 2376, facts.Access{}), nil},

		// Nothing learnt.
		{"no access facts", facts.Service{Port: 21, Transport: facts.TCP, Name: "ftp"}, nil},
		{"other protocol", svc("ssh", "OpenSSH", "9.2p1", 22, facts.Access{StartTLS: no(), Anonymous: true, Unauthenticated: "x"}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			hits := JudgeAccess(Input{Service: &s})
			if len(hits) != len(tt.want) {
				var got []string
				for _, h := range hits {
					got = append(got, h.Check+"/"+h.Subject+": "+h.Evidence)
				}
				t.Fatalf("got %d hits %q, want %d", len(hits), got, len(tt.want))
			}
			for _, w := range tt.want {
				i := slices.IndexFunc(hits, func(h Hit) bool { return h.Check == w.check && h.Subject == w.subject })
				if i < 0 {
					t.Errorf("no %s/%s hit", w.check, w.subject)
					continue
				}
				h := hits[i]
				f := MakeFinding(h, "127.0.2.1", s.Port, s.Transport) // panics on an unknown check
				wantSev := w.severity
				if wantSev == 0 {
					c, _ := Lookup(w.check)
					wantSev = c.Severity
				}
				if f.Severity != wantSev {
					t.Errorf("%s severity %s, want %s", w.check, f.Severity, wantSev)
				}
				for _, e := range w.evidence {
					if !strings.Contains(h.Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", w.check, h.Evidence, e)
					}
				}
				if strings.TrimSpace(h.Fix) == "" {
					t.Errorf("%s has no product fix", w.check)
				}
				for _, x := range w.fix {
					if !strings.Contains(h.Fix, x) {
						t.Errorf("%s fix %q lacks %q", w.check, h.Fix, x)
					}
				}
			}
		})
	}
}

// TestAccessFixesComplete: every check JudgeAccess reports has a generic
// fix or a fix for every product that can carry it, and each fix reads as
// a sentence.
func TestAccessFixesComplete(t *testing.T) {
	for product, fixes := range accessFixes {
		for id, f := range fixes {
			if _, ok := Lookup(id); !ok {
				t.Errorf("fix for unknown check %q (product %q)", id, product)
			}
			for _, s := range []*facts.Service{
				{Name: strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(id, "cleartext."), "auth.none."), "auth.anonymous."), Port: 25},
			} {
				s.Access = &facts.Access{}
				fix := f(accessTarget{s: s, a: s.Access, noStartTLS: true, plainAuth: true})
				if fix == "" || !strings.HasSuffix(fix, ".") {
					t.Errorf("fix %s/%s = %q", product, id, fix)
				}
			}
		}
	}
}

func TestVersionAtLeast(t *testing.T) {
	tests := []struct {
		v           string
		want        []int
		known, isAt bool
	}{
		{"10.11.19", []int{10, 5, 2}, true, true},
		{"10.5.1", []int{10, 5, 2}, true, false},
		{"10.5.2", []int{10, 5, 2}, true, true},
		{"5.7.44-log", []int{5, 7, 8}, true, true},
		{"5.7", []int{5, 7, 8}, true, false},
		{"", []int{1}, false, false},
		{"x1", []int{1}, false, false},
	}
	for _, tt := range tests {
		known, ok := versionAtLeast(tt.v, tt.want...)
		if known != tt.known || ok != tt.isAt {
			t.Errorf("versionAtLeast(%q, %v) = %v %v", tt.v, tt.want, known, ok)
		}
	}
}
