package trust

import (
	"context"
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/proto"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Cred is a process's credentials as /proc/PID/status gives them.
type Cred struct {
	// UIDs and GIDs are the real, effective, saved set and filesystem ids.
	UIDs, GIDs [4]int
	// Groups are the supplementary groups.
	Groups []int
}

// Unknown is a Cred whose ids could not be read.
var Unknown = Cred{UIDs: [4]int{-1, -1, -1, -1}, GIDs: [4]int{-1, -1, -1, -1}}

// UID returns the effective user id (-1 when unknown).
func (c Cred) UID() int { return c.UIDs[1] }

// GID returns the effective group id (-1 when unknown).
func (c Cred) GID() int { return c.GIDs[1] }

// FS returns the filesystem user and group ids, which the kernel checks
// file permissions with.
func (c Cred) FS() (uid, gid int) { return c.UIDs[3], c.GIDs[3] }

// Single returns the process's user id when its real, effective, saved
// and filesystem user ids agree; a set-user-id program started by another
// user keeps that user's real id.
func (c Cred) Single() (int, bool) {
	u := c.UIDs[0]
	return u, u >= 0 && c.UIDs[1] == u && c.UIDs[2] == u && c.UIDs[3] == u
}

// ParseStatus reads the parent pid and the credentials of a process from
// /proc/PID/status; ids that are absent are -1.
func ParseStatus(b []byte) (ppid int, c Cred) {
	ppid, c = -1, Unknown
	ids := func(f []string, out *[4]int) {
		for i := 0; i < 4 && i < len(f); i++ {
			if n, err := strconv.Atoi(f[i]); err == nil && n >= 0 {
				out[i] = n
			}
		}
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		switch k {
		case "PPid":
			if len(f) > 0 {
				if n, err := strconv.Atoi(f[0]); err == nil && n >= 0 {
					ppid = n
				}
			}
		case "Uid":
			ids(f, &c.UIDs)
		case "Gid":
			ids(f, &c.GIDs)
		case "Groups":
			for _, g := range f {
				if n, err := strconv.Atoi(g); err == nil && n >= 0 {
					c.Groups = append(c.Groups, n)
				}
			}
		}
	}
	return ppid, c
}

// Daemon is what vigil knows of one kind of daemon.
type Daemon struct {
	// Kind names it: sshd, nginx, apache2, postgresql, redis, vsftpd,
	// proftpd, smbd, named.
	Kind string
	// Comms are the command names (/proc/PID/comm) of its processes.
	Comms []string
	// Users are the packaged service users its main process may run as,
	// besides root.
	Users []string
	// Exes are the file names its binary may have.
	Exes []string
	// Run says whether vigil may run the binary (as root) to check or
	// print a configuration: sshd -T and -t, nginx -T and -t, apache2 -t,
	// vsftpd. smbd and named cannot check a configuration themselves: their
	// fixes run testparm and named-checkconf under the same rule for
	// binaries (internal/hostaudit says which).
	Run bool
}

// Daemons is the table of the daemons whose configuration vigil reads.
var Daemons = []Daemon{
	{Kind: "sshd", Comms: []string{"sshd"}, Exes: []string{"sshd"}, Run: true},
	{Kind: "nginx", Comms: []string{"nginx"}, Exes: []string{"nginx"}, Run: true},
	{Kind: proto.PostgreSQL, Comms: []string{"postgres", "postmaster"}, Users: []string{"postgres"}, Exes: []string{"postgres", "postmaster"}},
	{Kind: proto.Redis, Comms: []string{"redis-server"}, Users: []string{"redis"}, Exes: []string{"redis-server", "redis-check-rdb", "redis-check-aof"}},
	{Kind: "vsftpd", Comms: []string{"vsftpd"}, Exes: []string{"vsftpd"}, Run: true},
	{Kind: "proftpd", Comms: []string{"proftpd"}, Users: []string{"proftpd"}, Exes: []string{"proftpd"}},
	{Kind: "named", Comms: []string{"named"}, Users: []string{"bind", "named"}, Exes: []string{"named"}},
	{Kind: "smbd", Comms: []string{"smbd"}, Exes: []string{"smbd"}},
	{Kind: "apache2", Comms: []string{"apache2", "httpd"}, Exes: []string{"apache2", "httpd"}, Run: true},
}

// Lookup returns the daemon whose processes have command name comm.
func Lookup(comm string) (Daemon, bool) {
	for _, d := range Daemons {
		if slices.Contains(d.Comms, comm) {
			return d, true
		}
	}
	return Daemon{}, false
}

// ByKind returns the daemon of a kind.
func ByKind(kind string) (Daemon, bool) {
	for _, d := range Daemons {
		if d.Kind == kind {
			return d, true
		}
	}
	return Daemon{}, false
}

// ErrNotDaemon is wrapped when a process is not examined as the daemon its
// name claims.
var ErrNotDaemon = errors.New("not examined as a daemon")

// Accept says whether a process with credentials c may be examined as d: it
// runs as root or as one of d's users (uidOf maps user names to ids on the
// machine), with all of its user ids alike. It returns the owners its
// files may have: root, and its own user and group when that is not root.
func (d Daemon) Accept(c Cred, uidOf func(name string) (int, bool)) (Owners, error) {
	uid, ok := c.Single()
	if !ok {
		return Owners{}, fmt.Errorf("%w: its user ids differ (real %d, effective %d): a set-user-id program started by another user", ErrNotDaemon, c.UIDs[0], c.UIDs[1])
	}
	if uid == 0 {
		return Root, nil
	}
	for _, name := range d.Users {
		if id, ok := uidOf(name); ok && id == uid {
			return Owners{UID: uid, GID: c.GID()}, nil
		}
	}
	want := "root"
	if len(d.Users) > 0 {
		want += " or " + strings.Join(d.Users, ", ")
	}
	return Owners{}, fmt.Errorf("%w: it runs as uid %d, and %s runs as %s", ErrNotDaemon, uid, d.Kind, want)
}

// deletedSuffix is what the kernel appends to /proc/PID/exe when the
// binary was replaced or removed after the process started.
const deletedSuffix = " (deleted)"

// CheckExe checks that exe (the target of /proc/PID/exe) may be run as
// root to query d: d is run that way, the file's name is one of d's, and
// it and every directory above it are root's and writable by no one else.
func (d Daemon) CheckExe(ctx context.Context, stat Stat, exe string) (Resolved, error) {
	switch {
	case !d.Run:
		return Resolved{}, fmt.Errorf("%w: vigil never runs %s", ErrUntrusted, d.Kind)
	case exe == "":
		return Resolved{}, fmt.Errorf("%w: its binary is unknown (/proc/PID/exe cannot be read)", ErrUntrusted)
	case strings.HasSuffix(exe, deletedSuffix):
		return Resolved{}, fmt.Errorf("%w: its binary %s was replaced or removed after it started (restart the daemon after an upgrade)", ErrUntrusted, strings.TrimSuffix(exe, deletedSuffix))
	case !slices.Contains(d.Exes, path.Base(exe)):
		return Resolved{}, fmt.Errorf("%w: its binary is %s, not %s", ErrUntrusted, exe, strings.Join(d.Exes, " or "))
	}
	r, err := Resolve(ctx, stat, exe, Root)
	if err != nil {
		return Resolved{}, fmt.Errorf("its binary: %w", err)
	}
	if r.Info.Mode.Perm()&0o111 == 0 {
		return Resolved{}, fmt.Errorf("%w: %s is not executable", ErrUntrusted, exe)
	}
	return r, nil
}
