package sshaudit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/sanitize"
)

// Limits on what is read before the identification string (RFC 4253 §4.2).
const (
	// MaxLineBytes is the longest line accepted, CR LF included: RFC 4253
	// caps the identification string at 255 characters, and vigil holds
	// the lines a server may send before it to the same limit.
	MaxLineBytes = 255
	// MaxIdentBytes caps everything read up to and including the
	// identification string, so an endless pre-banner cannot go on.
	MaxIdentBytes = 8192
)

// Errors from ScanIdentification.
var (
	// ErrNeedMore means the bytes so far hold no complete identification
	// string yet, and nothing wrong either.
	ErrNeedMore = errors.New("identification string not complete yet")
	// ErrLineTooLong means a line went past MaxLineBytes.
	ErrLineTooLong = fmt.Errorf("line longer than %d bytes before the SSH identification string", MaxLineBytes)
	// ErrNotSSH means the server sent something that is not an SSH
	// identification string.
	ErrNotSSH = errors.New("not an SSH identification string")
)

// Identification is a server's SSH identification string, split as
// RFC 4253 §4.2 defines it: SSH-protoversion-softwareversion SP comments.
// Software and Comments are made printable.
type Identification struct {
	// Proto is the protocol version: "2.0", "1.99" (SSH-1 and SSH-2) or
	// "1.5" and other 1.x (SSH-1 only).
	Proto    string
	Software string
	Comments string
}

// SSH1Only reports whether the server speaks only protocol 1 (1.x other
// than 1.99).
func (id Identification) SSH1Only() bool {
	return strings.HasPrefix(id.Proto, "1.") && id.Proto != "1.99"
}

// SpeaksSSH2 reports whether the server offers protocol 2 ("2.0" or "1.99").
func (id Identification) SpeaksSSH2() bool { return id.Proto == "2.0" || id.Proto == "1.99" }

// ScanIdentification looks for the identification string in the first bytes
// a server sent. Lines before it (which must not start with "SSH-") are
// skipped. It returns the identification line without its line end and the
// number of bytes it consumed (so the caller can keep what followed: the
// server's first binary packet may arrive in the same read). It returns
// ErrNeedMore when more bytes are needed, ErrLineTooLong for an over-long
// line and ErrNotSSH once MaxIdentBytes passed without an identification.
func ScanIdentification(b []byte) (line []byte, consumed int, err error) {
	off := 0
	for {
		rest := b[off:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if len(rest) >= MaxLineBytes {
				return nil, 0, ErrLineTooLong
			}
			if len(b) >= MaxIdentBytes {
				return nil, 0, ErrNotSSH
			}
			return nil, 0, ErrNeedMore
		}
		if i+1 > MaxLineBytes {
			return nil, 0, ErrLineTooLong
		}
		l := bytes.TrimSuffix(rest[:i], []byte("\r"))
		off += i + 1
		if bytes.HasPrefix(l, []byte("SSH-")) {
			return l, off, nil
		}
		if off >= MaxIdentBytes {
			return nil, 0, ErrNotSSH
		}
	}
}

// ParseIdentification splits an identification line (without CR LF). It
// accepts any protocol version of the form digits.digits and keeps the
// software version and comments, made printable.
func ParseIdentification(line []byte) (Identification, error) {
	if !bytes.HasPrefix(line, []byte("SSH-")) {
		return Identification{}, ErrNotSSH
	}
	rest := line[len("SSH-"):]
	dash := bytes.IndexByte(rest, '-')
	if dash < 0 {
		return Identification{}, fmt.Errorf("%w: no software version in %q", ErrNotSSH, sanitize.Printable(line, 80))
	}
	proto := rest[:dash]
	if !validProto(proto) {
		return Identification{}, fmt.Errorf("%w: protocol version %q", ErrNotSSH, sanitize.Printable(proto, 20))
	}
	sw := rest[dash+1:]
	var comments []byte
	if sp := bytes.IndexByte(sw, ' '); sp >= 0 {
		sw, comments = sw[:sp], sw[sp+1:]
	}
	return Identification{
		Proto:    string(proto),
		Software: sanitize.Printable(sw, MaxLineBytes),
		Comments: sanitize.Printable(comments, MaxLineBytes),
	}, nil
}

// validProto accepts "major.minor" with one to three digits on each side.
func validProto(p []byte) bool {
	dot := bytes.IndexByte(p, '.')
	if dot < 1 || dot > 3 || len(p)-dot-1 < 1 || len(p)-dot-1 > 3 {
		return false
	}
	for i, c := range p {
		if i != dot && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
