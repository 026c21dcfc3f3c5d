package reply

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		codes    []int
		complete bool // of the last reply
		lines    int  // of the first reply
	}{
		{"single", "220 ready\r\n", []int{220}, true, 1},
		{"multi", "220-a\r\n220-b\r\n220 c\r\n", []int{220}, true, 3},
		{"multi unnumbered", "220-a\r\n  b\r\n220 c\r\n", []int{220}, true, 3},
		{"multi incomplete", "220-a\r\n220-b\r\n", []int{220}, false, 2},
		{"two replies", "220 hi\r\n502 5.5.2 no\r\n", []int{220, 502}, true, 1},
		{"bare code", "220\r\n", []int{220}, true, 1},
		{"partial line ignored", "220 hi\r\n50", []int{220}, true, 1},
		{"not numbered", "hello\r\n", nil, false, 0},
		{"leading zero", "020 x\r\n", nil, false, 0},
		{"bad separator", "220x\r\n", nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := Parse([]byte(tt.in))
			if len(rs) != len(tt.codes) {
				t.Fatalf("got %d replies %+v, want %d", len(rs), rs, len(tt.codes))
			}
			for i, c := range tt.codes {
				if rs[i].Code != c {
					t.Errorf("reply %d code %d, want %d", i, rs[i].Code, c)
				}
			}
			if len(rs) > 0 {
				if rs[len(rs)-1].Complete != tt.complete {
					t.Errorf("complete = %v, want %v", rs[len(rs)-1].Complete, tt.complete)
				}
				if len(rs[0].Lines) != tt.lines {
					t.Errorf("first reply has %d lines, want %d", len(rs[0].Lines), tt.lines)
				}
			}
		})
	}
	if r := Parse([]byte("250-mx.example.org\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"))[0]; r.Text() != "mx.example.org AUTH PLAIN STARTTLS" {
		t.Errorf("Text = %q", r.Text())
	}
}

func TestComplete(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"220 x\r\n", true},
		{"220 x", false},
		{"220-x\r\n", false},
		{"220-x\r\n220 y\r\n", true},
		{"SSH-2.0-x\r\n", true},
		{"", false},
	}
	for _, tt := range tests {
		if got := Complete([]byte(tt.in)); got != tt.want {
			t.Errorf("Complete(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSplitLines(t *testing.T) {
	lines, partial := SplitLines([]byte("a\r\nb\nc"))
	if len(lines) != 3 || string(lines[0]) != "a" || string(lines[1]) != "b" || string(lines[2]) != "c" || !partial {
		t.Errorf("SplitLines = %q %v", lines, partial)
	}
	if lines, partial := SplitLines([]byte("a\r\n")); len(lines) != 1 || partial {
		t.Errorf("SplitLines = %q %v", lines, partial)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"220 x\r\n", "220-a\r\n b\r\n220 c\r\n", "220 Welcome\r\n530 x\r\n", "554 5.7.1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range Parse(b) {
			if r.Code < 100 || r.Code > 999 || len(r.Lines) == 0 {
				t.Fatalf("reply %+v", r)
			}
			_ = r.Text()
		}
		Complete(b)
		SplitLines(b)
	})
}
