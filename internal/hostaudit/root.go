package hostaudit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// A mounted root (a disk of another machine, a chroot, a container's root
// file system) is untrusted: whoever made it chose every file and every
// symbolic link in it. vigil runs as root, so a link such as
// DIR/var/lib/dpkg/status -> /etc/shadow must lead to DIR/etc/shadow, never
// to this machine's /etc/shadow; no chain of ".." may climb above DIR; and
// a named pipe or a device must never be opened (a pipe blocks the read,
// opening some devices does something).
//
// RootFS resolves every path inside its directory, as if the directory
// were "/": with openat2(2) and RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
// relative to a descriptor of the directory, or, where the kernel has no
// openat2 (before Linux 5.6, or a seccomp filter that refuses it), by
// walking the path one component at a time with O_NOFOLLOW, reading each
// symbolic link itself and resolving it the same way (an absolute target
// from DIR, ".." never above DIR, at most 40 links). Either way the file
// is first opened with O_PATH, which opens nothing but the name; only
// once fstat says it is a regular file is that very file reopened for
// reading (through /proc/self/fd, so no other file can be swapped in
// between).

// maxSymlinks is how many symbolic links one resolution may follow, as
// the kernel's own limit (MAXSYMLINKS).
const maxSymlinks = 40

// RootFS is the Target of `vigil host --root DIR`: the files of a system
// that is not running, read inside DIR. It runs no command.
type RootFS struct {
	dir  string
	fd   int  // an O_PATH descriptor of dir
	walk bool // resolve by walking: the kernel has no openat2
}

// Root opens dir as a mounted root. dir must be a directory; the
// returned RootFS holds a descriptor of it until Close.
func Root(dir string) (*RootFS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot tell where %s is: %w", dir, err)
	}
	fd, err := unix.Open(abs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOTDIR) {
			return nil, fmt.Errorf("%s is not a directory", abs)
		}
		return nil, fmt.Errorf("cannot open %s: %w", abs, err)
	}
	r := &RootFS{dir: abs, fd: fd}
	// Can this kernel resolve in a root? Opening the root itself tells.
	probe, err := unix.Openat2(fd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		r.walk = true
	} else {
		unix.Close(probe)
	}
	return r, nil
}

// Dir returns the root's absolute path.
func (r *RootFS) Dir() string { return r.dir }

// Close releases the descriptor of the root.
func (r *RootFS) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// Run implements Target: a mounted root runs nothing.
func (r *RootFS) Run(_ context.Context, name string, _ ...string) ([]byte, error) {
	return nil, fmt.Errorf("%s: a mounted root (%s) runs no command: %w", name, r.dir, ErrNoCommand)
}

// ReadFile implements Target: it reads path as it resolves inside the
// root, and only when it is a regular file of at most MaxOutput bytes.
func (r *RootFS) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fd, err := r.open(path)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", path, r.dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("%s in %s: %w", path, r.dir, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s in %s is %s, not a regular file: not read", path, r.dir, fileKind(st.Mode))
	}
	if st.Size > MaxOutput {
		return nil, fmt.Errorf("%s in %s is %w", path, r.dir, ErrTooLarge)
	}
	// Reopen the very file the O_PATH descriptor holds, for reading.
	rfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s in %s for reading (through /proc/self/fd): %w", path, r.dir, err)
	}
	f := os.NewFile(uintptr(rfd), path)
	defer f.Close()
	var again unix.Stat_t
	if err := unix.Fstat(rfd, &again); err != nil || again.Dev != st.Dev || again.Ino != st.Ino || again.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s in %s changed while it was opened: not read", path, r.dir)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxOutput+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s in %s: %w", path, r.dir, err)
	}
	if len(b) > MaxOutput {
		return nil, fmt.Errorf("%s in %s is %w", path, r.dir, ErrTooLarge)
	}
	return b, nil
}

// open returns an O_PATH descriptor of what path names inside the root.
func (r *RootFS) open(path string) (int, error) {
	if r.fd < 0 {
		return -1, os.ErrClosed
	}
	if r.walk {
		return walkInRoot(r.fd, path)
	}
	fd, err := openInRoot(r.fd, path)
	if errors.Is(err, unix.ENOSYS) {
		return walkInRoot(r.fd, path)
	}
	return fd, err
}

// openInRoot resolves path inside the directory root with openat2 and
// returns an O_PATH descriptor of it.
func openInRoot(root int, path string) (int, error) {
	how := &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for range 16 {
		fd, err := unix.Openat2(root, path, how)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue // a rename raced with a ".." of the resolution
		}
		return fd, err
	}
	return -1, unix.EAGAIN
}

