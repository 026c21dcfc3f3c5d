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

// LatestHostAudits returns the newest host audit (vigil host) of each
// machine among those stored that finished at or after since. A machine is
// known by its identity (machine id and network namespace), else by the
// host reached over SSH, else by its host name. Audits of mounted roots
// (vigil host --root) are left out: they speak for no running machine.
func (s *Store) LatestHostAudits(ctx context.Context, since time.Time) ([]*result.Document, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT id, document FROM scans WHERE kind = ? AND finished >= ? ORDER BY finished"),
		result.KindHost, formatTime(since))
	if err != nil {
		return nil, fmt.Errorf("cannot read the host audits in %s: %w", s.where, err)
	}
	defer rows.Close()
	latest := map[string]*result.Document{}
	var order []string
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("cannot read the host audits in %s: %w", s.where, err)
		}
		doc, err := result.Read(strings.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("host audit %s in %s is damaged: %w", id, s.where, err)
		}
		if doc.HostAudit == nil {
			continue
		}
		h := doc.HostAudit
		if h.Root != "" {
			continue // a mounted root is no running machine: it speaks for none
		}
		key := "host:" + h.Hostname
		switch {
		case h.Machine.Known():
			key = "machine:" + h.Machine.ID + "/" + h.Machine.NetNS
		case h.Remote != "":
			key = "remote:" + h.Remote
		}
		if _, ok := latest[key]; !ok {
			order = append(order, key)
		}
		latest[key] = doc // rows come oldest first
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the host audits in %s: %w", s.where, err)
	}
	out := make([]*result.Document, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	return out, nil
}

// AuditedAddresses lists the addresses a host audit vouches for: the host
// name, the interface addresses and the listeners' bind addresses (without
// loopback ones unless the audit ran on this machine), and the host
// reached over SSH. An audit of a mounted root vouches for none.
func AuditedAddresses(h *facts.HostAudit) []string {
	if h == nil || h.Root != "" {
		return nil // a mounted root (--root) is no running machine
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
