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
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
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
//
// It works in phases: first, side by side, everything that needs nothing
// else (the machine, the firewall, the socket tables and processes, the
// system and its packages); then the processes that hold sockets; then
// each daemon's configuration; last, each listener's reachability through
// the firewall.
func Collect(ctx context.Context, t Target, opt Options) (*facts.HostAudit, error) {
	if r, ok := t.(*RootFS); ok {
		return collectRoot(ctx, r)
	}
	r := newHostRun(ctx, t, opt)
	r.startMachine(ctx)
	r.startFirewall(ctx)
	r.startSockets(ctx)
	r.startSystem(ctx)
	r.wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	socks, err := r.sockets()
	if err != nil {
		return nil, err
	}
	r.processes(ctx, socks)
	r.daemons(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.reachability()
	r.h.Errors = r.c.errs()
	return r.h, nil
}

// hostRun is one audit of a running machine in progress.
type hostRun struct {
	t   Target
	opt Options
	bt  *bundled // t, when it fetches in bundles (remote targets)
	h   *facts.HostAudit
	c   *collection
	wg  sync.WaitGroup

	// What phase 1 gathers, each written by one step.
	tmu       sync.Mutex
	tables    map[string][]byte // /proc/net/NAME
	tableErrs map[string]error
	links     map[uint64][]int // socket inode -> processes
	names     map[int]string   // process -> command name
	users     map[int]string   // uid -> user name
	sessionID int              // the remote session's user id, -1 when unknown
	rules     *Ruleset
	bigEndian bool

	// What phase 2 finds.
	procs map[int]*process
}

// newHostRun prepares an audit of t; on a remote target it fetches what
// phase 1 needs in one bundle.
func newHostRun(ctx context.Context, t Target, opt Options) *hostRun {
	if opt.Sudo && !isLocal(t) {
		t = sudoTarget{t}
	}
	r := &hostRun{
		t: t, opt: opt,
		h:         &facts.HostAudit{Time: time.Now().UTC(), Remote: remote(t), Listeners: []facts.Listener{}},
		c:         &collection{},
		tables:    map[string][]byte{},
		tableErrs: map[string]error{},
		sessionID: -1,
		bigEndian: nativeBigEndian(),
	}
	if !isLocal(t) {
		r.bt = newBundled(t)
		r.t = r.bt
		pctx, cancel := context.WithTimeout(ctx, collectTimeout)
		r.bt.prefetch(pctx, phase1Commands, phase1Files)
		cancel()
	}
	return r
}

// step runs f beside the other steps, bounded by collectTimeout.
func (r *hostRun) step(ctx context.Context, f func(ctx context.Context)) {
	r.wg.Go(func() {
		cctx, cancel := context.WithTimeout(ctx, collectTimeout)
		defer cancel()
		f(cctx)
	})
}

// startMachine starts reading who the machine is: its host name, the
// remote session's user and byte order, its addresses and its identity.
func (r *hostRun) startMachine(ctx context.Context) {
	t, h, c := r.t, r.h, r.c
	r.step(ctx, func(ctx context.Context) {
		b, err := t.ReadFile(ctx, "/proc/sys/kernel/hostname")
		if err != nil {
			c.fail("hostname: %v", err)
			return
		}
		h.Hostname = sanitize.String(strings.TrimSpace(string(b)), 253)
	})
	if !isLocal(t) {
		r.step(ctx, func(ctx context.Context) {
			if b, err := t.Run(ctx, "id", "-u"); err == nil {
				if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					r.sessionID = n
				}
			}
		})
		r.step(ctx, func(ctx context.Context) {
			b, err := t.Run(ctx, "uname", "-m")
			if err != nil {
				c.fail("uname -m: %v (the socket tables are read as little-endian)", err)
				r.bigEndian = false
				return
			}
			r.bigEndian = bigEndianArch(strings.TrimSpace(string(b)))
		})
	}
	r.step(ctx, func(ctx context.Context) {
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
	r.step(ctx, func(ctx context.Context) {
		m, err := machine(ctx, t)
		if err != nil {
			c.fail("%v", err)
		}
		h.Machine = m
	})
}

// startFirewall starts reading the inbound firewall's rules.
func (r *hostRun) startFirewall(ctx context.Context) {
	r.step(ctx, func(ctx context.Context) {
		rs, err := firewall(ctx, r.t)
		if err != nil {
			r.c.fail("%v", err)
		}
		r.rules = rs
	})
}

// startSockets starts reading the socket tables, which process holds
// which socket, the processes' names and the users' names.
func (r *hostRun) startSockets(ctx context.Context) {
	t, c := r.t, r.c
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		r.step(ctx, func(ctx context.Context) {
			b, err := t.ReadFile(ctx, "/proc/net/"+name)
			r.tmu.Lock()
			defer r.tmu.Unlock()
			if err != nil {
				r.tableErrs[name] = err
				return
			}
			r.tables[name] = b
		})
	}
	r.step(ctx, func(ctx context.Context) {
		b, err := socketLinks(ctx, t)
		if err != nil {
			c.fail("cannot list the processes' sockets: %v", err)
		}
		r.links = ParseSocketLinks(b)
	})
	r.step(ctx, func(ctx context.Context) {
		b, err := comms(ctx, t)
		if err != nil {
			c.fail("cannot list the processes: %v", err)
		}
		r.names = ParseComms(b)
	})
	r.step(ctx, func(ctx context.Context) {
		b, err := t.ReadFile(ctx, "/etc/passwd")
		if err != nil {
			c.fail("cannot read /etc/passwd (users are shown by number): %v", err)
		}
		r.users = ParsePasswd(b)
	})
}

// startSystem starts reading the operating system's release and its
// installed packages.
func (r *hostRun) startSystem(ctx context.Context) {
	r.step(ctx, func(ctx context.Context) {
		rel, err := collectOS(ctx, r.t)
		if err != nil {
			r.c.fail("%v", err)
		}
		r.h.OS = rel
	})
	r.step(ctx, func(ctx context.Context) {
		ps, errs := collectPackages(ctx, r.t)
		r.h.Packages = ps
		for _, e := range errs {
			r.c.fail("%s", e)
		}
	})
}

// sockets parses the socket tables phase 1 read; it fails when none could
// be read.
func (r *hostRun) sockets() ([]Socket, error) {
	var socks []Socket
	for _, name := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, ok := r.tables[name]
		if !ok {
			if !missing(r.tableErrs[name]) || !strings.HasSuffix(name, "6") {
				r.c.fail("cannot read /proc/net/%s: %v", name, r.tableErrs[name])
			}
			continue
		}
		s, err := ParseProcNet(b, strings.TrimSuffix(name, "6"), r.bigEndian)
		if err != nil {
			r.c.fail("/proc/net/%s: %v", name, err)
		}
		socks = append(socks, s...)
	}
	if len(r.tables) == 0 {
		return nil, fmt.Errorf("cannot read the socket tables of the target (/proc/net/tcp): is it Linux? %w", r.tableErrs["tcp"])
	}
	return socks, nil
}

