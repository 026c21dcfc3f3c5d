package hostaudit

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/codec/resp"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/redact"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// RedisDirective is one line of redis.conf: a keyword and its arguments.
type RedisDirective struct {
	Key  string // lower case
	Args []string
	Line int
	Text string // the line as written, with secrets hidden
}

// ParseRedisConf reads redis.conf syntax: a keyword and arguments per line,
// arguments optionally in double quotes (with \-escapes) or single quotes,
// # comments.
func ParseRedisConf(b []byte) []RedisDirective {
	var out []RedisDirective
	for i, line := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		words, ok := redisWords(t)
		if !ok || len(words) == 0 {
			continue
		}
		out = append(out, RedisDirective{Key: strings.ToLower(words[0]), Args: words[1:], Line: i + 1, Text: redact.String(t)})
	}
	return out
}

// redisWords splits a redis.conf line as Redis does (sdssplitargs).
func redisWords(s string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return out, true
		}
		var w strings.Builder
		switch s[i] {
		case '"':
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					i++
					switch s[i] {
					case 'n':
						w.WriteByte('\n')
					case 't':
						w.WriteByte('\t')
					case 'x':
						if i+2 < len(s) {
							if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
								w.WriteByte(byte(v))
								i += 2
								break
							}
						}
						w.WriteByte('x')
					default:
						w.WriteByte(s[i])
					}
				} else if c == '"' {
					closed = true
					i++
					break
				} else {
					w.WriteByte(c)
				}
				i++
			}
			if !closed {
				return nil, false
			}
		case '\'':
			i++
			end := strings.IndexByte(s[i:], '\'')
			if end < 0 {
				return nil, false
			}
			w.WriteString(s[i : i+end])
			i += end + 1
		default:
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				w.WriteByte(s[i])
				i++
			}
		}
		out = append(out, w.String())
	}
}

// redisInvocation is what a redis-server command line says, when the
// process title still shows it.
type redisInvocation struct {
	file    string
	options []RedisDirective
}

// redisArgs reads "redis-server [FILE] [--option value…]…". Redis rewrites
// its process title ("redis-server 127.0.0.1:6379"), which then says
// nothing of the configuration: an invocation with no file is returned.
func redisArgs(args []string) redisInvocation {
	var inv redisInvocation
	if len(args) <= 1 {
		return inv
	}
	i := 1
	if !strings.HasPrefix(args[1], "-") {
		inv.file = args[1]
		i = 2
	}
	for ; i < len(args); i++ {
		k, ok := strings.CutPrefix(args[i], "--")
		if !ok || k == "" {
			continue
		}
		d := RedisDirective{Key: strings.ToLower(k)}
		for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			i++
			d.Args = append(d.Args, args[i])
		}
		d.Text = redact.String("--" + k + " " + strings.Join(d.Args, " "))
		inv.options = append(inv.options, d)
	}
	return inv
}

// redisState accumulates Redis settings and where each came from.
type redisState struct {
	bind          []string
	bindSet       bool
	port          int
	requirePass   bool
	aclUsers      bool
	protectedMode bool
	sources       map[string]string
}

func newRedisState() *redisState {
	return &redisState{port: 6379, protectedMode: true, sources: map[string]string{}}
}

// apply applies one directive (later ones win, as in Redis).
func (s *redisState) apply(d RedisDirective, where string) {
	val := strings.Join(d.Args, " ")
	switch d.Key {
	case "bind":
		s.bind, s.bindSet = d.Args, true
	case "port":
		if n, err := strconv.Atoi(val); err == nil && n >= 0 && n < 65536 {
			s.port = n
		}
	case "requirepass":
		s.requirePass = val != ""
	case "protected-mode":
		s.protectedMode = strings.EqualFold(val, "yes")
	case "user":
		if redisUserNeedsAuth(d.Args) {
			s.aclUsers = true
		}
	case "aclfile":
		s.aclUsers = s.aclUsers || val != ""
	default:
		return
	}
	s.sources[d.Key] = sanitize.String(where, 512)
}

// redisUserNeedsAuth reads the rules of a `user NAME rule…` line (or an
// ACL LIST entry): true when the user is the default one and is off or has
// a password, or is another enabled user.
func redisUserNeedsAuth(args []string) bool {
	if len(args) == 0 {
		return false
	}
	on, nopass, pass := false, false, false
	for _, r := range args[1:] {
		switch {
		case r == "on":
			on = true
		case r == "off":
			on = false
		case r == "nopass":
			nopass = true
		case r == "resetpass":
			nopass, pass = false, false
		case strings.HasPrefix(r, ">") || strings.HasPrefix(r, "#"):
			pass = true
		}
	}
	if args[0] == "default" {
		return !on || (pass && !nopass)
	}
	return on && pass
}

