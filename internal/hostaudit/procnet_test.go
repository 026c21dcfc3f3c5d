package hostaudit

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestParseHexAddrPort(t *testing.T) {
	tests := []struct {
		in        string
		bigEndian bool
		want      string
	}{
		{"0100007F:0016", false, "127.0.0.1:22"},
		{"7F000001:0016", true, "127.0.0.1:22"},
		{"0C02007F:08AE", false, "127.0.2.12:2222"},
		{"00000000:1F90", false, "0.0.0.0:8080"},
		{"00000000000000000000000001000000:1F57", false, "[::1]:8023"},
		{"00000000000000000000000000000001:1F57", true, "[::1]:8023"},
		{"00000000000000000000000000000000:1F56", false, "[::]:8022"},
		// An IPv4-mapped address in a tcp6 table is reported as IPv4.
		{"0000000000000000FFFF00000100007F:0050", false, "127.0.0.1:80"},
		{"B80D0120000000000000000001000000:0035", false, "[2001:db8::1]:53"},
	}
	for _, tt := range tests {
		got, err := parseHexAddrPort(tt.in, tt.bigEndian)
		if err != nil || got.String() != tt.want {
			t.Errorf("parseHexAddrPort(%q, %v) = %v, %v; want %s", tt.in, tt.bigEndian, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "0100007F:16", "01007F:0016", "zz00007F:0016", "0100007F:001G"} {
		if _, err := parseHexAddrPort(bad, false); err == nil {
			t.Errorf("parseHexAddrPort(%q) accepted it", bad)
		}
	}
}

func TestParseProcNetRejectsOtherText(t *testing.T) {
	for _, in := range []string{"", "hello\n", "<html>\n"} {
		if _, err := ParseProcNet([]byte(in), "tcp", false); err == nil {
			t.Errorf("ParseProcNet(%q) accepted it", in)
		}
	}
}

// ssEndpoints reads the local address column of `ss -H` output for the
// given states, in netip form ("*" is the unspecified address).
func ssEndpoints(t *testing.T, out string, states ...string) []string {
	t.Helper()
	var got []string
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !slices.Contains(states, f[0]) {
			continue
		}
		local := f[3]
		host, port, err := net.SplitHostPort(local)
		if err != nil {
			t.Fatalf("ss printed %q", local)
		}
		host = strings.Trim(host, "[]")
		if host == "*" {
			host = "::"
		}
		host, _, _ = strings.Cut(host, "%") // 127.0.0.53%lo
		got = append(got, netip.AddrPortFrom(netip.MustParseAddr(host), uint16(atoi(t, port))).String())
	}
	slices.Sort(got)
	return got
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// listening returns the listening endpoints of parsed tables.
func listening(t *testing.T, transport string, files ...string) []string {
	t.Helper()
	var got []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		socks, err := ParseProcNet(b, transport, false)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range socks {
			if s.Listening() {
				got = append(got, s.Local.String())
			}
		}
	}
	slices.Sort(got)
	return got
}

// TestParseProcNetAgreesWithSS compares the listeners parsed from real
// tables with what ss printed from the same namespace at the same moment
// (testdata captured on this kind of machine: the lab's loopback aliases,
// and a namespace with IPv6 and UDP listeners).
func TestParseProcNetAgreesWithSS(t *testing.T) {
	tests := []struct {
		name, transport string
		tables          []string
		ss              string
		states          []string
	}{
		{"lab tcp", "tcp", []string{"testdata/proc_net_tcp.txt", "testdata/proc_net_tcp6.txt"}, "testdata/ss_ltn.txt", []string{"LISTEN"}},
		{"lab udp", "udp", []string{"testdata/proc_net_udp.txt"}, "testdata/ss_lun.txt", []string{"UNCONN"}},
		{"namespace tcp", "tcp", []string{"testdata/netns_tcp.txt", "testdata/netns_tcp6.txt"}, "testdata/netns_ss_tan.txt", []string{"LISTEN"}},
		{"namespace udp", "udp", []string{"testdata/netns_udp.txt", "testdata/netns_udp6.txt"}, "testdata/netns_ss_uan.txt", []string{"UNCONN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss, err := os.ReadFile(tt.ss)
			if err != nil {
				t.Fatal(err)
			}
			want := ssEndpoints(t, string(ss), tt.states...)
			got := listening(t, tt.transport, tt.tables...)
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("parsed listeners %v\nss says %v", got, want)
			}
		})
	}
}

// TestParseProcNetLive compares this machine's tables with ss, retrying
// when a socket came or went between the two reads.
func TestParseProcNetLive(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("ss is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mine := ln.Addr().String()
	var got, want []string
	for range 5 {
		got = listeningNow(t)
		out, err := exec.Command("ss", "-Hltn").Output()
		if err != nil {
			t.Fatal(err)
		}
		want = ssEndpoints(t, string(out), "LISTEN")
		if slices.Equal(got, want) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("parsed listeners %v\nss says %v", got, want)
	}
	if !slices.Contains(got, mine) {
		t.Errorf("the test's own listener %s is not among %v", mine, got)
	}
}

func listeningNow(t *testing.T) []string {
	t.Helper()
	var got []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		socks, err := ParseProcNet(b, "tcp", nativeBigEndian())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range socks {
			if s.Listening() {
				got = append(got, s.Local.String())
			}
		}
	}
	slices.Sort(got)
	return got
}

func FuzzParseProcNet(f *testing.F) {
	for _, p := range []string{"testdata/proc_net_tcp.txt", "testdata/netns_tcp6.txt", "testdata/netns_udp.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
	}
	f.Add([]byte("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:0016 00000000:0000 0A 0 0 0 0 0 1\n"), true)
	f.Fuzz(func(t *testing.T, b []byte, be bool) {
		socks, err := ParseProcNet(b, "tcp", be)
		if err != nil && socks != nil {
			t.Fatalf("error %v with %d sockets", err, len(socks))
		}
		for _, s := range socks {
			if !s.Local.IsValid() || !s.Remote.IsValid() || s.State < 0 || s.State > 255 {
				t.Fatalf("invalid socket %+v", s)
			}
		}
	})
}

func FuzzParseSocketLinks(f *testing.F) {
	f.Add([]byte("/proc/1/fd socket:[123]\n/proc/22/fd socket:[123]\n/proc/22/fd pipe:[5]\n"))
	f.Add([]byte("/proc/x/fd socket:[1]\n/proc/1/fd socket:[\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for inode, pids := range ParseSocketLinks(b) {
			if len(pids) == 0 {
				t.Fatalf("inode %d without pids", inode)
			}
			for _, p := range pids {
				if p <= 0 {
					t.Fatalf("pid %d", p)
				}
			}
		}
	})
}
