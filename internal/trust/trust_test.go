package trust

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeFS is a Stat over a map: path -> Info.
type fakeFS map[string]Info

func (f fakeFS) stat(_ context.Context, paths []string) (map[string]Info, error) {
	out := map[string]Info{}
	for _, p := range paths {
		if i, ok := f[p]; ok {
			out[p] = i
		}
	}
	return out, nil
}

func dir(uid, gid int, perm uint32) Info {
	return Info{UID: uid, GID: gid, Mode: ModeFromRaw(0o040000 | perm)}
}
func file(uid, gid int, perm uint32) Info {
	return Info{UID: uid, GID: gid, Mode: ModeFromRaw(0o100000 | perm)}
}
func link(to string) Info { return Info{Mode: fs.ModeSymlink | 0o777, Link: to} }

// machine is a small filesystem with the layouts the rule must judge.
var machine = fakeFS{
	"/":                                  dir(0, 0, 0o755),
	"/etc":                               dir(0, 0, 0o755),
	"/etc/ssh":                           dir(0, 0, 0o755),
	"/etc/ssh/sshd_config":               file(0, 0, 0o644),
	"/etc/nginx":                         dir(0, 0, 0o755),
	"/etc/nginx/sites-enabled":           dir(0, 0, 0o755),
	"/etc/nginx/sites-available":         dir(0, 0, 0o755),
	"/etc/nginx/sites-available/default": file(0, 0, 0o644),
	"/etc/nginx/sites-enabled/default":   link("/etc/nginx/sites-available/default"),
	"/etc/nginx/sites-enabled/rel":       link("../sites-available/default"),
	"/etc/nginx/sites-enabled/out":       link("/home/bob/evil.conf"),
	"/etc/nginx/sites-enabled/loop":      link("/etc/nginx/sites-enabled/loop"),
	"/etc/nginx/sites-enabled/gone":      link("/etc/nginx/nowhere"),
	"/etc/redis":                         dir(999, 999, 0o2770),
	"/etc/redis/redis.conf":              file(999, 999, 0o640),
	"/etc/bad":                           dir(0, 0, 0o777),
	"/etc/bad/x.conf":                    file(0, 0, 0o644),
	"/etc/grp":                           dir(0, 50, 0o775),
	"/etc/grp/x.conf":                    file(0, 0, 0o644),
	"/etc/wfile.conf":                    file(0, 0, 0o666),
	"/home":                              dir(0, 0, 0o755),
	"/home/bob":                          dir(1000, 1000, 0o755),
	"/home/bob/evil.conf":                file(1000, 1000, 0o644),
	"/home/bob/shadow":                   link("/etc/shadow"),
	"/etc/shadow":                        file(0, 42, 0o640),
	"/tmp":                               dir(0, 0, 0o1777),
	"/tmp/lab":                           dir(0, 0, 0o755),
	"/tmp/lab/sshd_config":               file(0, 0, 0o644),
	"/tmp/bobs":                          dir(1000, 1000, 0o755),
	"/tmp/bobs/sshd_config":              file(0, 0, 0o644),
	"/tmp/rootfile":                      file(0, 0, 0o644),
	"/tmp/bobfile":                       file(1000, 1000, 0o644),
	"/usr":                               dir(0, 0, 0o755),
	"/usr/sbin":                          dir(0, 0, 0o755),
	"/usr/sbin/sshd":                     file(0, 0, 0o755),
	"/usr/sbin/nginx":                    file(0, 0, 0o755),
	"/opt":                               dir(1000, 1000, 0o755),
	"/opt/sshd":                          file(0, 0, 0o755),
}

