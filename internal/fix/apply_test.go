package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// fakeSystem records what an Applier does and answers from its fields.
type fakeSystem struct {
	mu    sync.Mutex
	calls []string
	// run answers a command by its joined argv; a missing entry succeeds
	// with no output.
	run      map[string]func(stdin string) ([]byte, error)
	cmdlines map[int]string
	listen   bool
	redis    map[string][]string // joined argv -> answer
	redisErr map[string]error
	greeting string
	parsed   string
	inode    uint64
	// sameSocket keeps one listening socket: the daemon never restarts.
	sameSocket bool
}

func (f *fakeSystem) log(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeSystem) Run(_ context.Context, argv []string, stdin string) ([]byte, error) {
	k := strings.Join(argv, " ")
	f.log("run " + k)
	if h, ok := f.run[k]; ok {
		return h(stdin)
	}
	return nil, nil
}

func (f *fakeSystem) Cmdline(pid int) (string, error) {
	if c, ok := f.cmdlines[pid]; ok {
		return c, nil
	}
	return "", os.ErrNotExist
}

func (f *fakeSystem) Children(pid int) ([]int, error) { return nil, nil }

func (f *fakeSystem) Signal(pid int, sig syscall.Signal) error {
	f.log(fmt.Sprintf("signal %d %v", pid, sig))
	return nil
}

