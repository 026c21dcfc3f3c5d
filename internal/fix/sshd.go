package fix

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
)

// sshdSetting is one sshd_config line to set.
type sshdSetting struct {
	keyword, value string
	// want is what `sshd -T` prints once it applies (alternatives "|").
	want string
}

func planSSHD(in Input, l facts.Listener) (*Plan, error) {
	cfg, err := configFor(in.Host, in.Host.SSHD, func(c facts.SSHDConfig) int { return c.PID }, l, "sshd")
	if err != nil {
		return nil, err
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file the sshd on port %d (%s) reads", l.Port, who(l))
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
	after, editNotes := setSSHD(before, settings, in.FixID)
	notes = append(notes, editNotes...)

	var want []string
	var lines []string
	for _, s := range settings {
		want = append(want, s.want)
		lines = append(lines, s.keyword+" "+s.value)
	}
	p := &Plan{
		Applier:  "sshd",
		Summary:  fmt.Sprintf("Set %s in %s, check it with sshd -t and sshd -T, and reload sshd (%s)", strings.Join(lines, "; "), cfg.ConfigFile, who(l)),
		Question: fmt.Sprintf("Change %s and reload sshd on port %d (%s)?", cfg.ConfigFile, l.Port, who(l)),
		Edits:    []Edit{{Path: cfg.ConfigFile, Before: before, After: after, Mode: mode, Guard: guard}},
		Validate: []Step{
			{Kind: StepRun, Argv: []string{exe, "-t", "-f", cfg.ConfigFile}, Why: "check the configuration"},
			{Kind: StepRun, Argv: []string{exe, "-T", "-f", cfg.ConfigFile}, Want: want, Why: "check that sshd takes the new values"},
		},
		Reload: reloadSteps(l, cfg.PID, "HUP", "sshd", false),
		Verify: []Step{{Kind: StepListen, Addr: listenAddr(l), Fresh: true, Why: "sshd listens again"}},
		Notes:  notes,
	}
	return p, nil
}

// sshdSettings decides the lines that fix the finding.
func sshdSettings(in Input, cfg facts.SSHDConfig) ([]sshdSetting, []string, error) {
	offered := func(effKey string, lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			for _, n := range l {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
		if len(out) == 0 && cfg.Effective != nil {
			for n := range strings.SplitSeq(cfg.Effective[effKey], ",") {
				if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
		return out
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
		return []sshdSetting{
				{keyword: "PasswordAuthentication", value: "no", want: "passwordauthentication no"},
				{keyword: "KbdInteractiveAuthentication", value: "no", want: "kbdinteractiveauthentication no"},
			}, []string{"After this, only keys (or other non-password methods) log in: make sure every account that needs access has a working key, and keep a session open until you have tested a new login."},
			nil
	case "ssh.config.root-login":
		return []sshdSetting{{keyword: "PermitRootLogin", value: "prohibit-password",
			want: "permitrootlogin prohibit-password|permitrootlogin without-password"}}, []string{"root can still log in with a key."}, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", in.Finding.Check, ErrNoApplier)
}

// smallRSA reports an RSA host key under 2048 bits.
func smallRSA(keys []facts.SSHHostKey) bool {
	return slices.ContainsFunc(keys, func(k facts.SSHHostKey) bool { return k.Type == "ssh-rsa" && k.Bits > 0 && k.Bits < 2048 })
}

// sshdKeyword returns a config line's keyword in lower case ("" for
// comments and blank lines): "Ciphers aes128-ctr" and "Ciphers=…" alike.
func sshdKeyword(line string) string {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "#") {
		return ""
	}
	end := strings.IndexFunc(t, func(r rune) bool { return r == ' ' || r == '\t' || r == '=' })
	if end < 0 {
		end = len(t)
	}
	return strings.ToLower(t[:end])
}

// setSSHD sets each keyword in an sshd_config so that sshd takes it: sshd
// keeps the first value it reads for a keyword, so the line goes where the
// keyword is first set when nothing (no Include) comes before it there, and
// otherwise above the first directive of the file. Other lines setting the
// keyword outside Match blocks are commented out, saying why; everything
// else stays as it was. Lines inside Match blocks are left alone, with a
// note.
func setSSHD(content []byte, settings []sshdSetting, fixID string) ([]byte, []string) {
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
	var top []string
	var notes []string
	for _, s := range settings {
		kw := strings.ToLower(s.keyword)
		var occ []int
		for i := 0; i < firstMatch; i++ {
			if sshdKeyword(lines[i]) == kw {
				occ = append(occ, i)
			}
		}
		newLine := s.keyword + " " + s.value + "\n"
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
		for i := firstMatch; i < len(lines); i++ {
			if sshdKeyword(lines[i]) == kw {
				notes = append(notes, fmt.Sprintf("A Match block also sets %s (line %d: %s); vigil left it alone: check that it is what you want.", s.keyword, i+1, strings.TrimSpace(lines[i])))
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
	return []byte(b.String()), notes
}
