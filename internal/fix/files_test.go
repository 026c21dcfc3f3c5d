package fix

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/facts"
)

// guardTree makes a configuration directory of this test's user with a
// file in it, and a directory beside it.
func guardTree(t *testing.T) (root, conf, outside string, g Guard) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "etc")
	outside = filepath.Join(base, "elsewhere")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf = filepath.Join(root, "daemon.conf")
	if err := os.WriteFile(conf, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g = guardFor(self(""), conf)
	return root, conf, outside, g
}

func TestReadConfigGuard(t *testing.T) {
	root, conf, outside, g := guardTree(t)
	if b, mode, err := ReadConfig(t.Context(), conf, g); err != nil || string(b) != "a\nb\n" || mode != 0o644 {
		t.Fatalf("ReadConfig = %q %v %v", b, mode, err)
	}
	// A link inside the directory is followed.
	inside := filepath.Join(root, "link.conf")
	if err := os.Symlink("daemon.conf", inside); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadConfig(t.Context(), inside, g); err != nil {
		t.Errorf("link inside the configuration directory: %v", err)
	}
	// A link that leads out of it is refused, whoever owns the target.
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "out.conf")
	if err := os.Symlink(secret, out); err != nil {
		t.Fatal(err)
	}
	if b, _, err := ReadConfig(t.Context(), out, g); !errors.Is(err, ErrRefusedFile) || len(b) > 0 {
		t.Errorf("link out of %s: %q, %v", root, b, err)
	}
	// A FIFO is no configuration file (and reading it must not hang).
	fifo := filepath.Join(root, "fifo.conf")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadConfig(t.Context(), fifo, g); !errors.Is(err, ErrRefusedFile) {
		t.Errorf("FIFO: %v", err)
	}
}

// TestGuardRefusesOtherUsersFiles: a file another user owns, or one in a
// directory another user owns, is neither read for a plan nor written.
func TestGuardRefusesOtherUsersFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making files of another user needs root")
	}
	const other = 65534
	_, conf, outside, g := guardTree(t)
	theirs := filepath.Join(outside, "theirs.conf")
	if err := os.WriteFile(theirs, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, other, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadConfig(t.Context(), theirs, g); !errors.Is(err, ErrRefusedFile) || !strings.Contains(err.Error(), "belongs to uid 65534") {
		t.Errorf("another user's file: %v", err)
	}
	if err := writeChecked(t.Context(), theirs, g, []byte("y\n"), 0o644, 0, 0); !errors.Is(err, ErrRefusedFile) {
		t.Errorf("wrote another user's file: %v", err)
	}
	if err := os.Chown(filepath.Dir(conf), other, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadConfig(t.Context(), conf, g); !errors.Is(err, ErrRefusedFile) {
		t.Errorf("root's file in another user's directory: %v", err)
	}
}

// TestApplyChecksAgainBeforeWriting: a file swapped for a link to a file
// outside the configuration directory after the plan was made is left
// alone, and so is the link's target.
func TestApplyChecksAgainBeforeWriting(t *testing.T) {
	p, conf, orig := sshdPlan(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, orig, 0o600); err != nil { // same bytes: only the guard can refuse
		t.Fatal(err)
	}
	if err := os.Remove(conf); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, conf); err != nil {
		t.Fatal(err)
	}
	a := &Applier{Dir: t.TempDir(), Sys: &fakeSystem{listen: true}}
	if _, err := a.Apply(t.Context(), "20260301T000000Z-ffffff", p); !errors.Is(err, ErrRefusedFile) {
		t.Fatalf("Apply = %v, want the file refused", err)
	}
	if b, _ := os.ReadFile(secret); !bytes.Equal(b, orig) {
		t.Error("the link's target was changed")
	}
}