func (f *fakeSystem) Listening(addr netip.AddrPort) (uint64, error) {
	f.log("listening " + addr.String())
	if !f.listen {
		return 0, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sameSocket {
		f.inode++ // every look sees a new socket, as after a restart
	}
	return f.inode + 1, nil
}

func (f *fakeSystem) Redis(_ context.Context, addr netip.AddrPort, auth string, argv []string) ([]string, error) {
	k := strings.Join(argv, " ")
	f.log(fmt.Sprintf("redis %s auth=%v %s", addr, auth != "", k))
	if err := f.redisErr[k]; err != nil {
		return nil, err
	}
	if v, ok := f.redis[k]; ok {
		return v, nil
	}
	return []string{"OK"}, nil
}

func (f *fakeSystem) VsftpdParse(_ context.Context, exe, conf string) (string, error) {
	f.log("vsftpd " + exe + " " + conf)
	return f.parsed, nil
}

func (f *fakeSystem) Banner(_ context.Context, addr netip.AddrPort) (string, error) {
	f.log("banner " + addr.String())
	return f.greeting, nil
}

// self is a daemon that runs as this test, so that the files the test
// makes pass the guard whoever runs it; exe is its binary.
func self(exe string) facts.Daemon {
	return facts.Daemon{UID: os.Geteuid(), GID: os.Getegid(), Exe: exe}
}

// sshdPlan plans the cipher fix on a temporary copy of sshd-weak.conf.
func sshdPlan(t *testing.T) (*Plan, string, []byte) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sshd_config")
	orig, err := os.ReadFile("testdata/in/sshd-weak.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, orig, 0o640); err != nil {
		t.Fatal(err)
	}
	h := &facts.HostAudit{Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.4.12", Port: 2222, PID: 100, Process: "sshd", Cmdline: "/usr/sbin/sshd -D -f " + conf}},
		SSHD: []facts.SSHDConfig{{PID: 100, ConfigFile: conf, Daemon: self("/usr/sbin/sshd")}}}
	p, err := MakePlan(Input{Finding: find("ssh.cipher.weak", "127.0.4.12", 2222, "tcp", ""), Service: weakSSH, Host: h, ReadFile: readFile, FixID: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	return p, conf, orig
}

func sshdOK(conf string, want string) map[string]func(string) ([]byte, error) {
	return map[string]func(string) ([]byte, error){
		"/usr/sbin/sshd -T -f " + conf: func(string) ([]byte, error) {
			return []byte("port 2222\n" + want + "\npasswordauthentication yes\n"), nil
		},
	}
}

func TestApplyAndRollback(t *testing.T) {
	p, conf, orig := sshdPlan(t)
	sys := &fakeSystem{run: sshdOK(conf, "ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"),
		cmdlines: map[int]string{100: "sshd: /usr/sbin/sshd -D -f " + conf}, listen: true}
	a := &Applier{Dir: filepath.Join(t.TempDir(), "fixes"), Sys: sys}
	rec, err := a.Apply(t.Context(), "20260301T000000Z-aaaaaa", p)
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StateApplied {
		t.Errorf("state %s", rec.State)
	}
	now, _ := os.ReadFile(conf)
	if !bytes.Equal(now, p.Edits[0].After) {
		t.Errorf("the file does not hold the plan's content")
	}
	fi, _ := os.Stat(conf)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", fi.Mode().Perm())
	}
	backup, _ := os.ReadFile(filepath.Join(rec.Dir(), rec.Files[0].Backup))
	if !bytes.Equal(backup, orig) {
		t.Errorf("the backup is not the original")
	}
	// The listening socket is noted before the reload, and a new one is
	// waited for after it (sshd re-executes itself on SIGHUP).
	wantCalls := []string{"run /usr/sbin/sshd -t -f " + conf, "run /usr/sbin/sshd -T -f " + conf, "listening 127.0.4.12:2222", "signal 100 hangup", "listening 127.0.4.12:2222"}
	if !slices.Equal(sys.calls, wantCalls) {
		t.Errorf("calls\n%q\nwant\n%q", sys.calls, wantCalls)
	}

	// The record is found again by a prefix, and listed.
	got, err := Load(a.Dir, "20260301T000000Z-a")
	if err != nil || got.ID != rec.ID || got.State != StateApplied {
		t.Fatalf("Load: %+v, %v", got, err)
	}
	sys.calls = nil
	if err := a.Rollback(t.Context(), got, false); err != nil {
		t.Fatal(err)
	}
	now, _ = os.ReadFile(conf)
	if !bytes.Equal(now, orig) {
		t.Errorf("rollback did not restore the file:\n%s", now)
	}
	if !slices.Contains(sys.calls, "signal 100 hangup") {
		t.Errorf("rollback did not reload sshd: %q", sys.calls)
	}
	again, _ := Load(a.Dir, rec.ID)
	if again.State != StateRolledBack {
		t.Errorf("state after rollback: %s", again.State)
	}
	if err := a.Rollback(t.Context(), again, false); err == nil {
		t.Errorf("a second rollback was allowed")
	}
	if fi, _ := os.Stat(filepath.Join(a.Dir, rec.ID, "manifest.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode %v", fi.Mode().Perm())
	}
}

func TestApplyRollsBackByItself(t *testing.T) {
	tests := []struct {
		name  string
		sys   func(conf string) *fakeSystem
		stage string
	}{
		{"sshd -t fails", func(conf string) *fakeSystem {
			return &fakeSystem{run: map[string]func(string) ([]byte, error){
				"/usr/sbin/sshd -t -f " + conf: func(string) ([]byte, error) {
					return []byte("/etc/ssh/sshd_config line 6: Bad SSH2 cipher spec"), errors.New("exit status 255")
				}}, cmdlines: map[int]string{100: "sshd"}, listen: true}
		}, "validation"},
		{"sshd -T shows another value", func(conf string) *fakeSystem {
			return &fakeSystem{run: sshdOK(conf, "ciphers aes128-cbc"), cmdlines: map[int]string{100: "sshd"}, listen: true}
		}, "validation"},
		{"the pid is another program now", func(conf string) *fakeSystem {
			return &fakeSystem{run: sshdOK(conf, "ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"), cmdlines: map[int]string{100: "bash"}, listen: true}
		}, "reload"},
		{"sshd keeps its old listener (it did not restart)", func(conf string) *fakeSystem {
			return &fakeSystem{run: sshdOK(conf, "ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"), cmdlines: map[int]string{100: "sshd"}, listen: true, sameSocket: true}
		}, "verification"},
		{"sshd does not listen again", func(conf string) *fakeSystem {
			return &fakeSystem{run: sshdOK(conf, "ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"), cmdlines: map[int]string{100: "sshd"}}
		}, "verification"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, conf, orig := sshdPlan(t)
			a := &Applier{Dir: t.TempDir(), Sys: tc.sys(conf), ListenWait: 50 * time.Millisecond}
			rec, err := a.Apply(t.Context(), "20260301T000000Z-bbbbbb", p)
			if err == nil {
				t.Fatal("applied")
			}
			if !strings.Contains(err.Error(), tc.stage) {
				t.Errorf("error %q does not name the %s", err, tc.stage)
			}
			now, _ := os.ReadFile(conf)
			if !bytes.Equal(now, orig) {
				t.Errorf("the file was not restored")
			}
			if rec == nil || rec.State != StateFailed {
				t.Errorf("record %+v", rec)
			}
		})
	}
}

