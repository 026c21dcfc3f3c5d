package hostaudit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/apache"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// Apache httpd's configuration, read as httpd 2.4 reads it
// (https://httpd.apache.org/docs/2.4/configuring.html): the main file is
// -f FILE (relative to the server root), else the build's default; the
// server root is -d DIR, else the build's default, and a ServerRoot
// directive changes it for what follows. Include and IncludeOptional take
// files, wildcards or directories relative to the server root
// (https://httpd.apache.org/docs/2.4/mod/core.html#include). <IfModule>
// holds when the module is loaded by then, <IfDefine> when the name was
// given with -D or Define; ${NAME} is a Define's value, else the
// environment's (https://httpd.apache.org/docs/2.4/mod/core.html#define).

// apacheInvocation is what an httpd command line says of its configuration.
type apacheInvocation struct {
	file, root string
	defines    []string
	// before and after are the -C and -c directives.
	before, after []string
	// options are the options that change what httpd reads, in order.
	options []string
}

// apacheDefaults are the main file and server root of each binary name as
// distributions build them: Debian's apache2, Red Hat's and Alpine's httpd.
var apacheDefaults = map[string][2]string{
	"apache2": {"/etc/apache2/apache2.conf", "/etc/apache2"},
	"httpd":   {"conf/httpd.conf", "/etc/httpd"},
}

// apacheArgs reads "apache2 -k start -f FILE -d DIR -D NAME -C 'Directive'"
// (options may be joined to their values, as getopt allows); comm picks
// the defaults.
func apacheArgs(comm string, argv []string) apacheInvocation {
	def, ok := apacheDefaults[comm]
	if !ok {
		def = apacheDefaults["apache2"]
	}
	inv := apacheInvocation{}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if len(a) < 2 || a[0] != '-' || !strings.ContainsRune("CcDdEefkR", rune(a[1])) {
			continue
		}
		opt, val := a[:2], a[2:]
		if val == "" {
			if i+1 >= len(argv) {
				break
			}
			i++
			val = argv[i]
		}
		switch opt {
		case "-f":
			inv.file = val
		case "-d":
			inv.root = val
			inv.options = append(inv.options, "-d", val)
		case "-D":
			inv.defines = append(inv.defines, val)
			inv.options = append(inv.options, "-D", val)
		case "-C":
			inv.before = append(inv.before, val)
			inv.options = append(inv.options, "-C", val)
		case "-c":
			inv.after = append(inv.after, val)
			inv.options = append(inv.options, "-c", val)
		}
	}
	if inv.root == "" {
		inv.root = def[1]
	}
	if inv.file == "" {
		inv.file = def[0]
	}
	if !path.IsAbs(inv.file) {
		inv.file = path.Join(inv.root, inv.file)
	}
	return inv
}

// maxApacheFiles bounds the files one configuration includes.
const maxApacheFiles = 512

// apacheCmdline stands for the file of -C and -c directives.
const apacheCmdline = "command line"

// staticApacheModules are compiled into Debian's and Red Hat's httpd
// (apache2 -l): <IfModule> holds for them without LoadModule.
var staticApacheModules = []string{"core", "so", "watchdog", "http", "log_config", "logio", "version", "unixd", "mpm_common"}

// apacheSecretName says an environment variable's value may be a
// credential: it is not kept.
var apacheSecretName = regexp.MustCompile(`(?i)pass|secret|token|key|cred|auth`)

// apacheVarRef is a ${NAME} reference.
var apacheVarRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// apacheLoc is a <Location> being read.
type apacheLoc struct {
	path, section string
	// handler is the last SetHandler's, lower case; set says there was one.
	handler string
	set     bool
	// access are the access lines as read; open says whether they leave
	// the page open (decided at the end of the section).
	access []string
	authz  *apacheAuthz
}

// apacheAuthz is a Require container (RequireAny, RequireAll,
// RequireNone) or one access line.
type apacheAuthz struct {
	kind string // any, all, none, or the line's directive (require, allow, deny, order, satisfy)
	args []string
	kids []*apacheAuthz
}

