// Package reply parses the numbered text replies of FTP (RFC 959 section
// 4.2) and SMTP (RFC 5321 section 4.2): "220 text", or a multi-line
// "220-first … 220 last". It never panics on hostile input.
package reply

import (
	"bytes"
	"strings"
)

// Reply is one numbered reply.
type Reply struct {
	Code     int
	Lines    []string // text after the code and its separator
	Complete bool     // the last line of a multi-line reply arrived
}

// Text returns the reply's lines joined with a space.
func (r Reply) Text() string { return strings.Join(r.Lines, " ") }

// SplitLines splits b into lines without their CR LF; a last line without
// LF is returned too, and partial reports whether it was.
func SplitLines(b []byte) (lines [][]byte, partial bool) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return append(lines, b), true
		}
		lines = append(lines, bytes.TrimSuffix(b[:i], []byte("\r")))
		b = b[i+1:]
	}
	return lines, false
}

// Code returns the three-digit code starting line and the separator after
// it (' ', '-' or 0 at the end of the line), or ok false.
func Code(line []byte) (code int, sep byte, ok bool) {
	if len(line) < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) || line[0] == '0' {
		return 0, 0, false
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if len(line) == 3 {
		return code, 0, true
	}
	if line[3] != ' ' && line[3] != '-' {
		return 0, 0, false
	}
	return code, line[3], true
}

// Parse parses the numbered replies in b, stopping at the first line that
// is not part of one. The last reply may be incomplete.
func Parse(b []byte) []Reply {
	lines, partial := SplitLines(b)
	if partial {
		lines = lines[:len(lines)-1]
	}
	var out []Reply
	for i := 0; i < len(lines); i++ {
		code, sep, ok := Code(lines[i])
		if !ok {
			break
		}
		r := Reply{Code: code, Lines: []string{string(after(lines[i], 4))}, Complete: sep != '-'}
		for !r.Complete && i+1 < len(lines) {
			i++
			c, s, ok := Code(lines[i])
			if ok && c == code && s != '-' {
				r.Lines = append(r.Lines, string(after(lines[i], 4)))
				r.Complete = true
				break
			}
			if ok && c == code {
				r.Lines = append(r.Lines, string(after(lines[i], 4)))
			} else {
				// RFC 959 allows un-numbered lines inside a multi-line reply.
				r.Lines = append(r.Lines, string(lines[i]))
			}
		}
		out = append(out, r)
		if !r.Complete {
			break
		}
	}
	return out
}

// Complete reports whether b holds at least one whole line and, when it
// starts a multi-line numbered reply ("220-…"), the reply's last line.
func Complete(b []byte) bool {
	if bytes.IndexByte(b, '\n') < 0 {
		return false
	}
	_, sep, ok := Code(b)
	if !ok || sep != '-' {
		return true
	}
	rs := Parse(b)
	return len(rs) > 0 && rs[0].Complete
}

func after(b []byte, n int) []byte {
	if len(b) <= n {
		return nil
	}
	return b[n:]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
