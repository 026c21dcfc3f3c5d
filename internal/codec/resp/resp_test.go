package resp

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
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

func TestParse(t *testing.T) {
	small := Limits{MaxBulk: 64, MaxArray: 4, MaxDepth: 1}
	tests := []struct {
		name string
		in   string
		lim  Limits
		want Value
		n    int
		err  string
	}{
		{"simple", "+OK\r\nrest", DefaultLimits, Value{Type: '+', Text: []byte("OK")}, 5, ""},
		{"error", "-NOAUTH Authentication required.\r\n", DefaultLimits, Value{Type: '-', Text: []byte("NOAUTH Authentication required.")}, 34, ""},
		{"integer", ":42\r\n", DefaultLimits, Value{Type: ':', Text: []byte("42")}, 5, ""},
		{"bulk", "$5\r\nhello\r\n", DefaultLimits, Value{Type: '$', Text: []byte("hello")}, 11, ""},
		{"empty bulk", "$0\r\n\r\n", DefaultLimits, Value{Type: '$', Text: []byte{}}, 6, ""},
		{"null bulk", "$-1\r\n", DefaultLimits, Value{Type: '$', Null: true}, 5, ""},
		{"null array", "*-1\r\n", DefaultLimits, Value{Type: '*', Null: true}, 5, ""},
		{"array", "*2\r\n$4\r\nbind\r\n:1\r\n", DefaultLimits, Value{Type: '*', Elems: []Value{{Type: '$', Text: []byte("bind")}, {Type: ':', Text: []byte("1")}}}, 18, ""},
		{"nested", "*1\r\n*1\r\n+x\r\n", DefaultLimits, Value{Type: '*', Elems: []Value{{Type: '*', Elems: []Value{{Type: '+', Text: []byte("x")}}}}}, 12, ""},
		{"too deep", "*1\r\n*1\r\n+x\r\n", small, Value{}, 0, "nested"},
		{"array cut", "*2\r\n$4\r\nbind\r\n", DefaultLimits, Value{}, 0, "incomplete"},
		{"bulk cut", "$5\r\nhel", DefaultLimits, Value{}, 0, "incomplete"},
		{"no line", "+OK", DefaultLimits, Value{}, 0, "incomplete"},
		{"empty", "", DefaultLimits, Value{}, 0, "incomplete"},
		{"no CRLF after bulk", "$5\r\nhelloXY", DefaultLimits, Value{}, 0, "CRLF"},
		{"bulk too long", "$65\r\n", small, Value{}, 0, "bulk length"},
		{"negative bulk", "$-2\r\n", DefaultLimits, Value{}, 0, "bulk length"},
		{"array too long", "*5\r\n", small, Value{}, 0, "array length"},
		{"bad integer", ":x\r\n", DefaultLimits, Value{}, 0, "integer"},
		{"unknown type", "?\r\n", DefaultLimits, Value{}, 0, "not a RESP value"},
		{"empty line", "\r\n", DefaultLimits, Value{}, 0, "empty"},
		{"line too long", "+" + strings.Repeat("a", 100), small, Value{}, 0, "too long"},
	}
	for _, tc := range tests {
		got, n, err := Parse([]byte(tc.in), tc.lim)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			if tc.err == "incomplete" && !errors.Is(err, ErrIncomplete) {
				t.Errorf("%s: %v is not ErrIncomplete", tc.name, err)
			}
			continue
		}
		if err != nil || n != tc.n || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %d, %v; want %+v, %d", tc.name, got, n, err, tc.want, tc.n)
		}
	}
	if v, _, _ := Parse([]byte("-ERR x\r\n"), DefaultLimits); !v.IsError() {
		t.Error("an error answer is not IsError")
	}
	if v, _, _ := Parse([]byte("+OK\r\n"), DefaultLimits); v.IsError() {
		t.Error("+OK is IsError")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "*2\r\n$4\r\nbind\r\n$1\r\nx\r\n", "$-1\r\n", "-ERR x\r\n", ":1\r\n", "*3\r\n:1\r\n+a\r\n$0\r\n\r\n", "*1\r\n*1\r\n*-1\r\n"} {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBulk: 1 << 10, MaxArray: 64, MaxDepth: 3}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := Parse(b, lim)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		var walk func(v Value, depth int)
		walk = func(v Value, depth int) {
			if len(v.Elems) > lim.MaxArray || len(v.Text) > lim.MaxBulk+16 || depth > lim.MaxDepth {
				t.Fatalf("value beyond the limits: %+v", v)
			}
			for _, e := range v.Elems {
				walk(e, depth+1)
			}
		}
		walk(v, 0)
	})
}
