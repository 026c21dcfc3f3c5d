package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/scope"
)

// hostFlags are the flags of `vigil host`.
type hostFlags struct {
	outputFlags
	ssh, identity, knownHosts string
	root                      string
	sudo, allowPublic         bool
	timeout                   time.Duration
}

func newHostCmd(e *env) *cobra.Command {
	var f hostFlags
	cmd := &cobra.Command{
		Use:   "host",
		Short: "Audit a machine from inside: listeners and their processes, firewall, service configurations",
		Long: `Audit this machine from inside: every listening socket and the process,
user and systemd unit that hold it, whether the firewall lets it be reached,
the configuration each running sshd, PostgreSQL, Redis, vsftpd/proftpd,
nginx, Apache httpd, Samba's smbd and BIND's named really uses (found from
its command line, not only the default paths), and the live connections. A
configuration vigil could not read whole is listed as not examined, and
its checks are not counted as passed. Run it as root to see every process.

With --ssh user@host the same collectors run on another machine over SSH:
its host key must already be in known_hosts (vigil never trusts a key on
first use), and --sudo runs the commands through sudo -n there.

Every audit lists the installed packages (dpkg, rpm's SQLite database, apk)
and the operating system (os-release). With --root DIR vigil audits a system
that is not running (a mounted disk, a chroot, a container's root file
system) from its files alone: its os-release, packages and host name. Every
path is resolved inside DIR, as if DIR were "/": a symbolic link there
never leads out of it. Nothing in DIR runs, so it has no listeners,
processes or firewall, and the audit vouches for no machine's address.

A host audit in the last 7 days is what lets a host reach level 5.`,
		Example: `  sudo vigil host
  vigil host --ssh root@10.0.0.5 --identity ~/.ssh/audit_ed25519
  vigil host --ssh admin@db1.office.lan:2222 --sudo --format json -o db1.json
  sudo vigil host --root /mnt/web1-disk --format json -o web1-disk.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.format = formatFor(cmd, f.format, f.output)
			return runHost(cmd.Context(), e, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ssh, "ssh", "", "audit user@host[:port] over SSH instead of this machine")
	fl.StringVar(&f.root, "root", "", "audit the system whose files are in `DIR` (a mounted disk, a chroot, a container's root file system) instead of this machine")
	fl.StringVar(&f.identity, "identity", "", "private key file for --ssh (default: ~/.ssh/id_ed25519, id_ecdsa, id_rsa)")
	fl.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file the server's host key must be in (default: ~/.ssh/known_hosts)")
	fl.BoolVar(&f.sudo, "sudo", false, "with --ssh, run the commands through sudo -n on the remote machine")
	fl.BoolVar(&f.allowPublic, "allow-public", false, "allow --ssh to a host outside private, loopback and link-local ranges")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "longest wait for the SSH connection")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(report.Formats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the result to FILE instead of standard output")
	addModeFlag(fl, &f.mode)
	addRunFlags(fl, &f.outputFlags)
	addBriefFlag(fl, &f.brief)
	fl.StringVar(&f.failOn, "fail-on", "", "exit with status 3 when a finding at or above this severity exists (critical, high, medium, low, info)")
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log what vigil does to standard error")
	addDBFlag(fl, &f.db)
	addVulnDBFlag(fl, &f.vulnDB)
	fl.BoolVar(&f.noStore, "no-store", false, "do not keep the result in the scan store")
	return cmd
}

func runHost(ctx context.Context, e *env, f *hostFlags) error {
	if f.ssh == "" && (f.identity != "" || f.knownHosts != "" || f.sudo) {
		return usageError("--identity, --known-hosts and --sudo go with --ssh user@host")
	}
	if f.root != "" {
		if f.ssh != "" {
			return usageError("--root and --ssh cannot go together: audit either a directory here or a machine over SSH")
		}
		st, err := os.Stat(f.root)
		switch {
		case err != nil && errors.Is(err, fs.ErrNotExist):
			return usageError("--root %s: no such directory", f.root)
		case err != nil:
			return usageError("--root %s: %v", f.root, err)
		case !st.IsDir():
			return usageError("--root %s is not a directory", f.root)
		}
	}
	out, err := newSink(e, &f.outputFlags)
	if err != nil {
		return err
	}
	defer out.Close()
	log := logger(e.stderr, f.verbose)

	started := time.Now()
	target := hostaudit.Local()
	run := newRun(e, &f.outputFlags, map[string]any{"ssh": f.ssh, "sudo": f.sudo, "root": f.root, "store": !f.noStore})
	if f.root != "" {
		r, err := hostaudit.Root(f.root)
		if err != nil {
			return err
		}
		defer r.Close()
		target = r
		log.Debug("auditing a mounted root", "dir", r.Dir())
	}
	if f.ssh != "" {
		s, err := dialHost(ctx, f)
		if err != nil {
			return err
		}
		defer s.Close()
		target = s
		run.Scanner.Addresses = []string{s.LocalAddr()}
		log.Debug("connected", "remote", s.Remote())
	}
	j, done, err := hostJudgement(ctx, e, &f.outputFlags, !f.noStore, started, log)
	if err != nil {
		return err
	}
	defer done()
	doc, err := engine.HostAudit(ctx, target, hostaudit.Options{Sudo: f.sudo}, j)
	if err != nil {
		return err
	}
	for _, msg := range doc.HostAudit.Errors {
		log.Debug("collector", "error", msg)
	}
	doc.Run = &run
	return out.emit(ctx, doc, "host audit")
}

// hostJudgement gathers what judging a host audit needs from the store
// (the newest scan's hosts when scanned is true) and the vulnerability
// database; done closes the database.
func hostJudgement(ctx context.Context, e *env, f *outputFlags, scanned bool, started time.Time, log *slog.Logger) (engine.HostJudgement, func(), error) {
	j := engine.HostJudgement{Version: e.version, Started: started, Accepted: acceptancesInForce(ctx, f.db, log)}
	if scanned {
		j.Scanned = latestScanHosts(ctx, f.db)
	}
	m, db, err := openMatcher(ctx, f.vulnDB, log, time.Now())
	if err != nil {
		return j, nil, err
	}
	j.Vulns = m
	return j, func() {
		if db != nil {
			db.Close()
		}
	}, nil
}

// dialHost connects to --ssh user@host[:port], within the same scope
// rules as a scan: private, loopback and link-local unless --allow-public.
func dialHost(ctx context.Context, f *hostFlags) (*hostaudit.SSH, error) {
	user, host, port, err := hostaudit.ParseDestination(f.ssh)
	if err != nil {
		return nil, usageError("%v", err)
	}
	if strings.ContainsAny(host, "/,@ ") || strings.HasPrefix(host, "@") {
		return nil, usageError("--ssh %q: give one host, not a network or a list", f.ssh)
	}
	addr, err := netip.ParseAddr(host)
	if err == nil {
		if !f.allowPublic && !scope.Allowed(addr) {
			return nil, usageError("--ssh %s: %s is outside the private, loopback and link-local ranges; add --allow-public to audit it", f.ssh, addr)
		}
	} else {
		set, err := scope.Expand(ctx, scope.Config{AllowPublic: f.allowPublic, MaxHosts: 64, Resolver: net.DefaultResolver}, []string{host}, nil)
		if err != nil {
			return nil, fmt.Errorf("--ssh %s: %w", f.ssh, err)
		}
		if set.Len() == 0 {
			return nil, fmt.Errorf("--ssh %s: %s has no address", f.ssh, host)
		}
		for h := range set.Hosts() {
			addr = h.Addr
			break
		}
	}
	d, err := dialer.New(dialer.Config{Concurrency: 4, Timeout: f.timeout}, func(a netip.Addr) bool { return a == addr.Unmap() })
	if err != nil {
		return nil, err
	}
	cfg := hostaudit.SSHConfig{User: user, Host: host, Addr: netip.AddrPortFrom(addr.Unmap(), uint16(port)), KnownHosts: f.knownHosts, Timeout: f.timeout}
	if f.identity != "" {
		cfg.Identities = []string{f.identity}
	}
	return hostaudit.DialSSH(ctx, d, cfg)
}
