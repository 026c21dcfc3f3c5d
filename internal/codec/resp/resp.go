// Package resp reads the parts of RESP (the Redis serialization protocol)
// that vigil needs: bulk strings, error lines and the "key:value" lines of
// an INFO answer. It never panics on hostile input.
package resp

import (
	"bytes"
	"errors"
	"strconv"
)

// ErrNotBulk means an answer is not a complete bulk string.
var ErrNotBulk = errors.New("answer is not a RESP bulk string")

// Command encodes a command as a RESP array of bulk strings.
func Command(args ...string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(append(b, a...), "\r\n"...)
	}
	return b
}

// Bulk returns the payload of a complete bulk string at the start of b.
func Bulk(b []byte) ([]byte, bool) {
	if len(b) == 0 || b[0] != '$' {
		return nil, false
	}
	hdr, rest, ok := bytes.Cut(b[1:], []byte("\r\n"))
	if !ok {
		return nil, false
	}
	n, err := strconv.Atoi(string(hdr))
	if err != nil || n < 0 || n > len(rest) {
		return nil, false
	}
	return rest[:n], true
}

// Complete reports whether b is a whole bulk string, or a whole line of
// any other kind (an error, a simple string, an integer).
func Complete(b []byte) bool {
	if len(b) > 0 && b[0] != '$' {
		return bytes.IndexByte(b, '\n') >= 0
	}
	if len(b) > 0 && bytes.HasPrefix(b, []byte("$-1\r\n")) {
		return true
	}
	_, ok := Bulk(b)
	return ok
}

// ParseInfo parses the "key:value" lines of an INFO answer; comment lines
// ("# Server") are skipped.
func ParseInfo(b []byte) (map[string]string, error) {
	payload, ok := Bulk(b)
	if !ok {
		return nil, ErrNotBulk
	}
	info := map[string]string{}
	for line := range bytes.Lines(payload) {
		line = bytes.TrimRight(line, "\r\n")
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && len(k) > 0 && k[0] != '#' {
			info[string(k)] = string(v)
		}
	}
	return info, nil
}
