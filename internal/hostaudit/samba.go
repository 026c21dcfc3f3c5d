package hostaudit

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/samba"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/trust"
)

// sambaDefaultConfig is where smbd reads its configuration when its
// command line names none (Debian's and Samba's default).
const sambaDefaultConfig = "/etc/samba/smb.conf"

// sambaInvocation is what an smbd command line says: its configuration
// file (-s FILE, -sFILE, --configfile=FILE, --configfile FILE) and the
// parameters it sets itself (--option=NAME=VALUE, -p/--port PORTS), which
// win over the file's (smbd(8); lp_set_cmdline).
type sambaInvocation struct {
	file    string
	options []string // "name=value"
	ports   string
}

// sambaArgs reads an smbd command line.
func sambaArgs(argv []string) sambaInvocation {
	inv := sambaInvocation{file: sambaDefaultConfig}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		next := func() (string, bool) {
			if i+1 < len(argv) {
				i++
				return argv[i], true
			}
			return "", false
		}
		switch {
		case a == "-s" || a == "--configfile":
			if v, ok := next(); ok {
				inv.file = v
			}
		case strings.HasPrefix(a, "--configfile="):
			inv.file = strings.TrimPrefix(a, "--configfile=")
		case strings.HasPrefix(a, "-s") && !strings.HasPrefix(a, "--"):
			inv.file = a[2:]
		case a == "--option":
			if v, ok := next(); ok {
				inv.options = append(inv.options, v)
			}
		case strings.HasPrefix(a, "--option="):
			inv.options = append(inv.options, strings.TrimPrefix(a, "--option="))
		case a == "-p" || a == "--port":
			if v, ok := next(); ok {
				inv.ports = v
			}
		case strings.HasPrefix(a, "--port="):
			inv.ports = strings.TrimPrefix(a, "--port=")
		case a == "-d" || a == "--debuglevel" || a == "-l" || a == "--log-basename" || a == "-P" || a == "--profiling-level" || a == "-O" || a == "--socket-options":
			next() // options that take a value vigil does not need
		}
	}
	return inv
}

// The settings the Samba judges need, by the name smb.conf(5) gives them.
const (
	sambaMinProtocol = "server min protocol"
	sambaSigning     = "server signing"
	sambaRole        = "server role"
	sambaMapToGuest  = "map to guest"
	sambaGuestOK     = "guest ok"
)

// sambaValue is the effective value of one setting while a configuration
// is read in smbd's order.
type sambaValue struct {
	value  string
	source string // where: "FILE:LINE: text"; "" at the default
	unsure string // why the value cannot be relied upon; "" when it can
}

// sambaShare is one share while a configuration is read.
type sambaShare struct {
	name  string
	guest bool
	sambaValue
}

