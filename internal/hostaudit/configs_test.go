package hostaudit

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestParseSSHDT(t *testing.T) {
	v := ParseSSHDT(readFixture(t, "sshd_T_weak.txt")) // real sshd -T of the lab's ssh-weak
	for k, want := range map[string]string{
		"permitrootlogin": "yes", "passwordauthentication": "yes", "kbdinteractiveauthentication": "yes",
		"listenaddress": "127.0.2.12:2222", "usepam": "yes", "authenticationmethods": "any",
	} {
		if len(v[k]) != 1 || v[k][0] != want {
			t.Errorf("%s = %q, want %q", k, v[k], want)
		}
	}
	if !strings.Contains(v["ciphers"][0], "3des-cbc") {
		t.Errorf("ciphers = %q", v["ciphers"])
	}
	if len(v["hostkey"]) != 2 {
		t.Errorf("hostkey = %q, want the two keys", v["hostkey"])
	}
}

func TestParseSSHDConfig(t *testing.T) {
	in := `# comment
Port 2222
ListenAddress=10.0.0.5
  PasswordAuthentication   no
ChallengeResponseAuthentication yes
PermitRootLogin "yes"
Include conf.d/*.conf
Match User backup
    PasswordAuthentication yes
Match all
X11Forwarding no
`
	got := ParseSSHDConfig([]byte(in))
	want := []SSHDDirective{
		{"port", "2222", 2, "Port 2222", false},
		{"listenaddress", "10.0.0.5", 3, "ListenAddress=10.0.0.5", false},
		{"passwordauthentication", "no", 4, "PasswordAuthentication   no", false},
		{"kbdinteractiveauthentication", "yes", 5, "ChallengeResponseAuthentication yes", false},
		{"permitrootlogin", "yes", 6, `PermitRootLogin "yes"`, false},
		{"include", "conf.d/*.conf", 7, "Include conf.d/*.conf", false},
		{"passwordauthentication", "yes", 9, "PasswordAuthentication yes", true},
		{"x11forwarding", "no", 11, "X11Forwarding no", false},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParseSSHDConfig =\n%+v\nwant\n%+v", got, want)
	}
	// sshd ends a line at a '#' that starts an argument (OpenSSH 8.7 and
	// later), and reads quotes inside arguments.
	got = ParseSSHDConfig([]byte("PasswordAuthentication no # was yes\nBanner \"/etc/issue net\"\n"))
	if len(got) != 2 || got[0].Value != "no" || got[1].Value != "/etc/issue net" {
		t.Errorf("ParseSSHDConfig = %+v", got)
	}
}

func TestSSHDArgs(t *testing.T) {
	tests := []struct {
		argv []string
		want sshdInvocation
	}{
		{[]string{"sshd:", "/usr/sbin/sshd", "-D", "-f", "/tmp/vigil-lab/ssh-weak/sshd_config", "-E", "/tmp/x.log", "[listener]", "0", "of", "10-100", "startups"},
			sshdInvocation{"/tmp/vigil-lab/ssh-weak/sshd_config", nil}},
		{[]string{"/usr/sbin/sshd", "-D"}, sshdInvocation{"/etc/ssh/sshd_config", nil}},
		{[]string{"sshd", "-De", "-f/etc/ssh/alt", "-oPermitRootLogin=yes", "-o", "Port 2200"},
			sshdInvocation{"/etc/ssh/alt", []string{"PermitRootLogin=yes", "Port 2200"}}},
		{nil, sshdInvocation{"/etc/ssh/sshd_config", nil}},
	}
	for _, tt := range tests {
		got := sshdArgs(tt.argv)
		if got.file != tt.want.file || !slices.Equal(got.options, tt.want.options) {
			t.Errorf("sshdArgs(%q) = %+v, want %+v", tt.argv, got, tt.want)
		}
	}
}

