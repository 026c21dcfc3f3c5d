package fix

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/nginx"
	"github.com/vigilsec/vigil/internal/facts"
)

// Mozilla's "intermediate" server-side TLS configuration (version 5.7): TLS
// 1.2 and 1.3, and these TLS 1.2 suites (TLS 1.3 suites are not set by
// ssl_ciphers).
const (
	nginxProtocols = "TLSv1.2 TLSv1.3"
	nginxCiphers   = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
)

// nginxVersions are the names ssl_protocols takes, oldest first.
var nginxVersions = []string{"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// Limits of following nginx's include directives.
const (
	maxNginxFiles = 256
	maxNginxDepth = 8
	maxNginxNodes = 200_000
)

// The two directives the nginx applier sets.
const (
	sslProtocols = "ssl_protocols"
	sslCiphers   = "ssl_ciphers"
)

func planNginx(in Input, l facts.Listener) (*Plan, error) {
	pidOf := func(c facts.NginxConfig) int { return c.PID }
	cfg, err := configFor(in.Host, in.Host.Nginx, pidOf, l, "nginx", "nginx")
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file nginx on port %d (%s) reads", l.Port, who(l))
	}
	exe := cfg.Daemon.Exe
	if exe == "" {
		return nil, fmt.Errorf("vigil checks a changed nginx configuration with the daemon's own binary (nginx -t) before it reloads, and may not run the binary of %s: %s", who(l), nonEmpty(cfg.Daemon.Note, "it is not root's"))
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	conf, err := loadNginx(in, cfg.ConfigFile, guard)
	if err != nil {
		return nil, err
	}
	target := nginxTargetOf(in, l)
	ch, err := conf.change(target, in.FixID)
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	var paths []string
	for i := range ch.edits {
		ch.edits[i].Guard = guard
		paths = append(paths, ch.edits[i].Path)
	}
	// Another nginx master that reads one of these files would change too.
	for _, o := range in.Host.Nginx {
		if o.PID == cfg.PID || o.ConfigFile == "" {
			continue
		}
		if err := sharedWith([]facts.NginxConfig{o}, pidOf, func(c facts.NginxConfig) string { return c.ConfigFile }, cfg.PID, cfg.ConfigFile, "nginx"); err != nil {
			return nil, err
		}
		other, err := loadNginx(in, o.ConfigFile, guardFor(o.Daemon, o.ConfigFile))
		if err != nil {
			continue // what vigil may not read, it cannot tell; nginx -t of this one still runs
		}
		for _, p := range paths {
			if _, ok := other.byPath[filepath.Clean(p)]; ok {
				return nil, fmt.Errorf("%s is also read by another nginx (pid %d, %s): vigil changes only the files of the nginx that serves the finding; do it by hand: %s", p, o.PID, o.ConfigFile, in.Finding.Recommendation)
			}
		}
	}
	blocks := strings.Join(ch.servers, ", ")
	return &Plan{
		Applier: "nginx",
		Summary: fmt.Sprintf("Limit the TLS settings of the nginx server block%s for %s (%s) to Mozilla's intermediate profile (ssl_protocols %s or stricter, and its ssl_ciphers), check with nginx -t and reload nginx (%s)",
			plural(len(ch.servers)), target, blocks, nginxProtocols, who(l)),
		Question: fmt.Sprintf("Change the TLS settings of the nginx server block%s for %s in %s and reload nginx (%s)?", plural(len(ch.servers)), target, strings.Join(paths, ", "), who(l)),
		Edits:    ch.edits,
		Validate: []Step{{Kind: StepRun, Argv: []string{exe, "-t", "-c", cfg.ConfigFile}, Why: "check the configuration"}},
		Reload:   reloadSteps(l, cfg.PID, "HUP", "nginx: master", true),
		Verify:   []Step{{Kind: StepListen, Addr: listenAddr(l), Why: "nginx listens"}},
		Notes: append(ch.notes, fmt.Sprintf("Clients that speak only TLS 1.0 or 1.1 (Windows 7's Internet Explorer, Android 4.3 and older) can no longer connect to %s.", map[bool]string{true: "this server block", false: "these server blocks"}[len(ch.servers) == 1]),
			"TLS 1.3 needs OpenSSL 1.1.1 or later; nginx -t fails on older ones, and vigil then rolls back."),
	}, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// nginxTarget is what the finding was about: the address and port the scan
// connected to, and the host names it asked for.
type nginxTarget struct {
	// addr is invalid when the finding names the host and nginx listens
	// on every address: which one the scan reached is unknown.
	addr  netip.Addr
	port  int
	names []string
}

func (t nginxTarget) String() string {
	if t.addr.IsValid() {
		return netip.AddrPortFrom(t.addr, uint16(t.port)).String()
	}
	return "port " + strconv.Itoa(t.port)
}

// nginxTargetOf reads the target from the finding, the listener it was
// found on, and the names the scan's TLS audit sent.
func nginxTargetOf(in Input, l facts.Listener) nginxTarget {
	t := nginxTarget{port: l.Port}
	name := func(s string) {
		s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
		if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil || s == "" || slices.Contains(t.names, s) {
			return
		}
		t.names = append(t.names, s)
	}
	if a, err := netip.ParseAddr(strings.Trim(in.Finding.Host, "[]")); err == nil {
		t.addr = a.Unmap().WithZone("")
	} else if a, err := netip.ParseAddr(strings.Trim(l.Address, "[]")); err == nil && !a.IsUnspecified() {
		t.addr = a.Unmap().WithZone("")
	}
	name(in.Finding.Host)
	if in.Service != nil && in.Service.TLSAudit != nil {
		name(in.Service.TLSAudit.NameChecked)
	}
	return t
}

// nginxFile is one configuration file and its content.
type nginxFile struct {
	path    string
	content []byte
	mode    uint32
}

// line is the line number of offset off.
func (f nginxFile) line(off int) int {
	return bytes.Count(f.content[:min(off, len(f.content))], []byte("\n")) + 1
}

// nginxNode is one directive of the configuration as nginx reads it: the
// include directives are followed, so a file included twice has its
// directives twice, each under the block that includes it.
type nginxNode struct {
	name string
	args []string
	// file indexes nginxConf.files; start and end are the directive's
	// bytes there, from its name to its ';' or to its block's '}'.
	file       int
	start, end int
	// open is just after the '{' of a block, -1 for a simple directive.
	open     int
	children []*nginxNode
	// include marks a followed include directive: its children are the
	// included files' directives.
	include bool
	parent  *nginxNode
}

// block is the block the directive is in, looking through includes; nil at
// the top of the main file.
func (n *nginxNode) block() *nginxNode {
	p := n.parent
	for p != nil && p.include {
		p = p.parent
	}
	return p
}

// nginxDirect calls fn for each directive directly in a block's body,
// looking through include directives.
func nginxDirect(nodes []*nginxNode, fn func(*nginxNode)) {
	for _, n := range nodes {
		if n.include {
			nginxDirect(n.children, fn)
			continue
		}
		fn(n)
	}
}

// nginxConf is a configuration with its includes followed.
type nginxConf struct {
	files  []nginxFile
	byPath map[string]int
	parsed [][]*nginxNode
	top    []*nginxNode
	nodes  int
	// at lists every instance of a directive by file and start: a file
	// included twice has two.
	at map[[2]int][]*nginxNode
}

// loadNginx reads the main file and, recursively, what it includes
// (relative paths are relative to the main file's directory, as nginx
// does), as nginx would read them.
func loadNginx(in Input, main string, guard Guard) (*nginxConf, error) {
	c := &nginxConf{byPath: map[string]int{}, at: map[[2]int][]*nginxNode{}}
	mi, err := c.read(in, main, guard, true)
	if err != nil {
		return nil, err
	}
	prefix := filepath.Dir(main)
	var expand func(nodes []*nginxNode, parent *nginxNode, depth int) error
	expand = func(nodes []*nginxNode, parent *nginxNode, depth int) error {
		for _, n := range nodes {
			n.parent = parent
			if n.name == "include" && n.open < 0 && len(n.args) > 0 {
				n.include = true
				if depth >= maxNginxDepth {
					continue
				}
				pat := n.args[0]
				if !filepath.IsAbs(pat) {
					pat = filepath.Join(prefix, pat)
				}
				matches := []string{pat}
				if strings.ContainsAny(pat, "*?[") {
					matches = nil
					if in.Glob != nil {
						matches, _ = in.Glob(pat)
					}
				}
				for _, m := range matches {
					fi, err := c.read(in, m, guard, false)
					if err != nil {
						return err
					}
					if fi < 0 {
						continue
					}
					kids := c.clone(c.parsed[fi], fi)
					n.children = append(n.children, kids...)
					if err := expand(kids, n, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			if n.open >= 0 {
				if err := expand(n.children, n, depth); err != nil {
					return err
				}
			}
		}
		return nil
	}
	c.top = c.clone(c.parsed[mi], mi)
	if err := expand(c.top, nil, 0); err != nil {
		return nil, err
	}
	return c, nil
}

// read reads and parses a file once; it returns -1 for an included file
// that cannot be read (a glob match that vanished: nginx -t will tell) or
// past the limit on files.
func (c *nginxConf) read(in Input, path string, guard Guard, main bool) (int, error) {
	path = filepath.Clean(path)
	if i, ok := c.byPath[path]; ok {
		return i, nil
	}
	if len(c.files) >= maxNginxFiles {
		return -1, nil
	}
	b, mode, err := in.ReadFile(path, guard)
	switch {
	case errors.Is(err, ErrRefusedFile):
		return -1, err // never planned around: the file is nginx's too
	case err != nil && main:
		return -1, fmt.Errorf("cannot read nginx's configuration: %w", err)
	case err != nil:
		return -1, nil
	}
	c.byPath[path] = len(c.files)
	c.files = append(c.files, nginxFile{path: path, content: b, mode: uint32(mode)})
	c.parsed = append(c.parsed, nginxParse(b))
	return len(c.files) - 1, nil
}

// clone copies a file's parsed directives for one inclusion of it.
func (c *nginxConf) clone(nodes []*nginxNode, file int) []*nginxNode {
	var out []*nginxNode
	for _, n := range nodes {
		if c.nodes >= maxNginxNodes {
			break
		}
		c.nodes++
		m := &nginxNode{name: n.name, args: n.args, file: file, start: n.start, end: n.end, open: n.open}
		m.children = c.clone(n.children, file)
		key := [2]int{file, n.start}
		c.at[key] = append(c.at[key], m)
		out = append(out, m)
	}
	return out
}

// where names a directive for people: "FILE line N".
func (c *nginxConf) where(n *nginxNode) string {
	f := c.files[n.file]
	return fmt.Sprintf("%s line %d", f.path, f.line(n.start))
}

// nginxListen is one listen directive of a server block.
type nginxListen struct {
	// addr is the address it names; invalid for every address or a name.
	addr netip.Addr
	// any4 and any6 are the wildcards: "8443", "*:8443", "0.0.0.0:8443"
	// and "[::]:8443".
	any4, any6 bool
	// name is a host name nginx resolved when it started.
	name string
	port int
	// v6only is false with ipv6only=off: [::] then takes IPv4 too.
	v6only bool
}

// parseListen reads a listen directive's arguments; false for unix sockets
// and what it cannot read.
func parseListen(args []string) (nginxListen, bool) {
	if len(args) == 0 || strings.HasPrefix(args[0], "unix:") {
		return nginxListen{}, false
	}
	l := nginxListen{v6only: true, port: 80}
	for _, a := range args[1:] {
		if a == "ipv6only=off" {
			l.v6only = false
		}
	}
	a := args[0]
	host, port := a, ""
	switch {
	case strings.HasPrefix(a, "["):
		j := strings.IndexByte(a, ']')
		if j < 0 {
			return nginxListen{}, false
		}
		host = a[1:j]
		if rest := a[j+1:]; rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return nginxListen{}, false
			}
			port = rest[1:]
		}
	case strings.Contains(a, ":"):
		i := strings.LastIndexByte(a, ':')
		host, port = a[:i], a[i+1:]
	case strings.Trim(a, "0123456789") == "":
		host, port = "*", a
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			return nginxListen{}, false
		}
		l.port = n
	}
	switch ip, err := netip.ParseAddr(host); {
	case host == "*":
		l.any4 = true
	case err == nil && ip.IsUnspecified() && ip.Is4():
		l.any4 = true
	case err == nil && ip.IsUnspecified():
		l.any6 = true
	case err == nil:
		l.addr = ip.Unmap().WithZone("")
	default:
		l.name = strings.ToLower(host)
	}
	return l, true
}

// listenPort reads the port of a listen directive's address: "443",
// "127.0.0.1:8443", "[::]:443", "*:80"; an address without a port listens
// on 80; 0 for unix sockets and what it cannot read.
func listenPort(a string) int {
	l, ok := parseListen([]string{a})
	if !ok {
		return 0
	}
	return l.port
}

// exact reports whether the listen names address a itself.
func (l nginxListen) exact(a netip.Addr) bool {
	if l.addr.IsValid() {
		return l.addr == a
	}
	return l.name == "localhost" && (a == netip.AddrFrom4([4]byte{127, 0, 0, 1}) || a == netip.IPv6Loopback())
}

// wildcardFor reports whether the listen takes connections to every
// address of a's family.
func (l nginxListen) wildcardFor(a netip.Addr) bool {
	if a.Is4() {
		return l.any4 || (l.any6 && !l.v6only)
	}
	return l.any6
}

// nginxServer is one server block of the http block.
type nginxServer struct {
	node    *nginxNode
	http    *nginxNode
	listens []nginxListen
	names   []string
	// own holds the block's own ssl_protocols and ssl_ciphers lines.
	own map[string][]*nginxNode
}

// servers lists the server blocks of the http blocks, and each http
// block's own ssl_protocols and ssl_ciphers lines (those every server block
// inherits unless it sets its own).
func (c *nginxConf) servers() ([]*nginxServer, map[*nginxNode]map[string][]*nginxNode) {
	var out []*nginxServer
	httpOwn := map[*nginxNode]map[string][]*nginxNode{}
	nginxDirect(c.top, func(h *nginxNode) {
		if h.name != "http" || h.open < 0 {
			return
		}
		httpOwn[h] = map[string][]*nginxNode{}
		nginxDirect(h.children, func(n *nginxNode) {
			switch {
			case n.name == sslProtocols || n.name == sslCiphers:
				if n.open < 0 {
					httpOwn[h][n.name] = append(httpOwn[h][n.name], n)
				}
			case n.name == "server" && n.open >= 0:
				s := &nginxServer{node: n, http: h, own: map[string][]*nginxNode{}}
				nginxDirect(n.children, func(d *nginxNode) {
					if d.open >= 0 {
						return
					}
					switch d.name {
					case "listen":
						if l, ok := parseListen(d.args); ok {
							s.listens = append(s.listens, l)
						}
					case "server_name":
						s.names = append(s.names, d.args...)
					case sslProtocols, sslCiphers:
						s.own[d.name] = append(s.own[d.name], d)
					}
				})
				if len(s.listens) == 0 {
					s.listens = []nginxListen{{any4: true, port: 80, v6only: true}} // nginx's default: *:80
				}
				out = append(out, s)
			}
		})
	})
	return out, httpOwn
}

// serving picks the server blocks that serve the target, with nginx's
// rules: a block that listens on the target's very address wins over those
// that listen on every address of its family; among several blocks on one
// address and port, the one whose server_name the scan asked for. When it
// cannot tell which of several serves, it returns them all and says so.
func serving(all []*nginxServer, t nginxTarget) ([]*nginxServer, string) {
	on := func(pred func(nginxListen) bool) []*nginxServer {
		var out []*nginxServer
		for _, s := range all {
			if slices.ContainsFunc(s.listens, func(l nginxListen) bool { return l.port == t.port && pred(l) }) {
				out = append(out, s)
			}
		}
		return out
	}
	wild := func(l nginxListen) bool { return l.any4 || l.any6 }
	var cands []*nginxServer
	note := ""
	if t.addr.IsValid() {
		for _, pred := range []func(nginxListen) bool{
			func(l nginxListen) bool { return l.exact(t.addr) },
			func(l nginxListen) bool { return l.wildcardFor(t.addr) },
			wild, // [::] only, for an IPv4 address: the nearest nginx has
		} {
			if cands = on(pred); len(cands) > 0 {
				break
			}
		}
	} else {
		cands = on(func(nginxListen) bool { return true })
		if len(on(func(l nginxListen) bool { return !wild(l) })) > 0 {
			note = fmt.Sprintf("The finding names the host, not an address, and some server blocks listen on port %d of one address only: vigil cannot tell which address the scan reached.", t.port)
		}
	}
	if len(cands) <= 1 {
		return cands, note
	}
	var named []*nginxServer
	for _, s := range cands {
		if slices.ContainsFunc(s.names, func(p string) bool {
			return slices.ContainsFunc(t.names, func(h string) bool { return nginxNameMatches(p, h) })
		}) {
			named = append(named, s)
		}
	}
	if len(named) == 1 {
		return named, note
	}
	var names []string
	for _, s := range cands {
		n := "no server_name"
		if len(s.names) > 0 {
			n = "server_name " + strings.Join(s.names, " ")
		}
		names = append(names, n)
	}
	return cands, strings.TrimSpace(note + fmt.Sprintf(" %d server blocks serve %s (%s), and the scan did not ask for a name that only one of them has: vigil cannot tell which one it reached, so it changes all of them.",
		len(cands), t, strings.Join(names, "; ")))
}

// nginxNameMatches matches a host name against a server_name: exact,
// "*.example.org", ".example.org", "www.example.*", or "~regex".
func nginxNameMatches(pattern, host string) bool {
	p, h := strings.ToLower(pattern), strings.ToLower(host)
	switch {
	case p == "" || p == "_":
		return false
	case strings.HasPrefix(p, "~"):
		re, err := regexp.Compile(pattern[1:])
		return err == nil && re.MatchString(host)
	case strings.HasPrefix(p, "*."):
		return len(h) > len(p)-1 && strings.HasSuffix(h, p[1:])
	case strings.HasPrefix(p, "."):
		return h == p[1:] || strings.HasSuffix(h, p)
	case strings.HasSuffix(p, ".*"):
		return len(h) > len(p)-1 && strings.HasPrefix(h, p[:len(p)-1])
	}
	return p == h
}

// nginxValue is the value a server block has for a directive: its tokens,
// and whether any line sets it (else nginx's default applies).
func nginxValue(lines []*nginxNode) ([]string, bool) {
	var v []string
	for _, n := range lines {
		v = append(v, n.args...)
	}
	return v, len(lines) > 0
}

// nginxNew returns the value a directive gets, or false when the current
// one is already as strict as the intermediate profile or stricter: only
// TLS 1.2 and 1.3 (a block with TLSv1.3 alone keeps it), or only suites of
// the intermediate list. Versions are taken away, never added, except TLS
// 1.3 beside 1.2; a block with neither gets the profile's two.
func nginxNew(name string, cur []string, set bool) (string, bool) {
	switch name {
	case sslProtocols:
		var keep []string
		strict := set && len(cur) > 0
		for _, v := range cur {
			i := slices.IndexFunc(nginxVersions, func(n string) bool { return strings.EqualFold(n, v) })
			if i < 4 {
				strict = false
				continue
			}
			keep = append(keep, nginxVersions[i])
		}
		if strict {
			return "", false
		}
		if len(keep) == 0 {
			return nginxProtocols, true
		}
		out := []string{}
		for _, v := range nginxVersions[4:] {
			if slices.Contains(keep, v) || v == "TLSv1.3" {
				out = append(out, v)
			}
		}
		return strings.Join(out, " "), true
	case sslCiphers:
		good := strings.Split(nginxCiphers, ":")
		suites := strings.FieldsFunc(strings.Join(cur, ":"), func(r rune) bool { return r == ':' || r == ',' || r == ' ' })
		if set && len(suites) > 0 && !slices.ContainsFunc(suites, func(s string) bool { return !slices.Contains(good, s) }) {
			return "", false
		}
		return nginxCiphers, true
	}
	return "", false
}

// nginxChange is the result of setNginx: the edits, the server blocks
// changed, and what the user should know.
type nginxChange struct {
	edits   []Edit
	servers []string
	notes   []string
}

// change sets ssl_protocols and ssl_ciphers for the server blocks that
// serve the target and nothing else: where a block sets them, its lines
// are changed unless they are already as strict (never lowered); where it
// inherits them from the http block, which other blocks share, they are
// added to the block itself and the http block stays as it is. A line in
// a file that server blocks outside the target include too is not
// changed: the plan is refused.
func (c *nginxConf) change(t nginxTarget, fixID string) (*nginxChange, error) {
	all, httpOwn := c.servers()
	targets, why := serving(all, t)
	if len(targets) == 0 {
		return nil, fmt.Errorf("no server block in nginx's configuration (%s) listens on %s: the configuration may have changed since nginx started, or the port belongs to a stream block; vigil changes nothing it cannot tie to the finding", c.files[0].path, t)
	}
	isTarget := map[*nginxNode]bool{}
	for _, s := range targets {
		isTarget[s.node] = true
	}
	// owned reports whether every instance of the directive at n's place
	// (a file included twice has two) belongs to a target server block;
	// else it names a block or level that shares it.
	owned := func(n *nginxNode) (string, bool) {
		for _, m := range c.at[[2]int{n.file, n.start}] {
			b := m.block()
			if m.name == "server" && m.open >= 0 {
				if !isTarget[m] {
					return "read a second time through another include, where it serves other addresses", false
				}
				continue
			}
			if b == nil || !isTarget[b] {
				where := "the main level"
				if b != nil {
					where = "the " + b.name + " block at " + c.where(b)
				}
				return where, false
			}
		}
		return "", true
	}
	type change struct {
		start, end int
		text       string
	}
	changes := map[int][]change{} // by file
	var notes []string
	note := func(s string) {
		if !slices.Contains(notes, s) {
			notes = append(notes, s)
		}
	}
	if why != "" {
		note(why)
	}
	var servers []string
	for _, s := range targets {
		servers = append(servers, c.where(s.node))
		var add []string
		for _, name := range []string{sslProtocols, sslCiphers} {
			if own := s.own[name]; len(own) > 0 {
				cur, _ := nginxValue(own)
				v, ok := nginxNew(name, cur, true)
				if !ok {
					note(fmt.Sprintf("%s: %s %s is already as strict as Mozilla's intermediate profile or stricter: vigil keeps it.", c.where(own[0]), name, strings.Join(cur, " ")))
					continue
				}
				for _, n := range own {
					if where, ok := owned(n); !ok {
						return nil, fmt.Errorf("%s of the server block for %s is set at %s, which %s shares: vigil does not change a setting other servers use (and nginx would not take a second %s in the block); move it into the server block, or change it by hand", name, t, c.where(n), where, name)
					}
					changes[n.file] = append(changes[n.file], change{n.start, n.end, name + " " + v + ";"})
				}
				continue
			}
			inherited, set := nginxValue(httpOwn[s.http][name])
			v, ok := nginxNew(name, inherited, set)
			if !ok {
				continue // it inherits a value already as strict
			}
			if set {
				note(fmt.Sprintf("%s for every server block is set in the http block (%s: %s %s); vigil sets it in the server block for %s instead, so the other server blocks keep theirs.",
					name, c.where(httpOwn[s.http][name][0]), name, strings.Join(inherited, " "), t))
			}
			add = append(add, name+" "+v+";")
		}
		if len(add) == 0 {
			continue
		}
		if where, ok := owned(s.node); !ok {
			return nil, fmt.Errorf("the server block for %s (%s) is also %s: vigil does not change a block that serves other addresses too; change it by hand", t, c.where(s.node), where)
		}
		f := c.files[s.node.file]
		indent := nginxIndent(f.content, s.node)
		text := "\n" + indent + "# Set by vigil fix " + fixID + ": Mozilla intermediate TLS for " + t.String() + ".\n" + indent + strings.Join(add, "\n"+indent)
		// A block written on one line goes on with its next directive on
		// a line of its own; only the blanks after '{' are replaced.
		end := s.node.open
		for end < len(f.content) && (f.content[end] == ' ' || f.content[end] == '\t') {
			end++
		}
		if end < len(f.content) && f.content[end] != '\n' && f.content[end] != '\r' {
			text += "\n" + indent
		} else {
			end = s.node.open
		}
		changes[s.node.file] = append(changes[s.node.file], change{s.node.open, end, text})
	}

	var edits []Edit
	for fi, f := range c.files {
		cs := changes[fi]
		if len(cs) == 0 {
			continue
		}
		slices.SortStableFunc(cs, func(a, b change) int { return a.start - b.start })
		cs = slices.Compact(cs) // one place reached through two inclusions
		var b strings.Builder
		last := 0
		for _, ch := range cs {
			if ch.start < last {
				continue
			}
			b.Write(f.content[last:ch.start])
			b.WriteString(ch.text)
			last = ch.end
		}
		b.Write(f.content[last:])
		if after := b.String(); after != string(f.content) {
			edits = append(edits, Edit{Path: f.path, Before: f.content, After: []byte(after), Mode: fs.FileMode(f.mode)})
		}
	}
	if len(edits) == 0 {
		return nil, fmt.Errorf("nginx's server block for %s (%s) already sets ssl_protocols and ssl_ciphers at least as strict as Mozilla's intermediate profile: the finding may come from an older scan (scan again), or from another server on the port",
			t, strings.Join(servers, ", "))
	}
	return &nginxChange{edits: edits, servers: servers, notes: notes}, nil
}

// nginxIndent is the indentation of a block's first directive when it
// starts a line of its own, else the block's own indentation and one step
// more (a tab where the file indents with tabs, else four spaces).
func nginxIndent(b []byte, block *nginxNode) string {
	lineStart := func(i int) int {
		for i > 0 && (b[i-1] == ' ' || b[i-1] == '\t') {
			i--
		}
		return i
	}
	for _, n := range block.children {
		if n.file != block.file {
			continue
		}
		if i := lineStart(n.start); i > block.open && b[i-1] == '\n' {
			return string(b[i:n.start])
		}
		break
	}
	i := lineStart(block.start)
	base := string(b[i:block.start])
	if strings.Contains(base, "\t") || bytes.Contains(b, []byte("\n\t")) {
		return base + "\t"
	}
	return base + "    "
}

// nginxStatement is one simple directive of a file: its name, arguments
// and byte span from the name to its ';'.
type nginxStatement struct {
	name, arg  string
	args       []string
	start, end int
}

// nginxStatements lists the simple directives of one file, at any depth.
func nginxStatements(b []byte) []nginxStatement {
	var out []nginxStatement
	var walk func([]*nginxNode)
	walk = func(nodes []*nginxNode) {
		for _, n := range nodes {
			if n.open >= 0 {
				walk(n.children)
				continue
			}
			st := nginxStatement{name: n.name, args: n.args, start: n.start, end: n.end}
			if len(n.args) > 0 {
				st.arg = n.args[0]
			}
			out = append(out, st)
		}
	}
	walk(nginxParse(b))
	return out
}

// nginxParse reads one file's directives as a tree with
// internal/conf/nginx. Spans are the file's own offsets; a block with no
// name is dropped with what it holds, as nginx refuses it.
func nginxParse(b []byte) []*nginxNode {
	var conv func(ds []*nginx.Directive) []*nginxNode
	conv = func(ds []*nginx.Directive) []*nginxNode {
		var out []*nginxNode
		for _, d := range ds {
			if d.Name == "" {
				continue
			}
			n := &nginxNode{name: d.Name, args: d.Args[:min(len(d.Args), maxNginxArgs)], start: d.Start, end: d.End, open: d.Open}
			if d.IsBlock() {
				n.children = conv(d.Children)
			}
			out = append(out, n)
		}
		return out
	}
	return conv(nginx.Parse(b))
}

// maxNginxArgs caps the arguments kept of one directive.
const maxNginxArgs = 16
