package tlsaudit

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

// rdpConfirm is a Connection Confirm with negotiation data of type typ and
// value val; typ 0 leaves the negotiation data out.
func rdpConfirm(typ uint8, val uint32) []byte {
	x224 := []byte{0xD0, 0, 0, 0x12, 0x34, 0}
	if typ != 0 {
		x224 = append(x224, typ, 0, 8, 0, byte(val), byte(val>>8), byte(val>>16), byte(val>>24))
	}
	n := 4 + 1 + len(x224)
	return append([]byte{3, 0, byte(n >> 8), byte(n), byte(len(x224))}, x224...)
}

func TestRDPConnectionRequest(t *testing.T) {
	want := []byte{3, 0, 0, 19, 14, 0xE0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0}
	if got := rdpConnectionRequest(); !bytes.Equal(got, want) {
		t.Errorf("Connection Request % x\nwant               % x", got, want)
	}
}

func TestParseRDPConfirm(t *testing.T) {
	for _, c := range []struct {
		name      string
		in        []byte
		sel       uint32
		err       bool
		noStartTL bool
	}{
		{"SSL", rdpConfirm(2, rdpProtocolSSL), rdpProtocolSSL, false, false},
		{"HYBRID", rdpConfirm(2, rdpProtocolHybrid), rdpProtocolHybrid, false, false},
		{"standard RDP security", rdpConfirm(0, 0), rdpProtocolRDP, false, false},
		{"failure", rdpConfirm(3, 2), 0, true, true},
		{"unknown type", rdpConfirm(7, 1), 0, true, false},
		{"TPKT length lies", append(rdpConfirm(2, 1), 0), 0, true, false},
		{"HTTP", []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), 0, true, false},
		{"Connection Request echoed", rdpConnectionRequest(), 0, true, false},
	} {
		sel, err := parseRDPConfirm(c.in)
		if sel != c.sel || (err != nil) != c.err || errors.Is(err, ErrNoStartTLS) != c.noStartTL {
			t.Errorf("%s: %d, %v", c.name, sel, err)
		}
	}
}

// rdpServer answers the Connection Request with confirm, then runs TLS
// with cfg when it selected SSL.
func rdpServer(cfg *tls.Config, confirm []byte) func(net.Conn) {
	return func(c net.Conn) {
		req := make([]byte, 19)
		if _, err := io.ReadFull(c, req); err != nil || !bytes.Equal(req, rdpConnectionRequest()) {
			return
		}
		if _, err := c.Write(confirm); err != nil {
			return
		}
		_ = tls.Server(c, cfg).Handshake()
	}
}

func TestAuditRDP(t *testing.T) {
	pki := newPKI(t)
	addr := serve(t, rdpServer(goTLSConfig(pki), rdpConfirm(2, rdpProtocolSSL)))
	res, err := Audit(t.Context(), testDialer(t), addr, Options{StartTLS: StartRDP, Roots: pki.roots})
	if err != nil {
		t.Fatal(err)
	}
	if res.StartTLS != StartRDP || res.Accepted(facts.TLS12) == nil || res.Accepted(facts.TLS13) == nil || !res.Trusted {
		t.Errorf("RDP TLS: %+v", res)
	}
	refused := serve(t, rdpServer(goTLSConfig(pki), rdpConfirm(3, 5)))
	if _, err := Audit(t.Context(), testDialer(t), refused, Options{StartTLS: StartRDP}); !errors.Is(err, ErrNoStartTLS) {
		t.Errorf("RDP_NEG_FAILURE: %v, want ErrNoStartTLS", err)
	}
	legacy := serve(t, rdpServer(goTLSConfig(pki), rdpConfirm(0, 0)))
	if _, err := Audit(t.Context(), testDialer(t), legacy, Options{StartTLS: StartRDP}); !errors.Is(err, ErrNoStartTLS) {
		t.Errorf("standard RDP security: %v, want ErrNoStartTLS", err)
	}
}

// TestProbesCryptoTLSServer: Go's TLS server has none of the flaws; every
// probe that applies decides, and none is positive except those that mean
// "protected".
func TestProbesCryptoTLSServer(t *testing.T) {
	pki := newPKI(t)
	addr := serve(t, func(c net.Conn) { _ = tls.Server(c, goTLSConfig(pki)).Handshake() })
	res, err := Audit(t.Context(), testDialer(t), addr, Options{Roots: pki.roots})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Probes
	if p == nil {
		t.Fatal("no probes")
	}
	if p.Version != facts.TLS12 {
		t.Errorf("probe version %q", p.Version)
	}
	for name, pr := range map[string]*facts.TLSProbe{"heartbleed": p.Heartbleed, "ccs": p.CCSInjection, "compression": p.Compression, "ocsp": p.OCSPStapling} {
		if !pr.IsNot() {
			t.Errorf("%s: %+v, want examined and negative (not examined: %v)", name, pr, p.NotExamined)
		}
	}
	if !p.SecureRenegotiation.Is() || !p.FallbackSCSV.Is() {
		t.Errorf("renegotiation %+v, fallback %+v", p.SecureRenegotiation, p.FallbackSCSV)
	}
	if !p.ROBOT.IsNot() || !p.DH.IsNot() {
		t.Errorf("ROBOT %+v, DH %+v: want examined, no RSA/DHE suites", p.ROBOT, p.DH)
	}
	if p.HTTPCompression != nil || p.NotExamined["http_compression"] == "" {
		t.Errorf("not examined: %v", p.NotExamined)
	}
	// The server closes after its handshake: the renegotiation is refused.
	if !p.ClientRenegotiation.IsNot() || !strings.Contains(p.ClientRenegotiation.Evidence, "closed the connection") {
		t.Errorf("client renegotiation %+v (not examined: %q)", p.ClientRenegotiation, p.NotExamined["client_renegotiation"])
	}
}

func FuzzRDPConfirm(f *testing.F) {
	f.Add(rdpConfirm(2, 1))
	f.Add(rdpConfirm(0, 0))
	f.Add(rdpConfirm(3, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		sel, err := parseRDPConfirm(b)
		if err != nil && sel != 0 {
			t.Errorf("selected %d with error %v", sel, err)
		}
		if err == nil && (len(b) < 11 || b[0] != 3) {
			t.Errorf("accepted % x", b)
		}
		_ = tpktComplete(b)
	})
}
