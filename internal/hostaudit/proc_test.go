package hostaudit

import (
	"github.com/vigilsec/vigil/internal/trust"

	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"/usr/sbin/sshd\x00-D\x00-f\x00/etc/ssh/x\x00", []string{"/usr/sbin/sshd", "-D", "-f", "/etc/ssh/x"}},
		// Rewritten titles: one argument, padded with NULs.
		{"redis-server 127.0.0.1:6379\x00\x00\x00\x00", []string{"redis-server 127.0.0.1:6379"}},
		{"a\x00\x00b\x00", []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		if got := ParseCmdline([]byte(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("ParseCmdline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestArgvSplitsRewrittenTitles(t *testing.T) {
	p := &process{Args: []string{"sshd: /usr/sbin/sshd -D -f /tmp/x [listener] 0 of 10-100 startups"}}
	if got := p.argv(); len(got) < 5 || got[0] != "sshd:" || got[4] != "/tmp/x" {
		t.Errorf("argv = %q", got)
	}
	p = &process{Args: []string{"/usr/bin/redis-server", "/etc/redis/redis.conf"}}
	if got := p.argv(); !slices.Equal(got, p.Args) {
		t.Errorf("argv = %q", got)
	}
}

func TestParseStatus(t *testing.T) {
	status := "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t2141\nPPid:\t2139\nUid:\t33\t33\t33\t33\nGid:\t33\t33\t33\t33\n"
	if ppid, c := trust.ParseStatus([]byte(status)); ppid != 2139 || c.UID() != 33 {
		t.Errorf("ParseStatus = %d, %+v", ppid, c)
	}
	// The effective uid is the second column.
	if _, c := trust.ParseStatus([]byte("Uid:\t1000\t0\t0\t0\n")); c.UID() != 0 {
		t.Errorf("effective uid = %d, want 0", c.UID())
	}
	if ppid, c := trust.ParseStatus([]byte("garbage")); ppid != -1 || c.UID() != -1 {
		t.Errorf("ParseStatus(garbage) = %d, %+v", ppid, c)
	}
	// The real thing: this process.
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	if ppid, c := trust.ParseStatus(b); ppid != os.Getppid() || c.UID() != os.Geteuid() {
		t.Errorf("ParseStatus(/proc/self/status) = %d, %d; want %d, %d", ppid, c.UID(), os.Getppid(), os.Geteuid())
	}
}

func TestParseCgroupUnit(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0::/system.slice/ssh.service\n", "ssh.service"},
		{"0::/system.slice/postgresql.service/postgresql@15-main\n", "postgresql.service"},
		{"0::/system.slice/system-postgresql.slice/postgresql@15-main.service\n", "postgresql@15-main.service"},
		{"0::/user.slice/user-1000.slice/session-3.scope\n", "session-3.scope"},
		{"12:pids:/\n1:name=systemd:/system.slice/nginx.service\n0::/\n", "nginx.service"},
		{"9:name=systemd:/\n8:pids:/\n0::/\n", ""},
		{"0::/\n", ""},
		{"0::/.service\n", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ParseCgroupUnit([]byte(tt.in)); got != tt.want {
			t.Errorf("ParseCgroupUnit(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParsePasswd(t *testing.T) {
	in := "root:x:0:0:root:/root:/bin/bash\n# comment\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\ntoor:x:0:0::/:/bin/sh\n+nis\nbroken:x:abc:1\n"
	got := ParsePasswd([]byte(in))
	if len(got) != 2 || got[0] != "root" || got[33] != "www-data" {
		t.Errorf("ParsePasswd = %v", got)
	}
}

// hidden is a Target that hides Local's direct access, so the remote code
// paths (shell scripts, batched reads) run on this machine.
type hidden struct{ Target }

// TestScriptsAgreeWithNativeListing lists this process's socket and name
// with the scripts remote targets run and with the local code, and checks
// both name the same owner for a listener the test opens.
func TestScriptsAgreeWithNativeListing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	inode := ownInode(t, ln.Addr().(*net.TCPAddr).Port)
	ctx := t.Context()
	for _, tg := range []Target{Local(), hidden{Local()}} {
		b, err := socketLinks(ctx, tg)
		if err != nil {
			t.Fatalf("%T: %v", tg, err)
		}
		if pids := ParseSocketLinks(b)[inode]; !slices.Contains(pids, os.Getpid()) {
			t.Errorf("%T: socket %d is held by %v, want this process %d", tg, inode, pids, os.Getpid())
		}
		c, err := comms(ctx, tg)
		if err != nil {
			t.Fatalf("%T: %v", tg, err)
		}
		self, _ := os.ReadFile("/proc/self/comm")
		if got := ParseComms(c)[os.Getpid()]; got != strings.TrimSpace(string(self)) {
			t.Errorf("%T: this process is named %q, want %q", tg, got, self)
		}
	}
}

// ownInode finds the inode of this process's TCP listener on port.
func ownInode(t *testing.T, port int) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	socks, err := ParseProcNet(b, "tcp", nativeBigEndian())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if s.Listening() && int(s.Local.Port()) == port {
			return s.Inode
		}
	}
	t.Fatalf("no listener on port %d in /proc/self/net/tcp", port)
	return 0
}

func TestReadManyBatchesAgreeWithDirectReads(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	contents := map[string][]byte{}
	for i, body := range [][]byte{[]byte("plain\n"), {0, 1, 2, 0xff, '\n', '\n'}, {}, []byte(strings.Repeat("x", 70000))} {
		p := filepath.Join(dir, "f"+strconv.Itoa(i)+" with space")
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		contents[p] = body
	}
	paths = append(paths, filepath.Join(dir, "missing"), "/proc/self/status")
	for _, tg := range []Target{Local(), hidden{Local()}} {
		got := readMany(t.Context(), tg, paths)
		for p, want := range contents {
			if !bytes.Equal(got[p], want) {
				t.Errorf("%T: %s = %d bytes, want %d", tg, p, len(got[p]), len(want))
			}
		}
		if _, ok := got[filepath.Join(dir, "missing")]; ok {
			t.Errorf("%T: a missing file was read", tg)
		}
		if !bytes.Contains(got["/proc/self/status"], []byte("PPid:")) {
			t.Errorf("%T: /proc/self/status = %q", tg, got["/proc/self/status"])
		}
	}
}

func TestBundleRunsCommandsInOneSession(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "it's a file")
	if err := os.WriteFile(file, []byte("no newline at the end"), 0o600); err != nil {
		t.Fatal(err)
	}
	counter := &countingTarget{Target: hidden{Local()}}
	b := newBundled(counter)
	cmds := [][]string{{"printf", "%s\\n", "a b", "c'd"}, {"sh", "-c", "echo out; echo err >&2; exit 3"}, {"no-such-command-vigil"}}
	b.prefetch(t.Context(), cmds, []string{file, filepath.Join(dir, "missing")})
	if counter.n != 1 {
		t.Fatalf("the bundle ran %d commands, want 1", counter.n)
	}
	ctx := t.Context()
	if out, err := b.Run(ctx, "printf", "%s\\n", "a b", "c'd"); err != nil || string(out) != "a b\nc'd\n" {
		t.Errorf("printf = %q, %v", out, err)
	}
	out, err := b.Run(ctx, "sh", "-c", "echo out; echo err >&2; exit 3")
	if string(out) != "out\n" || err == nil || !strings.Contains(err.Error(), "exit status 3: err") {
		t.Errorf("failing command = %q, %v", out, err)
	}
	if _, err := b.Run(ctx, "no-such-command-vigil"); !errors.Is(err, ErrNoCommand) {
		t.Errorf("missing command: %v, want ErrNoCommand", err)
	}
	if got, err := b.ReadFile(ctx, file); err != nil || string(got) != "no newline at the end" {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
	if _, err := b.ReadFile(ctx, filepath.Join(dir, "missing")); !missing(err) {
		t.Errorf("missing file: %v", err)
	}
	if counter.n != 1 {
		t.Errorf("answers came from %d commands, want the 1 bundle", counter.n)
	}
	// What was not fetched goes to the target.
	if out, err := b.Run(ctx, "echo", "later"); err != nil || string(out) != "later\n" || counter.n != 2 {
		t.Errorf("echo later = %q, %v (%d commands)", out, err, counter.n)
	}
}

type countingTarget struct {
	Target
	n int
}

func (c *countingTarget) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	c.n++
	return c.Target.Run(ctx, name, args...)
}

func FuzzParseBundle(f *testing.F) {
	f.Add([]byte("0 YQpceDAxdmlnaWwtcmM9MA== \n1 CgF2aWdpbC1yYz0xMjc= c2g6IG5vdCBmb3VuZAo=\n"), 2)
	f.Add([]byte("x y z\n0 !! !!\n"), 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		for i := range ParseBundle(b) {
			if i < 0 {
				t.Fatalf("index %d", i)
			}
		}
		for i := range ParseFileBatch(b, n) {
			if i < 0 || i >= n {
				t.Fatalf("index %d outside 0..%d", i, n)
			}
		}
	})
}

func FuzzParseProcFiles(f *testing.F) {
	f.Add([]byte("0::/system.slice/ssh.service\n"), []byte("PPid:\t1\nUid:\t0\t0\t0\t0\n"), []byte("root:x:0:0::/:/bin/sh\n"))
	f.Fuzz(func(t *testing.T, cgroup, status, passwd []byte) {
		u := ParseCgroupUnit(cgroup)
		if u != "" && !strings.HasSuffix(u, ".service") && !strings.HasSuffix(u, ".scope") {
			t.Fatalf("unit %q", u)
		}
		trust.ParseStatus(status)
		for uid := range ParsePasswd(passwd) {
			if uid < 0 {
				t.Fatalf("uid %d", uid)
			}
		}
		ParseCmdline(status)
		ParseEnviron(status)
		ParseComms(passwd)
	})
}

func TestDaemonMasters(t *testing.T) {
	procs := map[int]*process{
		1:  {PID: 1, Comm: "systemd", Args: []string{"/sbin/init"}},
		10: {PID: 10, PPID: 1, Comm: "sshd", Args: []string{"sshd: /usr/sbin/sshd -D -f /tmp/x [listener] 0 of 10-100 startups"}},
		11: {PID: 11, PPID: 10, Comm: "sshd", Args: []string{"sshd: root [priv]"}},
		20: {PID: 20, PPID: 1, Comm: "sshd"},                                                          // ended while listed
		30: {PID: 30, PPID: 99, Comm: "sshd", Args: []string{"/usr/sbin/sshd", "-T", "-f", "/tmp/y"}}, // a test run
		40: {PID: 40, PPID: 1, Comm: "nginx", Args: []string{"nginx: master process /usr/sbin/nginx"}},
		41: {PID: 41, PPID: 40, Comm: "nginx", Args: []string{"nginx: worker process"}},
	}
	var got []int
	for _, p := range daemonMasters(procs) {
		got = append(got, p.PID)
	}
	if want := []int{10, 40}; !slices.Equal(got, want) {
		t.Errorf("masters %v, want %v", got, want)
	}
}
