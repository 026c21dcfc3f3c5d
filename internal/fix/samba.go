package fix

import (
	"fmt"
	"io/fs"
	"path/filepath"
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

// sambaSettingFor is the setting that fixes a check.
func sambaSettingFor(check string) (sambaSetting, bool) {
	switch check {
	case "smb.v1", "smb.config.v1":
		return sambaSetting{name: "server min protocol", value: "SMB2_02",
			enough: func(v string) (bool, bool) {
				_, r, ok := samba.Protocol(v)
				_, min, _ := samba.Protocol("SMB2_02")
				return ok && r >= min, ok
			},
			note: "Clients that speak only SMBv1 (Windows XP, old printers, scanners and NAS) can no longer connect; a stricter server min protocol (SMB2_10, SMB3) already set is kept."}, true
	case "smb.signing.not-required", "smb.config.signing":
		return sambaSetting{name: "server signing", value: "mandatory",
			enough: func(v string) (bool, bool) {
				s, ok := samba.Signing(v)
				return s == "required", ok
			},
			note: "Every client must then sign its SMB traffic: Windows and Samba clients can; some old NAS, printer and scanner clients cannot."}, true
	case "smb.guest.shares", "smb.config.guest":
		return sambaSetting{name: "map to guest", value: "never",
			enough: func(v string) (bool, bool) {
				m, ok := samba.MapToGuest(v)
				return m == "never", ok
			},
			note: "A wrong password or an unknown user name is refused instead of being taken as the guest account. Shares with guest ok = yes (public = yes) stay as they are: vigil does not change shares; remove it by hand from those that need no guests. A client that connects without any user name (a null session) may still list shares unless restrict anonymous = 2 is set."}, true
	}
	return sambaSetting{}, false
}

func planSamba(in Input, l facts.Listener) (*Plan, error) {
	set, ok := sambaSettingFor(in.Finding.Check)
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
	if src := cfg.Sources[set.name]; strings.HasPrefix(src, "command line:") {
		return nil, fmt.Errorf("smbd (%s) gets %s from its command line (%s), which wins over smb.conf: change the command that starts smbd (its systemd unit or /etc/default/samba), then restart it", who(l), set.name, src)
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	conf, err := loadSamba(in, cfg.ConfigFile, guard)
	if err != nil {
		return nil, err
	}
	if err := conf.sure(); err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	edit, where, err := conf.set(set, in.FixID)
	if err != nil {
		return nil, err
	}
	edit.Guard = guard
	// Another smbd that reads the file to change would change too.
	for _, o := range in.Host.Samba {
		if o.PID == cfg.PID || o.ConfigFile == "" || !filepath.IsAbs(o.ConfigFile) {
			continue
		}
		other, err := loadSamba(in, o.ConfigFile, guardFor(o.Daemon, o.ConfigFile))
		if err != nil {
			continue // what vigil may not read, it cannot tell; testparm of this one still runs
		}
		for _, f := range other.loaded.Files {
			if filepath.Clean(f) == filepath.Clean(edit.Path) {
				return nil, fmt.Errorf("%s is also read by another smbd (pid %d, %s): vigil changes only the files of the smbd that serves the finding; do it by hand: %s", edit.Path, o.PID, o.ConfigFile, in.Finding.Recommendation)
			}
		}
	}
	main := conf.loaded.Main
	notes := []string{set.note,
		"Connections already open keep their settings (\"already active connections do not change their configuration\", smb.conf(5)); new connections get the change."}
	if main != cfg.ConfigFile {
		notes = append(notes, fmt.Sprintf("smbd was started with %s, whose config file line makes it read %s: the change is made there.", cfg.ConfigFile, main))
	}
	return &Plan{
		Applier:  "samba",
		Summary:  fmt.Sprintf("Set %s = %s in the [global] section (%s), check it with testparm and make smbd (%s) re-read it", set.name, set.value, where, who(l)),
		Question: fmt.Sprintf("Set %s = %s in %s and reload smbd (%s)?", set.name, set.value, edit.Path, who(l)),
		Edits:    []Edit{edit},
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

// set makes the edit that sets s in [global]: the line in force is
// replaced (commented, and the new line below it), or, when no line sets
// it, the setting is added after the first [global] header of the file
// smbd reads (at its top when it has none: lines before any header are
// global). where names the place for people.
func (c *sambaConf) set(s sambaSetting, fixID string) (Edit, string, error) {
	line := fmt.Sprintf("%s = %s", s.name, s.value)
	if e, ok := c.loaded.Global(s.name); ok {
		enough, valid := s.enough(e.Value)
		if !valid {
			return Edit{}, "", fmt.Errorf("%s:%d sets %s = %s, a value Samba ignores (it keeps an earlier one): vigil cannot be sure what is in force; set %s there by hand", e.File, e.Line, e.Name, e.Value, line)
		}
		if enough {
			return Edit{}, "", fmt.Errorf("%s:%d already sets %s = %s, as strict as the fix or stricter: smbd has not re-read its configuration since (reload it: systemctl reload smbd, or smbcontrol smbd reload-config)", e.File, e.Line, e.Name, e.Value)
		}
		before := c.files[e.File]
		lines := splitLines(string(before))
		end := samba.EndLine(before, e.Line)
		if e.Line < 1 || end > len(lines) {
			return Edit{}, "", fmt.Errorf("%s changed while vigil read it: run vigil fix again", e.File)
		}
		indent := lines[e.Line-1][:len(lines[e.Line-1])-len(strings.TrimLeft(lines[e.Line-1], " \t"))]
		var old []string
		for _, l := range lines[e.Line-1 : end] {
			old = append(old, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "\\")))
		}
		var b strings.Builder
		for _, l := range lines[:e.Line-1] {
			b.WriteString(l)
		}
		b.WriteString(indent + "# vigil fix " + fixID + " replaced: " + strings.Join(old, " ") + "\n")
		b.WriteString(indent + line + "\n")
		for _, l := range lines[end:] {
			b.WriteString(l)
		}
		after := b.String()
		if !strings.HasSuffix(string(before), "\n") && len(lines) == end {
			after = strings.TrimSuffix(after, "\n")
		}
		return Edit{Path: e.File, Before: before, After: []byte(after), Mode: c.modes[e.File]}, fmt.Sprintf("line %d of %s", e.Line, e.File), nil
	}
	main := c.loaded.Main
	before := c.files[main]
	lines := splitLines(string(before))
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	at, where := 0, "at the top of "+main
	for _, e := range c.loaded.Entries {
		if e.Key == "" && e.Section == "global" && e.File == main {
			at, where = e.Line, fmt.Sprintf("after the [global] header on line %d of %s", e.Line, main)
			break
		}
	}
	indent := ""
	if at > 0 {
		indent = "\t"
		for _, e := range c.loaded.Entries {
			if e.File == main && e.Key != "" && e.Section == "global" && e.Line > at {
				l := lines[e.Line-1]
				indent = l[:len(l)-len(strings.TrimLeft(l, " \t"))]
				break
			}
		}
	}
	var b strings.Builder
	for _, l := range lines[:at] {
		b.WriteString(l)
	}
	b.WriteString(indent + "# Set by vigil fix " + fixID + "\n" + indent + line + "\n")
	for _, l := range lines[at:] {
		b.WriteString(l)
	}
	return Edit{Path: main, Before: before, After: []byte(b.String()), Mode: c.modes[main]}, where, nil
}
