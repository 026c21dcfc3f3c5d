package cli

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/lab"
)

// attacker is the lab's unprivileged account playing a local attacker
// (docs/security.md): a directory of its own, payloads that record any run
// of theirs, and processes it starts.
type attacker struct {
	acct lab.Account
	dir  string // the attacker's, 0755
	ran  string // every payload run appends a line here
}

func newAttacker(t *testing.T, m *lab.Manifest) *attacker {
	t.Helper()
	if m.Attacker.UID <= 0 {
		t.Fatal("the lab names no attacker account")
	}
	dir, err := os.MkdirTemp("", "vigil-attack-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &attacker{acct: m.Attacker, dir: dir, ran: filepath.Join(dir, "payload-ran")}
	a.own(dir, 0o755)
	for _, name := range []string{"sshd", "nginx"} {
		a.write("payload/"+name, "#!/bin/sh\necho \"uid=$(id -u) $0 $*\" >>"+a.ran+"\n", 0o755)
	}
	// The fake daemons are this test binary under the daemons' names: a
	// listener (TestMain) whatever its arguments say.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sshd", "nginx", "secretapp"} {
		p := a.path("bin/" + name)
		a.mkdir(filepath.Dir(p))
		if err := os.WriteFile(p, body, 0o755); err != nil {
			t.Fatal(err)
		}
		a.own(p, 0o755)
	}
	return a
}

func (a *attacker) path(rel string) string { return filepath.Join(a.dir, rel) }

func (a *attacker) own(p string, mode os.FileMode) {
	if err := os.Chown(p, a.acct.UID, a.acct.GID); err != nil {
		panic(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		panic(err)
	}
}

func (a *attacker) mkdir(p string) {
	if err := os.MkdirAll(p, 0o755); err != nil {
		panic(err)
	}
	for d := p; d != a.dir && strings.HasPrefix(d, a.dir); d = filepath.Dir(d) {
		a.own(d, 0o755)
	}
}

// write makes a file of the attacker's.
func (a *attacker) write(rel, body string, mode os.FileMode) string {
	p := a.path(rel)
	a.mkdir(filepath.Dir(p))
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		panic(err)
	}
	a.own(p, mode)
	return p
}

// cmd returns a command that runs bin with argv (argv[0] included) as the
// attacker, in a process group of its own.
func (a *attacker) cmd(bin string, argv []string, env ...string) *exec.Cmd {
	c := exec.Command(bin)
	c.Args = argv
	c.Dir = a.dir
	c.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + a.dir}, env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: uint32(a.acct.UID), Gid: uint32(a.acct.GID), Groups: []uint32{}}}
	return c
}

// listen starts one of the attacker's fake daemons (bin/NAME) with argv as
// its command line, listening on addr; it returns its pid.
func (a *attacker) listen(t *testing.T, name string, argv []string, addr string) int {
	t.Helper()
	c := a.cmd(a.path("bin/"+name), argv, helperEnv+"=listen", helperListen+"="+addr)
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL); _ = c.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("fake %s on %s: %q %v", name, addr, line, err)
	}
	return c.Process.Pid
}

// watch reports every open, change or creation of a file or in a
// directory, from now on.
type watch struct{ fd int }

func newWatch(t *testing.T, paths ...string) *watch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	for _, p := range paths {
		mask := uint32(unix.IN_OPEN | unix.IN_MODIFY | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB | unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF)
		if _, err := unix.InotifyAddWatch(fd, p, mask); err != nil {
			t.Fatal(err)
		}
	}
	return &watch{fd}
}

// events returns how many events came since the watch began.
func (w *watch) events() int {
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := unix.Read(w.fd, buf)
		if k <= 0 || err != nil {
			return n
		}
		for off := 0; off+unix.SizeofInotifyEvent <= k; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			off += unix.SizeofInotifyEvent + int(ev.Len)
			n++
		}
	}
}

