package identify

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/vigilsec/vigil/internal/codec/iscsi"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// iscsiDiscoveryLogin is the first Login Request of a discovery session
// (RFC 7143 section 11.12) asking to move from security negotiation to
// operational negotiation without authentication.
func iscsiDiscoveryLogin(itt uint32, isid [6]byte) []byte {
	return iscsi.Login{ISID: isid, ITT: itt, CSG: iscsi.StageSecurity, NSG: iscsi.StageOperational, Transit: true,
		Parameters: []string{"InitiatorName=" + iscsi.InitiatorName, "SessionType=Discovery", "AuthMethod=None"}}.Encode()
}

// parseISCSILogin checks that b is the Login Response to the request with
// itt.
func parseISCSILogin(b []byte, itt uint32) (iscsi.Response, error) {
	r, err := iscsi.Parse(b)
	if err != nil {
		return r, noMatch(proto.ISCSI, "%v", err)
	}
	if r.Opcode != iscsi.OpLoginResponse || r.ITT != itt {
		return r, noMatch(proto.ISCSI, "not the Login Response")
	}
	return r, nil
}

// probeISCSI sends a discovery Login Request; any Login Response, success
// or failure, identifies an iSCSI target. The session goes no further here
// (see the file-service audit for SendTargets).
func probeISCSI(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	itt := rand.Uint32()
	answer, err := l.exchange(ctx, iscsiDiscoveryLogin(itt, iscsi.RandomISID()), 48+iscsi.MaxData, iscsi.Done)
	if len(answer) == 0 {
		return nil, ioNoMatch(proto.ISCSI, err)
	}
	r, err := parseISCSILogin(answer, itt)
	if err != nil {
		return answer, err
	}
	s.Name = proto.ISCSI
	s.ISCSI = &facts.ISCSI{VersionMax: r.VersionMax, VersionActive: r.VersionActive, StatusClass: r.StatusClass, StatusDetail: r.StatusDetail}
	s.Banner = fmt.Sprintf("iSCSI Login Response: status %d/%d", r.StatusClass, r.StatusDetail)
	return nil, nil
}
