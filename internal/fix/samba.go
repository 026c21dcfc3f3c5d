package fix

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/samba"
	"github.com/vigilsec/vigil/internal/facts"
)

// sambaApplier fixes smbd's smb.conf: SMBv1, signing, guest access.
var sambaApplier = applierKind{plan: planSamba, product: "Samba", service: "smb"}

// sambaSetting is the one [global] parameter a Samba fix sets.
type sambaSetting struct {
	name, value string
	// enough reports whether the value in force (as written) already is
	// as strict as the fix or stricter; ok is false when Samba would
	// ignore the value.
	enough func(v string) (enough, ok bool)
	note   string
}

// sambaSettingsFor are the settings that fix a check.
func sambaSettingsFor(check string) ([]sambaSetting, bool) {
	switch check {
	case "smb.v1", "smb.config.v1":
		return []sambaSetting{{name: "server min protocol", value: "SMB2_02",
			enough: func(v string) (bool, bool) {
				_, r, ok := samba.Protocol(v)
				_, min, _ := samba.Protocol("SMB2_02")
				return ok && r >= min, ok
			},
			note: "Clients that speak only SMBv1 (Windows XP, old printers, scanners and NAS) can no longer connect; a stricter server min protocol (SMB2_10, SMB3) already set is kept."}}, true
	case "smb.signing.not-required", "smb.config.signing":
		return []sambaSetting{{name: "server signing", value: "mandatory",
			enough: func(v string) (bool, bool) {
				s, ok := samba.Signing(v)
				return s == "required", ok
			},
			note: "Every client must then sign its SMB traffic: Windows and Samba clients can; some old NAS, printer and scanner clients cannot."}}, true
	case "smb.config.guest":
		return []sambaSetting{mapToGuestNever}, true
	case "smb.guest.shares":
		// A null session lists shares whatever map to guest says: only
		// restrict anonymous = 2 refuses it the IPC$ share (smb.conf(5),
		// restrict anonymous).
		return []sambaSetting{mapToGuestNever, {name: "restrict anonymous", value: "2",
			enough: func(v string) (bool, bool) {
				switch strings.TrimSpace(v) {
				case "0", "1":
					return false, true
				case "2":
					return true, true
				}
				return false, false
			},
			note: "restrict anonymous = 2 refuses clients without a user name (null sessions) the IPC$ share: they can no longer list shares or users. Old software that browses anonymously (NetBIOS browsing) may stop working."}}, true
	}
	return nil, false
}

// mapToGuestNever refuses to take failed logins as the guest account.
var mapToGuestNever = sambaSetting{name: "map to guest", value: "never",
	enough: func(v string) (bool, bool) {
		m, ok := samba.MapToGuest(v)
		return m == "never", ok
	},
	note: "A wrong password or an unknown user name is refused instead of being taken as the guest account. Shares with guest ok = yes (public = yes) stay as they are: vigil does not change shares; remove it by hand from those that need no guests."}

