package access

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
)

func TestParseEHLO(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		startTLS bool
		mechs    []string
		keywords int
	}{
		{"postfix weak", "250-mx.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN\r\n250 CHUNKING\r\n", false, []string{"PLAIN", "LOGIN"}, 4},
		{"starttls, cram only", "250-mx\r\n250-STARTTLS\r\n250 AUTH cram-md5\r\n", true, []string{"CRAM-MD5"}, 2},
		{"old AUTH= only", "250-mx\r\n250 AUTH=LOGIN PLAIN\r\n", false, []string{"LOGIN", "PLAIN"}, 1},
		{"greeting only", "250 mx.example.org\r\n", false, nil, 0},
		{"error", "502 5.5.2 Error: command not recognized\r\n", false, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := reply.Parse([]byte(tt.in))
			if len(rs) != 1 {
				t.Fatalf("%d replies", len(rs))
			}
			e := parseEHLO(rs[0])
			if e.startTLS != tt.startTLS || !slices.Equal(e.mechs, tt.mechs) || len(e.keywords) != tt.keywords {
				t.Errorf("got %+v", e)
			}
		})
	}
}

func FuzzParseEHLO(f *testing.F) {
	f.Add([]byte("250-mx\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 AUTH=CRAM-MD5\r\n"))
	f.Add([]byte("250-mx\r\n250-AUTH\r\n250 AUTH=\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range reply.Parse(b) {
			e := parseEHLO(r)
			for _, m := range e.mechs {
				if m == "" || strings.ToUpper(m) != m {
					t.Fatalf("mechanism %q", m)
				}
			}
		}
	})
}

