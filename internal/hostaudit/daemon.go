package hostaudit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/trust"
)

// This file applies internal/trust to the machine being audited: which
// processes are examined as daemons, which binaries vigil may run, and how
// a daemon's files are read and quoted. See docs/security.md.

// statScript prints, for each path argument, "INDEX UID GID RAWMODE_HEX
// DEV INO BASE64(LINK)" from lstat, or "INDEX !" when it cannot be looked at.
const statScript = `i=0; for f; do s=$(stat -c '%u %g %f %d %i' -- "$f" 2>/dev/null) || s='!'; l=''; [ -L "$f" ] && l=$(readlink -- "$f" | base64 -w0); printf '%d %s %s\n' "$i" "$s" "$l"; i=$((i+1)); done`

// ParseStatBatch reads the answer of statScript for n paths.
func ParseStatBatch(b []byte, paths []string) map[string]trust.Info {
	out := map[string]trust.Info{}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		idx, err := strconv.Atoi(f[0])
		if err != nil || idx < 0 || idx >= len(paths) {
			continue
		}
		uid, e1 := strconv.Atoi(f[1])
		gid, e2 := strconv.Atoi(f[2])
		mode, e3 := strconv.ParseUint(f[3], 16, 32)
		dev, e4 := strconv.ParseUint(f[4], 10, 64)
		ino, e5 := strconv.ParseUint(f[5], 10, 64)
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil || e5 != nil || uid < 0 || gid < 0 {
			continue
		}
		info := trust.Info{UID: uid, GID: gid, Mode: trust.ModeFromRaw(uint32(mode)), Dev: dev, Ino: ino}
		if info.Mode&fs.ModeSymlink != 0 {
			if len(f) < 7 {
				continue
			}
			l, err := base64.StdEncoding.DecodeString(f[6])
			if err != nil {
				continue
			}
			info.Link = strings.TrimSuffix(string(l), "\n")
		}
		out[paths[idx]] = info
	}
	return out
}

// statCache looks at paths on the target once per audit.
type statCache struct {
	t    Target
	mu   sync.Mutex
	seen map[string]trust.Info
	gone map[string]bool
}

func newStatCache(t Target) *statCache {
	return &statCache{t: t, seen: map[string]trust.Info{}, gone: map[string]bool{}}
}

// stat implements trust.Stat.
func (c *statCache) stat(ctx context.Context, paths []string) (map[string]trust.Info, error) {
	c.mu.Lock()
	var need []string
	for _, p := range paths {
		if _, ok := c.seen[p]; !ok && !c.gone[p] && !slices.Contains(need, p) {
			need = append(need, p)
		}
	}
	c.mu.Unlock()
	if len(need) > 0 {
		got, err := c.fetch(ctx, need)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		for _, p := range need {
			if i, ok := got[p]; ok {
				c.seen[p] = i
			} else {
				c.gone[p] = true
			}
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]trust.Info, len(paths))
	for _, p := range paths {
		if i, ok := c.seen[p]; ok {
			out[p] = i
		}
	}
	return out, nil
}

// statter is a Target that looks at files itself (a test's fake machine).
type statter interface {
	Stat(ctx context.Context, paths []string) (map[string]trust.Info, error)
}

func (c *statCache) fetch(ctx context.Context, paths []string) (map[string]trust.Info, error) {
	if s, ok := c.t.(statter); ok {
		return s.Stat(ctx, paths)
	}
	if isLocal(c.t) {
		return trust.LocalStat(ctx, paths)
	}
	out := map[string]trust.Info{}
	const batch = 200
	for i := 0; i < len(paths); i += batch {
		part := paths[i:min(i+batch, len(paths))]
		b, err := c.t.Run(ctx, "sh", append([]string{"-c", statScript, "sh"}, part...)...)
		if err != nil {
			return nil, fmt.Errorf("cannot look at files on the target: %w", err)
		}
		for p, info := range ParseStatBatch(b, part) {
			out[p] = info
		}
	}
	return out, nil
}

