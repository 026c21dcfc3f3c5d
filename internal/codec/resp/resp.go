// Package resp reads and writes RESP2 (the Redis serialization protocol):
// commands, any answer (Parse), bulk strings and the "key:value" lines of
// an INFO answer. It is vigil's one RESP reader, for identification, access
// audits, host audits and fixes alike. It never panics on hostile input.
package resp

import (
	"bytes"
	"errors"
	"fmt"
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
	v, _, err := Parse(b, DefaultLimits)
	if err != nil || v.Type != '$' || v.Null {
		return nil, false
	}
	return v.Text, true
}

// Complete reports whether b holds a whole RESP value, or a whole line
// of something that is not RESP.
func Complete(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if !bytes.ContainsRune([]byte("+-:$*"), rune(b[0])) {
		return bytes.IndexByte(b, '\n') >= 0
	}
	_, _, err := Parse(b, DefaultLimits)
	return !errors.Is(err, ErrIncomplete)
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

// ErrIncomplete means b does not yet hold a whole value: read more.
var ErrIncomplete = errors.New("incomplete RESP value")

// Value is one RESP2 value.
type Value struct {
	// Type is the value's first byte: '+' simple string, '-' error, ':'
	// integer, '$' bulk string, '*' array.
	Type byte
	// Text is the line after the type byte of a simple string, an error or
	// an integer, or the payload of a bulk string. It aliases the input.
	Text []byte
	// Null marks a null bulk string ($-1) or a null array (*-1).
	Null bool
	// Elems are an array's values.
	Elems []Value
}

// IsError reports whether v is an error answer ("-ERR …", "-NOAUTH …").
func (v Value) IsError() bool { return v.Type == '-' }

// Limits bound what Parse accepts from a server.
type Limits struct {
	// MaxBulk caps a bulk string's length and a line's length.
	MaxBulk int
	// MaxArray caps an array's number of elements.
	MaxArray int
	// MaxDepth caps how deep arrays nest: 1 allows an array of scalars.
	MaxDepth int
}

// DefaultLimits suit the answers of the commands vigil sends.
var DefaultLimits = Limits{MaxBulk: 1 << 20, MaxArray: 1 << 16, MaxDepth: 8}

// Parse reads one RESP2 value at the start of b and returns it with the
// number of bytes it took. It returns ErrIncomplete when b is only the
// start of a value, and another error when b is not RESP or breaks lim.
// Every length is checked against b and lim: it never panics on hostile
// input.
func Parse(b []byte, lim Limits) (Value, int, error) {
	return parse(b, lim, 0)
}

func parse(b []byte, lim Limits, depth int) (Value, int, error) {
	if len(b) == 0 {
		return Value{}, 0, ErrIncomplete
	}
	line, rest, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok {
		if len(b) > lim.MaxBulk+16 {
			return Value{}, 0, errors.New("RESP line too long")
		}
		return Value{}, 0, ErrIncomplete
	}
	hdr := len(line) + 2
	if len(line) > lim.MaxBulk+16 {
		return Value{}, hdr, errors.New("RESP line too long")
	}
	if len(line) == 0 {
		return Value{}, hdr, errors.New("empty RESP line")
	}
	body := line[1:]
	switch t := line[0]; t {
	case '+', '-':
		return Value{Type: t, Text: body}, hdr, nil
	case ':':
		if _, err := strconv.ParseInt(string(body), 10, 64); err != nil {
			return Value{}, hdr, fmt.Errorf("bad RESP integer %q", clip(body))
		}
		return Value{Type: t, Text: body}, hdr, nil
	case '$':
		n, err := strconv.Atoi(string(body))
		if err != nil || n < -1 || n > lim.MaxBulk {
			return Value{}, hdr, fmt.Errorf("bad RESP bulk length %q", clip(body))
		}
		if n == -1 {
			return Value{Type: t, Null: true}, hdr, nil
		}
		if len(rest) < n+2 {
			return Value{}, 0, ErrIncomplete
		}
		if rest[n] != '\r' || rest[n+1] != '\n' {
			return Value{}, hdr, errors.New("RESP bulk string not followed by CRLF")
		}
		return Value{Type: t, Text: rest[:n]}, hdr + n + 2, nil
	case '*':
		if depth >= lim.MaxDepth {
			return Value{}, hdr, fmt.Errorf("RESP arrays nested deeper than %d", lim.MaxDepth)
		}
		n, err := strconv.Atoi(string(body))
		if err != nil || n < -1 || n > lim.MaxArray {
			return Value{}, hdr, fmt.Errorf("bad RESP array length %q", clip(body))
		}
		if n == -1 {
			return Value{Type: t, Null: true}, hdr, nil
		}
		v := Value{Type: t, Elems: []Value{}}
		used := hdr
		for range n {
			e, m, err := parse(b[used:], lim, depth+1)
			if err != nil {
				if errors.Is(err, ErrIncomplete) {
					return Value{}, 0, err
				}
				return Value{}, used + m, err
			}
			v.Elems = append(v.Elems, e)
			used += m
		}
		return v, used, nil
	}
	return Value{}, hdr, fmt.Errorf("not a RESP value: %q", clip(line))
}

// clip shortens server bytes quoted in an error.
func clip(b []byte) string { return string(b[:min(len(b), 40)]) }
