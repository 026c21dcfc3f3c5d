package hostaudit

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// maxCmdline caps a stored command line, in runes.
const maxCmdline = 1024

// holder picks the process a socket is reported under when several hold
// it (a master and its workers, a daemon and its forked children): the one
// whose parent does not hold it too, the lowest pid among those.
func holder(pids []int, procs map[int]*process) *process {
	var best *process
	for _, pid := range pids {
		p := procs[pid]
		if p == nil {
			continue
		}
		if parent := procs[p.PPID]; parent != nil && slices.Contains(pids, p.PPID) {
			continue
		}
		if best == nil || p.PID < best.PID {
			best = p
		}
	}
	if best == nil {
		for _, pid := range pids {
			if p := procs[pid]; p != nil && (best == nil || p.PID < best.PID) {
				best = p
			}
		}
	}
	return best
}

// describe fills a listener's process fields.
func describe(l *facts.Listener, p *process, users map[int]string) {
	if p == nil {
		return
	}
	l.PID = p.PID
	l.Process = sanitize.String(p.Comm, 64)
	if uid := p.Cred.UID(); uid >= 0 {
		l.User = userName(uid, users)
	}
	l.Cmdline = sanitize.String(redact.Args(p.Args), maxCmdline)
	l.Unit = sanitize.String(p.Unit, 128)
}

func userName(uid int, users map[int]string) string {
	if n, ok := users[uid]; ok {
		return sanitize.String(n, 64)
	}
	return "uid " + strconv.Itoa(uid)
}

// buildListeners turns the listening sockets into listeners, one per
// socket (sockets of one process on the same address and port are one).
func buildListeners(socks []Socket, links map[uint64][]int, procs map[int]*process, users map[int]string) []facts.Listener {
	type key struct {
		tr, addr string
		port     int
		pid      int
	}
	seen := map[key]bool{}
	out := []facts.Listener{}
	for _, s := range socks {
		if !s.Listening() || s.Local.Port() == 0 {
			continue
		}
		l := facts.Listener{Transport: s.Transport, Address: s.Local.Addr().String(), Port: int(s.Local.Port())}
		if p := holder(links[s.Inode], procs); p != nil {
			describe(&l, p, users)
		} else {
			l.User = userName(s.UID, users)
		}
		k := key{l.Transport, l.Address, l.Port, l.PID}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b facts.Listener) int {
		return cmp.Or(cmp.Compare(a.Transport, b.Transport), cmp.Compare(a.Port, b.Port), compareAddr(a.Address, b.Address), cmp.Compare(a.PID, b.PID))
	})
	return out
}

func compareAddr(a, b string) int {
	x, err1 := netip.ParseAddr(a)
	y, err2 := netip.ParseAddr(b)
	if err1 != nil || err2 != nil {
		return cmp.Compare(a, b)
	}
	return x.Compare(y)
}

// buildFlows turns established TCP sockets into flows; a flow is inbound
// when its local port is one a TCP listener waits on at its address.
func buildFlows(socks []Socket, links map[uint64][]int, procs map[int]*process, listeners []facts.Listener) []facts.Flow {
	var out []facts.Flow
	for _, s := range socks {
		if s.Transport != "tcp" || s.State != stateEstablished {
			continue
		}
		f := facts.Flow{Transport: "tcp", Local: s.Local.String(), Remote: s.Remote.String(), Direction: "out"}
		for _, l := range listeners {
			if l.Transport == "tcp" && l.Port == int(s.Local.Port()) && bindCovers(l.Address, s.Local.Addr()) {
				f.Direction = "in"
				break
			}
		}
		if p := holder(links[s.Inode], procs); p != nil {
			f.PID = p.PID
			f.Process = sanitize.String(p.Comm, 64)
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b facts.Flow) int {
		return cmp.Or(cmp.Compare(a.Direction, b.Direction), cmp.Compare(a.Local, b.Local), cmp.Compare(a.Remote, b.Remote))
	})
	return out
}

// bindCovers reports whether a socket bound to bind receives traffic for a.
func bindCovers(bind string, a netip.Addr) bool {
	b, err := netip.ParseAddr(bind)
	if err != nil {
		return false
	}
	if b.IsUnspecified() {
		return b.Is6() || a.Is4()
	}
	return b == a
}
