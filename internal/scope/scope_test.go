package scope

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeResolver answers from a fixed table, so no test sends a DNS query.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range f[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

func addrs(s *Set) []string {
	var out []string
	for h := range s.Hosts() {
		out = append(out, h.Addr.String())
	}
	return out
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "targets.txt")
	if err := os.WriteFile(file, []byte("# lab\n127.0.2.10\n127.0.2.20-21 # two\n\nlab-db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := fakeResolver{"lab-db": {"127.0.2.30"}, "public.example": {"203.0.113.7"}, "both": {"127.0.2.40", "::1"}}
	cfg := Config{MaxHosts: DefaultMaxHosts, Resolver: res}
	tests := []struct {
		name     string
		cfg      Config
		targets  []string
		excludes []string
		want     string // comma-joined addresses
		wantErr  string // substring of the error
	}{
		{name: "single", targets: []string{"127.0.2.10"}, want: "127.0.2.10"},
		{name: "ipv6", targets: []string{"::1"}, want: "::1"},
		{name: "cidr", targets: []string{"127.0.2.8/30"}, want: "127.0.2.8,127.0.2.9,127.0.2.10,127.0.2.11"},
		{name: "cidr not aligned is masked", targets: []string{"127.0.2.9/31"}, want: "127.0.2.8,127.0.2.9"},
		{name: "last octet range", targets: []string{"127.0.2.10-12"}, want: "127.0.2.10,127.0.2.11,127.0.2.12"},
		{name: "full range across octets", targets: []string{"10.0.0.254-10.0.1.1"}, want: "10.0.0.254,10.0.0.255,10.0.1.0,10.0.1.1"},
		{name: "ipv6 range", targets: []string{"fd00::1-fd00::3"}, want: "fd00::1,fd00::2,fd00::3"},
		{name: "comma list and dedupe", targets: []string{"127.0.2.11,127.0.2.10", "127.0.2.10"}, want: "127.0.2.10,127.0.2.11"},
		{name: "file", targets: []string{"@" + file}, want: "127.0.2.10,127.0.2.20,127.0.2.21,127.0.2.30"},
		{name: "name", targets: []string{"lab-db"}, want: "127.0.2.30"},
		{name: "name with two addresses", targets: []string{"both"}, want: "127.0.2.40,::1"},
		{name: "exclude wins", targets: []string{"127.0.2.8/29"}, excludes: []string{"127.0.2.10-13", "127.0.2.9"}, want: "127.0.2.8,127.0.2.14,127.0.2.15"},
		{name: "exclude a network", targets: []string{"127.0.2.10"}, excludes: []string{"127.0.0.0/8"}, wantErr: "every target is excluded"},
		{name: "public refused", targets: []string{"198.51.100.8"}, wantErr: "--allow-public"},
		{name: "public range refused", targets: []string{"10.255.255.250-11.0.0.1"}, wantErr: "not a private"},
		{name: "public name refused", targets: []string{"public.example"}, wantErr: "--allow-public"},
		{name: "public allowed", cfg: Config{AllowPublic: true, MaxHosts: 10}, targets: []string{"192.0.2.1"}, want: "192.0.2.1"},
		{name: "too many hosts", targets: []string{"10.0.0.0/15"}, wantErr: "--max-hosts"},
		{name: "huge ipv6 refused before expansion", targets: []string{"fd00::/64"}, wantErr: "--max-hosts"},
		{name: "max hosts raised", cfg: Config{MaxHosts: 1 << 17}, targets: []string{"10.0.0.0/15"}, want: ""},
		{name: "bad octet", targets: []string{"10.0.0.300"}, wantErr: `"10.0.0.300"`},
		{name: "bad range end", targets: []string{"10.0.0.5-300"}, wantErr: "end of the range"},
		{name: "reversed range", targets: []string{"10.0.0.9-3"}, wantErr: "ends (10.0.0.3) before it starts"},
		{name: "bad prefix", targets: []string{"10.0.0.0/33"}, wantErr: "CIDR"},
		{name: "mixed families", targets: []string{"10.0.0.1-fd00::1"}, wantErr: "mixes IPv4 and IPv6"},
		{name: "garbage", targets: []string{"not a host!"}, wantErr: `"not a host!"`},
		{name: "unresolvable", targets: []string{"nowhere"}, wantErr: "cannot resolve"},
		{name: "multicast", targets: []string{"224.0.0.1"}, wantErr: "multicast"},
		{name: "missing file", targets: []string{"@/nonexistent/targets"}, wantErr: "cannot read target file"},
		{name: "no targets", targets: nil, wantErr: "no targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.cfg.MaxHosts != 0 {
				c = tt.cfg
				c.Resolver = res
			}
			set, err := Expand(context.Background(), c, tt.targets, tt.excludes)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.want == "" {
				return
			}
			if got := strings.Join(addrs(set), ","); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			for _, a := range addrs(set) {
				if !set.Contains(netip.MustParseAddr(a)) {
					t.Errorf("Contains(%s) = false for a member", a)
				}
			}
		})
	}
}

