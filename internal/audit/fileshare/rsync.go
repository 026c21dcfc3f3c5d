package fileshare

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// MaxModules is how many rsync modules are asked for by name.
const MaxModules = 16

const (
	rsyncLineCap = 4 << 10
	rsyncListCap = 64 << 10
	rsyncVersion = "31.0"
)

// rsyncHello opens a connection, reads the daemon's greeting and sends
// vigil's own.
func rsyncHello(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, opt Options) (net.Conn, error) {
	c, err := d.Dial(ctx, "tcp", addr, opt.Timeout)
	if err != nil {
		return nil, err
	}
	g, err := wire.ReadLine(ctx, c, rsyncLineCap, opt.Timeout)
	if !bytes.HasPrefix(g, []byte("@RSYNCD: ")) {
		_ = c.Close()
		if err != nil {
			return nil, fmt.Errorf("rsync greeting from %s: %w", addr, err)
		}
		return nil, fmt.Errorf("%w: rsync: no @RSYNCD greeting, got %q", ErrProtocol, sanitize.Line(g, 80))
	}
	if err := wire.Write(ctx, c, []byte("@RSYNCD: "+rsyncVersion+"\n"), opt.Timeout); err != nil {
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
func parseRsyncList(b []byte) (mods []facts.RsyncModule, ok bool) {
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
		mods = append(mods, facts.RsyncModule{Name: clean(name, 64), Comment: clean(strings.TrimSpace(comment), 128), Access: facts.RsyncUnasked})
	}
	return mods, ok
}

// moduleAnswer classifies the daemon's answer to a module request.
func moduleAnswer(b []byte) (access, detail string) {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "@RSYNCD: OK"):
			return facts.RsyncOpen, ""
		case strings.HasPrefix(line, "@RSYNCD: AUTHREQD"):
			return facts.RsyncAuth, ""
		case strings.HasPrefix(line, "@ERROR"):
			return facts.RsyncRefused, clean(strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "@ERROR"), ":")), 160)
		}
	}
	return facts.RsyncNoAnswer, ""
}

// moduleDone reports whether b holds the line that answers a module request.
func moduleDone(b []byte) bool {
	a, _ := moduleAnswer(b)
	return a != facts.RsyncNoAnswer && bytes.HasSuffix(b, []byte("\n"))
}

// auditRsync lists the modules and asks each whether it wants a password.
func auditRsync(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) error {
	if s.Rsync == nil {
		s.Rsync = &facts.Rsync{}
	}
	r := s.Rsync
	c, err := rsyncHello(ctx, d, addr, opt)
	if err != nil {
		return err
	}
	b, err := wire.Exchange(ctx, c, []byte("#list\n"), rsyncListCap, opt.Timeout, listDone)
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
		c, err := rsyncHello(ctx, d, addr, opt)
		if err != nil {
			return err
		}
		b, _ := wire.Exchange(ctx, c, []byte(m.Name+"\n"), rsyncLineCap, opt.Timeout, moduleDone)
		_ = c.Close() // before any argument: nothing is listed or sent
		m.Access, m.Detail = moduleAnswer(b)
	}
	return nil
}
