// Package fix turns a finding into a remediation plan and applies it safely.
//
// A Plan is made by a pure planner from the finding, what the scan saw of
// the service, the host audit's facts about the local process that serves
// it (its configuration file, pid, systemd unit) and the current content of
// the files it will change; planners do no I/O of their own, so each is
// table-tested on file content. Apply then backs up every file it changes
// under the fix's directory (DataDir/ID, with a manifest), writes the
// changes, runs the plan's commands, validates (sshd -t, nginx -t, a
// vsftpd start check, nft listing, Redis CONFIG GET), reloads the service
// and verifies it listens again; when any of that fails it rolls back by
// itself. Rollback restores the files and undoes the commands of a fix
// applied earlier.
//
// Appliers (the check IDs each one fixes). Each changes only what serves
// the finding's address and port, on its own product (Offer and Supports
// say which service it is for; a finding on another product is refused,
// naming it), and never lowers a setting that is already stricter:
//
//   - nftables (port.open-unused, exposure.admin, exposure.database,
//     cleartext.telnet): adds a drop rule for the port, from every interface
//     but loopback, to vigil's own table "inet vigil" (created when missing,
//     with an input chain); rollback deletes that rule, and the table when
//     nothing else is left in it. Rules added with nft last until reboot:
//     the plan says how to keep them. It closes the port whatever serves it.
//   - sshd, OpenSSH's (ssh.cipher.weak, ssh.mac.weak, ssh.kex.weak,
//     ssh.hostkey.weak, ssh.terrapin, ssh.auth.password,
//     ssh.config.password-auth, ssh.config.root-login): sets Ciphers, MACs,
//     KexAlgorithms, HostKeyAlgorithms (the list sshd takes now, or else
//     the scan's, minus what the checks flag: never widened),
//     PasswordAuthentication and KbdInteractiveAuthentication no, or
//     PermitRootLogin prohibit-password (a stricter value is kept) in the
//     configuration file the running sshd was started with (-f), where
//     sshd reads it first, and in the Match blocks for the listener's
//     LocalAddress and LocalPort; Match blocks for other listeners stay as
//     they are. Validates with sshd -t and sshd -T; reloads with systemctl
//     reload UNIT, or SIGHUP to the daemon (sshd re-executes itself).
//   - Redis (redis.config.no-auth, auth.none.redis): requirepass with a
//     generated password shown once, and bind 127.0.0.1 -::1, in its
//     configuration file and at once with CONFIG SET (no restart);
//     validated with CONFIG GET.
//   - vsftpd (ftp.config.anonymous, auth.anonymous.ftp): anonymous_enable=NO
//     (refused when local_enable is not YES: vsftpd would then let no one
//     in); validated by having vsftpd parse the new file, reloaded with
//     systemctl reload UNIT or SIGHUP (vsftpd in standalone mode re-reads
//     its configuration on SIGHUP), and verified by a new session's 220
//     greeting.
//   - nginx (tls.protocol.*, tls.cipher.*): ssl_protocols TLSv1.2 TLSv1.3
//     (TLSv1.3 alone is kept) and the Mozilla intermediate ssl_ciphers (a
//     subset of it is kept) for the server block that serves the finding's
//     address and port, following include lines and nginx's rules: a block
//     that listens on that address wins over those on every address, and
//     among blocks on one address and port the scan's server name picks
//     one (when it cannot, all of them change, and the plan says so).
//     Where the block inherits a setting from the http block, the setting
//     is added to the block and the http block, shared with other blocks,
//     stays as it is; a line in a file other blocks or another nginx also
//     read is refused. Validated with nginx -t -c FILE; reloaded with
//     systemctl reload UNIT or SIGHUP to the master process (nginx keeps
//     its listening sockets and starts new workers).
//   - BIND's named (dns.recursion.open, dns.axfr.open, dns.version.disclosed,
//     dns.config.recursion, dns.config.axfr, dns.config.version): in the
//     named.conf the running named was started with (-c, inside its -t
//     chroot) and the files it includes, edited in place with
//     internal/conf/bind's offsets, each replaced statement kept in a
//     "// vigil fix ID replaced:" comment. Recursion: allow-recursion
//     { localhost; localnets; } where the host audit found it open to any
//     address (the view's or the options' own list, else a line in the
//     options), never recursion no, which would stop the resolver for the
//     LAN too. Transfers: allow-transfer { none; } in place of every list
//     open to any address (zone, view or options) and in the options when
//     a zone had the default. Version: version none; and hostname none; in
//     the options (a scan asks version.bind and hostname.bind). Lists
//     the audit did not judge open stay as they are; an include or acl it
//     could not resolve makes it refuse. Validated with named-checkconf
//     [-t CHROOT] FILE (a root-owned named-checkconf in /usr/sbin or
//     /usr/bin, run only when every file of the configuration is root's);
//     reloaded with systemctl reload UNIT or SIGHUP to named (it re-reads
//     its configuration and zones); verified by named listening on TCP.
//   - Samba's smbd (smb.v1, smb.signing.not-required, smb.guest.shares,
//     smb.config.v1, smb.config.signing, smb.config.guest): in [global],
//     server min protocol = SMB2_02 (SMB2_10, SMB3… already set are kept),
//     server signing = mandatory, or map to guest = never (and, for
//     smb.guest.shares, restrict anonymous = 2: a null session lists shares
//     whatever map to guest says), on the line in
//     force (commented and replaced) in the file that holds it, main file
//     or include, after following config file as smbd does; added after
//     the [global] header of the file smbd reads when no line sets it.
//     Refused when a file of the configuration cannot be read (an include
//     with % substitutions, say), when smbd's command line sets the
//     parameter, or when the file is read by another running smbd.
//     Validated with the testparm installed with smbd (testparm -s), reloaded
//     with systemctl reload UNIT or SIGHUP to the main smbd; connections
//     already open keep their settings.
//   - Apache httpd (http.trace, http.config.trace, http.status.public,
//     http.config.status-public, http.listing, http.config.listing):
//     TraceEnable Off; or Require local in the <Location> of an open
//     server-status or server-info page (its Require all granted lines
//     replaced, or Require local added where it has none; a Location whose
//     access is set otherwise is refused); or Indexes taken out of the
//     Options lines that turn it on for the DocumentRoot and the
//     <Directory> sections above and under it (Options All is refused), in the
//     scope that serves the finding's address and port as httpd picks it:
//     the virtual hosts for that address (else for every address) and
//     port, else the main server; Locations of the main server apply to
//     every virtual host. It follows Include and IncludeOptional, <IfModule>
//     and <IfDefine> as the running server read them, and refuses when the
//     host audit could not read a file or when another running httpd reads
//     a file it would change. Validated with the daemon's own
//     binary, -t, with the process's -d, -D, -C and -c and its ${NAME}
//     environment variables passed as -C Define lines; reloaded with
//     systemctl reload UNIT or SIGUSR1 to the parent (a graceful restart:
//     requests in progress finish).
//
// Every applier changes only the files of the instance that holds the
// listener (matched by pid), and refuses a file another running instance
// of the daemon was started with.
package fix

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// ErrNoApplier means vigil has no automatic fix for the finding; the
// finding's recommendation says what to do by hand.
var ErrNoApplier = errors.New("no automatic fix for this check")