// processes reads the processes that hold listening or connected sockets
// and the daemons whose configuration is read, and builds the listeners
// and flows.
func (r *hostRun) processes(ctx context.Context, socks []Socket) {
	var pids []int
	inTables := map[int]bool{}
	for _, s := range socks {
		for _, pid := range r.links[s.Inode] {
			inTables[pid] = true
		}
		if s.Listening() || s.State == stateEstablished {
			pids = append(pids, r.links[s.Inode]...)
		}
	}
	withSockets := map[int]bool{}
	for _, ps := range r.links {
		for _, pid := range ps {
			withSockets[pid] = true
		}
	}
	envFor := map[int]bool{}
	for pid, name := range r.names {
		if d, ok := trust.Lookup(name); ok {
			if withSockets[pid] && !inTables[pid] {
				// Its sockets are all in another network namespace (or
				// are Unix sockets): it serves nothing here.
				continue
			}
			pids = append(pids, pid)
			if daemonCollectors[d.Kind].env {
				envFor[pid] = true
			}
		}
	}
	r.procs = readProcesses(ctx, r.t, pids, r.names, envFor)
	r.h.Listeners = buildListeners(socks, r.links, r.procs, r.users)
	r.h.Flows = buildFlows(socks, r.links, r.procs, r.h.Listeners)
	unknown := 0
	for _, l := range r.h.Listeners {
		if l.PID == 0 {
			unknown++
		}
	}
	if unknown > 0 {
		why := "held by a process in another PID namespace, or by the kernel"
		switch {
		case !isLocal(r.t) && !r.opt.Sudo:
			why = "other users' processes are hidden unless you log in as root or add --sudo"
		case isLocal(r.t) && os.Geteuid() != 0:
			why = "other users' processes are hidden: run vigil host as root"
		}
		r.c.fail("%d listener(s) without a known process (%s)", unknown, why)
	}
}

