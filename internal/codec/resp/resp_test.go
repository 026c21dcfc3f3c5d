package resp

import (
	"strconv"
	"testing"
)

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func TestCommand(t *testing.T) {
	if got := string(Command("INFO", "server")); got != "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n" {
		t.Errorf("Command = %q", got)
	}
}

func TestParseInfo(t *testing.T) {
	in := bulk("# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux 6.1.0 x86_64\r\n")
	if !Complete([]byte(in)) || Complete([]byte(in[:20])) {
		t.Error("Complete")
	}
	info, err := ParseInfo([]byte(in))
	if err != nil || info["redis_version"] != "7.0.15" || info["redis_mode"] != "standalone" || len(info) != 3 {
		t.Errorf("ParseInfo = %v, %v", info, err)
	}
	for _, bad := range []string{"-NOPERM x\r\n", "$-1\r\n", "$99\r\nshort", "+OK\r\n"} {
		if _, err := ParseInfo([]byte(bad)); err == nil {
			t.Errorf("ParseInfo(%q) succeeded", bad)
		}
	}
	for _, done := range []string{"-NOPERM x\r\n", "$-1\r\n", ":12\r\n"} {
		if !Complete([]byte(done)) {
			t.Errorf("Complete(%q) = false", done)
		}
	}
}

func FuzzParseInfo(f *testing.F) {
	f.Add([]byte(bulk("# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n")))
	f.Add([]byte("-NOAUTH Authentication required.\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Complete(b)
		ParseInfo(b)
	})
}
