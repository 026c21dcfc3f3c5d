package hostaudit

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vigilsec/vigil/internal/trust"
)

// process is what vigil learns of one running process.
type process struct {
	PID, PPID int
	Comm      string     // command name (15 bytes at most), as the kernel keeps it
	Cred      trust.Cred // its user and group ids
	Args      []string
	Unit      string // systemd unit, from the cgroup path
	Env       map[string]string
}

// argv returns the arguments to analyse. Daemons that rewrite their
// process title (sshd, nginx, redis, postgres) leave one long argument
// with spaces: it is split into words.
func (p *process) argv() []string {
	if len(p.Args) == 1 && strings.ContainsRune(p.Args[0], ' ') {
		return strings.Fields(p.Args[0])
	}
	return p.Args
}

// ParseCmdline splits /proc/PID/cmdline at its NUL bytes, dropping the
// trailing empty arguments a rewritten title leaves.
func ParseCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := strings.Split(string(b), "\x00")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}

// ParseCgroupUnit returns the systemd unit of a process from
// /proc/PID/cgroup: the last path component naming a service (or else a
// scope), from the unified hierarchy or systemd's named one; "" when the
// process is not under a unit.
func ParseCgroupUnit(b []byte) string {
	var path string
	for line := range strings.SplitSeq(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[1] == "name=systemd":
			path = parts[2]
		case parts[0] == "0" && parts[1] == "" && path == "":
			path = parts[2]
		}
	}
	unit := ""
	for _, suffix := range []string{".service", ".scope"} {
		for c := range strings.SplitSeq(path, "/") {
			if strings.HasSuffix(c, suffix) && len(c) > len(suffix) {
				unit = c
			}
		}
		if unit != "" {
			return unit
		}
	}
	return ""
}

// ParsePasswd maps user ids to names from /etc/passwd; the first entry of
// an id wins, as getpwuid returns it.
func ParsePasswd(b []byte) map[int]string {
	out := map[int]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 || f[0] == "" || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			continue
		}
		uid, err := strconv.Atoi(f[2])
		if err != nil || uid < 0 {
			continue
		}
		if _, ok := out[uid]; !ok {
			out[uid] = f[0]
		}
	}
	return out
}

// ParseEnviron splits /proc/PID/environ into variables.
func ParseEnviron(b []byte) map[string]string {
	out := map[string]string{}
	for kv := range strings.SplitSeq(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			out[k] = v
		}
	}
	return out
}

// ParseComms reads "PID NAME" lines (the first line of each
// /proc/PID/comm) and returns the command name of each process.
func ParseComms(b []byte) map[int]string {
	out := map[int]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		p, name, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(p)
		if err != nil || pid <= 0 {
			continue
		}
		out[pid] = name
	}
	return out
}

// ParseFileBatch reads "INDEX BASE64" lines, the answer of readManyScript:
// the contents of the INDEXth file asked for, or "!" when it could not be
// read. It returns the contents by index.
func ParseFileBatch(b []byte, n int) map[int][]byte {
	out := map[int][]byte{}
	for line := range strings.SplitSeq(string(b), "\n") {
		i, enc, ok := strings.Cut(strings.TrimRight(line, "\r"), " ")
		if !ok {
			continue
		}
		idx, err := strconv.Atoi(i)
		if err != nil || idx < 0 || idx >= n || strings.Contains(enc, "!") {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			continue
		}
		out[idx] = raw
	}
	return out
}

// Shell scripts that list /proc on a remote target in the formats the
// parsers above read. Local targets produce the same text natively.
const (
	socketLinksScript = `find /proc/[0-9]*/fd -lname 'socket:*' -printf '%h %l\n' 2>/dev/null; exit 0`
	commsScript       = `cd /proc && for p in [0-9]*; do IFS= read -r c 2>/dev/null < "$p/comm" && printf '%s %s\n' "$p" "$c"; done; exit 0`
	readManyScript    = `i=0; for f; do printf '%d ' "$i"; base64 -w0 2>/dev/null < "$f" || printf '!'; echo; i=$((i+1)); done`
)

// socketLinks lists the socket descriptors of every process the target's
// user may see, as "/proc/PID/fd socket:[INODE]" lines.
func socketLinks(ctx context.Context, t Target) ([]byte, error) {
	if !isLocal(t) {
		return t.Run(ctx, "sh", "-c", socketLinksScript)
	}
	var b bytes.Buffer
	for _, pid := range procPIDs() {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		dir := "/proc/" + strconv.Itoa(pid) + "/fd"
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue // gone, or another user's process
		}
		for _, e := range ents {
			link, err := os.Readlink(dir + "/" + e.Name())
			if err == nil && strings.HasPrefix(link, "socket:") {
				fmt.Fprintf(&b, "%s %s\n", dir, link)
			}
		}
	}
	return b.Bytes(), nil
}

