package identify

import "testing"

func TestParseRFBVersion(t *testing.T) {
	tests := []struct {
		in      string
		ok      bool
		rfb     string
		product string
	}{
		{"RFB 003.008\n", true, "3.8", ""},
		{"RFB 003.003\n", true, "3.3", ""},
		{"RFB 003.889\n", true, "3.889", "Apple Remote Desktop"},
		{"RFB 003.008", false, "", ""},
		{"RFB 0x3.008\n", false, "", ""},
		{"RFB 003,008\n", false, "", ""},
		{"HTTP/1.1 200\n", false, "", ""},
	}
	for _, tt := range tests {
		s := newService()
		_, err := matchVNC([]byte(tt.in), &s)
		if (err == nil) != tt.ok {
			t.Errorf("matchVNC(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && (s.Name != "vnc" || s.Detail("vnc.rfb") != tt.rfb || s.Product != tt.product) {
			t.Errorf("matchVNC(%q) = %s rfb %q product %q", tt.in, s.Name, s.Detail("vnc.rfb"), s.Product)
		}
	}
}

func TestParseTelnet(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		ok       bool
		complete bool
		options  string
		text     string
	}{
		{"inetutils", "\xff\xfb\x25\xff\xfb\x26\xff\xfd\x18\xff\xfd\x20", true, true, "WILL AUTHENTICATION, WILL ENCRYPT, DO TERMINAL-TYPE, DO TERMINAL-SPEED", ""},
		{"with text", "\xff\xfd\x18\xff\xfb\x01Debian GNU/Linux 12\r\nlogin: ", true, true, "DO TERMINAL-TYPE, WILL ECHO", "Debian GNU/Linux 12\r\nlogin: "},
		{"subnegotiation", "\xff\xfa\x18\x01\xff\xf0\xff\xfb\x03", true, true, "SB TERMINAL-TYPE, WILL SUPPRESS-GO-AHEAD", ""},
		{"unknown option", "\xff\xfd\xc8", true, true, "DO 200", ""},
		{"cut in command", "\xff\xfd\x18\xff\xfb", true, false, "DO TERMINAL-TYPE", ""},
		{"cut in sb", "\xff\xfa\x18\x01", false, false, "", ""},
		{"not iac", "login: ", false, false, "", ""},
		{"escaped 255 first", "\xff\xffabc", false, false, "", ""},
		{"nop only", "\xff\xf1", false, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := telnetComplete([]byte(tt.in)); got != tt.complete {
				t.Errorf("telnetComplete = %v, want %v", got, tt.complete)
			}
			s := newService()
			_, err := matchTelnet([]byte(tt.in), &s)
			if (err == nil) != tt.ok {
				t.Fatalf("matchTelnet error = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if s.Name != "telnet" || s.Detail("telnet.options") != tt.options {
				t.Errorf("got %s options %q, want %q", s.Name, s.Detail("telnet.options"), tt.options)
			}
			if tt.text != "" && s.Detail("telnet.text") != clean(tt.text, 256) {
				t.Errorf("text %q", s.Detail("telnet.text"))
			}
			assertPrintable(t, s)
		})
	}
}

func FuzzParseRFBVersion(f *testing.F) {
	f.Add([]byte("RFB 003.008\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newService()
		if _, err := matchVNC(b, &s); err == nil {
			assertPrintable(t, s)
		}
	})
}

func FuzzParseTelnet(f *testing.F) {
	f.Add([]byte("\xff\xfb\x25\xff\xfd\x18"))
	f.Add([]byte("\xff\xfa\x18\x01\xff\xf0text"))
	f.Fuzz(func(t *testing.T, b []byte) {
		telnetComplete(b)
		s := newService()
		if _, err := matchTelnet(b, &s); err == nil {
			assertPrintable(t, s)
		}
	})
}
