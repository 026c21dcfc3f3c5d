package identify

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// x11Setup is a connection setup (X Window System Protocol, chapter 8
// "Connection Setup") in little-endian byte order for protocol 11.0 with no
// authorisation protocol name and no data.
var x11Setup = []byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// x11Done reports whether b holds the whole setup reply (or as much as is
// worth reading: the vendor string comes within the first bytes).
func x11Done(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	if b[0] > 2 {
		return true
	}
	total := 8 + 4*int(binary.LittleEndian.Uint16(b[6:]))
	return len(b) >= min(total, 40+0xffff)
}

// parseX11Setup decodes the server's answer to x11Setup: Failed (0),
// Success (1) or Authenticate (2).
func parseX11Setup(b []byte) (facts.X11, error) {
	var x facts.X11
	if len(b) < 8 {
		return x, noMatch(proto.X11, "short answer")
	}
	extra := 4 * int(binary.LittleEndian.Uint16(b[6:]))
	body := b[8:]
	if len(body) > extra {
		body = body[:extra]
	}
	switch b[0] {
	case 0, 1:
		x.ProtocolMajor, x.ProtocolMinor = int(binary.LittleEndian.Uint16(b[2:])), int(binary.LittleEndian.Uint16(b[4:]))
		if x.ProtocolMajor != 11 {
			return x, noMatch(proto.X11, "protocol major %d", x.ProtocolMajor)
		}
	case 2:
		if b[1] != 0 || b[2] != 0 || b[3] != 0 || b[4] != 0 || b[5] != 0 {
			return x, noMatch(proto.X11, "not an Authenticate reply")
		}
		x.Status = facts.X11Authenticate
		x.Reason = clean(strings.TrimRight(string(body), "\x00\r\n"), 256)
		return x, nil
	default:
		return x, noMatch(proto.X11, "setup status %d", b[0])
	}
	if b[0] == 0 {
		n := int(b[1])
		if n > extra || n > len(body) {
			return x, noMatch(proto.X11, "reason longer than the reply")
		}
		x.Status = facts.X11Failed
		x.Reason = clean(strings.TrimRight(string(body[:n]), "\r\n"), 256)
		return x, nil
	}
	if len(body) < 32 {
		return x, noMatch(proto.X11, "short Success reply")
	}
	x.Status = facts.X11Success
	x.Release = binary.LittleEndian.Uint32(body[0:])
	v := int(binary.LittleEndian.Uint16(body[16:]))
	x.Screens = int(body[20])
	if 32+v > len(body) {
		return x, noMatch(proto.X11, "vendor beyond the reply")
	}
	x.Vendor = clean(string(body[32:32+v]), 128)
	return x, nil
}

// x11Product names the server and its version from the vendor string and
// release number. X.Org encodes major·10⁷ + minor·10⁵ + patch·10³ + snap;
// servers from 21.1 on keep a leading 1 (1.21.1.7 is 21.1.7).
func x11Product(x facts.X11) (product, version string) {
	if !strings.Contains(x.Vendor, "X.Org") {
		return x.Vendor, ""
	}
	r := x.Release
	major, minor, patch, snap := r/10000000, r/100000%100, r/1000%100, r%1000
	switch {
	case major == 1 && minor >= 21:
		version = fmt.Sprintf("%d.%d.%d", minor, patch, snap)
	case snap != 0:
		version = fmt.Sprintf("%d.%d.%d.%d", major, minor, patch, snap)
	default:
		version = fmt.Sprintf("%d.%d.%d", major, minor, patch)
	}
	return "X.Org X Server", version
}

// applyX11 records an X server's setup answer in s.
func applyX11(x facts.X11, s *facts.Service) {
	s.Name = proto.X11
	s.X11 = &x
	switch x.Status {
	case facts.X11Success:
		s.Product, s.Version = x11Product(x)
		s.Banner = clean(fmt.Sprintf("X11 %d.%d: connection accepted without authorisation; vendor %s, release %d", x.ProtocolMajor, x.ProtocolMinor, x.Vendor, x.Release), 256)
	default:
		s.Banner = clean(fmt.Sprintf("X11: setup %s: %s", x.Status, x.Reason), 256)
	}
}

// probeX11 sends a connection setup without authorisation; the server
// answers Success, Failed (with a reason) or Authenticate. A Success is
// closed at once: vigil creates no window and reads no screen.
func probeX11(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	answer, err := l.exchange(ctx, x11Setup, bannerCap, x11Done)
	if len(answer) == 0 {
		return nil, ioNoMatch(proto.X11, err)
	}
	x, err := parseX11Setup(answer)
	if err != nil {
		return answer, err
	}
	applyX11(x, s)
	return nil, nil
}
