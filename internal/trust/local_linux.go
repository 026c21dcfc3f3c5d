package trust

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LocalStat is Stat on this machine.
func LocalStat(ctx context.Context, paths []string) (map[string]Info, error) {
	out := make(map[string]Info, len(paths))
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			continue
		}
		info := infoOf(&st)
		if info.Mode&fs.ModeSymlink != 0 {
			l, err := os.Readlink(p)
			if err != nil {
				continue
			}
			info.Link = l
		}
		out[p] = info
	}
	return out, nil
}

func infoOf(st *unix.Stat_t) Info {
	return Info{UID: int(st.Uid), GID: int(st.Gid), Mode: ModeFromRaw(st.Mode), Dev: uint64(st.Dev), Ino: st.Ino}
}

// ErrNotRegular means a file to read is a FIFO, a device or a directory.
var ErrNotRegular = errors.New("not a regular file")

// ReadFileAs reads a regular file of at most max bytes with the filesystem
// credentials of c (its filesystem user and group ids and supplementary
// groups), as the process c belongs to would, and returns it with what
// fstat says of the opened file. When vigil is not root, or c is root,
// vigil's own credentials are used: they are then no stronger than c's.
//
// The credentials are changed on a thread of its own that ends with the
// read, so no other part of vigil ever runs with them.
func ReadFileAs(ctx context.Context, c Cred, p string, max int64) ([]byte, Info, error) {
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	uid, gid := c.FS()
	if os.Geteuid() != 0 || uid == 0 {
		return readRegular(p, max)
	}
	if uid < 0 || gid < 0 {
		return nil, Info{}, fmt.Errorf("cannot read %s as the daemon: its user is unknown", p)
	}
	type result struct {
		b    []byte
		info Info
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		// Never unlocked: the thread, with its changed credentials, ends
		// with this goroutine.
		runtime.LockOSThread()
		if err := setFSCred(uid, gid, c.Groups); err != nil {
			ch <- result{err: err}
			return
		}
		b, info, err := readRegular(p, max)
		ch <- result{b, info, err}
	}()
	r := <-ch
	return r.b, r.info, r.err
}

// setFSCred gives the calling thread (only) the filesystem ids and groups
// of another user; the kernel then drops the thread's capabilities that
// bypass file permissions.
func setFSCred(uid, gid int, groups []int) error {
	gs := make([]uint32, 0, len(groups))
	for _, g := range groups {
		gs = append(gs, uint32(g))
	}
	var ptr unsafe.Pointer
	if len(gs) > 0 {
		ptr = unsafe.Pointer(&gs[0])
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gs)), uintptr(ptr), 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	unix.RawSyscall(unix.SYS_SETFSGID, uintptr(gid), 0, 0)
	unix.RawSyscall(unix.SYS_SETFSUID, uintptr(uid), 0, 0)
	// setfsuid and setfsgid return the previous id; asking with an invalid
	// one (-1) tells the current one without changing it.
	cur, _, _ := unix.RawSyscall(unix.SYS_SETFSUID, ^uintptr(0), 0, 0)
	curG, _, _ := unix.RawSyscall(unix.SYS_SETFSGID, ^uintptr(0), 0, 0)
	if int(cur) != uid || int(curG) != gid {
		return fmt.Errorf("cannot take the filesystem ids %d:%d", uid, gid)
	}
	return nil
}

// readRegular opens p without blocking (a FIFO would wait for a writer),
// refuses anything but a regular file, and reads at most max bytes.
func readRegular(p string, max int64) ([]byte, Info, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, Info{}, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, Info{}, &fs.PathError{Op: "stat", Path: p, Err: err}
	}
	info := infoOf(&st)
	if !info.Mode.IsRegular() {
		return nil, info, fmt.Errorf("%s: %w (%s)", p, ErrNotRegular, info.Mode.Type())
	}
	if st.Size > max {
		return nil, info, fmt.Errorf("%s is larger than %d bytes", p, max)
	}
	buf := make([]byte, 0, st.Size+1)
	for int64(len(buf)) <= max {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if n > 0 {
			buf = buf[:len(buf)+n]
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, info, &fs.PathError{Op: "read", Path: p, Err: err}
		}
		if n == 0 {
			break
		}
	}
	if int64(len(buf)) > max {
		return nil, info, fmt.Errorf("%s is larger than %d bytes", p, max)
	}
	return buf, info, nil
}
