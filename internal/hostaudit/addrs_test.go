package hostaudit

import (
	"net/netip"
	"slices"
	"testing"
)

// The fixtures are this machine's own: ip -j addr show, /proc/net/fib_trie
// and /proc/net/if_inet6, captured together.
func TestAddressesAgree(t *testing.T) {
	ps, err := ParseIPAddrJSON(readFixture(t, "ip_addr.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ip []netip.Addr
	for _, p := range ps {
		ip = append(ip, p.Addr())
	}
	for _, want := range []string{"127.0.0.1/8", "::1/128"} {
		if !slices.Contains(ps, netip.MustParsePrefix(want)) {
			t.Errorf("prefix %s is missing from %v", want, ps)
		}
	}
	proc := append(ParseFibTrie(readFixture(t, "fib_trie.txt")), ParseIfInet6(readFixture(t, "if_inet6.txt"))...)
	sort := func(a []netip.Addr) []netip.Addr {
		a = slices.Clone(a)
		slices.SortFunc(a, func(x, y netip.Addr) int { return x.Compare(y) })
		return slices.Compact(a)
	}
	if got, want := sort(proc), sort(ip); !slices.Equal(got, want) {
		t.Errorf("/proc says %v\nip says   %v", got, want)
	}
	for _, want := range []string{"127.0.0.1", "192.0.2.2", "::1", "fd00::2"} {
		if !slices.Contains(ip, netip.MustParseAddr(want)) {
			t.Errorf("%s is missing from %v", want, ip)
		}
	}
}

func TestParseIPAddrJSONRejectsText(t *testing.T) {
	if _, err := ParseIPAddrJSON([]byte("1: lo: <LOOPBACK,UP>")); err == nil {
		t.Error("text accepted")
	}
}

func FuzzParseAddresses(f *testing.F) {
	f.Add(readFixture(f, "ip_addr.json"), readFixture(f, "fib_trie.txt"))
	f.Add([]byte(`[{"addr_info":[{"family":"inet6","local":"fe80::1%eth0"}]}]`), readFixture(f, "if_inet6.txt"))
	f.Fuzz(func(t *testing.T, js, text []byte) {
		ps, _ := ParseIPAddrJSON(js)
		var as []netip.Addr
		for _, p := range ps {
			if !p.IsValid() {
				t.Fatal("invalid prefix")
			}
			as = append(as, p.Addr())
		}
		as = append(as, ParseFibTrie(text)...)
		as = append(as, ParseIfInet6(text)...)
		for _, a := range as {
			if !a.IsValid() {
				t.Fatal("invalid address")
			}
		}
	})
}
