package apiaudit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// natsInfo is the part of the INFO line used (NATS client protocol).
type natsInfo struct {
	ServerID     string `json:"server_id"`
	Version      string `json:"version"`
	AuthRequired bool   `json:"auth_required"`
	TLSRequired  bool   `json:"tls_required"`
	TLSAvailable bool   `json:"tls_available"`
}

// parseNATSInfo parses the INFO line a NATS server sends first.
func parseNATSInfo(b []byte) (natsInfo, error) {
	var info natsInfo
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return info, fmt.Errorf("%w: nats: the INFO line did not end", ErrProtocol)
	}
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("INFO "))
	if !ok {
		return info, fmt.Errorf("%w: nats: the first line is not INFO", ErrProtocol)
	}
	if err := json.Unmarshal(bytes.TrimSpace(rest), &info); err != nil {
		return info, fmt.Errorf("%w: nats: INFO is not JSON: %v", ErrProtocol, err)
	}
	return info, nil
}

// natsConnect is a CONNECT without credentials, then PING: a server that
// accepts the client answers PONG, one that wants credentials -ERR
// 'Authorization Violation'. verbose is off, so no +OK comes first.
var natsConnect = []byte(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"vigil","lang":"go","version":"1","protocol":1}` + "\r\nPING\r\n")

// natsAnswer classifies the server's answer to natsConnect.
func natsAnswer(b []byte) (accepted, known bool) {
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return false, false
		}
		line = bytes.TrimRight(line, "\r")
		switch {
		case bytes.Equal(line, []byte("PONG")):
			return true, true
		case bytes.HasPrefix(line, []byte("-ERR")):
			return false, true
		}
		b = rest // INFO updates, +OK, PING
	}
	return false, false
}

// natsDone reports whether the answer holds PONG or -ERR.
func natsDone(b []byte) bool {
	_, known := natsAnswer(b)
	return known
}

// auditNATS reads INFO and, when the server says it wants no
// authentication and no TLS, connects without credentials and pings.
func auditNATS(ctx context.Context, p *prober, _ *facts.Service) (*facts.APIAccess, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	b, err := wire.ReadUntil(ctx, c, lineCap, p.opt.Timeout, func(b []byte) bool { return bytes.IndexByte(b, '\n') >= 0 })
	info, perr := parseNATSInfo(b)
	if perr != nil {
		if len(b) == 0 {
			return nil, fmt.Errorf("nats: no INFO line from %s: %w", p.addr, err)
		}
		return nil, perr
	}
	a := &facts.APIAccess{AuthRequired: ptr(info.AuthRequired), TLSRequired: ptr(info.TLSRequired), TLSAvailable: ptr(info.TLSAvailable)}
	if info.TLSRequired && !p.tls {
		return a, nil // the client would have to start TLS first
	}
	ans, _ := wire.Exchange(ctx, c, natsConnect, lineCap, p.opt.Timeout, natsDone)
	const what = "PING after a CONNECT without credentials"
	switch accepted, known := natsAnswer(ans); {
	case accepted:
		a.Open = append(a.Open, facts.APIRequest{Request: what, Revealed: "PONG"})
	case known:
		a.Refused = append(a.Refused, facts.APIRequest{Request: what})
	}
	return a, nil
}
