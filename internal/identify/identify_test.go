package identify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/facts"
)

// want is the expected identification of one test server.
type want struct {
	name, product, version string
	tls                    bool
	details                map[string]string // subset that must be present
	banner                 string            // prefix, when set
}

func (w want) check(t *testing.T, s facts.Service) {
	t.Helper()
	if s.Name != w.name || s.TLS != w.tls || s.Product != w.product || s.Version != w.version {
		t.Errorf("got name %q tls %v product %q version %q (banner %q, details %v); want %q %v %q %q",
			s.Name, s.TLS, s.Product, s.Version, s.Banner, s.Details, w.name, w.tls, w.product, w.version)
	}
	for k, v := range w.details {
		if s.Detail(k) != v {
			t.Errorf("Details[%s] = %q, want %q", k, s.Detail(k), v)
		}
	}
	if !strings.HasPrefix(s.Banner, w.banner) {
		t.Errorf("Banner = %q, want prefix %q", s.Banner, w.banner)
	}
	assertPrintable(t, s)
}

func TestTCPServers(t *testing.T) {
	mysql := mysqlHandshakeV10("5.5.5-10.11.6-MariaDB-0+deb12u1", 0x81fffffe, "mysql_native_password")
	docker := map[string][]byte{
		"/":        httpMessage("404 Not Found", "Api-Version: 1.43\r\nServer: Docker/24.0.7 (linux)\r\n", `{"message":"page not found"}`),
		"/version": httpMessage("200 OK", "Api-Version: 1.43\r\nServer: Docker/24.0.7 (linux)\r\n", `{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux","Arch":"amd64"}`),
	}
	es := map[string][]byte{"/": httpMessage("200 OK", "X-elastic-product: Elasticsearch\r\ncontent-type: application/json\r\n",
		`{"name":"n1","cluster_name":"lab","version":{"number":"8.11.0"},"tagline":"You Know, for Search"}`)}
	nginx := map[string][]byte{"/": httpMessage("200 OK", "Server: nginx/1.22.1\r\n", "<html><title>Welcome</title></html>")}
	smbAnswer := smbResponse(0, 1, 0x0311)
	amqpAnswer := amqpStartFrame(map[string]string{"product": "RabbitMQ", "version": "3.12.1"})

	tests := []struct {
		name    string
		handler func(*testing.T) func(context.Context, net.Conn)
		want    want
	}{
		{"ssh", fixed(bannerThen("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", nil)),
			want{name: "ssh", product: "OpenSSH", version: "9.2p1", banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", details: map[string]string{"ssh.protocol": "2.0"}}},
		{"dropbear", fixed(bannerThen("SSH-2.0-dropbear_2022.83\r\n", nil)), want{name: "ssh", product: "Dropbear", version: "2022.83", banner: "SSH-2.0-dropbear"}},
		{"vsftpd", fixed(bannerThen("220 (vsFTPd 3.0.3)\r\n", nil)), want{name: "ftp", product: "vsftpd", version: "3.0.3", banner: "220 (vsFTPd 3.0.3)"}},
		{"pure-ftpd multi-line", fixed(bannerThen("220---------- Welcome to Pure-FTPd [privsep] ----------\r\n220-Local time is now 12:00.\r\n220 You will be disconnected after 15 minutes of inactivity.\r\n", nil)),
			want{name: "ftp", product: "Pure-FTPd"}},
		{"ambiguous 220 answered like FTP", fixed(bannerThen("220 Welcome\r\n", func(string) string { return "530 Please login with USER and PASS.\r\n" })),
			want{name: "ftp"}},
		{"ambiguous 220 answered like SMTP", fixed(bannerThen("220 Welcome\r\n", func(l string) string {
			if strings.HasPrefix(l, "EHLO") {
				return "250-lab.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
			}
			return "502 5.5.2 Error\r\n"
		})), want{name: "smtp", details: map[string]string{"smtp.ehlo": "PIPELINING STARTTLS"}}},
		{"postfix", fixed(bannerThen("220 mail.lab.test ESMTP Postfix (Debian/GNU)\r\n", nil)),
			want{name: "smtp", product: "Postfix", details: map[string]string{"smtp.banner": "mail.lab.test ESMTP Postfix (Debian/GNU)"}}},
		{"exim", fixed(bannerThen("220 mx.lab.test ESMTP Exim 4.96 Thu, 23 Nov 2023 10:00:00 +0000\r\n", nil)), want{name: "smtp", product: "Exim", version: "4.96"}},
		{"slow smtp banner comes as a probe's answer", fixed(func(_ context.Context, c net.Conn) {
			time.Sleep(3 * testOptions.BannerWait)
			bannerThen("220 mail.lab.test ESMTP Postfix\r\n", func(string) string { return "502 5.5.2 Error: command not recognized\r\n" })(nil, c)
		}), want{name: "smtp", product: "Postfix"}},
		{"dovecot imap", fixed(bannerThen("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n", nil)),
			want{name: "imap", product: "Dovecot", details: map[string]string{"imap.capability": "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN"}}},
		{"dovecot pop3", fixed(bannerThen("+OK Dovecot (Debian) ready.\r\n", nil)), want{name: "pop3", product: "Dovecot", banner: "+OK Dovecot"}},
		{"telnet", fixed(bannerThen("\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01", nil)), want{name: "telnet", details: map[string]string{"telnet.options": "DO TERMINAL-TYPE, DO TERMINAL-SPEED, WILL ECHO"}}},
		{"vnc", fixed(bannerThen("RFB 003.008\n", nil)), want{name: "vnc", banner: "RFB 003.008", details: map[string]string{"vnc.rfb": "3.8"}}},
		{"mariadb", fixed(bannerThen(string(mysql), nil)), want{name: "mysql", product: "MariaDB", version: "10.11.6", details: map[string]string{"mysql.ssl": "true", "mysql.capabilities": "0x81fffffe"}}},
		{"nginx", fixed(httpHandler(nginx, nil)), want{name: "http", product: "nginx", version: "1.22.1", banner: "HTTP/1.1 200 OK; Server: nginx/1.22.1",
			details: map[string]string{"http.status": "200", "http.title": "Welcome"}}},
		{"docker api", fixed(httpHandler(docker, nil)), want{name: "docker", product: "Docker", version: "24.0.7", details: map[string]string{"docker.api-version": "1.43"}}},
		{"elasticsearch", fixed(httpHandler(es, nil)), want{name: "elasticsearch", product: "Elasticsearch", version: "8.11.0", details: map[string]string{"elasticsearch.cluster-name": "lab"}}},
		{"https", func(t *testing.T) func(context.Context, net.Conn) { return overTLS(t, httpHandler(nginx, nil)) },
			want{name: "http", tls: true, product: "nginx", version: "1.22.1", details: map[string]string{"tls.version": "TLS1.3"}}},
		{"imaps", func(t *testing.T) func(context.Context, net.Conn) {
			return overTLS(t, bannerThen("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot (Debian) ready.\r\n", nil))
		}, want{name: "imap", tls: true, product: "Dovecot"}},
		{"smtps", func(t *testing.T) func(context.Context, net.Conn) {
			return overTLS(t, bannerThen("220 mail.lab.test ESMTP Postfix\r\n", nil))
		}, want{name: "smtp", tls: true, product: "Postfix"}},
		{"mqtt over tls", func(t *testing.T) func(context.Context, net.Conn) { return overTLS(t, mqttHandler(0)) },
			want{name: "mqtt", tls: true, product: "Mosquitto", version: "2.0.11"}},
		{"tls with an unknown inner protocol", func(t *testing.T) func(context.Context, net.Conn) {
			return overTLS(t, func(_ context.Context, c net.Conn) { drain(c) })
		}, want{name: "unknown", tls: true}},
		{"tls records crypto/tls cannot complete", fixed(func(_ context.Context, c net.Conn) {
			if _, err := io.ReadFull(c, make([]byte, 5)); err != nil {
				return
			}
			_, _ = c.Write([]byte{0x15, 3, 0, 0, 2, 2, 40}) // SSLv3 handshake_failure alert
		}), want{name: "unknown", tls: true}},
		{"an echo service is no protocol it repeats (AMQP, PJL, TLS)", fixed(func(_ context.Context, c net.Conn) {
			_, _ = io.Copy(c, c)
		}), want{name: "unknown", details: map[string]string{"identify.echo": "yes"}}},
		{"postgresql ssl refused", fixed(postgresHandler('N', pgAuth(10, "SCRAM-SHA-256\x00\x00"))),
			want{name: "postgresql", product: "PostgreSQL", details: map[string]string{"postgresql.ssl": "N", "postgresql.auth": "sasl SCRAM-SHA-256"}}},
		{"postgresql ssl offered", fixed(postgresHandler('S', pgError("SFATAL", "VFATAL", "C28000", `Mrole "vigil" does not exist`, "Fmiscinit.c", "RInitializeSessionUserId"))),
			want{name: "postgresql", product: "PostgreSQL", details: map[string]string{"postgresql.ssl": "S", "postgresql.error": `FATAL 28000: role "vigil" does not exist`}}},
		{"postgresql trust", fixed(postgresHandler('N', concatAll(pgAuth(0, ""), pgParam("server_version", "15.5 (Debian 15.5-0+deb12u1)"), pgMsg('Z', []byte("I"))))),
			want{name: "postgresql", product: "PostgreSQL", version: "15.5", details: map[string]string{"postgresql.auth": "ok"}}},
		{"redis", fixed(redisHandler(false)), want{name: "redis", product: "Redis", version: "7.0.15", banner: "+PONG", details: map[string]string{"redis.auth": "none", "redis.mode": "standalone"}}},
		{"redis with password", fixed(redisHandler(true)), want{name: "redis", product: "Redis", details: map[string]string{"redis.auth": "required"}}},
		{"memcached", fixed(memcachedHandler), want{name: "memcached", product: "memcached", version: "1.6.18", banner: "VERSION 1.6.18"}},
		{"mongodb", fixed(mongoHandler), want{name: "mongodb", product: "MongoDB", version: "7.0.2", details: map[string]string{"mongodb.max-wire-version": "21"}}},
		{"mosquitto anonymous", fixed(mqttHandler(0)), want{name: "mqtt", product: "Mosquitto", version: "2.0.11", details: map[string]string{"mqtt.connack": "0", "mqtt.anonymous": "true"}}},
		{"mqtt not authorized", fixed(mqttHandler(5)), want{name: "mqtt", details: map[string]string{"mqtt.connack": "5", "mqtt.anonymous": "false"}}},
		{"openldap", fixed(ldapHandler), want{name: "ldap", product: "OpenLDAP", details: map[string]string{"ldap.versions": "3", "ldap.starttls": "true"}}},
		{"rdp", fixed(binaryHandler(tpktComplete, rdpConfirmMsg([]byte{2, 0, 8, 0, 2, 0, 0, 0}))), want{name: "rdp", details: map[string]string{"rdp.protocol": "credssp"}}},
		{"smb", fixed(binaryHandler(nbComplete, smbAnswer)), want{name: "smb", details: map[string]string{"smb.dialect": "3.1.1", "smb.signing": "enabled"}}},
		{"amqp", fixed(binaryHandler(func(b []byte) bool { return len(b) >= 8 }, amqpAnswer)), want{name: "amqp", product: "RabbitMQ", version: "3.12.1", details: map[string]string{"amqp.version": "0-9-1"}}},
		{"dns over tcp", fixed(dnsTCPHandler("dnsmasq-2.89")), want{name: "dns", product: "dnsmasq", version: "2.89", details: map[string]string{"dns.version-bind": "dnsmasq-2.89"}}},
		{"silent", fixed(func(_ context.Context, c net.Conn) { drain(c) }), want{name: "unknown"}},
		{"closes at once", fixed(func(context.Context, net.Conn) {}), want{name: "unknown"}},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveTCP(t, tt.handler(t))
			s := TCP(t.Context(), d, srv.addr, testOptions)
			if s.Port != int(srv.addr.Port()) || s.Transport != "tcp" {
				t.Errorf("port/transport %d %s", s.Port, s.Transport)
			}
			tt.want.check(t, s)
		})
	}
}