func token(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// TestAttackerCannotUseVigil: an unprivileged local user starts processes
// that call themselves sshd and nginx with payloads in argv[0], names
// root's files in their command lines and configurations, runs the real
// nginx binary on a configuration of theirs, and puts secrets in command
// lines. Then root runs vigil host (locally and over SSH), vigil report in
// every format and vigil fix on those processes' ports. No payload runs,
// the root-only file is never opened, no secret reaches any output or the
// store, and every file vigil writes is 0600.
func TestAttackerCannotUseVigil(t *testing.T) {
	m := lab.Require(t)
	a := newAttacker(t, m)

	// Root's secret: a shadow-like file, with a line nginx or sshd would
	// quote if asked to read it.
	secretDir := t.TempDir()
	secretWord := token("vigilSECRET")
	secret := filepath.Join(secretDir, "shadow")
	if err := os.WriteFile(secret, []byte("root:$y$"+secretWord+":19000:0:99999:7:::\n"+secretWord+" on;\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := a.path("cfg/link.conf")
	a.mkdir(filepath.Dir(link))
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, a.acct.UID, a.acct.GID); err != nil {
		t.Fatal(err)
	}

	const host = "127.0.5.20"
	fakeSSHD := a.listen(t, "sshd", []string{a.path("payload/sshd"), "-D", "-f", secret}, host+":2299")
	fakeSSHDLink := a.listen(t, "sshd", []string{a.path("payload/sshd"), "-D", "-f", link}, host+":2298")
	fakeNginx := a.listen(t, "nginx", []string{"nginx: master process " + a.path("payload/nginx") + " -c " + link}, host+":8443")

	// The real nginx, started by the attacker on a configuration of theirs
	// that, once nginx runs, includes root's file.
	conf := a.write("nginx/nginx.conf", fmt.Sprintf("pid %[1]s/nginx.pid;\nerror_log %[1]s/error.log;\ndaemon off;\nworker_processes 1;\nevents { worker_connections 16; }\nhttp {\n  access_log off;\n  client_body_temp_path %[1]s/b; proxy_temp_path %[1]s/p; fastcgi_temp_path %[1]s/f; uwsgi_temp_path %[1]s/u; scgi_temp_path %[1]s/s;\n  server { listen %[2]s:8080; return 200; }\n}\n", a.path("nginx"), host), 0o644)
	nginx := a.cmd("/usr/sbin/nginx", []string{"/usr/sbin/nginx", "-e", a.path("nginx/error.log"), "-c", conf})
	var nginxOut bytes.Buffer
	nginx.Stdout, nginx.Stderr = &nginxOut, &nginxOut
	if err := nginx.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-nginx.Process.Pid, syscall.SIGKILL); _ = nginx.Wait() })
	d := testDialer(t, host)
	for deadline := time.Now().Add(10 * time.Second); !connects(t, d, host+":8080", time.Second); {
		if time.Now().After(deadline) {
			t.Fatalf("the attacker's nginx does not listen: %s", nginxOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.write("nginx/nginx.conf", strings.Replace(mustRead(t, conf), "http {\n", "http {\n  include "+secret+";\n", 1), 0o644)

	// Secrets on command lines, in every form.
	secrets := map[string]string{}
	for _, k := range []string{"masterauth", "a", "auth", "apikey", "privkey", "clientkey", "mysql", "pgurl", "java", "mongo", "aws", "title"} {
		secrets[k] = token("S" + k)
	}
	a.listen(t, "secretapp", []string{"secretapp", "--masterauth", secrets["masterauth"], "-a", secrets["a"], "--auth", secrets["auth"],
		"--api-key=" + secrets["apikey"], "--private-key=" + secrets["privkey"], "--client-key", secrets["clientkey"], "-p" + secrets["mysql"],
		"postgres://app:" + secrets["pgurl"] + "@db/app", "-Ddb.password=" + secrets["java"], "mongodb://admin:" + secrets["mongo"] + "@localhost/x",
		"--aws-secret-access-key", secrets["aws"]}, host+":9001")
	a.listen(t, "secretapp", []string{"myapp --password " + secrets["title"]}, host+":9002")

	w := newWatch(t, secret, secretDir)
	out := t.TempDir()
	db := filepath.Join(out, "vigil.db")

	// vigil host, locally and over SSH (the same machine, through the
	// lab's hardened sshd), with the store.
	local := filepath.Join(out, "host.json")
	if code, _, stderr := vigilIn(t, "", "host", "--db", db, "--format", "json", "-o", local); code != ExitOK && code != ExitFindings {
		t.Fatalf("vigil host: exit %d: %s", code, stderr)
	}
	hard := m.Find("ssh-hard")
	remote := filepath.Join(out, "remote.json")
	if code, _, stderr := vigilIn(t, "", "host", "--ssh", "root@"+hard.Host, "--identity", m.ClientKey, "--known-hosts", m.KnownHosts,
		"--db", db, "--format", "json", "-o", remote); code != ExitOK && code != ExitFindings {
		t.Fatalf("vigil host --ssh: exit %d: %s", code, stderr)
	}
	doc := readDoc(t, local)
	written := []string{local, remote} // files vigil wrote
	for _, format := range []string{"table", "sarif", "csv", "html", "pdf"} {
		f := filepath.Join(out, "report."+format)
		if code, _, stderr := vigilIn(t, "", "report", doc.ID, "--db", db, "--format", format, "-o", f); code != ExitOK {
			t.Fatalf("report %s: exit %d: %s", format, code, stderr)
		}
		written = append(written, f)
	}
	var printed []string // what vigil printed, kept in files to search
	if code, table, _ := vigilIn(t, "", "host", "--no-store"); code == ExitOK || code == ExitFindings {
		printed = append(printed, writeOut(t, out, table))
	}

	// The impostors are listed, not examined.
	for _, pid := range []int{fakeSSHD, fakeSSHDLink, fakeNginx, nginx.Process.Pid} {
		if !distrusted(doc.HostAudit, pid) {
			t.Errorf("pid %d is not among the processes not examined: %+v", pid, doc.HostAudit.Distrusted)
		}
	}
	for _, r := range []*facts.HostAudit{doc.HostAudit, readDoc(t, remote).HostAudit} {
		for _, c := range r.SSHD {
			if c.PID == fakeSSHD || c.PID == fakeSSHDLink || strings.Contains(c.ConfigFile, a.dir) || c.ConfigFile == secret {
				t.Errorf("the attacker's sshd was examined: %+v", c)
			}
		}
		for _, c := range r.Nginx {
			if strings.Contains(c.ConfigFile, a.dir) {
				t.Errorf("the attacker's nginx was examined: %+v", c)
			}
		}
	}

	// vigil fix, dry run and for real, on the impostors' ports: refused.
	svc := &facts.Service{Port: 2299, Transport: "tcp", Name: "ssh", SSH: &facts.SSH{CiphersClientToServer: []string{"aes128-ctr", "aes128-cbc"}}}
	var fs []finding.Finding
	for _, p := range []int{2299, 2298} {
		fs = append(fs, check.MakeFinding(check.Hit{Check: "ssh.cipher.weak", Evidence: "offers aes128-cbc"}, host, p, "tcp"))
	}
	for _, p := range []int{8443, 8080} {
		fs = append(fs, check.MakeFinding(check.Hit{Check: "tls.protocol.tls10", Evidence: "accepts TLS 1.0"}, host, p, "tcp"))
	}
	now := time.Now()
	planted := result.Assemble(result.NewID(now), now, now, []string{host}, []facts.Host{{Address: host, Services: []facts.Service{*svc}}}, fs, nil)
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(t.Context(), planted); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, f := range fs {
		for _, mode := range [][]string{{"--dry-run"}, {"--yes"}} {
			args := append([]string{"fix", f.ID, "--db", db}, mode...)
			code, stdout, stderr := vigilIn(t, "", args...)
			if code == ExitOK && !strings.Contains(stdout, "no automatic fix") {
				t.Errorf("%v on port %d: exit 0:\n%s", mode, f.Port, stdout)
			}
			if !strings.Contains(stdout+stderr, "is not examined") {
				t.Errorf("%v on port %d does not say why it refuses:\n%s%s", mode, f.Port, stdout, stderr)
			}
			printed = append(printed, writeOut(t, out, stdout+stderr))
		}
	}

	// Nothing ran, nothing touched root's file, nothing leaked.
	if b, err := os.ReadFile(a.ran); err == nil {
		t.Errorf("a payload ran:\n%s", b)
	}
	if n := w.events(); n > 0 {
		t.Errorf("the root-only file or its directory was opened or changed %d time(s)", n)
	}
	if b, _ := os.ReadFile(secret); !strings.Contains(string(b), secretWord) {
		t.Error("the root-only file changed")
	}
	stored, _ := filepath.Glob(db + "*")
	written = append(written, stored...)
	for _, f := range append(printed, written...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".pdf") {
			if txt, err := exec.Command("pdftotext", f, "-").Output(); err == nil {
				b = append(b, txt...)
			}
		}
		for k, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the %s secret", f, k)
			}
		}
		if bytes.Contains(b, []byte(secretWord)) {
			t.Errorf("%s quotes the root-only file", f)
		}
	}
	for _, f := range written {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", f, err)
		}
	}
	// The control: the listeners are there, with their secrets hidden.
	js := mustRead(t, local)
	for _, want := range []string{"--masterauth ********", "-a ********", "-p********", "postgres://app:********@db/app", "myapp --password ********", "calls itself sshd"} {
		if !strings.Contains(js, want) {
			t.Errorf("the host audit lacks %q", want)
		}
	}
}

func distrusted(h *facts.HostAudit, pid int) bool {
	for _, d := range h.Distrusted {
		if d.PID == pid {
			return true
		}
	}
	return false
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeOut keeps a command's output as a file to search.
func writeOut(t *testing.T, dir, s string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "out-*.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.WriteString(f, s); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
