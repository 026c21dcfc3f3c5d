package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

// Config says what store to generate.
type Config struct {
	Scans, Hosts int
	// Every is the time between two scans; the last one finishes at End.
	Every time.Duration
	End   time.Time
	Seed  uint64
	// Stop, when between 1 and Scans, writes only the first Stop scans of
	// the history, the last of them ending at End: a store that ends
	// part-way, with weaknesses still open.
	Stop int
}

// written is how many scans Generate writes.
func (c Config) written() int {
	if c.Stop >= 1 && c.Stop < c.Scans {
		return c.Stop
	}
	return c.Scans
}

// Saver is what Generate writes to (store.Store).
type Saver interface {
	Save(ctx context.Context, doc *result.Document) error
}

var _ Saver = (*store.Store)(nil)

// Generate writes cfg.Scans documents (or cfg.Stop) to st, oldest first, calling progress
// after each, and returns how many findings they hold in all.
func Generate(ctx context.Context, st Saver, cfg Config, progress func(done int)) (int, error) {
	if cfg.Scans < 1 || cfg.Hosts < 1 || cfg.Hosts > 25000 || cfg.Every <= 0 {
		return 0, fmt.Errorf("need at least one scan, 1 to 25,000 hosts and a positive interval (got %d scans, %d hosts, every %s)", cfg.Scans, cfg.Hosts, cfg.Every)
	}
	net := newNetwork(cfg)
	total := 0
	for i := range cfg.written() {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		doc := net.scan(i)
		if err := st.Save(ctx, doc); err != nil {
			return total, err
		}
		total += len(doc.Findings)
		if progress != nil {
			progress(i + 1)
		}
	}
	return total, nil
}

// A weakness is one thing wrong with a host's configuration.
type weakness int

const (
	sshWeak weakness = iota
	sshMedium
	tlsOld
	certExpiring
	httpBasic
	redisOpen
	pgNoTLS
	mysqlNoTLS
	imapPlain
	ftpCleartext
	ftpAnonymous
	telnetOn
	snmpPublic
	vncNone
	weaknesses
)

// severity is the worst finding a weakness causes, which decides when the
// organisation gets round to fixing it.
var severity = map[weakness]int{
	telnetOn: 3, redisOpen: 3,
	sshWeak: 2, tlsOld: 2, httpBasic: 2, pgNoTLS: 2, mysqlNoTLS: 2, imapPlain: 2, ftpCleartext: 2, ftpAnonymous: 2, snmpPublic: 2, vncNone: 2,
	sshMedium: 1, certExpiring: 1,
}

// fixedBy is the fraction of the history by which every weakness of a
// severity is fixed: criticals first, then highs, then mediums. After that
// the level is 4 apart from regressions.
var fixedBy = map[int]float64{3: 0.3, 2: 0.6, 1: 0.85}

// A role is what a host does: which services it runs and which weaknesses
// it may have.
type role struct {
	name string
	// share is how many hosts of 100 have the role.
	share    int
	services []string
	weak     []weakness
}

var roles = []role{
	{"ws", 38, []string{"ssh"}, []weakness{sshWeak, sshMedium, vncNone, telnetOn}},
	{"web", 14, []string{"ssh", "http", "https"}, []weakness{sshWeak, sshMedium, tlsOld, certExpiring, httpBasic}},
	{"db", 10, []string{"ssh", "postgresql", "redis"}, []weakness{sshWeak, sshMedium, redisOpen, pgNoTLS}},
	{"app", 8, []string{"ssh", "https", "mysql"}, []weakness{sshWeak, sshMedium, tlsOld, certExpiring, mysqlNoTLS}},
	{"mail", 4, []string{"ssh", "smtp", "imap", "imaps"}, []weakness{sshWeak, sshMedium, imapPlain, certExpiring}},
	{"files", 8, []string{"ssh", "ftp"}, []weakness{sshWeak, sshMedium, ftpCleartext, ftpAnonymous}},
	{"print", 14, []string{"http", "snmp"}, []weakness{telnetOn, snmpPublic, httpBasic}},
	{"legacy", 4, []string{"ssh", "ftp", "http"}, []weakness{sshWeak, sshMedium, ftpCleartext, telnetOn, httpBasic}},
}

