package hostaudit

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// VsftpdOption is one option=value line of vsftpd.conf.
type VsftpdOption struct {
	Key, Value string
	Line       int
	Text       string
}

// ParseVsftpdConf reads vsftpd.conf: option=value per line, no spaces
// around "=", # comments.
func ParseVsftpdConf(b []byte) []VsftpdOption {
	var out []VsftpdOption
	for i, line := range strings.Split(string(b), "\n") {
		t := strings.TrimRight(line, "\r")
		if strings.TrimSpace(t) == "" || strings.HasPrefix(strings.TrimSpace(t), "#") {
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		out = append(out, VsftpdOption{Key: strings.ToLower(k), Value: strings.TrimSpace(v), Line: i + 1, Text: strings.TrimSpace(t)})
	}
	return out
}

// vsftpdBool reads YES/NO, TRUE/FALSE, 1/0 (case-insensitively).
func vsftpdBool(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "YES", "TRUE", "1":
		return true
	}
	return false
}

// vsftpdFile is the configuration file a vsftpd command line names, or
// /etc/vsftpd.conf.
func vsftpdFile(argv []string) string {
	for _, a := range argv[min(1, len(argv)):] {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return "/etc/vsftpd.conf"
}

// collectVsftpd learns a vsftpd's configuration: the file named on its
// command line (else /etc/vsftpd.conf), then -oOPTION=VALUE arguments.
// vsftpd's built-in defaults apply to options the file leaves out:
// anonymous_enable=YES, ssl_enable=NO, listen_port=21.
func collectVsftpd(ctx context.Context, df *asDaemon) (facts.FTPConfig, []string) {
	t, p := Target(df), df.d
	argv := p.argv()
	file := vsftpdFile(argv)
	var cmdline []VsftpdOption
	for _, a := range argv[min(1, len(argv)):] {
		if o, ok := strings.CutPrefix(a, "-o"); ok {
			if k, v, ok := strings.Cut(o, "="); ok {
				cmdline = append(cmdline, VsftpdOption{Key: strings.ToLower(k), Value: v, Text: a})
			}
		}
	}
	cfg := facts.FTPConfig{PID: p.PID, Product: "vsftpd", ConfigFile: sanitize.String(file, 512), Anonymous: true, Port: 21, Sources: map[string]string{}}
	var errs []string
	b, err := t.ReadFile(ctx, file)
	if err != nil {
		errs = append(errs, fmt.Sprintf("vsftpd (pid %d): cannot read %s: %v", p.PID, file, err))
	}
	opts := ParseVsftpdConf(b)
	apply := func(o VsftpdOption, where string) {
		switch o.Key {
		case "anonymous_enable":
			cfg.Anonymous = vsftpdBool(o.Value)
		case "ssl_enable":
			cfg.SSL = vsftpdBool(o.Value)
		case "listen_address", "listen_address6":
			cfg.ListenAddress = sanitize.String(o.Value, 128)
		case "listen_port":
			if n, err := strconv.Atoi(o.Value); err == nil && n > 0 && n < 65536 {
				cfg.Port = n
			}
		default:
			return
		}
		cfg.Sources[o.Key] = sanitize.String(where, 512)
	}
	for _, o := range opts {
		apply(o, where(t, file, o.Line, o.Text))
	}
	for _, o := range cmdline {
		apply(o, "command line: "+redact.String(o.Text))
	}
	if err != nil && len(cmdline) == 0 {
		cfg.Anonymous = false // unknown: do not report a default as a finding
	}
	cfg.Daemon = p.facts(filesNote(df))
	return cfg, errs
}

// ProftpdDirective is one directive of proftpd.conf; block openings such
// as <Anonymous ~ftp> have Key "<anonymous".
type ProftpdDirective struct {
	Key   string // lower case
	Value string
	Line  int
	Text  string
}

// ParseProftpdConf reads proftpd.conf directives, # comments skipped.
func ParseProftpdConf(b []byte) []ProftpdDirective {
	var out []ProftpdDirective
	for i, line := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		k, v := splitKeyword(t)
		if k == "" {
			continue
		}
		out = append(out, ProftpdDirective{Key: strings.ToLower(strings.TrimSuffix(k, ">")), Value: strings.TrimSuffix(v, ">"), Line: i + 1, Text: t})
	}
	return out
}