// readRedisConf applies a config file and its includes.
func readRedisConf(ctx context.Context, t Target, path string, depth int, s *redisState) error {
	if depth > maxIncludeDepth {
		return fmt.Errorf("%s: includes nested more than %d deep", path, maxIncludeDepth)
	}
	b, err := t.ReadFile(ctx, path)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	for _, d := range ParseRedisConf(b) {
		if d.Key == "include" && len(d.Args) == 1 {
			p := d.Args[0]
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			files, _ := glob(ctx, t, p)
			for _, f := range files {
				if err := readRedisConf(ctx, t, f, depth+1, s); err != nil {
					return err
				}
			}
			continue
		}
		s.apply(d, where(t, path, d.Line, d.Text))
	}
	return nil
}

// redisLive is what the running server said about itself.
type redisLive struct {
	noauth     bool
	config     map[string]string
	aclUsers   bool
	configFile string
}

// errRedisNotRESP means the port did not answer in RESP (it may speak TLS).
var errRedisNotRESP = errors.New("the port did not answer in the Redis protocol")

// redisQueries are the read-only commands vigil sends, in order.
var redisQueries = [][]string{
	{"CONFIG", "GET", "bind"},
	{"CONFIG", "GET", "port"},
	{"CONFIG", "GET", "requirepass"},
	{"CONFIG", "GET", "protected-mode"},
	{"ACL", "LIST"},
	{"INFO", "server"},
}

// parseRedisReplies reads the answers to redisQueries.
func parseRedisReplies(b []byte) (redisLive, bool) {
	live := redisLive{config: map[string]string{}}
	rest := b
	for i := range redisQueries {
		v, n, err := resp.Parse(rest, resp.Limits{MaxBulk: MaxOutput, MaxArray: 1 << 16, MaxDepth: 8})
		if err != nil {
			return live, false
		}
		rest = rest[n:]
		if v.IsError() {
			if i == 0 && (bytes.HasPrefix(v.Text, []byte("NOAUTH")) || bytes.HasPrefix(v.Text, []byte("WRONGPASS"))) {
				live.noauth = true
				return live, true
			}
			continue
		}
		switch i {
		case 0, 1, 2, 3:
			arr := v.Elems
			for j := 0; j+1 < len(arr); j += 2 {
				if arr[j].Type != '$' || arr[j+1].Type != '$' {
					continue
				}
				live.config[strings.ToLower(string(arr[j].Text))] = string(arr[j+1].Text)
			}
		case 4:
			for _, e := range v.Elems {
				if e.Type != '$' {
					continue
				}
				f := strings.Fields(string(e.Text))
				if len(f) >= 2 && f[0] == "user" && redisUserNeedsAuth(f[1:]) {
					live.aclUsers = true
				}
			}
		case 5:
			if v.Type != '$' {
				continue
			}
			for line := range strings.SplitSeq(string(v.Text), "\n") {
				if f, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "config_file:"); ok {
					live.configFile = f
				}
			}
		}
	}
	return live, true
}

// redisAsk sends the queries to the server at ap through the dialer, in
// the clear and, when that does not answer in RESP, over TLS.
func redisAsk(ctx context.Context, d *dialer.Dialer, ap netip.AddrPort) (redisLive, error) {
	var req []byte
	for _, q := range redisQueries {
		req = append(req, resp.Command(q...)...)
	}
	try := func(useTLS bool) (redisLive, error) {
		c, err := d.Dial(ctx, "tcp", ap, 2*time.Second)
		if err != nil {
			return redisLive{}, err
		}
		defer c.Close()
		var conn net.Conn = c
		if useTLS {
			// The server is this machine's own; only its configuration is
			// read and no secret is sent, so its certificate is not checked.
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // see above
			_ = tc.SetDeadline(time.Now().Add(3 * time.Second))
			if err := tc.HandshakeContext(ctx); err != nil {
				return redisLive{}, fmt.Errorf("TLS handshake: %w", err)
			}
			_ = tc.SetDeadline(time.Time{})
			conn = tc
		}
		var live redisLive
		parsed := false
		_, err = wire.Exchange(ctx, conn, req, 1<<20, 3*time.Second, func(b []byte) bool {
			live, parsed = parseRedisReplies(b)
			return parsed
		})
		if parsed {
			return live, nil
		}
		if err == nil {
			err = errRedisNotRESP
		}
		return redisLive{}, fmt.Errorf("%w: %w", errRedisNotRESP, err)
	}
	live, err := try(false)
	if err != nil && errors.Is(err, errRedisNotRESP) {
		if l, terr := try(true); terr == nil {
			return l, nil
		}
	}
	return live, err
}