func TestAuditSMTP(t *testing.T) {
	tests := []struct {
		name     string
		ehlo     string
		startTLS bool
		auth     []string
		detail   string
	}{
		{"no tls, plain", "250-mx.lab\r\n250-AUTH PLAIN LOGIN GSSAPI\r\n250 8BITMIME\r\n", false, []string{"AUTH PLAIN", "AUTH LOGIN"}, "AUTH PLAIN LOGIN GSSAPI; 8BITMIME"},
		{"starttls, cram before tls", "250-mx.lab\r\n250-STARTTLS\r\n250 AUTH CRAM-MD5 EXTERNAL\r\n", true, []string{"AUTH CRAM-MD5"}, "STARTTLS; AUTH CRAM-MD5 EXTERNAL"},
		{"hardened", "250-mx.lab\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n", true, nil, "STARTTLS; SMTPUTF8"},
		{"no esmtp", "502 5.5.1 EHLO not implemented\r\n", false, nil, "EHLO answered 502 5.5.1 EHLO not implemented"},
		{"escape in keyword", "250-mx\r\n250 X-\x1b[2JEVIL\r\n", false, nil, `X-\x1b[2JEVIL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, lineServer("220 mx.lab ESMTP\r\n", rule{"EHLO", tt.ehlo}, rule{"QUIT", "221 bye\r\n"}))
			s := &facts.Service{Name: "smtp"}
			a, err := auditAt(t, addr, s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if boolp(a.StartTLS) != boolp(&tt.startTLS) || !slices.Equal(a.PlaintextAuth, tt.auth) || s.Detail("smtp.ehlo") != tt.detail {
				t.Errorf("got starttls %s auth %q ehlo %q", boolp(a.StartTLS), a.PlaintextAuth, s.Detail("smtp.ehlo"))
			}
		})
	}
	// The detail the check quotes.
	addr := serve(t, lineServer("220-mx.lab ESMTP\r\n220 hello\r\n", rule{"EHLO", "250-mx\r\n250-SIZE 1000\r\n250 AUTH PLAIN\r\n"}))
	s := facts.Service{Name: "smtp", Port: int(addr.Port()), Transport: facts.TCP}
	if _, err := Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if s.Detail("smtp.ehlo") != "SIZE 1000; AUTH PLAIN" {
		t.Errorf("smtp.ehlo = %q", s.Detail("smtp.ehlo"))
	}
	// A server that is not SMTP after all, and one that never finishes
	// its reply, fail cleanly and within the time budget.
	for name, h := range map[string]func(context.Context, net.Conn){
		"554":   lineServer("554 no service\r\n"),
		"flood": func(_ context.Context, c net.Conn) { _, _ = c.Write([]byte("220-" + strings.Repeat("x", 64<<10))) },
	} {
		addr := serve(t, h)
		start := time.Now()
		if a, err := auditAt(t, addr, &facts.Service{Name: "smtp"}, Options{}); err == nil {
			t.Errorf("%s: no error, access %+v", name, a)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
}

func TestIMAPCapability(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		caps  string
		found bool
	}{
		{"untagged", "* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nv1 OK done\r\n", "IMAP4rev1 STARTTLS LOGINDISABLED", true},
		{"code in greeting", "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.\r\n", "IMAP4rev1 AUTH=PLAIN", true},
		{"last wins", "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] x\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\n", "IMAP4rev1 STARTTLS", true},
		{"none", "* OK ready\r\nv1 BAD no\r\n", "", false},
		{"unterminated code", "* OK [CAPABILITY IMAP4rev1\r\n", "", false},
	}
	for _, tt := range tests {
		caps, ok := parseIMAPCapability([]byte(tt.in))
		if caps != tt.caps || ok != tt.found {
			t.Errorf("%s: got %q %v", tt.name, caps, ok)
		}
	}
	access := []struct {
		caps     string
		startTLS bool
		auth     []string
	}{
		{"IMAP4rev1 AUTH=PLAIN AUTH=LOGIN", false, []string{"LOGIN", "AUTHENTICATE PLAIN", "AUTHENTICATE LOGIN"}},
		{"IMAP4rev1 STARTTLS LOGINDISABLED", true, nil},
		{"IMAP4rev1 STARTTLS LOGINDISABLED AUTH=GSSAPI AUTH=SCRAM-SHA-256", true, []string{"AUTHENTICATE SCRAM-SHA-256"}},
		{"imap4rev2 starttls", true, []string{"LOGIN"}},
	}
	for _, tt := range access {
		a := imapAccess(tt.caps)
		if *a.StartTLS != tt.startTLS || !slices.Equal(a.PlaintextAuth, tt.auth) {
			t.Errorf("imapAccess(%q) = %s %q", tt.caps, boolp(a.StartTLS), a.PlaintextAuth)
		}
	}
}

func FuzzIMAPCapability(f *testing.F) {
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nv1 OK\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		imapDone(b)
		if caps, ok := parseIMAPCapability(b); ok {
			a := imapAccess(caps)
			for _, l := range a.PlaintextAuth {
				for i := 0; i < len(l); i++ {
					if l[i] < 0x20 {
						t.Fatalf("control byte in %q", l)
					}
				}
			}
		}
	})
}

func TestAuditIMAP(t *testing.T) {
	// Dovecot says it waits for its auth process before the greeting.
	addr := serve(t, lineServer("* OK Waiting for authentication process to respond..\r\n",
		rule{"V1 CAPABILITY", "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\nv1 OK Pre-login capabilities listed.\r\n"},
		rule{"V2 LOGOUT", "* BYE\r\nv2 OK\r\n"}))
	s := facts.Service{Name: "imap", Port: int(addr.Port()), Transport: facts.TCP}
	a, err := Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !*a.StartTLS || len(a.PlaintextAuth) != 0 || s.Detail("imap.capability") != "IMAP4rev1 STARTTLS LOGINDISABLED" {
		t.Errorf("got %s %q %v", boolp(a.StartTLS), a.PlaintextAuth, s.Details)
	}
	// Identification's capability is used without a connection.
	s = facts.Service{Name: "imap", Port: 1, Transport: facts.TCP, Details: map[string]string{"imap.capability": "IMAP4rev1 AUTH=PLAIN"}}
	a, err = Audit(t.Context(), newDialer(t), netipClosed(t), &s, Options{Timeout: time.Second})
	if err != nil || *a.StartTLS || !slices.Equal(a.PlaintextAuth, []string{"LOGIN", "AUTHENTICATE PLAIN"}) {
		t.Errorf("from the detail: %+v %v", a, err)
	}
}

func TestCAPA(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		ok       bool
		apop     bool
		startTLS bool
		auth     []string
	}{
		{"dovecot weak", "+OK\r\nCAPA\r\nTOP\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n", true, false, false, []string{"USER", "AUTH PLAIN", "AUTH LOGIN"}},
		{"dovecot hard", "+OK\r\nCAPA\r\nSTLS\r\nSASL\r\n.\r\n", true, false, true, nil},
		{"apop and cram", "+OK\r\nSTLS\r\nSASL CRAM-MD5 GSSAPI\r\n.\r\n", true, true, true, []string{"APOP", "AUTH CRAM-MD5"}},
		{"refused", "-ERR unknown command\r\n", false, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !pop3Done([]byte(tt.in)) {
				t.Error("pop3Done = false on a whole answer")
			}
			capa, ok := parseCAPA([]byte(tt.in))
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			a := pop3Access(capa, tt.apop)
			if *a.StartTLS != tt.startTLS || !slices.Equal(a.PlaintextAuth, tt.auth) {
				t.Errorf("got %s %q", boolp(a.StartTLS), a.PlaintextAuth)
			}
		})
	}
	if pop3Done([]byte("+OK\r\nSTLS\r\n")) {
		t.Error("pop3Done before the final dot")
	}
}

func FuzzCAPA(f *testing.F) {
	f.Add([]byte("+OK\r\nCAPA\r\nSTLS\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"))
	f.Add([]byte("-ERR\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pop3Done(b)
		if capa, ok := parseCAPA(b); ok {
			pop3Access(capa, apopTimestamp.Match(b))
		}
	})
}

func TestAuditPOP3(t *testing.T) {
	addr := serve(t, lineServer("+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n", rule{"CAPA", "-ERR unknown command\r\n"}, rule{"QUIT", "+OK\r\n"}))
	s := facts.Service{Name: "pop3", Port: int(addr.Port()), Transport: facts.TCP}
	a, err := Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if *a.StartTLS || !slices.Equal(a.PlaintextAuth, []string{"APOP"}) || !strings.HasPrefix(s.Detail("pop3.capa"), "CAPA refused") {
		t.Errorf("got %s %q %v", boolp(a.StartTLS), a.PlaintextAuth, s.Details)
	}
}
