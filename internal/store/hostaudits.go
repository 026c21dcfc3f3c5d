package store

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/result"
)

// HostAudits returns, for every host audit (vigil host) stored that
// finished at or after since, each address it vouches for, mapped to the
// time of the latest such audit. An audit vouches for the machine's
// interface addresses, its listeners' bind addresses and its host name,
// and, when it ran over SSH, for the host it reached. Loopback addresses
// belong to whichever machine one is on, so only a local audit vouches
// for them.
func (s *Store) HostAudits(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT id, document FROM scans WHERE kind = ? AND finished >= ? ORDER BY finished"),
		result.KindHost, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("cannot read the host audits in %s: %w", s.where, err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("cannot read the host audits in %s: %w", s.where, err)
		}
		doc, err := result.Read(strings.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("host audit %s in %s is damaged: %w", id, s.where, err)
		}
		at := doc.Finished
		addrs := AuditedAddresses(doc.HostAudit)
		for _, x := range doc.Hosts {
			addrs = append(addrs, x.Address)
		}
		for _, a := range addrs {
			if prev, ok := out[a]; !ok || at.After(prev) {
				out[a] = at
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the host audits in %s: %w", s.where, err)
	}
	return out, nil
}

// AuditedAddresses lists the addresses a host audit vouches for: the host
// name, the interface addresses and the listeners' bind addresses (without
// loopback ones unless the audit ran on this machine), and the host
// reached over SSH.
func AuditedAddresses(h *facts.HostAudit) []string {
	if h == nil {
		return nil
	}
	local := h.Remote == ""
	seen := map[string]bool{}
	var out []string
	add := func(a string, force bool) {
		a = strings.Trim(strings.TrimSpace(a), "[]")
		if a == "" {
			return
		}
		if ip, err := netip.ParseAddr(a); err == nil {
			ip = ip.Unmap().WithZone("")
			if ip.IsUnspecified() || (ip.IsLoopback() && !local && !force) {
				return
			}
			a = ip.String()
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	add(h.Hostname, false)
	for _, a := range h.Addresses {
		add(a, false)
	}
	for _, l := range h.Listeners {
		add(l.Address, false)
	}
	if h.Remote != "" {
		// user@host or user@host:port: the host reached is vouched for,
		// loopback or not.
		_, hp, _ := strings.Cut(h.Remote, "@")
		host := hp
		if x, _, err := net.SplitHostPort(hp); err == nil {
			host = x
		}
		add(host, true)
	}
	return out
}
