package compliance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/result"
)

// rule says when a check can give evidence: a check that finds nothing only
// vouches for what it could look at. A check judges services (service is
// set), or host configuration seen by a host audit (hostAudit), or something
// a scan document does not record (neither: only a finding proves it ran).
type rule struct {
	service   func(s *facts.Service) bool
	hostAudit bool
	// packages: the check examines the packages a host audit listed.
	packages bool
	// needs says, for the no-evidence explanation, what would let the
	// check look.
	needs string
}

// rules is the registry of evidence rules, one per catalogue check; a test
// asserts that every check has one.
var rules = map[string]rule{
	"tls.protocol.sslv2":            tlsRule,
	"tls.protocol.sslv3":            tlsRule,
	"tls.protocol.tls10":            tlsRule,
	"tls.protocol.tls11":            tlsRule,
	"tls.protocol.no-tls13":         tlsRule,
	"tls.cipher.anonymous":          tlsRule,
	"tls.cipher.null":               tlsRule,
	"tls.cipher.export":             tlsRule,
	"tls.cipher.weak":               tlsRule,
	"tls.cipher.no-forward-secrecy": tlsRule,
	"tls.cert.expired":              certRule,
	"tls.cert.expiring":             certRule,
	"tls.cert.untrusted":            certRule,
	"tls.cert.weak-key":             certRule,
	"tls.cert.weak-signature":       certRule,
	"tls.cert.name-mismatch":        certRule,
	"tls.cert.key-usage":            certRule,
	"tls.cert.no-san":               certRule,
	"tls.heartbleed":                tlsProbeRule,
	"tls.ccs-injection":             tlsProbeRule,
	"tls.robot":                     tlsProbeRule,
	"tls.renegotiation.insecure":    tlsProbeRule,
	"tls.compression":               tlsProbeRule,
	"tls.dh.weak":                   tlsProbeRule,
	"tls.fallback-scsv.missing":     tlsProbeRule,
	"tls.ocsp-stapling.missing":     tlsProbeRule,
	"tls.drown":                     tlsRule,
	"tls.breach": {service: func(s *facts.Service) bool {
		return tlsAudited(s) && s.TLSAudit.Probes != nil && s.TLSAudit.Probes.HTTPCompression != nil
	}, needs: "an HTTPS service whose answer to a compressed request was read"},
	"tls.renegotiation.client-initiated": {service: func(s *facts.Service) bool {
		return tlsAudited(s) && s.TLSAudit.Probes != nil && s.TLSAudit.Probes.ClientRenegotiation != nil
	}, needs: "a TLS 1.2 service whose client-initiated renegotiation was tried (TLS 1.3-only services, and servers with none of the probe's ECDHE or RSA suites with AES or ChaCha20, are not examined)"},

	"ssh.protocol.v1":   sshRule,
	"ssh.kex.weak":      sshRule,
	"ssh.cipher.weak":   sshRule,
	"ssh.mac.weak":      sshRule,
	"ssh.hostkey.weak":  sshRule,
	"ssh.terrapin":      sshRule,
	"ssh.auth.password": {service: func(s *facts.Service) bool { return s.SSH != nil && s.SSH.AuthMethods != nil }, needs: "an SSH server whose authentication methods were learnt"},

	// cleartext.telnet, .redis, .memcached and .mqtt: identification alone
	// decides (their catalogue entries' Examines).
	// These need to know whether the server offers an upgrade to TLS.
	"cleartext.ftp":        startTLS(proto.FTP, "an FTP service whose AUTH TLS support was probed"),
	"cleartext.smtp":       startTLS(proto.SMTP, "an SMTP service whose STARTTLS support was probed"),
	"cleartext.imap":       startTLS(proto.IMAP, "an IMAP service whose STARTTLS support was probed"),
	"cleartext.pop3":       startTLS(proto.POP3, "a POP3 service whose STLS support was probed"),
	"cleartext.ldap":       startTLS(proto.LDAP, "an LDAP service whose StartTLS support was probed"),
	"cleartext.postgresql": startTLS(proto.PostgreSQL, "a PostgreSQL service whose SSLRequest answer was seen"),
	"cleartext.mysql":      startTLS(proto.MySQL, "a MySQL/MariaDB service whose capabilities were read"),
	"cleartext.http-auth": {service: func(s *facts.Service) bool { return s.Name == proto.HTTP && (s.TLS || s.Access != nil) },
		needs: "an HTTP service whose login pages were looked for"},
	"cleartext.snmp": accessed(proto.SNMP, "an SNMP agent whose versions were probed"),
	"cleartext.vnc": {service: func(s *facts.Service) bool {
		return s.Name == proto.VNC && s.Access != nil && len(s.Access.SecurityTypes) > 0
	}, needs: "a VNC server whose security types were read"},

	"auth.none.redis":         accessed(proto.Redis, "a Redis service probed for access without a password"),
	"auth.none.memcached":     accessed(proto.Memcached, "a memcached service probed for access without authentication"),
	"auth.none.mongodb":       accessed(proto.MongoDB, "a MongoDB service probed for access without authentication"),
	"auth.none.elasticsearch": accessed(proto.Elasticsearch, "an Elasticsearch service probed for access without authentication"),
	"auth.none.docker":        accessed(proto.Docker, "a Docker API probed for access without authentication"),
	"auth.none.mqtt":          accessed(proto.MQTT, "an MQTT broker probed for anonymous clients"),
	"auth.anonymous.ftp":      accessed(proto.FTP, "an FTP service probed for anonymous login"),
	"auth.default.snmp":       accessed(proto.SNMP, "an SNMP agent probed for default communities"),
	// APIs and brokers (issue 13), audited by apiaudit.
	"auth.none.nats": apiAudited("nats", "a NATS server whose INFO line was read"),
	"cleartext.nats": {service: func(s *facts.Service) bool {
		return s.Name == proto.NATS && (s.TLS || s.API != nil && s.API.TLSRequired != nil)
	}, needs: "a NATS server whose INFO line was read"},
	"auth.none.kubernetes":      apiAudited("kubernetes", "a Kubernetes API server probed for anonymous access"),
	"auth.none.kubelet":         apiAudited("kubelet", "a kubelet probed for anonymous access"),
	"auth.none.etcd":            apiAudited("etcd", "an etcd server probed for access without authentication"),
	"auth.none.docker-registry": apiAudited("docker-registry", "a Docker registry probed for access without authentication"),
	"auth.none.couchdb":         apiAudited("couchdb", "a CouchDB server probed for access without credentials"),
	"auth.none.influxdb":        apiAudited("influxdb", "an InfluxDB server probed for access without credentials"),
	"auth.default.rabbitmq": {service: func(s *facts.Service) bool {
		return s.Name == proto.RabbitMQ && s.API != nil && s.API.DefaultLoginTried
	},
		needs: "a RabbitMQ management API probed with its default login (not with --no-default-creds)"},
	"prometheus.metrics.public": {needs: "knowing which networks are untrusted, which a scan does not record"},
	"exposure.printer":          {needs: "knowing which networks are untrusted, which a scan does not record"},
	"exposure.camera":           {needs: "knowing which networks are untrusted, which a scan does not record"},

	"http.proxy.open": {service: func(s *facts.Service) bool { return httpAudited(s) && s.HTTP.Proxy != nil },
		needs: "an HTTP service asked to relay to a canary or to itself"},
	"http.status.public": httpRule,
	"http.listing":       httpRule,
	"http.default-page":  httpRule,
	"http.trace": {service: func(s *facts.Service) bool { return httpAudited(s) && s.HTTP.TraceChecked },
		needs: "an HTTP service sent a TRACE request"},
	"http.hsts.missing": {service: func(s *facts.Service) bool {
		return httpAudited(s) && s.TLS && s.HTTP.RootStatus >= 200 && s.HTTP.RootStatus <= 399
	},
		needs: "an HTTPS service that answered /"},
	"http.admin.exposed": {needs: "knowing which networks are untrusted, which a scan does not record"},

	// File services and binary protocols (check/files.go).
	"nfs.export.world": {service: func(s *facts.Service) bool {
		return s.Name == proto.RPCBind && s.RPC != nil && (s.RPC.ExportsRead || !slices.ContainsFunc(s.RPC.Programs, func(p facts.RPCProgram) bool { return p.Program == 100005 }))
	}, needs: "a port mapper whose NFS mount daemon listed its exports"},
	"iscsi.discovery.open": {service: func(s *facts.Service) bool { return s.Name == proto.ISCSI && s.ISCSI != nil },
		needs: "an iSCSI target asked for a discovery session"},
	"cleartext.mssql": {service: func(s *facts.Service) bool { return s.Name == proto.MSSQL && s.MSSQL != nil },
		needs: "a Microsoft SQL Server whose PRELOGIN answer was read"},

	"port.open-unused":         {needs: "watching which ports are used over time (vigil host observe)"},
	"port.allowed-no-listener": hostRule,
	"exposure.admin":           {needs: "knowing which networks are untrusted, which a scan does not record"},
	"exposure.database":        {needs: "knowing which networks are untrusted, which a scan does not record"},
	// Software is judged when it announced a version, or when a host
	// audit listed the packages installed; a document with no database
	// (a gap naming vuln.known) examined nothing.
	"vuln.known": {service: func(s *facts.Service) bool { return s.Product != "" && s.Version != "" }, packages: true,
		needs: "a vulnerability database (vigil vulndb update) and services that announce their version, or a host audit's package list"},

	"smb.v1": {service: func(s *facts.Service) bool { return s.Name == proto.SMB && s.SMB != nil && s.SMB.SMB1 != nil },
		needs: "an SMB server whose SMBv1 support was probed"},
	"smb.signing.not-required": {service: func(s *facts.Service) bool {
		return s.Name == proto.SMB && s.SMB != nil && (s.SMB.Signing != "" || s.SMB.SMB1Signing != "")
	}, needs: "an SMB server whose negotiation was read"},
	"smb.guest.shares": {service: func(s *facts.Service) bool {
		return s.Name == proto.SMB && s.SMB != nil && s.SMB.Shares != nil && (s.SMB.Shares.Listed() || s.SMB.Shares.Refused != "")
	}, needs: "an SMB server probed for share listing without credentials"},
	"rdp.nla.missing": {service: func(s *facts.Service) bool {
		_, ok := s.RDP.AcceptsWithoutNLA()
		return s.Name == proto.RDP && ok
	}, needs: "an RDP server whose security negotiation was probed"},

	"ssh.config.root-login":    hostRule,
	"ssh.config.password-auth": hostRule,
	"postgresql.config.trust":  hostRule,
	"postgresql.config.no-ssl": hostRule,
	"redis.config.no-auth":     hostRule,
	"ftp.config.anonymous":     hostRule,
	"dns.config.recursion":     hostRule,
	"dns.config.axfr":          hostRule,
	"dns.config.version":       hostRule,
	"smb.config.v1":            hostRule,
	"smb.config.signing":       hostRule,
	"smb.config.guest":         hostRule,
	"firewall.none":            hostRule,
	"flow.cleartext":           {needs: "observing live connections between hosts"},

	// Apache httpd's configuration (internal/check/host_apache.go).
	"http.config.status-public": hostRule,
	"http.config.trace":         hostRule,
	"http.config.listing":       hostRule,

	"dns.recursion.open": {service: func(s *facts.Service) bool { return s.DNS != nil && s.DNS.Recursion != nil },
		needs: "a DNS server that answered a recursive question"},
	"dns.axfr.open": {service: func(s *facts.Service) bool {
		return s.DNS != nil && s.Transport == facts.TCP && s.DNS.ZoneCandidates > 0
	},
		needs: "a DNS server over TCP whose zones were looked for"},
	"dns.version.disclosed": {service: func(s *facts.Service) bool { return s.DNS != nil },
		needs: "a DNS server asked for its version"},

	// Personal-data checks judge a vigil data scan, which a network scan
	// document does not record: only their findings prove they ran.
	"data.personal.unencrypted-transport": dataRule,
	"data.personal.broad-access":          dataRule,
	"data.personal.in-files":              dataRule,
	"data.retention.exceeded":             dataRule,
	"data.erasure.incomplete":             dataRule,

	// Every open port a scan found is examined for coverage.
	"coverage.unexamined":   {service: func(*facts.Service) bool { return true }, needs: "a scan that found open ports"},
	"coverage.audit-failed": {service: func(*facts.Service) bool { return true }, needs: "a scan that found open ports"},
}