func TestApplyKeepsSymlinks(t *testing.T) {
	p, conf, orig := sshdPlan(t)
	// Make the configuration a link to the real file, as sites-enabled/ is.
	real := conf + ".real"
	if err := os.Rename(conf, real); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Base(real), conf); err != nil {
		t.Fatal(err)
	}
	sys := &fakeSystem{run: sshdOK(conf, "ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"), cmdlines: map[int]string{100: "sshd"}, listen: true}
	a := &Applier{Dir: t.TempDir(), Sys: sys}
	rec, err := a.Apply(t.Context(), "20260301T000000Z-eeeeee", p)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(conf); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(real); !bytes.Equal(b, p.Edits[0].After) {
		t.Errorf("the link's target was not changed")
	}
	if err := a.Rollback(t.Context(), rec, false); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(conf); fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("rollback replaced the link")
	}
	if b, _ := os.ReadFile(real); !bytes.Equal(b, orig) {
		t.Errorf("rollback did not restore the target")
	}
}

func TestApplyRefusesAChangedFile(t *testing.T) {
	p, conf, _ := sshdPlan(t)
	if err := os.WriteFile(conf, []byte("Port 22\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &Applier{Dir: t.TempDir(), Sys: &fakeSystem{}}
	if _, err := a.Apply(t.Context(), "20260301T000000Z-cccccc", p); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, "20260301T000000Z-cccccc")); !os.IsNotExist(err) {
		t.Errorf("a fix that changed nothing left its directory")
	}
}

func TestRollbackRefusesLaterEdits(t *testing.T) {
	p, conf, orig := sshdPlan(t)
	sys := &fakeSystem{run: sshdOK(conf, "ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"), cmdlines: map[int]string{100: "sshd"}, listen: true}
	a := &Applier{Dir: t.TempDir(), Sys: sys}
	rec, err := a.Apply(t.Context(), "20260301T000000Z-dddddd", p)
	if err != nil {
		t.Fatal(err)
	}
	edited := append(p.Edits[0].After, "Banner /etc/issue\n"...)
	os.WriteFile(conf, edited, 0o640)
	if err := a.Rollback(t.Context(), rec, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("err = %v", err)
	}
	if now, _ := os.ReadFile(conf); !bytes.Equal(now, edited) {
		t.Errorf("the edited file was overwritten")
	}
	if err := a.Rollback(t.Context(), rec, true); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(conf); !bytes.Equal(now, orig) {
		t.Errorf("--force did not restore the original")
	}
}

// nftFake imitates nft: a table holding rules with handles and comments.
type nftFake struct {
	table bool
	rules map[int]string // handle -> comment
	next  int
}

func (n *nftFake) handlers(f *fakeSystem) {
	f.run = map[string]func(string) ([]byte, error){
		"nft -f -": func(stdin string) ([]byte, error) {
			n.table = true
			i := strings.Index(stdin, `comment "`)
			n.next++
			n.rules[n.next] = strings.TrimSuffix(strings.TrimSpace(stdin[i+9:]), `"`)
			return nil, nil
		},
		"nft list table inet vigil": func(string) ([]byte, error) {
			if !n.table {
				return []byte("Error: No such file or directory"), errors.New("exit status 1")
			}
			return nil, nil
		},
		"nft -j -a list table inet vigil": func(string) ([]byte, error) {
			var objs []string
			objs = append(objs, `{"metainfo":{"version":"1.0.6"}}`, `{"table":{"family":"inet","name":"vigil","handle":1}}`)
			for h, c := range n.rules {
				objs = append(objs, fmt.Sprintf(`{"rule":{"family":"inet","table":"vigil","chain":"input","handle":%d,"comment":%q,"expr":[]}}`, h, c))
			}
			return []byte(`{"nftables":[` + strings.Join(objs, ",") + `]}`), nil
		},
		"nft delete table inet vigil": func(string) ([]byte, error) { n.table = false; return nil, nil },
	}
	for h := 1; h <= 9; h++ {
		h := h
		f.run[fmt.Sprintf("nft delete rule inet vigil input handle %d", h)] = func(string) ([]byte, error) { delete(n.rules, h); return nil, nil }
	}
}

