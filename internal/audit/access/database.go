package access

import (
	"context"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// pgSSLRequest is PostgreSQL's SSLRequest message: length 8, code 80877103.
var pgSSLRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// auditPostgreSQL reads identification's answer to SSLRequest ('S' offers
// TLS, 'N' refuses it), or sends SSLRequest itself and closes the
// connection once it is answered.
func auditPostgreSQL(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	switch s.Detail(facts.DetailPostgreSQLSSL) {
	case "S":
		return &facts.Access{StartTLS: ptr(true)}, nil
	case "N":
		return &facts.Access{StartTLS: ptr(false)}, nil
	}
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	if err := wire.Write(ctx, c, pgSSLRequest, p.opt.Timeout); err != nil {
		return nil, err
	}
	b, err := wire.ReadFull(ctx, c, 1, p.opt.Timeout)
	if err != nil {
		return nil, err
	}
	switch b[0] {
	case 'S', 'N':
		s.SetDetail(facts.DetailPostgreSQLSSL, string(b[:1]))
		return &facts.Access{StartTLS: ptr(b[0] == 'S')}, nil
	}
	return nil, protocolError(proto.PostgreSQL, "SSLRequest not answered with S or N", b)
}

// mysqlClientSSL is the CLIENT_SSL capability flag of the MySQL handshake.
const mysqlClientSSL = 0x800

// auditMySQL reads the capability flags identification found in the
// server's handshake: CLIENT_SSL means TLS is offered. A server that sent
// an error instead of a handshake tells nothing.
func auditMySQL(_ context.Context, _ *prober, s *facts.Service) (*facts.Access, error) {
	flags, err := strconv.ParseUint(strings.TrimPrefix(s.Detail(facts.DetailMySQLCapabilities), "0x"), 16, 64)
	if err != nil {
		return nil, nil
	}
	return &facts.Access{StartTLS: ptr(flags&mysqlClientSSL != 0)}, nil
}

// auditMQTT reads the answer to identification's anonymous CONNECT: return
// code 0 means the broker accepted a client without credentials.
func auditMQTT(_ context.Context, _ *prober, s *facts.Service) (*facts.Access, error) {
	rc, err := strconv.Atoi(s.Detail(facts.DetailMQTTCONNACK))
	if err != nil {
		return nil, nil
	}
	return &facts.Access{Anonymous: rc == 0}, nil
}