// fixed adapts a handler that needs no test state.
func fixed(h func(context.Context, net.Conn)) func(*testing.T) func(context.Context, net.Conn) {
	return func(*testing.T) func(context.Context, net.Conn) { return h }
}

func TestTCPHTTPHost(t *testing.T) {
	hosts := make(chan string, 4)
	srv := serveTCP(t, httpHandler(map[string][]byte{"/": httpMessage("200 OK", "", "x")}, hosts))
	opt := testOptions
	opt.ServerName = "www.lab.test"
	if s := TCP(t.Context(), newDialer(t), srv.addr, opt); s.Name != "http" {
		t.Fatalf("name %q", s.Name)
	}
	if h := <-hosts; h != "www.lab.test:"+itoa(int(srv.addr.Port())) {
		t.Errorf("Host header %q", h)
	}
}

func TestTCPTLSServerName(t *testing.T) {
	names := make(chan string, 4)
	cfg := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}, GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		select {
		case names <- h.ServerName:
		default:
		}
		return nil, nil
	}}
	srv := serveTCP(t, func(ctx context.Context, c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.HandshakeContext(ctx) == nil {
			httpHandler(map[string][]byte{"/": httpMessage("200 OK", "", "x")}, nil)(ctx, tc)
		}
	})
	opt := testOptions
	opt.ServerName = "www.lab.test"
	s := TCP(t.Context(), newDialer(t), srv.addr, opt)
	if s.Name != "http" || !s.TLS {
		t.Fatalf("got %s tls %v", s.Name, s.TLS)
	}
	if n := <-names; n != "www.lab.test" {
		t.Errorf("SNI %q", n)
	}
}

