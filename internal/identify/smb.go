package identify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/codec/smb"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// SMB2 over direct TCP ([MS-SMB2] 2.1, 2.2.3, 2.2.4): a NEGOTIATE offering
// every SMB2 dialect, then, on the same connection, the first leg of an
// NTLM session setup, whose CHALLENGE names the server and its OS build
// ([MS-NLMP] 2.2.1.2). No session is completed.
var smb2Dialects = []uint16{smb.Dialect202, smb.Dialect210, smb.Dialect300, smb.Dialect302, smb.Dialect311}

// smb2Negotiate is a NEGOTIATE request offering SMB 2.0.2 to 3.1.1 (with the
// pre-authentication integrity context 3.1.1 requires), in a 4-byte direct
// TCP transport header.
func smb2Negotiate(guid [16]byte, salt [32]byte) []byte {
	return smb.Message(smb.Header{Command: smb.CmdNegotiate}, smb.NegotiateBody(smb2Dialects, guid, salt))
}

// smbNegotiateAnswer is what a NEGOTIATE response told.
type smbNegotiateAnswer struct {
	smb1    bool
	status  uint32
	dialect string
	signing string // "required", "enabled", "disabled"
}

// nbComplete reports whether b holds the whole direct-TCP message it starts
// with.
func nbComplete(b []byte) bool { return smb.Complete(b) }

// parseSMBNegotiate parses the answer to smb2Negotiate.
func parseSMBNegotiate(b []byte) (smbNegotiateAnswer, error) {
	m, err := smb.Unframe(b)
	if err != nil || len(m) < 4 {
		return smbNegotiateAnswer{}, noMatch(proto.SMB, "no direct TCP message")
	}
	switch string(m[:4]) {
	case "\xffSMB":
		return smbNegotiateAnswer{smb1: true, dialect: "1"}, nil
	case "\xfeSMB":
	default:
		return smbNegotiateAnswer{}, noMatch(proto.SMB, "no SMB protocol id")
	}
	r, err := smb.ParseResponse(b)
	if err != nil || r.Command != smb.CmdNegotiate {
		return smbNegotiateAnswer{}, noMatch(proto.SMB, "not an SMB2 NEGOTIATE response")
	}
	a := smbNegotiateAnswer{status: r.Status}
	n, err := smb.ParseNegotiate(r)
	if err != nil {
		return a, nil // an error response
	}
	a.dialect = smb.DialectName(n.Dialect)
	a.signing = signingName(n.SecurityMode&smb.SigningRequired != 0, n.SecurityMode&smb.SigningEnabled != 0)
	return a, nil
}

// signingName names a security mode.
func signingName(required, enabled bool) string {
	switch {
	case required:
		return "required"
	case enabled:
		return "enabled"
	}
	return "disabled"
}

// ntlmInfo keeps what a CHALLENGE tells, made printable.
func ntlmInfo(c smb.Challenge) *facts.NTLMInfo {
	return &facts.NTLMInfo{
		TargetName:    clean(c.TargetName, 64),
		NetBIOSName:   clean(c.NetBIOSComputer, 64),
		NetBIOSDomain: clean(c.NetBIOSDomain, 64),
		DNSName:       clean(c.DNSComputer, 128),
		DNSDomain:     clean(c.DNSDomain, 128),
		DNSTree:       clean(c.DNSTree, 128),
		OSVersion:     c.OSVersion(),
	}
}

// smbProduct names the server's software from what SMB revealed: Samba's
// NativeLanMan carries its version ("Samba 4.17.12-Debian"); Samba's NTLM
// Version structure is always 6.1 build 0, which Windows never sends;
// Windows sends its real version there ("10.0.20348").
func smbProduct(nativeLanMan, nativeOS string, n *facts.NTLMInfo) (product, version string) {
	if v, ok := strings.CutPrefix(nativeLanMan, "Samba "); ok {
		v, _, _ = strings.Cut(v, "-")
		return "Samba", strings.TrimSpace(v)
	}
	if strings.HasPrefix(nativeLanMan, "Samba") || strings.HasPrefix(nativeOS, "Samba") {
		return "Samba", ""
	}
	if n != nil && n.OSVersion != "" {
		if strings.HasSuffix(n.OSVersion, ".0") && strings.HasPrefix(n.OSVersion, "6.1.") {
			return "Samba", ""
		}
		return "Windows", n.OSVersion
	}
	if strings.HasPrefix(nativeOS, "Windows") {
		return "Windows", ""
	}
	return "", ""
}

// smbChallenge sends the first leg of an NTLM session setup with send and
// returns the server's CHALLENGE.
func smbChallenge(send func([]byte) ([]byte, error)) (smb.Challenge, error) {
	resp, err := send(smb.Message(smb.Header{Command: smb.CmdSessionSetup, MessageID: 1},
		smb.SessionSetupBody(smb.SPNEGOInit(smb.NTLMNegotiate()))))
	if err != nil {
		return smb.Challenge{}, err
	}
	r, err := smb.ParseResponse(resp)
	if err != nil {
		return smb.Challenge{}, err
	}
	_, tok, err := smb.ParseSessionSetup(r)
	if err != nil {
		return smb.Challenge{}, err
	}
	if r.Status != smb.StatusMoreProcessingRequired {
		return smb.Challenge{}, fmt.Errorf("session setup answered 0x%08x", r.Status)
	}
	return smb.ParseChallenge(smb.FindNTLM(tok))
}

