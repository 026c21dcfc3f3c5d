package identify

import (
	"context"
	"crypto/tls"
	"net"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/rdp"
	"github.com/vigilsec/vigil/internal/codec/smb"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// RDP negotiation ([MS-RDPBCGR] 2.2.1.1 and 2.2.1.2): a TPKT (RFC 1006)
// carrying an X.224 Connection Request that offers TLS and CredSSP. When
// the server selects CredSSP, the probe goes on, on the same connection,
// to the TLS handshake and one CredSSP TSRequest with an NTLM NEGOTIATE
// ([MS-CSSP] 3.1.5): the server's CHALLENGE names it and, from Windows,
// carries its build. No credentials are sent.

// rdpConnectionRequest asks for TLS or CredSSP security.
func rdpConnectionRequest() []byte {
	return rdp.ConnectionRequest(rdp.ProtocolSSL | rdp.ProtocolHybrid)
}

// tpktComplete reports whether b holds the whole TPKT it starts with.
func tpktComplete(b []byte) bool { return rdp.Complete(b) }

// rdpProduct names the server's software from its Connection Confirm,
// where implementations differ in what the specification leaves open:
// Windows and xrdp choose the X.224 source reference 0x1234, FreeRDP's
// server library 0; xrdp answers an offer of TLS and CredSSP by choosing
// TLS (it has no CredSSP) with only EXTENDED_CLIENT_DATA_SUPPORTED among
// the flags, while Windows chooses CredSSP and, since Windows 8.1 and
// Server 2012 R2, also sets DYNVC_GFX_PROTOCOL_SUPPORTED and more.
// Windows itself is named from the NTLM CHALLENGE (ntlm), whose Version
// structure carries its build. "" when nothing tells.
func rdpProduct(c rdp.Confirm, ntlm *facts.NTLMInfo) (product, version string) {
	switch {
	case c.Negotiated && c.SrcRef == 0:
		return "FreeRDP", ""
	case c.SrcRef == 0x1234 && c.Protocol == "tls" && c.Flags == 0x01:
		return "xrdp", ""
	case c.SrcRef == 0x1234 && ntlm != nil && ntlm.OSVersion != "" && !strings.HasSuffix(ntlm.OSVersion, ".0"):
		return "Windows", ntlm.OSVersion
	}
	return "", ""
}

// probeRDP sends an X.224 Connection Request and, when the server selects
// CredSSP, fetches its NTLM CHALLENGE.
func probeRDP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	conn, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.RDP, err)
	}
	defer conn.Close()
	resp, err := wire.Exchange(ctx, conn, rdpConnectionRequest(), lineCap, l.opt.Timeout, tpktComplete)
	c, perr := rdp.ParseConfirm(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.RDP, err)
		}
		return resp, noMatch(proto.RDP, "%v", perr)
	}
	s.Name = proto.RDP
	if c.Protocol != "" {
		s.SetDetail(facts.DetailRDPProtocol, c.Protocol)
	}
	if c.Failure != "" {
		s.SetDetail(facts.DetailRDPFailure, c.Failure)
	}
	f := &facts.RDP{Selected: c.Protocol, Flags: c.Flags}
	s.RDP = f
	if c.Protocol == "credssp" || c.Protocol == "credssp-early-auth" {
		if ch, err := credSSPChallenge(ctx, l, conn); err == nil {
			f.NTLM = ntlmInfo(ch)
		} else {
			l.opt.Log.Debug("identify: rdp: no NTLM challenge", "addr", l.addr, "err", err)
		}
	}
	s.Product, s.Version = rdpProduct(c, f.NTLM)
	return nil, nil
}

// credSSPChallenge runs the TLS handshake on conn and sends a TSRequest
// with an NTLM NEGOTIATE, returning the server's CHALLENGE.
func credSSPChallenge(ctx context.Context, l *layer, conn net.Conn) (smb.Challenge, error) {
	tc := tls.Client(conn, &tls.Config{
		InsecureSkipVerify: true, // identification, not trust: the TLS audit judges the certificate
		MinVersion:         tls.VersionTLS10,
	})
	hctx, cancel := context.WithTimeout(ctx, l.opt.Timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		return smb.Challenge{}, err
	}
	resp, err := wire.Exchange(ctx, tc, rdp.TSRequest(smb.NTLMNegotiate()), bannerCap, l.opt.Timeout, rdp.TSComplete)
	if err != nil {
		return smb.Challenge{}, err
	}
	return smb.ParseChallenge(smb.FindNTLM(resp))
}
