package fix

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/apache"
	"github.com/vigilsec/vigil/internal/facts"
)

// The Apache httpd applier: TraceEnable Off (http.trace,
// http.config.trace) in the scope that serves the finding's address and
// port, and Require local in the <Location> of an open server-status or
// server-info page (http.status.public, http.config.status-public). It
// reads the files as httpd 2.4 does (see internal/hostaudit/apache.go):
// Include and IncludeOptional relative to the server root, <IfModule>
// and <IfDefine> as the running server evaluated them, ${NAME} from
// Define and the variables the host audit found.

// Limits of following httpd's Include directives.
const (
	maxApacheFiles = 512
	maxApacheDepth = 8
)

// apacheStatic are the modules compiled into Debian's and Red Hat's httpd.
var apacheStatic = []string{"core", "so", "watchdog", "http", "log_config", "logio", "version", "unixd", "mpm_common"}

// apacheVar is a ${NAME} reference.
var apacheVar = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// apacheFileRef is one configuration file as read for the plan.
type apacheFileRef struct {
	path    string
	content []byte
	mode    fs.FileMode
}

// apacheDir is one directive httpd reads, in the order it reads them.
type apacheDir struct {
	d    *apache.Directive
	file int
	// vhost is the index in apacheConf.vhosts of its <VirtualHost>, -1 in
	// the main server; loc is its <Location> (nil outside one).
	vhost int
	loc   *apacheLocSec
	// nested says it is inside a Require container or another section
	// within the Location.
	nested bool
	// dir is its <Directory> (nil outside one); other says it is in a
	// section vigil does not change (<Files>, <If>, <Directory ~ …>…).
	dir   *apacheDirFix
	other bool
}

// apacheAt is where the walk is: the virtual host (-1 for the main
// server), the Location (and whether inside a section within it), the
// Directory.
type apacheAt struct {
	vhost  int
	loc    *apacheLocSec
	nested bool
	dir    *apacheDirFix
	// other says it is in a section vigil does not change.
	other bool
}

// apacheDirFix is one <Directory> section with a plain path.
type apacheDirFix struct {
	d     *apache.Directive
	file  int
	vhost int
	path  string
}

// apacheLocSec is one <Location> or <LocationMatch> section.
type apacheLocSec struct {
	d       *apache.Directive
	file    int
	vhost   int
	path    string
	handler string
	set     bool
	access  []apacheDir
}

// apacheVHost is one <VirtualHost>.
type apacheVHost struct {
	d     *apache.Directive
	file  int
	addrs []string
}

// apacheConf is an httpd's configuration as it reads it.
type apacheConf struct {
	files  []apacheFileRef
	byPath map[string]int
	dirs   []apacheDir
	vhosts []apacheVHost
	// docroots are the DocumentRoot of the main server (key -1) and of
	// each virtual host that sets one.
	docroots map[int]string
	locs     []*apacheLocSec
	modules  map[string]bool
	defines  map[string]string
	vars     map[string]string
	root     string
	glob     func(string) ([]string, error)
	read     func(path string) ([]byte, fs.FileMode, error)
}

// apacheModule turns status_module, mod_status.c or mod_status.so into status.
func apacheModule(s string) string {
	s = path.Base(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".c"), ".so")
	return strings.TrimPrefix(strings.TrimSuffix(s, "_module"), "mod_")
}

// apacheRootOf is the server root httpd starts from: -d, else the build's
// default for the binary's name.
func apacheRootOf(cfg facts.ApacheConfig) string {
	root := "/etc/apache2"
	if filepath.Base(cfg.Daemon.Exe) == "httpd" {
		root = "/etc/httpd"
	}
	for i := 0; i+1 < len(cfg.Options); i += 2 {
		if cfg.Options[i] == "-d" {
			root = cfg.Options[i+1]
		}
	}
	return root
}

