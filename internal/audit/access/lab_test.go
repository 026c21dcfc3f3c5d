package access

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/lab"
)

// labWant is what the weak twins plant: for each check (and subject), the
// strings its evidence must hold.
var labWant = map[string]map[string][]string{
	"mail-weak-smtp":     {"cleartext.smtp": {"EHLO does not offer STARTTLS", "AUTH PLAIN", "AUTH LOGIN", "send the password itself"}},
	"mail-weak-imap":     {"cleartext.imap": {"CAPABILITY does not offer STARTTLS", "LOGIN", "AUTHENTICATE PLAIN"}},
	"mail-weak-pop3":     {"cleartext.pop3": {"CAPA does not offer STLS", "USER", "AUTH PLAIN"}},
	"ftp-weak":           {"cleartext.ftp": {"FEAT lists no AUTH TLS", "EPSV"}, "auth.anonymous.ftp": {"USER anonymous", "230 Login successful."}},
	"db-weak-postgresql": {"cleartext.postgresql": {"answered SSLRequest with 'N'"}},
	"db-weak-mysql":      {"cleartext.mysql": {"MariaDB", "lack CLIENT_SSL (0x800)"}},
	// The data part's weak databases serve personal data without TLS
	// (data.personal.unencrypted-transport is planted on them).
	"data-pg-weak":      {"cleartext.postgresql": {"answered SSLRequest with 'N'"}},
	"data-maria-weak":   {"cleartext.mysql": {"MariaDB", "lack CLIENT_SSL (0x800)"}},
	"db-weak-redis":     {"auth.none.redis": {"INFO answered without a password", "redis_version 7.0.15"}},
	"db-weak-memcached": {"auth.none.memcached": {"stats answered without authentication", "items", "version 1.6.18"}},
	"iot-weak-mqtt":     {"auth.none.mqtt": {"CONNACK return code 0", "Mosquitto"}},
	"iot-weak-snmp": {
		"cleartext.snmp":            {"answered SNMP v1 and v2c requests", "public: v1, v2c"},
		"auth.default.snmp/public":  {`accepted the community "public" on v1, v2c`, "sysDescr.0"},
		"auth.default.snmp/private": {`accepted the community "private" on v1, v2c`, "read-write"},
	},
	"web-weak-http": {"cleartext.http-auth": {"Basic challenge at /", `realm="vigil lab web-weak"`}},
	"web-jenkins":   {"cleartext.http-auth": {"password form at /login"}},
	"misc-ldap":     {"cleartext.ldap": {"refused the StartTLS extended operation", "protocolError"}},
	"misc-vnc":      {"cleartext.vnc": {"offers None", "security type None"}},
}

// accessChecks are the checks JudgeAccess reports.
var accessChecks = []string{
	"cleartext.ftp", "cleartext.smtp", "cleartext.imap", "cleartext.pop3", "cleartext.ldap",
	"cleartext.postgresql", "cleartext.mysql", "cleartext.http-auth", "cleartext.snmp", "cleartext.vnc",
	"auth.none.redis", "auth.none.memcached", "auth.none.mongodb", "auth.none.elasticsearch", "auth.none.docker",
	"auth.none.mqtt", "auth.anonymous.ftp", "auth.default.snmp",
}

// TestLabAccess identifies, audits and judges every lab service: the weak
// twins' planted weaknesses are found with the right evidence, the
// hardened twins give nothing at medium or above.
func TestLabAccess(t *testing.T) {
	m := lab.Require(t)
	d := newDialer(t)
	for _, svc := range m.Services {
		t.Run(svc.ID, func(t *testing.T) {
			t.Parallel()
			addr := svc.AddrPort()
			var s facts.Service
			if svc.Transport == "udp" {
				s, _ = identify.UDP(t.Context(), d, addr, identify.Options{})
			} else {
				s = identify.TCP(t.Context(), d, addr, identify.Options{})
			}
			a, err := Audit(t.Context(), d, addr, &s, Options{})
			if err != nil && svc.Hostile == "" {
				t.Errorf("audit of %s (%s): %v", svc.ID, s.Name, err)
			}
			s.Access = a
			assertPrintable(t, &s, a)
			hits := check.JudgeAccess(check.Input{Service: &s})
			var fs []finding.Finding
			for _, h := range hits {
				fs = append(fs, check.MakeFinding(h, svc.Host, svc.Port, svc.Transport))
			}
			for _, f := range fs {
				t.Logf("%s %s/%s [%s] %s\n  fix: %s", f.Check, f.Subject, f.Severity, svc.ID, f.Evidence, f.Recommendation)
			}
			if a != nil {
				t.Logf("access: starttls %s, plaintext auth %q, http auth %q, anonymous %v, unauthenticated %q, default credentials %q, versions %q, security types %q; details %v",
					boolp(a.StartTLS), a.PlaintextAuth, a.HTTPAuth, a.Anonymous, a.Unauthenticated, a.DefaultCredentials, a.Versions, a.SecurityTypes, s.Details)
			}
			want := labWant[svc.ID]
			for key, evidence := range want {
				id, subject, _ := strings.Cut(key, "/")
				i := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.Check == id && f.Subject == subject })
				if i < 0 {
					t.Errorf("no %s finding on %s (name %q, access %+v)", key, svc.ID, s.Name, a)
					continue
				}
				for _, e := range evidence {
					if !strings.Contains(fs[i].Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", key, fs[i].Evidence, e)
					}
				}
				if strings.TrimSpace(fs[i].Recommendation) == "" {
					t.Errorf("%s has no recommendation", key)
				}
			}
			for _, f := range fs {
				if !slices.Contains(accessChecks, f.Check) {
					t.Errorf("JudgeAccess reported %s, not one of its checks", f.Check)
				}
				if _, planted := want[f.Check+keySuffix(f.Subject)]; !planted && svc.Twin == "weak" {
					t.Errorf("unexpected %s/%s on %s: %s", f.Check, f.Subject, svc.ID, f.Evidence)
				}
				if svc.Twin == "hard" && f.Severity >= finding.Medium {
					t.Errorf("hardened %s gives %s (%s): %s", svc.ID, f.Check, f.Severity, f.Evidence)
				}
			}
		})
	}
}

func keySuffix(subject string) string {
	if subject == "" {
		return ""
	}
	return "/" + subject
}

// TestLabSNMPNoDefaultCreds: with NoDefaultCreds the audit of the weak
// agent sends no community, so it learns of none.
func TestLabSNMPNoDefaultCreds(t *testing.T) {
	m := lab.Require(t)
	svc := m.Find("iot-weak-snmp")
	if svc.ID == "" {
		t.Fatal("the lab has no iot-weak-snmp")
	}
	d := newDialer(t)
	s := facts.Service{Port: svc.Port, Transport: facts.UDP, Name: "snmp"}
	a, err := Audit(t.Context(), d, svc.AddrPort(), &s, Options{NoDefaultCreds: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.DefaultCredentials) != 0 || slices.Contains(a.Versions, "v1") || slices.Contains(a.Versions, "v2c") {
		t.Errorf("NoDefaultCreds learnt %+v", *a)
	}
	if !slices.Contains(a.Versions, "v3") {
		t.Errorf("net-snmp answers SNMPv3 discovery without credentials; versions %v", a.Versions)
	}
}
