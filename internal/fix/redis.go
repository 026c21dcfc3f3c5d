package fix

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// redisLoopback is the bind a fixed Redis gets: IPv4 loopback, and IPv6
// loopback when the machine has it ("-" makes a missing address no error,
// Redis 7.0+).
const redisLoopback = "127.0.0.1 -::1"

// redisPassword makes a password of 32 random bytes, URL-safe base64.
func redisPassword(r io.Reader) (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("cannot generate a password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func planRedis(in Input, l facts.Listener) (*Plan, error) {
	pidOf := func(c facts.RedisConfig) int { return c.PID }
	cfg, err := configFor(in.Host, in.Host.Redis, pidOf, l, "Redis", "redis-server")
	if err != nil {
		return nil, fmt.Errorf("%w; do it by hand: %s", err, in.Finding.Recommendation)
	}
	if cfg.ConfigFile != "" {
		if err := sharedWith(in.Host.Redis, pidOf, func(c facts.RedisConfig) string { return c.ConfigFile }, cfg.PID, cfg.ConfigFile, "Redis"); err != nil {
			return nil, err
		}
	}
	if cfg.Port == 0 {
		cfg.Port = l.Port
	}
	if cfg.RequirePass || cfg.ACLUsers {
		return nil, fmt.Errorf("Redis on port %d already asks for a password (requirepass or ACL users): vigil will not change its credentials; bind it to loopback by hand: bind %s", l.Port, redisLoopback)
	}
	if v := redisVersion(in.Service); v > 0 && v < 7 {
		return nil, fmt.Errorf("Redis %s cannot change its bind address while running (7.0 and later can): set requirepass and \"bind 127.0.0.1 ::1\" in redis.conf and restart it", in.Service.Version)
	}
	pass, err := redisPassword(in.Rand)
	if err != nil {
		return nil, err
	}
	// Where to reach it now, and once it listens on loopback only. The
	// checks and the rollback talk to it there: another process on that
	// address and port would get them instead.
	now := netip.MustParseAddrPort(listenAddr(l))
	after := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(l.Port))
	for _, o := range in.Host.Listeners {
		if o.Port != l.Port || !strings.EqualFold(o.Transport, facts.TCP) || o.PID == l.PID {
			continue
		}
		a, err := netip.ParseAddr(strings.Trim(o.Address, "[]"))
		if o.Address == "*" || err == nil && (a.IsUnspecified() || a.Unmap() == after.Addr() || a == netip.IPv6Loopback()) {
			return nil, fmt.Errorf("once fixed, this Redis (%s) would listen on 127.0.0.1 and ::1 port %d, where another process already listens (%s): vigil changes only the instance that serves the finding; free the port first, or bind this Redis by hand", who(l), l.Port, nonEmpty(who(o), "unknown"))
		}
	}
	oldBind := strings.Join(cfg.Bind, " ")
	if oldBind == "" {
		oldBind = redisBindOf(l.Address)
	}

	p := &Plan{
		Applier:  "redis",
		Summary:  fmt.Sprintf("Give Redis on port %d (%s) a generated password (requirepass) and bind it to %s, at once with CONFIG SET", l.Port, who(l), redisLoopback),
		Question: fmt.Sprintf("Set a password on Redis port %d and bind it to loopback (%s)? Every client will need the new password", l.Port, who(l)),
		Secret:   pass,
	}
	if cfg.ConfigFile != "" {
		guard := guardFor(cfg.Daemon, cfg.ConfigFile)
		before, mode, err := in.ReadFile(cfg.ConfigFile, guard)
		if err != nil {
			return nil, fmt.Errorf("cannot read Redis's configuration: %w", err)
		}
		after := setRedis(before, [][2]string{{"requirepass", pass}, {"bind", redisLoopback}}, in.FixID)
		// The file now holds the password: only its owner and Redis's
		// group may read it.
		p.Edits = []Edit{{Path: cfg.ConfigFile, Before: before, After: after, Mode: mode, Guard: guard, Private: true, GID: cfg.Daemon.GID}}
		if mode.Perm()&0o037 != 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("%s will hold the password, so it becomes readable by its owner and Redis's group only (mode 0640, was %04o).", cfg.ConfigFile, mode.Perm()))
		}
	} else {
		p.Notes = append(p.Notes, fmt.Sprintf("This Redis was started without a configuration file: the change lasts until it restarts. Add --requirepass and --bind %q to its command line (%s) to keep it.", redisLoopback, l.Cmdline))
	}
	// The password first, over the address Redis listens on now; then the
	// bind, authenticated. Each carries its undo: rollback restores the
	// bind (reaching Redis on loopback), then removes the password.
	p.Apply = []Step{
		{Kind: StepRedis, Addr: now.String(), Argv: []string{"CONFIG", "SET", "requirepass", pass}, Want: []string{"OK"}, Secret: pass,
			Why:  "set the password",
			Undo: &Step{Kind: StepRedis, Addr: now.String(), Auth: pass, Argv: []string{"CONFIG", "SET", "requirepass", ""}, Want: []string{"OK"}, Secret: pass, Why: "remove the password"}},
		{Kind: StepRedis, Addr: now.String(), Auth: pass, Argv: []string{"CONFIG", "SET", "bind", redisLoopback}, Want: []string{"OK"}, Secret: pass,
			Why:  "bind to loopback",
			Undo: &Step{Kind: StepRedis, Addr: after.String(), Auth: pass, Argv: []string{"CONFIG", "SET", "bind", oldBind}, Want: []string{"OK"}, Secret: pass, Why: "restore the bind address " + oldBind}},
	}
	p.Verify = []Step{
		{Kind: StepRedis, Addr: after.String(), Auth: pass, Argv: []string{"CONFIG", "GET", "requirepass"}, Want: []string{"requirepass", pass}, Secret: pass, Why: "Redis asks for the password"},
		{Kind: StepRedis, Addr: after.String(), Auth: pass, Argv: []string{"CONFIG", "GET", "bind"}, Want: []string{"bind", redisLoopback}, Secret: pass, Why: "Redis listens on loopback only"},
	}
	p.Notes = append(p.Notes,
		"The password is shown once, after the change; vigil keeps it only in the fix's record (mode 0600) so that --rollback can undo it. Give it to the clients (redis-cli: REDISCLI_AUTH=… or -a), and to the application's Redis URL: redis://:PASSWORD@127.0.0.1:"+strconv.Itoa(l.Port)+"/.",
		"Clients on other machines can no longer reach this Redis; if some need it, use TLS and an ACL instead (Redis 6+).")
	return p, nil
}