func TestNftApplyAndRollback(t *testing.T) {
	nft := &nftFake{rules: map[int]string{}}
	sys := &fakeSystem{}
	nft.handlers(sys)
	a := &Applier{Dir: t.TempDir(), Sys: sys}
	plan := func(id string, port int) *Plan {
		h := &facts.HostAudit{Hostname: "h", Listeners: []facts.Listener{{Transport: "tcp", Address: "0.0.0.0", Port: port, PID: 5, Process: "python3"}}}
		p, err := MakePlan(Input{Finding: find("port.open-unused", "h", port, "tcp", ""), Host: h, ReadFile: readFile, FixID: id})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	r1, err := a.Apply(t.Context(), "F1", plan("F1", 9000))
	if err != nil {
		t.Fatal(err)
	}
	r2, err := a.Apply(t.Context(), "F2", plan("F2", 9001))
	if err != nil {
		t.Fatal(err)
	}
	if len(nft.rules) != 2 {
		t.Fatalf("rules %v", nft.rules)
	}
	// Rolling back the first keeps the second fix's rule and the table.
	if err := a.Rollback(t.Context(), r1, false); err != nil {
		t.Fatal(err)
	}
	if len(nft.rules) != 1 || !nft.table || !slices.Contains(mapValues(nft.rules), "vigil-fix:F2") {
		t.Errorf("after the first rollback: table=%v rules=%v", nft.table, nft.rules)
	}
	// Rolling back the last removes the table vigil made.
	if err := a.Rollback(t.Context(), r2, false); err != nil {
		t.Fatal(err)
	}
	if nft.table || len(nft.rules) != 0 {
		t.Errorf("after the last rollback: table=%v rules=%v", nft.table, nft.rules)
	}
	// A table someone deleted by hand is no error.
	r3, err := a.Apply(t.Context(), "F3", plan("F3", 9002))
	if err != nil {
		t.Fatal(err)
	}
	nft.table, nft.rules = false, map[int]string{}
	if err := a.Rollback(t.Context(), r3, false); err != nil {
		t.Errorf("rollback after the table vanished: %v", err)
	}
	list, err := List(a.Dir)
	if err != nil || len(list) != 3 || list[0].ID != "F3" {
		t.Errorf("List: %v, %v", list, err)
	}
	if _, err := Load(a.Dir, "F"); err == nil || !strings.Contains(err.Error(), "several") {
		t.Errorf("ambiguous prefix: %v", err)
	}
}

func mapValues(m map[int]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestRedisApplyUndoesInReverse(t *testing.T) {
	h := &facts.HostAudit{Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.4.18", Port: 6379, PID: 300, Process: "redis-server"}},
		Redis: []facts.RedisConfig{{PID: 300, Port: 6379, Bind: []string{"127.0.4.18"}}}}
	p, err := MakePlan(Input{Finding: find("auth.none.redis", "127.0.4.18", 6379, "tcp", ""), Host: h, ReadFile: readFile, FixID: "R1",
		Rand: bytes.NewReader(bytes.Repeat([]byte{1}, 32))})
	if err != nil {
		t.Fatal(err)
	}
	sys := &fakeSystem{redis: map[string][]string{"CONFIG GET requirepass": {"requirepass", "wrong"}}}
	a := &Applier{Dir: t.TempDir(), Sys: sys}
	_, err = a.Apply(t.Context(), "R1", p)
	if err == nil || strings.Contains(err.Error(), p.Secret) {
		t.Fatalf("err = %v (it must fail, without showing the password)", err)
	}
	want := []string{
		"redis 127.0.4.18:6379 auth=false CONFIG SET requirepass " + p.Secret,
		"redis 127.0.4.18:6379 auth=true CONFIG SET bind 127.0.0.1 -::1",
		"redis 127.0.0.1:6379 auth=true CONFIG GET requirepass",
		// rollback: the bind first (Redis is on loopback now), then the password
		"redis 127.0.0.1:6379 auth=true CONFIG SET bind 127.0.4.18",
		"redis 127.0.4.18:6379 auth=true CONFIG SET requirepass ",
	}
	if !slices.Equal(sys.calls, want) {
		t.Errorf("calls\n%q\nwant\n%q", sys.calls, want)
	}
}

func TestVsftpdCheck(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "vsftpd.conf")
	orig, _ := os.ReadFile("testdata/in/vsftpd.conf")
	os.WriteFile(conf, orig, 0o600)
	h := &facts.HostAudit{Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.4.16", Port: 21, PID: 400, Process: "vsftpd"}},
		FTP: []facts.FTPConfig{{PID: 400, Product: "vsftpd", ConfigFile: conf, Daemon: self("/usr/sbin/vsftpd")}}}
	p, err := MakePlan(Input{Finding: find("auth.anonymous.ftp", "127.0.4.16", 21, "tcp", ""), Host: h, ReadFile: readFile, FixID: "V1"})
	if err != nil {
		t.Fatal(err)
	}
	sys := &fakeSystem{parsed: "500 OOPS: unrecognised variable in config file: x", cmdlines: map[int]string{400: "/usr/sbin/vsftpd " + conf}, listen: true}
	a := &Applier{Dir: t.TempDir(), Sys: sys}
	if _, err := a.Apply(t.Context(), "V1", p); err == nil || !strings.Contains(err.Error(), "500 OOPS") {
		t.Fatalf("err = %v", err)
	}
	if now, _ := os.ReadFile(conf); !bytes.Equal(now, orig) {
		t.Errorf("not restored")
	}
	// Accepted, reloaded, but new sessions fail: rolled back too.
	sys.parsed = "500 OOPS: vsftpd: not configured for standalone, must be started from inetd"
	sys.greeting = "500 OOPS: vsftpd: cannot locate user specified in 'ftp_username':ftp"
	if _, err := a.Apply(t.Context(), "V2", p); err == nil || !strings.Contains(err.Error(), "greets new clients") {
		t.Fatalf("err = %v", err)
	}
	if now, _ := os.ReadFile(conf); !bytes.Equal(now, orig) {
		t.Errorf("not restored")
	}
	sys.greeting = "220 (vsFTPd 3.0.3)"
	if _, err := a.Apply(t.Context(), "V3", p); err != nil {
		t.Fatal(err)
	}
}

func TestUnifiedDiffMatchesDiffU(t *testing.T) {
	if _, err := exec.LookPath("diff"); err != nil {
		t.Skip("no diff command")
	}
	cases := [][2]string{
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"", "new\n"},
		{"old\n", ""},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n", "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n10\nX\n12\n13\n14\n15\n16\n17\n"},
		{"x\ny", "x\ny\n"},
		{"same\n", "same\n"},
	}
	for _, in := range []string{"testdata/in/sshd-weak.conf", "testdata/in/sshd-debian.conf", "testdata/in/redis.conf"} {
		b, _ := os.ReadFile(in)
		out, _, _ := setSSHD(b, []sshdSetting{{keyword: "Ciphers", value: "aes128-ctr", global: true}, {keyword: "PasswordAuthentication", value: "no", global: true}}, "T", sshdTarget{port: 22})
		cases = append(cases, [2]string{string(b), string(out)})
	}
	for i, c := range cases {
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(a, []byte(c[0]), 0o600)
		os.WriteFile(b, []byte(c[1]), 0o600)
		out, _ := exec.Command("diff", "-u", a, b).Output()
		want := stripHeader(string(out))
		got := stripHeader(UnifiedDiff("/f", []byte(c[0]), []byte(c[1])))
		if got != want {
			t.Errorf("case %d:\ngot\n%s\nwant (diff -u)\n%s", i, got, want)
		}
	}
}