// ErrNotHere means the finding is about a service that does not run on
// this machine.
var ErrNotHere = errors.New("the service is not on this machine")

// Plan is what a fix will do, shown before it is applied.
type Plan struct {
	// Finding is what the plan fixes.
	Finding finding.Finding `json:"finding"`
	// Applier names the applier: nftables, sshd, redis, vsftpd, nginx.
	Applier string `json:"applier"`
	// Summary says in one line what changes.
	Summary string `json:"summary"`
	// Question is what the user is asked before anything happens.
	Question string `json:"question"`
	// Edits are the file changes.
	Edits []Edit `json:"edits,omitempty"`
	// Apply runs after the edits; each step may carry its undo.
	Apply []Step `json:"apply,omitempty"`
	// Validate must all succeed before the service is reloaded.
	Validate []Step `json:"validate,omitempty"`
	// Reload makes the service use the change.
	Reload []Step `json:"reload,omitempty"`
	// Verify must all succeed after the reload.
	Verify []Step `json:"verify,omitempty"`
	// Rollback undoes what Apply did not record an undo for, after the
	// files are restored, before reloading (e.g. Redis CONFIG SET of the
	// old values).
	Rollback []Step `json:"rollback,omitempty"`
	// Notes are what the user should know: persistence, risks, the secret.
	Notes []string `json:"notes,omitempty"`
	// Secret is a credential the fix sets (Redis password): shown once
	// when applied, kept only in the fix's record (mode 0600) for rollback.
	Secret string `json:"-"`
}