// loadApache reads the main file and what it includes.
func loadApache(in Input, cfg facts.ApacheConfig, guard Guard) (*apacheConf, error) {
	c := &apacheConf{byPath: map[string]int{}, docroots: map[int]string{}, modules: map[string]bool{}, defines: map[string]string{}, vars: cfg.Variables, root: apacheRootOf(cfg), glob: in.Glob,
		read: func(p string) ([]byte, fs.FileMode, error) { return in.ReadFile(p, guard) }}
	for _, m := range apacheStatic {
		c.modules[m] = true
	}
	var before, after []string
	for i := 0; i+1 < len(cfg.Options); i += 2 {
		switch cfg.Options[i] {
		case "-D":
			c.defines[cfg.Options[i+1]] = ""
		case "-C":
			before = append(before, cfg.Options[i+1])
		case "-c":
			after = append(after, cfg.Options[i+1])
		}
	}
	// Command-line directives are read, not changed: they may define and
	// load what the files test.
	cmdline := func(ds []string) error {
		for _, d := range ds {
			if err := c.walk(apache.Parse([]byte(d)), -1, 0, apacheAt{vhost: -1}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := cmdline(before); err != nil {
		return nil, err
	}
	if err := c.file(cfg.ConfigFile, 0, false, apacheAt{vhost: -1}); err != nil {
		return nil, err
	}
	if err := cmdline(after); err != nil {
		return nil, err
	}
	return c, nil
}

// subst replaces ${NAME} as httpd does.
func (c *apacheConf) subst(s string) string {
	return apacheVar.ReplaceAllStringFunc(s, func(m string) string {
		n := m[2 : len(m)-1]
		if v, ok := c.defines[n]; ok {
			return v
		}
		if v, ok := c.vars[n]; ok {
			return v
		}
		return m
	})
}

// file reads one file into the configuration.
func (c *apacheConf) file(p string, depth int, optional bool, at apacheAt) error {
	if depth > maxApacheDepth || len(c.files) >= maxApacheFiles {
		return fmt.Errorf("%s: Include nested more than %d deep, or more than %d files: vigil cannot be sure what httpd reads", p, maxApacheDepth, maxApacheFiles)
	}
	p = filepath.Clean(p)
	b, mode, err := c.read(p)
	switch {
	case errors.Is(err, ErrRefusedFile):
		return err
	case err != nil && optional && errors.Is(err, fs.ErrNotExist):
		return nil // IncludeOptional: httpd skips a file that is not there
	case err != nil:
		return fmt.Errorf("cannot read httpd's configuration: %w", err)
	}
	fi, ok := c.byPath[p]
	if !ok {
		fi = len(c.files)
		c.byPath[p] = fi
		c.files = append(c.files, apacheFileRef{path: p, content: b, mode: mode})
	}
	return c.walk(apache.Parse(b), fi, depth, at)
}

// other reads a section vigil does not change (<RequireAny>, <Files>,
// <If>, <Directory ~ …>, …) for what it includes and loads: httpd -t
// reads every file, so every file passes the guard.
func (c *apacheConf) other(d *apache.Directive, file, depth int, at apacheAt) error {
	at.other, at.nested = true, at.loc != nil
	return c.walk(d.Children, file, depth, at)
}

// walk reads directives in the main server or a virtual host (vhost),
// and in a Location (loc).
func (c *apacheConf) walk(ds []*apache.Directive, file, depth int, at apacheAt) error {
	vhost, loc := at.vhost, at.loc
	for _, d := range ds {
		args := make([]string, len(d.Args))
		for i, a := range d.Args {
			args[i] = c.subst(a)
		}
		name := strings.ToLower(d.Name)
		if d.Section {
			var err error
			switch name {
			case "ifmodule":
				if len(args) == 1 {
					m, neg := strings.CutPrefix(args[0], "!")
					if c.modules[apacheModule(m)] != neg {
						err = c.walk(d.Children, file, depth, at)
					}
				}
			case "ifdefine":
				if len(args) == 1 {
					n, neg := strings.CutPrefix(args[0], "!")
					if _, ok := c.defines[n]; ok != neg {
						err = c.walk(d.Children, file, depth, at)
					}
				}
			case "ifversion", "ifdirective", "ifsection", "iffile":
				err = c.walk(d.Children, file, depth, at)
			case "virtualhost":
				if vhost < 0 && loc == nil && at.dir == nil && !at.other && file >= 0 {
					c.vhosts = append(c.vhosts, apacheVHost{d: d, file: file, addrs: args})
					err = c.walk(d.Children, file, depth, apacheAt{vhost: len(c.vhosts) - 1})
					break
				}
				err = c.other(d, file, depth, at)
			case "location", "locationmatch":
				if loc == nil && at.dir == nil && !at.other && len(args) > 0 && file >= 0 {
					l := &apacheLocSec{d: d, file: file, vhost: vhost, path: args[len(args)-1]}
					c.locs = append(c.locs, l)
					err = c.walk(d.Children, file, depth, apacheAt{vhost: vhost, loc: l})
					break
				}
				err = c.other(d, file, depth, at)
			case "directory":
				if loc == nil && at.dir == nil && !at.other && len(args) == 1 && path.IsAbs(args[0]) && !strings.ContainsAny(args[0], "*?[") && file >= 0 {
					err = c.walk(d.Children, file, depth, apacheAt{vhost: vhost, dir: &apacheDirFix{d: d, file: file, vhost: vhost, path: path.Clean(args[0])}})
					break
				}
				err = c.other(d, file, depth, at)
			default:
				err = c.other(d, file, depth, at)
			}
			if err != nil {
				return err
			}
			continue
		}
		if file >= 0 {
			c.dirs = append(c.dirs, apacheDir{d: d, file: file, vhost: vhost, loc: loc, nested: at.nested, dir: at.dir, other: at.other})
		}
		switch name {
		case "define":
			if len(args) >= 1 {
				v := ""
				if len(args) >= 2 {
					v = args[1]
				}
				c.defines[args[0]] = v
			}
		case "undefine":
			if len(args) >= 1 {
				delete(c.defines, args[0])
			}
		case "serverroot":
			if len(args) == 1 {
				c.root = path.Clean(args[0])
			}
		case "loadmodule":
			if len(args) >= 1 {
				c.modules[apacheModule(args[0])] = true
			}
		case "include", "includeoptional":
			if len(args) != 1 {
				continue
			}
			pat := args[0]
			dir := strings.HasSuffix(pat, "/") && !strings.ContainsAny(pat, "*?[")
			if !path.IsAbs(pat) {
				pat = path.Join(c.root, pat)
			}
			if dir {
				pat += "/*"
			}
			matches := []string{pat}
			if strings.ContainsAny(pat, "*?[") {
				if c.glob == nil {
					return fmt.Errorf("cannot list the files of Include %s", pat)
				}
				m, err := c.glob(pat)
				if err != nil {
					return fmt.Errorf("cannot list the files of Include %s: %w", pat, err)
				}
				slices.Sort(m)
				matches = m
			}
			for _, m := range matches {
				if err := c.file(m, depth+1, name == "includeoptional", at); err != nil {
					return err
				}
			}
		case "documentroot":
			if len(args) == 1 && loc == nil && at.dir == nil {
				root := args[0]
				if !path.IsAbs(root) {
					root = path.Join(c.root, root)
				}
				c.docroots[vhost] = path.Clean(root)
			}
		case "sethandler":
			if loc != nil && len(args) == 1 {
				loc.handler, loc.set = strings.ToLower(args[0]), true
			}
		case "require", "allow", "deny", "order", "satisfy":
			if loc != nil {
				loc.access = append(loc.access, apacheDir{d: d, file: file, vhost: vhost, loc: loc, nested: at.nested})
			}
		}
	}
	return nil
}

// serving returns the virtual hosts that answer addr:port (nil for the
// main server), as httpd picks them (facts.ApacheConfig.ServersFor).
func (c *apacheConf) serving(addr netip.Addr, port int) (vhosts []int, err error) {
	f := facts.ApacheConfig{Servers: []facts.ApacheServer{{}}}
	for _, v := range c.vhosts {
		f.Servers = append(f.Servers, facts.ApacheServer{VirtualHost: v.addrs})
	}
	if !addr.IsValid() {
		for _, v := range c.vhosts {
			for _, a := range v.addrs {
				if h, p, ok := facts.ApacheVHostAddr(a); ok && h.IsValid() && (p == 0 || p == port) {
					return nil, fmt.Errorf("cannot tell which address of this machine the finding is about, and a <VirtualHost %s> answers on one of them only", strings.Join(v.addrs, " "))
				}
			}
		}
	}
	for _, i := range f.ServersFor(addr, port) {
		if i > 0 {
			vhosts = append(vhosts, i-1)
		}
	}
	return vhosts, nil
}

// where names a directive for people: "FILE line N".
func (c *apacheConf) where(file int, d *apache.Directive) string {
	return fmt.Sprintf("%s line %d", c.files[file].path, d.Line)
}

// apacheEdit is one change of a file: lines from..to (1-based) replaced by
// text, or text inserted after line from when to is 0.
type apacheEdit struct {
	file, from, to int
	text           []string
}

// indentOf returns the blanks a line starts with.
func indentOf(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

// apply makes the file edits.
func (c *apacheConf) apply(edits []apacheEdit, guard Guard) []Edit {
	byFile := map[int][]apacheEdit{}
	var order []int
	seen := map[[3]int]bool{}
	for _, e := range edits {
		// A file included twice is read twice: its lines change once.
		k := [3]int{e.file, e.from, e.to}
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := byFile[e.file]; !ok {
			order = append(order, e.file)
		}
		byFile[e.file] = append(byFile[e.file], e)
	}
	var out []Edit
	for _, fi := range order {
		f := c.files[fi]
		lines := strings.SplitAfter(string(f.content), "\n")
		if n := len(lines); n > 0 && lines[n-1] == "" {
			lines = lines[:n-1]
		}
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
			lines[n-1] += "\n"
		}
		es := byFile[fi]
		// From the end, so that line numbers stay right.
		slices.SortStableFunc(es, func(a, b apacheEdit) int { return b.from - a.from })
		for _, e := range es {
			var add []string
			for _, t := range e.text {
				add = append(add, t+"\n")
			}
			switch {
			case e.from > len(lines):
				lines = append(lines, add...)
			case e.to == 0:
				lines = slices.Insert(lines, e.from, add...)
			default:
				lines = slices.Replace(lines, e.from-1, min(e.to, len(lines)), add...)
			}
		}
		out = append(out, Edit{Path: f.path, Before: f.content, After: []byte(strings.Join(lines, "")), Mode: f.mode, Guard: guard})
	}
	return out
}

// line returns line n (1-based) of a file, without its newline.
func (c *apacheConf) line(file, n int) string {
	lines := strings.Split(string(c.files[file].content), "\n")
	if n < 1 || n > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[n-1], "\r")
}

// replaceLine comments out a directive and sets another in its place.
func (c *apacheConf) replaceLine(dir apacheDir, set, fixID string) apacheEdit {
	first := c.line(dir.file, dir.d.Line)
	ind := indentOf(first)
	var text []string
	for n := dir.d.Line; n <= max(dir.d.EndLine, dir.d.Line); n++ {
		text = append(text, ind+"# vigil fix "+fixID+" replaced: "+strings.TrimSpace(c.line(dir.file, n)))
	}
	text = append(text, ind+set)
	return apacheEdit{file: dir.file, from: dir.d.Line, to: max(dir.d.EndLine, dir.d.Line), text: text}
}

// insertInto adds a directive as the first one of a section.
func (c *apacheConf) insertInto(file int, sec *apache.Directive, set, fixID string) apacheEdit {
	ind := indentOf(c.line(file, sec.Line)) + "    "
	if len(sec.Children) > 0 {
		ind = indentOf(c.line(file, sec.Children[0].Line))
	}
	// After the opening tag, which a trailing backslash may continue.
	end := sec.Line
	for strings.HasSuffix(c.line(file, end), "\\") && end < sec.EndLine {
		end++
	}
	return apacheEdit{file: file, from: end, text: []string{ind + "# Set by vigil fix " + fixID, ind + set}}
}

// apacheTraceChange sets TraceEnable Off for the servers that answer t.
func (c *apacheConf) traceChange(vhosts []int, main string, fixID string) ([]apacheEdit, []string) {
	var edits []apacheEdit
	var scopes []string
	scope := func(vhost int) {
		var lines []apacheDir
		for _, d := range c.dirs {
			if d.vhost == vhost && d.loc == nil && !d.other && strings.EqualFold(d.d.Name, "TraceEnable") {
				lines = append(lines, d)
			}
		}
		changed := false
		for _, d := range lines {
			if len(d.d.Args) == 1 && strings.EqualFold(c.subst(d.d.Args[0]), "off") {
				continue
			}
			edits = append(edits, c.replaceLine(d, "TraceEnable Off", fixID))
			changed = true
		}
		if vhost >= 0 {
			v := c.vhosts[vhost]
			if len(lines) == 0 {
				edits = append(edits, c.insertInto(v.file, v.d, "TraceEnable Off", fixID))
				changed = true
			}
			if changed {
				scopes = append(scopes, fmt.Sprintf("<VirtualHost %s> (%s)", strings.Join(v.addrs, " "), c.where(v.file, v.d)))
			}
			return
		}
		if len(lines) == 0 {
			mi := c.byPath[filepath.Clean(main)]
			edits = append(edits, apacheEdit{file: mi, from: 1 << 30, text: []string{"# Set by vigil fix " + fixID, "TraceEnable Off"}})
			changed = true
		}
		if changed {
			scopes = append(scopes, "the main server")
		}
	}
	if len(vhosts) == 0 {
		scope(-1)
	}
	for _, v := range vhosts {
		scope(v)
	}
	return edits, scopes
}

// requireOpen reports whether plain Require lines let anyone in: none
// that grants, or one that grants all (see internal/hostaudit/apache.go).
func requireOpen(lines []apacheDir, subst func(string) string) bool {
	positive := false
	for _, l := range lines {
		args := l.d.Args
		if len(args) > 0 && strings.EqualFold(subst(args[0]), "not") {
			continue
		}
		positive = true
		if len(args) >= 2 && strings.EqualFold(subst(args[0]), "all") && strings.EqualFold(subst(args[1]), "granted") {
			return true
		}
	}
	return !positive
}

// statusChange limits the open status pages of the servers that answer t
// to Require local.
func (c *apacheConf) statusChange(vhosts []int, fixID string) ([]apacheEdit, []string, error) {
	var edits []apacheEdit
	var pages []string
	done := map[*apacheLocSec]bool{}
	servers := vhosts
	if len(servers) == 0 {
		servers = []int{-1}
	}
	for _, v := range servers {
		// The Locations of this server, main server's first, merged by
		// path: the last SetHandler and the last access lines win.
		var order []string
		handler := map[string]*apacheLocSec{}
		access := map[string]*apacheLocSec{}
		seen := map[string]bool{}
		passes := []int{-1}
		if v >= 0 {
			passes = append(passes, v)
		}
		for _, pass := range passes {
			for _, l := range c.locs {
				if l.vhost != pass {
					continue
				}
				if !seen[l.path] {
					seen[l.path] = true
					order = append(order, l.path)
				}
				if l.set {
					handler[l.path] = l
				}
				if len(l.access) > 0 {
					access[l.path] = l
				}
			}
		}
		for _, p := range order {
			h := handler[p]
			if h == nil || (h.handler != "server-status" && h.handler != "server-info") {
				continue
			}
			mod := map[string]string{"server-status": "status", "server-info": "info"}[h.handler]
			if !c.modules[mod] {
				continue
			}
			a := access[p]
			if a == nil {
				if !done[h] {
					done[h] = true
					edits = append(edits, c.insertInto(h.file, h.d, "Require local", fixID))
					pages = append(pages, fmt.Sprintf("<Location %s> (%s)", p, c.where(h.file, h.d)))
				}
				continue
			}
			if done[a] {
				continue
			}
			for _, l := range a.access {
				if l.nested || !strings.EqualFold(l.d.Name, "Require") {
					return nil, nil, fmt.Errorf("the access to <Location %s> (%s) is set by %s at %s, which vigil does not change: put Require local in that Location by hand", p, c.where(a.file, a.d), l.d.Name, c.where(l.file, l.d))
				}
			}
			if !requireOpen(a.access, c.subst) {
				continue
			}
			var kept []apacheDir
			for _, l := range a.access {
				if len(l.d.Args) >= 2 && strings.EqualFold(c.subst(l.d.Args[0]), "all") && strings.EqualFold(c.subst(l.d.Args[1]), "granted") {
					edits = append(edits, c.replaceLine(l, "Require local", fixID))
					continue
				}
				kept = append(kept, l)
			}
			if len(kept) == len(a.access) {
				// Only Require not … lines: Require local beside them would
				// be the only grant, but httpd refuses a negation alone in
				// an implied RequireAny; vigil cannot be sure.
				return nil, nil, fmt.Errorf("the access to <Location %s> (%s) is only Require not … lines: replace them with Require local by hand", p, c.where(a.file, a.d))
			}
			done[a] = true
			pages = append(pages, fmt.Sprintf("<Location %s> (%s)", p, c.where(a.file, a.d)))
		}
	}
	return edits, pages, nil
}

// apacheIndexesOn reports whether an Options line turns Indexes on by
// itself: Indexes or All in a list, or +Indexes.
func apacheIndexesOn(args []string) bool {
	for _, a := range args {
		switch {
		case strings.EqualFold(a, "Indexes"), strings.EqualFold(a, "+Indexes"), strings.EqualFold(a, "All"):
			return true
		}
	}
	return false
}

// apacheNoIndexes rewrites an Options line's arguments without Indexes:
// +Indexes (or Indexes beside +/- options) becomes -Indexes, Indexes in a
// list is dropped (None when nothing is left). All is refused: it stands
// for several options, and which ones the site needs is the user's call.
func apacheNoIndexes(args []string) ([]string, bool) {
	relative := slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "+") || strings.HasPrefix(a, "-") })
	var out []string
	for _, a := range args {
		switch {
		case strings.EqualFold(a, "All"):
			return nil, false
		case strings.EqualFold(strings.TrimPrefix(a, "+"), "Indexes"):
			if relative {
				out = append(out, "-Indexes")
			}
		default:
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		out = []string{"None"}
	}
	return out, true
}

