// Package httpmsg builds HTTP/1.1 GET requests and parses the (possibly
// truncated) responses read off a connection with a size cap (RFC 9112).
// It never panics on hostile input.
package httpmsg

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// MaxHeaders caps the header lines kept from one response.
const MaxHeaders = 200

// ErrNotHTTP means the bytes are not an HTTP/1.x response.
var ErrNotHTTP = errors.New("not an HTTP response")

// Response is the part of an HTTP/1.x response vigil uses.
type Response struct {
	StatusLine string
	Status     int
	Header     map[string][]string // lower-case names
	Body       []byte              // de-chunked, possibly cut at the size cap
}

// Get returns the first value of header name (lower case), or "".
func (r Response) Get(name string) string {
	if v := r.Header[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// HeaderEnd returns the offset of the first body byte of an HTTP message,
// or -1 when the header section is not complete.
func HeaderEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		return i + 2
	}
	return -1
}

// lines splits b into lines without their CR LF; a last line without LF is
// returned too.
func lines(b []byte) (out [][]byte, partial bool) {
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return append(out, b), true
		}
		out = append(out, bytes.TrimSuffix(line, []byte("\r")))
		b = rest
	}
	return out, false
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

// Parse parses a (possibly truncated) HTTP/1.x response.
func Parse(b []byte) (Response, error) {
	if !bytes.HasPrefix(b, []byte("HTTP/")) {
		return Response{}, fmt.Errorf("%w: no status line", ErrNotHTTP)
	}
	ls, partial := lines(b)
	if partial && len(ls) == 1 {
		return Response{}, fmt.Errorf("%w: status line cut short", ErrNotHTTP)
	}
	sl := ls[0]
	proto, rest, _ := bytes.Cut(sl, []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	if len(proto) < 8 || proto[5] < '0' || proto[5] > '9' || len(code) != 3 || !allDigits(code) {
		return Response{}, fmt.Errorf("%w: bad status line", ErrNotHTTP)
	}
	r := Response{StatusLine: string(sl), Header: map[string][]string{}}
	r.Status, _ = strconv.Atoi(string(code))
	end := HeaderEnd(b)
	hdr := ls[1:]
	if end >= 0 {
		hdr, _ = lines(b[:end])
		hdr = hdr[1:]
	}
	for i, line := range hdr {
		if len(line) == 0 || i >= MaxHeaders {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		k := strings.ToLower(string(bytes.TrimSpace(name)))
		r.Header[k] = append(r.Header[k], string(bytes.TrimSpace(value)))
	}
	if end >= 0 {
		body := b[end:]
		if strings.EqualFold(r.Get("transfer-encoding"), "chunked") {
			body = Dechunk(body)
		} else if n, err := strconv.Atoi(r.Get("content-length")); err == nil && n >= 0 && n < len(body) {
			body = body[:n]
		}
		r.Body = body
	}
	return r, nil
}

// Dechunk decodes a chunked body as far as it goes.
func Dechunk(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			break
		}
		sz, _, _ := bytes.Cut(bytes.TrimSpace(line), []byte(";"))
		n, err := strconv.ParseUint(string(sz), 16, 31)
		if err != nil || n == 0 {
			break
		}
		if uint64(len(rest)) < n {
			out = append(out, rest...)
			break
		}
		out = append(out, rest[:n]...)
		b = bytes.TrimPrefix(bytes.TrimPrefix(rest[n:], []byte("\r")), []byte("\n"))
	}
	return out
}

// Complete reports whether b holds a whole HTTP response: headers and a
// body as long as Content-Length says, or a last chunk. Bytes that cannot
// be HTTP are complete too: nothing more is worth waiting for.
func Complete(b []byte) bool {
	if n := min(len(b), 5); !bytes.Equal(b[:n], []byte("HTTP/")[:n]) {
		return true
	}
	end := HeaderEnd(b)
	if end < 0 {
		return false
	}
	r, err := Parse(b[:end])
	if err != nil {
		return true
	}
	body := b[end:]
	switch {
	case r.Status < 200 || r.Status == 204 || r.Status == 304:
		return true
	case strings.EqualFold(r.Get("transfer-encoding"), "chunked"):
		return bytes.HasSuffix(body, []byte("0\r\n\r\n")) || bytes.HasSuffix(body, []byte("0\n\n"))
	}
	if n, err := strconv.Atoi(r.Get("content-length")); err == nil {
		return len(body) >= n
	}
	return false // delimited by close
}

// Request is a GET request for path with the Host header host; the
// connection closes after the answer.
func Request(path, host string) []byte {
	return fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\nAccept: */*\r\nConnection: close\r\n\r\n", path, host)
}

// Host is the Host header for addr: serverName when given, else the
// address, with the port unless it is the scheme's default.
func Host(addr netip.AddrPort, serverName string, overTLS bool) string {
	host := serverName
	if host == "" {
		host = addr.Addr().Unmap().String()
		if addr.Addr().Is6() && !addr.Addr().Is4In6() {
			host = "[" + host + "]"
		}
	}
	if p := addr.Port(); (overTLS && p == 443) || (!overTLS && p == 80) {
		return host
	}
	return host + ":" + strconv.Itoa(int(addr.Port()))
}