// collectSamba learns an smbd's configuration: the file its command line
// names (or /etc/samba/smb.conf), the file a "config file" line moves it
// to, and what they include, read as smbd reads them (internal/conf/samba),
// then the --option parameters of its command line. Samba's defaults apply
// to what they leave out (smb.conf(5) of Samba 4.17): server min protocol
// SMB2_02, server signing default (required on an Active Directory domain
// controller only), server role auto, map to guest Never, guest ok no,
// bind interfaces only no, smb ports 445 139.
func collectSamba(ctx context.Context, df *asDaemon) (facts.SambaConfig, []string) {
	p := df.d
	inv := sambaArgs(p.argv())
	cfg := facts.SambaConfig{PID: p.PID, ConfigFile: sanitize.String(inv.file, 512), Sources: map[string]string{}, Unknown: map[string]string{}}
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, sanitize.String(fmt.Sprintf("smbd (pid %d): ", p.PID)+fmt.Sprintf(format, args...), 1024))
	}
	file := inv.file
	if !path.IsAbs(file) {
		// smbd opens a relative name from its working directory.
		file = "/proc/" + strconv.Itoa(p.PID) + "/cwd/" + file
	}
	l, err := samba.Load(file, func(name string) ([]byte, error) { return df.ReadFile(ctx, name) })
	if err != nil {
		fail("cannot read %s: %v", inv.file, err)
		for _, k := range []string{sambaMinProtocol, sambaSigning, sambaRole, sambaMapToGuest, sambaGuestOK} {
			cfg.Unknown[k] = sanitize.String("vigil could not read "+inv.file+": "+err.Error(), 512)
		}
		sambaDaemon(ctx, df, &cfg)
		return cfg, errs
	}
	cfg.ReadFrom = sanitize.String(l.Main, 512)
	for _, f := range l.Files {
		cfg.Files = append(cfg.Files, sanitize.String(f, 512))
	}
	if l.Ignored != "" && !strings.Contains(l.Ignored, "does not exist") {
		fail("%s", l.Ignored)
		if strings.Contains(l.Ignored, "depends on the client") || strings.Contains(l.Ignored, "working directory") {
			for _, k := range []string{sambaMinProtocol, sambaSigning, sambaRole, sambaMapToGuest, sambaGuestOK} {
				cfg.Unknown[k] = sanitize.String(l.Ignored, 512)
			}
		}
	}
	for _, e := range l.Redirects {
		cfg.Sources["config file"] = where(df, e.File, e.Line, e.Name+" = "+e.Value)
	}
	for _, e := range l.Unread() {
		fail("%s:%d: include = %s was not followed: %s", e.File, e.Line, e.Value, e.Unread)
	}

	globals := map[string]*sambaValue{
		sambaMinProtocol: {value: "SMB2_02"},
		sambaSigning:     {value: "default"},
		sambaRole:        {value: "auto"},
		sambaMapToGuest:  {value: "never"},
		sambaGuestOK:     {value: "no"}, // the default every share starts from
	}
	keyOf := map[string]string{
		"serverminprotocol": sambaMinProtocol, "serversigning": sambaSigning, "serverrole": sambaRole,
		"maptoguest": sambaMapToGuest, "guestok": sambaGuestOK,
		"interfaces": "interfaces", "bindinterfacesonly": "bind interfaces only", "smbports": "smb ports",
	}
	others := map[string]*sambaValue{"interfaces": {}, "bind interfaces only": {value: "no"}, "smb ports": {value: "445 139"}}
	var shares []*sambaShare
	byKey := map[string]*sambaShare{}
	normal := func(k, v string) (string, bool) {
		switch k {
		case sambaMinProtocol:
			n, _, ok := samba.Protocol(v)
			return n, ok
		case sambaSigning:
			return samba.Signing(v)
		case sambaRole:
			return strings.ToLower(strings.Join(strings.Fields(v), " ")), v != ""
		case sambaMapToGuest:
			return samba.MapToGuest(v)
		case sambaGuestOK, "bind interfaces only":
			on, ok := samba.Bool(v)
			return map[bool]string{true: "yes", false: "no"}[on], ok
		}
		return v, true
	}
	for _, e := range l.Entries {
		w := func() string { return where(df, e.File, e.Line, e.Name+" = "+e.Value) }
		switch {
		case e.Unread != "":
			why := fmt.Sprintf("%s:%d includes %s, which vigil did not read (%s)", e.File, e.Line, e.Value, e.Unread)
			for _, v := range globals {
				v.unsure = why
			}
			for _, s := range shares {
				s.unsure = why
			}
		case e.Key == "" && e.Section != "" && e.Section != "global":
			if byKey[e.Section] == nil { // Samba copies the [global] defaults when it creates a share
				s := &sambaShare{name: e.SectionName, sambaValue: *globals[sambaGuestOK]}
				s.guest = s.value == "yes"
				byKey[e.Section] = s
				shares = append(shares, s)
			}
		case e.Key == "":
		case e.Section == "":
			// After an include vigil could not read: the section is unknown.
			k := keyOf[samba.Synonym(e.Key)]
			why := fmt.Sprintf("%s:%d sets %s after an include vigil did not read, in a section vigil cannot tell", e.File, e.Line, e.Name)
			if v := globals[k]; v != nil {
				v.unsure = why
			}
			if k == sambaGuestOK {
				for _, s := range shares {
					s.unsure = why
				}
			}
		case e.Section == "global":
			k := keyOf[samba.Synonym(e.Key)]
			v := globals[k]
			if v == nil {
				v = others[k]
			}
			if v == nil {
				continue
			}
			if n, ok := normal(k, e.Value); ok {
				*v = sambaValue{value: n, source: w()}
			}
		default: // a share: only its own (S) parameters count there
			s := byKey[e.Section]
			if s == nil || keyOf[samba.Synonym(e.Key)] != sambaGuestOK {
				continue
			}
			if n, ok := normal(sambaGuestOK, e.Value); ok {
				s.sambaValue = sambaValue{value: n, source: w()}
				s.guest = n == "yes"
			}
		}
	}
	for _, o := range inv.options {
		name, val, ok := strings.Cut(o, "=")
		if !ok {
			continue
		}
		k := keyOf[samba.Synonym(samba.Canonical(name))]
		v := globals[k]
		if v == nil {
			v = others[k]
		}
		if v == nil || k == sambaGuestOK {
			continue
		}
		if n, ok := normal(k, val); ok {
			*v = sambaValue{value: n, source: sanitize.String("command line: --option="+redact.String(o), 512)}
		}
	}
	if inv.ports != "" {
		others["smb ports"] = &sambaValue{value: inv.ports, source: sanitize.String("command line: --port "+inv.ports, 512)}
	}

	set := func(k string, v *sambaValue, dst *string) {
		*dst = sanitize.String(v.value, 128)
		if v.source != "" {
			cfg.Sources[k] = v.source
		}
		if v.unsure != "" {
			cfg.Unknown[k] = sanitize.String(v.unsure, 512)
		}
	}
	set(sambaMinProtocol, globals[sambaMinProtocol], &cfg.MinProtocol)
	set(sambaSigning, globals[sambaSigning], &cfg.Signing)
	set(sambaRole, globals[sambaRole], &cfg.ServerRole)
	set(sambaMapToGuest, globals[sambaMapToGuest], &cfg.MapToGuest)
	for _, s := range shares {
		key := sambaGuestOK + " [" + sanitize.String(s.name, 128) + "]"
		switch {
		case s.unsure != "":
			cfg.Unknown[key] = sanitize.String(s.unsure, 512)
		case s.guest:
			cfg.GuestShares = append(cfg.GuestShares, sanitize.String(s.name, 128))
			if s.source != "" {
				cfg.Sources[key] = s.source
			}
		}
	}
	for _, f := range strings.FieldsFunc(others["interfaces"].value, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		cfg.Interfaces = append(cfg.Interfaces, sanitize.String(f, 128))
	}
	cfg.BindInterfacesOnly = others["bind interfaces only"].value == "yes"
	for _, f := range strings.FieldsFunc(others["smb ports"].value, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
		if n, err := strconv.Atoi(f); err == nil && n > 0 && n < 65536 {
			cfg.Ports = append(cfg.Ports, n)
		}
	}
	for _, k := range []string{"interfaces", "bind interfaces only", "smb ports"} {
		if s := others[k].source; s != "" {
			cfg.Sources[k] = s
		}
	}
	if len(cfg.Unknown) == 0 {
		cfg.Unknown = nil
	}
	sambaDaemon(ctx, df, &cfg)
	return cfg, errs
}

