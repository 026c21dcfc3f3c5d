package facts

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
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

func TestComparePackages(t *testing.T) {
	ps := []Package{
		{Name: "libssl3", Arch: "i386", Format: FormatDpkg, Version: "3"},
		{Name: "bash", Arch: "amd64", Format: FormatDpkg},
		{Name: "libssl3", Arch: "amd64", Format: FormatDpkg, Version: "3"},
		{Name: "bash", Arch: "x86_64", Format: FormatRPM},
		{Name: "Zlib", Arch: "amd64", Format: FormatDpkg},
	}
	slices.SortFunc(ps, ComparePackages)
	var got []string
	for _, p := range ps {
		got = append(got, p.Name+"/"+p.Arch)
	}
	want := []string{"Zlib/amd64", "bash/amd64", "bash/x86_64", "libssl3/amd64", "libssl3/i386"}
	if !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// TestPackagesJSON pins the JSON names of the inventory, which the
// vulnerability matching reads.
func TestPackagesJSON(t *testing.T) {
	h := HostAudit{Root: "/mnt/x",
		OS:       &OSRelease{ID: "debian", IDLike: []string{"a"}, VersionID: "12", VersionCodename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"},
		Packages: []Package{{Name: "libssl3", Version: "3.0.15-1~deb12u1", Arch: "amd64", Source: "openssl", SourceVersion: "3.0.15-1~deb12u1", Format: FormatDpkg}}}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"root":"/mnt/x"`, `"os":{"id":"debian","id_like":["a"],"version_id":"12","version_codename":"bookworm","pretty_name":"Debian GNU/Linux 12 (bookworm)"}`,
		`"packages":[{"name":"libssl3","version":"3.0.15-1~deb12u1","arch":"amd64","source":"openssl","source_version":"3.0.15-1~deb12u1","format":"dpkg"}]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
	b, _ = json.Marshal(HostAudit{})
	if strings.Contains(string(b), `"os"`) || strings.Contains(string(b), `"packages"`) || strings.Contains(string(b), `"root"`) {
		t.Errorf("an audit without them still names them: %s", b)
	}
}
