package identify

import (
	"encoding/binary"
	"testing"
)

// pgMsg builds one backend message.
func pgMsg(typ byte, body []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint32(b, uint32(len(body)+4))
	return append(b, body...)
}

func pgAuth(code uint32, extra string) []byte {
	return pgMsg('R', append(binary.BigEndian.AppendUint32(nil, code), extra...))
}

func pgError(fields ...string) []byte {
	var b []byte
	for _, f := range fields {
		b = append(append(b, f...), 0)
	}
	return pgMsg('E', append(b, 0))
}

func pgParam(k, v string) []byte { return pgMsg('S', []byte(k+"\x00"+v+"\x00")) }

func TestPGRequests(t *testing.T) {
	if got := pgSSLRequest(); string(got) != "\x00\x00\x00\x08\x04\xd2\x16\x2f" {
		t.Errorf("SSLRequest = %x", got)
	}
	s := pgStartup()
	if int(binary.BigEndian.Uint32(s)) != len(s) || binary.BigEndian.Uint32(s[4:]) != 3<<16 || s[len(s)-1] != 0 || s[len(s)-2] != 0 {
		t.Errorf("StartupMessage = %q", s)
	}
}

func TestParsePGStartupAnswer(t *testing.T) {
	tests := []struct {
		name       string
		in         []byte
		ok, done   bool
		auth, code string
		version    string
	}{
		{"scram", pgAuth(10, "SCRAM-SHA-256\x00SCRAM-SHA-256-PLUS\x00\x00"), true, true, "sasl SCRAM-SHA-256,SCRAM-SHA-256-PLUS", "", ""},
		{"md5", pgAuth(5, "salt"), true, true, "md5", "", ""},
		{"cleartext", pgAuth(3, ""), true, true, "cleartext", "", ""},
		{"no role", pgError("SFATAL", "VFATAL", "C28000", `Mrole "vigil" does not exist`, "Fauth.c", "L123", "RInitializeSessionUserId"), true, true, "", "28000", ""},
		{"trust then params", concatAll(pgAuth(0, ""), pgParam("server_version", "15.5 (Debian 15.5-0+deb12u1)"), pgMsg('K', make([]byte, 8)), pgMsg('Z', []byte("I"))), true, true, "ok", "", "15.5 (Debian 15.5-0+deb12u1)"},
		{"trust awaiting rest", concatAll(pgAuth(0, ""), pgParam("server_version", "15.5")), true, false, "ok", "", "15.5"},
		{"partial", pgAuth(10, "SCRAM")[:6], false, false, "", "", ""},
		{"error without code", pgError("SFATAL", "Mno"), false, true, "", "", ""},
		{"unknown auth", pgAuth(99, ""), false, true, "", "", ""},
		{"http", []byte("HTTP/1.1 400 Bad Request\r\n"), false, true, "", "", ""},
		{"huge length", []byte{'R', 0x7f, 0, 0, 0, 0}, false, true, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pgAnswerComplete(tt.in); got != tt.done {
				t.Errorf("pgAnswerComplete = %v, want %v", got, tt.done)
			}
			a, err := parsePGStartupAnswer(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("error = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if a.auth != tt.auth || a.errFields['C'] != tt.code || a.serverVersion != tt.version {
				t.Errorf("got auth %q code %q version %q", a.auth, a.errFields['C'], a.serverVersion)
			}
		})
	}
}

func concatAll(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func FuzzParsePGStartupAnswer(f *testing.F) {
	f.Add(pgAuth(10, "SCRAM-SHA-256\x00\x00"))
	f.Add(pgError("SFATAL", "C28000", "Mx"))
	f.Add(concatAll(pgAuth(0, ""), pgParam("server_version", "15.5"), pgMsg('Z', []byte("I"))))
	f.Fuzz(func(t *testing.T, b []byte) {
		pgAnswerComplete(b)
		parsePGStartupAnswer(b)
	})
}
