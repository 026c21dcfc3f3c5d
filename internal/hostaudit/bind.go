package hostaudit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/bind"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/trust"
)

// Limits of reading a named.conf: included files, and acls naming acls.
const (
	maxBindFiles   = 256
	maxBindACLDeep = 16
)

// bindDefaultConfigs are the files named reads without -c: Debian's build
// (sysconfdir /etc/bind) and Red Hat's. named has one compiled in; vigil
// takes the first that exists.
var bindDefaultConfigs = []string{"/etc/bind/named.conf", "/etc/named.conf"}

// namedArgs reads named's command line (named(8)): -c FILE and -t DIR,
// getopt style ("-c FILE" or "-cFILE", flags grouped as in "-gc FILE").
func namedArgs(argv []string) (file, chroot string) {
	const withArg = "cdDELMmnpStUuXx"
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if len(a) < 2 || a[0] != '-' || a == "--" {
			if a == "--" {
				break
			}
			continue
		}
		for j := 1; j < len(a); j++ {
			if !strings.ContainsRune(withArg, rune(a[j])) {
				continue
			}
			v := a[j+1:]
			if v == "" && i+1 < len(argv) {
				i++
				v = argv[i]
			}
			switch a[j] {
			case 'c':
				file = v
			case 't':
				chroot = v
			}
			break
		}
	}
	return file, chroot
}

// bindStmt is a statement of named.conf with the file it came from, and
// its block's statements with the files they include read in place.
type bindStmt struct {
	*bind.Statement
	file string
	kids []*bindStmt
}

// bindReader reads a named.conf and the files it includes.
type bindReader struct {
	t      Target
	chroot string
	files  []string // host paths read
	errs   []string
}

// host is where a path of named's lies on the machine.
func (r *bindReader) host(p string) string {
	if r.chroot == "" {
		return p
	}
	return filepath.Join(r.chroot, p)
}

// read reads one file (a path as named sees it) into statements.
func (r *bindReader) read(ctx context.Context, p string, depth int) []*bindStmt {
	if depth > maxIncludeDepth {
		r.errs = append(r.errs, fmt.Sprintf("%s: include nested more than %d deep", p, maxIncludeDepth))
		return nil
	}
	if len(r.files) >= maxBindFiles {
		r.errs = append(r.errs, fmt.Sprintf("%s: more than %d files included", p, maxBindFiles))
		return nil
	}
	hp := r.host(p)
	b, err := r.t.ReadFile(ctx, hp)
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("cannot read %s: %v", hp, err))
		return nil
	}
	r.files = append(r.files, hp)
	return r.expand(ctx, bind.Parse(b), hp, depth)
}

// expand wraps statements, reading include statements in place (named
// allows them anywhere a statement may stand). A relative include is
// resolved by named against the directory it was started in, which vigil
// cannot see: it is reported, not guessed.
func (r *bindReader) expand(ctx context.Context, sts []*bind.Statement, file string, depth int) []*bindStmt {
	var out []*bindStmt
	for _, st := range sts {
		if st.Name == "include" && !st.Block {
			if len(st.Args) != 1 {
				r.errs = append(r.errs, fmt.Sprintf("%s:%d: include without one file name", file, st.Line))
				continue
			}
			pat := st.Args[0]
			if !path.IsAbs(pat) {
				r.errs = append(r.errs, fmt.Sprintf("%s:%d: include %q is relative: named resolves it against the directory it was started in, which vigil cannot see", file, st.Line, pat))
				continue
			}
			files, err := glob(ctx, r.t, r.host(pat))
			if err != nil {
				r.errs = append(r.errs, fmt.Sprintf("%s:%d: cannot expand include %q: %v", file, st.Line, pat, err))
				continue
			}
			for _, f := range files {
				if r.chroot != "" {
					rel, err := filepath.Rel(r.chroot, f)
					if err != nil || strings.HasPrefix(rel, "..") {
						continue
					}
					f = "/" + rel
				}
				out = append(out, r.read(ctx, f, depth+1)...)
			}
			continue
		}
		out = append(out, &bindStmt{Statement: st, file: file, kids: r.expand(ctx, st.Children, file, depth)})
	}
	return out
}

// bindText renders a statement for evidence, on one line.
func bindText(st *bindStmt) string {
	var b strings.Builder
	var write func(s *bindStmt)
	write = func(s *bindStmt) {
		words := append([]string{s.Name}, s.Args...)
		for i, w := range words {
			if w == "" {
				continue
			}
			if i > 0 || b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
				b.WriteString(" ")
			}
			if strings.ContainsAny(w, " \t;{}\"") || s.Name == "zone" && i == 1 || s.Name == "view" && i == 1 {
				w = `"` + strings.ReplaceAll(w, `"`, `\"`) + `"`
			}
			b.WriteString(w)
		}
		if s.Block {
			b.WriteString(" {")
			for _, k := range s.kids {
				b.WriteString(" ")
				write(k)
			}
			b.WriteString(" }")
		}
		b.WriteString(";")
	}
	write(st)
	return strings.TrimSpace(b.String())
}