// Edit is one file change.
type Edit struct {
	Path   string      `json:"path"`
	Before []byte      `json:"-"`
	After  []byte      `json:"-"`
	Mode   fs.FileMode `json:"mode"`
	// Guard is checked again just before the file is written.
	Guard Guard `json:"guard"`
	// Private means the change writes a secret: the file is left readable
	// by its owner and the daemon's group GID only (mode 0640).
	Private bool `json:"private,omitempty"`
	GID     int  `json:"gid,omitempty"`
}

// Diff returns the change as a unified diff.
func (e Edit) Diff() string { return UnifiedDiff(e.Path, e.Before, e.After) }

// Step kinds.
const (
	// StepRun runs Argv (with Stdin) and needs exit status 0; each line of
	// Want (alternatives separated by "|") must then appear in its output.
	StepRun = "run"
	// StepSignal sends Signal ("HUP") to PID, after checking that the
	// process's command line still contains Match.
	StepSignal = "signal"
	// StepListen waits until something listens on Addr (TCP).
	StepListen = "listen"
	// StepRedis sends the command Argv to the Redis server at Addr
	// (authenticating with Auth when set) and needs Want as the answer:
	// "OK", or for CONFIG GET the values in order.
	StepRedis = "redis"
	// StepVsftpd has vsftpd read the configuration file Path and needs it
	// accepted.
	StepVsftpd = "vsftpd-check"
	// StepBanner connects to Addr and needs the first line the server
	// sends to start with one of Want ("220").
	StepBanner = "banner"
	// StepNftHas needs a rule tagged Tag in Table's input chain.
	StepNftHas = "nft-has"
	// StepNftUndo deletes the rules tagged Tag from Table's input chain,
	// and the table when it is left without rules.
	StepNftUndo = "nft-undo"
)

// Step is one action of a plan. It is data, so that a fix's record can be
// replayed for rollback by a later vigil.
type Step struct {
	Kind   string   `json:"kind"`
	Why    string   `json:"why,omitempty"`
	Argv   []string `json:"argv,omitempty"`
	Stdin  string   `json:"stdin,omitempty"`
	Want   []string `json:"want,omitempty"`
	PID    int      `json:"pid,omitempty"`
	Signal string   `json:"signal,omitempty"`
	Match  string   `json:"match,omitempty"`
	Addr   string   `json:"addr,omitempty"`
	Auth   string   `json:"auth,omitempty"`
	Path   string   `json:"path,omitempty"`
	Table  string   `json:"table,omitempty"`
	Tag    string   `json:"tag,omitempty"`
	// Fresh, on a listen step, waits for a new listening socket: the
	// daemon re-executes itself on reload.
	Fresh bool `json:"fresh,omitempty"`
	// Drain, on a signal step, waits until the child processes the
	// daemon had before the signal are gone: nginx's old workers keep
	// serving the old configuration until they finish.
	Drain bool `json:"drain,omitempty"`
	// Undo is done at rollback when this step was done.
	Undo *Step `json:"undo,omitempty"`
	// Secret marks Stdin, Auth or an argument as a credential: the step is
	// shown and reported without it.
	Secret string `json:"secret,omitempty"`
}

