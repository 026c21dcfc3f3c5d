package identify

import (
	"github.com/vigilsec/vigil/internal/codec/rfb"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// matchVNC recognises a VNC (RFB) server by the ProtocolVersion message it
// sends first (RFC 6143 section 7.1.1).
func matchVNC(b []byte, s *facts.Service) (*followUp, error) {
	v, err := rfb.ParseVersion(b)
	if err != nil {
		return nil, noMatch(proto.VNC, "%v", err)
	}
	s.Name = proto.VNC
	if v.Major == 3 && v.Minor == 889 {
		s.Product = "Apple Remote Desktop"
	}
	s.Banner = firstLine(b[:11])
	s.SetDetail(facts.DetailVNCRFB, v.String())
	return nil, nil
}