// daemons reads each daemon's configuration with its collector from
// daemonCollectors.
func (r *hostRun) daemons(ctx context.Context) {
	t, h := r.t, r.h
	dl := r.opt.Dialer
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
	for id, name := range r.users {
		if _, dup := uids[name]; !dup {
			uids[name] = id
		}
	}
	uidOf := func(name string) (int, bool) { id, ok := uids[name]; return id, ok }
	masters := daemonMasters(r.procs)
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
		d, dist := examine(ctx, sc, p, uidOf, r.users)
		if dist != nil {
			h.Distrusted = append(h.Distrusted, *dist)
			if k, ok := trust.Lookup(p.Comm); ok {
				if _, ok := daemonCollectors[k.Kind]; ok {
					h.Unjudged = append(h.Unjudged, facts.Unjudged{Kind: k.Kind, PID: p.PID, Why: "not examined: " + dist.Reason})
				}
			}
			continue
		}
		examined = append(examined, d)
	}
	if r.bt != nil {
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
		r.bt.prefetch(pctx, cmds, files)
		cancel()
	}
	var mu sync.Mutex
	kinds := map[string]bool{}
	for _, d := range examined {
		dc, ok := daemonCollectors[d.kind.Kind]
		if !ok {
			continue
		}
		kinds[d.kind.Kind] = true
		in := daemonInput{df: newAsDaemon(t, sc, d, r.sessionID == 0), listeners: byPID[d.PID], dialer: dl}
		r.step(ctx, func(ctx context.Context) {
			record, errs := dc.collect(ctx, in)
			mu.Lock()
			if record != nil {
				record(h)
			}
			if len(errs) > 0 {
				h.Unjudged = append(h.Unjudged, facts.Unjudged{Kind: d.kind.Kind, PID: d.PID, Why: sanitize.String(errs[0], 1024)})
			}
			mu.Unlock()
			for _, e := range errs {
				r.c.fail("%s", e)
			}
		})
	}
	r.wg.Wait()
	for kind := range kinds {
		daemonCollectors[kind].sort(h)
	}
	slices.SortFunc(h.Unjudged, func(a, b facts.Unjudged) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.PID, b.PID))
	})
}

// reachability says of each listener whether the firewall lets it be
// reached, and records the firewall's facts.
func (r *hostRun) reachability() {
	r.h.Firewall = r.rules.Facts()
	for i := range r.h.Listeners {
		l := &r.h.Listeners[i]
		l.Reachable, l.Reason = r.rules.Reach(l.Transport, l.Address, l.Port)
	}
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
		// A process that ended while it was listed has no command line
		// left to read; a worker or a test run of the configuration is
		// not the daemon itself.
		if len(p.Args) == 0 {
			continue
		}
		if dc, ok := daemonCollectors[d.Kind]; ok && dc.helper != nil && dc.helper(p) {
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