// walkInRoot resolves path inside the directory root one component at a
// time and returns an O_PATH descriptor of it, as openInRoot does where
// the kernel has no openat2: every component is opened with O_PATH and
// O_NOFOLLOW relative to its parent's descriptor; a symbolic link is read
// (readlinkat on its own descriptor) and its target walked in its place,
// from the root when it is absolute; ".." goes back to the directory the
// walk came from, and stays at the root there. Magic links (/proc/PID/fd)
// are never followed by the kernel: their text is walked as any link's.
func walkInRoot(root int, path string) (int, error) {
	if path == "" {
		return -1, unix.ENOENT
	}
	if len(path) >= unix.PathMax {
		return -1, unix.ENAMETOOLONG
	}
	if strings.IndexByte(path, 0) >= 0 {
		return -1, unix.EINVAL
	}
	first, err := unix.Openat(root, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// dirs are the directories from the root down to where the walk is.
	dirs := []int{first}
	defer func() {
		for _, fd := range dirs {
			unix.Close(fd)
		}
	}()
	rest := pathComponents(path)
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case ".":
			continue
		case "..":
			if len(dirs) > 1 {
				unix.Close(dirs[len(dirs)-1])
				dirs = dirs[:len(dirs)-1]
			}
			continue
		}
		fd, err := unix.Openat(dirs[len(dirs)-1], name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			dirs = append(dirs, fd)
		case unix.S_IFLNK:
			target, err := readlinkFD(fd)
			unix.Close(fd)
			if err != nil {
				return -1, err
			}
			if links++; links > maxSymlinks {
				return -1, unix.ELOOP
			}
			if target == "" {
				return -1, unix.ENOENT
			}
			if target[0] == '/' {
				for _, d := range dirs[1:] {
					unix.Close(d)
				}
				dirs = dirs[:1]
			}
			rest = append(pathComponents(target), rest...)
		default:
			if len(rest) > 0 {
				unix.Close(fd)
				return -1, unix.ENOTDIR
			}
			return fd, nil
		}
	}
	// The path named a directory: hand over its descriptor.
	fd := dirs[len(dirs)-1]
	dirs = dirs[:len(dirs)-1]
	return fd, nil
}

// pathComponents splits a path into its names; a trailing slash becomes
// a final "." (what precedes it must be a directory).
func pathComponents(p string) []string {
	var out []string
	for name := range strings.SplitSeq(p, "/") {
		if name != "" {
			out = append(out, name)
		}
	}
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		out = append(out, ".")
	}
	return out
}

// readlinkFD reads the target of the symbolic link an O_PATH|O_NOFOLLOW
// descriptor holds.
func readlinkFD(fd int) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(fd, "", buf)
	if err != nil {
		return "", err
	}
	if n >= len(buf) {
		return "", unix.ENAMETOOLONG
	}
	return string(buf[:n]), nil
}

// fileKind names the kind of file a mode says.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a named pipe"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFLNK:
		return "a symbolic link"
	}
	return "an unknown kind of file"
}

// rootNotExamined is what an audit of a mounted root does not look at.
const rootNotExamined = "listeners, processes, firewall, addresses and the configuration of running services: not examined, as a mounted root runs nothing (vigil host --root reads its files only)"

// collectRoot audits a mounted root from its files alone: its host name
// (/etc/hostname), its os-release and its installed packages. Nothing in
// it runs, so it has no listener, process or firewall to see, and its
// machine identity stays unknown: the audit vouches for no address.
func collectRoot(ctx context.Context, r *RootFS) (*facts.HostAudit, error) {
	h := &facts.HostAudit{Time: time.Now().UTC(), Root: r.Dir(), Listeners: []facts.Listener{}}
	c := &collection{}
	cctx, cancel := context.WithTimeout(ctx, collectTimeout)
	defer cancel()
	switch b, err := r.ReadFile(cctx, "/etc/hostname"); {
	case err == nil:
		h.Hostname = ParseHostname(b)
	case !missing(err):
		c.fail("hostname: %v", err)
	}
	rel, err := collectOS(cctx, r)
	if err != nil {
		c.fail("%v", err)
	}
	h.OS = rel
	ps, errs := collectPackages(cctx, r)
	h.Packages = ps
	for _, e := range errs {
		c.fail("%s", e)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.fail("%s", rootNotExamined)
	h.Errors = c.errs()
	return h, nil
}

// ParseHostname reads /etc/hostname (hostname(5)): the first line that
// is neither empty nor a comment.
func ParseHostname(b []byte) string {
	for line := range strings.SplitSeq(string(b[:min(len(b), 64<<10)]), "\n") {
		if t := strings.TrimSpace(line); t != "" && t[0] != '#' {
			return sanitize.String(t, 253)
		}
	}
	return ""
}
