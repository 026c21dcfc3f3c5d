package access

import (
	"context"
	"fmt"

	"github.com/vigilsec/vigil/internal/codec/ldap"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// ldapResultNames names the LDAP result codes a StartTLS request is
// commonly answered with (RFC 4511 appendix A).
var ldapResultNames = map[int64]string{
	0: "success", 1: "operationsError", 2: "protocolError", 3: "timeLimitExceeded",
	8: "strongerAuthRequired", 12: "unavailableCriticalExtension", 13: "confidentialityRequired",
	50: "insufficientAccessRights", 51: "busy", 52: "unavailable", 53: "unwillingToPerform", 80: "other",
}

// ldapResultText is "52 (unavailable) diagnostic".
func ldapResultText(r ldap.Result) string {
	s := fmt.Sprint(r.Code)
	if n := ldapResultNames[r.Code]; n != "" {
		s += " (" + n + ")"
	}
	if r.Diagnostic != "" {
		s += " " + r.Diagnostic
	}
	return clean(s, 256)
}

// auditLDAP sends the StartTLS extended request (RFC 4511 section 4.14)
// and closes the connection once it is answered, before any handshake.
// Success means StartTLS is offered; any other result (slapd without a
// certificate answers protocolError or unavailable) means it is not.
func auditLDAP(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	c, err := p.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	const msgID = 1
	b, err := p.exchange(ctx, c, ldap.ExtendedRequest(msgID, ldap.StartTLSOID), lineCap, func(b []byte) bool {
		_, done, _ := ldap.ExtendedResult(b, msgID)
		return done
	})
	r, done, perr := ldap.ExtendedResult(b, msgID)
	switch {
	case perr != nil:
		return nil, protocolError(proto.LDAP, "the StartTLS request was not answered in LDAP ("+perr.Error()+")", b)
	case !done && err != nil:
		return nil, fmt.Errorf("ldap: no answer to the StartTLS request from %s: %w", p.addr, err)
	case !done:
		return nil, protocolError(proto.LDAP, "no ExtendedResponse to the StartTLS request", b)
	}
	s.SetDetail(facts.DetailLDAPStartTLSResult, ldapResultText(r))
	return &facts.Access{StartTLS: ptr(r.Code == ldap.Success)}, nil
}