func planSamba(in Input, l facts.Listener) (*Plan, error) {
	sets, ok := sambaSettingsFor(in.Finding.Check)
	if !ok {
		return nil, fmt.Errorf("%s: %w; do it by hand: %s", in.Finding.Check, ErrNoApplier, in.Finding.Recommendation)
	}
	pidOf := func(c facts.SambaConfig) int { return c.PID }
	fileOf := func(c facts.SambaConfig) string { return c.ConfigFile }
	cfg, err := configFor(in.Host, in.Host.Samba, pidOf, l, "Samba", "smbd")
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" || !filepath.IsAbs(cfg.ConfigFile) {
		return nil, fmt.Errorf("cannot tell which configuration file smbd on port %d (%s) reads; do it by hand: %s", l.Port, who(l), in.Finding.Recommendation)
	}
	if err := sharedWith(in.Host.Samba, pidOf, fileOf, cfg.PID, cfg.ConfigFile, "smbd"); err != nil {
		return nil, err
	}
	if cfg.Testparm == "" {
		return nil, fmt.Errorf("vigil checks a changed Samba configuration with testparm before it reloads smbd, and found none it may run for %s: %s; do it by hand: %s", who(l), nonEmpty(cfg.Daemon.Note, "smbd does not run as root"), in.Finding.Recommendation)
	}
	// smbd's --option parameters win over smb.conf (smbd(8)).
	cmdline := samba.Canonical(l.Cmdline)
	for _, set := range sets {
		src := cfg.Sources[set.name]
		if strings.HasPrefix(src, "command line:") || strings.Contains(cmdline, "--option="+samba.Canonical(set.name)+"=") || strings.Contains(cmdline, "--option"+samba.Canonical(set.name)+"=") {
			return nil, fmt.Errorf("smbd (%s) gets %s from its command line (%s), which wins over smb.conf: change the command that starts smbd (its systemd unit or /etc/default/samba), then restart it", who(l), set.name, nonEmpty(src, l.Cmdline))
		}
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	conf, err := loadSamba(in, cfg.ConfigFile, guard)
	if err != nil {
		return nil, err
	}
	if err := conf.sure(); err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	edits, done, notes, err := conf.set(sets, in.FixID)
	if err != nil {
		return nil, err
	}
	// Another smbd that reads a file to change would change too.
	for i := range edits {
		edits[i].Guard = guard
		for _, o := range in.Host.Samba {
			if o.PID == cfg.PID || o.ConfigFile == "" || !filepath.IsAbs(o.ConfigFile) {
				continue
			}
			other, err := loadSamba(in, o.ConfigFile, guardFor(o.Daemon, o.ConfigFile))
			if err != nil {
				continue // what vigil may not read, it cannot tell; testparm of this one still runs
			}
			for _, f := range other.loaded.Files {
				if filepath.Clean(f) == filepath.Clean(edits[i].Path) {
					return nil, fmt.Errorf("%s is also read by another smbd (pid %d, %s): vigil changes only the files of the smbd that serves the finding; do it by hand: %s", edits[i].Path, o.PID, o.ConfigFile, in.Finding.Recommendation)
				}
			}
		}
	}
	main := conf.loaded.Main
	notes = append(notes, "Connections already open keep their settings (\"already active connections do not change their configuration\", smb.conf(5)); new connections get the change.")
	if main != cfg.ConfigFile {
		notes = append(notes, fmt.Sprintf("smbd was started with %s, whose config file line makes it read %s: the change is made there.", cfg.ConfigFile, main))
	}
	var paths []string
	for _, e := range edits {
		paths = append(paths, e.Path)
	}
	return &Plan{
		Applier:  "samba",
		Summary:  fmt.Sprintf("Set %s in the [global] section, check it with testparm and make smbd (%s) re-read it", strings.Join(done, " and "), who(l)),
		Question: fmt.Sprintf("Set %s in %s and reload smbd (%s)?", strings.Join(done, " and "), strings.Join(paths, ", "), who(l)),
		Edits:    edits,
		Validate: []Step{{Kind: StepRun, Argv: []string{cfg.Testparm, "-s", "--suppress-prompt", main}, Why: "Samba accepts the new configuration"}},
		Reload:   reloadSteps(l, cfg.PID, "HUP", "smbd", false),
		Verify:   []Step{{Kind: StepListen, Addr: listenAddr(l), Why: "smbd listens"}},
		Notes:    notes,
	}, nil
}

// sambaConf is a configuration as smbd reads it, with the content of
// every file read.
type sambaConf struct {
	loaded *samba.Loaded
	files  map[string][]byte
	modes  map[string]fs.FileMode
}