// open reports whether an authorization container lets anyone in: a
// RequireAny (the default for Require lines side by side) when one of its
// members does, a RequireAll when all of its positive members do; Require
// not … only narrows. An empty container limits nothing.
func (a *apacheAuthz) open() bool {
	var pos []bool
	for _, k := range a.kids {
		switch k.kind {
		case "require":
			if len(k.args) > 0 && strings.EqualFold(k.args[0], "not") {
				continue
			}
			pos = append(pos, len(k.args) >= 2 && strings.EqualFold(k.args[0], "all") && strings.EqualFold(k.args[1], "granted"))
		case "allow":
			// mod_access_compat: Allow from all opens, anything else limits.
			pos = append(pos, len(k.args) >= 2 && strings.EqualFold(k.args[len(k.args)-1], "all"))
		case "deny":
			if len(k.args) >= 2 && strings.EqualFold(k.args[len(k.args)-1], "all") {
				pos = append(pos, false)
			}
		case "order", "satisfy":
		case "none":
			// RequireNone only takes away: it grants nobody by itself.
		case "unknown":
			// Access under a condition vigil does not evaluate (<If>,
			// <Limit>): taken as limiting.
			if len(k.kids) > 0 {
				pos = append(pos, false)
			}
		case "any", "all":
			pos = append(pos, k.open())
		}
	}
	if len(pos) == 0 {
		return true
	}
	if a.kind == "all" {
		return !slices.Contains(pos, false)
	}
	return slices.Contains(pos, true)
}

// apacheScope is where a directive is: the server (main or virtual host),
// the Location and Require container, or the Directory it is in.
type apacheScope struct {
	srv   *apacheServer
	loc   *apacheLoc
	authz *apacheAuthz
	dir   *apacheDirSec
	// other says it is in a section vigil does not evaluate (<Files>,
	// <If>, <Directory ~ …>…): only what it includes, loads and defines
	// counts.
	other bool
}

// apacheDirSec is a <Directory> section being read.
type apacheDirSec struct {
	path, section string
	// vhost says it is in a virtual host (merged after the main server's).
	vhost bool
	order int
	opts  []apacheOptions
}

// apacheOptions is one Options line.
type apacheOptions struct {
	args  []string
	where string
}

// apacheWalk reads one httpd's configuration files.
type apacheWalk struct {
	ctx     context.Context
	t       Target
	root    string
	defines map[string]string
	env     map[string]string
	vars    map[string]string
	modules map[string]bool
	files   int
	order   int
	rootSrc string
	listen  []string
	unread  []string
	errs    []string
	servers []*apacheServer
}

// apacheServer is the main server or a virtual host while it is read.
type apacheServer struct {
	facts.ApacheServer
	trace, traceSrc string
	pages           []*apacheLoc
	// docroot is its DocumentRoot ("" when unset); opts its Options
	// outside any Directory; dirs its <Directory> sections.
	docroot, docrootSrc string
	opts                []apacheOptions
	dirs                []*apacheDirSec
}

// subst replaces ${NAME} with a Define's value, else the environment's
// (httpd leaves an unknown one as it is).
func (w *apacheWalk) subst(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return apacheVarRef.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := w.defines[name]; ok {
			return v
		}
		if v, ok := w.env[name]; ok {
			if !apacheSecretName.MatchString(name) {
				w.vars[name] = v
			}
			return v
		}
		return m
	})
}

// abs makes a path from the configuration absolute against the server root.
func (w *apacheWalk) abs(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(w.root, p)
}

// loaded reports whether <IfModule arg> holds: arg is a module identifier
// (status_module) or its source file (mod_status.c).
func (w *apacheWalk) loaded(arg string) bool {
	return w.modules[apacheModuleName(arg)]
}

// apacheModuleName turns status_module, mod_status.c or mod_status.so into
// status.
func apacheModuleName(s string) string {
	s = path.Base(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".c"), ".so")
	s = strings.TrimSuffix(s, "_module")
	return strings.TrimPrefix(s, "mod_")
}