// redisBindOf turns a listener's address into a Redis bind value.
func redisBindOf(addr string) string {
	switch a := strings.Trim(addr, "[]"); a {
	case "", "*", "0.0.0.0":
		return "* -::*"
	case "::":
		return "* -::*"
	default:
		return a
	}
}

// redisVersion returns the major version the scan saw, or 0.
func redisVersion(s *facts.Service) int {
	if s == nil {
		return 0
	}
	v := s.Version
	if v == "" {
		v = s.Detail(facts.DetailRedisVersion)
	}
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if err != nil {
		return 0
	}
	return n
}

// setRedis sets directives in a redis.conf, where the last occurrence of a
// directive wins: the last line setting each one is replaced (with a
// comment that says so, never quoting an old password), or the directive is
// added at the end.
func setRedis(content []byte, settings [][2]string, fixID string) []byte {
	lines := splitLines(string(content))
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	replace := map[int]string{}
	var add []string
	for _, kv := range settings {
		last := -1
		for i, l := range lines {
			f := strings.Fields(l)
			if len(f) > 0 && strings.EqualFold(f[0], kv[0]) {
				last = i
			}
		}
		line := kv[0] + " " + kv[1] + "\n"
		if last >= 0 {
			replace[last] = "# vigil fix " + fixID + " replaced the " + kv[0] + " line here\n" + line
		} else {
			add = append(add, line)
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if r, ok := replace[i]; ok {
			b.WriteString(r)
		} else {
			b.WriteString(l)
		}
	}
	if len(add) > 0 {
		b.WriteString("\n# Set by vigil fix " + fixID + "\n")
		for _, a := range add {
			b.WriteString(a)
		}
	}
	return []byte(b.String())
}
