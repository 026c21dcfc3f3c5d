package fix

import (
	"bytes"
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
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
		{Transport: "tcp", Address: "0.0.0.0", Port: 9443, PID: 600, Process: "nginx", Unit: "nginx.service", Cmdline: "nginx: master process /usr/sbin/nginx", Reachable: true},
		{Transport: "tcp", Address: "0.0.0.0", Port: 9000, PID: 1234, Process: "python3", User: "www-data", Cmdline: "python3 -m http.server 9000", Reachable: true},
		{Transport: "udp", Address: "10.0.0.5", Port: 161, PID: 700, Process: "snmpd", Unit: "snmpd.service", Reachable: true},
	},
	SSHD: []facts.SSHDConfig{
		{PID: 100, ConfigFile: "testdata/in/sshd-weak.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}},
		{PID: 200, ConfigFile: "testdata/in/sshd-debian.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}, Effective: map[string]string{
			"ciphers": "aes128-cbc,aes256-ctr", "macs": "hmac-sha2-256-etm@openssh.com,hmac-sha1,umac-64@openssh.com",
			"kexalgorithms": "curve25519-sha256,diffie-hellman-group14-sha1,ext-info-s"}},
	},
	Redis: []facts.RedisConfig{
		{PID: 300, ConfigFile: "testdata/in/redis.conf", Bind: []string{"127.0.4.18"}, Port: 6379},
		{PID: 301, Port: 6380},
	},
	FTP:   []facts.FTPConfig{{PID: 400, Product: "vsftpd", ConfigFile: "testdata/in/vsftpd.conf", Anonymous: true, Daemon: facts.Daemon{Exe: "/usr/sbin/vsftpd"}}},
	Nginx: []facts.NginxConfig{{PID: 500, ConfigFile: "testdata/in/nginx.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}}, {PID: 600, ConfigFile: "testdata/in/nginx-bare.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/nginx"}}},
}

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
		{"nginx-inherits", find("tls.protocol.tls11", "clinic", 8444, "tcp", ""), nil, ""},
		// No server block names the port: every setting, or the http block.
		{"nginx-bare", find("tls.cipher.weak", "clinic", 9443, "tcp", ""), nil, ""},
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
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want %v", err, tc.is)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestSetSSHDWithoutFinalNewline(t *testing.T) {
	in, _ := os.ReadFile("testdata/in/sshd-noeol.conf")
	got, _ := setSSHD(in, []sshdSetting{{keyword: "PermitRootLogin", value: "prohibit-password"}}, "T1")
	want := "Port 22\n# vigil fix T1 replaced: permitrootlogin=yes\nPermitRootLogin prohibit-password\n# vigil fix T1 disabled (sshd uses the first PermitRootLogin): PermitRootLogin no\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got, _ = setSSHD(nil, []sshdSetting{{keyword: "Ciphers", value: "aes128-ctr"}}, "T1")
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
	if at := nginxHTTPBlock(src); at < 0 || string(src[at-1]) != "{" {
		t.Errorf("http block at %d", at)
	}
	if at := nginxHTTPBlock([]byte("events {}\nhttps_x on;\n")); at != -1 {
		t.Errorf("found an http block in a file without one: %d", at)
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
		if at := nginxHTTPBlock(b); at > len(b) {
			t.Fatalf("http block beyond the end: %d", at)
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
