package cli

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func TestFindStoredFinding(t *testing.T) {
	old := storeDoc("20260401T093000Z-00000001", "", day0,
		machine{addr: "127.0.2.18", ports: []int{6379}, finds: []spot{{"cleartext.redis", finding.High, 6379}, {"auth.none.redis", finding.Critical, 6379}}})
	newer := storeDoc("20260402T093000Z-00000002", "", day0.Add(24*time.Hour),
		machine{addr: "127.0.2.18", ports: []int{6379}, finds: []spot{{"cleartext.redis", finding.High, 6379}}},
		machine{addr: "127.0.2.12", ports: []int{2222}, finds: []spot{{"ssh.cipher.weak", finding.High, 2222}}})
	db := newStore(t, old, newer)
	st, err := openStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	redis := finding.MakeID("cleartext.redis", "127.0.2.18", 6379, "tcp", "")
	noauth := finding.MakeID("auth.none.redis", "127.0.2.18", 6379, "tcp", "")
	doc, f, err := findStoredFinding(t.Context(), st, strings.ToUpper(redis[:10]))
	if err != nil || f.ID != redis || doc.ID != newer.ID {
		t.Errorf("by prefix: %v %v %v (the newest document holding it must win)", doc, f.ID, err)
	}
	if _, f, err := findStoredFinding(t.Context(), st, noauth); err != nil || f.Check != "auth.none.redis" {
		t.Errorf("a finding only in an older scan: %v %v", f, err)
	}
	if _, _, err := findStoredFinding(t.Context(), st, "ffffffffffff"); err == nil || !strings.Contains(err.Error(), "no finding") {
		t.Errorf("unknown id: %v", err)
	}
	// Two ids share an empty-ish prefix: find the shortest ambiguous one.
	ids := []string{redis, noauth, finding.MakeID("ssh.cipher.weak", "127.0.2.12", 2222, "tcp", "")}
	amb := ""
	for n := 1; n < 4 && amb == ""; n++ {
		seen := map[string]int{}
		for _, id := range ids {
			seen[id[:n]]++
		}
		for p, c := range seen {
			if c > 1 {
				amb = p
			}
		}
	}
	if amb != "" {
		if _, _, err := findStoredFinding(t.Context(), st, amb); err == nil || !strings.Contains(err.Error(), "several") {
			t.Errorf("ambiguous prefix %q: %v", amb, err)
		}
	}
}

func TestFixCommand(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir()) // no fix records of other tests
	// A real listener of this test process, and stored findings about it.
	ln, err := net.Listen("tcp", "127.0.4.50:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	doc := storeDoc("20260401T093000Z-0000000a", "", day0,
		machine{addr: "127.0.4.50", ports: []int{port}, finds: []spot{{"port.open-unused", finding.Medium, port}, {"tls.cert.expired", finding.High, port}}},
		machine{addr: "10.99.0.7", ports: []int{22}, finds: []spot{{"exposure.admin", finding.High, 22}}},
		machine{addr: "10.99.0.8", ports: []int{22, 443}, finds: []spot{{"ssh.cipher.weak", finding.High, 22}, {"tls.protocol.tls10", finding.High, 443}}})
	for i := range doc.Hosts {
		if doc.Hosts[i].Address == "10.99.0.8" {
			doc.Hosts[i].Services = []facts.Service{
				{Port: 22, Transport: "tcp", Name: "ssh", Product: "Dropbear", Version: "2022.83"},
				{Port: 443, Transport: "tcp", Name: "http", Product: "Apache httpd", Version: "2.4.57", TLS: true}}
		}
	}
	db := newStore(t, doc)
	unused := finding.MakeID("port.open-unused", "127.0.4.50", port, "tcp", "")

	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string
		not   []string
	}{
		{name: "dry run shows the plan", args: []string{"fix", unused, "--dry-run", "--db", db}, code: ExitOK,
			want: []string{fmt.Sprintf(`add rule inet vigil input iifname != "lo" ip daddr 127.0.4.50 tcp dport %d drop`, port), "Dry run: nothing was changed."}},
		{name: "no answer means no", args: []string{"fix", unused, "--db", db}, code: ExitOK,
			want: []string{fmt.Sprintf("Close port %d (", port), "[y/N]", "Nothing was changed."}},
		{name: "an explicit no", stdin: "nope\n", args: []string{"fix", unused[:6], "--db", db}, code: ExitOK, want: []string{"Nothing was changed."}},
		{name: "no automatic fix", args: []string{"fix", finding.MakeID("tls.cert.expired", "127.0.4.50", port, "tcp", ""), "--db", db}, code: ExitOK,
			want: []string{"has no automatic fix", "fix it"}},
		{name: "another machine", args: []string{"fix", finding.MakeID("exposure.admin", "10.99.0.7", 22, "tcp", ""), "--db", db}, code: ExitError,
			want: []string{"not on this machine"}},
		// Issue 11, item 6: the applier is for another product.
		{name: "Dropbear", args: []string{"fix", finding.MakeID("ssh.cipher.weak", "10.99.0.8", 22, "tcp", ""), "--dry-run", "--db", db}, code: ExitOK,
			want: []string{"runs Dropbear 2022.83", "Do it by hand", "fix it"}, not: []string{"sshd", "configuration"}},
		{name: "Apache", args: []string{"fix", finding.MakeID("tls.protocol.tls10", "10.99.0.8", 443, "tcp", ""), "--dry-run", "--db", db}, code: ExitOK,
			want: []string{"runs Apache httpd 2.4.57", "Do it by hand"}, not: []string{"server block", "nginx.conf", "configuration"}},
		{name: "no finding", args: []string{"fix"}, code: ExitUsage, want: []string{"give one finding id"}},
		{name: "rollback and a finding", args: []string{"fix", unused, "--rollback", "x"}, code: ExitUsage},
		{name: "rollback of nothing", args: []string{"fix", "--rollback", "20990101T000000Z-ffffff", "--yes"}, code: ExitError, want: []string{"no fix"}},
		{name: "list of nothing", args: []string{"fix", "--list"}, code: ExitOK, want: []string{"No fix has been applied"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := vigilIn(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+stderr, w) {
					t.Errorf("output lacks %q:\n%s\n%s", w, out, stderr)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out+stderr, w) {
					t.Errorf("output speaks of %q:\n%s\n%s", w, out, stderr)
				}
			}
		})
	}
}

func TestTerminalLines(t *testing.T) {
	in := "plain line\n\tSubsystem\tsftp\nbad \x1b[2J line\n"
	got := terminalLines(in)
	if !strings.Contains(got, "plain line\n\tSubsystem\tsftp\n") || strings.Contains(got, "\x1b") || !strings.Contains(got, `\x1b[2J`) {
		t.Errorf("%q", got)
	}
}