// comms lists every process's command name as "PID NAME" lines (up to
// the first line break of the name, so that a name cannot forge a line).
func comms(ctx context.Context, t Target) ([]byte, error) {
	if !isLocal(t) {
		return t.Run(ctx, "sh", "-c", commsScript)
	}
	var b bytes.Buffer
	for _, pid := range procPIDs() {
		c, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		if err != nil {
			continue
		}
		name, _, _ := strings.Cut(string(c), "\n")
		fmt.Fprintf(&b, "%d %s\n", pid, name)
	}
	return b.Bytes(), nil
}

// procPIDs lists the processes of this machine.
func procPIDs() []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			out = append(out, pid)
		}
	}
	return out
}

// readMany reads several files and returns those that could be read. On a
// remote target it asks for all of them with one command; when that fails
// it reads them one by one.
func readMany(ctx context.Context, t Target, paths []string) map[string][]byte {
	out := make(map[string][]byte, len(paths))
	if len(paths) == 0 {
		return out
	}
	if !isLocal(t) {
		const batch = 200 // keeps the command line short
		ok := true
		for i := 0; i < len(paths) && ok; i += batch {
			part := paths[i:min(i+batch, len(paths))]
			b, err := t.Run(ctx, "sh", append([]string{"-c", readManyScript, "sh"}, part...)...)
			if err != nil {
				ok = false
				break
			}
			for idx, data := range ParseFileBatch(b, len(part)) {
				out[part[idx]] = data
			}
		}
		if ok {
			return out
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var todo []string
	for _, p := range paths {
		if _, done := out[p]; !done {
			todo = append(todo, p)
		}
	}
	for _, p := range todo {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			b, err := t.ReadFile(ctx, p)
			if err == nil {
				mu.Lock()
				out[p] = b
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// readProcesses reads the status, command line and cgroup of each process
// (and its environment when env says so), and names from comm.
func readProcesses(ctx context.Context, t Target, pids []int, names map[int]string, env map[int]bool) map[int]*process {
	slices.Sort(pids)
	pids = slices.Compact(pids)
	var paths []string
	for _, pid := range pids {
		base := "/proc/" + strconv.Itoa(pid) + "/"
		paths = append(paths, base+"status", base+"cmdline", base+"cgroup")
		if names[pid] == "" {
			paths = append(paths, base+"comm")
		}
		if env[pid] {
			paths = append(paths, base+"environ")
		}
	}
	files := readMany(ctx, t, paths)
	out := make(map[int]*process, len(pids))
	for _, pid := range pids {
		base := "/proc/" + strconv.Itoa(pid) + "/"
		status, ok := files[base+"status"]
		if !ok {
			continue // gone, or not visible
		}
		p := &process{PID: pid, Comm: names[pid]}
		p.PPID, p.Cred = trust.ParseStatus(status)
		if p.Comm == "" {
			p.Comm = strings.TrimRight(string(files[base+"comm"]), "\n")
		}
		p.Args = ParseCmdline(files[base+"cmdline"])
		p.Unit = ParseCgroupUnit(files[base+"cgroup"])
		if e, ok := files[base+"environ"]; ok {
			p.Env = ParseEnviron(e)
		}
		out[pid] = p
	}
	return out
}

// glob expands a file pattern on the target (only the last path element may
// hold wildcards), sorted by name.
func glob(ctx context.Context, t Target, pattern string) ([]string, error) {
	if !strings.ContainsAny(pattern, "*?[") {
		return []string{pattern}, nil
	}
	if isLocal(t) {
		m, err := filepath.Glob(pattern)
		slices.Sort(m)
		return m, err
	}
	dir, base := filepath.Split(pattern)
	if strings.ContainsAny(dir, "*?[") {
		return nil, fmt.Errorf("cannot expand %s: wildcards are supported in the last path element only", pattern)
	}
	out, err := t.Run(ctx, "find", filepath.Clean(dir), "-mindepth", "1", "-maxdepth", "1", "-name", base, "-print")
	if err != nil {
		return nil, err
	}
	var m []string
	for l := range strings.SplitSeq(string(out), "\n") {
		if l != "" {
			m = append(m, l)
		}
	}
	slices.Sort(m)
	return m, nil
}
