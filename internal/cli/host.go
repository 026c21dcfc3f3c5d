package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/vuln"
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
the configuration each running sshd, PostgreSQL, Redis, vsftpd/proftpd and
nginx really uses (found from its command line, not only the default
paths), and the live connections. Run it as root to see every process.

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
	h, err := hostaudit.Collect(ctx, target, hostaudit.Options{Sudo: f.sudo})
	if err != nil {
		return fmt.Errorf("the host audit failed: %w", err)
	}
	for _, msg := range h.Errors {
		log.Debug("collector", "error", msg)
	}
	var scanned []facts.Host
	if !f.noStore {
		scanned = latestScanHosts(ctx, f.db)
	}
	known, err := knownVulns(ctx, f.vulnDB, h, log)
	if err != nil {
		return err
	}
	doc := hostDocument(e.version, h, scanned, acceptancesInForce(ctx, f.db, log), known, started, time.Now())
	doc.Run = &run
	return out.emit(ctx, doc, "host audit")
}

// audited holds what the vulnerability database says of a host audit's
// packages: findings, or why they were not matched.
type audited struct {
	findings []finding.Finding
	gap      string
}

// knownVulns matches a host audit's installed packages against the
// vulnerability database (--vulndb); the findings are filed under the
// machine's name, or the mounted root's directory.
func knownVulns(ctx context.Context, flag string, h *facts.HostAudit, log *slog.Logger) (audited, error) {
	m, db, err := openMatcher(ctx, flag, log, time.Now())
	if err != nil {
		return audited{}, err
	}
	switch {
	case db == nil:
		return audited{gap: "known vulnerabilities: not checked (no database; run 'vigil vulndb update' or 'vigil vulndb import')"}, nil
	case len(h.Packages) == 0:
		db.Close()
		return audited{gap: "known vulnerabilities: no package database was read, so no installed software was matched"}, nil
	}
	defer db.Close()
	fs, eco, err := m.Packages(ctx, cmp.Or(h.Hostname, h.Root), h)
	if err != nil {
		return audited{gap: "known vulnerabilities: not checked (" + err.Error() + ")"}, nil
	}
	if eco == "" {
		name := "this operating system"
		if h.OS != nil {
			name = cmp.Or(h.OS.PrettyName, h.OS.ID)
		}
		return audited{gap: "known vulnerabilities: " + name + " is not a distribution vigil matches (Debian, Ubuntu, Alpine, Rocky Linux, AlmaLinux)"}, nil
	}
	if ok, err := m.HasData(ctx, eco); err != nil || !ok {
		return audited{gap: "known vulnerabilities: not checked (the database holds no " + eco + " data; run 'vigil vulndb update --osv " + strings.Split(eco, ":")[0] + "')"}, nil
	}
	return audited{findings: fs}, nil
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

// hostDocument judges a host audit and builds its vigil/scan/v1 document:
// every address the audit vouches for is a host of the document, audited
// at the end of the audit, so that a clean machine reaches level 5.
// Besides the host checks it judges the ports nobody used (after an
// observation) and live flows over cleartext protocols, joined with
// scanned, the newest network scan's hosts; a flow's server on another
// machine is rated by its finding but not vouched for as audited. An
// audit of a mounted root (--root) vouches for no host: its document
// names the directory as its target.
func hostDocument(version string, h *facts.HostAudit, scanned []facts.Host, accepted map[string]finding.Acceptance, known audited, started, finished time.Time) *result.Document {
	findings := check.JudgeHostAudit(h, h.Time)
	audited := map[string]time.Time{}
	var hosts []facts.Host
	name := h.Hostname
	for _, a := range store.AuditedAddresses(h) {
		audited[a] = finished
		host := facts.Host{Address: a}
		if a != name {
			host.Names = nonEmpty(name)
		}
		hosts = append(hosts, host)
	}
	for _, fd := range findings {
		if _, ok := audited[fd.Host]; !ok {
			audited[fd.Host] = finished
			hosts = append(hosts, facts.Host{Address: fd.Host})
		}
	}
	// Known vulnerabilities are the packages', not the listeners': they
	// make no host of the document audited.
	more := append(check.JudgeUnused(h), check.JudgeFlows(h, scanned, h.Time)...)
	for _, fd := range append(more, known.findings...) {
		if !slices.ContainsFunc(findings, func(x finding.Finding) bool { return x.ID == fd.ID }) {
			findings = append(findings, fd)
		}
	}
	target := h.Hostname
	switch {
	case h.Remote != "":
		target = h.Remote
	case h.Root != "":
		target = h.Root
	}
	finding.Accept(findings, accepted, finished)
	doc := result.Assemble(result.NewID(started), started, finished, nonEmpty(target), hosts, findings, audited)
	if h.Root != "" && len(doc.Hosts) == 0 && len(doc.Findings) == 0 {
		doc.Level.Reason = "a mounted root (" + h.Root + ") is no running machine: it vouches for no host, and was rated by its files alone"
	}
	doc.Kind = result.KindHost
	doc.HostAudit = h
	for _, e := range h.Errors {
		doc.NoteGap(result.Gap{What: e})
	}
	if known.gap != "" {
		doc.NoteGap(result.Gap{What: known.gap, Checks: []string{vuln.CheckID}})
	}
	doc.Done()
	doc.Tool = "vigil " + version
	return doc
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
