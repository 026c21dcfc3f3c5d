package fix

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/conf/sshd"
	"github.com/vigilsec/vigil/internal/facts"
)

// sshdSetting is one sshd_config line to set.
type sshdSetting struct {
	keyword, value string
	// want is what `sshd -T` prints once it applies (alternatives "|").
	want string
	// weak tells the values this setting replaces, for keywords a Match
	// block may set (nil for the algorithm lists, which it may not): a
	// stricter value is kept wherever it is.
	weak func(value string) bool
	// global is false when the value outside Match blocks is already
	// strict: only the Match blocks that apply to the listener change.
	global bool
}

// sshdTarget is the listener a fix is about, as sshd's Match LocalAddress
// and LocalPort see it.
type sshdTarget struct {
	addr netip.Addr // invalid when unknown (a name, on every address)
	port int
}

func (t sshdTarget) String() string {
	if t.addr.IsValid() {
		return netip.AddrPortFrom(t.addr, uint16(t.port)).String()
	}
	return "port " + strconv.Itoa(t.port)
}

func planSSHD(in Input, l facts.Listener) (*Plan, error) {
	pidOf := func(c facts.SSHDConfig) int { return c.PID }
	cfg, err := configFor(in.Host, in.Host.SSHD, pidOf, l, "sshd", "sshd")
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file the sshd on port %d (%s) reads", l.Port, who(l))
	}
	if err := sharedWith(in.Host.SSHD, pidOf, func(c facts.SSHDConfig) string { return c.ConfigFile }, cfg.PID, cfg.ConfigFile, "sshd"); err != nil {
		return nil, err
	}
	exe := cfg.Daemon.Exe
	if exe == "" {
		return nil, fmt.Errorf("vigil checks a changed sshd configuration with the daemon's own binary (sshd -t) before it reloads, and may not run the binary of %s: %s", who(l), nonEmpty(cfg.Daemon.Note, "it is not root's"))
	}
	settings, notes, err := sshdSettings(in, cfg)
	if err != nil {
		return nil, err
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	before, mode, err := in.ReadFile(cfg.ConfigFile, guard)
	if err != nil {
		return nil, fmt.Errorf("cannot read sshd's configuration: %w", err)
	}
	target := sshdTarget{port: l.Port}
	if a, err := netip.ParseAddr(strings.Trim(in.Finding.Host, "[]")); err == nil {
		target.addr = a.Unmap().WithZone("")
	} else if a, err := netip.ParseAddr(strings.Trim(l.Address, "[]")); err == nil && !a.IsUnspecified() {
		target.addr = a.Unmap().WithZone("")
	}
	for i := range settings {
		settings[i].global = settings[i].weak == nil || settings[i].weak(sshdGlobal(before, cfg, settings[i].keyword))
	}
	after, changed, editNotes := setSSHD(before, settings, in.FixID, target)
	notes = append(notes, editNotes...)
	if len(changed) == 0 {
		return nil, fmt.Errorf("sshd (%s) is already as strict as %s for %s, outside Match blocks and in those that apply there: the finding may come from an older scan (scan again)", who(l), sshdLines(settings), target)
	}

	var want []string
	for _, s := range settings {
		if s.global {
			want = append(want, s.want)
		}
	}
	validate := []Step{{Kind: StepRun, Argv: []string{exe, "-t", "-f", cfg.ConfigFile}, Why: "check the configuration"}}
	checks := "sshd -t"
	if len(want) > 0 {
		// sshd -T prints the values outside Match blocks.
		validate = append(validate, Step{Kind: StepRun, Argv: []string{exe, "-T", "-f", cfg.ConfigFile}, Want: want, Why: "check that sshd takes the new values"})
		checks = "sshd -t and sshd -T"
	}
	p := &Plan{
		Applier:  "sshd",
		Summary:  fmt.Sprintf("Set %s in %s, check it with %s, and reload sshd (%s)", strings.Join(changed, "; "), cfg.ConfigFile, checks, who(l)),
		Question: fmt.Sprintf("Change %s and reload sshd on port %d (%s)?", cfg.ConfigFile, l.Port, who(l)),
		Edits:    []Edit{{Path: cfg.ConfigFile, Before: before, After: after, Mode: mode, Guard: guard}},
		Validate: validate,
		Reload:   reloadSteps(l, cfg.PID, "HUP", "sshd", false),
		Verify:   []Step{{Kind: StepListen, Addr: listenAddr(l), Fresh: true, Why: "sshd listens again"}},
		Notes:    notes,
	}
	return p, nil
}

// sshdLines lists settings as configuration lines.
func sshdLines(settings []sshdSetting) string {
	var lines []string
	for _, s := range settings {
		lines = append(lines, s.keyword+" "+s.value)
	}
	return strings.Join(lines, "; ")
}