// A server that speaks first but is not recognised gets no client-first
// probe beyond the one speculated during the banner wait: at most two
// connections, however many probes exist.
func TestTCPUnknownSpeakerStops(t *testing.T) {
	srv := serveTCP(t, bannerThen("HELLO from a protocol nobody knows\r\n", nil))
	s := TCP(t.Context(), newDialer(t), srv.addr, testOptions)
	if s.Name != "unknown" || s.Banner != `HELLO from a protocol nobody knows\x0d\x0a` {
		t.Errorf("got %q banner %q", s.Name, s.Banner)
	}
	if n := srv.conns.Load(); n > 2 {
		t.Errorf("%d connections, want at most 2 (banner and one speculative probe)", n)
	}
}

func TestTCPHostile(t *testing.T) {
	tests := []struct {
		name    string
		handler func(context.Context, net.Conn)
	}{
		{"trickle", func(ctx context.Context, c net.Conn) {
			for ctx.Err() == nil {
				if _, err := c.Write([]byte{'A'}); err != nil {
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}},
		{"flood", func(ctx context.Context, c net.Conn) {
			junk := []byte(strings.Repeat("\x1b[31mFLOOD\x00\xff", 4096))
			for i := 0; i < 200 && ctx.Err() == nil; i++ { // ~8 MB
				if _, err := c.Write(junk); err != nil {
					return
				}
			}
		}},
		{"escape", bannerThen("<html><script>alert(1)</script>\x1b[2J\x1b]0;owned\x07\x1b[31mred\r\n", nil)},
		{"escape looks like ftp", bannerThen("220 \x1b[2J\x1b]0;FTP\x07 ready\r\n", nil)},
		{"escape looks like ssh", bannerThen("SSH-2.0-\x1b[2JOpenSSH\r\n", nil)},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serveTCP(t, tt.handler)
			s := TCP(t.Context(), d, srv.addr, testOptions) // must return
			if s.Name != "unknown" {
				t.Errorf("name %q, want unknown", s.Name)
			}
			if s.Banner == "" {
				t.Error("no banner snippet")
			}
			if len([]rune(s.Banner)) > 256 {
				t.Errorf("banner of %d runes", len([]rune(s.Banner)))
			}
			assertPrintable(t, s)
		})
	}
}