// String describes the step as a command line or an action, with any
// secret masked.
func (s Step) String() string {
	mask := func(t string) string {
		if s.Secret != "" {
			return strings.ReplaceAll(t, s.Secret, "********")
		}
		return t
	}
	switch s.Kind {
	case StepRun:
		out := shellJoin(s.Argv)
		if s.Stdin != "" {
			out += " <<'EOF'\n" + strings.TrimRight(s.Stdin, "\n") + "\nEOF"
		}
		return mask(out)
	case StepSignal:
		return fmt.Sprintf("kill -%s %d", s.Signal, s.PID)
	case StepListen:
		return "wait until something listens on " + s.Addr
	case StepRedis:
		var args []string
		for _, a := range s.Argv {
			args = append(args, shellQuote(a))
		}
		return mask("redis " + s.Addr + ": " + strings.Join(args, " "))
	case StepVsftpd:
		return "vsftpd reads " + s.Path + " and accepts it"
	case StepBanner:
		return "connect to " + s.Addr + " and expect a greeting starting " + strings.Join(s.Want, " or ")
	case StepNftHas:
		return fmt.Sprintf("nft -a list chain inet %s input shows the rule %q", s.Table, s.Tag)
	case StepNftUndo:
		return fmt.Sprintf("delete the rules commented %q from inet %s input (and the table if it is left empty)", s.Tag, s.Table)
	}
	return s.Kind
}

// shellJoin quotes argv for display.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Input is what a plan is made from.
type Input struct {
	// Finding is the finding to fix.
	Finding finding.Finding
	// Service is what the network scan saw on the finding's port, or for
	// a host-audit finding what the audit knows the listener serves
	// (facts.HostAudit.ServiceOf); nil when neither says. A service of
	// another product than the applier's is refused (Supports).
	Service *facts.Service
	// Host is a fresh audit of this machine: listeners and service
	// configurations.
	Host *facts.HostAudit
	// ReadFile returns a configuration file's current content and mode,
	// or refuses it when it does not pass the guard (ReadConfig).
	ReadFile func(path string, g Guard) ([]byte, fs.FileMode, error)
	// Glob lists the files matching a pattern (nginx include lines); nil
	// follows only includes without wildcards.
	Glob func(pattern string) ([]string, error)
	// FixID names the fix: rules and comments carry it.
	FixID string
	// Now is when the plan is made.
	Now time.Time
	// Rand supplies randomness for generated passwords; crypto/rand when nil.
	Rand io.Reader
	// SSHConnection is $SSH_CONNECTION of the user's session, if any
	// ("client-ip client-port server-ip server-port"): a plan that would
	// cut that session off refuses.
	SSHConnection string
}

// planner makes a plan for one group of checks.
type planner func(in Input, l facts.Listener) (*Plan, error)

// applierKind is one kind of automatic fix: its planner, and the product and
// protocol it changes, as service identification names them (product ""
// for any: a firewall rule closes the port of any server).
type applierKind struct {
	plan             planner
	product, service string
	// implied is true for checks only a host audit of that very daemon
	// raises (its configuration file says so): with no service from a
	// scan, the product is known all the same.
	implied bool
}

var (
	nftApplier    = applierKind{plan: planNftables}
	sshdApplier   = applierKind{plan: planSSHD, product: "OpenSSH", service: "ssh"}
	redisApplier  = applierKind{plan: planRedis, product: "Redis", service: "redis"}
	vsftpdApplier = applierKind{plan: planVsftpd, product: "vsftpd", service: "ftp"}
	nginxApplier  = applierKind{plan: planNginx, product: "nginx", service: "http"}
	bindApplier   = applierKind{plan: planBind, product: "BIND", service: "dns"}
	apacheApplier = applierKind{plan: planApache, product: "Apache httpd", service: "http"}
)

// implied returns a with implied set.
func implied(a applierKind) applierKind { a.implied = true; return a }