func TestResolve(t *testing.T) {
	redis := Owners{UID: 999, GID: 999}
	tests := []struct {
		path   string
		owners Owners
		want   string // the resolved path; "" when refused
		why    string // part of the error
	}{
		{"/etc/ssh/sshd_config", Root, "/etc/ssh/sshd_config", ""},
		{"/etc/nginx/sites-enabled/default", Root, "/etc/nginx/sites-available/default", ""},
		{"/etc/nginx/sites-enabled/rel", Root, "/etc/nginx/sites-available/default", ""},
		{"/etc/nginx/sites-enabled/../sites-available/default", Root, "/etc/nginx/sites-available/default", ""},
		{"/etc/nginx/sites-enabled/out", Root, "", "/home/bob belongs to uid 1000"},
		{"/etc/nginx/sites-enabled/loop", Root, "", "more than 40 symbolic links"},
		{"/etc/nginx/sites-enabled/gone", Root, "", "does not exist"},
		{"/etc/redis/redis.conf", redis, "/etc/redis/redis.conf", ""},
		{"/etc/redis/redis.conf", Root, "", "/etc/redis belongs to uid 999"},
		{"/etc/bad/x.conf", Root, "", "/etc/bad is writable by every user"},
		{"/etc/grp/x.conf", Root, "", "/etc/grp is writable by group 50"},
		{"/etc/grp/x.conf", Owners{UID: 50, GID: 50}, "/etc/grp/x.conf", ""},
		{"/etc/wfile.conf", Root, "", "/etc/wfile.conf is writable by every user"},
		{"/home/bob/evil.conf", Root, "", "/home/bob belongs to uid 1000"},
		{"/home/bob/shadow", Root, "", "/home/bob belongs to uid 1000"},
		{"/tmp/lab/sshd_config", Root, "/tmp/lab/sshd_config", ""},
		{"/tmp/rootfile", Root, "/tmp/rootfile", ""},
		{"/tmp/bobfile", Root, "", "/tmp/bobfile belongs to uid 1000"},
		{"/tmp/bobs/sshd_config", Root, "", "/tmp/bobs belongs to uid 1000"},
		{"/etc/ssh", Root, "", "not a regular file"},
		{"etc/ssh/sshd_config", Root, "", "not an absolute path"},
		{"/etc/ssh/sshd_config/x", Root, "", "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r, err := Resolve(t.Context(), machine.stat, tt.path, tt.owners)
			if tt.want != "" {
				if err != nil || r.Path != tt.want {
					t.Fatalf("Resolve = %q, %v; want %q", r.Path, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Resolve = %q, want refused (%s)", r.Path, tt.why)
			}
			if !strings.Contains(err.Error(), tt.why) {
				t.Errorf("error %q lacks %q", err, tt.why)
			}
			if !errors.Is(err, ErrUntrusted) && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v is neither ErrUntrusted nor ErrNotExist", err)
			}
		})
	}
}

// TestResolveOneStatPerPath: a path without links costs one Stat call
// (one SSH round trip on a remote machine).
func TestResolveOneStatPerPath(t *testing.T) {
	calls := 0
	stat := func(ctx context.Context, p []string) (map[string]Info, error) {
		calls++
		return machine.stat(ctx, p)
	}
	if _, err := Resolve(t.Context(), stat, "/etc/ssh/sshd_config", Root); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("%d Stat calls, want 1", calls)
	}
}

func TestParseStatus(t *testing.T) {
	b := []byte("Name:\tsshd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t9548\nPid:\t9548\nPPid:\t1\nUid:\t1001\t0\t0\t0\nGid:\t1001\t1001\t1001\t1001\nGroups:\t27 1001 \n")
	ppid, c := ParseStatus(b)
	if ppid != 1 || c.UIDs != [4]int{1001, 0, 0, 0} || c.GIDs != [4]int{1001, 1001, 1001, 1001} || len(c.Groups) != 2 || c.Groups[0] != 27 {
		t.Fatalf("ParseStatus = %d %+v", ppid, c)
	}
	if _, ok := c.Single(); ok {
		t.Error("a set-user-id process (real 1001, effective 0) counts as one user")
	}
	if _, c := ParseStatus(nil); c.UID() != -1 {
		t.Errorf("empty status: %+v", c)
	}
}

func cred(uid, gid int) Cred {
	return Cred{UIDs: [4]int{uid, uid, uid, uid}, GIDs: [4]int{gid, gid, gid, gid}}
}