func TestTCPCancelled(t *testing.T) {
	srv := serveTCP(t, func(_ context.Context, c net.Conn) { drain(c) })
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	opt := Options{Timeout: time.Minute, BannerWait: 100 * time.Millisecond}
	s := TCP(ctx, newDialer(t), srv.addr, opt) // returns although Timeout is a minute
	if s.Name != "unknown" {
		t.Errorf("name %q", s.Name)
	}
	if ctx.Err() == nil {
		t.Error("returned before the cancellation: the silent server must have cost the probes")
	}
}

func TestTCPClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	_ = ln.Close()
	if s := TCP(t.Context(), newDialer(t), addr, testOptions); s.Name != "unknown" || s.Port != int(addr.Port()) {
		t.Errorf("got %+v", s)
	}
}

// An unhinted memcached port is found although earlier probes stall: its
// error answer to the HTTP probe moves the memcached probe forward.
func TestAnswerHintReorders(t *testing.T) {
	srv := serveTCP(t, memcachedHandler)
	s := TCP(t.Context(), newDialer(t), srv.addr, testOptions)
	want{name: "memcached", product: "memcached", version: "1.6.18", banner: "VERSION"}.check(t, s)
	// tls (stalls), http (ERROR), then memcached at once.
	if n := srv.conns.Load(); n > 4 {
		t.Errorf("%d connections: the hint did not reorder the probes", n)
	}
}