// probeSMB sends an SMB2 NEGOTIATE and, on the same connection, an NTLM
// NEGOTIATE in a SESSION_SETUP.
func probeSMB(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	var guid [16]byte
	var salt [32]byte
	fillRandom(guid[:])
	fillRandom(salt[:])
	session := false
	c, err := openSMB(ctx, l, session)
	if err != nil {
		return nil, ioNoMatch(proto.SMB, err)
	}
	defer func() {
		if c != nil {
			_ = c.Close()
		}
	}()
	send := func(req []byte) ([]byte, error) {
		return wire.Exchange(ctx, c, req, bannerCap, l.opt.Timeout, nbComplete)
	}
	resp, err := send(smb2Negotiate(guid, salt))
	if smb.IsNegativeSessionResponse(resp) {
		// The NetBIOS session service (port 139): ask for a session first.
		_ = c.Close()
		session = true
		if c, err = openSMB(ctx, l, session); err != nil {
			return resp, noMatch(proto.SMB, "NetBIOS session: %v", err)
		}
		resp, err = send(smb2Negotiate(guid, salt))
	}
	a, perr := parseSMBNegotiate(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.SMB, err)
		}
		return resp, perr
	}
	s.Name = proto.SMB
	if a.dialect != "" {
		s.SetDetail(facts.DetailSMBDialect, a.dialect)
	}
	if a.signing != "" {
		s.SetDetail(facts.DetailSMBSigning, a.signing)
	}
	if a.status != 0 {
		s.SetDetail(facts.DetailSMBStatus, fmt.Sprintf("0x%08x", a.status))
	}
	f := &facts.SMB{NetBIOSSession: session}
	s.SMB = f
	if !a.smb1 {
		f.Signing = a.signing
		if a.status == 0 {
			f.Dialect = a.dialect
			if ch, err := smbChallenge(send); err == nil {
				f.NTLM = ntlmInfo(ch)
			} else {
				l.opt.Log.Debug("identify: smb: no NTLM challenge", "addr", l.addr, "err", err)
			}
		}
	}
	_ = c.Close()
	if err := smb1Info(ctx, l, f); err != nil {
		l.opt.Log.Debug("identify: smb: SMBv1 test incomplete", "addr", l.addr, "err", err)
	}
	s.Product, s.Version = smbProduct(f.NativeLanMan, f.NativeOS, f.NTLM)
	if f.NativeLanMan != "" && s.Banner == "" {
		// What the server answered about its software: it names the
		// distribution ("Samba 4.17.12-Debian"), which tells a
		// distribution's build from upstream's when versions are judged.
		s.Banner = f.NativeLanMan
	}
	return nil, nil
}

// smb1Info offers, on a fresh connection, the SMBv1 dialect NT LM 0.12
// alone, and when the server accepts it, sends the first leg of a session
// setup, whose answer names the server's OS and SMB software (Samba puts
// its version in NativeLanMan). It records in f whether SMBv1 was accepted;
// a server that closes or resets the connection refuses it.
func smb1Info(ctx context.Context, l *layer, f *facts.SMB) error {
	c, err := openSMB(ctx, l, f.NetBIOSSession)
	if err != nil {
		return err
	}
	defer c.Close()
	resp, err := wire.Exchange(ctx, c, smb.SMB1Negotiate(), bannerCap, l.opt.Timeout, nbComplete)
	if len(resp) == 0 {
		if closedByPeer(err) {
			f.SMB1 = ptrBool(false)
			return nil
		}
		return err
	}
	if m, err := smb.Unframe(resp); err == nil && len(m) >= 4 && string(m[:4]) == "\xfeSMB" {
		f.SMB1 = ptrBool(false) // answered in SMB2: SMBv1 is not spoken
		return nil
	}
	n, err := smb.ParseSMB1Negotiate(resp)
	if err != nil {
		return err
	}
	f.SMB1 = ptrBool(n.Accepted)
	if !n.Accepted {
		return nil
	}
	f.SMB1Signing = signingName(n.SecurityMode&smb.SMB1SigningRequired != 0, n.SecurityMode&smb.SMB1SigningEnabled != 0)
	resp, err = wire.Exchange(ctx, c, smb.SMB1SessionSetup(smb.SPNEGOInit(smb.NTLMNegotiate())), bannerCap, l.opt.Timeout, nbComplete)
	if len(resp) == 0 {
		return err
	}
	st, err := smb.ParseSMB1SessionSetup(resp)
	if err != nil {
		return err
	}
	f.NativeOS = clean(st.NativeOS, 128)
	f.NativeLanMan = clean(st.NativeLanMan, 128)
	if f.NTLM == nil {
		if ch, err := smb.ParseChallenge(smb.FindNTLM(st.SecurityBlob)); err == nil {
			f.NTLM = ntlmInfo(ch)
		}
	}
	return nil
}

// openSMB opens a connection for SMB, with a NetBIOS session first when
// session is set.
func openSMB(ctx context.Context, l *layer, session bool) (net.Conn, error) {
	c, err := l.open(ctx)
	if err != nil || !session {
		return c, err
	}
	resp, err := wire.Exchange(ctx, c, smb.SessionRequest("VIGIL"), 64, l.opt.Timeout, nbComplete)
	if err == nil {
		err = smb.ParseSessionResponse(resp)
	}
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// closedByPeer reports whether err means the server closed or reset the
// connection instead of answering.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func ptrBool(b bool) *bool { return &b }
