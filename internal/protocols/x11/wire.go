package x11

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// answerCap caps the setup reply read.
const answerCap = 16 << 10

// setupRequest is a connection setup (X Window System Protocol, chapter 8
// "Connection Setup") in little-endian byte order for protocol 11.0 with no
// authorisation protocol name and no data.
var setupRequest = []byte{'l', 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}

// setupDone reports whether b holds the whole setup reply (or as much as is
// worth reading: the vendor string comes within the first bytes).
func setupDone(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	if b[0] > 2 {
		return true
	}
	total := 8 + 4*int(binary.LittleEndian.Uint16(b[6:]))
	return len(b) >= min(total, 40+0xffff)
}

// parseSetup decodes the server's answer to setupRequest: Failed (0),
// Success (1) or Authenticate (2).
func parseSetup(b []byte) (Setup, error) {
	var x Setup
	if len(b) < 8 {
		return x, module.NoMatch(proto.X11, "short answer")
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
			return x, module.NoMatch(proto.X11, "protocol major %d", x.ProtocolMajor)
		}
	case 2:
		if b[1] != 0 || b[2] != 0 || b[3] != 0 || b[4] != 0 || b[5] != 0 {
			return x, module.NoMatch(proto.X11, "not an Authenticate reply")
		}
		x.Status = Authenticate
		x.Reason = module.Clean(strings.TrimRight(string(body), "\x00\r\n"), 256)
		return x, nil
	default:
		return x, module.NoMatch(proto.X11, "setup status %d", b[0])
	}
	if b[0] == 0 {
		n := int(b[1])
		if n > extra || n > len(body) {
			return x, module.NoMatch(proto.X11, "reason longer than the reply")
		}
		x.Status = Failed
		x.Reason = module.Clean(strings.TrimRight(string(body[:n]), "\r\n"), 256)
		return x, nil
	}
	if len(body) < 32 {
		return x, module.NoMatch(proto.X11, "short Success reply")
	}
	x.Status = Success
	x.Release = binary.LittleEndian.Uint32(body[0:])
	v := int(binary.LittleEndian.Uint16(body[16:]))
	x.Screens = int(body[20])
	if 32+v > len(body) {
		return x, module.NoMatch(proto.X11, "vendor beyond the reply")
	}
	x.Vendor = module.Clean(string(body[32:32+v]), 128)
	return x, nil
}

// product names the server and its version from the vendor string and
// release number. X.Org encodes major·10⁷ + minor·10⁵ + patch·10³ + snap;
// servers from 21.1 on keep a leading 1 (1.21.1.7 is 21.1.7).
func product(x Setup) (product, version string) {
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

// apply records an X server's setup answer in s.
func apply(x Setup, s *facts.Service) {
	s.Name = proto.X11
	Evidence.Set(s, &x)
	switch x.Status {
	case Success:
		s.Product, s.Version = product(x)
		s.Banner = module.Clean(fmt.Sprintf("X11 %d.%d: connection accepted without authorisation; vendor %s, release %d", x.ProtocolMajor, x.ProtocolMinor, x.Vendor, x.Release), 256)
	default:
		s.Banner = module.Clean(fmt.Sprintf("X11: setup %s: %s", x.Status, x.Reason), 256)
	}
}

// probe sends a connection setup without authorisation; the server
// answers Success, Failed (with a reason) or Authenticate. A Success is
// closed at once: vigil creates no window and reads no screen.
func probe(ctx context.Context, c module.Conn, s *facts.Service) ([]byte, error) {
	answer, err := c.Exchange(ctx, setupRequest, answerCap, setupDone)
	if len(answer) == 0 {
		return nil, module.IONoMatch(proto.X11, err)
	}
	x, err := parseSetup(answer)
	if err != nil {
		return answer, err
	}
	apply(x, s)
	return nil, nil
}
