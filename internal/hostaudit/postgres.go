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

// PGSetting is one line of postgresql.conf: a setting, or an include
// directive (Name include, include_if_exists or include_dir).
type PGSetting struct {
	Name  string // lower case
	Value string // unquoted
	Line  int
	Text  string
}

// ParsePGConf reads postgresql.conf syntax: "name = value" or "name value",
// values optionally in single quotes (” or \' for a quote), # comments.
func ParsePGConf(b []byte) []PGSetting {
	var out []PGSetting
	for i, line := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		end := 0
		for end < len(t) && (isNameByte(t[end])) {
			end++
		}
		if end == 0 {
			continue
		}
		name := strings.ToLower(t[:end])
		rest := strings.TrimLeft(t[end:], " \t")
		if strings.HasPrefix(rest, "=") {
			rest = strings.TrimLeft(rest[1:], " \t")
		}
		val, n, ok := pgValue(rest)
		if after := strings.TrimSpace(rest[n:]); !ok || (after != "" && after[0] != '#') {
			continue // PostgreSQL refuses such a line
		}
		out = append(out, PGSetting{Name: name, Value: val, Line: i + 1, Text: stripComment(t)})
	}
	return out
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// pgValue reads a value: a quoted string, or a word up to space or #. It
// returns the value and how many bytes of s it used.
func pgValue(s string) (string, int, bool) {
	if s == "" {
		return "", 0, false
	}
	if s[0] != '\'' {
		end := strings.IndexAny(s, " \t#")
		if end < 0 {
			end = len(s)
		}
		return s[:end], end, end > 0
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\'':
			return b.String(), i + 1, true
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false // unterminated
}

// stripComment drops a trailing # comment outside quotes.
func stripComment(t string) string {
	quoted := false
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case '\'':
			quoted = !quoted
		case '#':
			if !quoted {
				return strings.TrimSpace(t[:i])
			}
		}
	}
	return t
}

// ParseHBA reads pg_hba.conf rules (and include directives, whose Type is
// include, include_if_exists or include_dir and Database the file). A
// backslash at the end of a line continues it; # starts a comment outside
// double quotes.
func ParseHBA(b []byte) []facts.HBALine {
	var out []facts.HBALine
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		start := i
		text := strings.TrimRight(lines[i], "\r")
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = text[:len(text)-1] + strings.TrimRight(lines[i], "\r")
		}
		toks := hbaTokens(text)
		if len(toks) == 0 {
			continue
		}
		typ := strings.ToLower(toks[0])
		l := facts.HBALine{Line: start + 1, Type: typ, Text: strings.Join(strings.Fields(stripHBAComment(text)), " ")}
		switch typ {
		case "include", "include_if_exists", "include_dir":
			if len(toks) < 2 {
				continue
			}
			l.Database = toks[1]
		case "local":
			if len(toks) < 4 {
				continue
			}
			l.Database, l.User, l.Method = toks[1], toks[2], strings.ToLower(toks[3])
		case "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc":
			if len(toks) < 5 {
				continue
			}
			l.Database, l.User, l.Address = toks[1], toks[2], toks[3]
			m := 4
			if !strings.Contains(toks[3], "/") && looksLikeIP(toks[3]) && len(toks) > 5 && looksLikeIP(toks[4]) {
				l.Address += "/" + toks[4] // address and mask in two fields
				m = 5
			}
			l.Method = strings.ToLower(toks[m])
		default:
			continue
		}
		out = append(out, l)
	}
	return out
}

func looksLikeIP(s string) bool {
	return strings.Count(s, ".") == 3 || strings.Contains(s, ":")
}

// hbaTokens splits a pg_hba.conf line into fields, honouring double quotes
// and stopping at a # comment.
func hbaTokens(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
			in = true
		case !quoted && c == '#':
			i = len(s)
		case !quoted && (c == ' ' || c == '\t' || c == ','):
			if c == ',' && in {
				cur.WriteByte(c) // lists stay one field: all,replication
				continue
			}
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func stripHBAComment(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case '#':
			if !quoted {
				return s[:i]
			}
		}
	}
	return s
}

// pgInvocation is what a postmaster's command line says.
type pgInvocation struct {
	dataDir  string
	settings []PGSetting // -c name=value, --name=value, -p, -h, -i, -l
}

