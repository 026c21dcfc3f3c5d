// Package ldap frames LDAP messages (RFC 4511): the LDAPMessage envelope,
// LDAPResult and the ExtendedRequest/ExtendedResponse pair that StartTLS
// uses. Decoding never panics on hostile input.
package ldap

import (
	"errors"
	"fmt"

	"github.com/vigilsec/vigil/internal/codec/ber"
)

// Protocol operation identifiers.
const (
	SearchRequest   = ber.Application | ber.Constructed | 3
	SearchResEntry  = ber.Application | ber.Constructed | 4
	SearchResDone   = ber.Application | ber.Constructed | 5
	ExtendedReq     = ber.Application | ber.Constructed | 23
	ExtendedResp    = ber.Application | ber.Constructed | 24
	FilterPresent   = ber.Context | 7
	extRequestName  = ber.Context // [0]
	extResponseName = ber.Context | 10
)

// StartTLSOID names the StartTLS extended operation (RFC 4511 4.14.1).
const StartTLSOID = "1.3.6.1.4.1.1466.20037"

// Success is the result code of an operation that succeeded.
const Success = 0

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("not an LDAP message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Message is one LDAPMessage: its id and protocol operation.
type Message struct {
	ID int64
	Op ber.Elem
}

// ParseMessages decodes the complete LDAPMessages at the start of b; an
// incomplete last message is left out without error. A message that
// cannot become valid is an error at once, before it is complete: its
// first bytes are not a SEQUENCE, or its length is indefinite (RFC 4511
// section 5.1 allows only the definite form).
func ParseMessages(b []byte) ([]Message, error) {
	var out []Message
	for len(b) > 0 {
		n, err := ber.Need(b)
		if err != nil {
			return out, malformed("bad LDAPMessage header: %v", err)
		}
		if len(b) >= 2 && b[0] != ber.TagSequence {
			return out, malformed("no LDAPMessage sequence")
		}
		if n == 0 || n > len(b) {
			break // incomplete
		}
		seq, rest, err := ber.Parse(b)
		if err != nil || seq.ID() != ber.TagSequence {
			return out, malformed("no LDAPMessage sequence")
		}
		kids, err := ber.Children(seq.Content)
		if err != nil || len(kids) < 2 || kids[0].ID() != ber.TagInteger {
			return out, malformed("bad LDAPMessage")
		}
		id, err := ber.Int(kids[0].Content)
		if err != nil {
			return out, malformed("bad message id")
		}
		out = append(out, Message{ID: id, Op: kids[1]})
		b = rest
	}
	return out, nil
}

// ExtendedRequest is an LDAPMessage with id carrying an ExtendedRequest
// for the operation oid, without a request value.
func ExtendedRequest(id int64, oid string) []byte {
	op := ber.TLV(ExtendedReq, ber.TLV(extRequestName, []byte(oid)))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, id), op))
}

// Result is an LDAPResult, with the responseName of an ExtendedResponse.
type Result struct {
	Code         int64
	MatchedDN    string
	Diagnostic   string
	ResponseName string
}

// ParseResult decodes the LDAPResult of a response operation (such as
// SearchResultDone or ExtendedResponse).
func ParseResult(op ber.Elem) (Result, error) {
	kids, err := ber.Children(op.Content)
	if err != nil || len(kids) < 3 || kids[0].ID() != ber.TagEnumerated ||
		kids[1].ID() != ber.TagOctetString || kids[2].ID() != ber.TagOctetString {
		return Result{}, malformed("bad LDAPResult")
	}
	code, err := ber.Int(kids[0].Content)
	if err != nil {
		return Result{}, malformed("bad result code")
	}
	r := Result{Code: code, MatchedDN: string(kids[1].Content), Diagnostic: string(kids[2].Content)}
	for _, k := range kids[3:] {
		if k.ID() == extResponseName {
			r.ResponseName = string(k.Content)
		}
	}
	return r, nil
}

// ExtendedResult finds the ExtendedResponse to message id in b (or a Notice
// of Disconnection, an unsolicited ExtendedResponse with id 0). done is
// false while more bytes may complete it.
func ExtendedResult(b []byte, id int64) (r Result, done bool, err error) {
	msgs, err := ParseMessages(b)
	for _, m := range msgs {
		if m.Op.ID() != ExtendedResp || (m.ID != id && m.ID != 0) {
			continue
		}
		r, perr := ParseResult(m.Op)
		return r, true, perr
	}
	if err != nil {
		return Result{}, true, err
	}
	return Result{}, false, nil
}
