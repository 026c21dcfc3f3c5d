package identify

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/iscsi"
	"github.com/vigilsec/vigil/internal/codec/oncrpc"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/protocols/rsync"
	"github.com/vigilsec/vigil/internal/protocols/x11"
)

// TestRsyncMatcher: the rsync module's banner matcher runs among the
// registry's (internal/protocols/rsync tests the greeting itself).
func TestRsyncMatcher(t *testing.T) {
	s, ok := runMatchers(t.Context(), []byte("@RSYNCD: 31.0 sha512\n"))
	if d := rsync.Evidence.Get(&s); !ok || s.Name != "rsync" || d == nil || d.Protocol != "31.0" {
		t.Errorf("matchers: %v %+v", ok, s)
	}
}

// x11Reply is an X server's setup reply: Failed with reason when status
// is 0, else Success naming vendor and release.
func x11Reply(status byte, reason string, vendor string, release uint32) []byte {
	if status == 0 {
		body := []byte(reason)
		for len(body)%4 != 0 {
			body = append(body, 0)
		}
		h := []byte{0, byte(len(reason)), 11, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint16(h[6:], uint16(len(body)/4))
		return append(h, body...)
	}
	body := make([]byte, 32)
	binary.LittleEndian.PutUint32(body, release)
	binary.LittleEndian.PutUint16(body[16:], uint16(len(vendor)))
	body[20] = 1
	body = append(body, vendor...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	body = append(body, make([]byte, 64)...) // formats and screens, not read
	h := []byte{1, 0, 11, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(h[6:], uint16(len(body)/4))
	return append(h, body...)
}

// rpcHandler answers record-marked ONC RPC calls: the port mapper's DUMP
// when portmap, else PROG_UNAVAIL for the port mapper and NULL for NFS
// (or, when mountd, for the mount daemon).
func rpcHandler(portmap bool, mountd ...bool) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		r := bufio.NewReader(c)
		for {
			var h [4]byte
			if _, err := io.ReadFull(r, h[:]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(h[:]) & 0x7fffffff
			if n < 24 || n > 4096 {
				return // not an ONC RPC call: end as a real server does
			}
			msg := make([]byte, n)
			if _, err := io.ReadFull(r, msg); err != nil || len(msg) < 24 {
				return
			}
			xid, prog := binary.BigEndian.Uint32(msg), binary.BigEndian.Uint32(msg[12:])
			var reply []byte
			switch {
			case portmap && prog == oncrpc.ProgPortmap:
				reply = oncrpc.AcceptedReply(xid, oncrpc.Success, oncrpc.EncodeDump([]oncrpc.Mapping{
					{Prog: oncrpc.ProgPortmap, Vers: 2, Prot: oncrpc.IPProtoTCP, Port: 111},
					{Prog: oncrpc.ProgMountd, Vers: 3, Prot: oncrpc.IPProtoUDP, Port: 20048},
					{Prog: 400000, Vers: 1, Prot: 99, Port: 5},
				}))
			case len(mountd) > 0 && prog == oncrpc.ProgMountd:
				reply = oncrpc.AcceptedReply(xid, oncrpc.Success, nil)
			case !portmap && len(mountd) == 0 && prog == oncrpc.ProgNFS:
				reply = oncrpc.AcceptedReply(xid, oncrpc.ProgMismatch, []byte{0, 0, 0, 4, 0, 0, 0, 4})
			default:
				reply = oncrpc.AcceptedReply(xid, oncrpc.ProgUnavail, nil)
			}
			if _, err := c.Write(oncrpc.Record(reply)); err != nil {
				return
			}
		}
	}
}

func tdsPreloginReply(major, minor byte, build uint16, enc byte) []byte {
	payload := []byte{0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xff,
		major, minor, byte(build >> 8), byte(build), 0, 0, enc}
	n := 8 + len(payload)
	return append([]byte{tdsResponse, 1, byte(n >> 8), byte(n), 0, 0, 1, 0}, payload...)
}

// krbError encodes a KRB-ERROR as an MIT KDC sends it.
func krbError(code int64, realm string, stime time.Time) []byte {
	seq := ber.TLV(ber.TagSequence, ber.Concat(
		krbTag(0, ber.Integer(ber.TagInteger, 5)),
		krbTag(1, ber.Integer(ber.TagInteger, 30)),
		krbTag(4, ber.TLV(krbGeneralizedTime, []byte(stime.UTC().Format("20060102150405Z")))),
		krbTag(5, ber.Integer(ber.TagInteger, 1234)),
		krbTag(6, ber.Integer(ber.TagInteger, code)),
		krbTag(9, krbString(realm)),
		krbTag(10, krbPrincipal(2, "krbtgt", realm)),
		krbTag(11, krbString("CLIENT_NOT_FOUND")),
	))
	return ber.TLV(krbErrorApp, seq)
}

func lengthPrefixed(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func TestTCPIdentifiesFileAndBinaryProtocols(t *testing.T) {
	stime := time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)
	iscsiLogin := func(status int) func(context.Context, net.Conn) {
		return func(_ context.Context, c net.Conn) {
			var buf []byte
			chunk := make([]byte, 4096)
			for !iscsi.Done(buf) {
				n, err := c.Read(chunk)
				if err != nil {
					return
				}
				buf = append(buf, chunk[:n]...)
				if buf[0] != 0x43 {
					return // not a Login Request
				}
			}
			_, _ = c.Write(iscsi.EncodeResponse(iscsi.Response{Opcode: iscsi.OpLoginResponse, Transit: status == 0, NSG: 1,
				ITT: binary.BigEndian.Uint32(buf[16:]), StatusClass: status, StatusDetail: status / 2}))
			drain(c)
		}
	}
	krbHandler := func(_ context.Context, c net.Conn) {
		var buf []byte
		chunk := make([]byte, 4096)
		for !krbTCPDone(buf) {
			n, err := c.Read(chunk)
			if err != nil {
				return
			}
			buf = append(buf, chunk[:n]...)
		}
		if _, err := parseKRBRequestForTest(buf[4:]); err != nil {
			return
		}
		_, _ = c.Write(lengthPrefixed(krbError(6, "LAB.VIGIL", stime)))
		drain(c)
	}
	winrm := func(auth string) func(context.Context, net.Conn) {
		return func(_ context.Context, c net.Conn) {
			r := bufio.NewReader(c)
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
			}
			switch {
			case strings.HasPrefix(line, "POST /wsman ") && auth != "":
				_, _ = io.WriteString(c, "HTTP/1.1 401 \r\nServer: Microsoft-HTTPAPI/2.0\r\nWWW-Authenticate: "+auth+"\r\nContent-Length: 0\r\n\r\n")
			default:
				_, _ = io.WriteString(c, "HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=us-ascii\r\nServer: Microsoft-HTTPAPI/2.0\r\nContent-Length: 0\r\n\r\n")
			}
		}
	}
	tests := []struct {
		name    string
		handler func(context.Context, net.Conn)
		check   func(t *testing.T, s facts.Service)
	}{
		{"rsync", bannerThen("@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", func(string) string { return "" }), func(t *testing.T, s facts.Service) {
			if d := rsync.Evidence.Get(&s); s.Name != "rsync" || d == nil || d.Protocol != "31.0" {
				t.Errorf("%+v", s)
			}
		}},
		{"rpcbind", rpcHandler(true), func(t *testing.T, s facts.Service) {
			if s.Name != "rpcbind" || s.RPC == nil || len(s.RPC.Programs) != 3 || s.Banner != "ONC RPC port mapper: 3 registrations (portmapper, mountd, 400000)" {
				t.Fatalf("%+v", s)
			}
			if p := s.RPC.Programs[1]; p.Name != "mountd" || p.Transport != "udp" || p.Port != 20048 || p.Version != 3 {
				t.Errorf("mountd entry %+v", p)
			}
			if p := s.RPC.Programs[2]; p.Name != "" || p.Transport != "99" {
				t.Errorf("unknown entry %+v", p)
			}
		}},
		{"nfs", rpcHandler(false), func(t *testing.T, s facts.Service) {
			if s.Name != "nfs" || !strings.Contains(s.Banner, "versions 4 to 4") {
				t.Errorf("%+v", s)
			}
		}},
		{"mountd", rpcHandler(false, true), func(t *testing.T, s facts.Service) {
			if s.Name != "nfs" || !strings.Contains(s.Banner, "mount daemon") {
				t.Errorf("%+v", s)
			}
		}},
		{"x11 open", binaryHandler(func(b []byte) bool { return len(b) >= 12 }, x11Reply(1, "", "The X.Org Foundation", 12101007)), func(t *testing.T, s facts.Service) {
			if x := x11.Evidence.Get(&s); s.Name != "x11" || x == nil || x.Status != x11.Success || s.Product != "X.Org X Server" || s.Version != "21.1.7" {
				t.Errorf("%+v %+v", s, x)
			}
		}},
		{"x11 refused", binaryHandler(func(b []byte) bool { return len(b) >= 12 }, x11Reply(0, "Authorization required, but no authorization protocol specified\n", "", 0)), func(t *testing.T, s facts.Service) {
			if x := x11.Evidence.Get(&s); s.Name != "x11" || x == nil || x.Status != x11.Failed || x.Reason != "Authorization required, but no authorization protocol specified" || s.Product != "" {
				t.Errorf("%+v %+v", s, x)
			}
		}},
		{"mssql", binaryHandler(func(b []byte) bool { return len(b) > 0 && b[0] != tdsPrelogin || tdsDone(b) }, tdsPreloginReply(16, 0, 1000, 2)), func(t *testing.T, s facts.Service) {
			if s.Name != "mssql" || s.Product != "Microsoft SQL Server" || s.Version != "16.0.1000" || s.MSSQL == nil || s.MSSQL.Encryption != facts.MSSQLEncryptNotSup {
				t.Errorf("%+v %+v", s, s.MSSQL)
			}
		}},
		{"iscsi open", iscsiLogin(0), func(t *testing.T, s facts.Service) {
			if s.Name != "iscsi" || s.ISCSI == nil || s.ISCSI.StatusClass != 0 {
				t.Errorf("%+v %+v", s, s.ISCSI)
			}
		}},
		{"iscsi auth failure", iscsiLogin(2), func(t *testing.T, s facts.Service) {
			if s.Name != "iscsi" || s.ISCSI == nil || s.ISCSI.StatusClass != 2 || s.ISCSI.StatusDetail != 1 {
				t.Errorf("%+v %+v", s, s.ISCSI)
			}
		}},
		{"kerberos", krbHandler, func(t *testing.T, s facts.Service) {
			k := s.Kerberos
			if s.Name != "kerberos" || k == nil || k.Realm != "LAB.VIGIL" || k.ErrorCode != 6 || k.ErrorName != "KDC_ERR_C_PRINCIPAL_UNKNOWN" || !k.ServerTime.Equal(stime) || k.Text != "CLIENT_NOT_FOUND" {
				t.Errorf("%+v %+v", s, k)
			}
		}},
		{"winrm", winrm("Negotiate"), func(t *testing.T, s facts.Service) {
			if s.Name != "winrm" || s.Product != "Microsoft HTTPAPI" || s.Detail("winrm.auth") != "Negotiate" {
				t.Errorf("%+v", s)
			}
		}},
		{"winrm over tls", overTLS(t, winrm("Negotiate")), func(t *testing.T, s facts.Service) {
			if s.Name != "winrm" || !s.TLS {
				t.Errorf("%+v", s)
			}
		}},
		{"http.sys without wsman", winrm(""), func(t *testing.T, s facts.Service) {
			if s.Name != "http" || s.Product != "Microsoft HTTPAPI" {
				t.Errorf("%+v", s)
			}
		}},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveTCP(t, tt.handler)
			s := TCP(t.Context(), d, srv.addr, testOptions)
			assertPrintable(t, s)
			tt.check(t, s)
		})
	}
}