// ruleOf returns check c's evidence rule: its entry in rules, or else the
// services its catalogue entry says it examines (check.Check.Examines).
func ruleOf(c string) (rule, bool) {
	if r, ok := rules[c]; ok {
		return r, true
	}
	if ch, ok := check.Lookup(c); ok && ch.Examines != nil {
		return rule{service: ch.Examines, needs: ch.Needs}, true
	}
	return rule{}, false
}

var (
	httpRule     = rule{service: httpAudited, needs: "an HTTP service inspected by the HTTP audit"}
	tlsRule      = rule{service: func(s *facts.Service) bool { return tlsAudited(s) }, needs: "a TLS service to audit"}
	tlsProbeRule = rule{service: func(s *facts.Service) bool { return tlsAudited(s) && s.TLSAudit.Probes != nil },
		needs: "a TLS service whose vulnerability probes ran"}
	certRule = rule{service: func(s *facts.Service) bool { return tlsAudited(s) && len(s.TLSAudit.Chain) > 0 },
		needs: "a TLS service whose certificate was read"}
	sshRule = rule{service: func(s *facts.Service) bool {
		return s.SSH != nil && len(s.SSH.KexAlgorithms) > 0
	}, needs: "an SSH service to audit"}
	hostRule = rule{hostAudit: true, needs: "a host audit (vigil host)"}
	dataRule = rule{needs: "a personal-data scan of the organisation's databases and shares (vigil data scan)"}
)

