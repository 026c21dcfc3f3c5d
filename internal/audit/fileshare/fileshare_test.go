package fileshare

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/iscsi"
	"github.com/vigilsec/vigil/internal/codec/oncrpc"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
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

// mountdServer answers MOUNTPROC_EXPORT with es over TCP record marking.
func mountdServer(es []oncrpc.Export) func(net.Conn) {
	return func(c net.Conn) {
		var h [4]byte
		if _, err := io.ReadFull(c, h[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint32(h[:])&0x7fffffff)
		if _, err := io.ReadFull(c, msg); err != nil || len(msg) < 24 {
			return
		}
		xid, prog, proc := binary.BigEndian.Uint32(msg), binary.BigEndian.Uint32(msg[12:]), binary.BigEndian.Uint32(msg[20:])
		if prog != oncrpc.ProgMountd || proc != oncrpc.MountProcExport {
			_, _ = c.Write(oncrpc.Record(oncrpc.AcceptedReply(xid, oncrpc.ProgUnavail, nil)))
			return
		}
		_, _ = c.Write(oncrpc.Record(oncrpc.AcceptedReply(xid, oncrpc.Success, oncrpc.EncodeExports(es))))
	}
}

func TestAuditExports(t *testing.T) {
	d := newDialer(t)
	es := []oncrpc.Export{{Dir: "/srv/world"}, {Dir: "/srv/lan", Groups: []string{"10.0.0.0/24"}}, {Dir: "/srv/\x1b[2J", Groups: []string{"*"}}}
	m := serve(t, mountdServer(es))
	s := &facts.Service{Name: "rpcbind", Transport: facts.TCP, RPC: &facts.RPC{Programs: []facts.RPCProgram{
		{Program: oncrpc.ProgPortmap, Version: 2, Transport: "tcp", Port: 111},
		{Program: oncrpc.ProgMountd, Version: 3, Transport: "udp", Port: 1},
		{Program: oncrpc.ProgMountd, Version: 3, Transport: "tcp", Port: int(m.Port())},
	}}}
	if !Applies(s) {
		t.Fatal("does not apply")
	}
	if err := Audit(t.Context(), d, netip.AddrPortFrom(m.Addr(), 111), s, Options{Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if !s.RPC.ExportsRead || s.RPC.MountdPort != int(m.Port()) || len(s.RPC.Exports) != 3 {
		t.Fatalf("%+v", s.RPC)
	}
	if e := s.RPC.Exports[1]; e.Path != "/srv/lan" || !reflect.DeepEqual(e.Groups, []string{"10.0.0.0/24"}) {
		t.Errorf("%+v", e)
	}
	if strings.ContainsRune(s.RPC.Exports[2].Path, 0x1b) {
		t.Errorf("path not sanitised: %q", s.RPC.Exports[2].Path)
	}
	if Applies(&facts.Service{Name: "rpcbind", RPC: &facts.RPC{Programs: []facts.RPCProgram{{Program: oncrpc.ProgNFS, Version: 3, Transport: "tcp", Port: 2049}}}}) {
		t.Error("applies without a mount daemon")
	}
}

// iscsiTarget imitates a target: chap makes it refuse AuthMethod=None.
func iscsiTarget(chap bool, targets []string) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			h := make([]byte, 48)
			if _, err := io.ReadFull(r, h); err != nil {
				return
			}
			n, _ := iscsi.Need(h)
			rest := make([]byte, n-48)
			if _, err := io.ReadFull(r, rest); err != nil {
				return
			}
			itt := binary.BigEndian.Uint32(h[16:])
			data := string(rest)
			var resp iscsi.Response
			switch h[0] & 0x3f {
			case iscsi.OpLoginRequest:
				csg, nsg := int(h[1]>>2&3), int(h[1]&3)
				resp = iscsi.Response{Opcode: iscsi.OpLoginResponse, ITT: itt, Transit: true, CSG: csg, NSG: nsg, StatSN: 7, ExpCmdSN: 1}
				if csg == iscsi.StageSecurity && chap && strings.Contains(data, "AuthMethod=None") {
					resp = iscsi.Response{Opcode: iscsi.OpLoginResponse, ITT: itt, StatusClass: 2, StatusDetail: 1}
				}
			case iscsi.OpTextRequest:
				if !strings.Contains(data, "SendTargets=All") || binary.BigEndian.Uint32(h[24:]) != 1 {
					return
				}
				resp = iscsi.Response{Opcode: iscsi.OpTextResponse, ITT: itt, Transit: true, StatSN: 8}
				for _, tg := range targets {
					resp.Parameters = append(resp.Parameters, [2]string{"TargetName", tg}, [2]string{"TargetAddress", "127.0.0.1:3260,1"})
				}
			default:
				return
			}
			if _, err := c.Write(iscsi.EncodeResponse(resp)); err != nil {
				return
			}
		}
	}
}

func TestAuditISCSI(t *testing.T) {
	d := newDialer(t)
	tests := []struct {
		name    string
		chap    bool
		open    bool
		targets []string
	}{
		{"no chap", false, true, []string{"iqn.2026-12.lab.vigil:weak", "iqn.2026-12.lab.vigil:\x1b[2J"}},
		{"chap", true, false, nil},
	}
	for _, tt := range tests {
		addr := serve(t, iscsiTarget(tt.chap, []string{"iqn.2026-12.lab.vigil:weak", "iqn.2026-12.lab.vigil:\x1b[2J"}))
		s := &facts.Service{Name: "iscsi", Transport: facts.TCP, ISCSI: &facts.ISCSI{}}
		if err := Audit(t.Context(), d, addr, s, Options{Timeout: time.Second}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if s.ISCSI.DiscoveryOpen != tt.open || len(s.ISCSI.Targets) != len(tt.targets) {
			t.Errorf("%s: %+v", tt.name, s.ISCSI)
		}
		for _, n := range s.ISCSI.Targets {
			if strings.ContainsRune(n, 0x1b) {
				t.Errorf("%s: target not sanitised: %q", tt.name, n)
			}
		}
		if tt.chap && (s.ISCSI.StatusClass != 2 || s.ISCSI.StatusDetail != 1) {
			t.Errorf("%s: status %d/%d", tt.name, s.ISCSI.StatusClass, s.ISCSI.StatusDetail)
		}
	}
}