// parseKRBRequestForTest checks that b is an AS-REQ for krbtgt.
func parseKRBRequestForTest(b []byte) (map[int]ber.Elem, error) {
	app, _, err := ber.Parse(b)
	if err != nil {
		return nil, err
	}
	if app.ID() != krbASReqApp {
		return nil, ber.ErrMalformed
	}
	return krbFields(app.Content)
}

func TestKerberosASReqIsWellFormed(t *testing.T) {
	f, err := parseKRBRequestForTest(krbASReq("LAB.VIGIL", 42))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := krbInt(f, 1); v != 5 {
		t.Errorf("pvno %d", v)
	}
	if v, _ := krbInt(f, 2); v != 10 {
		t.Errorf("msg-type %d", v)
	}
	body, ok := f[4]
	if !ok {
		t.Fatal("no req-body")
	}
	bf, err := krbFields(ber.TLV(ber.TagSequence, body.Content))
	if err != nil {
		t.Fatal(err)
	}
	if r := bf[2]; string(r.Content) != "LAB.VIGIL" {
		t.Errorf("realm %q", r.Content)
	}
	if n, _ := krbInt(bf, 7); n != 42 {
		t.Errorf("nonce %d", n)
	}
}

func TestUDPIdentifiesRPCBindAndKerberos(t *testing.T) {
	stime := time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		handler func(b []byte) [][]byte
		want    string
	}{
		{"rpcbind", func(b []byte) [][]byte {
			if len(b) < 24 || binary.BigEndian.Uint32(b[12:]) != oncrpc.ProgPortmap {
				return nil
			}
			return [][]byte{oncrpc.AcceptedReply(binary.BigEndian.Uint32(b), oncrpc.Success,
				oncrpc.EncodeDump([]oncrpc.Mapping{{Prog: oncrpc.ProgNFS, Vers: 3, Prot: oncrpc.IPProtoUDP, Port: 2049}}))}
		}, "rpcbind"},
		{"kerberos", func(b []byte) [][]byte {
			if _, err := parseKRBRequestForTest(b); err != nil {
				return nil
			}
			return [][]byte{krbError(68, "LAB.VIGIL", stime)}
		}, "kerberos"},
	}
	d := newDialer(t)
	for _, tt := range tests {
		addr, _ := serveUDP(t, tt.handler)
		s, ok := UDP(t.Context(), d, addr, testOptions)
		if !ok || s.Name != tt.want {
			t.Errorf("%s: ok %v, %+v", tt.name, ok, s)
		}
		if tt.name == "kerberos" && (s.Kerberos == nil || s.Kerberos.ErrorName != "KDC_ERR_WRONG_REALM" || s.Kerberos.Realm != "LAB.VIGIL") {
			t.Errorf("kerberos facts %+v", s.Kerberos)
		}
		if tt.name == "rpcbind" && (s.RPC == nil || len(s.RPC.Programs) != 1 || s.RPC.Programs[0].Name != "nfs") {
			t.Errorf("rpcbind facts %+v", s.RPC)
		}
	}
}

