package sshaudit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScanIdentification(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		line     string
		consumed int
		err      error
	}{
		{name: "plain", in: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", line: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", consumed: 40},
		{name: "LF only", in: "SSH-2.0-dropbear_2022.83\n", line: "SSH-2.0-dropbear_2022.83", consumed: 25},
		{name: "packet follows", in: "SSH-2.0-x\r\n\x00\x00\x01\x00", line: "SSH-2.0-x", consumed: 11},
		{name: "lines before", in: "Welcome to host\r\nAuthorised use only\n\r\nSSH-1.99-Cisco-1.25\r\n", line: "SSH-1.99-Cisco-1.25", consumed: 60},
		{name: "incomplete", in: "SSH-2.0-Open", err: ErrNeedMore},
		{name: "empty", in: "", err: ErrNeedMore},
		{name: "incomplete after lines", in: "hello\r\nSSH-2.0", err: ErrNeedMore},
		{name: "line too long", in: strings.Repeat("A", 300) + "\r\n", err: ErrLineTooLong},
		{name: "unterminated long line", in: strings.Repeat("A", 255), err: ErrLineTooLong},
		{name: "254 bytes is still short", in: strings.Repeat("A", 254), err: ErrNeedMore},
		{name: "ident line too long", in: "SSH-2.0-" + strings.Repeat("x", 250) + "\r\n", err: ErrLineTooLong},
		{name: "ident exactly 255 with CRLF", in: "SSH-2.0-" + strings.Repeat("x", 245) + "\r\n", line: "SSH-2.0-" + strings.Repeat("x", 245), consumed: 255},
		{name: "endless short lines", in: strings.Repeat("banner line\r\n", 700), err: ErrNotSSH},
		{name: "HTTP server", in: "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", err: ErrNeedMore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, n, err := ScanIdentification([]byte(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if string(line) != tt.line || n != tt.consumed {
				t.Errorf("got %q, %d; want %q, %d", line, n, tt.line, tt.consumed)
			}
		})
	}
}

func TestParseIdentification(t *testing.T) {
	tests := []struct {
		in   string
		want Identification
		ssh1 bool
		ssh2 bool
		err  bool
	}{
		{in: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", want: Identification{"2.0", "OpenSSH_9.2p1", "Debian-2+deb12u3"}, ssh2: true},
		{in: "SSH-2.0-dropbear_2022.83", want: Identification{"2.0", "dropbear_2022.83", ""}, ssh2: true},
		{in: "SSH-1.99-OpenSSH_3.9p1", want: Identification{"1.99", "OpenSSH_3.9p1", ""}, ssh2: true},
		{in: "SSH-1.5-1.2.27", want: Identification{"1.5", "1.2.27", ""}, ssh1: true},
		{in: "SSH-1.3-OpenSSH_2.0", want: Identification{"1.3", "OpenSSH_2.0", ""}, ssh1: true},
		{in: "SSH-2.0-", want: Identification{"2.0", "", ""}, ssh2: true},
		{in: "SSH-2.0-x y z", want: Identification{"2.0", "x", "y z"}, ssh2: true},
		{in: "SSH-3.0-Future", want: Identification{"3.0", "Future", ""}},
		{in: "SSH-2.0-evil\x1b[31mred", want: Identification{"2.0", `evil\x1b[31mred`, ""}, ssh2: true},
		{in: "SSH-2.0-a\\b", want: Identification{"2.0", `a\\b`, ""}, ssh2: true},
		{in: "SSH-2.0", err: true},
		{in: "SSH-2-OpenSSH", err: true},
		{in: "SSH-x.y-OpenSSH", err: true},
		{in: "SSH-.0-OpenSSH", err: true},
		{in: "SSH-2.-OpenSSH", err: true},
		{in: "SSH-2222.0-OpenSSH", err: true},
		{in: "ssh-2.0-lower", err: true},
		{in: "HTTP/1.1 200 OK", err: true},
	}
	for _, tt := range tests {
		got, err := ParseIdentification([]byte(tt.in))
		if (err != nil) != tt.err {
			t.Errorf("%q: err = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if got != tt.want || got.SSH1Only() != tt.ssh1 || got.SpeaksSSH2() != tt.ssh2 {
			t.Errorf("%q: got %+v (ssh1 %v ssh2 %v), want %+v (ssh1 %v ssh2 %v)", tt.in, got, got.SSH1Only(), got.SpeaksSSH2(), tt.want, tt.ssh1, tt.ssh2)
		}
	}
}

// FuzzIdentification feeds arbitrary first bytes through the scanner and
// the parser: neither may panic, lines stay within the limits, and what is
// kept is printable.
func FuzzIdentification(f *testing.F) {
	for _, s := range []string{
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
		"banner\r\nSSH-1.99-Cisco-1.25\n",
		"SSH-1.5-1.2.27\r\n",
		"SSH-2.0-\x00\xff\x1b[2J\r\n",
		"SSH-2.0",
		strings.Repeat("x", 300),
		"\n\n\n\nSSH-2.0-a b c\r\n\x00\x00\x00\x0c\x0a\x14",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		line, n, err := ScanIdentification(b)
		if err != nil {
			return
		}
		if n > len(b) || n > MaxIdentBytes || len(line) >= MaxLineBytes || !bytes.HasPrefix(line, []byte("SSH-")) {
			t.Fatalf("bad scan: line %q consumed %d of %d", line, n, len(b))
		}
		id, err := ParseIdentification(line)
		if err != nil {
			return
		}
		for _, s := range []string{id.Proto, id.Software, id.Comments} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n\x1b") {
				t.Fatalf("unsafe field %q from %q", s, line)
			}
		}
	})
}
