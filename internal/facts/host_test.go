package facts

import (
	"net/netip"
	"testing"
)

func TestCovers(t *testing.T) {
	here := Machine{ID: "m1", NetNS: "net:[1]"}
	elsewhere := Machine{ID: "m2", NetNS: "net:[1]"}
	otherNS := Machine{ID: "m1", NetNS: "net:[2]"}
	local := &HostAudit{Hostname: "srv1", Machine: here,
		Addresses: []string{"127.0.0.1", "10.0.0.5", "::1", "fe80::1%eth0"},
		Prefixes:  []string{"127.0.0.1/8", "10.0.0.5/24", "::1/128", "fe80::1/64"},
		Listeners: []Listener{{Transport: "tcp", Address: "0.0.0.0", Port: 22}, {Transport: "tcp", Address: "10.0.0.7", Port: 443}}}
	remote := &HostAudit{Hostname: "db1", Remote: "root@10.0.0.9", Machine: elsewhere,
		Addresses: []string{"127.0.0.1", "10.0.0.9", "::1"}, Prefixes: []string{"127.0.0.1/8", "10.0.0.9/24"}}
	unknown := &HostAudit{Hostname: "old", Addresses: []string{"127.0.0.1", "10.0.0.5"}, Prefixes: []string{"127.0.0.1/8"}}
	tests := []struct {
		h    *HostAudit
		addr string
		from Machine
		want bool
	}{
		{local, "127.0.0.1", here, true},
		{local, "127.0.2.11", here, true}, // lo holds 127.0.0.0/8
		{local, "::1", here, true},
		{local, "10.0.0.5", here, true},
		{local, "::ffff:10.0.0.5", here, true},
		{local, "fe80::1", here, true},
		{local, "10.0.0.7", here, true},  // a listener's own address
		{local, "10.0.0.6", here, false}, // in its /24, but another machine's
		{local, "127.0.0.1", elsewhere, false},
		{local, "127.0.2.11", otherNS, false}, // another network namespace's loopback
		{local, "10.0.0.5", elsewhere, true},  // its address, whoever scans
		{remote, "127.0.0.1", here, false},    // its loopback is not ours
		{remote, "10.0.0.9", here, true},
		{unknown, "127.0.0.1", here, false}, // who knows which machine
		{unknown, "10.0.0.5", here, true},
		{nil, "10.0.0.5", here, false},
	}
	for _, tt := range tests {
		if got := tt.h.Covers(netip.MustParseAddr(tt.addr), tt.from); got != tt.want {
			name := "<nil>"
			if tt.h != nil {
				name = tt.h.Hostname
			}
			t.Errorf("%s.Covers(%s, from %v) = %v, want %v", name, tt.addr, tt.from, got, tt.want)
		}
	}
}