func httpAudited(s *facts.Service) bool { return s.Name == proto.HTTP && s.HTTP != nil }

func tlsAudited(s *facts.Service) bool {
	if s.TLSAudit == nil {
		return false
	}
	for _, v := range s.TLSAudit.Versions {
		if v.Accepted {
			return true
		}
	}
	return false
}

// startTLS: the service either speaks TLS from the first byte (nothing in
// cleartext) or its offer of an upgrade to TLS is known.
func startTLS(name, needs string) rule {
	return rule{service: func(s *facts.Service) bool {
		return s.Name == name && (s.TLS || (s.Access != nil && s.Access.StartTLS != nil))
	}, needs: needs}
}

// accessed: the service's access was probed.
func accessed(name, needs string) rule {
	return rule{service: func(s *facts.Service) bool { return s.Name == name && s.Access != nil }, needs: needs}
}

// apiAudited: the API audit (apiaudit) ran on the service.
func apiAudited(name, needs string) rule {
	return rule{service: func(s *facts.Service) bool { return s.Name == name && s.API != nil }, needs: needs}
}

// needFor returns what check c needs to give evidence.
func needFor(c string) string {
	if ch, ok := check.Lookup(c); ok && ch.Planned != "" {
		return "a check that is not built yet (" + c + ", planned: " + ch.Planned + ")"
	}
	if r, ok := ruleOf(c); ok {
		return r.needs
	}
	return "a check this version of vigil cannot assess (" + c + ")"
}

