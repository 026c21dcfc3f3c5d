package rsync

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// serve runs handler for every connection to a loopback listener until the
// test ends.
func serve(t *testing.T, handler func(c net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				handler(c)
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

func TestParseGreeting(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"@RSYNCD: 31.0\n", "31.0", true},
		{"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", "31.0", true},
		{"@RSYNCD: 30\n", "30", true},
		{"@RSYNCD: x.y\n", "", false},
		{"@RSYNCD: 31.0", "", false}, // no end of line yet
		{"@RSYNC 31.0\n", "", false},
		{"@RSYNCD: \x1b[31m\n", "", false},
	}
	for _, tt := range tests {
		got, err := parseGreeting([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: got %q, %v", tt.in, got, err)
		}
	}
	var s facts.Service
	if f, err := match([]byte("@RSYNCD: 31.0 sha512\n"), &s); err != nil || f != nil || s.Name != "rsync" || s.Product != "rsync" ||
		s.Banner != "@RSYNCD: 31.0 sha512" || Evidence.Get(&s) == nil || Evidence.Get(&s).Protocol != "31.0" {
		t.Errorf("match: %v %+v", err, s)
	}
}

func FuzzParseGreeting(f *testing.F) {
	f.Add([]byte("@RSYNCD: 31.0 sha512 sha256\n"))
	f.Add([]byte("@RSYNCD: 3\x001.0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s facts.Service
		if _, err := match(b, &s); err != nil {
			return
		}
		for _, v := range []string{s.Banner, Evidence.Get(&s).Protocol} {
			if strings.ContainsAny(v, "\x1b\x00\a") {
				t.Fatalf("not sanitised: %q", v)
			}
		}
	})
}

// rsyncd imitates rsync 3.2's daemon: modules maps a name to "open",
// "auth" or "deny"; listed names appear in #list.
func rsyncd(listed []string, modules map[string]string, requests chan<- string) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		_, _ = io.WriteString(c, "@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n")
		if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "@RSYNCD: ") {
			return
		}
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		l = strings.TrimSuffix(l, "\n")
		if requests != nil {
			requests <- l
		}
		if l == "#list" {
			_, _ = io.WriteString(c, "Welcome to the lab\n")
			for _, m := range listed {
				_, _ = io.WriteString(c, m+strings.Repeat(" ", max(0, 15-len(m)))+"\t"+m+" files\n")
			}
			_, _ = io.WriteString(c, "@RSYNCD: EXIT\n")
			return
		}
		switch modules[l] {
		case "open":
			_, _ = io.WriteString(c, "@RSYNCD: OK\n")
			// A real daemon now waits for arguments; vigil must close.
			if _, err := r.ReadByte(); err == nil {
				_, _ = io.WriteString(c, "@ERROR: vigil sent arguments\n")
			}
		case "auth":
			_, _ = io.WriteString(c, "@RSYNCD: AUTHREQD c2FsdHNhbHQ\n")
			_, _ = r.ReadByte()
		case "deny":
			_, _ = io.WriteString(c, "@ERROR: access denied to "+l+" from localhost (127.0.0.1)\n")
		default:
			_, _ = io.WriteString(c, "@ERROR: Unknown module '"+l+"'\n")
		}
	}
}

func TestAuditRsync(t *testing.T) {
	d := newDialer(t)
	requests := make(chan string, 64)
	addr := serve(t, rsyncd([]string{"pub", "backup", "private"}, map[string]string{"pub": "open", "backup": "auth", "private": "deny"}, requests))
	s := &facts.Service{Name: "rsync", Transport: facts.TCP, Port: int(addr.Port())}
	Evidence.Set(s, &Daemon{Protocol: "31.0"})
	if !Module.Audit.Applies(s) {
		t.Fatal("does not apply to rsync")
	}
	if err := Module.Audit.Run(t.Context(), module.Env{Dialer: d, Timeout: time.Second}, addr, s); err != nil {
		t.Fatal(err)
	}
	r := Evidence.Get(s)
	want := []Share{
		{Name: "pub", Comment: "pub files", Access: Open},
		{Name: "backup", Comment: "backup files", Access: Auth},
		{Name: "private", Comment: "private files", Access: Refused, Detail: "access denied to private from localhost (127.0.0.1)"},
	}
	if !r.Listed || r.Protocol != "31.0" || !reflect.DeepEqual(r.Modules, want) {
		t.Errorf("got %+v", r)
	}
	close(requests)
	var got []string
	for r := range requests {
		got = append(got, r)
	}
	if !reflect.DeepEqual(got, []string{"#list", "pub", "backup", "private"}) {
		t.Errorf("requests %q", got)
	}
}

func TestAuditRsyncHidden(t *testing.T) {
	d := newDialer(t)
	addr := serve(t, rsyncd(nil, map[string]string{"secret": "auth"}, nil))
	s := &facts.Service{Name: "rsync", Transport: facts.TCP}
	if err := Module.Audit.Run(t.Context(), module.Env{Dialer: d, Timeout: time.Second}, addr, s); err != nil {
		t.Fatal(err)
	}
	if r := Evidence.Get(s); r == nil || r.Listed || len(r.Modules) != 0 {
		t.Errorf("got %+v", r)
	}
}

func TestParseRsyncList(t *testing.T) {
	mods, ok := parseRsyncList([]byte("motd line\nftp            \tpublic\n\x1b[31mx\t\x1b]0;t\a\n@RSYNCD: EXIT\nafter\tx\n"))
	if !ok || len(mods) != 2 || mods[0].Name != "ftp" || mods[0].Comment != "public" {
		t.Fatalf("%v %+v", ok, mods)
	}
	if strings.ContainsAny(mods[1].Name+mods[1].Comment, "\x1b\a") {
		t.Errorf("not sanitised: %+v", mods[1])
	}
	if _, ok := parseRsyncList([]byte("@ERROR: access denied\n")); ok {
		t.Error("@ERROR not seen")
	}
}

func FuzzRsyncAnswers(f *testing.F) {
	f.Add([]byte("motd\nmod\tcomment\n@RSYNCD: EXIT\n"))
	f.Add([]byte("@RSYNCD: AUTHREQD abc\n"))
	f.Add([]byte("@ERROR: \x1b[2J denied\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mods, _ := parseRsyncList(b)
		if len(mods) > 256 {
			t.Fatal("module cap not kept")
		}
		for _, m := range mods {
			for _, v := range []string{m.Name, m.Comment} {
				if strings.ContainsAny(v, "\x1b\x00\a") {
					t.Fatalf("not sanitised: %q", v)
				}
			}
		}
		if _, detail := moduleAnswer(b); strings.ContainsAny(detail, "\x1b\x00\a") {
			t.Fatalf("not sanitised: %q", detail)
		}
		_ = listDone(b)
		_ = moduleDone(b)
	})
}