func TestKerberosEchoedRealmIsNotTheKDCs(t *testing.T) {
	k, err := parseKRBReply(krbError(6, krbProbeRealm, time.Unix(0, 0)))
	if err != nil || k.Realm != "" || k.ErrorCode != 6 {
		t.Errorf("%+v %v", k, err)
	}
	s := newService()
	applyKerberos(k, &s)
	if !strings.Contains(s.Banner, "realm not revealed") {
		t.Errorf("banner %q", s.Banner)
	}
}

func TestParseTDSPreloginRejects(t *testing.T) {
	good := tdsPreloginReply(15, 0, 2000, 0)
	noTerm := append([]byte(nil), good...)
	noTerm[8+10] = 0x05
	for _, b := range [][]byte{
		nil,
		append([]byte{0x12}, good[1:]...),
		good[:12],
		noTerm,
		{4, 1, 0, 13, 0, 0, 1, 0, 0, 0, 9, 0, 9}, // option beyond the packet
	} {
		if m, err := parseTDSPrelogin(b); err == nil {
			t.Errorf("%x parsed: %+v", b, m)
		}
	}
	m, err := parseTDSPrelogin(good)
	if err != nil || m.Version != "15.0.2000" || m.Encryption != facts.MSSQLEncryptOff {
		t.Errorf("%+v %v", m, err)
	}
}

func FuzzParseTDSPrelogin(f *testing.F) {
	f.Add(tdsPreloginReply(16, 0, 1000, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := parseTDSPrelogin(b); err == nil && (len(m.Version) > 20 || m.Encryption == "") {
			t.Fatalf("%+v", m)
		}
	})
}

func FuzzParseKRBReply(f *testing.F) {
	f.Add(krbError(6, "LAB.VIGIL", time.Unix(0, 0)))
	f.Add(krbError(68, "\x1b[2J", time.Unix(0, 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := parseKRBReply(b)
		if err != nil {
			return
		}
		s := newService()
		applyKerberos(k, &s)
		assertPrintable(t, s)
		for _, v := range []string{k.Realm, k.Text} {
			assertPrintable(t, facts.Service{Banner: v})
		}
	})
}

func FuzzParseISCSILogin(f *testing.F) {
	f.Add(iscsi.EncodeResponse(iscsi.Response{Opcode: iscsi.OpLoginResponse, ITT: 7}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := parseISCSILogin(b, 7); err == nil && r.Opcode != iscsi.OpLoginResponse {
			t.Fatal("not a login response")
		}
	})
}