// file reads one configuration file into the server srv.
func (w *apacheWalk) file(p string, depth int, optional bool, sc apacheScope) {
	if depth > maxIncludeDepth {
		w.errs = append(w.errs, fmt.Sprintf("%s: Include nested more than %d deep", p, maxIncludeDepth))
		w.unread = append(w.unread, p)
		return
	}
	if w.files >= maxApacheFiles {
		w.errs = append(w.errs, fmt.Sprintf("%s: more than %d files included", p, maxApacheFiles))
		w.unread = append(w.unread, p)
		return
	}
	w.files++
	b, err := w.t.ReadFile(w.ctx, p)
	if err != nil {
		if optional && errors.Is(err, fs.ErrNotExist) {
			return // IncludeOptional: httpd skips a file that is not there
		}
		w.errs = append(w.errs, fmt.Sprintf("cannot read %s: %v", p, err))
		w.unread = append(w.unread, p)
		return
	}
	w.dirs(apache.Parse(b), p, depth, sc)
}

// include follows Include (optional false) or IncludeOptional.
func (w *apacheWalk) include(pat string, depth int, optional bool, sc apacheScope) {
	dir := strings.HasSuffix(pat, "/") && !strings.ContainsAny(pat, "*?[")
	pat = w.abs(pat)
	if dir {
		pat += "/*" // a directory: its files (httpd also reads subdirectories)
	}
	if !strings.ContainsAny(pat, "*?[") {
		w.file(pat, depth+1, optional, sc)
		return
	}
	files, err := glob(w.ctx, w.t, pat)
	if err != nil {
		w.errs = append(w.errs, fmt.Sprintf("cannot expand Include %s: %v", pat, err))
		w.unread = append(w.unread, pat)
		return
	}
	for _, f := range files {
		w.file(f, depth+1, optional, sc)
	}
}

