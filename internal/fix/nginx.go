package fix

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// Mozilla's "intermediate" server-side TLS configuration (version 5.7): TLS
// 1.2 and 1.3, and these TLS 1.2 suites (TLS 1.3 suites are not set by
// ssl_ciphers).
const (
	nginxProtocols = "TLSv1.2 TLSv1.3"
	nginxCiphers   = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305"
)

// Limits of following nginx's include directives.
const (
	maxNginxFiles = 256
	maxNginxDepth = 8
)

func planNginx(in Input, l facts.Listener) (*Plan, error) {
	cfg, err := configFor(in.Host, in.Host.Nginx, func(c facts.NginxConfig) int { return c.PID }, l, "nginx")
	if err != nil {
		return nil, fmt.Errorf("%w; vigil fixes TLS settings of nginx only; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file nginx on port %d (%s) reads", l.Port, who(l))
	}
	exe := cfg.Daemon.Exe
	if exe == "" {
		return nil, fmt.Errorf("vigil checks a changed nginx configuration with the daemon's own binary (nginx -t) before it reloads, and may not run the binary of %s: %s", who(l), nonEmpty(cfg.Daemon.Note, "it is not root's"))
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	files, err := nginxFiles(in, cfg.ConfigFile, guard)
	if err != nil {
		return nil, err
	}
	edits, err := setNginx(files, cfg.ConfigFile, l.Port)
	if err != nil {
		return nil, err
	}
	var paths []string
	for i := range edits {
		edits[i].Guard = guard
		paths = append(paths, edits[i].Path)
	}
	return &Plan{
		Applier:  "nginx",
		Summary:  fmt.Sprintf("Set ssl_protocols %s and Mozilla's intermediate ssl_ciphers in %s, check with nginx -t and reload nginx (%s)", nginxProtocols, strings.Join(paths, ", "), who(l)),
		Question: fmt.Sprintf("Change the TLS settings of nginx (%s) and reload it?", who(l)),
		Edits:    edits,
		Validate: []Step{{Kind: StepRun, Argv: []string{exe, "-t", "-c", cfg.ConfigFile}, Why: "check the configuration"}},
		Reload:   reloadSteps(l, cfg.PID, "HUP", "nginx: master", true),
		Verify:   []Step{{Kind: StepListen, Addr: listenAddr(l), Why: "nginx listens"}},
		Notes: []string{"Clients that speak only TLS 1.0 or 1.1 (Windows 7's Internet Explorer, Android 4.3 and older) can no longer connect.",
			"TLS 1.3 needs OpenSSL 1.1.1 or later; nginx -t fails on older ones, and vigil then rolls back."},
	}, nil
}

// nginxFile is one configuration file and its content.
type nginxFile struct {
	path    string
	content []byte
	mode    uint32
}

// nginxFiles reads the main file and, recursively, what it includes
// (relative paths are relative to the main file's directory, as nginx does).
func nginxFiles(in Input, main string, guard Guard) ([]nginxFile, error) {
	prefix := filepath.Dir(main)
	var out []nginxFile
	seen := map[string]bool{}
	var visit func(path string, depth int) error
	visit = func(path string, depth int) error {
		if seen[path] || len(out) >= maxNginxFiles || depth > maxNginxDepth {
			return nil
		}
		seen[path] = true
		b, mode, err := in.ReadFile(path, guard)
		switch {
		case errors.Is(err, ErrRefusedFile):
			return err // never planned around: the file is nginx's too
		case err != nil && depth == 0:
			return fmt.Errorf("cannot read nginx's configuration: %w", err)
		case err != nil:
			return nil // a glob match that vanished: nginx -t will tell
		}
		out = append(out, nginxFile{path: path, content: b, mode: uint32(mode)})
		for _, st := range nginxStatements(b) {
			if st.name != "include" {
				continue
			}
			pat := st.arg
			if !filepath.IsAbs(pat) {
				pat = filepath.Join(prefix, pat)
			}
			var matches []string
			if in.Glob != nil && strings.ContainsAny(pat, "*?[") {
				matches, _ = in.Glob(pat)
			} else {
				matches = []string{pat}
			}
			for _, m := range matches {
				if err := visit(m, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := visit(main, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// setNginx sets ssl_protocols and ssl_ciphers for the server blocks that
// listen on port: in those blocks where they set them, and where they
// inherit them, at the level they inherit from (the http block, or the top
// of an included file); a block that has neither gets them added. Server
// blocks on other ports keep their own settings. When no server block
// listens on the port (it comes from a default), every ssl_protocols and
// ssl_ciphers line is set, or they are added to the main file's http block.
func setNginx(files []nginxFile, main string, port int) ([]Edit, error) {
	want := map[string]string{"ssl_protocols": "ssl_protocols " + nginxProtocols + ";", "ssl_ciphers": "ssl_ciphers " + nginxCiphers + ";"}
	names := []string{"ssl_protocols", "ssl_ciphers"}
	type span struct{ start, end int }
	repl := map[string][]span{}              // file -> statement spans to replace (by the name's wanted line)
	replName := map[string][]string{}        // parallel: which directive
	inserts := map[string]map[int][]string{} // file -> offset -> lines to insert
	targeted := false
	outsideSet := map[string]bool{} // a directive set outside any server block
	missingIn := map[string]bool{}  // a target server lacks the directive
	type scanned struct {
		f       nginxFile
		stmts   []nginxStatement
		servers []nginxServer
	}
	var all []scanned
	for _, f := range files {
		st, sv := nginxScan(f.content)
		all = append(all, scanned{f, st, sv})
		for _, x := range st {
			if _, ok := want[x.name]; ok && x.server < 0 {
				outsideSet[x.name] = true
			}
		}
	}
	add := func(path string, x nginxStatement) {
		repl[path] = append(repl[path], span{x.start, x.end})
		replName[path] = append(replName[path], x.name)
	}
	for _, sc := range all {
		for si, srv := range sc.servers {
			if !slices.Contains(srv.ports, port) {
				continue
			}
			targeted = true
			has := map[string]bool{}
			for _, x := range sc.stmts {
				if _, ok := want[x.name]; ok && x.server == si {
					has[x.name] = true
					add(sc.f.path, x)
				}
			}
			for _, n := range names {
				if has[n] {
					continue
				}
				if outsideSet[n] {
					missingIn[n] = true // set where it inherits from
					continue
				}
				if inserts[sc.f.path] == nil {
					inserts[sc.f.path] = map[int][]string{}
				}
				inserts[sc.f.path][srv.open] = append(inserts[sc.f.path][srv.open], want[n])
			}
		}
	}
	for _, sc := range all {
		for _, x := range sc.stmts {
			if _, ok := want[x.name]; !ok || x.server >= 0 {
				continue
			}
			if !targeted || missingIn[x.name] {
				add(sc.f.path, x)
			}
		}
		if !targeted {
			for _, x := range sc.stmts {
				if _, ok := want[x.name]; ok && x.server >= 0 {
					add(sc.f.path, x)
				}
			}
		}
	}
	if !targeted {
		var missing []string
		for _, n := range names {
			found := false
			for _, sc := range all {
				for _, x := range sc.stmts {
					found = found || x.name == n
				}
			}
			if !found {
				missing = append(missing, want[n])
			}
		}
		if len(missing) > 0 {
			var mainFile []byte
			for _, f := range files {
				if f.path == main {
					mainFile = f.content
				}
			}
			at := nginxHTTPBlock(mainFile)
			if at < 0 {
				return nil, fmt.Errorf("%s has no http block to put %s in, and no server block listens on port %d", main, strings.Join(missing, " and "), port)
			}
			if inserts[main] == nil {
				inserts[main] = map[int][]string{}
			}
			inserts[main][at] = append(inserts[main][at], missing...)
		}
	}

	var edits []Edit
	for _, f := range files {
		type change struct {
			start, end int
			text       string
		}
		var cs []change
		for i, sp := range repl[f.path] {
			cs = append(cs, change{sp.start, sp.end, want[replName[f.path][i]]})
		}
		for at, lines := range inserts[f.path] {
			cs = append(cs, change{at, at, "\n    # Set by vigil fix: Mozilla intermediate TLS.\n    " + strings.Join(lines, "\n    ")})
		}
		if len(cs) == 0 {
			continue
		}
		slices.SortFunc(cs, func(a, b change) int { return a.start - b.start })
		var b strings.Builder
		last := 0
		for _, c := range cs {
			if c.start < last {
				continue // the same statement reached twice
			}
			b.Write(f.content[last:c.start])
			b.WriteString(c.text)
			last = c.end
		}
		b.Write(f.content[last:])
		if after := b.String(); after != string(f.content) {
			edits = append(edits, Edit{Path: f.path, Before: f.content, After: []byte(after), Mode: fs.FileMode(f.mode)})
		}
	}
	if len(edits) == 0 {
		return nil, fmt.Errorf("nginx's configuration already sets ssl_protocols %s and the intermediate ciphers for port %d: the finding may come from another server on the port, or from an older scan", nginxProtocols, port)
	}
	return edits, nil
}

// nginxStatement is one simple directive: its name, first argument, byte
// span from the name to its ';', and the server block it is in (an index
// into nginxScan's servers, -1 outside any).
type nginxStatement struct {
	name, arg  string
	args       []string
	start, end int
	server     int
}

// nginxServer is one server block: where its body starts (just after '{')
// and the ports its listen directives name.
type nginxServer struct {
	open  int
	ports []int
}

// nginxStatements finds the simple directives of an nginx configuration.
func nginxStatements(b []byte) []nginxStatement {
	st, _ := nginxScan(b)
	return st
}

// nginxScan finds the simple directives of an nginx configuration (at any
// depth) and its server blocks, skipping comments and quoted strings.
func nginxScan(b []byte) ([]nginxStatement, []nginxServer) {
	var out []nginxStatement
	var servers []nginxServer
	// stack holds, for each open block, the server index it belongs to.
	stack := []int{-1}
	const maxDepth = 64
	i := 0
	atStart := true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case c == ';' || c == '{':
			atStart = true
			i++
			continue
		case c == '}':
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			atStart = true
			i++
			continue
		}
		if !atStart {
			i = skipToken(b, i)
			continue
		}
		atStart = false
		start := i
		j := i
		for j < len(b) && isWordByte(b[j]) {
			j++
		}
		name := string(b[i:j])
		if j == i {
			i = skipToken(b, i)
			continue
		}
		// Read the arguments up to ';' or '{'.
		k := j
		var args []string
		for k < len(b) && b[k] != ';' && b[k] != '{' && b[k] != '}' {
			switch b[k] {
			case ' ', '\t', '\r', '\n':
				k++
			case '#':
				for k < len(b) && b[k] != '\n' {
					k++
				}
			default:
				e := skipToken(b, k)
				if len(args) < 16 {
					args = append(args, strings.Trim(string(b[k:e]), `"'`))
				}
				k = e
			}
		}
		cur := stack[len(stack)-1]
		switch {
		case k < len(b) && b[k] == ';':
			st := nginxStatement{name: name, args: args, start: start, end: k + 1, server: cur}
			if len(args) > 0 {
				st.arg = args[0]
			}
			out = append(out, st)
			if name == "listen" && cur >= 0 && len(args) > 0 {
				if p := listenPort(args[0]); p > 0 {
					servers[cur].ports = append(servers[cur].ports, p)
				}
			}
			i = k + 1
			atStart = true
		case k < len(b) && b[k] == '{':
			if len(stack) < maxDepth {
				if name == "server" && cur < 0 {
					servers = append(servers, nginxServer{open: k + 1})
					cur = len(servers) - 1
				}
				stack = append(stack, cur)
			}
			i = k + 1
			atStart = true
		default:
			i = k
		}
	}
	return out, servers
}

// listenPort reads the port of a listen directive's address: "443",
// "127.0.0.1:8443", "[::]:443", "*:80"; an address without a port listens
// on 80; 0 for unix sockets and what it cannot read.
func listenPort(a string) int {
	if strings.HasPrefix(a, "unix:") {
		return 0
	}
	port := a
	switch {
	case strings.HasPrefix(a, "["):
		j := strings.IndexByte(a, ']')
		if j < 0 {
			return 0
		}
		if !strings.HasPrefix(a[j+1:], ":") {
			return 80
		}
		port = a[j+2:]
	case strings.Contains(a, ":"):
		port = a[strings.LastIndexByte(a, ':')+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		if port == a {
			return 80 // a host name or address alone
		}
		return 0
	}
	if n <= 0 || n > 65535 {
		return 0
	}
	return n
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// skipToken skips one argument: a quoted string (with backslash escapes) or
// a run of non-space, non-delimiter bytes.
func skipToken(b []byte, i int) int {
	if i < len(b) && (b[i] == '"' || b[i] == '\'') {
		q := b[i]
		i++
		for i < len(b) && b[i] != q {
			if b[i] == '\\' {
				i++
			}
			i++
		}
		return min(i+1, len(b))
	}
	for i < len(b) && !strings.ContainsRune(" \t\r\n;{}#", rune(b[i])) {
		i++
	}
	if i < len(b) && b[i] == '#' {
		// '#' inside a token (e.g. a URL fragment) is part of it.
		for i < len(b) && !strings.ContainsRune(" \t\r\n;{}", rune(b[i])) {
			i++
		}
	}
	return i
}

// nginxHTTPBlock returns the offset just after the '{' of the top-level
// http block, or -1.
func nginxHTTPBlock(b []byte) int {
	depth := 0
	i := 0
	atStart := true
	for i < len(b) {
		c := b[i]
		switch {
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			continue
		case c == '{':
			depth++
			atStart = true
			i++
			continue
		case c == '}':
			depth--
			atStart = true
			i++
			continue
		case c == ';':
			atStart = true
			i++
			continue
		}
		if atStart && depth == 0 && strings.HasPrefix(string(b[i:min(i+4, len(b))]), "http") && (i+4 == len(b) || !isWordByte(b[i+4])) {
			j := i + 4
			for j < len(b) && b[j] != '{' && b[j] != ';' {
				j++
			}
			if j < len(b) && b[j] == '{' {
				return j + 1
			}
		}
		atStart = false
		i = skipToken(b, i)
	}
	return -1
}
