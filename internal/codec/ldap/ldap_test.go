package ldap

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/ber"
)

// extendedResponse builds an ExtendedResponse to id.
func extendedResponse(id, code int64, diag, name string) []byte {
	parts := [][]byte{ber.Integer(ber.TagEnumerated, code), ber.Octets(""), ber.Octets(diag)}
	if name != "" {
		parts = append(parts, ber.TLV(extResponseName, []byte(name)))
	}
	op := ber.TLV(ExtendedResp, ber.Concat(parts...))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, id), op))
}

// longForm re-encodes the outer length of an LDAPMessage in the long form
// with one length octet (servers may use the long form for any length).
func longForm(msg []byte) []byte {
	return append([]byte{msg[0], 0x81, msg[1]}, msg[2:]...)
}

func TestExtendedRequest(t *testing.T) {
	msgs, err := ParseMessages(ExtendedRequest(3, StartTLSOID))
	if err != nil || len(msgs) != 1 || msgs[0].ID != 3 || msgs[0].Op.ID() != ExtendedReq {
		t.Fatalf("request decodes as %+v, %v", msgs, err)
	}
	kids, err := ber.Children(msgs[0].Op.Content)
	if err != nil || len(kids) != 1 || kids[0].ID() != extRequestName || string(kids[0].Content) != StartTLSOID {
		t.Errorf("request fields %+v %v", kids, err)
	}
	// RFC 4511's example encoding of a StartTLS request with message id 1.
	want := "\x30\x1d\x02\x01\x01\x77\x18\x80\x16" + StartTLSOID
	if got := string(ExtendedRequest(1, StartTLSOID)); got != want {
		t.Errorf("request %x, want %x", got, want)
	}
}

func TestExtendedResult(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		done, ok   bool
		code       int64
		diag, resp string
	}{
		{"accepted", extendedResponse(1, 0, "", StartTLSOID), true, true, 0, "", StartTLSOID},
		{"slapd without certificate", extendedResponse(1, 52, "Could not initialize TLS", StartTLSOID), true, true, 52, "Could not initialize TLS", StartTLSOID},
		{"unsupported", extendedResponse(1, 2, "unsupported extended operation", ""), true, true, 2, "unsupported extended operation", ""},
		{"notice of disconnection", extendedResponse(0, 52, "bye", "1.3.6.1.4.1.1466.20036"), true, true, 52, "bye", "1.3.6.1.4.1.1466.20036"},
		{"another id", extendedResponse(7, 0, "", ""), false, true, 0, "", ""},
		{"cut", extendedResponse(1, 0, "", StartTLSOID)[:10], false, true, 0, "", ""},
		{"long length form", longForm(extendedResponse(1, 0, "", StartTLSOID)), true, true, 0, "", StartTLSOID},
		{"header cut in its length octets", []byte{0x30, 0x84, 0x00}, false, true, 0, "", ""},
		{"indefinite length", []byte{0x30, 0x80, 0x02, 0x01, 0x01}, true, false, 0, "", ""},
		{"another message first", ber.Concat(extendedResponse(7, 0, "", ""), extendedResponse(1, 2, "no", "")), true, true, 2, "no", ""},
		{"not ldap", []byte("HTTP/1.1 400 Bad Request\r\n"), true, false, 0, "", ""},
		{"bad result", ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 1), ber.TLV(ExtendedResp, ber.Octets("x")))), true, false, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, done, err := ExtendedResult(tt.in, 1)
			if done != tt.done || (err == nil) != tt.ok {
				t.Fatalf("done %v err %v, want done %v ok %v", done, err, tt.done, tt.ok)
			}
			if r.Code != tt.code || r.Diagnostic != tt.diag || r.ResponseName != tt.resp {
				t.Errorf("result %+v", r)
			}
		})
	}
}

func FuzzExtendedResult(f *testing.F) {
	f.Add(extendedResponse(1, 0, "", StartTLSOID))
	f.Add(extendedResponse(1, 52, "x", ""))
	f.Add(ExtendedRequest(1, StartTLSOID))
	f.Add(longForm(extendedResponse(1, 2, "", "")))
	f.Add([]byte{0x30, 0x80, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ExtendedResult(b, 1)
		if msgs, err := ParseMessages(b); err == nil {
			for _, m := range msgs {
				ParseResult(m.Op)
			}
		}
	})
}