// dirs reads directives in the scope of srv (and of a Location, and of a
// Require container).
func (w *apacheWalk) dirs(ds []*apache.Directive, file string, depth int, sc apacheScope) {
	srv, loc, authz := sc.srv, sc.loc, sc.authz
	for _, d := range ds {
		args := make([]string, len(d.Args))
		for i, a := range d.Args {
			args[i] = w.subst(a)
		}
		name := strings.ToLower(d.Name)
		text := strings.TrimSpace(d.Name + " " + strings.Join(d.Args, " "))
		if d.Section {
			text = "<" + text + ">"
		}
		at := func() string {
			if file == apacheCmdline {
				return sanitize.String("command line: "+text, 512)
			}
			return where(w.t, file, d.Line, text)
		}
		if d.Section {
			switch name {
			case "ifmodule":
				if len(args) == 1 {
					m, neg := strings.CutPrefix(args[0], "!")
					if w.loaded(m) != neg {
						w.dirs(d.Children, file, depth, sc)
					}
				}
			case "ifdefine":
				if len(args) == 1 {
					n, neg := strings.CutPrefix(args[0], "!")
					if _, ok := w.defines[n]; ok != neg {
						w.dirs(d.Children, file, depth, sc)
					}
				}
			case "ifversion", "ifdirective", "ifsection", "iffile":
				// Taken: vigil does not evaluate them, and a configuration
				// that httpd runs passes them as a rule.
				w.dirs(d.Children, file, depth, sc)
			case "virtualhost":
				if srv == w.servers[0] && loc == nil && sc.dir == nil && !sc.other {
					v := &apacheServer{}
					v.VirtualHost = sanitizeAll(args, 128)
					v.Section = at()
					w.servers = append(w.servers, v)
					w.dirs(d.Children, file, depth, apacheScope{srv: v})
					break
				}
				w.other(d, file, depth, sc)
			case "location", "locationmatch":
				if loc == nil && sc.dir == nil && !sc.other && len(args) > 0 {
					l := &apacheLoc{path: args[len(args)-1], section: at(), authz: &apacheAuthz{kind: "any"}}
					w.dirs(d.Children, file, depth, apacheScope{srv: srv, loc: l, authz: l.authz})
					if l.set || len(l.access) > 0 {
						srv.pages = append(srv.pages, l)
					}
					break
				}
				w.other(d, file, depth, sc)
			case "directory":
				// <Directory ~ regex> and wildcard paths are not evaluated.
				if loc == nil && sc.dir == nil && !sc.other && len(args) == 1 && path.IsAbs(args[0]) && !strings.ContainsAny(args[0], "*?[") {
					ds := &apacheDirSec{path: path.Clean(args[0]), section: at(), vhost: srv != w.servers[0], order: w.order}
					w.order++
					srv.dirs = append(srv.dirs, ds)
					w.dirs(d.Children, file, depth, apacheScope{srv: srv, dir: ds})
					break
				}
				w.other(d, file, depth, sc)
			case "requireany", "requireall", "requirenone":
				if loc != nil && authz != nil && !sc.other {
					a := &apacheAuthz{kind: strings.TrimPrefix(name, "require")}
					authz.kids = append(authz.kids, a)
					w.dirs(d.Children, file, depth, apacheScope{srv: srv, loc: loc, authz: a})
					break
				}
				w.other(d, file, depth, sc)
			default:
				w.other(d, file, depth, sc)
			}
			continue
		}
		if sc.other {
			switch name {
			case "include", "includeoptional", "define", "undefine", "loadmodule":
			case "require", "allow", "deny", "order", "satisfy":
				// Access inside <If>, <Limit>…: recorded, and counted as
				// limiting (see apacheAuthz.open), so that vigil never
				// calls open what it did not evaluate.
			default:
				continue
			}
		}
		switch name {
		case "define":
			if len(args) >= 1 {
				v := ""
				if len(args) >= 2 {
					v = args[1]
				}
				w.defines[args[0]] = v
			}
		case "undefine":
			if len(args) >= 1 {
				delete(w.defines, args[0])
			}
		case "serverroot":
			if len(args) == 1 && !sc.other {
				w.root, w.rootSrc = path.Clean(args[0]), at()
			}
		case "loadmodule":
			if len(args) >= 1 {
				w.modules[apacheModuleName(args[0])] = true
			}
		case "include", "includeoptional":
			if len(args) == 1 {
				w.include(args[0], depth, name == "includeoptional", sc)
			}
		case "listen":
			if len(args) >= 1 && srv == w.servers[0] {
				w.listen = append(w.listen, sanitize.String(args[0], 128))
			}
		case "documentroot":
			if len(args) == 1 && loc == nil && sc.dir == nil {
				srv.docroot, srv.docrootSrc = w.abs(args[0]), at()
			}
		case "options":
			switch {
			case loc != nil:
			case sc.dir != nil:
				sc.dir.opts = append(sc.dir.opts, apacheOptions{args: args, where: at()})
			default:
				srv.opts = append(srv.opts, apacheOptions{args: args, where: at()})
			}
		case "servername":
			if len(args) >= 1 && loc == nil {
				srv.ServerName = sanitize.String(args[0], 256)
			}
		case "traceenable":
			if len(args) == 1 && loc == nil {
				srv.trace, srv.traceSrc = strings.ToLower(args[0]), at()
			}
		case "sethandler":
			if loc != nil && len(args) == 1 {
				loc.handler, loc.set = strings.ToLower(args[0]), true
			}
		case "require", "allow", "deny", "order", "satisfy":
			if loc != nil && authz != nil {
				loc.access = append(loc.access, at())
				authz.kids = append(authz.kids, &apacheAuthz{kind: name, args: args})
			}
		}
	}
}

// other reads a section vigil does not evaluate for what it includes,
// loads and defines; inside a Location, its access lines count as an
// unknown condition.
func (w *apacheWalk) other(d *apache.Directive, file string, depth int, sc apacheScope) {
	sc.other = true
	if sc.loc != nil && sc.authz != nil {
		a := &apacheAuthz{kind: "unknown"}
		sc.authz.kids = append(sc.authz.kids, a)
		sc.authz = a
	}
	w.dirs(d.Children, file, depth, sc)
}

// sanitizeAll sanitizes each string.
func sanitizeAll(s []string, n int) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = sanitize.String(x, n)
	}
	return out
}

