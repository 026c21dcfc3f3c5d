package rsync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit/auditconn"
	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// Identification: the daemon speaks first.

// parseGreeting parses an rsync daemon's greeting (rsync's "rsyncd.conf"
// protocol, as documented in rsync(1) "CONNECTING TO AN RSYNC DAEMON"):
// "@RSYNCD: <protocol>[.<sub>][ <digest>…]\n". It returns the protocol
// version.
func parseGreeting(b []byte) (string, error) {
	lines, partial := reply.SplitLines(b)
	if len(lines) == 0 || (partial && len(lines) == 1) {
		return "", module.NoMatch(proto.Rsync, "no complete line")
	}
	rest, ok := bytes.CutPrefix(lines[0], []byte("@RSYNCD: "))
	if !ok || !printableText(rest) {
		return "", module.NoMatch(proto.Rsync, "no @RSYNCD: greeting")
	}
	f := strings.Fields(string(rest))
	if len(f) == 0 {
		return "", module.NoMatch(proto.Rsync, "no protocol version")
	}
	v := f[0]
	major, minor, _ := strings.Cut(v, ".")
	if !allDigits(major) || (minor != "" && !allDigits(minor)) {
		return "", module.NoMatch(proto.Rsync, "protocol version %q", module.Clean(v, 16))
	}
	return v, nil
}

// match recognises an rsync daemon by its greeting.
func match(b []byte, s *facts.Service) (*module.FollowUp, error) {
	v, err := parseGreeting(b)
	if err != nil {
		return nil, err
	}
	s.Name, s.Product = proto.Rsync, "rsync"
	s.Banner = module.FirstLine(b)
	Evidence.Set(s, &Daemon{Protocol: module.Clean(v, 16)})
	return nil, nil
}

// printableText reports whether b has no control bytes but tab, CR and LF.
func printableText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f {
			return false
		}
	}
	return true
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// The audit.
//
// The greeting, then "#list" on one connection; then, on a fresh
// connection per listed module (at most MaxModules), the module's name, and
// the connection closes on the daemon's answer ("@RSYNCD: OK",
// "@RSYNCD: AUTHREQD …" or "@ERROR …") before any argument is sent: no file
// is listed or transferred. Every read has a deadline and a size cap, and
// every string from the network is sanitised before it is recorded.

// errProtocol means the daemon's answer did not follow its protocol.
var errProtocol = errors.New("unexpected answer")

// budgetExchanges bounds the whole audit of one daemon in timeouts.
const budgetExchanges = 24

// clean makes a network string printable and caps it at max runes.
func clean(s string, max int) string { return sanitize.String(s, max) }

// MaxModules is how many rsync modules are asked for by name.
const MaxModules = 16

const (
	rsyncLineCap = 4 << 10
	rsyncListCap = 64 << 10
	rsyncVersion = "31.0"
)

// rsyncHello opens a connection, reads the daemon's greeting and sends
// vigil's own.
func rsyncHello(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, timeout time.Duration) (net.Conn, error) {
	c, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	g, err := wire.ReadLine(ctx, c, rsyncLineCap, timeout)
	if !bytes.HasPrefix(g, []byte("@RSYNCD: ")) {
		_ = c.Close()
		if err != nil {
			return nil, fmt.Errorf("rsync greeting from %s: %w", addr, err)
		}
		return nil, fmt.Errorf("%w: rsync: no @RSYNCD greeting, got %q", errProtocol, sanitize.Line(g, 80))
	}
	if err := wire.Write(ctx, c, []byte("@RSYNCD: "+rsyncVersion+"\n"), timeout); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// listDone reports whether a module listing has ended: "@RSYNCD: EXIT" or
// an "@ERROR" line.
func listDone(b []byte) bool {
	return bytes.Contains(b, []byte("@RSYNCD: EXIT")) || bytes.Contains(b, []byte("@ERROR")) && bytes.HasSuffix(b, []byte("\n"))
}

// parseRsyncList reads a "#list" answer: one "name<TAB>comment" line per
// listable module (the name padded with spaces), message-of-the-day lines
// without a tab, then "@RSYNCD: EXIT". ok is false when the daemon refused
// with "@ERROR".
func parseRsyncList(b []byte) (mods []Share, ok bool) {
	ok = true
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "@RSYNCD: EXIT"):
			return mods, ok
		case strings.HasPrefix(line, "@ERROR"):
			return mods, false
		case strings.HasPrefix(line, "@"):
			continue
		}
		name, comment, found := strings.Cut(line, "\t")
		name = strings.TrimSpace(name)
		if !found || name == "" || strings.ContainsAny(name, " /") {
			continue // message of the day
		}
		if len(mods) == 256 {
			break
		}
		mods = append(mods, Share{Name: clean(name, 64), Comment: clean(strings.TrimSpace(comment), 128), Access: Unasked})
	}
	return mods, ok
}

// moduleAnswer classifies the daemon's answer to a module request.
func moduleAnswer(b []byte) (access, detail string) {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "@RSYNCD: OK"):
			return Open, ""
		case strings.HasPrefix(line, "@RSYNCD: AUTHREQD"):
			return Auth, ""
		case strings.HasPrefix(line, "@ERROR"):
			return Refused, clean(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "@ERROR"), ":")), 160)
		}
	}
	return NoAnswer, ""
}

// moduleDone reports whether b holds the line that answers a module request.
func moduleDone(b []byte) bool {
	a, _ := moduleAnswer(b)
	return a != NoAnswer && bytes.HasSuffix(b, []byte("\n"))
}

// runAudit lists the daemon's modules and asks each whether it wants a
// password, within budgetExchanges timeouts in all. On an error it keeps
// what it learnt before it.
func runAudit(ctx context.Context, env module.Env, addr netip.AddrPort, s *facts.Service) error {
	if env.Dialer == nil {
		return errors.New("file-service audit: no dialer")
	}
	timeout := auditconn.Timeout(env.Dialer, env.Timeout)
	ctx, cancel := context.WithTimeout(ctx, budgetExchanges*timeout)
	defer cancel()
	r := Evidence.Get(s)
	if r == nil {
		r = &Daemon{}
	}
	err := audit(ctx, env.Dialer, addr, r, timeout)
	Evidence.Set(s, r)
	return err
}

// audit lists the modules into r and asks each whether it wants a password.
func audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, r *Daemon, timeout time.Duration) error {
	c, err := rsyncHello(ctx, d, addr, timeout)
	if err != nil {
		return err
	}
	b, err := wire.Exchange(ctx, c, []byte("#list\n"), rsyncListCap, timeout, listDone)
	_ = c.Close()
	mods, _ := parseRsyncList(b)
	if len(mods) == 0 && err != nil && len(b) == 0 {
		return fmt.Errorf("rsync module list from %s: %w", addr, err)
	}
	r.Modules = mods
	r.Listed = len(mods) > 0
	for i := range r.Modules {
		if i == MaxModules || ctx.Err() != nil {
			break
		}
		m := &r.Modules[i]
		c, err := rsyncHello(ctx, d, addr, timeout)
		if err != nil {
			return err
		}
		b, _ := wire.Exchange(ctx, c, []byte(m.Name+"\n"), rsyncLineCap, timeout, moduleDone)
		_ = c.Close() // before any argument: nothing is listed or sent
		m.Access, m.Detail = moduleAnswer(b)
	}
	return nil
}
