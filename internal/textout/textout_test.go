package textout

import (
	"errors"
	"slices"
	"testing"
)

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  []string
	}{
		{"a bb ccc dddd", 6, []string{"a bb", "ccc", "dddd"}},
		{"one\ntwo three", 20, []string{"one", "two three"}},
		{"averyveryverylongword x", 5, []string{"averyveryverylongword", "x"}},
		{"", 10, []string{""}},
	}
	for _, tt := range tests {
		if got := Wrap(tt.in, tt.width); !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
	if got := Indent([]string{"a", "b"}, 2); got != "  a\n  b" {
		t.Errorf("Indent = %q", got)
	}
}

type failing struct{ n int }

func (f *failing) Write(p []byte) (int, error) { f.n++; return 0, errors.New("disk full") }

func TestWriterKeepsTheFirstError(t *testing.T) {
	f := &failing{}
	w := &Writer{W: f}
	w.Printf("x")
	w.Printf("y")
	if w.Err == nil || f.n != 1 {
		t.Errorf("err %v after %d writes; want an error after exactly one", w.Err, f.n)
	}
}
