package fix

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// host is the local audit the table tests plan against.
var host = &facts.HostAudit{
	Hostname:  "clinic",
	Addresses: []string{"192.168.1.5", "fe80::1"},
	Listeners: []facts.Listener{
		{Transport: "tcp", Address: "127.0.4.12", Port: 2222, PID: 100, Process: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D -f testdata/in/sshd-weak.conf [listener] 0 of 10-100 startups", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 22, PID: 200, Process: "sshd", Unit: "ssh.service", Cmdline: "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", Reachable: true},
		{Transport: "tcp", Address: "::", Port: 22, PID: 200, Process: "sshd", Unit: "ssh.service", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.18", Port: 6379, PID: 300, Process: "redis-server", Cmdline: "/usr/bin/redis-server 127.0.4.18:6379", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 6380, PID: 301, Process: "redis-server", Cmdline: "redis-server *:6380", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.16", Port: 21, PID: 400, Process: "vsftpd", Cmdline: "/usr/sbin/vsftpd testdata/in/vsftpd.conf", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 8443, PID: 500, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "::", Port: 8444, PID: 500, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 9445, PID: 600, Process: "nginx", Unit: "nginx.service", Cmdline: "nginx: master process /usr/sbin/nginx", Reachable: true},
		// A second sshd with a file of its own, and one on two listeners
		// whose Match blocks differ.
		{Transport: "tcp", Address: "127.0.4.13", Port: 2223, PID: 110, Process: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D -f testdata/in/sshd-second.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.14", Port: 22, PID: 120, Process: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D -f testdata/in/sshd-match.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.15", Port: 2200, PID: 120, Process: "sshd", Cmdline: "sshd: /usr/sbin/sshd -D -f testdata/in/sshd-match.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.19", Port: 6379, PID: 302, Process: "redis-server", Cmdline: "/usr/bin/redis-server 127.0.4.19:6379", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.17", Port: 21, PID: 410, Process: "vsftpd", Cmdline: "/usr/sbin/vsftpd testdata/in/vsftpd-second.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.21", Port: 21, PID: 420, Process: "proftpd", Cmdline: "proftpd: (accepting connections)", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.22", Port: 2222, PID: 800, Process: "dropbear", Cmdline: "/usr/sbin/dropbear -F -p 127.0.4.22:2222", Reachable: true},
		// Two nginx masters: one serves many blocks from one nginx.conf and
		// its includes (it binds 0.0.0.0 and :: for 9443, where a block
		// listens on every address), the other a file of its own.
		{Transport: "tcp", Address: "127.0.4.10", Port: 8443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.10", Port: 8080, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.11", Port: 8443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.12", Port: 8443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.14", Port: 8443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.15", Port: 8443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 9443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "::", Port: 9443, PID: 510, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "127.0.4.20", Port: 8443, PID: 520, Process: "nginx", Cmdline: "nginx: master process /usr/sbin/nginx -c testdata/in/multi2/nginx.conf", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 9000, PID: 1234, Process: "python3", User: "www-data", Cmdline: "python3 -m http.server 9000", Reachable: true},
		{Transport: "udp", Address: "10.0.0.5", Port: 161, PID: 700, Process: "snmpd", Unit: "snmpd.service", Reachable: true},
	},
	SSHD: []facts.SSHDConfig{
		{PID: 100, ConfigFile: "testdata/in/sshd-weak.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}},
		{PID: 200, ConfigFile: "testdata/in/sshd-debian.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}, Effective: map[string]string{
			"ciphers": "aes128-cbc,aes256-ctr", "macs": "hmac-sha2-256-etm@openssh.com,hmac-sha1,umac-64@openssh.com",
			"kexalgorithms": "curve25519-sha256,diffie-hellman-group14-sha1,ext-info-s"}},
		{PID: 110, ConfigFile: "testdata/in/sshd-second.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}},
		{PID: 120, ConfigFile: "testdata/in/sshd-match.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}, Method: "sshd -T", Effective: map[string]string{
			"passwordauthentication": "no", "kbdinteractiveauthentication": "no", "permitrootlogin": "no",
			"ciphers": "aes256-gcm@openssh.com,aes128-ctr"}},
	},
	Redis: []facts.RedisConfig{
		{PID: 300, ConfigFile: "testdata/in/redis.conf", Bind: []string{"127.0.4.18"}, Port: 6379},
		{PID: 301, Port: 6380},
		{PID: 302, ConfigFile: "testdata/in/redis-second.conf", Bind: []string{"127.0.4.19"}, Port: 6379},
	},
	FTP: []facts.FTPConfig{
		{PID: 400, Product: "vsftpd", ConfigFile: "testdata/in/vsftpd.conf", Anonymous: true, Daemon: facts.Daemon{Exe: "/usr/sbin/vsftpd"}},
		{PID: 410, Product: "vsftpd", ConfigFile: "testdata/in/vsftpd-second.conf", Anonymous: true, Daemon: facts.Daemon{Exe: "/usr/sbin/vsftpd"}},
		{PID: 420, Product: "proftpd", ConfigFile: "/etc/proftpd/proftpd.conf", Anonymous: true},
	},
	Nginx: []facts.NginxConfig{
		{PID: 500, ConfigFile: "testdata/in/nginx.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}},
		{PID: 600, ConfigFile: "testdata/in/nginx-bare.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}},
		{PID: 510, ConfigFile: "testdata/in/multi/nginx.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}},
		{PID: 520, ConfigFile: "testdata/in/multi2/nginx.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}},
	},
}

// withHost returns a copy of the table tests' audit changed by edit.
func withHost(edit func(h *facts.HostAudit)) *facts.HostAudit {
	h := *host
	h.Listeners = slices.Clone(host.Listeners)
	h.SSHD = slices.Clone(host.SSHD)
	h.Redis = slices.Clone(host.Redis)
	h.FTP = slices.Clone(host.FTP)
	h.Nginx = slices.Clone(host.Nginx)
	edit(&h)
	return &h
}

// Services as a scan identifies them.
var (
	nginxSvc = &facts.Service{Port: 8443, Transport: "tcp", Name: "http", TLS: true, Product: "nginx", Version: "1.22.1"}
	// sniSvc is nginx audited with the name shop.b.example.
	sniSvc      = &facts.Service{Port: 8443, Transport: "tcp", Name: "http", TLS: true, Product: "nginx", TLSAudit: &facts.TLS{NameChecked: "shop.b.example"}}
	apacheSvc   = &facts.Service{Port: 8443, Transport: "tcp", Name: "http", TLS: true, Product: "Apache httpd", Version: "2.4.57"}
	dropbearSvc = &facts.Service{Port: 2222, Transport: "tcp", Name: "ssh", Product: "Dropbear", Version: "2022.83",
		SSH: &facts.SSH{Software: "dropbear_2022.83", CiphersClientToServer: []string{"aes128-ctr", "3des-cbc"}}}
	pyftpdlibSvc = &facts.Service{Port: 21, Transport: "tcp", Name: "ftp", Product: "pyftpdlib", Version: "1.5.7"}
	vsftpdSvc    = &facts.Service{Port: 21, Transport: "tcp", Name: "ftp", Product: "vsftpd", Version: "3.0.3"}
	valkeySvc    = &facts.Service{Port: 6379, Transport: "tcp", Name: "redis", Product: "Valkey", Version: "8.0.1"}
	redisSvc     = &facts.Service{Port: 6379, Transport: "tcp", Name: "redis", Product: "Redis", Version: "7.2.4"}
	// staleSSH is an old scan of the sshd on 127.0.4.14:22: it offered
	// weak ciphers then, and sshd -T no longer lists them.
	staleSSH = &facts.Service{Port: 22, Transport: "tcp", Name: "ssh", Product: "OpenSSH", SSH: &facts.SSH{
		CiphersClientToServer: []string{"aes256-gcm@openssh.com", "aes128-ctr", "aes128-cbc", "3des-cbc"}}}
	secondSSH = &facts.Service{Port: 2223, Transport: "tcp", Name: "ssh", Product: "OpenSSH", SSH: &facts.SSH{
		CiphersClientToServer: []string{"aes256-gcm@openssh.com", "aes128-ctr", "aes128-cbc"}}}
)

// weakSSH is what a scan of the weak sshd saw.
var weakSSH = &facts.Service{Port: 2222, Transport: "tcp", Name: "ssh", Product: "OpenSSH", Version: "9.2p1", SSH: &facts.SSH{
	ProtocolVersion: "2.0", Software: "OpenSSH_9.2p1",
	KexAlgorithms:         []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "diffie-hellman-group14-sha256", "diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "ext-info-s", "kex-strict-s-v00@openssh.com"},
	HostKeyAlgorithms:     []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"},
	CiphersClientToServer: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com", "3des-cbc", "aes128-cbc", "aes256-cbc"},
	CiphersServerToClient: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com", "3des-cbc", "aes128-cbc", "aes256-cbc"},
	MACsClientToServer:    []string{"hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-512", "hmac-md5", "hmac-sha1", "hmac-sha1-96", "umac-64@openssh.com"},
	MACsServerToClient:    []string{"hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com", "hmac-sha2-512", "hmac-md5", "hmac-sha1", "hmac-sha1-96", "umac-64@openssh.com"},
	HostKeys:              []facts.SSHHostKey{{Algorithm: "rsa-sha2-512", Type: "ssh-rsa", Bits: 1024}, {Algorithm: "ssh-dss", Type: "ssh-dss", Bits: 1024}},
}}

// readFile reads test files and takes every guard as passed: the guard
// itself is tested with ReadConfig (files_test.go).
func readFile(path string, _ Guard) ([]byte, fs.FileMode, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	return b, fi.Mode().Perm(), nil
}

func find(check, host string, port int, transport, subject string) finding.Finding {
	return finding.Finding{ID: finding.MakeID(check, host, port, transport, subject), Check: check, Severity: finding.Medium, Host: host, Port: port, Transport: transport,
		Subject: subject, Title: "title of " + check, Recommendation: "do it by hand"}
}

func TestPlans(t *testing.T) {
	tests := []struct {
		golden  string
		finding finding.Finding
		service *facts.Service
		sshConn string
	}{
		{"nft-python", find("port.open-unused", "clinic", 9000, "tcp", ""), nil, ""},
		{"nft-sshd-address", find("exposure.admin", "127.0.4.12", 2222, "tcp", ""), nil, ""},
		{"nft-udp", find("port.open-unused", "10.0.0.5", 161, "udp", ""), nil, ""},
		{"sshd-ciphers", find("ssh.cipher.weak", "127.0.4.12", 2222, "tcp", ""), weakSSH, ""},
		{"sshd-macs", find("ssh.mac.weak", "127.0.4.12", 2222, "tcp", ""), weakSSH, ""},
		{"sshd-kex", find("ssh.kex.weak", "127.0.4.12", 2222, "tcp", ""), weakSSH, ""},
		{"sshd-hostkey-dsa", find("ssh.hostkey.weak", "127.0.4.12", 2222, "tcp", "ssh-dss"), weakSSH, ""},
		{"sshd-hostkey-small-rsa", find("ssh.hostkey.weak", "127.0.4.12", 2222, "tcp", "ssh-rsa"), &facts.Service{SSH: &facts.SSH{
			HostKeyAlgorithms: []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"},
			HostKeys:          []facts.SSHHostKey{{Type: "ssh-rsa", Bits: 1024}, {Type: "ssh-ed25519", Bits: 256}}}}, ""},
		{"sshd-terrapin", find("ssh.terrapin", "127.0.4.12", 2222, "tcp", ""), weakSSH, ""},
		{"sshd-password", find("ssh.auth.password", "127.0.4.12", 2222, "tcp", ""), weakSSH, ""},
		{"sshd-root", find("ssh.config.root-login", "127.0.4.12", 2222, "tcp", ""), nil, ""},
		// Debian's layout: an Include comes first, a Match block at the end,
		// the offered lists only from sshd -T; the unit reloads it.
		{"sshd-debian-ciphers", find("ssh.cipher.weak", "192.168.1.5", 22, "tcp", ""), nil, ""},
		{"sshd-debian-macs", find("ssh.mac.weak", "clinic", 22, "tcp", ""), nil, ""},
		{"sshd-debian-kex", find("ssh.kex.weak", "clinic", 22, "tcp", ""), nil, ""},
		{"sshd-debian-password", find("ssh.config.password-auth", "clinic", 22, "tcp", ""), nil, ""},
		{"redis", find("redis.config.no-auth", "127.0.4.18", 6379, "tcp", ""), &facts.Service{Name: "redis", Version: "7.0.15"}, ""},
		{"redis-no-file", find("auth.none.redis", "127.0.0.1", 6380, "tcp", ""), nil, ""},
		{"vsftpd", find("ftp.config.anonymous", "127.0.4.16", 21, "tcp", ""), nil, ""},
		{"nginx-includes", find("tls.protocol.tls10", "clinic", 8443, "tcp", ""), &facts.Service{Name: "http", TLS: true, Product: "nginx"}, ""},
		// The http block's setting is shared: the server block gets its own.
		{"nginx-inherits", find("tls.protocol.tls11", "clinic", 8444, "tcp", ""), nil, ""},
		// Nothing sets them: nginx's defaults; the block gets both.
		{"nginx-bare", find("tls.cipher.weak", "clinic", 9445, "tcp", ""), nil, ""},
		// Issue 11: the weak block on 127.0.4.10 changes, the hardened one
		// on 127.0.4.11 (same port, same file) and the http block do not;
		// its cipher list, a subset of the intermediate one, is kept.
		{"nginx-address-weak", find("tls.protocol.tls10", "127.0.4.10", 8443, "tcp", ""), nginxSvc, ""},
		// Two blocks on 127.0.4.12:8443: the name the scan sent picks one.
		{"nginx-names-sni", find("tls.protocol.tls10", "127.0.4.12", 8443, "tcp", ""), sniSvc, ""},
		// Without a name, vigil cannot tell: both, and it says so.
		{"nginx-names-ambiguous", find("tls.protocol.tls11", "127.0.4.12", 8443, "tcp", ""), nginxSvc, ""},
		// An address without a block of its own: the block on every address.
		{"nginx-wildcard", find("tls.cipher.weak", "127.0.4.99", 9443, "tcp", ""), nil, ""},
		// The block on 127.0.4.13:9443, not the one on every address.
		{"nginx-own-address", find("tls.protocol.tls11", "127.0.4.13", 9443, "tcp", ""), nil, ""},
		// The second nginx master: its own file only.
		{"nginx-second-master", find("tls.protocol.tls10", "127.0.4.20", 8443, "tcp", ""), nginxSvc, ""},
		// The second sshd (-f sshd-second.conf): its file only.
		{"sshd-second-instance", find("ssh.cipher.weak", "127.0.4.13", 2223, "tcp", ""), secondSSH, ""},
		// Logins come from the Match block of each listener.
		{"sshd-match-port", find("ssh.auth.password", "127.0.4.15", 2200, "tcp", ""), nil, ""},
		{"sshd-match-address", find("ssh.auth.password", "127.0.4.14", 22, "tcp", ""), nil, ""},
		{"sshd-match-root", find("ssh.config.root-login", "127.0.4.15", 2200, "tcp", ""), nil, ""},
		// The second Redis and vsftpd: their files and listeners only.
		{"redis-second", find("auth.none.redis", "127.0.4.19", 6379, "tcp", ""), redisSvc, ""},
		{"vsftpd-second", find("auth.anonymous.ftp", "127.0.4.17", 21, "tcp", ""), vsftpdSvc, ""},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			p, err := MakePlan(Input{Finding: tc.finding, Service: tc.service, Host: host, ReadFile: readFile, Glob: filepath.Glob,
				FixID: "T1", Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 64)), SSHConnection: tc.sshConn})
			if err != nil {
				t.Fatal(err)
			}
			got := p.Text()
			if p.Secret != "" {
				got += "\nsecret: " + p.Secret + "\n"
				if strings.Contains(p.Text(), p.Secret) {
					t.Errorf("the plan's text shows the secret")
				}
			}
			golden(t, tc.golden, got)
			if p.Question == "" || p.Summary == "" || p.Applier == "" {
				t.Errorf("plan lacks a question, summary or applier: %+v", p)
			}
			for _, e := range p.Edits {
				if bytes.Equal(e.Before, e.After) {
					t.Errorf("%s: an edit that changes nothing", e.Path)
				}
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("plan differs from %s (go test -update rewrites it):\n--- got ---\n%s", path, got)
	}
}

func TestPlanRefusals(t *testing.T) {
	tests := []struct {
		name    string
		finding finding.Finding
		service *facts.Service
		host    *facts.HostAudit
		sshConn string
		want    string
		is      error
		// not are words the refusal must not say: another product's files.
		not []string
	}{
		{name: "no applier", finding: find("tls.cert.expired", "clinic", 8443, "tcp", ""), is: ErrNoApplier},
		{name: "another machine", finding: find("port.open-unused", "10.9.9.9", 9000, "tcp", ""), is: ErrNotHere},
		{name: "nothing listens", finding: find("port.open-unused", "clinic", 9999, "tcp", ""), is: ErrNotHere},
		{name: "own SSH session", finding: find("exposure.admin", "clinic", 22, "tcp", ""), sshConn: "192.168.1.77 50000 192.168.1.5 22", want: "your own SSH session"},
		{name: "TLS on a server that is not nginx", finding: find("tls.protocol.tls10", "clinic", 9000, "tcp", ""), is: ErrNoApplier},
		{name: "old Redis", finding: find("auth.none.redis", "127.0.4.18", 6379, "tcp", ""), service: &facts.Service{Version: "6.2.6"}, want: "7.0 and later"},
		{name: "vsftpd without local logins", finding: find("ftp.config.anonymous", "127.0.4.16", 21, "tcp", ""),
			host: &facts.HostAudit{Hostname: "clinic", Listeners: host.Listeners, FTP: []facts.FTPConfig{{PID: 400, Product: "vsftpd", ConfigFile: "testdata/in/vsftpd-nolocal.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/vsftpd"}}}},
			want: "local_enable"},
		{name: "small RSA key and no other", finding: find("ssh.hostkey.weak", "127.0.4.12", 2222, "tcp", "ssh-rsa"),
			service: &facts.Service{SSH: &facts.SSH{HostKeyAlgorithms: []string{"rsa-sha2-512", "ssh-rsa"}, HostKeys: []facts.SSHHostKey{{Type: "ssh-rsa", Bits: 1024}}}},
			want:    "does not replace host keys"},
		{name: "nothing sound to keep", finding: find("ssh.cipher.weak", "127.0.4.12", 2222, "tcp", ""),
			service: &facts.Service{SSH: &facts.SSH{CiphersClientToServer: []string{"3des-cbc"}}}, want: "upgrade OpenSSH"},
		{name: "nginx already fixed", finding: find("tls.protocol.tls10", "clinic", 8443, "tcp", ""),
			host: &facts.HostAudit{Hostname: "clinic", Listeners: host.Listeners, Nginx: []facts.NginxConfig{{PID: 500, ConfigFile: "testdata/in/nginx-fixed.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}}}},
			want: "already sets"},

		// Never lowered: the hardened block keeps TLS 1.3 alone.
		{name: "nginx hardened block", finding: find("tls.protocol.tls10", "127.0.4.11", 8443, "tcp", ""), service: nginxSvc, want: "already sets"},
		{name: "nginx setting in a snippet other blocks include", finding: find("tls.protocol.tls10", "127.0.4.14", 8443, "tcp", ""), service: nginxSvc,
			want: "testdata/in/multi/snippets/legacy-tls.conf line 3, which the server block at testdata/in/multi/vhosts/legacy.conf line 6 shares"},
		{name: "nginx file another master reads", finding: find("tls.cipher.weak", "127.0.4.99", 9443, "tcp", ""),
			host: withHost(func(h *facts.HostAudit) {
				h.Nginx = append(h.Nginx, facts.NginxConfig{PID: 530, ConfigFile: "testdata/in/multi2/shares.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}})
			}), want: "testdata/in/multi/vhosts/wild.conf is also read by another nginx (pid 530"},
		{name: "nginx port no server block listens on", finding: find("tls.protocol.tls10", "127.0.4.10", 8080, "tcp", ""), service: nginxSvc, want: "no server block"},
		// Never widened: sshd -T no longer lists what the old scan saw.
		{name: "sshd list already without weak ciphers", finding: find("ssh.cipher.weak", "127.0.4.14", 22, "tcp", ""), service: staleSSH, want: "does not widen"},
		{name: "sshd root login already stricter", finding: find("ssh.config.root-login", "127.0.4.14", 22, "tcp", ""), want: "already as strict as PermitRootLogin prohibit-password"},
		{name: "sshd file of another instance", finding: find("ssh.cipher.weak", "127.0.4.13", 2223, "tcp", ""), service: secondSSH,
			host: withHost(func(h *facts.HostAudit) {
				h.SSHD = append(h.SSHD, facts.SSHDConfig{PID: 130, ConfigFile: "testdata/in/sshd-second.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}})
			}), want: "also the configuration of another sshd (pid 130)"},
		{name: "redis file of another instance", finding: find("auth.none.redis", "127.0.4.19", 6379, "tcp", ""), service: redisSvc,
			host: withHost(func(h *facts.HostAudit) {
				h.Redis = append(h.Redis, facts.RedisConfig{PID: 303, ConfigFile: "testdata/in/redis-second.conf", Port: 6390})
			}), want: "also the configuration of another Redis (pid 303)"},
		{name: "vsftpd file of another instance", finding: find("auth.anonymous.ftp", "127.0.4.17", 21, "tcp", ""), service: vsftpdSvc,
			host: withHost(func(h *facts.HostAudit) {
				h.FTP = append(h.FTP, facts.FTPConfig{PID: 430, Product: "vsftpd", ConfigFile: "testdata/in/vsftpd-second.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/vsftpd"}})
			}), want: "also the configuration of another vsftpd (pid 430)"},

		{name: "redis would take another's loopback port", finding: find("auth.none.redis", "127.0.4.19", 6379, "tcp", ""), service: redisSvc,
			host: withHost(func(h *facts.HostAudit) {
				h.Listeners = append(h.Listeners, facts.Listener{Transport: "tcp", Address: "127.0.0.1", Port: 6379, PID: 304, Process: "redis-server"})
			}), want: "where another process already listens (redis-server, pid 304)"},

		// Issue 11, item 6: another product than the applier's.
		{name: "Dropbear", finding: find("ssh.cipher.weak", "127.0.4.22", 2222, "tcp", ""), service: dropbearSvc, is: ErrNoApplier,
			want: "127.0.4.22 port 2222 runs Dropbear 2022.83", not: []string{"sshd", "configuration", "sshd_config"}},
		{name: "Dropbear seen only by the host audit", finding: find("ssh.cipher.weak", "127.0.4.22", 2222, "tcp", ""), is: ErrNoApplier,
			want: "served by dropbear, pid 800", not: []string{"configuration", "sshd_config"}},
		{name: "Apache", finding: find("tls.protocol.tls10", "127.0.4.10", 8443, "tcp", ""), service: apacheSvc, is: ErrNoApplier,
			want: "runs Apache httpd 2.4.57", not: []string{"nginx.conf", "server block", "configuration", "ssl_protocols"}},
		{name: "pyftpdlib", finding: find("auth.anonymous.ftp", "127.0.4.16", 21, "tcp", ""), service: pyftpdlibSvc, is: ErrNoApplier,
			want: "runs pyftpdlib 1.5.7", not: []string{"vsftpd.conf", "anonymous_enable", "configuration"}},
		{name: "ProFTPD seen only by the host audit", finding: find("ftp.config.anonymous", "127.0.4.21", 21, "tcp", ""), is: ErrNoApplier,
			want: "served by ProFTPD", not: []string{"vsftpd.conf", "anonymous_enable", "configuration"}},
		{name: "Valkey", finding: find("auth.none.redis", "127.0.4.19", 6379, "tcp", ""), service: valkeySvc, is: ErrNoApplier,
			want: "runs Valkey 8.0.1", not: []string{"redis.conf", "requirepass"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.host
			if h == nil {
				h = host
			}
			_, err := MakePlan(Input{Finding: tc.finding, Service: tc.service, Host: h, ReadFile: readFile, Glob: filepath.Glob, FixID: "T1", SSHConnection: tc.sshConn})
			if err == nil {
				t.Fatal("planned")
			}
			t.Logf("refused: %v", err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %v", err, tc.is)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			// The recommendation the refusal quotes is the finding's own.
			msg := strings.ReplaceAll(err.Error(), tc.finding.Recommendation, "")
			for _, w := range tc.not {
				if strings.Contains(msg, w) {
					t.Errorf("error %q speaks of %q", err, w)
				}
			}
		})
	}
}

func TestSetSSHDWithoutFinalNewline(t *testing.T) {
	in, _ := os.ReadFile("testdata/in/sshd-noeol.conf")
	got, _, _ := setSSHD(in, []sshdSetting{{keyword: "PermitRootLogin", value: "prohibit-password", global: true}}, "T1", sshdTarget{port: 22})
	want := "Port 22\n# vigil fix T1 replaced: permitrootlogin=yes\nPermitRootLogin prohibit-password\n# vigil fix T1 disabled (sshd uses the first PermitRootLogin): PermitRootLogin no\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got, _, _ = setSSHD(nil, []sshdSetting{{keyword: "Ciphers", value: "aes128-ctr", global: true}}, "T1", sshdTarget{port: 22})
	if string(got) != "# Set by vigil fix T1.\nCiphers aes128-ctr\n" {
		t.Errorf("empty file: %q", got)
	}
}

func TestNginxStatements(t *testing.T) {
	src := []byte("# ssl_protocols x;\nhttp { server { ssl_protocols  TLSv1\n  TLSv1.2 ; ssl_ciphers 'A:B;C'; return 301 \"x;y\"; } include  \"sites/*.conf\"; }\n")
	sts := nginxStatements(src)
	var names []string
	for _, s := range sts {
		names = append(names, s.name+"="+string(src[s.start:s.end]))
	}
	want := []string{"ssl_protocols=ssl_protocols  TLSv1\n  TLSv1.2 ;", "ssl_ciphers=ssl_ciphers 'A:B;C';", `return=return 301 "x;y";`, `include=include  "sites/*.conf";`}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", names, want)
	}
	if sts[3].arg != "sites/*.conf" {
		t.Errorf("include argument %q", sts[3].arg)
	}
}

func FuzzNginxStatements(f *testing.F) {
	for _, p := range []string{"testdata/in/nginx.conf", "testdata/in/sites/weak.conf", "testdata/in/nginx-bare.conf"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("a 'unterminated;"))
	f.Add([]byte(`x "\`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range nginxStatements(b) {
			if s.start < 0 || s.end > len(b) || s.start >= s.end || b[s.end-1] != ';' {
				t.Fatalf("bad span %+v", s)
			}
		}
	})
}

func TestListenPort(t *testing.T) {
	for in, want := range map[string]int{"443": 443, "127.0.0.1:8443": 8443, "[::]:443": 443, "[::1]": 80, "*:8080": 8080,
		"127.0.0.1": 80, "localhost": 80, "unix:/run/nginx.sock": 0, "[::": 0, "1.2.3.4:99999": 0, "x:y": 0} {
		if got := listenPort(in); got != want {
			t.Errorf("listenPort(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFindListener(t *testing.T) {
	tests := []struct {
		f       finding.Finding
		pid     int
		address string
		err     bool
	}{
		{f: find("x", "127.0.4.12", 2222, "tcp", ""), pid: 100},
		{f: find("x", "clinic", 22, "tcp", ""), pid: 200, address: "0.0.0.0"},
		{f: find("x", "192.168.1.5", 22, "tcp", ""), pid: 200},
		{f: find("x", "127.0.0.1", 9000, "tcp", ""), pid: 1234},
		{f: find("x", "::ffff:127.0.0.1", 9000, "", ""), pid: 1234},
		{f: find("x", "10.0.0.5", 161, "udp", ""), pid: 700},
		{f: find("x", "10.0.0.5", 161, "tcp", ""), err: true},
		{f: find("x", "8.8.8.8", 22, "tcp", ""), err: true},
		{f: find("x", "127.0.4.99", 2222, "tcp", ""), err: true},
	}
	for _, tc := range tests {
		l, err := FindListener(host, tc.f)
		if (err != nil) != tc.err {
			t.Errorf("%s %d: err %v", tc.f.Host, tc.f.Port, err)
			continue
		}
		if err == nil && (l.PID != tc.pid || tc.address != "" && l.Address != tc.address) {
			t.Errorf("%s %d: got %+v", tc.f.Host, tc.f.Port, l)
		}
	}
}

// TestPlanScope checks that a plan changes only what serves the finding's
// address and port: the files it edits, and in them the text of other
// server blocks, Match blocks and shared levels, which stays byte for byte.
func TestPlanScope(t *testing.T) {
	tests := []struct {
		name    string
		finding finding.Finding
		service *facts.Service
		// edits are the files the plan changes, no more.
		edits []string
		// keep is text of each edited file that stays as it is; gone is
		// text the plan changes.
		keep, gone []string
		// addrs are the only addresses the plan's steps may talk to.
		addrs []string
	}{
		{name: "nginx: the weak block, not the hardened one on another address nor the http block",
			finding: find("tls.protocol.tls10", "127.0.4.10", 8443, "tcp", ""), service: nginxSvc,
			edits: []string{"testdata/in/multi/nginx.conf"},
			keep: []string{"\tserver {\n\t\tlisten 127.0.4.11:8443 ssl;\n\t\tserver_name hard.example;\n\t\tssl_certificate     /etc/ssl/hard.pem;\n\t\tssl_certificate_key /etc/ssl/hard.key;\n\t\tssl_protocols TLSv1.3;\n\t\tssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384;\n\t}\n",
				"\tssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;\n",
				`ssl_ciphers "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";`},
			gone:  []string{"ssl_protocols TLSv1 TLSv1.1 TLSv1.2;"},
			addrs: []string{"127.0.4.10:8443"}},
		{name: "nginx: the block whose server_name the scan asked for",
			finding: find("tls.protocol.tls10", "127.0.4.12", 8443, "tcp", ""), service: sniSvc,
			edits: []string{"testdata/in/multi/vhosts/names.conf"},
			keep:  []string{"server {\n\tlisten 127.0.4.12:8443 ssl default_server;\n\tserver_name a.example www.a.example;\n\tssl_certificate     /etc/ssl/a.pem;\n\tssl_certificate_key /etc/ssl/a.key;\n}\n"},
			addrs: []string{"127.0.4.12:8443"}},
		{name: "nginx: the block on every address, not the one on 127.0.4.13",
			finding: find("tls.cipher.weak", "127.0.4.99", 9443, "tcp", ""),
			edits:   []string{"testdata/in/multi/vhosts/wild.conf"},
			keep:    []string{"server {\n\tlisten 127.0.4.13:9443 ssl;\n\tssl_certificate     /etc/ssl/thirteen.pem;\n\tssl_certificate_key /etc/ssl/thirteen.key;\n\tssl_protocols TLSv1.1 TLSv1.2;\n}\n"},
			addrs:   []string{"127.0.0.1:9443"}},
		{name: "nginx: the second master's own file, its http block kept",
			finding: find("tls.protocol.tls10", "127.0.4.20", 8443, "tcp", ""), service: nginxSvc,
			edits: []string{"testdata/in/multi2/nginx.conf"},
			keep:  []string{"http {\n\tssl_protocols TLSv1 TLSv1.2;\n\tserver {\n"},
			addrs: []string{"127.0.4.20:8443"}},
		{name: "sshd: the second instance's file",
			finding: find("ssh.cipher.weak", "127.0.4.13", 2223, "tcp", ""), service: secondSSH,
			edits: []string{"testdata/in/sshd-second.conf"}, gone: []string{"\nCiphers aes256-gcm@openssh.com,aes128-ctr,aes128-cbc\n"},
			addrs: []string{"127.0.4.13:2223"}},
		{name: "sshd: the Match block of the listener's port only",
			finding: find("ssh.auth.password", "127.0.4.15", 2200, "tcp", ""),
			edits:   []string{"testdata/in/sshd-match.conf"},
			keep: []string{"PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin no\n",
				"Match LocalAddress 127.0.4.14\n\tPasswordAuthentication yes\nMatch User backup\n\tPasswordAuthentication yes\n"},
			gone:  []string{"Match LocalPort 2200\n\tPasswordAuthentication yes\n"},
			addrs: []string{"127.0.4.15:2200"}},
		{name: "Redis: the second instance, over its own address",
			finding: find("auth.none.redis", "127.0.4.19", 6379, "tcp", ""), service: redisSvc,
			edits: []string{"testdata/in/redis-second.conf"}, addrs: []string{"127.0.4.19:6379", "127.0.0.1:6379"}},
		{name: "vsftpd: the second instance's file",
			finding: find("auth.anonymous.ftp", "127.0.4.17", 21, "tcp", ""), service: vsftpdSvc,
			edits: []string{"testdata/in/vsftpd-second.conf"}, addrs: []string{"127.0.4.17:21"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := MakePlan(Input{Finding: tc.finding, Service: tc.service, Host: host, ReadFile: readFile, Glob: filepath.Glob,
				FixID: "T1", Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 64))})
			if err != nil {
				t.Fatal(err)
			}
			orig, err := os.ReadFile(tc.edits[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range append(slices.Clone(tc.keep), tc.gone...) {
				if !bytes.Contains(orig, []byte(x)) {
					t.Fatalf("test data: %s lacks %q", tc.edits[0], x)
				}
			}
			var paths []string
			for _, e := range p.Edits {
				paths = append(paths, filepath.Clean(e.Path))
				for _, k := range tc.keep {
					if bytes.Contains(e.Before, []byte(k)) && !bytes.Contains(e.After, []byte(k)) {
						t.Errorf("%s: the plan changes text it must keep:\n%s", e.Path, k)
					}
				}
				for _, g := range tc.gone {
					if filepath.Clean(e.Path) == tc.edits[0] && bytes.Contains(e.After, []byte(g)) {
						t.Errorf("%s still holds %q", e.Path, g)
					}
				}
			}
			if !slices.Equal(paths, tc.edits) {
				t.Errorf("the plan changes %q, want only %q", paths, tc.edits)
			}
			for _, phase := range [][]Step{p.Apply, p.Validate, p.Reload, p.Verify, p.Rollback} {
				for _, s := range phase {
					if s.Addr != "" && !slices.Contains(tc.addrs, s.Addr) {
						t.Errorf("a step reaches %s, want only %q: %s", s.Addr, tc.addrs, s)
					}
					if s.Undo != nil && s.Undo.Addr != "" && !slices.Contains(tc.addrs, s.Undo.Addr) {
						t.Errorf("an undo step reaches %s, want only %q", s.Undo.Addr, tc.addrs)
					}
				}
			}
		})
	}
}

// TestOffer checks which findings a report may promise `vigil fix` for:
// only those whose service is the applier's own product.
func TestOffer(t *testing.T) {
	svc := func(name, product string) *facts.Service { return &facts.Service{Name: name, Product: product} }
	openssh := &facts.Service{Name: "ssh", SSH: &facts.SSH{Software: "OpenSSH_9.2p1"}}
	tests := []struct {
		check string
		svc   *facts.Service
		want  bool
	}{
		{"ssh.cipher.weak", svc("ssh", "OpenSSH"), true},
		{"ssh.cipher.weak", openssh, true}, // the product read from the identification string
		{"ssh.cipher.weak", dropbearSvc, false},
		{"ssh.terrapin", svc("ssh", "libssh"), false},
		{"ssh.kex.weak", svc("ssh", ""), false}, // unknown: no promise
		{"ssh.mac.weak", nil, false},
		{"ssh.config.password-auth", nil, true}, // only sshd's own configuration raises it
		{"ssh.config.root-login", svc("ssh", "Dropbear"), false},
		{"tls.protocol.tls10", svc("http", "nginx"), true},
		{"tls.cipher.weak", apacheSvc, false},
		{"tls.protocol.tls11", svc("http", "Caddy"), false},
		{"tls.protocol.tls10", svc("smtp", "nginx"), false}, // nginx's mail proxy: no server block
		{"tls.protocol.tls10", svc("smtp", "Postfix"), false},
		{"tls.protocol.tls10", nil, false},
		{"auth.anonymous.ftp", vsftpdSvc, true},
		{"auth.anonymous.ftp", pyftpdlibSvc, false},
		{"ftp.config.anonymous", svc("ftp", "ProFTPD"), false},
		{"ftp.config.anonymous", svc("ftp", "vsftpd"), true},
		{"ftp.config.anonymous", nil, false}, // vsftpd's or proftpd's: unknown
		{"auth.none.redis", redisSvc, true},
		{"auth.none.redis", valkeySvc, false},
		{"redis.config.no-auth", nil, true},
		{"port.open-unused", dropbearSvc, true}, // a firewall rule closes any server's port
		{"exposure.admin", nil, true},
		{"cleartext.telnet", svc("telnet", ""), true},
		{"tls.cert.expired", svc("http", "nginx"), false},
	}
	for _, tc := range tests {
		f := find(tc.check, "127.0.4.1", 443, "tcp", "")
		if got := Offer(f, tc.svc); got != tc.want {
			p := "<no service>"
			if tc.svc != nil {
				p = tc.svc.Name + "/" + tc.svc.Product
			}
			t.Errorf("Offer(%s, %s) = %v, want %v", tc.check, p, got, tc.want)
		}
		// What is offered, the planner does not refuse for its product.
		if err := Supports(f, tc.svc); tc.want && err != nil {
			t.Errorf("Supports(%s) refuses what Offer promises: %v", tc.check, err)
		}
	}
}

func TestNginxNameMatches(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"a.example", "a.example", true},
		{"A.Example", "a.example", true},
		{"a.example", "b.example", false},
		{"*.b.example", "shop.b.example", true},
		{"*.b.example", "b.example", false},
		{".b.example", "b.example", true},
		{".b.example", "x.y.b.example", true},
		{"www.example.*", "www.example.org", true},
		{"www.example.*", "www.example", false},
		{`~^(www\.)?c\.example$`, "www.c.example", true},
		{"~(", "x", false},
		{"_", "_", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := nginxNameMatches(tc.pattern, tc.host); got != tc.want {
			t.Errorf("nginxNameMatches(%q, %q) = %v, want %v", tc.pattern, tc.host, got, tc.want)
		}
	}
}

func TestSSHDMatches(t *testing.T) {
	t14 := sshdTarget{addr: netip.MustParseAddr("127.0.4.14"), port: 22}
	tests := []struct {
		line string
		t    sshdTarget
		want sshdMatch
	}{
		{"Match all", t14, matchYes},
		{"Match LocalPort 22", t14, matchYes},
		{"Match LocalPort 2200", t14, matchNo},
		{"Match LocalAddress 127.0.4.14", t14, matchYes},
		{"match localaddress 127.0.4.0/24 localport 22", t14, matchYes},
		{"Match LocalAddress 127.0.4.*,!127.0.4.14", t14, matchNo},
		{"Match LocalAddress 10.0.0.0/8", t14, matchNo},
		{"Match User backup", t14, matchMaybe},
		{"Match User backup LocalPort 2200", t14, matchNo},
		{"Match Address 192.168.0.0/16 LocalPort 22", t14, matchMaybe},
		{"Match LocalAddress 127.0.4.14", sshdTarget{port: 22}, matchMaybe},
		{"Match=LocalPort 22", t14, matchYes},
		{"Match LocalPort=2200", t14, matchNo},
		{"Match LocalPort 22 # only the admin port", t14, matchYes},
		{`Match LocalAddress "127.0.4.14"`, t14, matchYes},
	}
	for _, tc := range tests {
		if got := sshdMatches(tc.line, tc.t); got != tc.want {
			t.Errorf("sshdMatches(%q, %s) = %v, want %v", tc.line, tc.t, got, tc.want)
		}
	}
}

func TestSSHDValue(t *testing.T) {
	for line, want := range map[string]string{
		"PasswordAuthentication no":           "no",
		"PasswordAuthentication=No":           "no",
		"PasswordAuthentication no # was yes": "no",
		`PermitRootLogin "prohibit-password"`: "prohibit-password",
		"Ciphers aes128-ctr,aes256-ctr":       "aes128-ctr,aes256-ctr",
		"# PasswordAuthentication yes":        "",
	} {
		if got := sshdValue(line); got != want {
			t.Errorf("sshdValue(%q) = %q, want %q", line, got, want)
		}
	}
	content := []byte("# PasswordAuthentication no\nPasswordAuthentication no # set by the admin\n")
	if got := sshdGlobal(content, facts.SSHDConfig{}, "PasswordAuthentication"); got != "no" {
		t.Errorf("sshdGlobal = %q, want no", got)
	}
}

func TestParseListen(t *testing.T) {
	a := netip.MustParseAddr
	tests := []struct {
		args []string
		want nginxListen
		ok   bool
	}{
		{[]string{"8443", "ssl"}, nginxListen{any4: true, port: 8443, v6only: true}, true},
		{[]string{"*:8443"}, nginxListen{any4: true, port: 8443, v6only: true}, true},
		{[]string{"0.0.0.0:8443"}, nginxListen{any4: true, port: 8443, v6only: true}, true},
		{[]string{"[::]:8443", "ipv6only=off"}, nginxListen{any6: true, port: 8443}, true},
		{[]string{"127.0.4.10:8443", "ssl", "default_server"}, nginxListen{addr: a("127.0.4.10"), port: 8443, v6only: true}, true},
		{[]string{"[::1]"}, nginxListen{addr: a("::1"), port: 80, v6only: true}, true},
		{[]string{"127.0.4.10"}, nginxListen{addr: a("127.0.4.10"), port: 80, v6only: true}, true},
		{[]string{"localhost:8443"}, nginxListen{name: "localhost", port: 8443, v6only: true}, true},
		{[]string{"unix:/run/x.sock"}, nginxListen{}, false},
		{[]string{"127.0.4.10:0"}, nginxListen{}, false},
	}
	for _, tc := range tests {
		got, ok := parseListen(tc.args)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseListen(%q) = %+v, %v; want %+v, %v", tc.args, got, ok, tc.want, tc.ok)
		}
	}
	l, _ := parseListen([]string{"localhost:8443"})
	if !l.exact(a("127.0.0.1")) || l.exact(a("127.0.4.10")) {
		t.Errorf("listen localhost covers 127.0.0.1 and ::1 only")
	}
	six, _ := parseListen([]string{"[::]:8443"})
	both, _ := parseListen([]string{"[::]:8443", "ipv6only=off"})
	if six.wildcardFor(a("127.0.4.10")) || !both.wildcardFor(a("127.0.4.10")) || !six.wildcardFor(a("::1")) {
		t.Errorf("[::] takes IPv4 only with ipv6only=off")
	}
}