// collectApache learns a running httpd's configuration from its files.
func collectApache(ctx context.Context, df *asDaemon) (facts.ApacheConfig, []string) {
	p := df.d
	inv := apacheArgs(p.Comm, p.argv())
	cfg := facts.ApacheConfig{PID: p.PID, ConfigFile: sanitize.String(inv.file, 512), ServerRoot: sanitize.String(inv.root, 512),
		Options: sanitizeAll(inv.options, 512), Sources: map[string]string{}}
	w := &apacheWalk{ctx: ctx, t: df, root: inv.root, defines: map[string]string{}, env: p.Env, vars: map[string]string{}, modules: map[string]bool{}}
	for _, m := range staticApacheModules {
		w.modules[m] = true
	}
	for _, d := range inv.defines {
		w.defines[d] = ""
	}
	main := &apacheServer{}
	w.servers = []*apacheServer{main}
	cmdline := func(ds []string) {
		for _, d := range ds {
			w.dirs(apache.Parse([]byte(d)), apacheCmdline, 0, apacheScope{srv: main})
		}
	}
	cmdline(inv.before)
	w.file(inv.file, 0, false, apacheScope{srv: main})
	cmdline(inv.after)

	for m := range w.modules {
		if !slices.Contains(staticApacheModules, m) {
			cfg.Modules = append(cfg.Modules, sanitize.String(m+"_module", 64))
		}
	}
	slices.Sort(cfg.Modules)
	cfg.Listen = w.listen
	cfg.ServerRoot = sanitize.String(w.root, 512)
	cfg.Unread = sanitizeAll(w.unread, 512)
	if len(w.vars) > 0 {
		cfg.Variables = map[string]string{}
		for k, v := range w.vars {
			cfg.Variables[sanitize.String(k, 64)] = sanitize.String(v, 512)
		}
	}
	if main.traceSrc != "" {
		cfg.Sources["TraceEnable"] = main.traceSrc
	}
	if w.rootSrc != "" {
		cfg.Sources["ServerRoot"] = w.rootSrc
	}
	for _, s := range w.servers {
		out := s.ApacheServer
		out.Sources = map[string]string{}
		switch {
		case s.trace != "":
			out.TraceEnable, out.Sources["TraceEnable"] = s.trace, s.traceSrc
		case main.trace != "":
			out.TraceEnable, out.Sources["TraceEnable"] = main.trace, main.traceSrc
		default:
			out.TraceEnable = "on"
		}
		locs := s.pages
		if s != main {
			locs = append(slices.Clone(main.pages), s.pages...)
		}
		for _, l := range apacheMergePages(locs) {
			mod := map[string]string{"server-status": "status", "server-info": "info"}[l.handler]
			if !w.modules[mod] {
				continue
			}
			out.StatusPages = append(out.StatusPages, facts.ApacheStatusPage{Handler: l.handler, Path: sanitize.String(l.path, 256),
				Section: l.section, Access: l.access, Open: l.authz.open()})
		}
		if w.modules["autoindex"] {
			out.DocumentRoot, out.Listings = apacheListings(main, s)
		}
		cfg.Servers = append(cfg.Servers, out)
	}
	cfg.Daemon = p.facts(filesNote(df))
	var errs []string
	for _, e := range w.errs {
		errs = append(errs, fmt.Sprintf("apache2 (pid %d): %s", p.PID, e))
	}
	return cfg, errs
}

// apacheMergePages merges the Locations of one path, in the order httpd
// merges them (https://httpd.apache.org/docs/2.4/sections.html#merging):
// the main server's, then the virtual host's, each in the order of the
// files. The last SetHandler wins, and the last section with access lines
// decides access (AuthMerging Off, the default, lets a section's Require
// replace what came before). Where the page is is the section that set
// the handler.
func apacheMergePages(locs []*apacheLoc) []*apacheLoc {
	var out []*apacheLoc
	byPath := map[string]*apacheLoc{}
	for _, l := range locs {
		m, ok := byPath[l.path]
		if !ok {
			m = &apacheLoc{path: l.path, section: l.section, authz: &apacheAuthz{kind: "any"}}
			byPath[l.path] = m
			out = append(out, m)
		}
		if l.set {
			m.handler, m.set, m.section = l.handler, true, l.section
		}
		if len(l.access) > 0 {
			m.access, m.authz = l.access, l.authz
		}
	}
	return out
}

// apacheDefaultDocRoot is the DocumentRoot of Debian's and Red Hat's
// builds when the configuration sets none.
const apacheDefaultDocRoot = "/var/www/html"

