package identify

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/reply"
)

func TestMatchGreeting(t *testing.T) {
	tests := []struct {
		name, in         string
		wantName         string // "" when no match
		product, version string
		followUp         bool
	}{
		{"vsftpd", "220 (vsFTPd 3.0.3)\r\n", "ftp", "vsftpd", "3.0.3", false},
		{"proftpd", "220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n", "ftp", "ProFTPD", "1.3.8", false},
		{"proftpd hidden", "220 ProFTPD Server (Debian) [::ffff:10.0.0.1]\r\n", "ftp", "ProFTPD", "", false},
		{"pure-ftpd", "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n220 You will be disconnected after 15 minutes of inactivity.\r\n", "ftp", "Pure-FTPd", "", false},
		{"filezilla", "220-FileZilla Server 1.7.0\r\n220 Please visit https://filezilla-project.org/\r\n", "ftp", "FileZilla Server", "1.7.0", false},
		{"ms ftp", "220 Microsoft FTP Service\r\n", "ftp", "Microsoft ftpd", "", false},
		{"generic ftp", "220 Welcome to the FTP service.\r\n", "ftp", "", "", false},
		{"postfix", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n", "smtp", "Postfix", "", false},
		{"exim", "220 mx.example.org ESMTP Exim 4.96 Wed, 22 Nov 2023 10:00:00 +0000\r\n", "smtp", "Exim", "4.96", false},
		{"sendmail", "220 host.example.org ESMTP Sendmail 8.17.1.9/8.17.1.9; Wed, 22 Nov 2023\r\n", "smtp", "Sendmail", "8.17.1.9", false},
		{"opensmtpd", "220 host.example.org ESMTP OpenSMTPD\r\n", "smtp", "OpenSMTPD", "", false},
		{"exchange", "220 ex.example.org Microsoft ESMTP MAIL Service ready at Wed\r\n", "smtp", "Microsoft ESMTP", "", false},
		{"smtp 554", "554 5.7.1 go away\r\n", "smtp", "", "", false},
		{"ftp 421", "421 Too many connections (8) from this IP\r\n", "", "", "", true},
		{"ambiguous", "220 Welcome\r\n", "", "", "", true},
		{"ambiguous then enhanced code", "220 Welcome\r\n502 5.5.2 Error: command not recognized\r\n", "smtp", "", "", false},
		{"ambiguous then ftp login", "220 Welcome\r\n530 Please login with USER and PASS.\r\n", "ftp", "", "", false},
		{"escape in text", "220 \x1b[2Jhello ESMTP\r\n", "", "", "", false},
		{"other code", "200 OK\r\n", "", "", "", false},
		{"incomplete multi", "220-x\r\n", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s = newService()
			f, err := matchGreeting([]byte(tt.in), &s)
			if tt.wantName == "" && !tt.followUp {
				if err == nil {
					t.Fatalf("matched %q as %s, want no match", tt.in, s.Name)
				}
				return
			}
			if err != nil {
				t.Fatalf("no match: %v", err)
			}
			if (f != nil) != tt.followUp {
				t.Fatalf("followUp = %v, want %v", f != nil, tt.followUp)
			}
			if f != nil {
				return
			}
			if s.Name != tt.wantName || s.Product != tt.product || s.Version != tt.version {
				t.Errorf("got %s %q %q, want %s %q %q", s.Name, s.Product, s.Version, tt.wantName, tt.product, tt.version)
			}
		})
	}
}

func TestDecideByEHLO(t *testing.T) {
	tests := []struct {
		name, greeting, ehlo string
		want                 string
	}{
		{"250 is smtp", "220 Welcome\r\n", "250-host\r\n250-PIPELINING\r\n250 STARTTLS\r\n", "smtp"},
		{"enhanced error is smtp", "220 Welcome\r\n", "501 5.5.4 Syntax\r\n", "smtp"},
		{"500 is ftp", "220 Welcome\r\n", "500 Unknown command.\r\n", "ftp"},
		{"530 is ftp", "220 Welcome\r\n", "530 Please login with USER and PASS.\r\n", "ftp"},
		{"no answer, domain first: smtp", "220 mx1.example.org\r\n", "", "smtp"},
		{"no answer, words: ftp", "220 Hello there\r\n", "", "ftp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService()
			f, err := matchGreeting([]byte(tt.greeting), &s)
			if err != nil || f == nil {
				t.Fatalf("want a follow-up, got %v %v", f, err)
			}
			var resp []byte
			if tt.ehlo != "" {
				resp = []byte(tt.ehlo)
			}
			f.next(resp, &s)
			if s.Name != tt.want {
				t.Errorf("got %s, want %s", s.Name, tt.want)
			}
			if tt.want == "smtp" && tt.ehlo != "" && len(reply.Parse(resp)[0].Lines) > 1 && s.Detail("smtp.ehlo") == "" {
				t.Errorf("smtp.ehlo not recorded")
			}
		})
	}
}

func FuzzMatchGreeting(f *testing.F) {
	for _, s := range []string{"220 x\r\n", "220-a\r\n b\r\n220 c\r\n", "220 Welcome\r\n530 x\r\n", "554 5.7.1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newService()
		if fu, err := matchGreeting(b, &s); err == nil {
			if fu != nil {
				fu.next(b, &s)
			}
			assertPrintable(t, s)
		}
	})
}
