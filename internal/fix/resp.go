package fix

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/vigilsec/vigil/internal/sanitize"
)

// errIncomplete means more bytes are needed for a whole answer.
var errIncomplete = errors.New("incomplete Redis answer")

// maxArray caps the elements of an array answer.
const maxArray = 1024

// parseReply reads one RESP2 answer at the start of b: a simple string,
// an integer, a bulk string (a null one is ""), or an array of those
// (CONFIG GET). An error answer ("-ERR …") is returned as an error. n is how
// many bytes the answer took. The bytes come from a server: every length is
// checked.
func parseReply(b []byte) (vals []string, n int, err error) {
	v, n, err := parseElement(b, true)
	if err != nil {
		return nil, n, err
	}
	return v, n, nil
}

func parseElement(b []byte, top bool) ([]string, int, error) {
	if len(b) == 0 {
		return nil, 0, errIncomplete
	}
	line, rest, ok := bytes.Cut(b, []byte("\r\n"))
	if !ok {
		if len(b) > maxRedisReply {
			return nil, 0, errors.New("Redis answer line too long")
		}
		return nil, 0, errIncomplete
	}
	hdr := len(line) + 2
	if len(line) == 0 {
		return nil, hdr, errors.New("empty Redis answer line")
	}
	body := string(line[1:])
	switch line[0] {
	case '+':
		return []string{sanitize.String(body, 1024)}, hdr, nil
	case '-':
		return nil, hdr, fmt.Errorf("Redis answered: %s", sanitize.String(body, 300))
	case ':':
		if _, err := strconv.ParseInt(body, 10, 64); err != nil {
			return nil, hdr, fmt.Errorf("bad Redis integer %q", sanitize.String(body, 40))
		}
		return []string{body}, hdr, nil
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxRedisReply {
			return nil, hdr, fmt.Errorf("bad Redis bulk length %q", sanitize.String(body, 40))
		}
		if n == -1 {
			return []string{""}, hdr, nil
		}
		if len(rest) < n+2 {
			return nil, 0, errIncomplete
		}
		if rest[n] != '\r' || rest[n+1] != '\n' {
			return nil, hdr, errors.New("Redis bulk string not followed by CRLF")
		}
		return []string{sanitize.String(string(rest[:n]), 4096)}, hdr + n + 2, nil
	case '*':
		if !top {
			return nil, hdr, errors.New("nested Redis arrays are not expected here")
		}
		n, err := strconv.Atoi(body)
		if err != nil || n < -1 || n > maxArray {
			return nil, hdr, fmt.Errorf("bad Redis array length %q", sanitize.String(body, 40))
		}
		var vals []string
		used := hdr
		for i := 0; i < n; i++ {
			v, m, err := parseElement(b[used:], false)
			if err != nil {
				return nil, 0, err
			}
			vals = append(vals, v...)
			used += m
		}
		return vals, used, nil
	}
	return nil, hdr, fmt.Errorf("not a Redis answer: %q", sanitize.String(string(line), 40))
}
