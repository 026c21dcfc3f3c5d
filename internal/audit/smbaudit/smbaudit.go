// Package smbaudit audits an SMB server read-only: whether a null or guest
// session may list its shares. (Identification already learnt the
// dialects, signing, SMBv1 and what the server says about itself.)
// Listing uses IPC$ and the srvsvc NetShareEnumAll call only: no disk
// share is ever opened and no file read; the guest login is the user
// "guest" with the empty password, never a real credential. Every exchange
// has a deadline and a size cap; the whole audit has a budget.
package smbaudit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit/auditconn"
	"github.com/vigilsec/vigil/internal/codec/smb"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// Options tunes the audit.
type Options struct {
	// Timeout bounds each exchange; zero means the Dialer's timeout.
	Timeout time.Duration
}

// Caps and budgets.
const (
	msgCap          = 128 << 10 // one SMB message
	budgetExchanges = 24        // the whole audit: at most this many Timeouts
	maxShares       = 200       // share names kept
	pipeRead        = 65536     // bytes asked of the srvsvc pipe per read
)

// ErrProtocol means the server's answer did not follow SMB.
var ErrProtocol = errors.New("unexpected SMB answer")

// ErrSMB1Only means the server answered in SMBv1: vigil lists shares over
// SMB2 and later only, so the listing was not tried.
var ErrSMB1Only = errors.New("the server speaks only SMBv1; vigil lists shares over SMB 2 and later, so shares were not listed")

// Applies reports whether Audit has anything to learn about s.
func Applies(s *facts.Service) bool {
	return s != nil && s.Name == proto.SMB && s.Transport == facts.TCP && !s.TLS
}

// Audit tries to list the shares of the SMB server at addr without
// credentials and records the outcome in s.SMB.Shares. On an error it
// keeps what it learnt before it.
func Audit(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) error {
	if !Applies(s) {
		return nil
	}
	if d == nil {
		return errors.New("smb audit: no dialer")
	}
	opt.Timeout = auditconn.Timeout(d, opt.Timeout)
	ctx, cancel := context.WithTimeout(ctx, budgetExchanges*opt.Timeout)
	defer cancel()
	if s.SMB == nil {
		s.SMB = &facts.SMB{}
	}
	a := &auditor{d: d, addr: addr, opt: opt, f: s.SMB}
	return a.shares(ctx)
}

// auditor holds one audit's state.
type auditor struct {
	d    *dialer.Dialer
	addr netip.AddrPort
	opt  Options
	f    *facts.SMB
}

// conn is one SMB connection with a buffer for messages that arrived
// together.
type conn struct {
	c       net.Conn
	timeout time.Duration
	buf     []byte
	mid     uint64
	sid     uint64
	tid     uint32
}

func (a *auditor) dial(ctx context.Context) (*conn, error) {
	c, err := a.d.Dial(ctx, "tcp", a.addr, a.opt.Timeout)
	if err != nil {
		return nil, err
	}
	if a.f.NetBIOSSession {
		resp, err := wire.Exchange(ctx, c, smb.SessionRequest("VIGIL"), 64, a.opt.Timeout, smb.Complete)
		if err == nil {
			err = smb.ParseSessionResponse(resp)
		}
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("NetBIOS session: %w", err)
		}
	}
	return &conn{c: c, timeout: a.opt.Timeout}, nil
}

// next reads one whole direct-TCP message.
func (c *conn) next(ctx context.Context) ([]byte, error) {
	if !smb.Complete(c.buf) {
		more, err := wire.ReadUntil(ctx, c.c, msgCap-len(c.buf), c.timeout, func(b []byte) bool {
			return smb.Complete(append(slices.Clip(c.buf), b...))
		})
		c.buf = append(c.buf, more...)
		if !smb.Complete(c.buf) {
			if err == nil {
				err = fmt.Errorf("%w: message cut short", ErrProtocol)
			}
			return nil, err
		}
	}
	if len(c.buf) >= 4 && c.buf[0] != 0 {
		return nil, fmt.Errorf("%w: not a direct TCP message (type 0x%02x)", ErrProtocol, c.buf[0])
	}
	n := 4 + (int(c.buf[1])<<16 | int(c.buf[2])<<8 | int(c.buf[3]))
	m := c.buf[:n:n]
	c.buf = c.buf[n:]
	return m, nil
}

// statusPending is STATUS_PENDING: an interim answer, the real one follows.
const statusPending = 0x00000103

