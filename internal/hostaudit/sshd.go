package hostaudit

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/sshd"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// sshdKeys are the keywords of sshd's effective configuration vigil keeps.
var sshdKeys = []string{
	"permitrootlogin", "passwordauthentication", "kbdinteractiveauthentication", "usepam",
	"authenticationmethods", "pubkeyauthentication", "permitemptypasswords",
	"ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "listenaddress", "port",
}

// sshdDefaults are OpenSSH's built-in values of those keywords, used when
// the file is parsed and does not set them.
var sshdDefaults = map[string]string{
	"permitrootlogin":              "prohibit-password",
	"passwordauthentication":       "yes",
	"kbdinteractiveauthentication": "yes",
	"usepam":                       "no",
	"authenticationmethods":        "any",
	"pubkeyauthentication":         "yes",
	"permitemptypasswords":         "no",
	"port":                         "22",
}

// sshdMulti are keywords that may appear several times, each adding a value.
var sshdMulti = map[string]bool{"listenaddress": true, "port": true}

// ParseSSHDT reads `sshd -T` output, "keyword value" per line, into the
// values of each keyword (lower case) in order.
func ParseSSHDT(b []byte) map[string][]string {
	out := map[string][]string{}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || k == "" {
			continue
		}
		k = strings.ToLower(k)
		out[k] = append(out[k], strings.TrimSpace(v))
	}
	return out
}

// SSHDDirective is one line of an sshd_config file.
type SSHDDirective struct {
	Key   string // lower case
	Value string
	Line  int
	Text  string // the line as written, trimmed
	// Match is true inside a Match block, which only applies to some
	// connections.
	Match bool
}

// ParseSSHDConfig reads the directives of one sshd_config file in order,
// as internal/conf/sshd splits them; Match lines are left out, the
// directives of Match blocks marked.
func ParseSSHDConfig(b []byte) []SSHDDirective {
	var out []SSHDDirective
	for _, d := range sshd.Parse(b) {
		if d.Key != "match" {
			out = append(out, SSHDDirective{Key: d.Key, Value: d.Value(), Line: d.Line, Text: d.Text, Match: d.Match})
		}
	}
	return out
}

// sshdInvocation is what an sshd command line says about its configuration.
// Its argv[0] is not kept: a process names itself as it likes, and vigil
// runs only the binary /proc/PID/exe points to (see daemon.go).
type sshdInvocation struct {
	file    string
	options []string // -o values, in order
}

// testArgs are the arguments of `sshd -T` for this invocation.
func (inv sshdInvocation) testArgs() []string {
	args := []string{"-T", "-f", inv.file}
	for _, o := range inv.options {
		args = append(args, "-o", o)
	}
	return args
}

// sshdArgs reads an sshd listener's command line, including the rewritten
// title "sshd: /usr/sbin/sshd -D -f FILE [listener] 0 of 10-100 startups".
func sshdArgs(argv []string) sshdInvocation {
	inv := sshdInvocation{file: "/etc/ssh/sshd_config"}
	if len(argv) > 0 && strings.HasSuffix(argv[0], ":") {
		argv = argv[1:]
	}
	for i, a := range argv {
		if strings.HasPrefix(a, "[") {
			argv = argv[:i]
			break
		}
	}
	if len(argv) == 0 {
		return inv
	}
	for i := 1; i < len(argv); i++ {
		flag, v := argv[i], ""
		if len(flag) > 2 && flag[0] == '-' && flag[1] != '-' {
			flag, v = flag[:2], flag[2:]
		}
		switch flag {
		case "-f", "-o", "-E", "-c", "-h", "-p", "-g", "-k", "-u", "-C":
			if v == "" && i+1 < len(argv) {
				i++
				v = argv[i]
			}
			switch flag {
			case "-f":
				inv.file = v
			case "-o":
				inv.options = append(inv.options, v)
			}
		}
	}
	return inv
}