// span is a run of scans [from, to) during which a weakness is present.
type span struct{ from, to int }

// slot is one place in the network: a host that may be replaced by
// another (a new address) part-way through the history.
type slot struct {
	role     role
	addr     [2]string // the first host, and the one that replaces it
	replaced int       // the scan from which addr[1] answers; > Scans when never
	weak     map[weakness][]span
	product  map[string][2]string // service → product, version
}

type network struct {
	cfg   Config
	slots []slot
}

func newNetwork(cfg Config) *network {
	n := &network{cfg: cfg, slots: make([]slot, cfg.Hosts)}
	// A bad rollout: for a twentieth of the history, telnet comes back on
	// some machines at once (a drop to level 1 on the overview's trend).
	rollout := cfg.Scans * 6 / 10
	for j := range n.slots {
		r := rand.New(rand.NewPCG(cfg.Seed, uint64(j)))
		s := &n.slots[j]
		s.role = pickRole(r)
		s.addr[0] = fmt.Sprintf("10.20.%d.%d", j/200, j%200+10)
		s.addr[1] = fmt.Sprintf("10.21.%d.%d", j/200, j%200+10)
		s.replaced = cfg.Scans + 1
		if r.IntN(100) < 15 {
			s.replaced = 1 + r.IntN(max(1, cfg.Scans-1))
		}
		s.weak = map[weakness][]span{}
		for _, w := range s.role.weak {
			var spans []span
			// Present at the start on most hosts and fixed at some point
			// before its severity's deadline: the organisation improves.
			if r.IntN(100) < 55 {
				spans = append(spans, span{0, r.IntN(max(1, int(fixedBy[severity[w]]*float64(cfg.Scans))))})
			}
			// Regressions: in three short windows late in the history a
			// few hosts get a weakness back for a while.
			for _, at := range []float64{0.7, 0.8, 0.92} {
				if severity[w] < 3 && r.IntN(100) < 2 {
					from := int(at * float64(cfg.Scans))
					spans = append(spans, span{from, from + 1 + r.IntN(max(1, cfg.Scans/40))})
				}
			}
			if w == telnetOn && r.IntN(100) < 10 {
				spans = append(spans, span{rollout, rollout + max(1, cfg.Scans/20)})
			}
			s.weak[w] = spans
		}
		s.product = map[string][2]string{
			"ssh":        pick(r, [][2]string{{"OpenSSH", "9.2p1"}, {"OpenSSH", "8.4p1"}, {"OpenSSH", "9.6p1"}}),
			"http":       pick(r, [][2]string{{"nginx", "1.22.1"}, {"Apache httpd", "2.4.62"}, {"lighttpd", "1.4.69"}}),
			"postgresql": pick(r, [][2]string{{"PostgreSQL", "15"}, {"PostgreSQL", "13"}}),
			"redis":      {"Redis", pick(r, [][2]string{{"7.0.15"}, {"6.0.16"}})[0]},
			"mysql":      pick(r, [][2]string{{"MariaDB", "10.11.6"}, {"MySQL", "8.0.36"}}),
			"smtp":       {"Postfix", ""},
			"imap":       {"Dovecot", ""},
			"ftp":        pick(r, [][2]string{{"vsftpd", "3.0.3"}, {"ProFTPD", "1.3.8"}}),
		}
		if s.role.name == "legacy" {
			s.product["ssh"] = [2]string{"OpenSSH", "7.4"}
		}
	}
	return n
}