// TestRedisFixLeavesThePasswordPrivate: the file that gets requirepass is
// readable by its owner and Redis's group only.
func TestRedisFixLeavesThePasswordPrivate(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(conf, []byte("bind 0.0.0.0\nport 6379\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := self("")
	h := &facts.HostAudit{Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.4.18", Port: 6379, PID: 300, Process: "redis-server"}},
		Redis: []facts.RedisConfig{{PID: 300, Port: 6379, ConfigFile: conf, Daemon: d}}}
	p, err := MakePlan(Input{Finding: find("auth.none.redis", "127.0.4.18", 6379, "tcp", ""), Host: h, ReadFile: func(path string, g Guard) ([]byte, os.FileMode, error) {
		return ReadConfig(t.Context(), path, g)
	}, FixID: "R1", Rand: bytes.NewReader(bytes.Repeat([]byte{1}, 32))})
	if err != nil {
		t.Fatal(err)
	}
	a := &Applier{Dir: t.TempDir(), Sys: &fakeSystem{redis: map[string][]string{
		"CONFIG GET requirepass": {"requirepass", p.Secret}, "CONFIG GET bind": {"bind", "127.0.0.1 -::1"}}}}
	if _, err := a.Apply(t.Context(), "R1", p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(conf)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("redis.conf holds the password with mode %04o, want 0640", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), p.Secret) {
		t.Error("the password was not written")
	}
}

// TestDiffShowsHunksOnly: a plan shows the lines around a change, never
// the rest of the file.
func TestDiffShowsHunksOnly(t *testing.T) {
	var before strings.Builder
	for i := range 100 {
		before.WriteString("line " + strings.Repeat("x", i%7) + " " + string(rune('a'+i%26)) + "\n")
	}
	b := before.String()
	after := strings.Replace(b, "line xxxx", "Ciphers aes128-ctr\nline xxxx", 1)
	d := UnifiedDiff("/etc/x", []byte(b), []byte(after))
	if n := strings.Count(d, "\n"); n > 3+2*diffContext+1+1 {
		t.Errorf("the diff has %d lines for a one-line change:\n%s", n, d)
	}
}

// TestConfigForNeverBorrows: a listener the audit did not examine (a
// process calling itself sshd, run by another user) gets no other sshd's
// configuration, and the error says why.
func TestConfigForNeverBorrows(t *testing.T) {
	h := &facts.HostAudit{Hostname: "clinic",
		Listeners: []facts.Listener{
			{Transport: "tcp", Address: "0.0.0.0", Port: 22, PID: 200, Process: "sshd"},
			{Transport: "tcp", Address: "127.0.4.66", Port: 2299, PID: 900, Process: "sshd", User: "mallory"},
		},
		SSHD:       []facts.SSHDConfig{{PID: 200, ConfigFile: "testdata/in/sshd-debian.conf", Daemon: facts.Daemon{Exe: "/usr/sbin/sshd"}}},
		Distrusted: []facts.Distrusted{{PID: 900, Process: "sshd", User: "mallory", Reason: "calls itself sshd but is not examined as one: it runs as uid 1001"}},
	}
	_, err := MakePlan(Input{Finding: find("ssh.cipher.weak", "127.0.4.66", 2299, "tcp", ""), Service: weakSSH, Host: h, ReadFile: readFile, FixID: "T1"})
	if !errors.Is(err, ErrNoApplier) || !strings.Contains(err.Error(), "runs as uid 1001") {
		t.Errorf("MakePlan = %v", err)
	}
	// The real sshd without a binary vigil may run: refused, with the reason.
	h.SSHD[0].Daemon = facts.Daemon{Note: "vigil did not run sshd -T: its binary is /opt/sshd"}
	_, err = MakePlan(Input{Finding: find("ssh.cipher.weak", "clinic", 22, "tcp", ""), Service: weakSSH, Host: h, ReadFile: readFile, FixID: "T1"})
	if err == nil || !strings.Contains(err.Error(), "/opt/sshd") {
		t.Errorf("MakePlan = %v", err)
	}
}

func mkfifo(p string) error { return unix.Mkfifo(p, 0o644) }
