package access

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/reply"
)

// readReply sends req (when not nil) and reads one numbered FTP/SMTP reply.
func (p *prober) readReply(ctx context.Context, c net.Conn, proto string, req []byte) (reply.Reply, error) {
	b, err := p.exchange(ctx, c, req, lineCap, reply.Complete)
	rs := reply.Parse(b)
	if len(rs) == 0 || !rs[0].Complete {
		if err != nil {
			return reply.Reply{}, fmt.Errorf("%s: no complete reply from %s: %w", proto, p.addr, err)
		}
		return reply.Reply{}, protocolError(proto, "no numbered reply", b)
	}
	return rs[0], nil
}

// replyText is a reply as a server sent it, made printable: "230 Login
// successful.".
func replyText(r reply.Reply) string {
	return clean(fmt.Sprintf("%d %s", r.Code, strings.Join(r.Lines, " ")), 256)
}

// nonCredentialMechs are SASL mechanisms that put no password or token on
// the wire: EXTERNAL (the TLS client certificate or the socket's peer),
// ANONYMOUS, and Kerberos (GSSAPI, GSS-SPNEGO, GS2-KRB5). They are left out
// of Access.PlaintextAuth.
var nonCredentialMechs = []string{"EXTERNAL", "ANONYMOUS", "GSSAPI", "GSS-SPNEGO", "GS2-KRB5", "GS2-KRB5-PLUS"}

// credentialMech reports whether a SASL mechanism carries a password or a
// token, or something derived from one.
func credentialMech(m string) bool {
	m = strings.ToUpper(m)
	return m != "" && !slices.Contains(nonCredentialMechs, m)
}

// appendUnique appends the values of add not yet in list.
func appendUnique(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}