func pickRole(r *rand.Rand) role {
	n := r.IntN(100)
	for _, ro := range roles {
		if n < ro.share {
			return ro
		}
		n -= ro.share
	}
	return roles[0]
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (s *slot) has(w weakness, i int) bool {
	for _, sp := range s.weak[w] {
		if i >= sp.from && i < sp.to {
			return true
		}
	}
	return false
}

func (s *slot) address(i int) string {
	if i >= s.replaced {
		return s.addr[1]
	}
	return s.addr[0]
}

// scan returns the i-th scan's document.
func (n *network) scan(i int) *result.Document {
	finished := n.cfg.End.Add(-time.Duration(n.cfg.written()-1-i) * n.cfg.Every)
	started := finished.Add(-time.Duration(40+i%50) * time.Second)
	hosts := make([]facts.Host, 0, len(n.slots))
	for j := range n.slots {
		hosts = append(hosts, n.slots[j].host(i, finished))
	}
	slices.SortFunc(hosts, func(a, b facts.Host) int { return compareAddr(a.Address, b.Address) })
	findings := check.JudgeScan(hosts, check.Scope{Now: finished})
	id := fmt.Sprintf("%s-%08x", started.UTC().Format("20060102T150405Z"), uint32(n.cfg.Seed)*2654435761^uint32(i))
	doc := result.Assemble(id, started, finished, []string{"10.20.0.0/16", "10.21.0.0/16"}, hosts, findings, nil)
	doc.Ports = "1-65535"
	udp := "53,123,161"
	doc.UDPPorts = &udp
	doc.Tool = "genstore"
	doc.Run = &result.Run{Operator: "genstore", Organisation: "Example Clinic (synthetic)",
		Scanner: result.Scanner{Host: "scanner.example.internal", Addresses: []string{"10.20.255.2"}},
		Version: "bench", Revision: "synthetic", Options: map[string]any{"ports": "1-65535"}}
	doc.Done()
	return doc
}

func compareAddr(a, b string) int {
	var x, y [4]int
	fmt.Sscanf(a, "%d.%d.%d.%d", &x[0], &x[1], &x[2], &x[3])
	fmt.Sscanf(b, "%d.%d.%d.%d", &y[0], &y[1], &y[2], &y[3])
	for k := range x {
		if x[k] != y[k] {
			return x[k] - y[k]
		}
	}
	return 0
}

// host returns what scan i (finishing at now) sees of the slot's host.
func (s *slot) host(i int, now time.Time) facts.Host {
	addr := s.address(i)
	name := fmt.Sprintf("%s-%s.example.internal", s.role.name, hexOf(addr)[:6])
	h := facts.Host{Address: addr, Names: []string{name}}
	for _, svc := range s.role.services {
		h.Services = append(h.Services, s.service(svc, i, addr, name, now)...)
	}
	if s.has(telnetOn, i) {
		h.Services = append(h.Services, facts.Service{Port: 23, Transport: facts.TCP, Name: "telnet",
			Banner: `\xff\xfd\x18\xff\xfd \xff\xfd#\xff\xfd'`})
	}
	if s.has(vncNone, i) {
		h.Services = append(h.Services, facts.Service{Port: 5900, Transport: facts.TCP, Name: "vnc", Banner: "RFB 003.008",
			Access: &facts.Access{SecurityTypes: []string{"None"}}})
	}
	slices.SortFunc(h.Services, func(a, b facts.Service) int {
		if a.Transport != b.Transport {
			if a.Transport < b.Transport {
				return -1
			}
			return 1
		}
		return a.Port - b.Port
	})
	tcp := 0
	for _, sv := range h.Services {
		if sv.Transport == facts.TCP {
			tcp++
		}
	}
	h.Ports = facts.PortCounts{Open: tcp, Closed: 65535 - tcp}
	return h
}

func hexOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func bptr(b bool) *bool { return &b }

var (
	sshKex     = []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "diffie-hellman-group16-sha512"}
	sshHostKey = []string{"rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256", "ssh-ed25519"}
	sshCiphers = []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com", "aes256-gcm@openssh.com"}
	sshMACs    = []string{"umac-128-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"}
)

