// Package hostaudit audits a machine from inside: its listening sockets and
// the processes that hold them, its inbound firewall, the configuration its
// services really run with (found from each running process's command line,
// not only the distribution's default paths), its live connections, its
// addresses, its operating system and its installed packages. The same
// collectors run on this machine (Local) or on one reached over SSH
// (DialSSH); a system that is not running, a mounted root (Root), is
// audited from its files alone. The facts they gather are judged by
// internal/check.
package hostaudit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/trust"
)

// Options tune Collect.
type Options struct {
	// Sudo prefixes commands with sudo -n on remote targets, so that the
	// audit sees every process and can run sshd -T.
	Sudo bool
	// Dialer reaches this machine's own listeners to ask Redis for its
	// live configuration (read-only CONFIG GET). When nil, Collect makes
	// one limited to loopback and the machine's own addresses. It is not
	// used for remote targets, where redis-cli runs on the target instead.
	Dialer *dialer.Dialer
}

// collectTimeout bounds each collector.
const collectTimeout = 20 * time.Second

// Collect runs every collector on the target and returns what they saw.
// A collector that fails leaves its reason in HostAudit.Errors and the
// others carry on; Collect itself fails only when the context ends or the
// target's socket tables cannot be read at all.
func Collect(ctx context.Context, t Target, opt Options) (*facts.HostAudit, error) {
	if r, ok := t.(*RootFS); ok {
		return collectRoot(ctx, r)
	}
	if opt.Sudo && !isLocal(t) {
		t = sudoTarget{t}
	}
	h := &facts.HostAudit{Time: time.Now().UTC(), Remote: remote(t), Listeners: []facts.Listener{}}
	c := &collection{}
	var bt *bundled
	if !isLocal(t) {
		bt = newBundled(t)
		t = bt
		pctx, cancel := context.WithTimeout(ctx, collectTimeout)
		bt.prefetch(pctx, phase1Commands, phase1Files)
		cancel()
	}

	// Phase 1: everything that needs nothing else.
	var (
		wg        sync.WaitGroup
		tables    = map[string][]byte{}
		tableErrs = map[string]error{}
		tmu       sync.Mutex
		links     map[uint64][]int
		names     map[int]string
		users     map[int]string
		sessionID = -1 // the remote session's user id
		rules     *Ruleset
		bigEndian = nativeBigEndian()
	)
	step := func(f func(ctx context.Context)) {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, collectTimeout)
			defer cancel()
			f(cctx)
		})
	}
	step(func(ctx context.Context) {
		b, err := t.ReadFile(ctx, "/proc/sys/kernel/hostname")
		if err != nil {
			c.fail("hostname: %v", err)
			return
		}
		h.Hostname = sanitize.String(strings.TrimSpace(string(b)), 253)
	})
	if !isLocal(t) {
		step(func(ctx context.Context) {
			if b, err := t.Run(ctx, "id", "-u"); err == nil {
				if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					sessionID = n
				}
			}
		})
		step(func(ctx context.Context) {
			b, err := t.Run(ctx, "uname", "-m")
			if err != nil {
				c.fail("uname -m: %v (the socket tables are read as little-endian)", err)
				bigEndian = false
				return
			}
			bigEndian = bigEndianArch(strings.TrimSpace(string(b)))
		})
	}
	step(func(ctx context.Context) {
		ps, err := addresses(ctx, t)
		if err != nil {
			c.fail("%v", err)
		}
		for _, p := range ps {
			h.Addresses = append(h.Addresses, p.Addr().String())
			h.Prefixes = append(h.Prefixes, p.String())
		}
		h.Addresses = slices.Compact(h.Addresses)
	})
	step(func(ctx context.Context) {
		m, err := machine(ctx, t)
		if err != nil {
			c.fail("%v", err)
		}
		h.Machine = m
	})
	step(func(ctx context.Context) {
		rs, err := firewall(ctx, t)
		if err != nil {
			c.fail("%v", err)
		}
		rules = rs
	})
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		step(func(ctx context.Context) {
			b, err := t.ReadFile(ctx, "/proc/net/"+name)
			tmu.Lock()
			defer tmu.Unlock()
			if err != nil {
				tableErrs[name] = err
				return
			}
			tables[name] = b
		})
	}
	step(func(ctx context.Context) {
		b, err := socketLinks(ctx, t)
		if err != nil {
			c.fail("cannot list the processes' sockets: %v", err)
		}
		links = ParseSocketLinks(b)
	})
	step(func(ctx context.Context) {
		b, err := comms(ctx, t)
		if err != nil {
			c.fail("cannot list the processes: %v", err)
		}
		names = ParseComms(b)
	})
	step(func(ctx context.Context) {
		rel, err := collectOS(ctx, t)
		if err != nil {
			c.fail("%v", err)
		}
		h.OS = rel
	})
	step(func(ctx context.Context) {
		ps, errs := collectPackages(ctx, t)
		h.Packages = ps
		for _, e := range errs {
			c.fail("%s", e)
		}
	})
	step(func(ctx context.Context) {
		b, err := t.ReadFile(ctx, "/etc/passwd")
		if err != nil {
			c.fail("cannot read /etc/passwd (users are shown by number): %v", err)
		}
		users = ParsePasswd(b)
	})
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var socks []Socket
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, ok := tables[name]
		if !ok {
			if !missing(tableErrs[name]) || !strings.HasSuffix(name, "6") {
				c.fail("cannot read /proc/net/%s: %v", name, tableErrs[name])
			}
			continue
		}
		s, err := ParseProcNet(b, strings.TrimSuffix(name, "6"), bigEndian)
		if err != nil {
			c.fail("/proc/net/%s: %v", name, err)
		}
		socks = append(socks, s...)
	}
	if len(tables) == 0 {
		return nil, fmt.Errorf("cannot read the socket tables of the target (/proc/net/tcp): is it Linux? %w", tableErrs["tcp"])
	}

	// Phase 2: the processes that hold sockets, and the daemons.
	var pids []int
	inTables := map[int]bool{}
	for _, s := range socks {
		for _, pid := range links[s.Inode] {
			inTables[pid] = true
		}
		if s.Listening() || s.State == stateEstablished {
			pids = append(pids, links[s.Inode]...)
		}
	}
	withSockets := map[int]bool{}
	for _, ps := range links {
		for _, pid := range ps {
			withSockets[pid] = true
		}
	}
	envFor := map[int]bool{}
	for pid, name := range names {
		if d, ok := trust.Lookup(name); ok {
			if withSockets[pid] && !inTables[pid] {
				// Its sockets are all in another network namespace (or
				// are Unix sockets): it serves nothing here.
				continue
			}
			pids = append(pids, pid)
			if d.Kind == "postgresql" {
				envFor[pid] = true
			}
		}
	}
	procs := readProcesses(ctx, t, pids, names, envFor)
	h.Listeners = buildListeners(socks, links, procs, users)
	h.Flows = buildFlows(socks, links, procs, h.Listeners)
	unknown := 0
	for _, l := range h.Listeners {
		if l.PID == 0 {
			unknown++
		}
	}
	if unknown > 0 {
		why := "held by a process in another PID namespace, or by the kernel"
		switch {
		case !isLocal(t) && !opt.Sudo:
			why = "other users' processes are hidden unless you log in as root or add --sudo"
		case isLocal(t) && os.Geteuid() != 0:
			why = "other users' processes are hidden: run vigil host as root"
		}
		c.fail("%d listener(s) without a known process (%s)", unknown, why)
	}

	// Phase 3: each daemon's configuration.
	dl := opt.Dialer
	if dl == nil && isLocal(t) {
		dl = ownDialer(h.Addresses)
	}
	byPID := map[int][]facts.Listener{}
	for _, l := range h.Listeners {
		if l.PID > 0 {
			byPID[l.PID] = append(byPID[l.PID], l)
		}
	}
	// Which of the processes named like daemons are examined as them, and
	// whose binaries vigil may run (see daemon.go and internal/trust).
	sc := newStatCache(t)
	uids := map[string]int{}
	for id, name := range users {
		if _, dup := uids[name]; !dup {
			uids[name] = id
		}
	}
	uidOf := func(name string) (int, bool) { id, ok := uids[name]; return id, ok }
	masters := daemonMasters(procs)
	var exeLinks []string
	for _, p := range masters {
		exeLinks = append(exeLinks, "/proc/"+strconv.Itoa(p.PID)+"/exe")
	}
	_, _ = sc.stat(ctx, exeLinks)
	var known []string
	for _, p := range masters {
		known = append(known, sc.exeOf(ctx, p.PID))
		_, files := plan(p, nil)
		known = append(known, files...)
	}
	sc.warm(ctx, known)
	var examined []*daemonProc
	for _, p := range masters {
		d, dist := examine(ctx, sc, p, uidOf, users)
		if dist != nil {
			h.Distrusted = append(h.Distrusted, *dist)
			continue
		}
		examined = append(examined, d)
	}
	if bt != nil {
		var cmds [][]string
		var files []string
		for _, d := range examined {
			c, f := plan(d.process, byPID[d.PID])
			cmds = append(cmds, c...)
			if d.owners == trust.Root {
				files = append(files, f...) // read as root: the bundle's cat is right
			}
		}
		pctx, cancel := context.WithTimeout(ctx, collectTimeout)
		bt.prefetch(pctx, cmds, files)
		cancel()
	}
	var mu sync.Mutex
	for _, d := range examined {
		df := newAsDaemon(t, sc, d, sessionID == 0)
		step(func(ctx context.Context) {
			var errs []string
			switch d.kind.Kind {
			case "sshd":
				cfg, e := collectSSHD(ctx, df)
				errs = e
				mu.Lock()
				h.SSHD = append(h.SSHD, cfg)
				mu.Unlock()
			case "postgresql":
				cfg, e := collectPostgreSQL(ctx, df)
				errs = e
				if cfg.ConfigFile != "" {
					mu.Lock()
					h.PostgreSQL = append(h.PostgreSQL, cfg)
					mu.Unlock()
				}
			case "redis":
				cfg, e := collectRedis(ctx, df, byPID[d.PID], dl)
				errs = e
				mu.Lock()
				h.Redis = append(h.Redis, cfg)
				mu.Unlock()
			case "vsftpd", "proftpd":
				collect := collectVsftpd
				if d.kind.Kind == "proftpd" {
					collect = collectProftpd
				}
				cfg, e := collect(ctx, df)
				errs = e
				mu.Lock()
				h.FTP = append(h.FTP, cfg)
				mu.Unlock()
			case "nginx":
				cfg, e := collectNginx(ctx, df)
				errs = e
				mu.Lock()
				h.Nginx = append(h.Nginx, cfg)
				mu.Unlock()
			}
			for _, e := range errs {
				c.fail("%s", e)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(h.SSHD, func(a, b facts.SSHDConfig) int { return a.PID - b.PID })
	slices.SortFunc(h.PostgreSQL, func(a, b facts.PostgreSQLConfig) int { return a.PID - b.PID })
	slices.SortFunc(h.Redis, func(a, b facts.RedisConfig) int { return a.PID - b.PID })
	slices.SortFunc(h.FTP, func(a, b facts.FTPConfig) int { return a.PID - b.PID })
	slices.SortFunc(h.Nginx, func(a, b facts.NginxConfig) int { return a.PID - b.PID })

	// Reachability of each listener through the firewall.
	h.Firewall = rules.Facts()
	for i := range h.Listeners {
		l := &h.Listeners[i]
		l.Reachable, l.Reason = rules.Reach(l.Transport, l.Address, l.Port)
	}
	h.Errors = c.errs()
	return h, nil
}

// What phase 1 runs and reads, fetched in one bundle on remote targets.
var (
	phase1Commands = [][]string{
		{"id", "-u"},
		{"readlink", "/proc/self/ns/net"},
		{"uname", "-m"},
		{"ip", "-j", "addr", "show"},
		{"nft", "-j", "list", "ruleset"},
		{"iptables-save"},
		{"ip6tables-save"},
		{"sh", "-c", socketLinksScript},
		{"sh", "-c", commsScript},
		existsCommand(),
	}
	phase1Files = []string{
		"/proc/sys/kernel/hostname", "/etc/machine-id", "/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6", "/etc/passwd",
		"/etc/os-release", "/usr/lib/os-release",
	}
)

// plan lists the commands and files a daemon's collector will need first,
// so that a remote target can fetch them in one bundle. It never lists the
// daemon's own binary: whether vigil may run it is decided later.
func plan(p *process, listeners []facts.Listener) (cmds [][]string, files []string) {
	d, _ := trust.Lookup(p.Comm)
	switch d.Kind {
	case "sshd":
		files = append(files, sshdArgs(p.argv()).file)
	case "postgresql":
		dir, file, _ := pgLocate(p)
		if file != "" {
			files = append(files, file)
		}
		if dir != "" {
			files = append(files, dir+"/postgresql.auto.conf", dir+"/pg_hba.conf")
		}
	case "redis":
		for _, l := range listeners {
			if ap, ok := redisDialAddr(l); ok && l.Transport == "tcp" {
				for _, k := range redisCLIKeys {
					cmds = append(cmds, append([]string{"timeout"}, redisCLIArgs(ap, k, false)...))
				}
				break
			}
		}
	case "vsftpd":
		files = append(files, vsftpdFile(p.argv()))
	case "nginx":
		inv := nginxArgs(p.argv())
		if filepath.IsAbs(inv.file) {
			files = append(files, inv.file)
		}
	}
	return cmds, files
}

// collection gathers the errors of concurrent collectors.
type collection struct {
	mu   sync.Mutex
	list []string
}

func (c *collection) fail(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.list = append(c.list, sanitize.String(fmt.Sprintf(format, args...), 1024))
}

func (c *collection) errs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.list)
	slices.Sort(out)
	return slices.Compact(out)
}

// daemonMasters returns the daemon processes whose parent is not the same
// daemon: the sshd, postmaster, nginx master… rather than their children.
func daemonMasters(procs map[int]*process) []*process {
	var out []*process
	for _, p := range procs {
		d, ok := trust.Lookup(p.Comm)
		if !ok {
			continue
		}
		if parent := procs[p.PPID]; parent != nil {
			if pd, ok := trust.Lookup(parent.Comm); ok && pd.Kind == d.Kind {
				continue
			}
		}
		if d.Kind == "nginx" && len(p.Args) == 1 && strings.Contains(p.Args[0], "worker process") {
			continue
		}
		// A process that ended while it was listed has no command line
		// left to read; `sshd -T` and `sshd -t` (another audit, a package
		// script) only test a configuration. Neither is a daemon.
		if len(p.Args) == 0 || (d.Kind == "sshd" && (slices.Contains(p.Args, "-T") || slices.Contains(p.Args, "-t"))) {
			continue
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *process) int { return a.PID - b.PID })
	return out
}

// nativeBigEndian reports whether this machine stores numbers big-endian.
func nativeBigEndian() bool { return binary.NativeEndian.Uint16([]byte{0, 1}) == 1 }

// missing reports whether err says a file does not exist (IPv6 tables are
// absent when IPv6 is disabled).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || (err != nil && strings.Contains(err.Error(), "No such file"))
}

// bigEndianArch reports whether `uname -m` names a big-endian machine.
func bigEndianArch(m string) bool {
	switch m {
	case "s390x", "s390", "ppc64", "ppc", "mips", "mips64", "sparc", "sparc64", "m68k", "parisc", "parisc64", "armeb", "aarch64_be":
		return true
	}
	return false
}

// ownDialer returns a dialer that reaches only loopback and the machine's
// own addresses.
func ownDialer(addrs []string) *dialer.Dialer {
	own := map[netip.Addr]bool{}
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			own[ip] = true
		}
	}
	d, err := dialer.New(dialer.Config{Concurrency: 8, Timeout: 2 * time.Second}, func(a netip.Addr) bool {
		return a.IsLoopback() || own[a]
	})
	if err != nil {
		return nil
	}
	return d
}