// appliers maps check IDs to their applier.
var appliers = map[string]applierKind{
	"port.open-unused":  nftApplier,
	"exposure.admin":    nftApplier,
	"exposure.database": nftApplier,
	"cleartext.telnet":  nftApplier,

	"ssh.cipher.weak":          sshdApplier,
	"ssh.mac.weak":             sshdApplier,
	"ssh.kex.weak":             sshdApplier,
	"ssh.hostkey.weak":         sshdApplier,
	"ssh.terrapin":             sshdApplier,
	"ssh.auth.password":        sshdApplier,
	"ssh.config.password-auth": implied(sshdApplier),
	"ssh.config.root-login":    implied(sshdApplier),

	"redis.config.no-auth": implied(redisApplier),
	"auth.none.redis":      redisApplier,

	"ftp.config.anonymous": vsftpdApplier, // vsftpd's or proftpd's file: the service says which
	"auth.anonymous.ftp":   vsftpdApplier,

	"tls.protocol.sslv2":            nginxApplier,
	"tls.protocol.sslv3":            nginxApplier,
	"tls.protocol.tls10":            nginxApplier,
	"tls.protocol.tls11":            nginxApplier,
	"tls.cipher.anonymous":          nginxApplier,
	"tls.cipher.null":               nginxApplier,
	"tls.cipher.export":             nginxApplier,
	"tls.cipher.weak":               nginxApplier,
	"tls.cipher.no-forward-secrecy": nginxApplier,

	"dns.recursion.open":    bindApplier,
	"dns.axfr.open":         bindApplier,
	"dns.version.disclosed": bindApplier,
	"dns.config.recursion":  implied(bindApplier),
	"dns.config.axfr":       implied(bindApplier),
	"dns.config.version":    implied(bindApplier),

	"smb.v1":                   sambaApplier,
	"smb.signing.not-required": sambaApplier,
	"smb.guest.shares":         sambaApplier,
	"smb.config.v1":            implied(sambaApplier),
	"smb.config.signing":       implied(sambaApplier),
	"smb.config.guest":         implied(sambaApplier),

	"http.trace":                apacheApplier,
	"http.status.public":        apacheApplier,
	"http.config.trace":         implied(apacheApplier),
	"http.config.status-public": implied(apacheApplier),
	"http.listing":              apacheApplier,
	"http.config.listing":       implied(apacheApplier),
}

// Fixable reports whether vigil has an automatic fix for a check on some
// product; Offer says whether it has one for a finding on the service
// found.
func Fixable(check string) bool { _, ok := appliers[check]; return ok }

// productOf is the product a service was identified as; for SSH, the
// software its identification string names when the product is unknown.
func productOf(svc *facts.Service) string {
	if svc == nil {
		return ""
	}
	p := strings.TrimSpace(svc.Product)
	if p == "" && svc.SSH != nil && strings.HasPrefix(strings.ToLower(svc.SSH.Software), "openssh_") {
		p = "OpenSSH"
	}
	return p
}

// Offer reports whether `vigil fix` has an applier for the finding on the
// service the scan saw there (svc; nil when none was seen, as for host
// audit findings), so that a report may promise it: the check has an
// applier, and the service is that applier's product speaking its
// protocol (OpenSSH's ssh, nginx's http, vsftpd's ftp, Redis), or the fix
// is a firewall rule that closes the port whatever serves it. An unknown
// product gets no promise, except for checks only that daemon's own
// configuration raises.
func Offer(f finding.Finding, svc *facts.Service) bool {
	a, ok := appliers[f.Check]
	if !ok {
		return false
	}
	if a.product == "" {
		return true
	}
	p := productOf(svc)
	if p == "" {
		return a.implied && (svc == nil || svc.Name == "" || svc.Name == a.service)
	}
	return strings.EqualFold(p, a.product) && (svc.Name == "" || strings.EqualFold(svc.Name, a.service))
}