func TestAccept(t *testing.T) {
	users := map[string]int{"postgres": 115, "redis": 999, "bob": 1000}
	uidOf := func(n string) (int, bool) { u, ok := users[n]; return u, ok }
	sshd, _ := Lookup("sshd")
	pg, _ := Lookup("postgres")
	setuid := cred(0, 0)
	setuid.UIDs[0] = 1000
	tests := []struct {
		d    Daemon
		c    Cred
		want Owners
		ok   bool
	}{
		{sshd, cred(0, 0), Root, true},
		{sshd, cred(1000, 1000), Owners{}, false},
		{sshd, setuid, Owners{}, false},
		{sshd, cred(115, 115), Owners{}, false}, // postgres's user is not sshd's
		{pg, cred(115, 120), Owners{UID: 115, GID: 120}, true},
		{pg, cred(0, 0), Root, true},
		{pg, cred(1000, 1000), Owners{}, false},
		{pg, Unknown, Owners{}, false},
	}
	for _, tt := range tests {
		got, err := tt.d.Accept(tt.c, uidOf)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%s.Accept(%v) = %+v, %v; want %+v ok=%v", tt.d.Kind, tt.c.UIDs, got, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNotDaemon) {
			t.Errorf("error %v is not ErrNotDaemon", err)
		}
	}
}

func TestCheckExe(t *testing.T) {
	sshd, _ := Lookup("sshd")
	nginx, _ := Lookup("nginx")
	pg, _ := Lookup("postgres")
	tests := []struct {
		d   Daemon
		exe string
		why string
	}{
		{sshd, "/usr/sbin/sshd", ""},
		{nginx, "/usr/sbin/nginx", ""},
		{sshd, "/usr/sbin/nginx", "not sshd"},
		{sshd, "/opt/sshd", "/opt belongs to uid 1000"},
		{sshd, "/tmp/bobs/sshd", "/tmp/bobs belongs to uid 1000"},
		{sshd, "/usr/sbin/sshd (deleted)", "replaced or removed"},
		{sshd, "", "unknown"},
		{pg, "/usr/lib/postgresql/15/bin/postgres", "never runs"},
	}
	for _, tt := range tests {
		_, err := tt.d.CheckExe(t.Context(), machine.stat, tt.exe)
		switch {
		case tt.why == "" && err != nil:
			t.Errorf("%s %s: %v", tt.d.Kind, tt.exe, err)
		case tt.why != "" && (err == nil || !strings.Contains(err.Error(), tt.why)):
			t.Errorf("%s %s: error %v, want %q", tt.d.Kind, tt.exe, err, tt.why)
		}
	}
}

func TestLocalStatAgreesWithOS(t *testing.T) {
	d := t.TempDir()
	f := filepath.Join(d, "f")
	l := filepath.Join(d, "l")
	if err := os.WriteFile(f, []byte("x"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", l); err != nil {
		t.Fatal(err)
	}
	got, err := LocalStat(t.Context(), []string{d, f, l, filepath.Join(d, "absent")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[d].Mode.IsDir() || got[f].Mode != 0o640 || got[l].Link != "f" || got[f].UID != os.Getuid() {
		t.Errorf("LocalStat = %+v", got)
	}
	r, err := Resolve(t.Context(), LocalStat, l, Owners{UID: os.Getuid(), GID: os.Getgid()})
	if err != nil || r.Path != f {
		t.Errorf("Resolve(%s) = %+v, %v", l, r, err)
	}
}

// TestReadFileAs reads files the test makes, as another user: what that
// user may not read stays unread, and a FIFO does not block.
func TestReadFileAs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("reading as another user needs root")
	}
	const nobody = 65534
	d := t.TempDir()
	for _, p := range []string{d, filepath.Dir(d)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(d, "root-only")
	theirs := filepath.Join(d, "theirs")
	fifo := filepath.Join(d, "fifo")
	for p, uid := range map[string]int{secret: 0, theirs: nobody} {
		if err := os.WriteFile(p, []byte("content of "+p), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	as := cred(nobody, nobody)
	if _, _, err := ReadFileAs(t.Context(), as, secret, 1<<20); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("nobody read a root-only file: %v", err)
	}
	b, info, err := ReadFileAs(t.Context(), as, theirs, 1<<20)
	if err != nil || string(b) != "content of "+theirs || info.UID != nobody {
		t.Errorf("nobody's own file: %q %+v %v", b, info, err)
	}
	if _, _, err := ReadFileAs(t.Context(), as, fifo, 1<<20); !errors.Is(err, ErrNotRegular) {
		t.Errorf("FIFO: %v", err)
	}
	if _, _, err := ReadFileAs(t.Context(), cred(0, 0), secret, 4); err == nil {
		t.Error("a file over the size cap was read")
	}
	// vigil's own thread keeps root's credentials.
	if b, err := os.ReadFile(secret); err != nil || len(b) == 0 {
		t.Errorf("root can no longer read %s after ReadFileAs: %v", secret, err)
	}
}