// bindFind returns the first statement called name among sts.
func bindFind(sts []*bindStmt, name string) *bindStmt {
	for _, s := range sts {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// bindMatch is how an address match list treats an address of the
// Internet: one in no prefix the list names, neither localhost nor
// localnets, holding no key.
type bindMatch int

const (
	bindNoMatch bindMatch = iota
	bindAllow
	bindDeny
)

// bindACLs are the acl statements of a configuration, by name.
type bindACLs map[string]*bindStmt

// judge evaluates an address match list's elements in order, as named
// does: the first element that matches decides, a "!" reverses it, a
// nested list or acl matches when its own first matching element does.
func (acls bindACLs) judge(elems []*bindStmt, depth int) (bindMatch, error) {
	if depth > maxBindACLDeep {
		return bindNoMatch, errors.New("acls name each other more than 16 deep (a loop?)")
	}
	for _, e := range elems {
		words := append([]string{e.Name}, e.Args...)
		neg := false
		for len(words) > 0 && strings.HasPrefix(words[0], "!") {
			neg = !neg
			words[0] = strings.TrimPrefix(words[0], "!")
			if words[0] == "" {
				words = words[1:]
			}
		}
		var m bindMatch
		switch {
		case e.Block && len(words) == 0:
			r, err := acls.judge(e.kids, depth+1)
			if err != nil {
				return bindNoMatch, err
			}
			m = r
		case len(words) == 0:
			continue
		case words[0] == "key" || words[0] == "geoip":
			// A TSIG key or a location: not an address of the Internet as such.
		default:
			w := strings.ToLower(words[0])
			switch {
			case w == "any":
				m = bindAllow
			case w == "none" || w == "localhost" || w == "localnets":
			case bindAllAddresses(w):
				m = bindAllow
			case bindIsAddress(w):
			default:
				a, ok := acls[words[0]]
				if !ok {
					return bindNoMatch, fmt.Errorf("acl %q is not defined", sanitize.String(words[0], 64))
				}
				r, err := acls.judge(a.kids, depth+1)
				if err != nil {
					return bindNoMatch, err
				}
				m = r
			}
		}
		if m == bindNoMatch {
			continue
		}
		if neg {
			if m == bindAllow {
				m = bindDeny
			} else {
				m = bindAllow
			}
		}
		return m, nil
	}
	return bindNoMatch, nil
}

// bindAllAddresses reports whether an element is a prefix of length 0
// (0/0, 0.0.0.0/0, ::/0): every address of its family.
func bindAllAddresses(w string) bool {
	a, bits, ok := strings.Cut(w, "/")
	return ok && bits == "0" && bindIsAddress(a)
}

// bindIsAddress reports whether an element is an address or prefix; named
// accepts abbreviated IPv4 prefixes (10/8, 192.168/16).
func bindIsAddress(w string) bool {
	a, _, _ := strings.Cut(w, "/")
	if _, err := netip.ParseAddr(a); err == nil {
		return true
	}
	parts := strings.Split(a, ".")
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return len(parts) <= 4
}

// bindList is the elements of an address match list as written.
func bindList(st *bindStmt) []string {
	var out []string
	for _, k := range st.kids {
		out = append(out, sanitize.String(strings.TrimSuffix(bindText(k), ";"), 128))
	}
	return out
}

// bindScope is where options are looked up: a zone, its view, the options.
type bindScope [][]*bindStmt

// find returns the first statement name in the innermost scope that has one.
func (sc bindScope) find(name string) *bindStmt {
	for _, s := range sc {
		if st := bindFind(s, name); st != nil {
			return st
		}
	}
	return nil
}

// collectBind learns a named's configuration: -c FILE (else the
// distribution's default) inside its -t chroot, and what it includes.
func collectBind(ctx context.Context, df *asDaemon) (facts.BindConfig, []string) {
	t, p := Target(df), df.d
	file, chroot := namedArgs(p.argv())
	r := &bindReader{t: t, chroot: chroot}
	if file == "" {
		file = bindDefaultConfigs[0]
		for _, f := range bindDefaultConfigs {
			if _, err := t.ReadFile(ctx, r.host(f)); err == nil {
				file = f
				break
			}
		}
	}
	cfg := facts.BindConfig{PID: p.PID, ConfigFile: sanitize.String(file, 512), Chroot: sanitize.String(chroot, 512), Sources: map[string]string{}}
	var top []*bindStmt
	if path.IsAbs(file) {
		top = r.read(ctx, file, 0)
	} else {
		r.errs = append(r.errs, fmt.Sprintf("the configuration file %q is relative: named resolves it against the directory it was started in, which vigil cannot see", file))
	}
	cfg.Incomplete = append(cfg.Incomplete, r.errs...)
	w := func(st *bindStmt) string { return where(df, st.file, st.Line, bindText(st)) }

	acls := bindACLs{}
	for _, s := range top {
		if s.Name == "acl" && len(s.Args) > 0 {
			if _, dup := acls[s.Args[0]]; !dup {
				acls[s.Args[0]] = s
			}
		}
	}
	var opts []*bindStmt
	if o := bindFind(top, "options"); o != nil {
		opts = o.kids
	}
	for _, k := range []string{"recursion", "allow-recursion", "allow-query-cache", "allow-query", "allow-transfer", "version", "listen-on"} {
		if st := bindFind(opts, k); st != nil {
			cfg.Sources[k] = w(st)
		}
	}
	if v := bindFind(opts, "version"); v != nil && len(v.Args) > 0 {
		cfg.Version, cfg.VersionSet = sanitize.String(v.Args[0], 128), true
	}
	listen := false
	for _, st := range opts {
		if st.Name == "listen-on" || st.Name == "listen-on-v6" {
			listen = listen || st.Name == "listen-on"
			cfg.ListenOn = append(cfg.ListenOn, bindList(st)...)
		}
	}
	if !listen {
		cfg.ListenOn = append([]string{"any"}, cfg.ListenOn...)
	}

	ev := bindEval{acls: acls, opts: opts, where: w, line: func(file string, line int, text string) string { return where(df, file, line, text) }}
	var views []*bindStmt
	for _, s := range top {
		if s.Name == "view" {
			views = append(views, s)
		}
	}
	if len(views) == 0 {
		// No view statement: named makes one view of the options and the
		// zones of the file.
		cfg.Views = append(cfg.Views, ev.view("", nil, top))
	}
	for _, v := range views {
		name, class := "", "in"
		if len(v.Args) > 0 {
			name = sanitize.String(v.Args[0], 128)
		}
		if len(v.Args) > 1 {
			class = strings.ToLower(v.Args[1])
		}
		switch class {
		case "chaos", "ch":
			if cfg.ChaosView == "" {
				cfg.ChaosView, cfg.ChaosVersion = name, bindChaosVersion(v.kids)
			}
		case "in", "internet":
			cfg.Views = append(cfg.Views, ev.view(name, v.kids, v.kids))
		}
	}
	var errs []string
	for _, e := range cfg.Incomplete {
		errs = append(errs, fmt.Sprintf("named (pid %d): %s", p.PID, e))
	}
	for i, e := range cfg.Incomplete {
		cfg.Incomplete[i] = sanitize.String(e, 512)
	}
	if len(cfg.Incomplete) == 0 {
		cfg.Checkconf = bindCheckconf(ctx, df, r.files)
	}
	cfg.Daemon = p.facts(filesNote(df))
	return cfg, errs
}

// bindEval works out the effective settings of views and zones.
type bindEval struct {
	acls  bindACLs
	opts  []*bindStmt // the options block's statements
	where func(st *bindStmt) string
	// line names a line of a file for evidence, with the text given.
	line func(file string, line int, text string) string
}

// open judges an address match list: whether it lets any address in, or
// why it cannot be judged.
func (ev bindEval) open(st *bindStmt) (bool, string) {
	m, err := ev.acls.judge(st.kids, 0)
	if err != nil {
		return false, fmt.Sprintf("%s: %v", ev.where(st), err)
	}
	return m == bindAllow, ""
}

// view works out one view of class IN: own are its statements (none
// without view statements), zones the statements holding its zones.
func (ev bindEval) view(name string, own, zones []*bindStmt) facts.BindView {
	sc := bindScope{own, ev.opts}
	bv := facts.BindView{Name: name, Recursion: true}
	// A view serves only the clients and addresses it matches.
	reach, reachWhy := true, ""
	for _, k := range []string{"match-clients", "match-destinations"} {
		if st := bindFind(own, k); st != nil {
			ok, why := ev.open(st)
			reach = reach && ok
			if why != "" {
				reachWhy = why
			}
		}
	}
	if st := sc.find("recursion"); st != nil {
		bv.Recursion = len(st.Args) > 0 && bindYes(st.Args[0])
		bv.RecursionFrom = ev.where(st)
	}
	var acl *bindStmt
	for _, k := range []string{"allow-recursion", "allow-query-cache", "allow-query"} {
		if acl = sc.find(k); acl != nil {
			bv.AllowRecursionBy = k
			break
		}
	}
	if acl != nil && bv.AllowRecursionBy == "allow-query" && !bv.Recursion {
		acl = nil // "unless recursion no; is set, in which case none; is used"
	}
	switch {
	case acl != nil:
		bv.AllowRecursion = bindList(acl)
		bv.AllowRecursionFrom = ev.where(acl)
		ok, why := ev.open(acl)
		bv.RecursionOpen = ok && reach
		bv.Unresolved = why
	case !bv.Recursion:
		bv.AllowRecursion, bv.AllowRecursionBy = []string{"none"}, "default"
	default:
		bv.AllowRecursion, bv.AllowRecursionBy = []string{"localnets", "localhost"}, "default"
	}
	if reachWhy != "" {
		bv.Unresolved = reachWhy
	}
	for _, z := range zones {
		if z.Name != "zone" || len(z.Args) == 0 {
			continue
		}
		bz := facts.BindZone{Name: sanitize.String(z.Args[0], 256), Source: ev.line(z.file, z.Line, "zone \""+z.Args[0]+"\"")}
		if ty := bindFind(z.kids, "type"); ty != nil && len(ty.Args) > 0 {
			bz.Type = sanitize.String(strings.ToLower(ty.Args[0]), 32)
		}
		if st := (bindScope{z.kids, own, ev.opts}).find("allow-transfer"); st != nil {
			bz.AllowTransfer = bindList(st)
			bz.TransferFrom = ev.where(st)
			ok, why := ev.open(st)
			bz.TransferOpen, bz.Unresolved = ok && reach, why
		} else {
			bz.TransferOpen = reach // 9.18: transfers to all hosts by default
		}
		if reachWhy != "" {
			bz.Unresolved = reachWhy
		}
		bv.Zones = append(bv.Zones, bz)
	}
	return bv
}

// bindChaosVersion says how a CHAOS view serves version.bind: its zone's
// database or file, or "" when it has no such zone.
func bindChaosVersion(kids []*bindStmt) string {
	for _, z := range kids {
		if z.Name != "zone" || len(z.Args) == 0 || !strings.EqualFold(strings.TrimSuffix(z.Args[0], "."), "version.bind") {
			continue
		}
		if d := bindFind(z.kids, "database"); d != nil && len(d.Args) > 0 {
			return sanitize.String(d.Args[0], 128)
		}
		if f := bindFind(z.kids, "file"); f != nil && len(f.Args) > 0 {
			return sanitize.String("file "+f.Args[0], 256)
		}
		return "zone without database"
	}
	return ""
}

// bindYes reads named.conf's booleans.
func bindYes(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "true", "1":
		return true
	}
	return false
}

// bindCheckconfDirs are where vigil looks for named-checkconf, the
// packaged tool that parses a named.conf as named does. It is not named
// (vigil never runs the daemon's own binary): vigil runs it as root on a
// changed configuration only when it is root's and in one of these
// directories, every directory above it root's and writable by nobody
// else, and every file the configuration reads is root's too (so that no
// other user chooses what root parses).
var bindCheckconfDirs = []string{"/usr/sbin", "/usr/bin"}

// bindCheckconf returns the named-checkconf vigil may run for this
// configuration, or "".
func bindCheckconf(ctx context.Context, df *asDaemon, files []string) string {
	if !isLocal(df.Target) {
		return "" // fixes run on this machine only
	}
	for _, f := range files {
		if _, err := trust.Resolve(ctx, df.sc.stat, f, trust.Root); err != nil {
			return ""
		}
	}
	for _, dir := range bindCheckconfDirs {
		r, err := trust.Resolve(ctx, df.sc.stat, dir+"/named-checkconf", trust.Root)
		if err != nil || r.Info.Mode.Perm()&0o111 == 0 || !r.Info.Mode.IsRegular() {
			continue
		}
		if slices.Contains(bindCheckconfDirs, path.Dir(r.Path)) && path.Base(r.Path) == "named-checkconf" {
			return r.Path
		}
	}
	return ""
}

// bindCollector reads named.conf and what it includes.
var bindCollector = daemonCollector{
	protocol: proto.DNS,
	plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
		file, chroot := namedArgs(p.argv())
		if file == "" {
			return nil, append([]string(nil), bindDefaultConfigs...)
		}
		if !path.IsAbs(file) {
			return nil, nil
		}
		return nil, []string{filepath.Join(chroot, file)}
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectBind(ctx, in.df)
		return func(h *facts.HostAudit) { h.Bind = append(h.Bind, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) { sortByPID(h.Bind, func(c facts.BindConfig) int { return c.PID }) },
}
