package fix

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/trust"
)

// Guard is the rule a file must pass before a fix reads or changes it (see
// internal/trust): every component of its path, through its symbolic
// links, belongs to root or the daemon and cannot be changed by anyone
// else, and symbolic links lead nowhere outside the daemon's
// configuration directory.
type Guard struct {
	Owners trust.Owners `json:"owners"`
	// Root is the daemon's configuration directory: the one holding the
	// file it was started with.
	Root string `json:"root"`
}

// guardFor is the guard of the files of a daemon that reads main.
func guardFor(d facts.Daemon, main string) Guard {
	g := Guard{Owners: trust.Root, Root: filepath.Dir(main)}
	if d.UID != 0 {
		g.Owners = trust.Owners{UID: d.UID, GID: d.GID}
	}
	return g
}

// ErrRefusedFile means a file is outside the rule: vigil will not read it
// for a plan nor change it.
var ErrRefusedFile = errors.New("vigil changes only configuration files of root or the daemon, in directories nobody else may change")

// checkPath resolves path under g, or says why the file is refused.
func checkPath(ctx context.Context, path string, g Guard) (trust.Resolved, error) {
	if !filepath.IsAbs(path) {
		abs, err := filepath.Abs(path)
		if err != nil {
			return trust.Resolved{}, err
		}
		path = abs
	}
	r, err := trust.Resolve(ctx, trust.LocalStat, path, g.Owners)
	if err != nil {
		if errors.Is(err, trust.ErrUntrusted) {
			return r, fmt.Errorf("%s: %w: %v", path, ErrRefusedFile, err)
		}
		return r, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(r.Links) > 0 && g.Root != "" && !trust.Within(r.Path, g.Root) {
		return r, fmt.Errorf("%s: %w: its symbolic link leads to %s, outside %s", path, ErrRefusedFile, r.Path, g.Root)
	}
	return r, nil
}

// openDir opens the directory of a resolved file, and checks that the
// file in it is still the one resolved.
func openDir(r trust.Resolved) (int, string, error) {
	dir, base := filepath.Dir(r.Path), filepath.Base(r.Path)
	dfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || uint64(st.Dev) != r.Info.Dev || st.Ino != r.Info.Ino {
		unix.Close(dfd)
		return -1, "", fmt.Errorf("%s changed while vigil looked at it: run vigil fix again", r.Path)
	}
	return dfd, base, nil
}

// ReadConfig reads a configuration file for a plan, after checking it
// under g; it returns the content and permission bits.
func ReadConfig(ctx context.Context, path string, g Guard) ([]byte, fs.FileMode, error) {
	r, err := checkPath(ctx, path, g)
	if err != nil {
		return nil, 0, err
	}
	dfd, base, err := openDir(r)
	if err != nil {
		return nil, 0, err
	}
	defer unix.Close(dfd)
	b, err := readAt(dfd, base, r)
	return b, r.Info.Mode.Perm(), err
}

// maxConfig caps a configuration file a fix reads.
const maxConfig = 16 << 20

// readAt reads the regular file base of directory dfd, which must be r.
func readAt(dfd int, base string, r trust.Resolved) ([]byte, error) {
	fd, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: r.Path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Ino != r.Info.Ino || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s changed while vigil read it: run vigil fix again", r.Path)
	}
	if st.Size > maxConfig {
		return nil, fmt.Errorf("%s is larger than %d bytes", r.Path, maxConfig)
	}
	buf := make([]byte, 0, st.Size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: r.Path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) > maxConfig {
			return nil, fmt.Errorf("%s is larger than %d bytes", r.Path, maxConfig)
		}
	}
}

// writeChecked checks path under g once more, then replaces the file it
// resolves to with data through a temporary file in the same directory,
// opened relative to that directory so that no link swapped in since can
// redirect the write. The file keeps mode, uid and gid. A symbolic link
// (Debian's sites-enabled/ holds links to sites-available/) stays a link:
// the file it points to is replaced.
func writeChecked(ctx context.Context, path string, g Guard, data []byte, mode fs.FileMode, uid, gid int) error {
	r, err := checkPath(ctx, path, g)
	if err != nil {
		return err
	}
	dfd, base, err := openDir(r)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	tmp := "." + base + ".vigil-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &fs.PathError{Op: "create", Path: filepath.Join(filepath.Dir(r.Path), tmp), Err: err}
	}
	done := false
	defer func() {
		if !done {
			unix.Unlinkat(dfd, tmp, 0)
		}
	}()
	werr := func() error {
		defer unix.Close(fd)
		for b := data; len(b) > 0; {
			n, err := unix.Write(fd, b)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return err
			}
			b = b[n:]
		}
		if unix.Geteuid() == 0 {
			if err := unix.Fchown(fd, uid, gid); err != nil {
				return err
			}
		}
		if err := unix.Fchmod(fd, uint32(mode.Perm())); err != nil {
			return err
		}
		return unix.Fsync(fd)
	}()
	if werr != nil {
		return fmt.Errorf("cannot write %s: %w", r.Path, werr)
	}
	if err := unix.Renameat(dfd, tmp, dfd, base); err != nil {
		return fmt.Errorf("cannot replace %s: %w", r.Path, err)
	}
	done = true
	return nil
}
