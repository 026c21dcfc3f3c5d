package tlsinfo

import "testing"

func TestParseVersion(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint16
	}{
		{"TLS1.2", VersionTLS12}, {"TLS 1.2", VersionTLS12}, {"TLSv1.2", VersionTLS12}, {"tls12", VersionTLS12},
		{"0x0303", VersionTLS12}, {"771", VersionTLS12}, {"TLSv1", VersionTLS10}, {"TLS1.0", VersionTLS10},
		{"TLS_1_1", VersionTLS11}, {"TLSv1.3", VersionTLS13}, {"SSLv3", VersionSSL3}, {"SSL 3.0", VersionSSL3},
		{"SSLv2", VersionSSL2}, {"0x0002", VersionSSL2},
	} {
		got, err := ParseVersion(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseVersion(%q) = %#04x, %v; want %#04x", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "TLS1.4", "0x0305", "1.2", "tls", "SSLv4", "999"} {
		if v, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) = %#04x, want an error", bad, v)
		}
	}
}

func TestVersionNameAndLabel(t *testing.T) {
	for _, x := range versionNames {
		if VersionName(x.v) != x.name {
			t.Errorf("VersionName(%#04x) = %q", x.v, VersionName(x.v))
		}
		if v, err := ParseVersion(x.name); err != nil || v != x.v {
			t.Errorf("name %q does not parse back", x.name)
		}
		if VersionLabel(x.name) != x.label || VersionLabel(x.label) != x.label {
			t.Errorf("VersionLabel(%q) = %q, want %q", x.name, VersionLabel(x.name), x.label)
		}
	}
	if VersionName(0x7f1c) != "version 0x7f1c" || VersionLabel("QUIC") != "QUIC" {
		t.Error("unknown versions")
	}
}
