package identify

import "testing"

func TestParseRedisPing(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"+PONG\r\n", "none", true},
		{"-NOAUTH Authentication required.\r\n", "required", true},
		{"-DENIED Redis is running in protected mode because protected mode is enabled\r\n", "protected-mode", true},
		{"-NOPERM User default has no permissions to run the 'ping' command\r\n", "acl", true},
		{"-ERR unknown command\r\n", "", false},
		{"+PONG", "", false},
		{"+OK\r\n", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := parseRedisPing([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseRedisPing(%q) = %q, %v; want %q ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLineDone(t *testing.T) {
	tests := []struct {
		in              string
		redis, memcache bool
	}{
		{"+PONG\r\n", true, true},
		{"+PON", false, true},
		{"-NOAUTH", false, true},
		{"VERSION 1.6", true, false},
		{"VERSION 1.6.18\r\n", true, true},
		{"\x16\x03\x03", true, true},
		{"", false, false},
	}
	for _, tt := range tests {
		if got := redisLineDone([]byte(tt.in)); got != tt.redis {
			t.Errorf("redisLineDone(%q) = %v", tt.in, got)
		}
		if got := memcachedLineDone([]byte(tt.in)); got != tt.memcache {
			t.Errorf("memcachedLineDone(%q) = %v", tt.in, got)
		}
	}
}

func TestParseMemcachedVersion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"VERSION 1.6.18\r\n", "1.6.18", true},
		{"VERSION 1.4.5-custom\r\n", "1.4.5-custom", true},
		{"ERROR\r\n", "", false},
		{"VERSION \r\n", "", false},
		{"VERSION 1.6", "", false},
		{"VERSION \x1b[0m\r\n", "", false},
	}
	for _, tt := range tests {
		got, err := parseMemcachedVersion([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseMemcachedVersion(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func FuzzParseRedisPing(f *testing.F) {
	f.Add([]byte("+PONG\r\n"))
	f.Add([]byte("-NOAUTH Authentication required.\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseRedisPing(b)
	})
}

func FuzzParseMemcachedVersion(f *testing.F) {
	f.Add([]byte("VERSION 1.6.18\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseMemcachedVersion(b)
	})
}