// apacheIndexes applies one Options line to whether Indexes is on
// (https://httpd.apache.org/docs/2.4/mod/core.html#options): a line with
// +/- options changes the inherited set, a line without replaces it (All
// holds Indexes, None does not).
func apacheIndexes(cur bool, args []string) bool {
	relative := slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "+") || strings.HasPrefix(a, "-") })
	if !relative {
		return slices.ContainsFunc(args, func(a string) bool { return strings.EqualFold(a, "Indexes") || strings.EqualFold(a, "All") })
	}
	for _, a := range args {
		switch {
		case strings.EqualFold(strings.TrimPrefix(a, "+"), "Indexes"):
			cur = true
		case strings.EqualFold(a, "-Indexes"):
			cur = false
		}
	}
	return cur
}

// apacheListings returns the directories a server serves with automatic
// indexes: its DocumentRoot and the <Directory> sections under it, with
// Options merged as httpd merges them
// (https://httpd.apache.org/docs/2.4/sections.html#merging): the server's
// own Options first (the main server's, then the virtual host's), then
// the <Directory> sections from the shortest path to the longest, the
// virtual host's after the main server's. Directories reached through
// Alias, <Directory> sections with wildcards or regular expressions and
// .htaccess files are not followed.
func apacheListings(main, s *apacheServer) (string, []facts.ApacheListing) {
	root, rootSrc := s.docroot, s.docrootSrc
	if root == "" {
		root, rootSrc = main.docroot, main.docrootSrc
	}
	if root == "" {
		root = apacheDefaultDocRoot
	}
	dirs := main.dirs
	base := main.opts
	if s != main {
		dirs = append(slices.Clone(main.dirs), s.dirs...)
		base = append(slices.Clone(main.opts), s.opts...)
	}
	within := func(p, dir string) bool { return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/") }
	served := []string{root}
	for _, d := range dirs {
		if within(d.path, root) && !slices.Contains(served, d.path) {
			served = append(served, d.path)
		}
	}
	var out []facts.ApacheListing
	for _, p := range served {
		var secs []*apacheDirSec
		for _, d := range dirs {
			if within(p, d.path) {
				secs = append(secs, d)
			}
		}
		slices.SortStableFunc(secs, func(a, b *apacheDirSec) int {
			ca, cb := strings.Count(a.path, "/"), strings.Count(b.path, "/")
			if a.path == "/" {
				ca = 0
			}
			if b.path == "/" {
				cb = 0
			}
			switch {
			case ca != cb:
				return ca - cb
			case a.vhost != b.vhost:
				if a.vhost {
					return 1
				}
				return -1
			}
			return a.order - b.order
		})
		on, src := false, ""
		apply := func(o apacheOptions) {
			on = apacheIndexes(on, o.args)
			switch {
			case !on:
				src = ""
			case apacheIndexes(false, o.args):
				src = o.where // this very line turns Indexes on
			}
		}
		for _, o := range base {
			apply(o)
		}
		section := rootSrc
		for _, d := range secs {
			for _, o := range d.opts {
				apply(o)
			}
			if d.path == p {
				section = d.section
			}
		}
		if on {
			out = append(out, facts.ApacheListing{Directory: sanitize.String(p, 512), Section: section, Options: src})
		}
	}
	return sanitize.String(root, 512), out
}

// apacheCollector reads apache2.conf (httpd.conf) and what it includes.
var apacheCollector = daemonCollector{
	protocol: proto.HTTP,
	env:      true,
	helper: func(p *process) bool {
		// The workers (the configuration's User, www-data) are children
		// of the root parent: daemonMasters leaves out a process whose
		// parent is the same daemon. A process named apache2 that runs as
		// another user without such a parent is not taken for a worker
		// here: it is listed as not examined, with the reason. A run with
		// -t, -S, -M, -l, -L, -v, -V or -h only tests or prints.
		for _, a := range p.argv()[min(1, len(p.argv())):] {
			if len(a) == 2 && a[0] == '-' && strings.ContainsRune("tSMlLvVh", rune(a[1])) {
				return true
			}
			if a == "configtest" {
				return true
			}
		}
		return false
	},
	plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
		return nil, []string{apacheArgs(p.Comm, p.argv()).file}
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectApache(ctx, in.df)
		return func(h *facts.HostAudit) { h.Apache = append(h.Apache, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) { sortByPID(h.Apache, func(c facts.ApacheConfig) int { return c.PID }) },
}