func TestContainsOnlyMembers(t *testing.T) {
	set, err := Expand(context.Background(), Config{MaxHosts: 10}, []string{"127.0.2.10-12"}, []string{"127.0.2.11"})
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]bool{"127.0.2.10": true, "127.0.2.11": false, "127.0.2.12": true, "127.0.2.13": false, "::ffff:127.0.2.10": true} {
		if got := set.Contains(netip.MustParseAddr(a)); got != want {
			t.Errorf("Contains(%s) = %v, want %v", a, got, want)
		}
	}
}

func TestNamesAreKept(t *testing.T) {
	set, err := Expand(context.Background(), Config{MaxHosts: 10, Resolver: fakeResolver{"db": {"127.0.2.30"}}}, []string{"db", "127.0.2.30"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var hosts []Host
	for h := range set.Hosts() {
		hosts = append(hosts, h)
	}
	if len(hosts) != 1 || len(hosts[0].Names) != 1 || hosts[0].Names[0] != "db" {
		t.Errorf("hosts = %+v, want one host named db", hosts)
	}
}

// TestUserMistakes: every mistake in the targets is ErrBadTarget (a usage
// error for the command line) with a message that names it; a huge set is
// refused before it is read to the end.
func TestUserMistakes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	comments := filepath.Join(dir, "comments.txt")
	long := filepath.Join(dir, "long.txt")
	million := filepath.Join(dir, "million.txt")
	os.WriteFile(empty, nil, 0o600)
	os.WriteFile(comments, []byte("# nothing here\n\n"), 0o600)
	os.WriteFile(long, []byte("10.0.0.1\n"+strings.Repeat("x", 70<<10)+"\n"), 0o600)
	var b strings.Builder
	for i := range 1_000_000 {
		fmt.Fprintf(&b, "10.%d.%d.%d\n", i>>16&255, i>>8&255, i&255)
	}
	os.WriteFile(million, []byte(b.String()), 0o600)
	// Sparse addresses (no two adjacent, so no range merges) past the
	// limit, then a mistake: the refusal comes before the mistake is read.
	sparse := filepath.Join(dir, "sparse.txt")
	b.Reset()
	for i := range 80_000 {
		fmt.Fprintf(&b, "10.%d.%d.%d\n", i>>15&255, i>>7&255, i&127*2)
	}
	b.WriteString("not-a-target!\n")
	os.WriteFile(sparse, []byte(b.String()), 0o600)
	for _, tt := range []struct {
		targets []string
		want    string
	}{
		{[]string{"@" + empty}, "no targets"},
		{[]string{"@" + comments}, "no targets"},
		{[]string{"@" + long}, "long.txt:2: a line longer than 64 KiB"},
		{[]string{"@" + million}, "more than the limit of 65536"},
		{[]string{"@" + sparse}, "more than the limit of 65536"},
		{[]string{"10.0.0.300"}, `"10.0.0.300"`},
		{[]string{"198.51.100.8"}, "--allow-public"},
		{[]string{"@/nonexistent"}, "cannot read target file"},
	} {
		_, err := Expand(context.Background(), Config{MaxHosts: DefaultMaxHosts}, tt.targets, nil)
		if !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want ErrBadTarget mentioning %q", tt.targets, err, tt.want)
		}
	}
}

// TestDuplicatesCountOnce: a file naming the same addresses over and over
// holds as many hosts as it names distinct addresses.
func TestDuplicatesCountOnce(t *testing.T) {
	f := filepath.Join(t.TempDir(), "dups.txt")
	var b strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&b, "10.0.0.%d\n", i%3+1)
	}
	os.WriteFile(f, []byte(b.String()), 0o600)
	set, err := Expand(context.Background(), Config{MaxHosts: 3}, []string{"@" + f, "10.0.0.2-3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 3 {
		t.Errorf("Len %d, want 3", set.Len())
	}
}

// TestHugeSetsStayRanges: a /8 is held as a range, walked lazily, and its
// membership and size are known without expanding it.
func TestHugeSetsStayRanges(t *testing.T) {
	set, err := Expand(context.Background(), Config{MaxHosts: 1 << 24}, []string{"10.0.0.0/8", "10.1.0.0/16"}, []string{"10.2.0.0/16", "10.0.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 1<<24-1<<16-1 || len(set.ranges) != 2 {
		t.Errorf("Len %d, %d ranges", set.Len(), len(set.ranges))
	}
	for a, want := range map[string]bool{"10.0.0.0": false, "10.0.0.1": true, "10.2.3.4": false, "10.3.0.0": true, "10.255.255.255": true, "11.0.0.0": false} {
		if set.Contains(netip.MustParseAddr(a)) != want {
			t.Errorf("Contains(%s) != %v", a, want)
		}
	}
	n := 0
	for h := range set.Hosts() {
		if n == 0 && h.Addr.String() != "10.0.0.1" {
			t.Errorf("first host %s", h.Addr)
		}
		if n++; n == 3 {
			break
		}
	}
}