// redisCLIKeys are the settings redis-cli asks for on remote targets.
var redisCLIKeys = []string{"bind", "port", "requirepass", "protected-mode"}

// redisCLIArgs are the arguments of `timeout` running redis-cli to ask
// for one setting: redis-cli itself waits for ever on a server that does
// not answer (a TLS port asked in the clear, or the reverse).
func redisCLIArgs(ap netip.AddrPort, key string, useTLS bool) []string {
	args := []string{"5", "redis-cli", "-h", ap.Addr().String(), "-p", strconv.Itoa(int(ap.Port())), "--no-auth-warning"}
	if useTLS {
		args = append(args, "--tls", "--insecure")
	}
	return append(args, "CONFIG", "GET", key)
}

// redisAskRemote runs redis-cli on a remote target for each query.
func redisAskRemote(ctx context.Context, t Target, ap netip.AddrPort) (redisLive, error) {
	live := redisLive{config: map[string]string{}}
	for _, useTLS := range []bool{false, true} {
		ok := false
		for _, key := range redisCLIKeys {
			out, err := t.Run(ctx, "timeout", redisCLIArgs(ap, key, useTLS)...)
			if err != nil {
				if errors.Is(err, ErrNoCommand) {
					return live, fmt.Errorf("redis-cli is not installed on the target: %w", err)
				}
				break
			}
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			if len(lines) > 0 && strings.HasPrefix(lines[0], "NOAUTH") {
				live.noauth = true
				return live, nil
			}
			if len(lines) >= 2 && strings.EqualFold(lines[0], key) {
				live.config[key] = lines[1]
				ok = true
			} else if len(lines) == 1 && strings.EqualFold(lines[0], key) {
				live.config[key] = ""
				ok = true
			}
		}
		if ok {
			return live, nil
		}
	}
	return live, fmt.Errorf("redis-cli got no answer from %s", ap)
}

// redisTitleListeners reads the ADDR:PORT words of a rewritten Redis
// process title ("*:6379" is every address).
func redisTitleListeners(argv []string) []facts.Listener {
	var out []facts.Listener
	for _, w := range argv[min(1, len(argv)):] {
		host, port, err := net.SplitHostPort(w)
		if err != nil {
			continue
		}
		n, err := strconv.Atoi(port)
		if err != nil || n <= 0 || n > 65535 {
			continue
		}
		if host == "*" {
			host = "0.0.0.0"
		}
		if _, err := netip.ParseAddr(host); err != nil {
			continue
		}
		out = append(out, facts.Listener{Transport: "tcp", Address: host, Port: n})
	}
	return out
}

// redisDialAddr is where to reach a listener from this machine.
func redisDialAddr(l facts.Listener) (netip.AddrPort, bool) {
	a, err := netip.ParseAddr(l.Address)
	if err != nil {
		return netip.AddrPort{}, false
	}
	if a.IsUnspecified() {
		if a.Is4() {
			a = netip.MustParseAddr("127.0.0.1")
		} else {
			a = netip.IPv6Loopback()
		}
	}
	return netip.AddrPortFrom(a, uint16(l.Port)), true
}

