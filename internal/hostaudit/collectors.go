package hostaudit

import (
	"cmp"
	"context"
	"path/filepath"
	"slices"
	"strings"

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
// facts on facts.HostAudit, its collector in a file of its own and one
// entry here.
var daemonCollectors = map[string]daemonCollector{
	"sshd": {
		protocol: proto.SSH,
		helper: func(p *process) bool {
			// `sshd -T` and `sshd -t` (another audit, a package script)
			// only test a configuration.
			return slices.Contains(p.Args, "-T") || slices.Contains(p.Args, "-t")
		},
		plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
			return nil, []string{sshdArgs(p.argv()).file}
		},
		collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
			cfg, errs := collectSSHD(ctx, in.df)
			return func(h *facts.HostAudit) { h.SSHD = append(h.SSHD, cfg) }, errs
		},
		sort: func(h *facts.HostAudit) { sortByPID(h.SSHD, func(c facts.SSHDConfig) int { return c.PID }) },
	},
	string(proto.PostgreSQL): {
		protocol: proto.PostgreSQL,
		env:      true,
		plan: func(p *process, _ []facts.Listener) (cmds [][]string, files []string) {
			dir, file, _ := pgLocate(p)
			if file != "" {
				files = append(files, file)
			}
			if dir != "" {
				files = append(files, dir+"/postgresql.auto.conf", dir+"/pg_hba.conf")
			}
			return nil, files
		},
		collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
			cfg, errs := collectPostgreSQL(ctx, in.df)
			if cfg.ConfigFile == "" {
				return nil, errs
			}
			return func(h *facts.HostAudit) { h.PostgreSQL = append(h.PostgreSQL, cfg) }, errs
		},
		sort: func(h *facts.HostAudit) {
			sortByPID(h.PostgreSQL, func(c facts.PostgreSQLConfig) int { return c.PID })
		},
	},
	string(proto.Redis): {
		protocol: proto.Redis,
		plan: func(_ *process, listeners []facts.Listener) (cmds [][]string, _ []string) {
			for _, l := range listeners {
				if ap, ok := redisDialAddr(l); ok && l.Transport == "tcp" {
					for _, k := range redisCLIKeys {
						cmds = append(cmds, append([]string{"timeout"}, redisCLIArgs(ap, k, false)...))
					}
					break
				}
			}
			return cmds, nil
		},
		collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
			cfg, errs := collectRedis(ctx, in.df, in.listeners, in.dialer)
			return func(h *facts.HostAudit) { h.Redis = append(h.Redis, cfg) }, errs
		},
		sort: func(h *facts.HostAudit) { sortByPID(h.Redis, func(c facts.RedisConfig) int { return c.PID }) },
	},
	"vsftpd": {
		protocol: proto.FTP,
		plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
			return nil, []string{vsftpdFile(p.argv())}
		},
		collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
			cfg, errs := collectVsftpd(ctx, in.df)
			return func(h *facts.HostAudit) { h.FTP = append(h.FTP, cfg) }, errs
		},
		sort: sortFTP,
	},
	"proftpd": {
		protocol: proto.FTP,
		collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
			cfg, errs := collectProftpd(ctx, in.df)
			return func(h *facts.HostAudit) { h.FTP = append(h.FTP, cfg) }, errs
		},
		sort: sortFTP,
	},
	"nginx": {
		protocol: proto.HTTP,
		helper: func(p *process) bool {
			return len(p.Args) == 1 && strings.Contains(p.Args[0], "worker process")
		},
		plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
			if inv := nginxArgs(p.argv()); filepath.IsAbs(inv.file) {
				return nil, []string{inv.file}
			}
			return nil, nil
		},
		collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
			cfg, errs := collectNginx(ctx, in.df)
			return func(h *facts.HostAudit) { h.Nginx = append(h.Nginx, cfg) }, errs
		},
		sort: func(h *facts.HostAudit) { sortByPID(h.Nginx, func(c facts.NginxConfig) int { return c.PID }) },
	},
}

// sortFTP puts the FTP servers' configurations in process order.
func sortFTP(h *facts.HostAudit) { sortByPID(h.FTP, func(c facts.FTPConfig) int { return c.PID }) }

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