// pgArgs reads a postmaster command line.
func pgArgs(argv []string) pgInvocation {
	var inv pgInvocation
	set := func(name, value, text string) {
		inv.settings = append(inv.settings, PGSetting{Name: strings.ToLower(strings.ReplaceAll(name, "-", "_")), Value: value, Text: text})
	}
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if strings.HasPrefix(a, "--") {
			if k, v, ok := strings.Cut(a[2:], "="); ok {
				set(k, v, a)
			}
			continue
		}
		flag, v := a, ""
		if len(a) > 2 && a[0] == '-' {
			flag, v = a[:2], a[2:]
		}
		switch flag {
		case "-B", "-c", "-C", "-d", "-D", "-h", "-k", "-N", "-p", "-r", "-S", "-W", "-t", "-o", "-E":
			if v == "" && i+1 < len(argv) {
				i++
				v = argv[i]
			}
		}
		switch flag {
		case "-D":
			inv.dataDir = v
		case "-c":
			if k, val, ok := strings.Cut(v, "="); ok {
				set(k, val, "-c "+v)
			}
		case "-p":
			set("port", v, "-p "+v)
		case "-h":
			set("listen_addresses", v, "-h "+v)
		case "-i":
			set("listen_addresses", "*", "-i")
		case "-l":
			set("ssl", "on", "-l")
		}
	}
	return inv
}

// pgBool reads a PostgreSQL boolean (on, off, true, false, yes, no, 1, 0,
// and unique prefixes of them).
func pgBool(v string) (bool, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case v == "":
		return false, false
	case v == "1", v == "on", strings.HasPrefix("true", v), strings.HasPrefix("yes", v):
		return true, true
	case v == "0", v == "off", v == "of", strings.HasPrefix("false", v), strings.HasPrefix("no", v):
		return false, true
	}
	return false, false
}

// pgSource is where a setting's value came from.
type pgSource struct {
	value, where string
}

// pgLocate finds a postmaster's configuration directory (-D or PGDATA)
// and main configuration file; configFile is "" when neither is known.
func pgLocate(p *process) (configDir, configFile string, cmdline map[string]pgSource) {
	inv := pgArgs(p.argv())
	configDir = inv.dataDir
	if configDir == "" {
		configDir = p.Env["PGDATA"]
	}
	cmdline = map[string]pgSource{}
	for _, s := range inv.settings {
		cmdline[s.Name] = pgSource{s.Value, "command line: " + redact.String(s.Text)}
	}
	configFile = cmdline["config_file"].value
	if configFile == "" && configDir != "" {
		configFile = filepath.Join(configDir, "postgresql.conf")
	}
	return configDir, configFile, cmdline
}

// collectPostgreSQL learns one postmaster's configuration from its command
// line, its configuration files and its pg_hba.conf.
func collectPostgreSQL(ctx context.Context, df *asDaemon) (facts.PostgreSQLConfig, []string) {
	t, p := Target(df), df.d
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("PostgreSQL (pid %d): ", p.PID)+fmt.Sprintf(format, args...))
	}
	configDir, configFile, cmdline := pgLocate(p.process)
	vals := map[string]pgSource{}
	if configFile == "" {
		fail("neither -D nor config_file on its command line, and PGDATA is unknown: its configuration cannot be found")
		return facts.PostgreSQLConfig{PID: p.PID, Daemon: p.facts("")}, errs
	}
	if err := pgReadConf(ctx, t, configFile, 0, true, vals); err != nil {
		fail("%v", err)
	}
	dataDir := configDir
	if dd := vals["data_directory"].value; dd != "" {
		dataDir = dd
	}
	if dd := cmdline["data_directory"].value; dd != "" {
		dataDir = dd
	}
	if dataDir != "" {
		auto := filepath.Join(dataDir, "postgresql.auto.conf")
		_ = pgReadConf(ctx, t, auto, 0, false, vals) // absent unless ALTER SYSTEM was used
	}
	for k, v := range cmdline {
		vals[k] = v
	}

	cfg := facts.PostgreSQLConfig{PID: p.PID, DataDir: sanitize.String(dataDir, 512), ConfigFile: sanitize.String(configFile, 512),
		ListenAddresses: "localhost", Port: 5432, Sources: map[string]string{}}
	for _, k := range []string{"listen_addresses", "port", "ssl", "hba_file", "data_directory", "config_file", "ssl_min_protocol_version", "password_encryption"} {
		if v, ok := vals[k]; ok {
			cfg.Sources[k] = sanitize.String(v.where, 512)
		}
	}
	if v, ok := vals["listen_addresses"]; ok {
		cfg.ListenAddresses = sanitize.String(v.value, 512)
	}
	if v, ok := vals["port"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v.value)); err == nil && n > 0 && n < 65536 {
			cfg.Port = n
		}
	}
	if v, ok := vals["ssl"]; ok {
		cfg.SSL, _ = pgBool(v.value)
	}
	hba := vals["hba_file"].value
	if hba == "" {
		hba = filepath.Join(configDir, "pg_hba.conf")
	} else if !filepath.IsAbs(hba) {
		hba = filepath.Join(dataDir, hba)
	}
	cfg.HBAFile = sanitize.String(hba, 512)
	lines, err := pgReadHBA(ctx, t, hba, hba, 0)
	if err != nil {
		fail("%v", err)
	}
	cfg.HBA = lines
	cfg.Daemon = p.facts(filesNote(df))
	return cfg, errs
}