// Supports returns nil unless the service the scan saw on the finding's
// port is known to be another product than the one the check's applier
// changes; then it says so, naming that product, in an error that wraps
// ErrNoApplier. A check without an applier is ErrNoApplier too.
func Supports(f finding.Finding, svc *facts.Service) error {
	a, ok := appliers[f.Check]
	if !ok {
		return fmt.Errorf("%s: %w", f.Check, ErrNoApplier)
	}
	if a.product == "" {
		return nil
	}
	where := fmt.Sprintf("%s port %d", f.Host, f.Port)
	p := productOf(svc)
	if p != "" && !strings.EqualFold(p, a.product) {
		name := p
		if svc.Version != "" {
			name += " " + svc.Version
		}
		return fmt.Errorf("%w here: %s runs %s, and vigil fix makes this change on %s only", ErrNoApplier, where, name, a.product)
	}
	if svc != nil && svc.Name != "" && svc.Name != facts.Unknown && !strings.EqualFold(svc.Name, a.service) {
		name := svc.Name
		if p != "" {
			name = p + " (" + svc.Name + ")"
		}
		return fmt.Errorf("%w here: %s serves %s, and vigil fix makes this change on %s's %s only", ErrNoApplier, where, name, a.product, a.service)
	}
	return nil
}

// MakePlan makes the plan that fixes in.Finding on this machine.
func MakePlan(in Input) (*Plan, error) {
	a, ok := appliers[in.Finding.Check]
	if !ok {
		return nil, fmt.Errorf("%s: %w; do it by hand: %s", in.Finding.Check, ErrNoApplier, in.Finding.Recommendation)
	}
	if err := Supports(in.Finding, in.Service); err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if in.Host == nil {
		return nil, errors.New("fix: no audit of this machine to find the service in")
	}
	if in.ReadFile == nil {
		return nil, errors.New("fix: no way to read files")
	}
	if in.Rand == nil {
		in.Rand = rand.Reader
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	l, err := FindListener(in.Host, in.Finding)
	if err != nil {
		return nil, err
	}
	plan, err := a.plan(in, l)
	if err != nil {
		return nil, err
	}
	plan.Finding = in.Finding
	return plan, nil
}

// FindListener finds the local listener a finding is about: the one on the
// finding's port whose bind address is the finding's host, or any address
// when the finding names this machine (its host name or one of its
// addresses). Findings about the machine itself (port 0) match the service's
// first listener when there is one of its kind.
func FindListener(h *facts.HostAudit, f finding.Finding) (facts.Listener, error) {
	tr := f.Transport
	if tr == "" {
		tr = facts.TCP
	}
	if l, ok := h.ListenerFor(f.Host, tr, f.Port); ok {
		return l, nil
	}
	if f.Port == 0 {
		return facts.Listener{}, nil
	}
	return facts.Listener{}, fmt.Errorf("%w: nothing on this machine listens on %s port %d for %s (run vigil fix on the machine that runs it, or check that the service still runs)",
		ErrNotHere, tr, f.Port, f.Host)
}

// who describes a listener's process: "python3, pid 1234".
func who(l facts.Listener) string {
	var p []string
	if l.Process != "" {
		p = append(p, l.Process)
	}
	if l.PID > 0 {
		p = append(p, "pid "+strconv.Itoa(l.PID))
	}
	if l.Unit != "" {
		p = append(p, "unit "+l.Unit)
	}
	return strings.Join(p, ", ")
}

// listenAddr is where to check that a listener is back: its own address, or
// loopback for a listener on every address.
func listenAddr(l facts.Listener) string {
	a, err := netip.ParseAddr(strings.Trim(l.Address, "[]"))
	if err != nil || a.IsUnspecified() {
		if err == nil && a.Is6() && !a.Is4In6() {
			return netip.AddrPortFrom(netip.IPv6Loopback(), uint16(l.Port)).String()
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(l.Port)).String()
	}
	return netip.AddrPortFrom(a.Unmap().WithZone(""), uint16(l.Port)).String()
}

// reloadSteps reloads a service: systemctl reload UNIT when it has a unit,
// else signal to the daemon's pid (its command line must still contain
// match), then waits until it listens again.
func reloadSteps(l facts.Listener, pid int, sig, match string, drain bool) []Step {
	if l.Unit != "" {
		return []Step{{Kind: StepRun, Argv: []string{"systemctl", "reload", l.Unit}, Why: "reload " + l.Unit}}
	}
	if pid <= 0 {
		pid = l.PID
	}
	return []Step{{Kind: StepSignal, PID: pid, Signal: sig, Match: match, Drain: drain, Why: "make the daemon re-read its configuration"}}
}

// configFor picks the configuration of the process that holds l: the host
// audit found it for that very pid. Another daemon's configuration never
// stands in for it, and a listener whose process the audit did not examine
// (it runs as another user than the daemon's) gets none: the error says why.
// proc is the daemon's command name: a listener held by another program is
// refused in its own terms, without speaking of this daemon's files.
func configFor[T any](h *facts.HostAudit, list []T, pid func(T) int, l facts.Listener, what, proc string) (T, error) {
	var zero T
	for _, c := range list {
		if l.PID > 0 && pid(c) == l.PID {
			return c, nil
		}
	}
	for _, d := range h.Distrusted {
		if d.PID == l.PID && l.PID > 0 {
			return zero, fmt.Errorf("%w for port %d: the process that holds it (%s) %s", ErrNoApplier, l.Port, who(l), d.Reason)
		}
	}
	if l.PID == 0 {
		return zero, fmt.Errorf("cannot tell which process holds port %d (run vigil fix as root)", l.Port)
	}
	if s := h.ServiceOf(l); s != nil && !strings.EqualFold(s.Product, what) {
		return zero, fmt.Errorf("%w for port %d: it is served by %s (%s), and vigil fix makes this change on %s only", ErrNoApplier, l.Port, s.Product, who(l), what)
	}
	if l.Process != "" && l.Process != proc {
		return zero, fmt.Errorf("%w for port %d: it is served by %s, not %s", ErrNoApplier, l.Port, who(l), what)
	}
	return zero, fmt.Errorf("%w for port %d: the host audit found no %s configuration for the process that holds it (%s)", ErrNoApplier, l.Port, what, who(l))
}

// sharedWith refuses a change to path when another running instance of the
// daemon (another pid) was started with that very file: vigil changes only
// the files of the instance that serves the finding.
func sharedWith[T any](list []T, pid func(T) int, file func(T) string, self int, path, what string) error {
	clean := filepath.Clean(path)
	for _, c := range list {
		if pid(c) != self && pid(c) > 0 && file(c) != "" && filepath.Clean(file(c)) == clean {
			return fmt.Errorf("%s is also the configuration of another %s (pid %d): vigil changes only the files of the %s that serves the finding; change it by hand, or give each instance a file of its own", path, what, pid(c), what)
		}
	}
	return nil
}

// Text renders the plan for people: what changes, the diffs, the commands
// in order, and the notes. Secrets are masked.
func (p *Plan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Finding %s: %s (%s, %s port %d)\n", p.Finding.ID, p.Finding.Title, p.Finding.Check, p.Finding.Host, p.Finding.Port)
	fmt.Fprintf(&b, "Plan (%s): %s\n", p.Applier, p.Summary)
	for _, e := range p.Edits {
		b.WriteString("\n")
		b.WriteString(maskAll(e.Diff(), p.Secret))
	}
	phase := func(title string, steps []Step) {
		if len(steps) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s:\n", title)
		for _, s := range steps {
			s.Secret = p.Secret
			line := s.String()
			if s.Why != "" {
				line += "    # " + s.Why
			}
			for i, l := range strings.Split(line, "\n") {
				if i == 0 {
					b.WriteString("  $ " + l + "\n")
				} else {
					b.WriteString("    " + l + "\n")
				}
			}
		}
	}
	phase("Then run", p.Apply)
	phase("Check", p.Validate)
	phase("Reload", p.Reload)
	phase("Verify", p.Verify)
	b.WriteString("\n")
	if len(p.Edits) > 0 {
		b.WriteString("Every changed file is backed up first. ")
	}
	b.WriteString("If a check, the reload or the verification fails, vigil undoes the change by itself.\n")
	if len(p.Notes) > 0 {
		b.WriteString("\nNotes:\n")
		for _, n := range p.Notes {
			b.WriteString("  - " + strings.ReplaceAll(maskAll(n, p.Secret), "\n", "\n    ") + "\n")
		}
	}
	return b.String()
}