// listingChange turns Indexes off in the Options lines that turn it on
// for what the servers that answer t serve: the Options outside any
// Directory of the main server and of those virtual hosts, and their
// <Directory> sections above, at or under the DocumentRoot.
func (c *apacheConf) listingChange(vhosts []int, fixID string) ([]apacheEdit, []string, error) {
	servers := vhosts
	if len(servers) == 0 {
		servers = []int{-1}
	}
	within := func(p, dir string) bool { return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/") }
	var edits []apacheEdit
	var lines []string
	done := map[*apache.Directive]bool{}
	for _, v := range servers {
		root, ok := c.docroots[v]
		if !ok {
			root, ok = c.docroots[-1]
		}
		if !ok {
			root = "/var/www/html"
		}
		for _, d := range c.dirs {
			if !strings.EqualFold(d.d.Name, "Options") || d.loc != nil || d.other || (d.vhost != -1 && d.vhost != v) || done[d.d] {
				continue
			}
			if d.dir != nil && !within(root, d.dir.path) && !within(d.dir.path, root) {
				continue
			}
			args := make([]string, len(d.d.Args))
			for i, a := range d.d.Args {
				args[i] = c.subst(a)
			}
			if !apacheIndexesOn(args) {
				continue
			}
			next, ok := apacheNoIndexes(args)
			if !ok {
				return nil, nil, fmt.Errorf("the line at %s, Options All, turns on automatic indexes among other options: list the options the site needs without Indexes by hand", c.where(d.file, d.d))
			}
			done[d.d] = true
			edits = append(edits, c.replaceLine(d, "Options "+strings.Join(next, " "), fixID))
			lines = append(lines, c.where(d.file, d.d))
		}
	}
	return edits, lines, nil
}

// apacheTarget reads the address and port a finding is about.
func apacheTarget(in Input, l facts.Listener) netip.Addr {
	if a, err := netip.ParseAddr(strings.Trim(in.Finding.Host, "[]")); err == nil {
		return a.Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(strings.Trim(l.Address, "[]")); err == nil && !a.IsUnspecified() {
		return a.Unmap().WithZone("")
	}
	return netip.Addr{}
}

// apacheDefine is how the validation passes a variable httpd found in its
// environment: as a -C Define, which ${NAME} reads before the environment
// ("Variables defined with Define take precedence over shell environment
// variables", https://httpd.apache.org/docs/2.4/configuring.html#syntax).
// So the step needs no environment of its own, and nothing else of the
// daemon's environment reaches the binary.
func apacheDefine(name, value string) (string, error) {
	if strings.ContainsAny(value, "\"\\\n\r") || strings.ContainsAny(name, " \t\"\n") {
		return "", fmt.Errorf("the variable %s that httpd's configuration uses holds a quote, a backslash or a line break, which vigil does not pass on", name)
	}
	return fmt.Sprintf("Define %s \"%s\"", name, value), nil
}

func planApache(in Input, l facts.Listener) (*Plan, error) {
	pidOf := func(c facts.ApacheConfig) int { return c.PID }
	proc := "apache2"
	if l.Process == "httpd" {
		proc = "httpd"
	}
	cfg, err := configFor(in.Host, in.Host.Apache, pidOf, l, "Apache httpd", proc)
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file Apache httpd on port %d (%s) reads", l.Port, who(l))
	}
	if err := sharedWith(in.Host.Apache, pidOf, func(c facts.ApacheConfig) string { return c.ConfigFile }, cfg.PID, cfg.ConfigFile, "Apache httpd"); err != nil {
		return nil, err
	}
	exe := cfg.Daemon.Exe
	if exe == "" {
		return nil, fmt.Errorf("vigil checks a changed Apache configuration with the daemon's own binary (-t) before it reloads, and may not run the binary of %s: %s", who(l), nonEmpty(cfg.Daemon.Note, "it is not root's"))
	}
	if len(cfg.Unread) > 0 {
		return nil, fmt.Errorf("the host audit could not read %s, which Apache httpd reads: vigil cannot be sure what it sets; do it by hand: %s", strings.Join(cfg.Unread, ", "), in.Finding.Recommendation)
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	conf, err := loadApache(in, cfg, guard)
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	addr := apacheTarget(in, l)
	vhosts, err := conf.serving(addr, l.Port)
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	target := "port " + strconv.Itoa(l.Port)
	if addr.IsValid() {
		target = netip.AddrPortFrom(addr, uint16(l.Port)).String()
	}
	var edits []apacheEdit
	var what, summary, question string
	switch in.Finding.Check {
	case "http.trace", "http.config.trace":
		var scopes []string
		edits, scopes = conf.traceChange(vhosts, cfg.ConfigFile, in.FixID)
		if len(edits) == 0 {
			return nil, fmt.Errorf("TraceEnable is already Off for %s in Apache's files: the running server may not have re-read them; reload it (%s)", target, reloadHint(l, cfg.PID))
		}
		what = strings.Join(scopes, ", ")
		summary = fmt.Sprintf("Set TraceEnable Off for %s in %s, check the configuration with %s -t and reload Apache gracefully (%s)", target, what, filepath.Base(exe), who(l))
		question = fmt.Sprintf("Turn off TRACE for %s in Apache's configuration (%s) and reload Apache (%s)?", target, what, who(l))
	case "http.status.public", "http.config.status-public":
		var pages []string
		edits, pages, err = conf.statusChange(vhosts, in.FixID)
		if err != nil {
			return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
		}
		if len(edits) == 0 {
			return nil, fmt.Errorf("no open server-status or server-info page serves %s in Apache's files: the running server may not have re-read them; reload it (%s), or change by hand the rule that opens it", target, reloadHint(l, cfg.PID))
		}
		what = strings.Join(pages, ", ")
		summary = fmt.Sprintf("Limit %s to Require local for %s, check the configuration with %s -t and reload Apache gracefully (%s)", what, target, filepath.Base(exe), who(l))
		question = fmt.Sprintf("Allow the status pages %s from this machine only and reload Apache (%s)?", what, who(l))
	case "http.listing", "http.config.listing":
		var lines []string
		edits, lines, err = conf.listingChange(vhosts, in.FixID)
		if err != nil {
			return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
		}
		if len(edits) == 0 {
			return nil, fmt.Errorf("no Options line in Apache's files turns automatic indexes on for what %s serves (an .htaccess file or an Alias may): find it and remove Indexes by hand", target)
		}
		what = strings.Join(lines, ", ")
		summary = fmt.Sprintf("Turn automatic directory indexes off for %s (Options at %s), check the configuration with %s -t and reload Apache gracefully (%s)", target, what, filepath.Base(exe), who(l))
		question = fmt.Sprintf("Stop Apache listing directories for %s (%s) and reload Apache (%s)?", target, what, who(l))
	default:
		return nil, fmt.Errorf("%s: %w", in.Finding.Check, ErrNoApplier)
	}
	changes := conf.apply(edits, guard)
	// Another httpd that reads one of these files would change too.
	for _, e := range changes {
		if err := sharedWith(in.Host.Apache, pidOf, func(c facts.ApacheConfig) string { return c.ConfigFile }, cfg.PID, e.Path, "Apache httpd"); err != nil {
			return nil, err
		}
	}
	for _, o := range in.Host.Apache {
		if o.PID == cfg.PID || o.ConfigFile == "" {
			continue
		}
		other, err := loadApache(in, o, guardFor(o.Daemon, o.ConfigFile))
		if err != nil {
			continue // what vigil may not read, it cannot tell; httpd -t of this one still runs
		}
		for _, e := range changes {
			if _, ok := other.byPath[filepath.Clean(e.Path)]; ok {
				return nil, fmt.Errorf("%s is also read by another Apache httpd (pid %d, %s): vigil changes only the files of the httpd that serves the finding; do it by hand: %s", e.Path, o.PID, o.ConfigFile, in.Finding.Recommendation)
			}
		}
	}
	argv := []string{exe}
	argv = append(argv, cfg.Options...)
	names := make([]string, 0, len(cfg.Variables))
	for n := range cfg.Variables {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		def, err := apacheDefine(n, cfg.Variables[n])
		if err != nil {
			return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
		}
		argv = append(argv, "-C", def)
	}
	argv = append(argv, "-f", cfg.ConfigFile, "-t")
	notes := []string{"A graceful restart (SIGUSR1, or systemctl reload) lets requests in progress finish; new requests get the change."}
	if strings.Contains(in.Finding.Check, "status") {
		notes = append(notes, "Require local admits this machine's own clients (127.0.0.0/8, ::1 and its own address): a scan from this machine still sees the page; one from elsewhere no longer does.")
	}
	if len(names) > 0 {
		notes = append(notes, "Variables httpd took from its environment ("+strings.Join(names, ", ")+") are passed to the check as -C Define lines, which httpd reads before the environment.")
	}
	return &Plan{
		Applier:  "apache",
		Summary:  summary,
		Question: question,
		Edits:    changes,
		Validate: []Step{{Kind: StepRun, Argv: argv, Why: "httpd accepts the configuration"}},
		Reload:   reloadSteps(l, cfg.PID, "USR1", filepath.Base(exe), true),
		Verify:   []Step{{Kind: StepListen, Addr: listenAddr(l), Why: "Apache listens"}},
		Notes:    notes,
	}, nil
}

// reloadHint says how to reload Apache by hand.
func reloadHint(l facts.Listener, pid int) string {
	if l.Unit != "" {
		return "systemctl reload " + l.Unit
	}
	return fmt.Sprintf("kill -USR1 %d", pid)
}