func TestOrderedHints(t *testing.T) {
	names := func(ps []probe) string {
		var out []string
		for _, p := range ps {
			out = append(out, p.name)
		}
		return strings.Join(out, ",")
	}
	all := names(tcpProbes)
	tests := []struct {
		port  uint16
		first string
	}{
		{5432, "postgresql"}, {80, "http"}, {443, "tls"}, {6379, "redis"}, {2222, "tls"}, {11211, "memcached"},
	}
	for _, tt := range tests {
		got := ordered(tcpProbes, plainHints(tt.port))
		if got[0].name != tt.first {
			t.Errorf("port %d: first probe %s, want %s", tt.port, got[0].name, tt.first)
		}
		// A hint only reorders: every probe is still there, once.
		if len(got) != len(tcpProbes) {
			t.Errorf("port %d: %d probes, want %d (%s)", tt.port, len(got), len(tcpProbes), all)
		}
		seen := map[string]bool{}
		for _, p := range got {
			if seen[p.name] {
				t.Errorf("port %d: %s twice", tt.port, p.name)
			}
			seen[p.name] = true
		}
	}
	if got := names(ordered(tcpProbes, nil)); got != all {
		t.Errorf("no hint changed the order: %s", got)
	}
}

func TestUDPServers(t *testing.T) {
	tests := []struct {
		name    string
		handler func(b []byte) [][]byte
		want    want
	}{
		{"dns", func(b []byte) [][]byte {
			if len(b) < 12 || b[0]&0x80 != 0 && len(b) == 48 {
				return nil
			}
			if _, err := parseDNSAnswer(dnsTXTAnswer(binary.BigEndian.Uint16(b), 0, ""), binary.BigEndian.Uint16(b)); err != nil {
				return nil
			}
			if len(b) != len(dnsVersionQuery(0)) {
				return [][]byte{dnsTXTAnswer(binary.BigEndian.Uint16(b), 1, "")} // FORMERR for non-DNS
			}
			return [][]byte{dnsTXTAnswer(binary.BigEndian.Uint16(b), 0, "dnsmasq-2.89")}
		}, want{name: "dns", product: "dnsmasq", version: "2.89", banner: "dnsmasq-2.89"}},
		{"ntp", func(b []byte) [][]byte {
			if len(b) != 48 || b[0]&7 != 3 {
				return nil
			}
			r := make([]byte, 48)
			r[0], r[1] = 0x24, 3
			copy(r[12:], []byte{10, 0, 0, 1})
			copy(r[24:], b[40:48])
			return [][]byte{r}
		}, want{name: "ntp", details: map[string]string{"ntp.stratum": "3", "ntp.refid": "10.0.0.1", "ntp.version": "4"}}},
		{"an answer in no probe's protocol: open, unknown, its first datagram as banner", func([]byte) [][]byte {
			return [][]byte{[]byte("HELLO THERE")}
		}, want{name: "unknown", banner: "HELLO THERE"}},
		{"an echo service: open, unknown, no banner of vigil's own bytes", func(b []byte) [][]byte {
			return [][]byte{b}
		}, want{name: "unknown", details: map[string]string{"identify.echo": "yes"}}},
		{"snmp", snmpAgent, want{name: "snmp", product: "net-snmp", banner: "Linux lab 6.1.0",
			details: map[string]string{"snmp.versions": "v1,v2c,v3", "snmp.community": "public", "snmp.sysdescr": "Linux lab 6.1.0", "snmp.enterprise": "8072"}}},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, _ := serveUDP(t, tt.handler)
			s, ok := UDP(t.Context(), d, addr, testOptions)
			if !ok || s.Transport != "udp" || s.Port != int(addr.Port()) {
				t.Fatalf("ok %v %+v", ok, s)
			}
			tt.want.check(t, s)
		})
	}
}