// sshdDefaults are OpenSSH's built-in values of the keywords a fix sets.
var sshdDefaults = map[string]string{
	"passwordauthentication":       "yes",
	"kbdinteractiveauthentication": "yes",
	"permitrootlogin":              "prohibit-password",
}

// sshdGlobal is the value sshd takes for a keyword outside Match blocks:
// what the host audit found (sshd -T, or its reading of the files), else
// the file's first line setting it, else sshd's default.
func sshdGlobal(content []byte, cfg facts.SSHDConfig, keyword string) string {
	kw := strings.ToLower(keyword)
	if v := cfg.Effective[kw]; v != "" {
		return v
	}
	for _, l := range splitLines(string(content)) {
		switch sshdKeyword(l) {
		case "match":
			return sshdDefaults[kw]
		case kw:
			return sshdValue(l)
		}
	}
	return sshdDefaults[kw]
}

// sshdValue is the value of a configuration line, in lower case.
func sshdValue(line string) string {
	d, _ := sshd.ParseLine(line)
	return strings.ToLower(d.Value())
}

// sshdSettings decides the lines that fix the finding.
func sshdSettings(in Input, cfg facts.SSHDConfig) ([]sshdSetting, []string, error) {
	// offered is the list to start from: what sshd takes now (the fresh
	// host audit's sshd -T, or a plain list in its files), so that a list
	// tightened since the scan is never widened again; else what the scan
	// saw offered. Host key algorithms start from the scan's (it saw which
	// keys exist), within what sshd takes now.
	offered := func(effKey string, lists ...[]string) []string {
		var scan, now []string
		for _, l := range lists {
			for _, n := range l {
				if !slices.Contains(scan, n) {
					scan = append(scan, n)
				}
			}
		}
		if v := strings.TrimSpace(cfg.Effective[effKey]); v != "" && !strings.ContainsAny(v[:1], "+-^") {
			for n := range strings.SplitSeq(v, ",") {
				if n = strings.TrimSpace(n); n != "" && !slices.Contains(now, n) {
					now = append(now, n)
				}
			}
		}
		switch {
		case len(now) == 0:
			return scan
		case effKey == "hostkeyalgorithms" && len(scan) > 0:
			var both []string
			for _, n := range scan {
				if slices.Contains(now, n) {
					both = append(both, n)
				}
			}
			return both
		}
		return now
	}
	var ssh facts.SSH
	if in.Service != nil && in.Service.SSH != nil {
		ssh = *in.Service.SSH
	}
	list := func(keyword, kind string, names []string, drop func(string) bool) (sshdSetting, error) {
		var keep []string
		for _, n := range names {
			if check.SSHWeak(kind, n) == "" && (drop == nil || !drop(n)) {
				keep = append(keep, n)
			}
		}
		if len(names) == 0 {
			return sshdSetting{}, fmt.Errorf("neither the scan nor sshd -T says which %s the server offers; scan it again (vigil scan) and retry", keyword)
		}
		if len(keep) == 0 {
			return sshdSetting{}, fmt.Errorf("the server offers no %s that is not weak (%s): upgrade OpenSSH", keyword, strings.Join(names, ", "))
		}
		if len(keep) == len(names) {
			return sshdSetting{}, fmt.Errorf("sshd (pid %d) already takes no weak %s (%s): the finding may come from an older scan (scan again); vigil does not widen the list", cfg.PID, keyword, strings.Join(names, ","))
		}
		v := strings.Join(keep, ",")
		return sshdSetting{keyword: keyword, value: v, want: strings.ToLower(keyword) + " " + v}, nil
	}
	one := func(s sshdSetting, err error) ([]sshdSetting, []string, error) {
		if err != nil {
			return nil, nil, err
		}
		return []sshdSetting{s}, nil, nil
	}
	isCBC := func(n string) bool { return strings.HasSuffix(strings.SplitN(n, "@", 2)[0], "-cbc") }
	switch in.Finding.Check {
	case "ssh.cipher.weak":
		return one(list("Ciphers", check.SSHCipher, offered("ciphers", ssh.CiphersClientToServer, ssh.CiphersServerToClient), nil))
	case "ssh.terrapin":
		return one(list("Ciphers", check.SSHCipher, offered("ciphers", ssh.CiphersClientToServer, ssh.CiphersServerToClient),
			func(n string) bool { return n == "chacha20-poly1305@openssh.com" || isCBC(n) }))
	case "ssh.mac.weak":
		return one(list("MACs", check.SSHMAC, offered("macs", ssh.MACsClientToServer, ssh.MACsServerToClient), nil))
	case "ssh.kex.weak":
		return one(list("KexAlgorithms", check.SSHKex, offered("kexalgorithms", ssh.KexAlgorithms), check.SSHPseudoKex))
	case "ssh.hostkey.weak":
		names := offered("hostkeyalgorithms", ssh.HostKeyAlgorithms)
		var drop func(string) bool
		if in.Finding.Subject == "ssh-rsa" && smallRSA(ssh.HostKeys) {
			others := slices.ContainsFunc(names, func(n string) bool {
				return !strings.HasPrefix(n, "ssh-rsa") && !strings.HasPrefix(n, "rsa-sha2-") && !strings.HasPrefix(n, "ssh-dss")
			})
			if !others {
				return nil, nil, errors.New("the RSA host key is under 2048 bits and sshd offers no other host key: vigil does not replace host keys; create one (ssh-keygen -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key), add its HostKey line, then run vigil fix again")
			}
			drop = func(n string) bool { return strings.HasPrefix(n, "ssh-rsa") || strings.HasPrefix(n, "rsa-sha2-") }
		}
		s, notes, err := one(list("HostKeyAlgorithms", check.SSHHostKey, names, drop))
		if err == nil && drop != nil {
			notes = append(notes, "RSA host keys are no longer offered (the key is under 2048 bits): clients that know only its fingerprint will ask to accept the other key.")
		}
		return s, notes, err
	case "ssh.auth.password", "ssh.config.password-auth":
		yes := func(v string) bool { return strings.EqualFold(v, "yes") }
		return []sshdSetting{
				{keyword: "PasswordAuthentication", value: "no", want: "passwordauthentication no", weak: yes},
				{keyword: "KbdInteractiveAuthentication", value: "no", want: "kbdinteractiveauthentication no", weak: yes},
			}, []string{"After this, only keys (or other non-password methods) log in: make sure every account that needs access has a working key, and keep a session open until you have tested a new login."},
			nil
	case "ssh.config.root-login":
		// no, forced-commands-only and prohibit-password are stricter or
		// the same: kept.
		return []sshdSetting{{keyword: "PermitRootLogin", value: "prohibit-password",
			want: "permitrootlogin prohibit-password|permitrootlogin without-password",
			weak: func(v string) bool { return strings.EqualFold(v, "yes") }}}, []string{"root can still log in with a key."}, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", in.Finding.Check, ErrNoApplier)
}

// smallRSA reports an RSA host key under 2048 bits.
func smallRSA(keys []facts.SSHHostKey) bool {
	return slices.ContainsFunc(keys, func(k facts.SSHHostKey) bool { return k.Type == "ssh-rsa" && k.Bits > 0 && k.Bits < 2048 })
}

// sshdKeyword returns a config line's keyword in lower case ("" for
// comments and blank lines): "Ciphers aes128-ctr" and "Ciphers=…" alike.
// ChallengeResponseAuthentication is read as the KbdInteractiveAuthentication
// it is an old name of (see internal/conf/sshd).
func sshdKeyword(line string) string {
	d, _ := sshd.ParseLine(line)
	return d.Key
}

// sshdMatch is how a Match line's criteria relate to the listener.
type sshdMatch int

const (
	// matchNo: a criterion on the local address or port excludes it.
	matchNo sshdMatch = iota
	// matchYes: every criterion is on the local address or port (or
	// "all"), and they select it.
	matchYes
	// matchMaybe: the rest select it, but a criterion depends on the
	// user or the client.
	matchMaybe
)

// sshdMatches evaluates a Match line for connections to the target.
func sshdMatches(line string, t sshdTarget) sshdMatch {
	d, _ := sshd.ParseLine(line)
	f := []string{d.Keyword}
	for _, a := range d.Args {
		// A criterion may be written "LocalPort=22".
		if k, v, ok := strings.Cut(a, "="); ok && k != "" {
			f = append(f, k, v)
			continue
		}
		f = append(f, a)
	}
	res := matchYes
	for i := 1; i < len(f); i++ {
		k := strings.ToLower(f[i])
		if k == "all" {
			continue
		}
		if i+1 >= len(f) {
			return matchMaybe
		}
		i++
		v := f[i]
		switch k {
		case "localaddress":
			if !t.addr.IsValid() {
				res = matchMaybe
			} else if !sshdAddrMatch(v, t.addr) {
				return matchNo
			}
		case "localport":
			p, err := strconv.Atoi(v)
			if err != nil {
				res = matchMaybe
			} else if p != t.port {
				return matchNo
			}
		default:
			res = matchMaybe
		}
	}
	return res
}

// sshdAddrMatch matches an address against an sshd address list: patterns
// with * and ?, CIDR blocks, and ! to exclude.
func sshdAddrMatch(list string, a netip.Addr) bool {
	matched := false
	for e := range strings.SplitSeq(list, ",") {
		neg := strings.HasPrefix(e, "!")
		e = strings.TrimPrefix(e, "!")
		var m bool
		if p, err := netip.ParsePrefix(e); err == nil {
			m = p.Contains(a)
		} else {
			m, _ = path.Match(e, a.String())
		}
		if m && neg {
			return false
		}
		matched = matched || m
	}
	return matched
}

// setSSHD sets each keyword in an sshd_config so that sshd takes it for
// the target. Outside Match blocks (settings marked global): sshd keeps
// the first value it reads for a keyword, so the line goes where the
// keyword is first set when nothing (no Include) comes before it there,
// and otherwise above the first directive of the file; other lines setting
// the keyword outside Match blocks are commented out, saying why. In Match
// blocks that apply to the target's local address and port, a weak value
// is replaced; Match blocks for other addresses or ports, or that depend
// on the user or the client, are left alone with a note. Everything else
// stays as it was. It returns the new content, the lines set, and notes.
func setSSHD(content []byte, settings []sshdSetting, fixID string, t sshdTarget) ([]byte, []string, []string) {
	lines := splitLines(string(content))
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	firstMatch, firstInclude, firstDirective := len(lines), -1, -1
	for i, l := range lines {
		kw := sshdKeyword(l)
		if kw == "" {
			continue
		}
		if firstDirective < 0 {
			firstDirective = i
		}
		if kw == "match" {
			firstMatch = i
			break
		}
		if kw == "include" && firstInclude < 0 {
			firstInclude = i
		}
	}
	if firstDirective < 0 {
		firstDirective = len(lines)
	}
	if firstInclude < 0 {
		firstInclude = firstMatch
	}
	replace := map[int]string{}
	var top, changed, notes []string
	for _, s := range settings {
		kw := strings.ToLower(s.keyword)
		newLine := s.keyword + " " + s.value + "\n"
		if s.global {
			var occ []int
			for i := 0; i < firstMatch; i++ {
				if sshdKeyword(lines[i]) == kw {
					occ = append(occ, i)
				}
			}
			rest := occ
			if len(occ) > 0 && occ[0] < firstInclude {
				replace[occ[0]] = "# vigil fix " + fixID + " replaced: " + strings.TrimSpace(lines[occ[0]]) + "\n" + newLine
				rest = occ[1:]
			} else {
				top = append(top, newLine)
			}
			for _, i := range rest {
				replace[i] = "# vigil fix " + fixID + " disabled (sshd uses the first " + s.keyword + "): " + strings.TrimSpace(lines[i]) + "\n"
			}
			changed = append(changed, s.keyword+" "+s.value)
		}
		header, applies := 0, matchNo
		listed := map[int]bool{}
		for i := firstMatch; i < len(lines); i++ {
			k := sshdKeyword(lines[i])
			if k == "match" {
				header, applies = i, sshdMatches(lines[i], t)
				continue
			}
			if k != kw {
				continue
			}
			v := sshdValue(lines[i])
			block := fmt.Sprintf("line %d: %s", header+1, strings.TrimSpace(lines[header]))
			switch {
			case s.weak == nil:
				notes = append(notes, fmt.Sprintf("A Match block (%s) also sets %s (line %d: %s); vigil left it alone: check that it is what you want.", block, s.keyword, i+1, strings.TrimSpace(lines[i])))
			case !s.weak(v):
				// already as strict: kept
			case applies == matchYes:
				indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
				replace[i] = indent + "# vigil fix " + fixID + " replaced: " + strings.TrimSpace(lines[i]) + "\n" + indent + newLine
				if !listed[header] {
					changed = append(changed, fmt.Sprintf("%s %s in the Match block for %s (line %d)", s.keyword, s.value, t, header+1))
					listed[header] = true
				}
			case applies == matchMaybe:
				notes = append(notes, fmt.Sprintf("A Match block for some users or clients (%s) sets %s; vigil left it alone: check that it is what you want.", block, strings.TrimSpace(lines[i])))
			default:
				notes = append(notes, fmt.Sprintf("A Match block for another address or port (%s) sets %s; vigil left it alone: it does not apply to %s.", block, strings.TrimSpace(lines[i]), t))
			}
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if i == firstDirective && len(top) > 0 {
			b.WriteString("# Set by vigil fix " + fixID + ": sshd uses the first value it reads, so these come first.\n")
			for _, t := range top {
				b.WriteString(t)
			}
		}
		if r, ok := replace[i]; ok {
			b.WriteString(r)
		} else {
			b.WriteString(l)
		}
	}
	if firstDirective == len(lines) && len(top) > 0 {
		b.WriteString("# Set by vigil fix " + fixID + ".\n")
		for _, t := range top {
			b.WriteString(t)
		}
	}
	return []byte(b.String()), changed, notes
}