// service returns the ports of one service of the slot at scan i.
func (s *slot) service(kind string, i int, addr, name string, now time.Time) []facts.Service {
	p := s.product[kind]
	switch kind {
	case "ssh":
		sw := "OpenSSH_" + p[1]
		if p[1] != "7.4" {
			sw += " Debian-2+deb12u3"
		}
		kex := append(slices.Clone(sshKex), "kex-strict-s-v00@openssh.com")
		auth := []string{"publickey"}
		if s.has(sshMedium, i) {
			kex, auth = sshKex, []string{"publickey", "password"}
		}
		f := &facts.SSH{ProtocolVersion: "2.0", Software: sw, KexAlgorithms: kex, HostKeyAlgorithms: sshHostKey,
			CiphersClientToServer: sshCiphers, CiphersServerToClient: sshCiphers, MACsClientToServer: sshMACs, MACsServerToClient: sshMACs,
			Compression: []string{"none", "zlib@openssh.com"}, AuthMethods: auth,
			HostKeys: []facts.SSHHostKey{{Algorithm: "ssh-ed25519", Type: "ssh-ed25519", Bits: 256,
				Fingerprint: "SHA256:" + base64.RawStdEncoding.EncodeToString([]byte(hexOf("key" + addr)[:32]))}}}
		if s.has(sshWeak, i) {
			f.KexAlgorithms = append(slices.Clone(kex), "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1")
			f.HostKeyAlgorithms = append(slices.Clone(sshHostKey), "ssh-rsa")
			weakC := append(slices.Clone(sshCiphers), "aes128-cbc", "3des-cbc")
			f.CiphersClientToServer, f.CiphersServerToClient = weakC, weakC
			weakM := append(slices.Clone(sshMACs), "hmac-sha1", "hmac-md5")
			f.MACsClientToServer, f.MACsServerToClient = weakM, weakM
		}
		return []facts.Service{{Port: 22, Transport: facts.TCP, Name: "ssh", Product: p[0], Version: p[1], Banner: "SSH-2.0-" + sw, SSH: f}}
	case "http":
		svc := facts.Service{Port: 80, Transport: facts.TCP, Name: "http", Product: p[0], Version: p[1],
			Details: map[string]string{"http.server": p[0] + "/" + p[1]}, HTTP: &facts.HTTPAudit{RootStatus: 301, TraceChecked: true}, Access: &facts.Access{}}
		if s.has(httpBasic, i) {
			svc.HTTP.RootStatus = 401
			svc.Access.HTTPAuth = `Basic realm="Administration"`
		}
		return []facts.Service{svc}
	case "https", "imaps":
		port, proto := 443, "http"
		if kind == "imaps" {
			port, proto = 993, "imap"
		}
		svc := facts.Service{Port: port, Transport: facts.TCP, Name: proto, TLS: true, TLSAudit: s.tls(i, name, now)}
		if proto == "http" {
			hp := s.product["http"]
			svc.Product, svc.Version = hp[0], hp[1]
			svc.HTTP = &facts.HTTPAudit{RootStatus: 200, HSTS: "max-age=31536000", TraceChecked: true}
		}
		return []facts.Service{svc}
	case "postgresql":
		return []facts.Service{{Port: 5432, Transport: facts.TCP, Name: "postgresql", Product: p[0], Version: p[1],
			Access: &facts.Access{StartTLS: bptr(!s.has(pgNoTLS, i))}}}
	case "redis":
		svc := facts.Service{Port: 6379, Transport: facts.TCP, Name: "redis", Product: p[0], Version: p[1], Access: &facts.Access{}}
		// A Redis that asks for a password listens on loopback only, out of
		// the scan's sight; an open one was bound to every address.
		if !s.has(redisOpen, i) {
			return nil
		}
		svc.Access.Unauthenticated = "INFO answered without AUTH: redis_version:" + p[1] + ", connected_clients:3"
		return []facts.Service{svc}
	case "mysql":
		return []facts.Service{{Port: 3306, Transport: facts.TCP, Name: "mysql", Product: p[0], Version: p[1],
			Access: &facts.Access{StartTLS: bptr(!s.has(mysqlNoTLS, i))}}}
	case "smtp":
		return []facts.Service{{Port: 25, Transport: facts.TCP, Name: "smtp", Product: p[0], Banner: "220 " + name + " ESMTP Postfix (Debian/GNU)",
			Access: &facts.Access{StartTLS: bptr(true)}}}
	case "imap":
		a := &facts.Access{StartTLS: bptr(true)}
		if s.has(imapPlain, i) {
			a.PlaintextAuth = []string{"LOGIN", "PLAIN"}
		}
		return []facts.Service{{Port: 143, Transport: facts.TCP, Name: "imap", Product: p[0], Banner: "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS] Dovecot (Debian) ready.", Access: a}}
	case "ftp":
		a := &facts.Access{StartTLS: bptr(!s.has(ftpCleartext, i))}
		if !*a.StartTLS {
			a.PlaintextAuth = []string{"USER"}
		}
		a.Anonymous = s.has(ftpAnonymous, i)
		banner := "220 (vsFTPd " + p[1] + ")"
		if p[0] == "ProFTPD" {
			banner = "220 ProFTPD Server (Debian) [" + addr + "]"
		}
		return []facts.Service{{Port: 21, Transport: facts.TCP, Name: "ftp", Product: p[0], Version: p[1], Banner: banner, Access: a}}
	case "snmp":
		a := &facts.Access{Versions: []string{"v3"}}
		if s.has(snmpPublic, i) {
			a.Versions = []string{"v1", "v2c", "v3"}
			a.DefaultCredentials = []string{"public"}
		}
		return []facts.Service{{Port: 161, Transport: facts.UDP, Name: "snmp", Product: "net-snmp", Access: a}}
	}
	return nil
}