// collectSSHD learns one sshd's effective configuration. It reads the file
// the daemon was started with (-f) and its Includes as the daemon would,
// for the lines that set each keyword; then, when vigil may run the
// daemon's binary (it runs as root, its binary is root's) and every file
// is root's, it asks sshd -T with the same file and options. Otherwise the
// values come from the files, and the note says why.
func collectSSHD(ctx context.Context, df *asDaemon) (facts.SSHDConfig, []string) {
	p := df.d
	inv := sshdArgs(p.argv())
	cfg := facts.SSHDConfig{PID: p.PID, ConfigFile: sanitize.String(inv.file, 512), Effective: map[string]string{}, Sources: map[string]string{}}
	var errs []string

	var dirs []fileDirective
	ferr := sshdReadFile(ctx, df, inv.file, 0, false, &dirs)
	if ferr != nil {
		errs = append(errs, fmt.Sprintf("sshd (pid %d): %v", p.PID, ferr))
	}
	// Command-line -o options come first: for most keywords the first
	// value sshd obtains wins.
	var cmdline []fileDirective
	for _, o := range inv.options {
		if d, ok := sshd.ParseLine(o); ok {
			cmdline = append(cmdline, fileDirective{SSHDDirective{Key: d.Key, Value: d.Value(), Text: o}, "command line: -o"})
		}
	}
	all := append(cmdline, dirs...)
	for _, key := range sshdKeys {
		for _, d := range all {
			if d.Key == key && !d.Match {
				cfg.Sources[key] = d.where(df)
				break
			}
		}
	}

	filesErr := df.trusted()
	if ferr == nil && p.exe != "" && filesErr == nil {
		out, err := df.Run(ctx, p.exe, inv.testArgs()...)
		if err == nil {
			vals := ParseSSHDT(out)
			if len(vals["permitrootlogin"]) > 0 {
				cfg.Method = "sshd -T"
				for _, k := range sshdKeys {
					if v := vals[k]; len(v) > 0 {
						cfg.Effective[k] = sanitize.String(strings.Join(v, " "), 2048)
					}
				}
				normalizeSSHD(cfg.Effective)
				cfg.Daemon = p.facts("")
				return cfg, errs
			}
			err = fmt.Errorf("it printed no configuration")
		}
		errs = append(errs, fmt.Sprintf("sshd (pid %d): %s -T -f %s failed (%s); the configuration was parsed from the file and its Includes instead", p.PID, p.exe, inv.file, redact.String(err.Error())))
	}
	cfg.Daemon = p.facts(skipNote("sshd -T", p.exeErr, filesErr))
	if ferr != nil {
		return cfg, errs
	}
	cfg.Method = "file"
	for _, key := range sshdKeys {
		var vals []string
		for _, d := range all {
			if d.Key != key || d.Match {
				continue
			}
			vals = append(vals, d.Value)
			if !sshdMulti[key] {
				break
			}
		}
		if len(vals) == 0 {
			if def, ok := sshdDefaults[key]; ok {
				vals = []string{def}
			}
		}
		if len(vals) == 0 {
			continue
		}
		v := strings.Join(vals, " ")
		if _, isFlag := sshdDefaults[key]; isFlag {
			v = strings.ToLower(v) // sshd -T prints yes/no keywords in lower case
		}
		cfg.Effective[key] = sanitize.String(v, 2048)
	}
	normalizeSSHD(cfg.Effective)
	return cfg, errs
}

// normalizeSSHD writes PermitRootLogin's old name without-password (which
// sshd -T of OpenSSH 9.2 still prints) as prohibit-password.
func normalizeSSHD(eff map[string]string) {
	if eff["permitrootlogin"] == "without-password" {
		eff["permitrootlogin"] = "prohibit-password"
	}
}

// fileDirective is a directive and the file it came from.
type fileDirective struct {
	SSHDDirective
	file string
}

// where names the line for evidence: "FILE:LINE: text" (see where), or
// "command line: -o text".
func (d fileDirective) where(t Target) string {
	if d.Line == 0 {
		return sanitize.String(d.file+" "+redact.String(d.Text), 512)
	}
	return where(t, d.file, d.Line, d.Text)
}

const maxIncludeDepth = 8

// sshdReadFile appends the directives of path, following Include in place.
func sshdReadFile(ctx context.Context, t Target, path string, depth int, inMatch bool, out *[]fileDirective) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: Include nested more than %d deep", path, maxIncludeDepth)
	}
	b, err := t.ReadFile(ctx, path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	for _, d := range ParseSSHDConfig(b) {
		d.Match = d.Match || inMatch
		if d.Key != "include" {
			*out = append(*out, fileDirective{d, path})
			continue
		}
		for _, pat := range strings.Fields(d.Value) {
			if !filepath.IsAbs(pat) {
				pat = filepath.Join("/etc/ssh", pat)
			}
			files, err := glob(ctx, t, pat)
			if err != nil {
				continue
			}
			for _, f := range files {
				if err := sshdReadFile(ctx, t, f, depth+1, d.Match, out); err != nil && !strings.ContainsAny(pat, "*?[") {
					return err
				}
			}
		}
	}
	return nil
}

// sshdCollector reads sshd_config (and asks sshd -T when vigil may run sshd).
var sshdCollector = daemonCollector{
	protocol: proto.SSH,
	helper: func(p *process) bool {
		// `sshd -T` and `sshd -t` (another audit, a package script)
		// only test a configuration.
		return slices.Contains(p.Args, "-T") || slices.Contains(p.Args, "-t")
	},
	plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
		return nil, []string{sshdArgs(p.argv()).file}
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectSSHD(ctx, in.df)
		return func(h *facts.HostAudit) { h.SSHD = append(h.SSHD, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) { sortByPID(h.SSHD, func(c facts.SSHDConfig) int { return c.PID }) },
}