// pgReadConf reads a postgresql.conf-style file into vals, following
// include, include_if_exists and include_dir in place; later settings win.
func pgReadConf(ctx context.Context, t Target, path string, depth int, required bool, vals map[string]pgSource) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: includes nested more than %d deep", path, maxIncludeDepth)
	}
	b, err := t.ReadFile(ctx, path)
	if err != nil {
		if required {
			return fmt.Errorf("cannot read %s: %w", path, err)
		}
		return nil
	}
	dir := filepath.Dir(path)
	for _, s := range ParsePGConf(b) {
		rel := func(p string) string {
			if filepath.IsAbs(p) {
				return p
			}
			return filepath.Join(dir, p)
		}
		switch s.Name {
		case "include":
			if err := pgReadConf(ctx, t, rel(s.Value), depth+1, true, vals); err != nil {
				return err
			}
		case "include_if_exists":
			_ = pgReadConf(ctx, t, rel(s.Value), depth+1, false, vals)
		case "include_dir":
			files, err := glob(ctx, t, filepath.Join(rel(s.Value), "*.conf"))
			if err != nil {
				return fmt.Errorf("%s:%d: cannot list %s: %w", path, s.Line, s.Value, err)
			}
			for _, f := range files {
				if strings.HasPrefix(filepath.Base(f), ".") {
					continue
				}
				if err := pgReadConf(ctx, t, f, depth+1, true, vals); err != nil {
					return err
				}
			}
		default:
			vals[s.Name] = pgSource{s.Value, where(t, path, s.Line, s.Text)}
		}
	}
	return nil
}

// pgReadHBA reads pg_hba.conf and the files it includes.
func pgReadHBA(ctx context.Context, t Target, path, main string, depth int) ([]facts.HBALine, error) {
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("%s: includes nested more than %d deep", path, maxIncludeDepth)
	}
	b, err := t.ReadFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	var out []facts.HBALine
	for _, l := range ParseHBA(b) {
		target := l.Database
		if target != "" && !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		switch l.Type {
		case "include", "include_if_exists":
			sub, err := pgReadHBA(ctx, t, target, main, depth+1)
			if err != nil && l.Type == "include" {
				return out, err
			}
			out = append(out, sub...)
			continue
		case "include_dir":
			files, _ := glob(ctx, t, filepath.Join(target, "*.conf"))
			for _, f := range files {
				sub, err := pgReadHBA(ctx, t, f, main, depth+1)
				if err != nil {
					return out, err
				}
				out = append(out, sub...)
			}
			continue
		}
		if path != main {
			l.File = sanitize.String(path, 512)
		}
		l.Database = sanitize.String(l.Database, 256)
		l.User = sanitize.String(l.User, 256)
		l.Address = sanitize.String(l.Address, 256)
		l.Method = sanitize.String(l.Method, 64)
		l.Text = sanitize.String(redact.String(l.Text), 512)
		if !quotable(t, path) {
			l.Text = ""
		}
		out = append(out, l)
	}
	return out, nil
}

// postgresqlCollector reads postgresql.conf and pg_hba.conf.
var postgresqlCollector = daemonCollector{
	protocol: proto.PostgreSQL,
	env:      true,
	plan: func(p *process, _ []facts.Listener) (cmds [][]string, files []string) {
		dir, file, _ := pgLocate(p)
		if file != "" {
			files = append(files, file)
		}
		if dir != "" {
			files = append(files, dir+"/postgresql.auto.conf", dir+"/pg_hba.conf")
		}
		return nil, files
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectPostgreSQL(ctx, in.df)
		if cfg.ConfigFile == "" {
			return nil, errs
		}
		return func(h *facts.HostAudit) { h.PostgreSQL = append(h.PostgreSQL, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) {
		sortByPID(h.PostgreSQL, func(c facts.PostgreSQLConfig) int { return c.PID })
	},
}