// tls returns the TLS audit of a port of the slot's host at scan i: an
// internal CA's certificate renewed every 90 days (or left to lapse), TLS
// 1.2 and 1.3, and TLS 1.0 and 1.1 while tlsOld holds.
func (s *slot) tls(i int, name string, now time.Time) *facts.TLS {
	modern := []facts.Suite{{ID: 0xc02f, Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}, {ID: 0xc030, Name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}, {ID: 0xcca8, Name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}}
	t13 := []facts.Suite{{ID: 0x1301, Name: "TLS_AES_128_GCM_SHA256"}, {ID: 0x1302, Name: "TLS_AES_256_GCM_SHA384"}, {ID: 0x1303, Name: "TLS_CHACHA20_POLY1305_SHA256"}}
	old := s.has(tlsOld, i)
	var oldSuites []facts.Suite
	if old {
		oldSuites = []facts.Suite{{ID: 0xc013, Name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, {ID: 0x002f, Name: "TLS_RSA_WITH_AES_128_CBC_SHA"}}
	}
	versions := []facts.TLSVersion{
		{Name: facts.SSLv2}, {Name: facts.SSLv3},
		{Name: facts.TLS10, Accepted: old, Suites: oldSuites},
		{Name: facts.TLS11, Accepted: old, Suites: oldSuites},
		{Name: facts.TLS12, Accepted: true, Suites: modern, ServerOrder: bptr(true)},
		{Name: facts.TLS13, Accepted: true, Suites: t13},
	}
	// Certificates are renewed every 90 days, 30 days before they end;
	// while certExpiring holds the renewal was missed.
	period := 90 * 24 * time.Hour
	epoch := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	issued := epoch.Add(now.Sub(epoch) / period * period)
	notAfter := issued.Add(period + 30*24*time.Hour)
	if s.has(certExpiring, i) {
		issued = issued.Add(-period)
		notAfter = now.Add(time.Duration(5+i%20) * 24 * time.Hour)
	}
	leaf := facts.Certificate{Subject: "CN=" + name, Issuer: "CN=Example Clinic Internal CA", DNSNames: []string{name},
		NotBefore: issued, NotAfter: notAfter, KeyAlgorithm: "ECDSA", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256",
		SHA256: hexOf(name + issued.String()), KeySHA256: hexOf("key" + name), KeyUsage: []string{"digitalSignature"}, ExtKeyUsage: []string{"serverAuth"}}
	ca := facts.Certificate{Subject: "CN=Example Clinic Internal CA", Issuer: "CN=Example Clinic Internal CA",
		NotBefore: epoch, NotAfter: epoch.AddDate(20, 0, 0), KeyAlgorithm: "ECDSA", KeyBits: 384, SignatureAlgorithm: "ECDSA-SHA384",
		SelfSigned: true, IsCA: true, SHA256: hexOf("ca"), KeySHA256: hexOf("ca key")}
	return &facts.TLS{Versions: versions, Chain: []facts.Certificate{leaf, ca}, Trusted: true, NameChecked: name, NameMatch: true, Checked: now}
}