// snmpAgent answers v3 discovery with a Report and v1/v2c "public" gets.
func snmpAgent(b []byte) [][]byte {
	m, err := snmp.Parse(b)
	if err != nil {
		return nil
	}
	switch {
	case m.Version == snmp.V3:
		return [][]byte{snmpV3Report(m.MsgID, netSNMPEngine)}
	case m.Community == "public":
		return [][]byte{snmpResponse(m.Version, m.ReqID, m.Community, "Linux lab 6.1.0")}
	}
	return nil
}

func TestUDPNoDefaultCreds(t *testing.T) {
	addr, got := serveUDP(t, snmpAgent)
	opt := testOptions
	opt.NoDefaultCreds = true
	s, ok := UDP(t.Context(), newDialer(t), addr, opt)
	if !ok || s.Name != "snmp" || s.Product != "net-snmp" || s.Detail("snmp.versions") != "v3" || s.Detail("snmp.community") != "" {
		t.Errorf("got ok %v %+v", ok, s)
	}
	for _, b := range got() {
		if m, err := snmp.Parse(b); err == nil && m.Community != "" {
			t.Errorf("community %q sent although NoDefaultCreds", m.Community)
		}
	}
}

func TestUDPNothingAnswers(t *testing.T) {
	// A listener that never answers, and a port nothing listens on
	// (refused by ICMP).
	silent, got := serveUDP(t, func([]byte) [][]byte { return nil })
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	_ = pc.Close()
	d := newDialer(t)
	for _, addr := range []netip.AddrPort{silent, closed} {
		if s, ok := UDP(t.Context(), d, addr, testOptions); ok || s.Name != "unknown" {
			t.Errorf("%s: ok %v name %q", addr, ok, s.Name)
		}
	}
	// Every probe went out, twice (once more when nothing answered).
	if n := len(got()); n != 2*len(udpProbes) {
		t.Errorf("silent port got %d datagrams, want %d", n, 2*len(udpProbes))
	}
}

func TestNilDialer(t *testing.T) {
	addr := netip.MustParseAddrPort("127.0.0.1:1")
	if s := TCP(t.Context(), nil, addr, Options{}); s.Name != "unknown" || s.Port != 1 {
		t.Errorf("TCP %+v", s)
	}
	if _, ok := UDP(t.Context(), nil, addr, Options{}); ok {
		t.Error("UDP without a dialer answered")
	}
}

// A client-first server that drops the probes it does not understand
// without a word is identified by the probes that follow at once, not after
// the banner wait: with a wait longer than the test's deadline, it is still
// recognised.
func TestTCPSilentDropsSpeculateOn(t *testing.T) {
	srv := serveTCP(t, func(ctx context.Context, c net.Conn) {
		// Like Redis on a request it takes for an attack: anything but a
		// RESP array is dropped without a word.
		first := make([]byte, 1)
		if _, err := io.ReadFull(c, first); err != nil || first[0] != '*' {
			return
		}
		redisHandler(false)(ctx, replayConn{c, io.MultiReader(bytes.NewReader(first), c)})
	})
	opt := testOptions
	opt.BannerWait, opt.Timeout = time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if s := TCP(ctx, newDialer(t), srv.addr, opt); s.Name != "redis" {
		t.Errorf("got %q, want redis before the deadline", s.Name)
	}
}

// replayConn is a connection whose reads come from r.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c replayConn) Read(b []byte) (int, error) { return c.r.Read(b) }
