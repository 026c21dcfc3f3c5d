package dnsaudit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/vigilsec/vigil/internal/sanitize"
)

// ErrMalformed means the server's bytes are not a DNS message answering
// the query.
var ErrMalformed = errors.New("malformed DNS answer")

// ErrNoAnswer means the server stayed silent: over UDP, after every
// resend; over TCP, until the timeout.
var ErrNoAnswer = errors.New("no answer")

// maxMessage caps one DNS message over TCP (its two-byte length allows no
// more) and one UDP datagram read.
const maxMessage = 64 << 10

// question is one query vigil asks.
type question struct {
	name  string // absolute, with the trailing dot
	typ   dnsmessage.Type
	class dnsmessage.Class
	rd    bool // recursion desired
}

// String is "NAME TYPE" as a finding quotes it.
func (q question) String() string {
	t := strings.TrimPrefix(q.typ.String(), "Type")
	if q.class == dnsmessage.ClassCHAOS {
		return q.name + " CH " + t
	}
	return q.name + " " + t
}

// build encodes q as a query with id.
func (q question) build(id uint16) ([]byte, error) {
	name, err := dnsmessage.NewName(q.name)
	if err != nil {
		return nil, fmt.Errorf("cannot ask for %q: %w", q.name, err)
	}
	b := dnsmessage.NewBuilder(make([]byte, 0, 64), dnsmessage.Header{ID: id, RecursionDesired: q.rd})
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(dnsmessage.Question{Name: name, Type: q.typ, Class: q.class}); err != nil {
		return nil, err
	}
	return b.Finish()
}

// response is what vigil keeps of one answer.
type response struct {
	rcode   dnsmessage.RCode
	aa, ra  bool
	tc      bool
	answers []record // answer section
	soaAuth string   // owner of an SOA record in the authority section
}

// record is one resource record, reduced to what the audit looks at.
type record struct {
	name string
	typ  dnsmessage.Type
	txt  string // TXT strings joined; PTR and CNAME targets; SOA: ""
}

// rcodeName names a response code as RFC 1035 and RFC 2136 do.
func rcodeName(r dnsmessage.RCode) string {
	switch r {
	case dnsmessage.RCodeSuccess:
		return "NOERROR"
	case dnsmessage.RCodeFormatError:
		return "FORMERR"
	case dnsmessage.RCodeServerFailure:
		return "SERVFAIL"
	case dnsmessage.RCodeNameError:
		return "NXDOMAIN"
	case dnsmessage.RCodeNotImplemented:
		return "NOTIMP"
	case dnsmessage.RCodeRefused:
		return "REFUSED"
	case 9:
		return "NOTAUTH"
	}
	return fmt.Sprintf("RCODE%d", int(r))
}

// maxRecords caps the records parsed from one message.
const maxRecords = 64

// parseResponse parses msg as the answer to the query id asked about q.
func parseResponse(msg []byte, id uint16, q question) (response, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return response{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if h.ID != id || !h.Response {
		return response{}, fmt.Errorf("%w: not the answer to our query", ErrMalformed)
	}
	r := response{rcode: h.RCode, aa: h.Authoritative, ra: h.RecursionAvailable, tc: h.Truncated}
	qs, err := p.AllQuestions()
	if err != nil {
		return response{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	// A server may leave the question out of an error; when it is there
	// it must be ours.
	if len(qs) > 1 || (len(qs) == 1 && (!strings.EqualFold(qs[0].Name.String(), q.name) || qs[0].Type != q.typ)) {
		return response{}, fmt.Errorf("%w: answers another question", ErrMalformed)
	}
	for range maxRecords {
		rr, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return r, nil // keep what parsed
		}
		rec := record{name: rr.Name.String(), typ: rr.Type}
		switch rr.Type {
		case dnsmessage.TypeTXT:
			t, err := p.TXTResource()
			if err != nil {
				return r, nil
			}
			rec.txt = strings.Join(t.TXT, "")
		case dnsmessage.TypePTR:
			t, err := p.PTRResource()
			if err != nil {
				return r, nil
			}
			rec.txt = t.PTR.String()
		default:
			if err := p.SkipAnswer(); err != nil {
				return r, nil
			}
		}
		r.answers = append(r.answers, rec)
	}
	if err := p.SkipAllAnswers(); err != nil {
		return r, nil
	}
	for range maxRecords {
		rr, err := p.AuthorityHeader()
		if err != nil {
			break
		}
		if rr.Type == dnsmessage.TypeSOA && r.soaAuth == "" {
			r.soaAuth = rr.Name.String()
		}
		if err := p.SkipAuthority(); err != nil {
			break
		}
	}
	return r, nil
}

// tcpFrame prefixes msg with its two-byte length (RFC 1035 section 4.2.2).
func tcpFrame(msg []byte) []byte {
	return append(binary.BigEndian.AppendUint16(make([]byte, 0, len(msg)+2), uint16(len(msg))), msg...)
}

// text makes a string from the network printable and short.
func text(s string, max int) string { return sanitize.String(s, max) }
