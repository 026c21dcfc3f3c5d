// Package textout holds the small pieces every plain-text renderer needs:
// wrapping and indenting for a terminal, and a writer that keeps the first
// error so rendering code stays linear.
package textout

import (
	"fmt"
	"io"
	"strings"
)

// Wrap breaks text into lines of at most width runes at spaces; line breaks
// in the text start new lines.
func Wrap(s string, width int) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var line []string
		n := 0
		for _, word := range strings.Fields(para) {
			wl := len([]rune(word))
			if n > 0 && n+1+wl > width {
				lines = append(lines, strings.Join(line, " "))
				line, n = nil, 0
			}
			if n > 0 {
				n++
			}
			line = append(line, word)
			n += wl
		}
		lines = append(lines, strings.Join(line, " "))
	}
	return lines
}

// Indent joins lines, each indented by n spaces.
func Indent(lines []string, n int) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.Join(lines, "\n"+pad)
}

// Writer keeps the first write error; later writes do nothing.
type Writer struct {
	W   io.Writer
	Err error
}

// Write implements io.Writer.
func (e *Writer) Write(p []byte) (int, error) {
	if e.Err != nil {
		return 0, e.Err
	}
	n, err := e.W.Write(p)
	e.Err = err
	return n, err
}

// Printf formats to the writer.
func (e *Writer) Printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