func stripHeader(d string) string {
	var out []string
	for _, l := range strings.SplitAfter(d, "\n") {
		if strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ") {
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "")
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"+OK\r\n", []string{"OK"}, ""},
		{":42\r\n", []string{"42"}, ""},
		{"$5\r\nhello\r\n", []string{"hello"}, ""},
		{"$-1\r\n", []string{""}, ""},
		{"*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n", []string{"bind", "127.0.0.1 -::1"}, ""},
		{"*0\r\n", nil, ""},
		{"-NOAUTH Authentication required.\r\n", nil, "NOAUTH"},
		{"-ERR \x1b[31mred\r\n", nil, `\x1b`},
		{"*2\r\n$4\r\nbind\r\n", nil, "incomplete"},
		{"$5\r\nhel", nil, "incomplete"},
		{"$5\r\nhelloXY", nil, "CRLF"},
		{"*1\r\n*1\r\n+x\r\n", nil, "nested"},
		{"$99999999\r\n", nil, "bulk length"},
		{"*99999\r\n", nil, "array length"},
		{"?\r\n", nil, "not a Redis answer"},
	}
	for _, tc := range tests {
		got, _, err := parseReply([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, %v", tc.in, got, err)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$4\r\nbind\r\n$1\r\nx\r\n", "$-1\r\n", "-ERR x\r\n", ":1\r\n", "*3\r\n:1\r\n+a\r\n$0\r\n\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, n, err := parseReply(b)
		if err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		if len(vals) > maxArray {
			t.Fatalf("%d values", len(vals))
		}
	})
}
