package access

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/ldap"
	"github.com/vigilsec/vigil/internal/facts"
)

// ldapServer answers a StartTLS request with code and diag.
func ldapServer(code int64, diag string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		msgs, err := ldap.ParseMessages(buf[:n])
		if err != nil || len(msgs) != 1 || msgs[0].Op.ID() != ldap.ExtendedReq {
			return
		}
		parts := [][]byte{ber.Integer(ber.TagEnumerated, code), ber.Octets(""), ber.Octets(diag)}
		if code == 0 {
			parts = append(parts, ber.TLV(ber.Context|10, []byte(ldap.StartTLSOID)))
		}
		op := ber.TLV(ldap.ExtendedResp, ber.Concat(parts...))
		_, _ = c.Write(ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, msgs[0].ID), op)))
	}
}

func TestAuditLDAP(t *testing.T) {
	tests := []struct {
		name     string
		code     int64
		diag     string
		startTLS bool
		detail   string
	}{
		{"offered", 0, "", true, "0 (success)"},
		{"slapd without certificate", 52, "Could not initialize TLS", false, "52 (unavailable) Could not initialize TLS"},
		{"unsupported", 2, "unsupported extended operation", false, "2 (protocolError) unsupported extended operation"},
		{"escape", 53, "no\x1b[2J", false, `53 (unwillingToPerform) no\x1b[2J`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, ldapServer(tt.code, tt.diag))
			s := facts.Service{Name: "ldap", Port: int(addr.Port()), Transport: facts.TCP}
			a, err := Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if *a.StartTLS != tt.startTLS || s.Detail("ldap.starttls-result") != tt.detail {
				t.Errorf("got %s %q", boolp(a.StartTLS), s.Detail("ldap.starttls-result"))
			}
		})
	}
	// Not LDAP at all.
	addr := serve(t, lineServer("", rule{"", "HTTP/1.1 400 Bad Request\r\n\r\n"}))
	if _, err := auditAt(t, addr, &facts.Service{Name: "ldap"}, Options{}); err == nil {
		t.Error("a non-LDAP answer gave no error")
	}
}
