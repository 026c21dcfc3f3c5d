package fix

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/bind"
	"github.com/vigilsec/vigil/internal/facts"
)

// The settings the BIND applier writes.
const (
	bindAllowRecursion = "allow-recursion { localhost; localnets; };"
	bindAllowTransfer  = "allow-transfer { none; };"
)

// Limits of following named.conf's include statements.
const (
	maxBindFiles = 256
	maxBindDepth = 8
)

// bindFile is one file of a named configuration, as read for a plan.
type bindFile struct {
	path    string // on this machine (inside the chroot)
	content []byte
	mode    fs.FileMode
	sts     []*bind.Statement
}

// bindConf is a named configuration: its files, and its top-level
// statements in the order named reads them.
type bindConf struct {
	files []*bindFile
	top   []bindAt
}

// bindAt is a statement and the file holding it.
type bindAt struct {
	f  *bindFile
	st *bind.Statement
}

// loadBind reads a named.conf and the files its top-level include
// statements name, as named does. An include inside a block, or a
// relative one, is refused: vigil could not tell where its statements go.
func loadBind(in Input, chroot, file string, g Guard) (*bindConf, error) {
	c := &bindConf{}
	var read func(p string, depth int) error
	read = func(p string, depth int) error {
		if depth > maxBindDepth {
			return fmt.Errorf("%s: include statements nested more than %d deep", p, maxBindDepth)
		}
		if len(c.files) >= maxBindFiles {
			return fmt.Errorf("named's configuration includes more than %d files", maxBindFiles)
		}
		b, mode, err := in.ReadFile(p, g)
		if err != nil {
			return fmt.Errorf("cannot read named's configuration: %w", err)
		}
		f := &bindFile{path: p, content: b, mode: mode, sts: bind.Parse(b)}
		c.files = append(c.files, f)
		for _, st := range f.sts {
			if st.Name != "include" {
				if inner := bindIncludeIn(st); inner != nil {
					return fmt.Errorf("%s:%d: an include statement inside a block: vigil cannot tell where its settings apply", p, inner.Line)
				}
				c.top = append(c.top, bindAt{f, st})
				continue
			}
			if len(st.Args) != 1 || !path.IsAbs(st.Args[0]) {
				return fmt.Errorf("%s:%d: an include statement vigil cannot follow (it names no absolute file)", p, st.Line)
			}
			pat := filepath.Join(chroot, st.Args[0])
			files := []string{pat}
			if strings.ContainsAny(pat, "*?[") {
				if in.Glob == nil {
					return fmt.Errorf("%s:%d: cannot list the files of include %q", p, st.Line, st.Args[0])
				}
				if files, err = in.Glob(pat); err != nil {
					return fmt.Errorf("%s:%d: cannot list the files of include %q: %w", p, st.Line, st.Args[0], err)
				}
			}
			for _, f := range files {
				if err := read(f, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := read(filepath.Join(chroot, file), 0); err != nil {
		return nil, err
	}
	return c, nil
}

// bindIncludeIn returns an include statement inside st's block, if any.
func bindIncludeIn(st *bind.Statement) *bind.Statement {
	var found *bind.Statement
	bind.Walk(st.Children, func(s *bind.Statement) {
		if found == nil && s.Name == "include" {
			found = s
		}
	})
	return found
}

// options returns the options block, if the configuration has one.
func (c *bindConf) options() (bindAt, bool) {
	for _, t := range c.top {
		if t.st.Name == "options" && t.st.Block {
			return t, true
		}
	}
	return bindAt{}, false
}

// at returns the statement called name that starts on line of the file
// (a "FILE:LINE: text" source of the host audit), in any block.
func (c *bindConf) at(src, name string) (bindAt, error) {
	file, line, ok := bindSource(src)
	if !ok {
		return bindAt{}, fmt.Errorf("cannot tell where %q is set (%s)", name, src)
	}
	for _, f := range c.files {
		if filepath.Clean(f.path) != filepath.Clean(file) {
			continue
		}
		var found *bind.Statement
		bind.Walk(f.sts, func(s *bind.Statement) {
			if found == nil && s.Name == name && s.Line == line {
				found = s
			}
		})
		if found != nil {
			return bindAt{f, found}, nil
		}
	}
	return bindAt{}, fmt.Errorf("%s no longer sets %s on line %d: the file changed since the audit; run vigil fix again", file, name, line)
}

// bindSource splits a "FILE:LINE: text" (or "FILE:LINE (not quoted …)")
// source.
func bindSource(src string) (string, int, bool) {
	i := strings.Index(src, ": ")
	if j := strings.Index(src, " ("); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		i = len(src)
	}
	head := src[:i]
	k := strings.LastIndex(head, ":")
	if k < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(head[k+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return head[:k], n, true
}

// bindEdit is one change to a file: bytes [start, end) become text.
type bindEdit struct {
	start, end int
	text       string
}

// bindEdits collects the changes of a plan, by file.
type bindEdits struct {
	fixID  string
	byFile map[*bindFile][]bindEdit
	order  []*bindFile
	seen   map[string]bool
}

func newBindEdits(fixID string) *bindEdits {
	return &bindEdits{fixID: fixID, byFile: map[*bindFile][]bindEdit{}, seen: map[string]bool{}}
}

func (e *bindEdits) add(f *bindFile, ed bindEdit) {
	if _, ok := e.byFile[f]; !ok {
		e.order = append(e.order, f)
	}
	e.byFile[f] = append(e.byFile[f], ed)
}

// oneLine is a statement's text on one line, for a comment.
func oneLine(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}

// replace puts text in place of a statement, after a comment line that
// quotes it: "// vigil fix ID replaced: OLD". The comment gets a line of
// its own, so that other statements on the statement's line stay.
func (e *bindEdits) replace(at bindAt, text string) {
	key := fmt.Sprintf("%s:%d", at.f.path, at.st.Start)
	if e.seen[key] {
		return
	}
	e.seen[key] = true
	b := at.f.content
	ls := strings.LastIndexByte(string(b[:at.st.Start]), '\n') + 1
	indent := leadingBlank(b[ls:])
	e.add(at.f, bindEdit{ls, ls, indent + "// vigil fix " + e.fixID + " replaced: " + oneLine(b[at.st.Start:at.st.End]) + "\n"})
	e.add(at.f, bindEdit{at.st.Start, at.st.End, text})
}

// leadingBlank returns the spaces and tabs a line starts with.
func leadingBlank(b []byte) string {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	return string(b[:n])
}

// insert adds a statement at the end of a block, before its '}'.
func (e *bindEdits) insert(at bindAt, text string) error {
	b := at.f.content
	closeAt := -1
	for _, t := range bind.Tokenize(b[:at.st.End]) {
		if t.Kind == bind.Close && t.Start >= at.st.Start {
			closeAt = t.Start
		}
	}
	if closeAt < 0 {
		return fmt.Errorf("%s:%d: the %s block is not closed", at.f.path, at.st.Line, at.st.Name)
	}
	comment := "// Set by vigil fix " + e.fixID
	ls := strings.LastIndexByte(string(b[:closeAt]), '\n') + 1
	if strings.TrimSpace(string(b[ls:closeAt])) == "" {
		in := leadingBlank(b[ls:]) + "\t"
		e.add(at.f, bindEdit{ls, ls, in + comment + "\n" + in + text + "\n"})
	} else {
		pos := closeAt
		for pos > at.st.Start && (b[pos-1] == ' ' || b[pos-1] == '\t') {
			pos--
		}
		e.add(at.f, bindEdit{pos, closeAt, "\n\t" + comment + "\n\t" + text + "\n"})
	}
	return nil
}

// setIn sets a statement in a view's block (view "" is the options: the
// configuration has no views), at the end of the block; a configuration
// without an options block gets one at the end of the main file. A block
// that already holds the statement means the audit is out of date.
func (e *bindEdits) setIn(c *bindConf, view, name, text string) error {
	var blk bindAt
	found := false
	if view == "" {
		blk, found = c.options()
	} else {
		for _, t := range c.top {
			if t.st.Name == "view" && t.st.Block && len(t.st.Args) > 0 && t.st.Args[0] == view {
				blk, found = t, true
				break
			}
		}
		if !found {
			return fmt.Errorf("named's configuration has no view %q any more: the file changed since the audit; run vigil fix again", view)
		}
	}
	if !found {
		main := c.files[0]
		if e.seen["options"] {
			return nil
		}
		e.seen["options"] = true
		sep := ""
		if n := len(main.content); n > 0 && main.content[n-1] != '\n' {
			sep = "\n"
		}
		e.add(main, bindEdit{len(main.content), len(main.content), sep + "// Set by vigil fix " + e.fixID + "\noptions {\n\t" + text + "\n};\n"})
		return nil
	}
	key := fmt.Sprintf("%s:%d:%s", blk.f.path, blk.st.Start, name)
	if e.seen[key] {
		return nil
	}
	e.seen[key] = true
	for _, st := range blk.st.Children {
		if st.Name == name {
			return fmt.Errorf("%s:%d already sets %s: the file changed since the audit; run vigil fix again", blk.f.path, st.Line, name)
		}
	}
	return e.insert(blk, text)
}

// setOption sets an options-level statement: it replaces the options' own
// or adds it at the end of the block.
func (e *bindEdits) setOption(c *bindConf, name, text string) error {
	if opts, ok := c.options(); ok {
		for _, st := range opts.st.Children {
			if st.Name == name {
				e.replace(bindAt{opts.f, st}, text)
				return nil
			}
		}
	}
	return e.setIn(c, "", name, text)
}

// result applies the edits to each file.
func (e *bindEdits) result(g Guard) []Edit {
	var out []Edit
	for _, f := range e.order {
		eds := slices.Clone(e.byFile[f])
		slices.SortStableFunc(eds, func(a, b bindEdit) int { return a.start - b.start })
		var sb strings.Builder
		pos := 0
		for _, ed := range eds {
			sb.Write(f.content[pos:ed.start])
			sb.WriteString(ed.text)
			pos = max(pos, ed.end)
		}
		sb.Write(f.content[pos:])
		out = append(out, Edit{Path: f.path, Before: f.content, After: []byte(sb.String()), Mode: f.mode, Guard: g})
	}
	return out
}

func planBind(in Input, l facts.Listener) (*Plan, error) {
	pidOf := func(c facts.BindConfig) int { return c.PID }
	cfg, err := configFor(in.Host, in.Host.Bind, pidOf, l, "BIND", "named")
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file named on port %d (%s) reads", l.Port, who(l))
	}
	if len(cfg.Incomplete) > 0 {
		return nil, fmt.Errorf("vigil could not read all of named's configuration (%s), so it cannot tell what a change would do; do it by hand: %s", strings.Join(cfg.Incomplete, "; "), in.Finding.Recommendation)
	}
	main := filepath.Join(cfg.Chroot, cfg.ConfigFile)
	hostFile := func(c facts.BindConfig) string {
		if c.ConfigFile == "" {
			return ""
		}
		return filepath.Join(c.Chroot, c.ConfigFile)
	}
	if err := sharedWith(in.Host.Bind, pidOf, hostFile, cfg.PID, main, "named"); err != nil {
		return nil, err
	}
	if cfg.Checkconf == "" {
		return nil, fmt.Errorf("vigil checks a changed named configuration with named-checkconf before it reloads, and found none it may run as root for %s (it must be root's, in /usr/sbin or /usr/bin, and every file of the configuration root's); do it by hand: %s", who(l), in.Finding.Recommendation)
	}
	guard := guardFor(cfg.Daemon, main)
	conf, err := loadBind(in, cfg.Chroot, cfg.ConfigFile, guard)
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	eds := newBindEdits(in.FixID)
	var summary, question string
	var notes []string
	switch in.Finding.Check {
	case "dns.recursion.open", "dns.config.recursion":
		summary, question, notes, err = bindRecursion(conf, cfg, eds)
	case "dns.axfr.open", "dns.config.axfr":
		summary, question, notes, err = bindTransfer(conf, cfg, eds)
	case "dns.version.disclosed", "dns.config.version":
		summary, question, notes, err = bindHideVersion(conf, cfg, eds)
	default:
		err = fmt.Errorf("%s: %w", in.Finding.Check, ErrNoApplier)
	}
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	edits := eds.result(guard)
	// Another named that reads one of these files (an include they share)
	// would change too.
	for _, o := range in.Host.Bind {
		if o.PID == cfg.PID || o.ConfigFile == "" {
			continue
		}
		other, err := loadBind(in, o.Chroot, o.ConfigFile, guardFor(o.Daemon, hostFile(o)))
		if err != nil {
			continue // what vigil may not read, it cannot tell; named-checkconf of this one still runs
		}
		for _, e := range edits {
			if slices.ContainsFunc(other.files, func(f *bindFile) bool { return filepath.Clean(f.path) == filepath.Clean(e.Path) }) {
				return nil, fmt.Errorf("%s is also read by another named (pid %d, %s): vigil changes only the files of the named that serves the finding; do it by hand: %s", e.Path, o.PID, o.ConfigFile, in.Finding.Recommendation)
			}
		}
	}
	check := []string{cfg.Checkconf}
	if cfg.Chroot != "" {
		check = append(check, "-t", cfg.Chroot)
	}
	check = append(check, cfg.ConfigFile)
	return &Plan{
		Applier:  "named",
		Summary:  summary + fmt.Sprintf(", check it with named-checkconf and make named (%s) re-read it", who(l)),
		Question: question + fmt.Sprintf(" (%s)?", who(l)),
		Edits:    edits,
		Validate: []Step{{Kind: StepRun, Argv: check, Why: "named-checkconf accepts the configuration"}},
		Reload:   reloadSteps(l, cfg.PID, "HUP", "named", false),
		Verify:   []Step{{Kind: StepListen, Addr: listenAddr(l), Why: "named listens"}},
		Notes:    notes,
	}, nil
}

// bindRecursion limits recursion to localhost and localnets in every view
// whose recursion the host audit found open to any address.
func bindRecursion(c *bindConf, cfg facts.BindConfig, eds *bindEdits) (string, string, []string, error) {
	var views []string
	for _, v := range cfg.Views {
		if v.Unresolved != "" {
			return "", "", nil, fmt.Errorf("vigil could not judge %s: %s", bindViewName(v), v.Unresolved)
		}
		if !v.Recursion || !v.RecursionOpen {
			continue
		}
		views = append(views, bindViewName(v))
		if v.AllowRecursionBy == "allow-recursion" {
			at, err := c.at(v.AllowRecursionFrom, "allow-recursion")
			if err != nil {
				return "", "", nil, err
			}
			eds.replace(at, bindAllowRecursion)
			continue
		}
		// Neither the view nor the options set allow-recursion: named takes
		// allow-query-cache or allow-query instead. The view gets its own
		// (the options without views), so that other views keep theirs.
		if err := eds.setIn(c, v.Name, "allow-recursion", bindAllowRecursion); err != nil {
			return "", "", nil, err
		}
	}
	if len(views) == 0 {
		return "", "", nil, errors.New("the host audit finds no view of this named that offers recursion to any address: nothing to change here (a scan from inside your own networks sees the recursion they are allowed)")
	}
	return fmt.Sprintf("Offer recursion only to this machine and its own networks (%s) in %s", bindAllowRecursion, strings.Join(views, ", ")),
		fmt.Sprintf("Limit recursion to localhost and localnets in %s", cfg.ConfigFile),
		[]string{
			"recursion no; would also stop the resolver your own networks use: vigil sets allow-recursion { localhost; localnets; }; instead. If clients on other networks of yours need this resolver, add their prefixes to that list.",
			"allow-query-cache is left as it is: where it is open, anyone can still read what the cache already holds (not make it resolve anything new); set it to the same list if you want to close that too.",
		}, nil
}

// bindTransfer refuses zone transfers to anyone: allow-transfer { none; }
// in the options, and in place of every open list the host audit found
// (zone, view or options).
func bindTransfer(c *bindConf, cfg facts.BindConfig, eds *bindEdits) (string, string, []string, error) {
	var zones []string
	for _, v := range cfg.Views {
		for _, z := range v.Zones {
			if z.Unresolved != "" {
				return "", "", nil, fmt.Errorf("vigil could not judge zone %q: %s", z.Name, z.Unresolved)
			}
			if !z.TransferOpen {
				continue
			}
			zones = append(zones, strconv.Quote(z.Name))
			if z.TransferFrom == "" {
				// BIND 9.18's default, any: the options get allow-transfer
				// { none; } (the view, when there are views, so that the
				// zones of views for internal clients only keep theirs).
				if err := eds.setIn(c, v.Name, "allow-transfer", bindAllowTransfer); err != nil {
					return "", "", nil, err
				}
				continue
			}
			at, err := c.at(z.TransferFrom, "allow-transfer")
			if err != nil {
				return "", "", nil, err
			}
			eds.replace(at, bindAllowTransfer)
		}
	}
	if len(zones) == 0 {
		return "", "", nil, errors.New("the host audit finds no zone of this named that it transfers to any address: nothing to change here")
	}
	slices.Sort(zones)
	zones = slices.Compact(zones)
	return fmt.Sprintf("Refuse zone transfers (%s) for %s in %s", bindAllowTransfer, strings.Join(zones, ", "), cfg.ConfigFile),
		fmt.Sprintf("Refuse zone transfers of %s in %s", strings.Join(zones, ", "), cfg.ConfigFile),
		[]string{"Secondary servers of these zones can no longer transfer them: list each one (with a TSIG key: allow-transfer { key \"xfr-key\"; };) in its zone's allow-transfer."}, nil
}

// bindHideVersion sets version none; and hostname none; in the options:
// version.bind and hostname.bind are what a scan asks (server-id is none
// unless set).
func bindHideVersion(c *bindConf, cfg facts.BindConfig, eds *bindEdits) (string, string, []string, error) {
	var set []string
	for _, name := range []string{"version", "hostname"} {
		text := name + " none;"
		if opts, ok := c.options(); ok {
			if i := slices.IndexFunc(opts.st.Children, func(st *bind.Statement) bool { return st.Name == name }); i >= 0 {
				if st := opts.st.Children[i]; len(st.Args) == 1 && st.Args[0] == "none" {
					continue
				}
			}
		}
		if err := eds.setOption(c, name, text); err != nil {
			return "", "", nil, err
		}
		set = append(set, text)
	}
	if len(set) == 0 {
		return "", "", nil, errors.New("named's options already say version none; and hostname none; (a view of class CHAOS may serve version.bind from a zone of its own: change that zone by hand)")
	}
	return fmt.Sprintf("Hide named's version and host name (%s) in %s", strings.Join(set, " "), cfg.ConfigFile),
		fmt.Sprintf("Hide named's version and host name in %s", cfg.ConfigFile),
		[]string{"named then refuses version.bind and hostname.bind (CHAOS TXT); id.server stays off unless server-id is set."}, nil
}

// bindViewName names a view for people.
func bindViewName(v facts.BindView) string {
	if v.Name == "" {
		return "named's options"
	}
	return fmt.Sprintf("view %q", v.Name)
}
