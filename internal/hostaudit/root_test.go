package hostaudit

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/facts"
)

// rootModes are the two ways a RootFS resolves paths; the walk is what
// runs where the kernel has no openat2, and is tested on every kernel.
var rootModes = []struct {
	name string
	walk bool
}{{"openat2", false}, {"walk", true}}

// openRoot opens dir as a RootFS resolving the given way; it skips the
// test when openat2 is wanted and this kernel has none.
func openRoot(t *testing.T, dir string, walk bool) *RootFS {
	t.Helper()
	r, err := Root(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if !walk && r.walk {
		t.Skip("this kernel has no openat2")
	}
	r.walk = walk
	return r
}

// hostileRoot is a root file system whose maker wants vigil, running as
// root, to read a secret outside it: the secret lies beside the root,
// and the root holds links to it by absolute path, by chains of "..",
// through linked directories, as well as a named pipe and links that
// loop. It returns the root and the secret.
func hostileRoot(t testing.TB) (root, secretFile, secret string) {
	t.Helper()
	var b [8]byte
	_, _ = rand.Read(b[:])
	secret = "SECRET-" + hex.EncodeToString(b[:])
	parent := t.TempDir()
	secretFile = filepath.Join(parent, "secret.txt")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(parent, "root")
	files := map[string]string{
		"etc/shadow":           "root:inside-the-root:19000:0:99999:7:::\n",
		"usr/lib/os-release":   "ID=debian\nVERSION_ID=12\n",
		"var/lib/dpkg/.keep":   "",
		"var/lib/rpm/.keep":    "",
		"lib/apk/db/.keep":     "",
		"srv/data/plain.txt":   "plain\n",
		"deep/a/b/c/d/e/.keep": "",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		// Absolute links: from the root, never from this machine's "/".
		"var/lib/dpkg/status":  "/etc/shadow",
		"etc/os-release":       "../usr/lib/os-release",
		"abs-secret":           secretFile,
		"abs-parent":           parent,
		"lib/apk/db/installed": secretFile,
		"var/lib/rpm/Packages": "/../../../../../../../../" + secretFile,
		// Chains of "..", directly and through a linked directory.
		"dotdot-secret":       strings.Repeat("../", 40) + "secret.txt",
		"deep/a/b/c/d/e/up":   "../../../../../../../../secret.txt",
		"srv/up":              "../..",
		"srv/data/up2":        "../../../../..",
		"loop1":               "loop2",
		"loop2":               "loop1",
		"self":                "self",
		"dir-to-root":         "/",
		"host-shadow-by-proc": "/proc/self/root/etc/shadow",
		"dangling":            "/no/such/file",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/fifo", filepath.Join(root, "var/lib/dpkg/fifo-link")); err != nil {
		t.Fatal(err)
	}
	return root, secretFile, secret
}

// TestRootStaysInside reads every hostile path of hostileRoot, resolving
// with openat2 and with the walk: none may show the secret planted
// outside the root, an absolute link reads the root's own file, and a
// named pipe, a loop or a directory is refused without blocking.
func TestRootStaysInside(t *testing.T) {
	root, secretFile, secret := hostileRoot(t)
	rootSecret := filepath.Join(root, secretFile) // where an absolute link to the secret leads
	for _, mode := range rootModes {
		t.Run(mode.name, func(t *testing.T) {
			r := openRoot(t, root, mode.walk)
			tests := []struct {
				path string
				want string // content, or "" for an error
				err  error  // the error it wraps, when known
			}{
				{"/var/lib/dpkg/status", "root:inside-the-root:19000:0:99999:7:::\n", nil},
				{"/etc/os-release", "ID=debian\nVERSION_ID=12\n", nil},
				{"/abs-secret", "", fs.ErrNotExist},
				{"/lib/apk/db/installed", "", fs.ErrNotExist},
				{"/var/lib/rpm/Packages", "", fs.ErrNotExist},
				{"/abs-parent/secret.txt", "", fs.ErrNotExist},
				{"/abs-parent/root/srv/data/plain.txt", "", fs.ErrNotExist},
				{"/dotdot-secret", "", fs.ErrNotExist},
				{"/deep/a/b/c/d/e/up", "", fs.ErrNotExist},
				{"/../secret.txt", "", fs.ErrNotExist},
				{"../../secret.txt", "", fs.ErrNotExist},
				{"/srv/up/secret.txt", "", fs.ErrNotExist},
				{"/srv/up/../../secret.txt", "", fs.ErrNotExist},
				{"/srv/data/up2/secret.txt", "", fs.ErrNotExist},
				{"/srv/up/srv/data/plain.txt", "plain\n", nil},
				{"/dir-to-root/../../etc/shadow", "root:inside-the-root:19000:0:99999:7:::\n", nil},
				{"/host-shadow-by-proc", "", fs.ErrNotExist},
				{"/dangling", "", fs.ErrNotExist},
				{"/loop1", "", unix.ELOOP},
				{"/self", "", unix.ELOOP},
				{"/fifo", "", nil},
				{"/var/lib/dpkg/fifo-link", "", nil},
				{"/srv", "", nil},
				{"/srv/data/plain.txt/", "", unix.ENOTDIR},
				{"/srv/data/plain.txt/..", "", unix.ENOTDIR},
				{"", "", fs.ErrNotExist},
			}
			for _, tt := range tests {
				got, err := readWithin(t, r, tt.path)
				if bytes.Contains(got, []byte(secret)) || (err != nil && strings.Contains(err.Error(), secret)) {
					t.Fatalf("%s: read the secret outside the root", tt.path)
				}
				switch {
				case tt.want != "" && (err != nil || string(got) != tt.want):
					t.Errorf("%s: read %d bytes (%v); want %q", tt.path, len(got), err, tt.want)
				case tt.want == "" && err == nil:
					t.Errorf("%s: read %d bytes; want an error", tt.path, len(got))
				case tt.err != nil && !errors.Is(err, tt.err):
					t.Errorf("%s: error %v; want %v", tt.path, err, tt.err)
				}
			}
			// Where the absolute links lead, a decoy inside the root is
			// what they read.
			if err := os.MkdirAll(filepath.Dir(rootSecret), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(rootSecret, []byte("decoy inside the root\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(rootSecret)
			for _, p := range []string{"/abs-secret", "/lib/apk/db/installed", "/var/lib/rpm/Packages", "/abs-parent/secret.txt"} {
				got, err := readWithin(t, r, p)
				if err != nil || string(got) != "decoy inside the root\n" {
					t.Errorf("%s: read %d bytes (%v); want the decoy inside the root", p, len(got), err)
				}
			}
		})
	}
}

// readWithin reads path from r, failing the test when the read takes
// long: a named pipe must be refused, not opened.
func readWithin(t *testing.T, r *RootFS, path string) ([]byte, error) {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	done := make(chan res, 1)
	go func() {
		b, err := r.ReadFile(t.Context(), path)
		done <- res{b, err}
	}()
	select {
	case x := <-done:
		return x.b, x.err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the read blocked", path)
		return nil, nil
	}
}

// TestRootRefusesDevices plants device nodes in the root (as root only):
// they are never opened, only refused; a link to one too.
func TestRootRefusesDevices(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("making device nodes needs root")
	}
	root := t.TempDir()
	// /dev/zero's numbers: opening it would read zeros for ever.
	if err := unix.Mknod(filepath.Join(root, "zero"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 5))); err != nil {
		t.Skipf("mknod: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(root, "var/lib/dpkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/zero", filepath.Join(root, "var/lib/dpkg/status")); err != nil {
		t.Fatal(err)
	}
	for _, mode := range rootModes {
		t.Run(mode.name, func(t *testing.T) {
			r := openRoot(t, root, mode.walk)
			for _, p := range []string{"/zero", "/var/lib/dpkg/status"} {
				_, err := readWithin(t, r, p)
				if err == nil || !strings.Contains(err.Error(), "a character device, not a regular file") {
					t.Errorf("%s: %v", p, err)
				}
			}
		})
	}
}

// TestRootDoesNotFollowMagicLinks roots the audit at /proc/self, where
// "root" and "cwd" are magic links to this process's own root and working
// directory: neither the kernel (RESOLVE_NO_MAGICLINKS) nor the walk (which
// reads a link's text and resolves it inside the root) may follow them to
// the secret.
func TestRootDoesNotFollowMagicLinks(t *testing.T) {
	_, secretFile, secret := hostileRoot(t)
	self := "/proc/" + strconv.Itoa(os.Getpid())
	if _, err := os.Stat(self + "/root"); err != nil {
		t.Skip("no /proc")
	}
	for _, mode := range rootModes {
		t.Run(mode.name, func(t *testing.T) {
			r := openRoot(t, self, mode.walk)
			for _, p := range []string{"/root" + secretFile, "/cwd/../../../../../../.." + secretFile, "/exe"} {
				got, err := readWithin(t, r, p)
				if err == nil || bytes.Contains(got, []byte(secret)) {
					t.Errorf("%s: read %d bytes through a magic link (%v)", p, len(got), err)
				}
			}
		})
	}
}

func TestRootLimits(t *testing.T) {
	root := t.TempDir()
	big := filepath.Join(root, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxOutput + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, mode := range rootModes {
		t.Run(mode.name, func(t *testing.T) {
			r := openRoot(t, root, mode.walk)
			if _, err := r.ReadFile(t.Context(), "/big"); !errors.Is(err, ErrTooLarge) {
				t.Errorf("big file: %v", err)
			}
			if _, err := r.Run(t.Context(), "dpkg-query", "-W"); !errors.Is(err, ErrNoCommand) {
				t.Errorf("Run: %v", err)
			}
			long := "/" + strings.Repeat("a/", unix.PathMax/2+1)
			if _, err := r.ReadFile(t.Context(), long); err == nil {
				t.Error("a path longer than PATH_MAX was read")
			}
		})
	}
	if _, err := Root(big); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("Root(a file): %v", err)
	}
	r, err := Root(root)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.ReadFile(t.Context(), "/big"); err == nil {
		t.Error("read after Close")
	}
}

// TestCollectRoot audits a root with every package database: the facts
// of its files and nothing of this machine.
func TestCollectRoot(t *testing.T) {
	root, _, secret := hostileRoot(t)
	write := func(name, content string) {
		p := filepath.Join(root, name)
		os.Remove(p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("etc/hostname", "# the image's name\n\nweb1\n")
	write("var/lib/dpkg/status", dpkgStatus)
	write("lib/apk/db/installed", apkInstalled)
	write("var/lib/rpm/rpmdb.sqlite", string(rpmSQLite(t, rpmPackageHeader("zlib", "1.2.11", "41.el9", "x86_64", "zlib-1.2.11-41.el9.src.rpm"))))
	write("etc/machine-id", "0123456789abcdef0123456789abcdef\n")
	for _, mode := range rootModes {
		t.Run(mode.name, func(t *testing.T) {
			r := openRoot(t, root, mode.walk)
			h, err := Collect(t.Context(), r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if h.Root != root || h.Hostname != "web1" || h.Remote != "" || h.Machine.Known() || h.Machine.ID != "" {
				t.Errorf("root %q, hostname %q, remote %q, machine %+v", h.Root, h.Hostname, h.Remote, h.Machine)
			}
			if h.OS == nil || h.OS.ID != "debian" || h.OS.VersionID != "12" {
				t.Errorf("os %+v", h.OS)
			}
			if len(h.Listeners) != 0 || len(h.Addresses) != 0 || len(h.Prefixes) != 0 || len(h.Flows) != 0 || h.Firewall.Kind != "" {
				t.Errorf("a mounted root has live facts: %+v", h)
			}
			formats := map[string]int{}
			for i, p := range h.Packages {
				formats[p.Format]++
				if i > 0 && facts.ComparePackages(h.Packages[i-1], p) > 0 {
					t.Errorf("packages out of order at %d: %+v", i, p)
				}
			}
			if formats["dpkg"] != 5 || formats["apk"] != 4 || formats["rpm"] != 1 {
				t.Errorf("packages by format %v", formats)
			}
			if len(h.Errors) != 1 || h.Errors[0] != rootNotExamined {
				t.Errorf("errors %q", h.Errors)
			}
			for _, e := range h.Errors {
				if strings.Contains(e, secret) {
					t.Fatal("the secret is in an error")
				}
			}
		})
	}
}

// FuzzRootResolve resolves random paths in hostileRoot's root with
// openat2 and with the walk: both must agree on what they open (or both
// fail), and what they open must lie inside the root.
func FuzzRootResolve(f *testing.F) {
	for _, p := range []string{"/var/lib/dpkg/status", "/etc/os-release", "/abs-parent/root", "/srv/up/../srv/data/up2/etc", "deep/a/b/c/d/e/up/../../x", "/dir-to-root/dir-to-root/", "/loop1/x", "/srv/data/plain.txt/", "a//b/./../c"} {
		f.Add(p)
	}
	root, secretFile, _ := hostileRoot(f)
	r, err := Root(root)
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	if r.walk {
		f.Skip("this kernel has no openat2 to compare the walk with")
	}
	var secretSt unix.Stat_t
	if err := unix.Stat(secretFile, &secretSt); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path string) {
		a, errA := openInRoot(r.fd, path)
		b, errB := walkInRoot(r.fd, path)
		defer func() {
			if errA == nil {
				unix.Close(a)
			}
			if errB == nil {
				unix.Close(b)
			}
		}()
		if (errA == nil) != (errB == nil) {
			t.Fatalf("%q: openat2 %v, walk %v", path, errA, errB)
		}
		if errA != nil {
			return
		}
		var sa, sb unix.Stat_t
		if unix.Fstat(a, &sa) != nil || unix.Fstat(b, &sb) != nil || sa.Dev != sb.Dev || sa.Ino != sb.Ino {
			t.Fatalf("%q: openat2 and the walk opened different files", path)
		}
		if sa.Ino == secretSt.Ino && sa.Dev == secretSt.Dev {
			t.Fatalf("%q: opened the secret outside the root", path)
		}
		where, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(b))
		if err == nil && where != root && !strings.HasPrefix(where, root+"/") {
			t.Fatalf("%q: opened %s, outside the root", path, where)
		}
	})
}

func TestParseHostname(t *testing.T) {
	for in, want := range map[string]string{
		"web1\n":                       "web1",
		"# a comment\n\n  db1.lan  \n": "db1.lan",
		"a\nb\n":                       "a",
		"\n# only comments\n":          "",
		"evil\x1b[2J\n":                `evil\x1b[2J`,
	} {
		if got := ParseHostname([]byte(in)); got != want {
			t.Errorf("ParseHostname(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseHostname(f *testing.F) {
	f.Add([]byte("# comment\n\nweb1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h := ParseHostname(b); strings.ContainsAny(h, "\x00\n\r\x1b") || strings.HasPrefix(h, "#") || h != strings.TrimSpace(h) {
			t.Fatalf("host name %q", h)
		}
	})
}