// collectRedis learns one redis-server's configuration: its config file
// and command-line options when the process title still shows them, and
// CONFIG GET asked over its own listener.
func collectRedis(ctx context.Context, df *asDaemon, listeners []facts.Listener, d *dialer.Dialer) (facts.RedisConfig, []string) {
	t, p := Target(df), df.d
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("Redis (pid %d): ", p.PID)+fmt.Sprintf(format, args...))
	}
	inv := redisArgs(p.Args)
	st := newRedisState()
	cfg := facts.RedisConfig{PID: p.PID}
	var methods []string
	if inv.file != "" {
		if err := readRedisConf(ctx, t, inv.file, 0, st); err != nil {
			fail("%v", err)
		} else {
			methods = append(methods, "config file")
		}
	}
	for _, o := range inv.options {
		st.apply(o, "command line: "+redact.String(o.Text))
	}
	if len(inv.options) > 0 {
		methods = append(methods, "command line")
	}

	if len(listeners) == 0 {
		// Its sockets are hidden (vigil is not root): the title Redis
		// writes, "redis-server 127.0.0.1:6379", names its listener.
		listeners = redisTitleListeners(p.argv())
	}
	var live redisLive
	var lerr error = errors.New("it has no TCP listener")
	asked := false
	for _, l := range listeners {
		if l.Transport != "tcp" || asked {
			continue
		}
		ap, ok := redisDialAddr(l)
		if !ok {
			continue
		}
		switch {
		case isLocal(t) && d != nil:
			live, lerr = redisAsk(ctx, d, ap)
		case isLocal(t):
			lerr = errors.New("no dialer was given")
		default:
			live, lerr = redisAskRemote(ctx, t, ap)
		}
		asked = lerr == nil
	}
	if asked {
		methods = append(methods, "CONFIG GET")
		if inv.file == "" && live.configFile != "" {
			inv.file = live.configFile
			if err := readRedisConf(ctx, t, inv.file, 0, st); err != nil {
				fail("%v", err)
			}
		}
		switch {
		case live.noauth:
			st.requirePass = true
			st.sources["requirepass"] = "CONFIG GET answered NOAUTH: a password (requirepass or an ACL user) is required"
		default:
			if v, ok := live.config["bind"]; ok {
				st.bind = strings.Fields(v)
				if v != "* -::*" && v != "" {
					st.bindSet = st.bindSet || st.sources["bind"] == ""
				}
				if st.sources["bind"] == "" {
					st.sources["bind"] = sanitize.String("CONFIG GET bind: "+v, 512)
				}
			}
			if v, ok := live.config["port"]; ok {
				if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < 65536 {
					st.port = n
					if st.sources["port"] == "" {
						st.sources["port"] = "CONFIG GET port: " + strconv.Itoa(n)
					}
				}
			}
			if v, ok := live.config["requirepass"]; ok {
				st.requirePass = v != ""
				what := "empty (no password)"
				if v != "" {
					what = "set"
				}
				st.sources["requirepass"] = "CONFIG GET requirepass: " + what
			}
			if v, ok := live.config["protected-mode"]; ok {
				st.protectedMode = strings.EqualFold(v, "yes")
				if st.sources["protected-mode"] == "" {
					st.sources["protected-mode"] = sanitize.String("CONFIG GET protected-mode: "+v, 128)
				}
			}
			st.aclUsers = st.aclUsers || live.aclUsers
		}
	} else if len(methods) == 0 {
		fail("its configuration is unknown: the process title shows no config file, and asking the server failed: %v", lerr)
	} else if lerr != nil {
		fail("asking the server for its live configuration failed (%v); the settings come from %s", lerr, strings.Join(methods, " and "))
	}
	if st.sources["bind"] == "" || st.sources["port"] == "" {
		// What the configuration does not tell, the sockets do.
		var binds, where []string
		for _, l := range listeners {
			if l.Transport == "tcp" {
				binds = append(binds, l.Address)
				where = append(where, net.JoinHostPort(l.Address, strconv.Itoa(l.Port)))
			}
		}
		if len(binds) > 0 && st.sources["bind"] == "" {
			st.bind, st.bindSet = binds, true
			st.sources["bind"] = "listening sockets: " + strings.Join(where, ", ")
		}
		if len(listeners) > 0 && st.sources["port"] == "" && live.config["port"] == "" {
			st.port = listeners[0].Port
			st.sources["port"] = "listening sockets: " + strings.Join(where, ", ")
		}
	}
	cfg.ConfigFile = sanitize.String(inv.file, 512)
	for _, b := range st.bind {
		cfg.Bind = append(cfg.Bind, sanitize.String(b, 128))
	}
	if !st.bindSet && len(st.bind) == 0 {
		cfg.Bind = []string{"*", "-::*"} // Redis's default: every address
	}
	cfg.Port = st.port
	cfg.RequirePass = st.requirePass
	cfg.ACLUsers = st.aclUsers
	cfg.ProtectedMode = st.protectedMode
	cfg.Method = strings.Join(methods, ", ")
	cfg.Sources = st.sources
	cfg.Daemon = p.facts(filesNote(df))
	return cfg, errs
}

// redisCollector reads redis.conf and asks the server for its live settings.
var redisCollector = daemonCollector{
	protocol: proto.Redis,
	plan: func(_ *process, listeners []facts.Listener) (cmds [][]string, _ []string) {
		for _, l := range listeners {
			if ap, ok := redisDialAddr(l); ok && l.Transport == "tcp" {
				for _, k := range redisCLIKeys {
					cmds = append(cmds, append([]string{"timeout"}, redisCLIArgs(ap, k, false)...))
				}
				break
			}
		}
		return cmds, nil
	},
	collect: func(ctx context.Context, in daemonInput) (func(*facts.HostAudit), []string) {
		cfg, errs := collectRedis(ctx, in.df, in.listeners, in.dialer)
		return func(h *facts.HostAudit) { h.Redis = append(h.Redis, cfg) }, errs
	},
	sort: func(h *facts.HostAudit) { sortByPID(h.Redis, func(c facts.RedisConfig) int { return c.PID }) },
}