// splitKeyword splits "Key value", "Key=value" or "Key = value".
func splitKeyword(t string) (string, string) {
	i := strings.IndexAny(t, " \t=")
	if i < 0 {
		return t, ""
	}
	k, rest := t[:i], strings.TrimLeft(t[i:], " \t")
	if strings.HasPrefix(rest, "=") {
		rest = strings.TrimLeft(rest[1:], " \t")
	}
	return k, strings.TrimSpace(rest)
}

// collectProftpd learns a proftpd's configuration: -c FILE (or
// /etc/proftpd/proftpd.conf) and its Includes. An <Anonymous> block
// enables anonymous login; TLSEngine on enables TLS.
func collectProftpd(ctx context.Context, df *asDaemon) (facts.FTPConfig, []string) {
	t, p := Target(df), df.d
	argv := p.argv()
	file := "/etc/proftpd/proftpd.conf"
	for i := 0; i < len(argv); i++ {
		switch {
		case (argv[i] == "-c" || argv[i] == "--config") && i+1 < len(argv):
			file = argv[i+1]
			i++
		case strings.HasPrefix(argv[i], "--config="):
			file = strings.TrimPrefix(argv[i], "--config=")
		}
	}
	cfg := facts.FTPConfig{PID: p.PID, Product: "proftpd", ConfigFile: sanitize.String(file, 512), Port: 21, Sources: map[string]string{}}
	var errs []string
	if err := proftpdRead(ctx, t, file, 0, &cfg); err != nil {
		errs = append(errs, fmt.Sprintf("proftpd (pid %d): %v", p.PID, err))
	}
	cfg.Daemon = p.facts(filesNote(df))
	return cfg, errs
}

func proftpdRead(ctx context.Context, t Target, path string, depth int, cfg *facts.FTPConfig) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: Include nested more than %d deep", path, maxIncludeDepth)
	}
	b, err := t.ReadFile(ctx, path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	for _, d := range ParseProftpdConf(b) {
		where := where(t, path, d.Line, d.Text)
		switch d.Key {
		case "<anonymous":
			cfg.Anonymous = true
			cfg.Sources["<anonymous>"] = where
		case "tlsengine":
			cfg.SSL = strings.EqualFold(d.Value, "on")
			cfg.Sources["tlsengine"] = where
		case "port":
			if n, err := strconv.Atoi(d.Value); err == nil && n > 0 && n < 65536 {
				cfg.Port = n
				cfg.Sources["port"] = where
			}
		case "defaultaddress":
			if f := strings.Fields(d.Value); len(f) > 0 {
				cfg.ListenAddress = sanitize.String(f[0], 128)
				cfg.Sources["defaultaddress"] = where
			}
		case "include":
			pat := d.Value
			if !filepath.IsAbs(pat) {
				pat = filepath.Join(filepath.Dir(path), pat)
			}
			if !strings.ContainsAny(pat, "*?[") && strings.HasSuffix(pat, "/") {
				pat += "*"
			}
			files, _ := glob(ctx, t, pat)
			for _, f := range files {
				if err := proftpdRead(ctx, t, f, depth+1, cfg); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// vsftpdCollector reads vsftpd.conf.
var vsftpdCollector = daemonCollector{
	protocol: proto.FTP,
	plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
		return nil, []string{vsftpdFile(p.argv())}
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectVsftpd(ctx, in.df)
		return func(h *facts.HostAudit) { h.FTP = append(h.FTP, cfg) }, errs
	},
	sort: sortFTP,
}

// proftpdCollector reads proftpd.conf.
var proftpdCollector = daemonCollector{
	protocol: proto.FTP,
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectProftpd(ctx, in.df)
		return func(h *facts.HostAudit) { h.FTP = append(h.FTP, cfg) }, errs
	},
	sort: sortFTP,
}

// sortFTP puts the FTP servers' configurations in process order.
func sortFTP(h *facts.HostAudit) { sortByPID(h.FTP, func(c facts.FTPConfig) int { return c.PID }) }