// warm looks at every leading part of each path in one go, so that the
// trust checks that follow cost no more round trips on a remote target.
func (c *statCache) warm(ctx context.Context, paths []string) {
	var all []string
	for _, p := range paths {
		if !strings.HasPrefix(p, "/") {
			continue
		}
		cur := "/"
		all = append(all, cur)
		for part := range strings.SplitSeq(p, "/") {
			if part == "" || part == "." || part == ".." {
				continue
			}
			cur = strings.TrimSuffix(cur, "/") + "/" + part
			all = append(all, cur)
		}
	}
	_, _ = c.stat(ctx, all)
}

// exeOf returns the target of /proc/PID/exe, or "" when it cannot be read.
func (c *statCache) exeOf(ctx context.Context, pid int) string {
	p := "/proc/" + strconv.Itoa(pid) + "/exe"
	got, err := c.stat(ctx, []string{p})
	if err != nil {
		return ""
	}
	return got[p].Link
}

// daemonProc is a process examined as a daemon.
type daemonProc struct {
	*process
	kind   trust.Daemon
	owners trust.Owners
	// exe is the binary vigil may run as root to ask the daemon for its
	// configuration; "" when it may not, and exeErr says why.
	exe    string
	exeErr error
}

// examine decides whether p is examined as the daemon its name claims and
// whether its binary may be run. A process that is not examined is
// returned as a Distrusted with the reason.
func examine(ctx context.Context, sc *statCache, p *process, uidOf func(string) (int, bool), users map[int]string) (*daemonProc, *facts.Distrusted) {
	kind, _ := trust.Lookup(p.Comm)
	owners, err := kind.Accept(p.Cred, uidOf)
	if err != nil {
		user := ""
		if uid := p.Cred.UID(); uid >= 0 {
			user = userName(uid, users)
		}
		return nil, &facts.Distrusted{PID: p.PID, Process: sanitize.String(p.Comm, 64), User: user,
			Reason: sanitize.String(fmt.Sprintf("calls itself %s but is not examined as one: %v; its command line and files are not vigil's to trust", kind.Kind, err), 512)}
	}
	d := &daemonProc{process: p, kind: kind, owners: owners}
	switch {
	case !kind.Run:
		d.exeErr = fmt.Errorf("vigil does not run %s", kind.Kind)
	case owners != trust.Root:
		d.exeErr = fmt.Errorf("%w: it does not run as root", trust.ErrUntrusted)
	default:
		r, err := kind.CheckExe(ctx, sc.stat, sc.exeOf(ctx, p.PID))
		if err != nil {
			d.exeErr = err
		} else {
			d.exe = r.Path
		}
	}
	return d, nil
}

// facts describes the daemon for the audit's result.
func (d *daemonProc) facts(note string) facts.Daemon {
	return facts.Daemon{UID: d.Cred.UID(), GID: d.Cred.GID(), Exe: sanitize.String(d.exe, 512), Note: sanitize.String(note, 1024)}
}

// asDaemon is the target as one daemon sees it: files are read with the
// daemon's own credentials (never vigil's root), and each file is noted as
// trusted (root's or the daemon's, in directories nobody else may change:
// vigil may quote it and, for root's daemons, run the daemon on it) or not.
// Commands run as vigil on the underlying target.
type asDaemon struct {
	Target
	sc         *statCache
	d          *daemonProc
	remoteRoot bool // the remote session is root: files can be read as another user with setpriv
	mu         sync.Mutex
	read       map[string]error // path as asked -> nil when trusted, else why not
}

func newAsDaemon(t Target, sc *statCache, d *daemonProc, remoteRoot bool) *asDaemon {
	return &asDaemon{Target: t, sc: sc, d: d, remoteRoot: remoteRoot, read: map[string]error{}}
}

