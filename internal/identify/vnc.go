package identify

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/facts"
)

// parseRFBVersion parses the ProtocolVersion message a VNC server sends
// first (RFC 6143 section 7.1.1): exactly "RFB xxx.yyy\n".
func parseRFBVersion(b []byte) (major, minor int, err error) {
	if len(b) < 12 || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return 0, 0, noMatch("vnc", "no RFB version")
	}
	if !allDigits(string(b[4:7])) || !allDigits(string(b[8:11])) {
		return 0, 0, noMatch("vnc", "bad RFB version digits")
	}
	major = int(b[4]-'0')*100 + int(b[5]-'0')*10 + int(b[6]-'0')
	minor = int(b[8]-'0')*100 + int(b[9]-'0')*10 + int(b[10]-'0')
	return major, minor, nil
}

// matchVNC recognises a VNC (RFB) server.
func matchVNC(b []byte, s *facts.Service) (*followUp, error) {
	major, minor, err := parseRFBVersion(b)
	if err != nil {
		return nil, err
	}
	s.Name = "vnc"
	if major == 3 && minor == 889 {
		s.Product = "Apple Remote Desktop"
	}
	s.Banner = firstLine(b[:11])
	s.SetDetail("vnc.rfb", fmt.Sprintf("%d.%d", major, minor))
	return nil, nil
}