// loadSamba reads main, what it includes and where config file moves it,
// every file under guard.
func loadSamba(in Input, main string, guard Guard) (*sambaConf, error) {
	c := &sambaConf{files: map[string][]byte{}, modes: map[string]fs.FileMode{}}
	l, err := samba.Load(main, func(name string) ([]byte, error) {
		b, mode, err := in.ReadFile(name, guard)
		if err != nil {
			return nil, err
		}
		c.files[name], c.modes[name] = b, mode
		return b, nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read smbd's configuration: %w", err)
	}
	c.loaded = l
	return c, nil
}

// sure refuses a configuration vigil cannot see in full: a change could
// then be undone by a file it did not read.
func (c *sambaConf) sure() error {
	if c.loaded.Ignored != "" && !strings.Contains(c.loaded.Ignored, "does not exist") {
		return fmt.Errorf("vigil cannot be sure which file smbd reads: %s", c.loaded.Ignored)
	}
	if u := c.loaded.Unread(); len(u) > 0 {
		return fmt.Errorf("vigil cannot see all of smbd's configuration: %s:%d includes %s, which it did not read (%s)", u[0].File, u[0].Line, u[0].Value, u[0].Unread)
	}
	return nil
}

// sambaOp replaces lines start..end (from 1) of a file with text, or,
// when end is 0, inserts text after line start (0: at the top).
type sambaOp struct {
	start, end int
	text       string
}

// set makes the edits that set each setting in [global]: the line in
// force is replaced (commented, and the new line below it), or, when no
// line sets it, the setting is added after the first [global] header of
// the file smbd reads (at its top when it has none: lines before any
// header are global). A setting already as strict is left alone; done
// says what changes and where, notes what the user should know.
func (c *sambaConf) set(sets []sambaSetting, fixID string) (edits []Edit, done, notes []string, err error) {
	ops := map[string][]sambaOp{}
	var order []string
	add := func(file string, op sambaOp) {
		if _, ok := ops[file]; !ok {
			order = append(order, file)
		}
		for i, o := range ops[file] {
			if o.end == 0 && op.end == 0 && o.start == op.start {
				ops[file][i].text += op.text
				return
			}
		}
		ops[file] = append(ops[file], op)
	}
	var already []string
	for _, s := range sets {
		line := fmt.Sprintf("%s = %s", s.name, s.value)
		e, ok := c.loaded.Global(s.name)
		if ok {
			enough, valid := s.enough(e.Value)
			if !valid {
				return nil, nil, nil, fmt.Errorf("%s:%d sets %s = %s, a value Samba ignores (it keeps an earlier one): vigil cannot be sure what is in force; set %s there by hand", e.File, e.Line, e.Name, e.Value, line)
			}
			if enough {
				already = append(already, fmt.Sprintf("%s:%d already sets %s = %s", e.File, e.Line, e.Name, e.Value))
				continue
			}
			lines := splitLines(string(c.files[e.File]))
			end := samba.EndLine(c.files[e.File], e.Line)
			if e.Line < 1 || end > len(lines) {
				return nil, nil, nil, fmt.Errorf("%s changed while vigil read it: run vigil fix again", e.File)
			}
			first := lines[e.Line-1]
			indent := first[:len(first)-len(strings.TrimLeft(first, " \t"))]
			var old []string
			for _, l := range lines[e.Line-1 : end] {
				old = append(old, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "\\")))
			}
			add(e.File, sambaOp{start: e.Line, end: end, text: indent + "# vigil fix " + fixID + " replaced: " + strings.Join(old, " ") + "\n" + indent + line + "\n"})
			done = append(done, fmt.Sprintf("%s (line %d of %s)", line, e.Line, e.File))
			notes = append(notes, s.note)
			continue
		}
		main := c.loaded.Main
		lines := splitLines(string(c.files[main]))
		at, where := 0, "at the top of "+main
		for _, x := range c.loaded.Entries {
			if x.Key == "" && x.Section == "global" && x.File == main {
				at, where = x.Line, fmt.Sprintf("after the [global] header on line %d of %s", x.Line, main)
				break
			}
		}
		indent := ""
		if at > 0 {
			indent = "\t"
			for _, x := range c.loaded.Entries {
				if x.File == main && x.Key != "" && x.Section == "global" && x.Line > at && x.Line <= len(lines) {
					l := lines[x.Line-1]
					indent = l[:len(l)-len(strings.TrimLeft(l, " \t"))]
					break
				}
			}
		}
		text := indent + line + "\n"
		if len(ops[main]) == 0 || !slices.ContainsFunc(ops[main], func(o sambaOp) bool { return o.end == 0 && o.start == at }) {
			text = indent + "# Set by vigil fix " + fixID + "\n" + text
		}
		add(main, sambaOp{start: at, text: text})
		done = append(done, fmt.Sprintf("%s (%s)", line, where))
		notes = append(notes, s.note)
	}
	if len(done) == 0 {
		return nil, nil, nil, fmt.Errorf("%s, as strict as the fix or stricter: smbd has not re-read its configuration since (reload it: systemctl reload smbd, or smbcontrol smbd reload-config)", strings.Join(already, "; "))
	}
	for _, file := range order {
		before := c.files[file]
		lines := splitLines(string(before))
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
			lines[n-1] += "\n"
		}
		list := slices.Clone(ops[file])
		slices.SortFunc(list, func(a, b sambaOp) int { return b.start - a.start })
		for _, o := range list {
			if o.end == 0 {
				lines = slices.Insert(lines, o.start, o.text)
			} else {
				lines = slices.Replace(lines, o.start-1, o.end, o.text)
			}
		}
		edits = append(edits, Edit{Path: file, Before: before, After: []byte(strings.Join(lines, "")), Mode: c.modes[file]})
	}
	return edits, done, notes, nil
}