// commandNames name SMB2 commands in errors.
var commandNames = map[uint16]string{
	smb.CmdNegotiate: "NEGOTIATE", smb.CmdSessionSetup: "SESSION_SETUP", smb.CmdTreeConnect: "TREE_CONNECT",
	smb.CmdCreate: "CREATE", smb.CmdClose: "CLOSE", smb.CmdRead: "READ", smb.CmdWrite: "WRITE",
}

// call sends an SMB2 request and returns its final response; errors name
// the command.
func (c *conn) call(ctx context.Context, cmd uint16, body []byte) (smb.Response, error) {
	r, err := c.call1(ctx, cmd, body)
	if err != nil {
		return r, fmt.Errorf("%s: %w", commandNames[cmd], err)
	}
	return r, nil
}

func (c *conn) call1(ctx context.Context, cmd uint16, body []byte) (smb.Response, error) {
	req := smb.Message(smb.Header{Command: cmd, MessageID: c.mid, SessionID: c.sid, TreeID: c.tid}, body)
	c.mid++
	if err := wire.Write(ctx, c.c, req, c.timeout); err != nil {
		return smb.Response{}, err
	}
	for {
		m, err := c.next(ctx)
		if err != nil {
			return smb.Response{}, err
		}
		r, err := smb.ParseResponse(m)
		if err != nil {
			if len(m) >= 8 && string(m[4:8]) == "\xffSMB" {
				return smb.Response{}, ErrSMB1Only
			}
			return smb.Response{}, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		if r.Status == statusPending {
			continue
		}
		return r, nil
	}
}

// shareDialects are the dialects the share listing offers: 3.1.1 is left
// out, so that no pre-authentication integrity state is needed (a null or
// guest session is never signed).
var shareDialects = []uint16{smb.Dialect202, smb.Dialect210, smb.Dialect300, smb.Dialect302}

// shares tries a null session, then a guest session, each on its own
// connection, and lists the shares with the first that works.
func (a *auditor) shares(ctx context.Context) error {
	res := &facts.SMBShares{}
	a.f.Shares = res
	var refusals []string
	for _, user := range []string{"", "guest"} {
		session := "null"
		if user != "" {
			session = "guest"
		}
		names, why, err := a.list(ctx, user)
		if err != nil {
			return fmt.Errorf("share listing with a %s session: %w", session, err)
		}
		if why != "" {
			refusals = append(refusals, session+" session: "+why)
			continue
		}
		res.Session = session
		res.Names = names
		return nil
	}
	res.Refused = strings.Join(refusals, "; ")
	return nil
}

// list logs in as user ("" for a null session) with the empty password
// and lists the shares. why is the server's refusal, if it refused;
// err an I/O or protocol failure.
func (a *auditor) list(ctx context.Context, user string) (names []string, why string, err error) {
	c, err := a.dial(ctx)
	if err != nil {
		return nil, "", err
	}
	defer c.c.Close()
	var guid [16]byte
	_, _ = rand.Read(guid[:])
	r, err := c.call(ctx, smb.CmdNegotiate, smb.NegotiateBody(shareDialects, guid, [32]byte{}))
	if err != nil {
		return nil, "", err
	}
	if r.Status != smb.StatusSuccess {
		return nil, "no SMB 2.0.2–3.0.2 dialect in common (" + statusName(r.Status) + ")", nil
	}
	if _, err := smb.ParseNegotiate(r); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	r, err = c.call(ctx, smb.CmdSessionSetup, smb.SessionSetupBody(smb.SPNEGOInit(smb.NTLMNegotiate())))
	if err != nil {
		return nil, "", err
	}
	_, tok, err := smb.ParseSessionSetup(r)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if r.Status != smb.StatusMoreProcessingRequired {
		return nil, "session setup refused (" + statusName(r.Status) + ")", nil
	}
	ch, err := smb.ParseChallenge(smb.FindNTLM(tok))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	c.sid = r.SessionID
	var cc [8]byte
	_, _ = rand.Read(cc[:])
	auth := smb.NTLMAuthenticate(ch, user, cc, fileTime(time.Now()))
	r, err = c.call(ctx, smb.CmdSessionSetup, smb.SessionSetupBody(smb.SPNEGOResponse(auth)))
	if err != nil {
		return nil, "", err
	}
	if r.Status != smb.StatusSuccess {
		return nil, "login refused (" + statusName(r.Status) + ")", nil
	}
	r, err = c.call(ctx, smb.CmdTreeConnect, smb.TreeConnectBody(`\\`+a.addr.Addr().String()+`\IPC$`))
	if err != nil {
		return nil, "", err
	}
	if r.Status != smb.StatusSuccess {
		return nil, "IPC$ refused (" + statusName(r.Status) + ")", nil
	}
	c.tid = r.TreeID
	c.timeout = rpcTimeout(a.opt.Timeout)
	r, err = c.call(ctx, smb.CmdCreate, smb.CreatePipeBody("srvsvc"))
	if err != nil {
		return nil, "", err
	}
	if r.Status != smb.StatusSuccess {
		return nil, "srvsvc pipe refused (" + statusName(r.Status) + ")", nil
	}
	id, err := smb.ParseCreate(r)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	defer func() { _, _ = c.call(ctx, smb.CmdClose, smb.CloseBody(id)) }()
	pdu, why, err := c.transact(ctx, id, smb.SrvsvcBind())
	if err != nil || why != "" {
		return nil, why, err
	}
	if err := smb.ParseBindAck(pdu); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	pdu, why, err = c.transact(ctx, id, smb.NetShareEnumAll(`\\`+a.addr.Addr().String()))
	if err != nil || why != "" {
		return nil, why, err
	}
	var stub []byte
	for {
		frag, rest, err := smb.ParseRPCResponse(pdu)
		if err != nil {
			return nil, "NetShareEnumAll refused: " + sanitize.String(err.Error(), 120), nil
		}
		stub = append(stub, frag.Stub...)
		if frag.Last {
			break
		}
		if len(rest) == 0 {
			if rest, why, err = c.readPipe(ctx, id); err != nil || why != "" {
				return nil, why, err
			}
		}
		pdu = rest
	}
	shares, werr, err := smb.ParseNetShareEnumAll(stub)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	if werr != 0 {
		return nil, fmt.Sprintf("NetShareEnumAll refused (WERROR 0x%08x)", werr), nil
	}
	for _, sh := range shares {
		if sh.IsIPC() || len(names) >= maxShares {
			continue
		}
		names = append(names, sanitize.String(sh.Name, 80))
	}
	return names, "", nil
}

// rpcTimeout bounds pipe exchanges: the RPC server behind the pipe may be
// started on demand (Samba's samba-dcerpcd), which takes longer than a
// network round trip.
func rpcTimeout(t time.Duration) time.Duration { return max(4*t, 5*time.Second) }

// transact writes one RPC PDU to the pipe and reads the answer.
func (c *conn) transact(ctx context.Context, id [16]byte, pdu []byte) ([]byte, string, error) {
	r, err := c.call(ctx, smb.CmdWrite, smb.WriteBody(id, pdu))
	if err != nil {
		return nil, "", err
	}
	if r.Status != smb.StatusSuccess {
		return nil, "pipe write refused (" + statusName(r.Status) + ")", nil
	}
	return c.readPipe(ctx, id)
}

// readPipe reads what the pipe holds.
func (c *conn) readPipe(ctx context.Context, id [16]byte) ([]byte, string, error) {
	r, err := c.call(ctx, smb.CmdRead, smb.ReadBody(id, pipeRead))
	if err != nil {
		return nil, "", err
	}
	if r.Status != smb.StatusSuccess && r.Status != smb.StatusBufferOverflow {
		return nil, "pipe read refused (" + statusName(r.Status) + ")", nil
	}
	d, err := smb.ParseRead(r)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrProtocol, err)
	}
	return d, "", nil
}

