package identify

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/wire"
)

// PostgreSQL frontend/backend protocol 3.0 constants.
const (
	pgSSLRequestCode = 80877103 // 1234 5679
	pgProtocol30     = 196608   // 3 << 16
)

// pgSSLRequest is the SSLRequest message.
func pgSSLRequest() []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b, 8)
	binary.BigEndian.PutUint32(b[4:], pgSSLRequestCode)
	return b
}

// pgStartup is a StartupMessage for user "vigil" (never followed by a
// password: identification stops at the server's first answer).
func pgStartup() []byte {
	params := []string{"user", "vigil", "database", "vigil", "application_name", "vigil"}
	body := binary.BigEndian.AppendUint32(nil, pgProtocol30)
	for _, p := range params {
		body = append(append(body, p...), 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
}

// pgMessage is one backend message: a type byte and its body.
type pgMessage struct {
	typ  byte
	body []byte
}

// parsePGMessages splits b into backend messages; rest is an incomplete
// tail. It fails on bytes that cannot be PostgreSQL messages.
func parsePGMessages(b []byte) (msgs []pgMessage, rest []byte, err error) {
	for len(b) >= 5 {
		typ := b[0]
		if typ < 'A' || typ > 'z' {
			return msgs, nil, noMatch(proto.PostgreSQL, "message type %#x", typ)
		}
		n := binary.BigEndian.Uint32(b[1:5])
		if n < 4 || n > 1<<20 {
			return msgs, nil, noMatch(proto.PostgreSQL, "message length %d", n)
		}
		if uint32(len(b)-1) < n {
			break
		}
		msgs = append(msgs, pgMessage{typ: typ, body: b[5 : 1+n]})
		b = b[1+n:]
	}
	return msgs, b, nil
}

// pgFields parses the fields of an ErrorResponse or NoticeResponse.
func pgFields(body []byte) map[byte]string {
	f := map[byte]string{}
	for len(body) > 1 && body[0] != 0 {
		code := body[0]
		v, rest, ok := cutNul(body[1:])
		if !ok {
			break
		}
		f[code] = string(v)
		body = rest
	}
	return f
}

func cutNul(b []byte) (before, after []byte, ok bool) {
	for i, c := range b {
		if c == 0 {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// pgAuthNames names the authentication requests of an 'R' message.
var pgAuthNames = map[uint32]string{
	0: "ok", 2: "kerberos5", 3: "cleartext", 5: "md5", 7: "gss", 9: "sspi", 10: "sasl",
}

// pgStartupAnswer is what a server answered a StartupMessage with.
type pgStartupAnswer struct {
	auth          string // "ok", "md5", "sasl SCRAM-SHA-256", … when an 'R' came
	errFields     map[byte]string
	serverVersion string // from ParameterStatus after AuthenticationOk
	done          bool   // the server is waiting for us or has said all
}

// parsePGStartupAnswer parses the answer to a StartupMessage.
func parsePGStartupAnswer(b []byte) (pgStartupAnswer, error) {
	msgs, _, err := parsePGMessages(b)
	if err != nil {
		return pgStartupAnswer{}, err
	}
	if len(msgs) == 0 {
		return pgStartupAnswer{}, noMatch(proto.PostgreSQL, "no complete message")
	}
	var a pgStartupAnswer
	for i, m := range msgs {
		switch m.typ {
		case 'E':
			f := pgFields(m.body)
			if f['S'] == "" || len(f['C']) != 5 {
				return pgStartupAnswer{}, noMatch(proto.PostgreSQL, "error without severity and code")
			}
			a.errFields, a.done = f, true
			return a, nil
		case 'R':
			if len(m.body) < 4 {
				return pgStartupAnswer{}, noMatch(proto.PostgreSQL, "short authentication request")
			}
			code := binary.BigEndian.Uint32(m.body)
			name, ok := pgAuthNames[code]
			if !ok {
				return pgStartupAnswer{}, noMatch(proto.PostgreSQL, "authentication request %d", code)
			}
			if code == 10 {
				var mechs []string
				for rest := m.body[4:]; len(rest) > 0 && rest[0] != 0; {
					var mech []byte
					mech, rest, _ = cutNul(rest)
					mechs = append(mechs, string(mech))
				}
				name += " " + strings.Join(mechs, ",")
			}
			a.auth = name
			a.done = code != 0
		case 'S':
			if k, rest, ok := cutNul(m.body); ok && string(k) == "server_version" {
				v, _, _ := cutNul(rest)
				a.serverVersion = string(v)
			}
		case 'Z':
			a.done = true
		case 'K', 'N':
		default:
			if i == 0 {
				return pgStartupAnswer{}, noMatch(proto.PostgreSQL, "unexpected message %q", m.typ)
			}
		}
	}
	if a.auth == "" {
		return pgStartupAnswer{}, noMatch(proto.PostgreSQL, "no authentication request")
	}
	return a, nil
}

// pgAnswerComplete reports whether b holds a whole answer to a
// StartupMessage (an error, an authentication request that needs a
// password, or ReadyForQuery), or bytes that cannot become one.
func pgAnswerComplete(b []byte) bool {
	msgs, _, err := parsePGMessages(b)
	if err != nil {
		return true
	}
	if len(msgs) == 0 {
		return false
	}
	a, err := parsePGStartupAnswer(b)
	if err == nil {
		return a.done
	}
	for _, m := range msgs {
		if m.typ != 'N' && m.typ != 'S' && m.typ != 'K' {
			return true
		}
	}
	return false // only notices and parameters so far
}

// probePostgres sends SSLRequest and then a StartupMessage (on the same
// connection when the server refused SSL, else on a new one).
func probePostgres(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	c, err := l.open(ctx)
	if err != nil {
		return nil, ioNoMatch(proto.PostgreSQL, err)
	}
	defer func() { _ = c.Close() }()
	resp, err := wire.Exchange(ctx, c, pgSSLRequest(), 256, l.opt.Timeout, func(b []byte) bool { return len(b) > 0 })
	if len(resp) != 1 || (resp[0] != 'S' && resp[0] != 'N') {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.PostgreSQL, err)
		}
		// More may follow a first byte (a banner, an HTTP error): read it
		// for the banner matchers.
		more, _ := wire.ReadSome(ctx, c, bannerCap, l.opt.Timeout/4)
		return append(resp, more...), noMatch(proto.PostgreSQL, "SSLRequest answered %q", clean(string(resp), 16))
	}
	ssl := string(resp)
	if ssl == "S" {
		_ = c.Close()
		if c, err = l.open(ctx); err != nil {
			return nil, ioNoMatch(proto.PostgreSQL, err)
		}
	}
	resp, err = wire.Exchange(ctx, c, pgStartup(), bannerCap, l.opt.Timeout, pgAnswerComplete)
	a, perr := parsePGStartupAnswer(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.PostgreSQL, err)
		}
		return resp, perr
	}
	s.Name = proto.PostgreSQL
	s.SetDetail(facts.DetailPostgreSQLSSL, ssl)
	if a.auth != "" {
		s.SetDetail(facts.DetailPostgreSQLAuth, clean(a.auth, 128))
	}
	// Poolers such as pgbouncer speak the same protocol on PostgreSQL's
	// behalf; the product named is the database's.
	s.Product = "PostgreSQL"
	if a.errFields != nil {
		s.SetDetail(facts.DetailPostgreSQLError, clean(fmt.Sprintf("%s %s: %s", a.errFields['S'], a.errFields['C'], a.errFields['M']), 256))
	}
	if a.serverVersion != "" {
		s.Version = clean(leadingVersion(a.serverVersion), 32)
		s.SetDetail(facts.DetailPostgreSQLServerVersion, clean(a.serverVersion, 128))
	}
	if a.auth == "ok" && a.errFields == nil {
		_ = wire.Write(ctx, c, []byte{'X', 0, 0, 0, 4}, l.opt.Timeout) // Terminate
	}
	return nil, nil
}
