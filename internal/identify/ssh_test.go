package identify

import "testing"

func TestParseSSHIdent(t *testing.T) {
	tests := []struct {
		name, in                string
		ok                      bool
		proto, product, version string
	}{
		{"openssh debian", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", true, "2.0", "OpenSSH", "9.2p1"},
		{"dropbear", "SSH-2.0-dropbear_2022.83\r\n", true, "2.0", "Dropbear", "2022.83"},
		{"dropbear no version", "SSH-2.0-dropbear\r\n", true, "2.0", "Dropbear", ""},
		{"ssh 1.99", "SSH-1.99-OpenSSH_3.9p1\n", true, "1.99", "OpenSSH", "3.9p1"},
		{"cisco dash", "SSH-1.5-Cisco-1.25\r\n", true, "1.5", "Cisco SSH", "1.25"},
		{"libssh", "SSH-2.0-libssh_0.10.5\r\n", true, "2.0", "libssh", "0.10.5"},
		{"erlang slash", "SSH-2.0-Erlang/4.15.3\r\n", true, "2.0", "Erlang/OTP SSH", "4.15.3"},
		{"putty", "SSH-2.0-PuTTY_Release_0.78\r\n", true, "2.0", "PuTTY", "0.78"},
		{"windows", "SSH-2.0-OpenSSH_for_Windows_8.1\r\n", true, "2.0", "OpenSSH for Windows", "8.1"},
		{"bitvise", "SSH-2.0-9.31 FlowSsh: Bitvise SSH Server (WinSSHD) 9.31\r\n", true, "2.0", "Bitvise SSH Server", "9.31"},
		{"unknown product", "SSH-2.0-Foo_Bar_1.2\r\n", true, "2.0", "Foo Bar", "1.2"},
		{"pre-banner lines", "Welcome\r\nSSH-2.0-OpenSSH_8.4\r\n", true, "2.0", "OpenSSH", "8.4"},
		{"no newline yet", "SSH-2.0-OpenSSH_9.6", true, "2.0", "OpenSSH", "9.6"},
		{"short partial", "SSH-2", false, "", "", ""},
		{"bad proto", "SSH-x.0-OpenSSH_9.2\r\n", false, "", "", ""},
		{"empty software", "SSH-2.0-\r\n", false, "", "", ""},
		{"escape", "SSH-2.0-Open\x1b[31mSSH\r\n", false, "", "", ""},
		{"escape before", "\x1b[2J\r\nSSH-2.0-OpenSSH_9.2\r\n", false, "", "", ""},
		{"not ssh", "220 ftp ready\r\n", false, "", "", ""},
		{"empty", "", false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := parseSSHIdent([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("parseSSHIdent(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			p, v := sshProduct(id)
			if id.proto != tt.proto || p != tt.product || v != tt.version {
				t.Errorf("got proto %q product %q version %q, want %q %q %q", id.proto, p, v, tt.proto, tt.product, tt.version)
			}
		})
	}
}

func FuzzParseSSHIdent(f *testing.F) {
	for _, s := range []string{"SSH-2.0-OpenSSH_9.2p1 Debian\r\n", "SSH-1.99-x_1\n", "SSH-2.0-9.9 FlowSsh", "a\nSSH-2.0-_1\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := parseSSHIdent(b)
		if err == nil {
			sshProduct(id)
		}
	})
}