// fileTime is t as a Windows FILETIME.
func fileTime(t time.Time) uint64 {
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// statusNames names the NT status codes a refusal usually carries.
var statusNames = map[uint32]string{
	0xc0000022: "STATUS_ACCESS_DENIED",
	0xc000006d: "STATUS_LOGON_FAILURE",
	0xc000006e: "STATUS_ACCOUNT_RESTRICTION",
	0xc0000072: "STATUS_ACCOUNT_DISABLED",
	0xc00000bb: "STATUS_NOT_SUPPORTED",
	0xc00000cc: "STATUS_BAD_NETWORK_NAME",
	0xc0000034: "STATUS_OBJECT_NAME_NOT_FOUND",
	0xc0000001: "STATUS_UNSUCCESSFUL",
	0xc0000203: "STATUS_USER_SESSION_DELETED",
	0xc000009a: "STATUS_INSUFFICIENT_RESOURCES",
	0xc0000225: "STATUS_NOT_FOUND",
	0xc0000010: "STATUS_INVALID_DEVICE_REQUEST",
	0xc000000d: "STATUS_INVALID_PARAMETER",
	0xc0000002: "STATUS_NOT_IMPLEMENTED",
}

func statusName(st uint32) string {
	if n, ok := statusNames[st]; ok {
		return n
	}
	return fmt.Sprintf("NT status 0x%08x", st)
}
