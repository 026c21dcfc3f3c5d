package hostaudit

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/conf/nginx"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// NginxDirective is one directive of an nginx configuration file.
type NginxDirective struct {
	File string
	Name string
	Args []string
	Line int
}

// Text is the directive as nginx syntax writes it.
func (d NginxDirective) Text() string {
	return strings.TrimSpace(d.Name+" "+strings.Join(d.Args, " ")) + ";"
}

// ParseNginxDump reads the output of `nginx -T`: each file's contents after
// a "# configuration file PATH:" line, as nginx prints them.
func ParseNginxDump(b []byte) []NginxDirective {
	var out []NginxDirective
	const marker = "# configuration file "
	file := ""
	var body []string
	flush := func() {
		if file != "" {
			out = append(out, ParseNginxConf([]byte(strings.Join(body, "\n")), file)...)
		}
		body = nil
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, marker); ok && strings.HasSuffix(rest, ":") {
			flush()
			file = strings.TrimSuffix(rest, ":")
			continue
		}
		body = append(body, line)
	}
	flush()
	return out
}

// ParseNginxConf reads the directives of one nginx configuration file, in
// any block, in the order of the file (a block's name before its
// directives). Quotes, escapes and # comments follow nginx's rules (see
// internal/conf/nginx).
func ParseNginxConf(b []byte, file string) []NginxDirective {
	var out []NginxDirective
	nginx.Walk(nginx.Parse(b), func(d *nginx.Directive) {
		if d.Name != "" {
			out = append(out, NginxDirective{File: file, Name: d.Name, Args: d.Args, Line: d.Line})
		}
	})
	return out
}

// nginxInvocation is what an nginx master's title says. Its argv[0] is not
// kept: vigil runs only the binary /proc/PID/exe points to.
type nginxInvocation struct {
	file, prefix string
}

// testArgs are the arguments of `nginx -T` for this invocation.
func (inv nginxInvocation) testArgs() []string {
	args := []string{"-T"}
	if inv.prefix != "" {
		args = append(args, "-p", inv.prefix)
	}
	if inv.file != "" {
		args = append(args, "-c", inv.file)
	}
	return args
}

// nginxArgs reads "nginx: master process /usr/sbin/nginx -c FILE -g …".
func nginxArgs(argv []string) nginxInvocation {
	var inv nginxInvocation
	for len(argv) > 0 && (argv[0] == "nginx:" || argv[0] == "master" || argv[0] == "process") {
		argv = argv[1:]
	}
	for i := 1; i < len(argv); i++ {
		switch argv[i] {
		case "-c", "-p", "-e", "-s":
			if i+1 < len(argv) {
				switch argv[i] {
				case "-c":
					inv.file = argv[i+1]
				case "-p":
					inv.prefix = argv[i+1]
				}
				i++
			}
		case "-g":
			for i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
				i++
			}
		}
	}
	return inv
}

// collectNginx learns an nginx master's TLS directives. It reads the
// configuration (its -c and -p) and the files it includes as the daemon
// would; when vigil may run the daemon's binary and every file is root's,
// it takes what `nginx -T` prints instead, as nginx itself resolves it.
func collectNginx(ctx context.Context, df *asDaemon) (facts.NginxConfig, []string) {
	p := df.d
	inv := nginxArgs(p.argv())
	cfg := facts.NginxConfig{PID: p.PID, ConfigFile: sanitize.String(inv.file, 512), Sources: map[string]string{}}
	var errs []string
	file := inv.file
	if file == "" {
		file = "/etc/nginx/nginx.conf"
		cfg.ConfigFile = file
	}
	if !filepath.IsAbs(file) && inv.prefix != "" {
		file = filepath.Join(inv.prefix, file)
	}
	dirs, rerr := nginxRead(ctx, df, file, filepath.Dir(file), 0)
	if rerr != nil {
		errs = append(errs, fmt.Sprintf("nginx (pid %d): reading %s failed: %v", p.PID, file, rerr))
	}
	filesErr := df.trusted()
	note := skipNote("nginx -T", p.exeErr, filesErr)
	if rerr == nil && p.exe != "" && filesErr == nil {
		out, err := df.Run(ctx, p.exe, inv.testArgs()...)
		if dump := ParseNginxDump(out); err == nil && len(dump) > 0 {
			dirs = dump
		} else {
			note = fmt.Sprintf("%s -T failed (%s); the configuration was read from the files", p.exe, redact.String(fmt.Sprint(err)))
			errs = append(errs, fmt.Sprintf("nginx (pid %d): %s", p.PID, note))
		}
	}
	cfg.Daemon = p.facts(note)
	var ciphers []string
	for _, d := range dirs {
		where := where(df, d.File, d.Line, d.Text())
		switch d.Name {
		case "ssl_protocols":
			for _, a := range d.Args {
				if a = sanitize.String(a, 32); !slices.Contains(cfg.SSLProtocols, a) {
					cfg.SSLProtocols = append(cfg.SSLProtocols, a)
				}
			}
			if _, ok := cfg.Sources["ssl_protocols"]; !ok {
				cfg.Sources["ssl_protocols"] = where
			}
		case "ssl_ciphers":
			if len(d.Args) > 0 {
				if c := sanitize.String(d.Args[0], 1024); !slices.Contains(ciphers, c) {
					ciphers = append(ciphers, c)
				}
			}
			if _, ok := cfg.Sources["ssl_ciphers"]; !ok {
				cfg.Sources["ssl_ciphers"] = where
			}
		}
	}
	cfg.SSLCiphers = strings.Join(ciphers, " | ")
	return cfg, errs
}

// nginxRead reads a configuration file and the files it includes (relative
// includes are resolved against the main file's directory, as nginx does).
func nginxRead(ctx context.Context, t Target, path, confDir string, depth int) ([]NginxDirective, error) {
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("%s: include nested more than %d deep", path, maxIncludeDepth)
	}
	b, err := t.ReadFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var out []NginxDirective
	for _, d := range ParseNginxConf(b, path) {
		if d.Name != "include" || len(d.Args) != 1 {
			out = append(out, d)
			continue
		}
		pat := d.Args[0]
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(confDir, pat)
		}
		files, _ := glob(ctx, t, pat)
		for _, f := range files {
			sub, err := nginxRead(ctx, t, f, confDir, depth+1)
			if err != nil {
				return out, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

// nginxCollector reads nginx.conf and what it includes (or asks nginx -T when vigil may run nginx).
var nginxCollector = daemonCollector{
	protocol: proto.HTTP,
	helper: func(p *process) bool {
		return len(p.Args) == 1 && strings.Contains(p.Args[0], "worker process")
	},
	plan: func(p *process, _ []facts.Listener) ([][]string, []string) {
		if inv := nginxArgs(p.argv()); filepath.IsAbs(inv.file) {
			return nil, []string{inv.file}
		}
		return nil, nil
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectNginx(ctx, in.df)
		return func(h *facts.HostAudit) { h.Nginx = append(h.Nginx, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) { sortByPID(h.Nginx, func(c facts.NginxConfig) int { return c.PID }) },
}