// ReadFile implements Target.
func (a *asDaemon) ReadFile(ctx context.Context, p string) ([]byte, error) {
	r, why := trust.Resolve(ctx, a.sc.stat, p, a.d.owners)
	if errors.Is(why, fs.ErrNotExist) && !errors.Is(why, trust.ErrUntrusted) {
		return nil, fmt.Errorf("%s: %w", p, fs.ErrNotExist)
	}
	name := p
	if why == nil {
		name = r.Path
	}
	b, info, err := a.readAs(ctx, name)
	if err != nil {
		return nil, err
	}
	if why == nil && info != nil && (info.Dev != r.Info.Dev || info.Ino != r.Info.Ino) {
		why = fmt.Errorf("%w: %s changed while vigil read it", trust.ErrUntrusted, p)
	}
	a.mu.Lock()
	a.read[p] = why
	a.mu.Unlock()
	return b, nil
}

// readAs reads a file with the daemon's credentials; info is what fstat
// said of the opened file when that is known (this machine).
func (a *asDaemon) readAs(ctx context.Context, p string) ([]byte, *trust.Info, error) {
	if isLocal(a.Target) {
		b, info, err := trust.ReadFileAs(ctx, a.d.Cred, p, MaxOutput)
		if err != nil {
			return nil, nil, err
		}
		return b, &info, nil
	}
	uid, gid := a.d.Cred.FS()
	if uid == 0 || !a.remoteRoot {
		// As root for root's daemons; a session that is not root reads as
		// its own user, which is no stronger than the daemon.
		b, err := a.Target.ReadFile(ctx, p)
		return b, nil, err
	}
	args := []string{"--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(gid)}
	if len(a.d.Cred.Groups) == 0 {
		args = append(args, "--clear-groups")
	} else {
		gs := make([]string, len(a.d.Cred.Groups))
		for i, g := range a.d.Cred.Groups {
			gs[i] = strconv.Itoa(g)
		}
		args = append(args, "--groups="+strings.Join(gs, ","))
	}
	b, err := a.Target.Run(ctx, "setpriv", append(args, "--", "cat", "--", p)...)
	return b, nil, err
}

// trusted returns nil when every file read so far is trusted, else why
// one is not.
func (a *asDaemon) trusted() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	paths := make([]string, 0, len(a.read))
	for p := range a.read {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if err := a.read[p]; err != nil {
			return err
		}
	}
	return nil
}

// quotable reports whether lines of p may be quoted in evidence.
func (a *asDaemon) quotable(p string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	err, ok := a.read[p]
	return ok && err == nil
}

// where names a line of a configuration file for evidence: "FILE:LINE:
// text" with secrets hidden, or "FILE:LINE" alone when the file is not
// trusted (its content may be another user's, or a file they made the
// daemon include).
func where(t Target, file string, line int, text string) string {
	if a, ok := t.(*asDaemon); ok && !a.quotable(file) {
		return sanitize.String(fmt.Sprintf("%s:%d (not quoted: the file is not root's or the daemon's own)", file, line), 512)
	}
	return sanitize.String(fmt.Sprintf("%s:%d: %s", file, line, redact.String(text)), 512)
}

// quotable reports whether lines of file may be quoted, on any target.
func quotable(t Target, file string) bool {
	a, ok := t.(*asDaemon)
	return !ok || a.quotable(file)
}

// skipNote says why a daemon was not asked for its configuration.
func skipNote(what string, exeErr, filesErr error) string {
	switch {
	case exeErr != nil:
		return fmt.Sprintf("vigil did not run %s: %v; the configuration was read from the files", what, exeErr)
	case filesErr != nil:
		return fmt.Sprintf("vigil did not run %s: %v; the configuration was read from the files, and lines of files that are not root's or the daemon's are not quoted", what, filesErr)
	}
	return ""
}

// filesNote says which files of a daemon that vigil does not run are not
// quoted, and why; "" when every file is trusted.
func filesNote(df *asDaemon) string {
	if err := df.trusted(); err != nil {
		return fmt.Sprintf("lines of files that are not root's or the daemon's are not quoted: %v", err)
	}
	return ""
}
