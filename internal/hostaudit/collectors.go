package hostaudit

import (
	"cmp"
	"context"
	"slices"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/trust"
)

// daemonCollector reads the configuration of one kind of daemon. Its kind
// (the key in daemonCollectors) is the daemon's kind in internal/trust,
// which says which processes are that daemon and whether vigil may run
// its binary.
type daemonCollector struct {
	// protocol is what the daemon serves, as a scan names it.
	protocol proto.Name
	// env says the collector needs the process's environment (PostgreSQL
	// finds its data directory in PGDATA).
	env bool
	// helper reports whether a process with the daemon's name is not the
	// daemon itself: a worker, a test run of its configuration. May be nil.
	helper func(p *process) bool
	// plan lists the commands and files the collector will need first, so
	// that a remote target fetches them in one bundle. It never lists the
	// daemon's own binary: whether vigil may run it is decided later. May
	// be nil.
	plan func(p *process, listeners []facts.Listener) (cmds [][]string, files []string)
	// collect reads the configuration; record stores it in the audit
	// (called with the audit locked), errs say what could not be read.
	collect func(ctx context.Context, in daemonInput) (record func(h *facts.HostAudit), errs []string)
	// sort puts the configurations it recorded in process order.
	sort func(h *facts.HostAudit)
}

// daemonInput is what a daemon's collector works from.
type daemonInput struct {
	// df is the target as the daemon sees it (see asDaemon).
	df *asDaemon
	// listeners are the daemon's own listening sockets.
	listeners []facts.Listener
	// dialer reaches this machine's own listeners; nil on remote targets.
	dialer *dialer.Dialer
}

// daemonCollectors is the registry of daemon collectors by kind. To audit
// a new daemon's configuration: its kind in internal/trust's table, its
// facts on facts.HostAudit, its daemonCollector beside its parser in a
// file of its own, and one line here (TestDaemonCollectorsMatchTrust
// checks that trust and this registry agree).
var daemonCollectors = map[string]daemonCollector{
	"sshd":                   sshdCollector,
	string(proto.PostgreSQL): postgresqlCollector,
	string(proto.Redis):      redisCollector,
	"vsftpd":                 vsftpdCollector,
	"proftpd":                proftpdCollector,
	"nginx":                  nginxCollector,
	"named":                  bindCollector,
	"smbd":                   sambaCollector,
	"apache2":                apacheCollector,
}

// sortByPID sorts configurations by their process id.
func sortByPID[T any](s []T, pid func(T) int) {
	slices.SortFunc(s, func(a, b T) int { return cmp.Compare(pid(a), pid(b)) })
}

// plan lists the commands and files a daemon's collector will need first,
// so that a remote target can fetch them in one bundle.
func plan(p *process, listeners []facts.Listener) (cmds [][]string, files []string) {
	dc, ok := collectorOf(p.Comm)
	if !ok || dc.plan == nil {
		return nil, nil
	}
	return dc.plan(p, listeners)
}

// collectorOf returns the collector of the daemon whose processes have
// command name comm.
func collectorOf(comm string) (daemonCollector, bool) {
	d, ok := trust.Lookup(comm)
	if !ok {
		return daemonCollector{}, false
	}
	dc, ok := daemonCollectors[d.Kind]
	return dc, ok
}
