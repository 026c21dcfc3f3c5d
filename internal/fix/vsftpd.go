package fix

import (
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

func planVsftpd(in Input, l facts.Listener) (*Plan, error) {
	var ftp []facts.FTPConfig
	for _, c := range in.Host.FTP {
		if strings.EqualFold(c.Product, "vsftpd") {
			ftp = append(ftp, c)
		}
	}
	pidOf := func(c facts.FTPConfig) int { return c.PID }
	cfg, err := configFor(in.Host, ftp, pidOf, l, "vsftpd", "vsftpd")
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile == "" {
		return nil, fmt.Errorf("cannot tell which configuration file vsftpd on port %d (%s) reads", l.Port, who(l))
	}
	if err := sharedWith(ftp, pidOf, func(c facts.FTPConfig) string { return c.ConfigFile }, cfg.PID, cfg.ConfigFile, "vsftpd"); err != nil {
		return nil, err
	}
	exe := cfg.Daemon.Exe
	if exe == "" {
		return nil, fmt.Errorf("vigil checks a changed vsftpd configuration with the daemon's own binary before it reloads, and may not run the binary of %s: %s", who(l), nonEmpty(cfg.Daemon.Note, "it is not root's"))
	}
	guard := guardFor(cfg.Daemon, cfg.ConfigFile)
	before, mode, err := in.ReadFile(cfg.ConfigFile, guard)
	if err != nil {
		return nil, fmt.Errorf("cannot read vsftpd's configuration: %w", err)
	}
	if v, _ := vsftpdValue(before, "local_enable"); !strings.EqualFold(v, "YES") {
		return nil, errors.New("vsftpd allows no local-user logins (local_enable is not YES): without anonymous logins it would accept no one. If nobody needs this FTP server, stop it instead (systemctl disable --now vsftpd); otherwise set local_enable=YES first")
	}
	after := setVsftpd(before, "anonymous_enable", "NO", in.FixID)
	return &Plan{
		Applier:  "vsftpd",
		Summary:  fmt.Sprintf("Set anonymous_enable=NO in %s, check that vsftpd accepts it, make vsftpd (%s) re-read it and check that a new session starts", cfg.ConfigFile, who(l)),
		Question: fmt.Sprintf("Turn off anonymous FTP in %s (%s)?", cfg.ConfigFile, who(l)),
		Edits:    []Edit{{Path: cfg.ConfigFile, Before: before, After: after, Mode: mode, Guard: guard}},
		Validate: []Step{{Kind: StepVsftpd, Argv: []string{exe}, Path: cfg.ConfigFile, Why: "vsftpd accepts the new file"}},
		Reload:   reloadSteps(l, cfg.PID, "HUP", "vsftpd", false),
		Verify: []Step{
			{Kind: StepListen, Addr: listenAddr(l), Why: "vsftpd listens"},
			{Kind: StepBanner, Addr: listenAddr(l), Want: []string{"220"}, Why: "a new session starts with the new configuration"},
		},
		Notes: []string{"Sessions already open keep their settings until they end; new ones get the change."},
	}, nil
}

// vsftpdValue returns the value of the last line setting key (vsftpd
// applies lines in order: the last wins).
func vsftpdValue(content []byte, key string) (string, bool) {
	val, found := "", false
	for _, l := range splitLines(string(content)) {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if ok && k == key {
			val, found = strings.TrimSpace(v), true
		}
	}
	return val, found
}

// setVsftpd sets key=value in a vsftpd.conf: every line setting the key
// gets the new value (so the file says one thing), or the line is added at
// the end.
func setVsftpd(content []byte, key, value, fixID string) []byte {
	lines := splitLines(string(content))
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	var b strings.Builder
	found := false
	for _, l := range lines {
		k, _, ok := strings.Cut(strings.TrimSpace(l), "=")
		if ok && k == key {
			found = true
			b.WriteString("# vigil fix " + fixID + " replaced: " + strings.TrimSpace(l) + "\n")
			b.WriteString(key + "=" + value + "\n")
			continue
		}
		b.WriteString(l)
	}
	if !found {
		b.WriteString("# Set by vigil fix " + fixID + "\n" + key + "=" + value + "\n")
	}
	return []byte(b.String())
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