// sambaDaemon records how far the smbd was trusted and the testparm vigil
// may run for it.
func sambaDaemon(ctx context.Context, df *asDaemon, cfg *facts.SambaConfig) {
	var note string
	cfg.Testparm, note = sambaTestparm(ctx, df)
	var notes []string
	for _, n := range []string{filesNote(df), note} {
		if n != "" {
			notes = append(notes, n)
		}
	}
	cfg.Daemon = df.d.facts(strings.Join(notes, "; "))
}

// sambaTestparm finds the testparm vigil may run, as root, to check a
// changed configuration of this smbd before reloading it (smbd itself
// cannot check one). It is the testparm installed with the running smbd
// binary: beside it, or in the bin directory next to its sbin directory
// (Debian's samba-common-bin puts /usr/bin/testparm by /usr/sbin/smbd).
// It is trusted on the rule vigil applies to any binary it runs as root
// (trust.CheckExe): the smbd runs as root, its binary was not replaced
// since it started, and testparm and every directory above it are root's
// and writable by no one else, so no other user could have put a program
// there. testparm is only ever run on a file vigil fix wrote under its
// own guard. note says why there is none.
func sambaTestparm(ctx context.Context, df *asDaemon) (exe, note string) {
	if df.d.owners != trust.Root {
		return "", "vigil does not run testparm for an smbd that does not run as root"
	}
	bin := df.sc.exeOf(ctx, df.d.PID)
	if bin == "" || strings.HasSuffix(bin, " (deleted)") || path.Base(bin) != "smbd" {
		return "", "vigil does not run testparm: the smbd binary cannot be seen, or was replaced after smbd started"
	}
	r, err := trust.Resolve(ctx, df.sc.stat, bin, trust.Root)
	if err != nil {
		return "", fmt.Sprintf("vigil does not run testparm: %v", err)
	}
	dir := path.Dir(r.Path)
	candidates := []string{path.Join(dir, "testparm")}
	if path.Base(dir) == "sbin" {
		candidates = append(candidates, path.Join(path.Dir(dir), "bin", "testparm"))
	}
	for _, c := range candidates {
		t, err := trust.Resolve(ctx, df.sc.stat, c, trust.Root)
		if err == nil && t.Info.Mode.IsRegular() && t.Info.Mode.Perm()&0o111 != 0 && path.Base(t.Path) == "testparm" {
			return t.Path, ""
		}
	}
	return "", fmt.Sprintf("vigil found no testparm it trusts beside %s (%s)", r.Path, strings.Join(candidates, ", "))
}

// sambaCollector reads smb.conf, what it includes and where "config
// file" moves it.
var sambaCollector = daemonCollector{
	protocol: proto.SMB,
	// smbd forks a child per client connection and helpers (its parent
	// is smbd: daemonMasters leaves them out; smbd-notifyd and cleanupd
	// have names of their own). smbd -b and -V only print and exit.
	helper: func(p *process) bool {
		for _, a := range p.Args[min(1, len(p.Args)):] {
			switch a {
			case "-b", "--build-options", "-V", "--version":
				return true
			}
		}
		return false
	},
	plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
		if f := sambaArgs(p.argv()).file; path.IsAbs(f) {
			return nil, []string{f}
		}
		return nil, nil
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectSamba(ctx, in.df)
		return func(h *facts.HostAudit) { h.Samba = append(h.Samba, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) { sortByPID(h.Samba, func(c facts.SambaConfig) int { return c.PID }) },
}
