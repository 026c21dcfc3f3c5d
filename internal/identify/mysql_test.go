package identify

import (
	"encoding/binary"
	"testing"
)

// mysqlHandshakeV10 builds an initial handshake packet as a server sends it.
func mysqlHandshakeV10(version string, caps uint32, plugin string) []byte {
	p := []byte{10}
	p = append(append(p, version...), 0)
	p = binary.LittleEndian.AppendUint32(p, 42)               // thread id
	p = append(p, "abcdefgh"...)                              // auth data part 1
	p = append(p, 0)                                          // filler
	p = binary.LittleEndian.AppendUint16(p, uint16(caps))     // capabilities lower
	p = append(p, 45)                                         // charset
	p = binary.LittleEndian.AppendUint16(p, 2)                // status
	p = binary.LittleEndian.AppendUint16(p, uint16(caps>>16)) // capabilities upper
	p = append(p, 21)                                         // auth data length
	p = append(p, make([]byte, 10)...)                        // reserved
	p = append(p, "ijklmnopqrst\x00"...)                      // auth data part 2 (13)
	p = append(append(p, plugin...), 0)
	return mysqlPacket(0, p)
}

func mysqlPacket(seq byte, payload []byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

func TestParseMySQLHandshake(t *testing.T) {
	const caps = 0x81fffffe // as MariaDB 10.11 sends with TLS on: CLIENT_SSL (0x800) set
	tests := []struct {
		name             string
		in               []byte
		ok               bool
		product, version string
		ssl              string
		plugin           string
	}{
		{"mariadb 5.5.5 prefix", mysqlHandshakeV10("5.5.5-10.11.6-MariaDB-0+deb12u1", caps, "mysql_native_password"), true, "MariaDB", "10.11.6", "true", "mysql_native_password"},
		{"mariadb 11", mysqlHandshakeV10("11.4.2-MariaDB", caps&^mysqlClientSSL, "mysql_native_password"), true, "MariaDB", "11.4.2", "false", "mysql_native_password"},
		{"mysql 8", mysqlHandshakeV10("8.0.35-0ubuntu0.22.04.1", caps, "caching_sha2_password"), true, "MySQL", "8.0.35", "true", "caching_sha2_password"},
		{"error packet", mysqlPacket(0, append([]byte{0xff, 0x6a, 0x04}, "Host '10.0.0.9' is not allowed to connect to this MariaDB server"...)), true, "MariaDB", "", "", ""},
		{"short v10", mysqlPacket(0, []byte{10, '5', 0, 1, 2}), false, "", "", "", ""},
		{"cut short", mysqlHandshakeV10("8.0.35", caps, "x")[:20], false, "", "", "", ""},
		{"wrong sequence", append([]byte{5, 0, 0, 1}, 10, '8', 0, 0, 0), false, "", "", "", ""},
		{"text", []byte("SSH-2.0-OpenSSH\r\n"), false, "", "", "", ""},
		{"error with control bytes", mysqlPacket(0, append([]byte{0xff, 0x6a, 0x04}, "bad\x1b[0m"...)), false, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService()
			_, err := matchMySQL(tt.in, &s)
			if (err == nil) != tt.ok {
				t.Fatalf("matchMySQL error = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if s.Name != "mysql" || s.Product != tt.product || s.Version != tt.version ||
				s.Detail("mysql.ssl") != tt.ssl || s.Detail("mysql.auth-plugin") != tt.plugin {
				t.Errorf("got %s %q %q ssl %q plugin %q details %v", s.Name, s.Product, s.Version, s.Detail("mysql.ssl"), s.Detail("mysql.auth-plugin"), s.Details)
			}
		})
	}
}

func TestMySQLBannerComplete(t *testing.T) {
	full := mysqlHandshakeV10("8.0.35", 0xffffffff, "caching_sha2_password")
	if bannerComplete(full[:30]) {
		t.Error("partial handshake reported complete")
	}
	if !bannerComplete(full) {
		t.Error("whole handshake not complete")
	}
}

func FuzzParseMySQLHandshake(f *testing.F) {
	f.Add(mysqlHandshakeV10("5.5.5-10.11.6-MariaDB", 0xf7fef7ff, "mysql_native_password"))
	f.Add(mysqlPacket(0, append([]byte{0xff, 0x10, 0x04}, "#HY000Too many connections"...)))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newService()
		if _, err := matchMySQL(b, &s); err == nil {
			assertPrintable(t, s)
		}
	})
}