// TestSSHDFileParserAgreesWithSSHD writes sshd configurations with
// Includes, Match blocks, repeated keywords and aliases, and checks that
// the file parser (used when sshd -T cannot run) finds the values the real
// sshd -T prints.
func TestSSHDFileParserAgreesWithSSHD(t *testing.T) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	skip := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	if _, err := os.Stat(sshd); err != nil {
		skip("sshd is not installed")
	}
	if os.Geteuid() != 0 {
		skip("sshd -T needs root")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "host_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("conf.d/10-first.conf", "PasswordAuthentication no\nPermitRootLogin yes\n")
	write("conf.d/20-second.conf", "PasswordAuthentication yes\nKbdInteractiveAuthentication no\n")
	configs := map[string]string{
		"include first wins":   "HostKey " + key + "\nInclude " + dir + "/conf.d/*.conf\nPasswordAuthentication yes\nPort 2201\n",
		"match is not global":  "HostKey " + key + "\nPermitRootLogin prohibit-password\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n  PasswordAuthentication no\n",
		"defaults and aliases": "HostKey " + key + "\nChallengeResponseAuthentication no\nListenAddress 127.0.0.1:2202\nListenAddress [::1]:2203\n",
	}
	for name, body := range configs {
		t.Run(name, func(t *testing.T) {
			file := write(strings.ReplaceAll(name, " ", "_")+".conf", body)
			p := &process{PID: 1, Args: []string{sshd, "-D", "-f", file}}
			real, errs := collectSSHD(t.Context(), asSelf(Local(), p, "sshd", sshd))
			if real.Method != "sshd -T" {
				t.Fatalf("sshd -T did not run: %v", errs)
			}
			// Without a binary vigil may run, the files are parsed, and
			// the note says why.
			parsed, errs := collectSSHD(t.Context(), asSelf(Local(), p, "sshd", ""))
			if parsed.Method != "file" || len(errs) != 0 || !strings.Contains(parsed.Daemon.Note, "vigil did not run sshd -T") {
				t.Fatalf("fallback: method %q, note %q, errors %v", parsed.Method, parsed.Daemon.Note, errs)
			}
			for _, k := range []string{"permitrootlogin", "passwordauthentication", "kbdinteractiveauthentication", "port", "authenticationmethods", "pubkeyauthentication"} {
				if parsed.Effective[k] != real.Effective[k] {
					t.Errorf("%s: parsed %q, sshd -T %q", k, parsed.Effective[k], real.Effective[k])
				}
			}
			if real.Effective["listenaddress"] != "" && !strings.Contains(body, "ListenAddress") {
				// sshd -T lists the default listen addresses; the parser leaves them unset.
			} else if parsed.Effective["listenaddress"] != real.Effective["listenaddress"] {
				t.Errorf("listenaddress: parsed %q, sshd -T %q", parsed.Effective["listenaddress"], real.Effective["listenaddress"])
			}
			if real.Sources["permitrootlogin"] != parsed.Sources["permitrootlogin"] {
				t.Errorf("sources differ: %q vs %q", real.Sources["permitrootlogin"], parsed.Sources["permitrootlogin"])
			}
		})
	}
}