// observations answers, for a check, the subjects it could examine in a scan.
type observations struct {
	doc   *result.Document
	fired map[string][]string
	// audited lists the hosts audited from inside: those the document
	// says were, and those with a finding only a host audit can make.
	audited []string
}

func observe(doc *result.Document) observations {
	o := observations{doc: doc, fired: map[string][]string{}}
	for _, h := range doc.Hosts {
		if h.Audited != nil {
			o.audited = append(o.audited, h.Address)
		}
	}
	for _, f := range doc.Findings {
		s := subjectOf(f)
		if !slices.Contains(o.fired[f.Check], s) {
			o.fired[f.Check] = append(o.fired[f.Check], s)
		}
		if r, _ := ruleOf(f.Check); r.hostAudit && !slices.Contains(o.audited, f.Host) {
			o.audited = append(o.audited, f.Host)
		}
	}
	return o
}

func subjectOf(f finding.Finding) string {
	if f.Port == 0 {
		return "host " + f.Host
	}
	return fmt.Sprintf("%s:%d/%s", f.Host, f.Port, f.Transport)
}

// subjects returns where check c could look in the scan (including where it
// fired), sorted.
func (o observations) subjects(c string) []string {
	set := map[string]bool{}
	for _, s := range o.fired[c] {
		set[s] = true
	}
	r, _ := ruleOf(c)
	for _, g := range o.doc.NotExamined {
		if slices.Contains(g.Checks, c) {
			// Switched off for the whole document: it looked nowhere.
			r = rule{}
		}
	}
	if h := o.doc.HostAudit; r.packages && h != nil && len(h.Packages) > 0 {
		set["host "+h.Hostname] = true
	}
	for _, h := range o.doc.Hosts {
		if r.service != nil {
			for i := range h.Services {
				s := &h.Services[i]
				if r.service(s) {
					set[fmt.Sprintf("%s:%d/%s", h.Address, s.Port, s.Transport)] = true
				}
			}
		}
	}
	if r.hostAudit {
		for _, h := range o.audited {
			set["host "+h] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.SortFunc(out, compareSubjects)
	return out
}

// compareSubjects orders "host:port/transport" and "host X" subjects by
// host address, then port.
func compareSubjects(a, b string) int {
	ha, pa := splitSubject(a)
	hb, pb := splitSubject(b)
	if c := finding.CompareHosts(ha, hb); c != 0 {
		return c
	}
	return naturalCompare(pa, pb)
}

func splitSubject(s string) (host, rest string) {
	if h, ok := strings.CutPrefix(s, "host "); ok {
		return h, ""
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+1:]
}
