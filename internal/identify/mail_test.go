package identify

import "testing"

func TestParseIMAPGreeting(t *testing.T) {
	tests := []struct {
		name, in                    string
		ok                          bool
		status, capability, product string
		version                     string
	}{
		{"dovecot", "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
			true, "OK", "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN", "Dovecot", ""},
		{"courier", "* OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE STARTTLS] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.\r\n",
			true, "OK", "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE STARTTLS", "Courier", ""},
		{"cyrus", "* OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE] mail.example.org Cyrus IMAP 3.6.1-Debian-3.6.1-4 server ready\r\n",
			true, "OK", "IMAP4rev1 LITERAL+ ID ENABLE", "Cyrus IMAP", "3.6.1"},
		{"exchange no code", "* OK The Microsoft Exchange IMAP4 service is ready.\r\n", true, "OK", "", "Microsoft Exchange", ""},
		{"preauth", "* PREAUTH IMAP4rev1 server logged in as joe\r\n", true, "PREAUTH", "", "", ""},
		{"bye", "* BYE too many connections\r\n", true, "BYE", "", "", ""},
		{"other code", "* OK [ALERT] hi\r\n", true, "OK", "", "", ""},
		{"unterminated code", "* OK [CAPABILITY IMAP4rev1\r\n", false, "", "", "", ""},
		{"partial line", "* OK Dovecot", false, "", "", "", ""},
		{"tagged", "a1 OK done\r\n", false, "", "", "", ""},
		{"not ok", "* NO go\r\n", false, "", "", "", ""},
		{"escape", "* OK \x1b]0;x\x07 ready\r\n", false, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService()
			_, err := matchIMAP([]byte(tt.in), &s)
			if (err == nil) != tt.ok {
				t.Fatalf("matchIMAP error = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			g, _ := parseIMAPGreeting([]byte(tt.in))
			if g.status != tt.status || s.Detail("imap.capability") != tt.capability || s.Product != tt.product || s.Version != tt.version {
				t.Errorf("got status %q cap %q product %q version %q", g.status, s.Detail("imap.capability"), s.Product, s.Version)
			}
		})
	}
}

func TestParsePOP3Greeting(t *testing.T) {
	tests := []struct {
		name, in         string
		ok               bool
		product, version string
	}{
		{"dovecot", "+OK Dovecot (Debian) ready.\r\n", true, "Dovecot", ""},
		{"courier", "+OK Hello there.\r\n", true, "Courier", ""},
		{"cyrus", "+OK mail.example.org Cyrus POP3 v3.6.1-Debian server ready <1@x>\r\n", true, "Cyrus POP3", "3.6.1"},
		{"qpopper", "+OK Qpopper (version 4.1.0) at host starting.\r\n", true, "Qpopper", "4.1.0"},
		{"bare", "+OK\r\n", true, "", ""},
		{"redis ok is not a greeting with text check", "+OKAY\r\n", false, "", ""},
		{"err", "-ERR busy\r\n", false, "", ""},
		{"partial", "+OK Dove", false, "", ""},
		{"escape", "+OK \x1b[31m\r\n", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService()
			_, err := matchPOP3([]byte(tt.in), &s)
			if (err == nil) != tt.ok {
				t.Fatalf("matchPOP3 error = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && (s.Name != "pop3" || s.Product != tt.product || s.Version != tt.version) {
				t.Errorf("got %s %q %q, want pop3 %q %q", s.Name, s.Product, s.Version, tt.product, tt.version)
			}
		})
	}
}

func FuzzParseIMAPGreeting(f *testing.F) {
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1 STARTTLS] Dovecot ready.\r\n"))
	f.Add([]byte("* PREAUTH x\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newService()
		if _, err := matchIMAP(b, &s); err == nil {
			assertPrintable(t, s)
		}
	})
}

func FuzzParsePOP3Greeting(f *testing.F) {
	f.Add([]byte("+OK Dovecot ready.\r\n"))
	f.Add([]byte("+OK\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newService()
		if _, err := matchPOP3(b, &s); err == nil {
			assertPrintable(t, s)
		}
	})
}