func TestParsePGConf(t *testing.T) {
	in := `# PostgreSQL
listen_addresses = '*'		# comment
port=5433
ssl off
ssl_cert_file = '/etc/ssl/it''s.pem'
search_path = '"$user", public'   # quoted
include_dir 'conf.d'
Bad line without value =
shared_buffers = 128MB#no space
`
	got := ParsePGConf([]byte(in))
	want := []PGSetting{
		{"listen_addresses", "*", 2, "listen_addresses = '*'"},
		{"port", "5433", 3, "port=5433"},
		{"ssl", "off", 4, "ssl off"},
		{"ssl_cert_file", "/etc/ssl/it's.pem", 5, "ssl_cert_file = '/etc/ssl/it''s.pem'"},
		{"search_path", `"$user", public`, 6, `search_path = '"$user", public'`},
		{"include_dir", "conf.d", 7, "include_dir 'conf.d'"},
		{"shared_buffers", "128MB", 9, "shared_buffers = 128MB"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParsePGConf =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseHBA(t *testing.T) {
	in := `# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             postgres                                peer
host    all             all             127.0.0.1/32            scram-sha-256
host    "my db",other   all             10.0.0.0 255.0.0.0      md5
hostssl all             all             ::/0                    trust   # comment
hostnossl replication   rep \
        192.168.1.0/24  trust
include_if_exists extra.conf
host    broken
`
	got := ParseHBA([]byte(in))
	want := []facts.HBALine{
		{Line: 2, Type: "local", Database: "all", User: "postgres", Method: "peer", Text: "local all postgres peer"},
		{Line: 3, Type: "host", Database: "all", User: "all", Address: "127.0.0.1/32", Method: "scram-sha-256", Text: "host all all 127.0.0.1/32 scram-sha-256"},
		{Line: 4, Type: "host", Database: "my db,other", User: "all", Address: "10.0.0.0/255.0.0.0", Method: "md5", Text: `host "my db",other all 10.0.0.0 255.0.0.0 md5`},
		{Line: 5, Type: "hostssl", Database: "all", User: "all", Address: "::/0", Method: "trust", Text: "hostssl all all ::/0 trust"},
		{Line: 6, Type: "hostnossl", Database: "replication", User: "rep", Address: "192.168.1.0/24", Method: "trust", Text: "hostnossl replication rep 192.168.1.0/24 trust"},
		{Line: 8, Type: "include_if_exists", Database: "extra.conf", Text: "include_if_exists extra.conf"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("ParseHBA =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPGArgs(t *testing.T) {
	inv := pgArgs([]string{"/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql/15/main", "-c", "config_file=/etc/postgresql/15/main/postgresql.conf", "--ssl=on", "-p5434", "-i"})
	if inv.dataDir != "/var/lib/postgresql/15/main" {
		t.Errorf("dataDir = %q", inv.dataDir)
	}
	got := map[string]string{}
	for _, s := range inv.settings {
		got[s.Name] = s.Value
	}
	want := map[string]string{"config_file": "/etc/postgresql/15/main/postgresql.conf", "ssl": "on", "port": "5434", "listen_addresses": "*"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestCollectPostgreSQLDebianLayout lays out a cluster the way Debian does
// (data in one directory, configuration in /etc with conf.d and a
// separate pg_hba.conf) and reads it from the postmaster's command line.
func TestCollectPostgreSQLDebianLayout(t *testing.T) {
	dir := t.TempDir()
	etc, data := filepath.Join(dir, "etc"), filepath.Join(dir, "data")
	for _, d := range []string{etc + "/conf.d", data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		etc + "/postgresql.conf":       "data_directory = '" + data + "'\nhba_file = '" + etc + "/pg_hba.conf'\nlisten_addresses = 'localhost'\nssl = on\ninclude_dir = 'conf.d'\n",
		etc + "/conf.d/10-net.conf":    "listen_addresses = '*'\n",
		etc + "/conf.d/.hidden.conf":   "ssl = on\n",
		etc + "/pg_hba.conf":           "local all all peer\nhost all all samenet trust\ninclude extra_hba.conf\n",
		etc + "/extra_hba.conf":        "host all all 0.0.0.0/0 scram-sha-256\n",
		data + "/postgresql.auto.conf": "# Do not edit this file manually!\nssl = 'off'\n",
	}
	for p, body := range files {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := &process{PID: 77, Args: []string{"/usr/lib/postgresql/15/bin/postgres", "-D", data, "-c", "config_file=" + etc + "/postgresql.conf", "-p", "5440"}}
	cfg, errs := collectPostgreSQL(t.Context(), asSelf(Local(), p, "postgresql", ""))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if cfg.ListenAddresses != "*" || cfg.Port != 5440 || cfg.SSL || cfg.HBAFile != etc+"/pg_hba.conf" || cfg.DataDir != data {
		t.Errorf("cfg = %+v", cfg)
	}
	if cfg.Sources["ssl"] != data+"/postgresql.auto.conf:2: ssl = 'off'" || cfg.Sources["port"] != "command line: -p 5440" ||
		cfg.Sources["listen_addresses"] != etc+"/conf.d/10-net.conf:1: listen_addresses = '*'" {
		t.Errorf("sources = %q", cfg.Sources)
	}
	if len(cfg.HBA) != 3 || cfg.HBA[1].Address != "samenet" || cfg.HBA[2].File != etc+"/extra_hba.conf" || cfg.HBA[2].Line != 1 {
		t.Errorf("hba = %+v", cfg.HBA)
	}
}

func TestParseRedisConf(t *testing.T) {
	in := `bind 127.0.0.1 -::1
port 6380
requirepass "se cr\"et"
user alice on >s3cret ~* +@all
protected-mode no
rename-command CONFIG ""
`
	got := ParseRedisConf([]byte(in))
	if len(got) != 6 {
		t.Fatalf("%d directives: %+v", len(got), got)
	}
	if !slices.Equal(got[0].Args, []string{"127.0.0.1", "-::1"}) || got[2].Args[0] != `se cr"et` || got[5].Args[1] != "" {
		t.Errorf("args: %+v", got)
	}
	if got[2].Text != "requirepass ********" || got[3].Text != "user alice on >******** ~* +@all" {
		t.Errorf("secrets are not hidden: %q, %q", got[2].Text, got[3].Text)
	}
	st := newRedisState()
	for _, d := range got {
		st.apply(d, "f")
	}
	if !st.requirePass || !st.aclUsers || st.protectedMode || st.port != 6380 {
		t.Errorf("state = %+v", st)
	}
}

func TestRedisArgs(t *testing.T) {
	inv := redisArgs([]string{"/usr/bin/redis-server", "/etc/redis/redis.conf", "--port", "7000", "--requirepass", "pw", "--save", "", "--bind", "10.0.0.1", "127.0.0.1"})
	if inv.file != "/etc/redis/redis.conf" || len(inv.options) != 4 {
		t.Fatalf("inv = %+v", inv)
	}
	if inv.options[1].Text != "--requirepass ********" || !slices.Equal(inv.options[3].Args, []string{"10.0.0.1", "127.0.0.1"}) {
		t.Errorf("options = %+v", inv.options)
	}
	// A rewritten title says nothing of the configuration.
	if inv := redisArgs([]string{"redis-server 127.0.2.18:6379  /tmp/vigil-lab/db-weak/redis"}); inv.file != "" || inv.options != nil {
		t.Errorf("title parsed as %+v", inv)
	}
}

func TestRedisTitleListeners(t *testing.T) {
	got := redisTitleListeners([]string{"redis-server", "127.0.2.18:6379", "/tmp/x", "*:6380", "[::1]:6381", "host:1"})
	want := []facts.Listener{{Transport: "tcp", Address: "127.0.2.18", Port: 6379}, {Transport: "tcp", Address: "0.0.0.0", Port: 6380}, {Transport: "tcp", Address: "::1", Port: 6381}}
	if !slices.Equal(got, want) {
		t.Errorf("redisTitleListeners = %+v", got)
	}
}

func TestRedisUserNeedsAuth(t *testing.T) {
	tests := []struct {
		rules string
		want  bool
	}{
		{"default on nopass ~* &* +@all", false},
		{"default on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~* +@all", true},
		{"default off nopass", true},
		{"default on >pw nopass", false},
		{"alice on >pw ~* +@all", true},
		{"alice off >pw", false},
	}
	for _, tt := range tests {
		if got := redisUserNeedsAuth(strings.Fields(tt.rules)); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.rules, got, tt.want)
		}
	}
}

func TestParseRedisReplies(t *testing.T) {
	ok := "*2\r\n$4\r\nbind\r\n$10\r\n127.0.2.18\r\n" +
		"*2\r\n$4\r\nport\r\n$4\r\n6379\r\n" +
		"*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n" +
		"*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n" +
		"*1\r\n" + bulk("user default on nopass ~* &* +@all") +
		bulk("# Server\r\nredis_version:7.0.15\r\nconfig_file:/etc/redis/redis.conf\r\n")
	live, done := parseRedisReplies([]byte(ok))
	if !done || live.noauth || live.config["bind"] != "127.0.2.18" || live.config["requirepass"] != "" || live.aclUsers || live.configFile != "/etc/redis/redis.conf" {
		t.Errorf("live = %+v, %v", live, done)
	}
	if _, done := parseRedisReplies([]byte(ok[:len(ok)-10])); done {
		t.Error("a truncated answer was complete")
	}
	live, done = parseRedisReplies([]byte("-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n"))
	if !done || !live.noauth {
		t.Errorf("NOAUTH: %+v, %v", live, done)
	}
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func TestVsftpd(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "vsftpd.conf")
	body := "# vsftpd\nlisten=YES\nlisten_address=10.0.0.9\nlisten_port=2121\nssl_enable=yes\n anonymous_enable = NO\nbad line\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, errs := collectVsftpd(t.Context(), asSelf(Local(), &process{PID: 5, Args: []string{"vsftpd", file, "-oanonymous_enable=YES"}}, "vsftpd", ""))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// The -o option on the command line wins over the file.
	if !cfg.Anonymous || !cfg.SSL || cfg.ListenAddress != "10.0.0.9" || cfg.Port != 2121 || cfg.Sources["anonymous_enable"] != "command line: -oanonymous_enable=YES" {
		t.Errorf("cfg = %+v", cfg)
	}
	// Nothing set: vsftpd's built-in default allows anonymous logins.
	empty := filepath.Join(dir, "empty.conf")
	_ = os.WriteFile(empty, []byte("listen=YES\n"), 0o644)
	cfg, _ = collectVsftpd(t.Context(), asSelf(Local(), &process{PID: 5, Args: []string{"vsftpd", empty}}, "vsftpd", ""))
	if !cfg.Anonymous || cfg.Sources["anonymous_enable"] != "" {
		t.Errorf("default: %+v", cfg)
	}
}

func TestProftpd(t *testing.T) {
	files := fakeFiles{
		"/etc/proftpd/proftpd.conf":     "ServerName \"x\"\nPort 2100\nInclude /etc/proftpd/conf.d/\n# <Anonymous ~ftp>\n",
		"/etc/proftpd/conf.d/anon.conf": "TLSEngine on\n<Anonymous ~ftp>\n  User ftp\n</Anonymous>\n",
		"/srv/ftp/proftpd.conf":         "Port 2121\n",
	}
	// The title of a running proftpd names no file: Debian's is read.
	cfg, errs := collectProftpd(t.Context(), asSelf(files, &process{PID: 9, Args: []string{"proftpd:", "(accepting", "connections)"}}, "proftpd", ""))
	if len(errs) > 0 || !cfg.Anonymous || !cfg.SSL || cfg.Port != 2100 || cfg.Sources["<anonymous>"] != "/etc/proftpd/conf.d/anon.conf:2: <Anonymous ~ftp>" {
		t.Errorf("cfg = %+v, %v", cfg, errs)
	}
	cfg, errs = collectProftpd(t.Context(), asSelf(files, &process{PID: 9, Args: []string{"/usr/sbin/proftpd", "-c", "/srv/ftp/proftpd.conf"}}, "proftpd", ""))
	if len(errs) > 0 || cfg.Anonymous || cfg.Port != 2121 || cfg.ConfigFile != "/srv/ftp/proftpd.conf" {
		t.Errorf("cfg = %+v, %v", cfg, errs)
	}
	cfg, errs = collectProftpd(t.Context(), asSelf(files, &process{PID: 9, Args: []string{"/usr/sbin/proftpd", "-c", "/srv/none.conf"}}, "proftpd", ""))
	if len(errs) != 1 || !strings.Contains(errs[0], "/srv/none.conf") {
		t.Errorf("missing file: %v", errs)
	}
}

func TestParseNginxDump(t *testing.T) {
	dirs := ParseNginxDump(readFixture(t, "nginx_T_hard.txt")) // real nginx -T of the lab's web-hard
	var protos, ciphers []NginxDirective
	files := map[string]bool{}
	for _, d := range dirs {
		files[d.File] = true
		switch d.Name {
		case "ssl_protocols":
			protos = append(protos, d)
		case "ssl_ciphers":
			ciphers = append(ciphers, d)
		}
	}
	if len(protos) != 1 || !slices.Equal(protos[0].Args, []string{"TLSv1.2", "TLSv1.3"}) || protos[0].Line != 31 || protos[0].File != "/tmp/vigil-lab/web-hard/nginx.conf" {
		t.Errorf("ssl_protocols = %+v", protos)
	}
	if len(ciphers) != 1 || !strings.HasPrefix(ciphers[0].Args[0], "ECDHE-ECDSA-AES128-GCM-SHA256:") || ciphers[0].Line != 33 {
		t.Errorf("ssl_ciphers = %+v", ciphers)
	}
	if !files["/etc/nginx/mime.types"] {
		t.Errorf("included files: %v", files)
	}
}

func TestParseNginxConf(t *testing.T) {
	in := "http {\n  # ssl_protocols SSLv3;\n  server { listen 443 ssl; ssl_protocols TLSv1.2\n    TLSv1.3; }\n  ssl_ciphers 'HIGH:!a;NULL';\n  log_format x \"a\\\"b\";\n}\n"
	got := ParseNginxConf([]byte(in), "f")
	var names []string
	for _, d := range got {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"http", "server", "listen", "ssl_protocols", "ssl_ciphers", "log_format"}) {
		t.Fatalf("directives %v", names)
	}
	if got[3].Line != 3 || !slices.Equal(got[3].Args, []string{"TLSv1.2", "TLSv1.3"}) || got[4].Args[0] != "HIGH:!a;NULL" || got[5].Args[1] != `a"b` {
		t.Errorf("parsed %+v", got)
	}
	// nginx keeps a backslash it does not know as an escape: the regular
	// expression of a location is read as written.
	re := ParseNginxConf([]byte("location ~ \\.php$ { deny all; }"), "f")
	if len(re) != 2 || !slices.Equal(re[0].Args, []string{"~", `\.php$`}) {
		t.Errorf("location = %+v", re)
	}
}

func TestNginxArgs(t *testing.T) {
	inv := nginxArgs([]string{"nginx:", "master", "process", "/usr/sbin/nginx", "-g", "daemon", "on;", "master_process", "on;", "-p", "/srv/", "-c", "conf/nginx.conf"})
	if inv.file != "conf/nginx.conf" || inv.prefix != "/srv/" {
		t.Errorf("inv = %+v", inv)
	}
	if got := inv.testArgs(); !slices.Equal(got, []string{"-T", "-p", "/srv/", "-c", "conf/nginx.conf"}) {
		t.Errorf("testArgs = %q", got)
	}
}

func FuzzParseSSHDConfig(f *testing.F) {
	f.Add([]byte("Port 22\nMatch User x\nPasswordAuthentication yes\n"), []byte(string(readFixture(f, "sshd_T_weak.txt"))))
	f.Fuzz(func(t *testing.T, conf, dump []byte) {
		for _, d := range ParseSSHDConfig(conf) {
			if d.Key == "" || d.Line <= 0 {
				t.Fatalf("directive %+v", d)
			}
		}
		ParseSSHDT(dump)
		sshdArgs(strings.Fields(string(conf)))
	})
}

func FuzzParsePostgreSQL(f *testing.F) {
	f.Add([]byte("ssl = 'o''n' # x\ninclude 'a'\n"), []byte("host all all 0.0.0.0/0 trust\nlocal \"a b\" c \\\n peer\n"))
	f.Fuzz(func(t *testing.T, conf, hba []byte) {
		for _, s := range ParsePGConf(conf) {
			if s.Name == "" || s.Line <= 0 {
				t.Fatalf("setting %+v", s)
			}
		}
		for _, l := range ParseHBA(hba) {
			if l.Type == "" || l.Line <= 0 {
				t.Fatalf("line %+v", l)
			}
		}
		pgArgs(strings.Fields(string(conf)))
		if on, ok := pgBool(string(hba)); on && !ok {
			t.Fatal("pgBool: true but not valid")
		}
	})
}

func FuzzParseRedis(f *testing.F) {
	f.Add([]byte("bind 127.0.0.1\nrequirepass \"a\\x41\"\n"), []byte("*2\r\n$4\r\nbind\r\n$0\r\n\r\n"))
	f.Add([]byte("user default on >x\n'unterminated\n"), []byte("*-1\r\n$-1\r\n:1\r\n-ERR x\r\n"))
	f.Fuzz(func(t *testing.T, conf, reply []byte) {
		for _, d := range ParseRedisConf(conf) {
			if len(d.Args) > 0 && d.Args[len(d.Args)-1] != "" && strings.Contains(d.Text, d.Args[len(d.Args)-1]) && d.Key == "requirepass" {
				t.Fatalf("secret shown: %q", d.Text)
			}
		}
		parseRedisReplies(reply)
		redisArgs(strings.Fields(string(conf)))
	})
}

func FuzzParseFTPAndNginx(f *testing.F) {
	f.Add([]byte("anonymous_enable=YES\nlisten_port=21\n"), []byte(string(readFixture(f, "nginx_T_hard.txt"))))
	f.Add([]byte("<Anonymous ~ftp>\nInclude /x/\n"), []byte("a 'b\n\\"))
	f.Fuzz(func(t *testing.T, ftp, nginx []byte) {
		ParseVsftpdConf(ftp)
		ParseProftpdConf(ftp)
		for _, d := range ParseNginxDump(nginx) {
			if d.Name == "" {
				t.Fatalf("directive without a name: %+v", d)
			}
		}
		ParseNginxConf(nginx, "f")
		nginxArgs(strings.Fields(string(ftp)))
	})
}
