// Package trust decides what vigil, which runs as root, may believe about
// the daemons of a machine and the files they read. It is the one rule
// every host-audit collector and every fix applier follows:
//
//   - A process is examined as a daemon (sshd, nginx, Apache httpd,
//     PostgreSQL, Redis, vsftpd, proftpd, smbd, named) only when it runs
//     as root or as that daemon's packaged service user (Daemon.Accept),
//     with its real, effective, saved and filesystem ids alike.
//   - Its binary is /proc/PID/exe, never argv[0], and vigil runs it (sshd
//     -T, nginx -T, apache2 -t, a vsftpd configuration check) only when
//     the process runs as root and the binary and every directory above it
//     are root's and writable by nobody else (Daemon.CheckExe), and every
//     configuration file it would read passes the same rule (Resolve with
//     Root).
//   - A file is trusted when every component of its path, followed through
//     symbolic links, belongs to root or to the daemon's user and cannot be
//     changed by anyone else (Resolve). Only trusted files are quoted in
//     evidence and only trusted files may be changed by a fix.
//   - Other files a trusted daemon reads are read with the daemon's own
//     credentials (ReadFileAs), never with vigil's.
//
// Everything here is evaluated on the machine the daemon runs on: the
// same functions take a Stat that looks at this machine (LocalStat) or at
// one reached over SSH.
package trust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Info is what lstat(2) says of one path.
type Info struct {
	UID, GID int
	// Mode holds the type and permission bits, as fs.FileMode.
	Mode     fs.FileMode
	Dev, Ino uint64
	// Link is the target of a symbolic link.
	Link string
}

// ModeFromRaw converts a raw st_mode into an fs.FileMode.
func ModeFromRaw(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o100000:
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o140000:
		mode |= fs.ModeSocket
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		mode |= fs.ModeDevice
	default:
		mode |= fs.ModeIrregular
	}
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// Stat reports Info for each path without following a final symbolic
// link; paths that do not exist are left out of the map.
type Stat func(ctx context.Context, paths []string) (map[string]Info, error)

// Owners says who may own a trusted file besides root: the daemon's user
// (UID) and group (GID), or nobody (-1).
type Owners struct {
	UID, GID int
}

// Root trusts root alone.
var Root = Owners{UID: -1, GID: -1}

// Owned reports whether info's owner is root or o's user.
func (o Owners) Owned(info Info) bool { return info.UID == 0 || (o.UID >= 0 && info.UID == o.UID) }

// who names the allowed owners for messages.
func (o Owners) who() string {
	if o.UID < 0 {
		return "root"
	}
	return "root or uid " + strconv.Itoa(o.UID)
}

// check says why a path component cannot be trusted, or nil. A directory
// that others may write to is accepted only with the sticky bit (as /tmp),
// where only an entry's owner may rename or remove it; the entries below
// are then checked for their own owner.
func (o Owners) check(p string, info Info) error {
	if !o.Owned(info) {
		return fmt.Errorf("%s belongs to uid %d, not %s", p, info.UID, o.who())
	}
	perm := info.Mode.Perm()
	sticky := info.Mode.IsDir() && info.Mode&fs.ModeSticky != 0
	if perm&0o002 != 0 && !sticky {
		return fmt.Errorf("%s is writable by every user (mode %04o)", p, perm)
	}
	if perm&0o020 != 0 && !sticky && info.GID != 0 && (o.GID < 0 || info.GID != o.GID) {
		return fmt.Errorf("%s is writable by group %d (mode %04o)", p, info.GID, perm)
	}
	return nil
}

// maxLinks bounds the symbolic links followed while resolving one path,
// as the kernel does (40).
const maxLinks = 40

// ErrUntrusted is wrapped by every error that says a path cannot be trusted.
var ErrUntrusted = errors.New("not trusted")

// Resolved is a path followed through its symbolic links.
type Resolved struct {
	// Path is the real path, without symbolic links.
	Path string
	// Info is what lstat says of it.
	Info Info
	// Links are the symbolic links followed on the way.
	Links []string
}

// Resolve follows path (absolute) component by component through its
// symbolic links and checks that the directory /, every directory on the
// way and the final file belong to root or o and cannot be changed by
// anyone else, and that the file is a regular file. The error wraps
// ErrUntrusted and names the first component that fails, or wraps
// fs.ErrNotExist.
func Resolve(ctx context.Context, stat Stat, p string, o Owners) (Resolved, error) {
	if !path.IsAbs(p) {
		return Resolved{}, fmt.Errorf("%s: %w: not an absolute path", p, ErrUntrusted)
	}
	cache := map[string]Info{}
	fetch := func(paths []string) error {
		var need []string
		for _, q := range paths {
			if _, ok := cache[q]; !ok && !slices.Contains(need, q) {
				need = append(need, q)
			}
		}
		if len(need) == 0 {
			return nil
		}
		got, err := stat(ctx, need)
		if err != nil {
			return err
		}
		for _, q := range need {
			if i, ok := got[q]; ok {
				cache[q] = i
			}
		}
		return nil
	}
	// prefixes lists cur joined with each leading part of rest, so that a
	// whole path costs one Stat call.
	prefixes := func(cur string, rest []string) []string {
		out := []string{cur}
		for _, c := range rest {
			if c == "" || c == "." {
				continue
			}
			if c == ".." {
				break
			}
			cur = path.Join(cur, c)
			out = append(out, cur)
		}
		return out
	}
	todo := strings.Split(p, "/")
	cur := "/"
	if err := fetch(prefixes(cur, todo)); err != nil {
		return Resolved{}, err
	}
	root, ok := cache["/"]
	if !ok {
		return Resolved{}, fmt.Errorf("cannot look at /: %w", fs.ErrNotExist)
	}
	if err := o.check("/", root); err != nil {
		return Resolved{}, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	var links []string
	last := root
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			last = cache[cur]
			continue
		}
		next := path.Join(cur, c)
		if _, ok := cache[next]; !ok {
			if err := fetch(prefixes(next, todo)); err != nil {
				return Resolved{}, err
			}
		}
		info, ok := cache[next]
		if !ok {
			return Resolved{}, fmt.Errorf("%s: %w", next, fs.ErrNotExist)
		}
		if info.Mode&fs.ModeSymlink != 0 {
			if len(links) >= maxLinks {
				return Resolved{}, fmt.Errorf("%s: %w: more than %d symbolic links", p, ErrUntrusted, maxLinks)
			}
			links = append(links, next)
			target := strings.Split(info.Link, "/")
			if strings.HasPrefix(info.Link, "/") {
				cur = "/"
			}
			todo = append(target, todo...)
			if err := fetch(prefixes(cur, todo)); err != nil {
				return Resolved{}, err
			}
			continue
		}
		if err := o.check(next, info); err != nil {
			return Resolved{}, fmt.Errorf("%w: %w", ErrUntrusted, err)
		}
		if len(todo) > 0 && !info.Mode.IsDir() {
			return Resolved{}, fmt.Errorf("%s: %w: not a directory", next, fs.ErrNotExist)
		}
		cur, last = next, info
	}
	if !last.Mode.IsRegular() {
		return Resolved{}, fmt.Errorf("%s: %w: not a regular file (%s)", p, ErrUntrusted, last.Mode.Type())
	}
	return Resolved{Path: cur, Info: last, Links: links}, nil
}

// Within reports whether p is dir or below it (both clean and absolute).
func Within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
