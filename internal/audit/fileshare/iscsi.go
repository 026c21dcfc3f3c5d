package fileshare

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/vigilsec/vigil/internal/codec/iscsi"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// maxTargets caps the target names kept.
const maxTargets = 64

// auditISCSI logs in to a discovery session with AuthMethod=None (security
// negotiation, then operational negotiation, RFC 7143 sections 6 and 11.12)
// and, once in the full feature phase, sends SendTargets=All (RFC 7143
// appendix C) and keeps the target names.
func auditISCSI(ctx context.Context, d *dialer.Dialer, addr netip.AddrPort, s *facts.Service, opt Options) error {
	if s.ISCSI == nil {
		s.ISCSI = &facts.ISCSI{}
	}
	f := s.ISCSI
	f.DiscoveryOpen, f.Targets = false, nil
	c, err := d.Dial(ctx, "tcp", addr, opt.Timeout)
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	exchange := func(pdu []byte, itt uint32, op int) (iscsi.Response, error) {
		b, err := wire.Exchange(ctx, c, pdu, 48+iscsi.MaxData+1024, opt.Timeout, iscsi.Done)
		if len(b) == 0 {
			return iscsi.Response{}, fmt.Errorf("iSCSI target %s did not answer: %w", addr, err)
		}
		r, err := iscsi.Parse(b)
		if err != nil {
			return r, fmt.Errorf("%w: iSCSI target %s: %w", ErrProtocol, addr, err)
		}
		if r.Opcode != op || r.ITT != itt {
			return r, fmt.Errorf("%w: iSCSI target %s answered opcode %#x", ErrProtocol, addr, r.Opcode)
		}
		return r, nil
	}
	isid, itt := iscsi.RandomISID(), rand.Uint32()
	login := iscsi.Login{ISID: isid, ITT: itt, CSG: iscsi.StageSecurity, NSG: iscsi.StageOperational, Transit: true,
		Parameters: []string{"InitiatorName=" + iscsi.InitiatorName, "SessionType=Discovery", "AuthMethod=None"}}
	r, err := exchange(login.Encode(), itt, iscsi.OpLoginResponse)
	if err != nil {
		return err
	}
	f.VersionMax, f.VersionActive, f.StatusClass, f.StatusDetail = r.VersionMax, r.VersionActive, r.StatusClass, r.StatusDetail
	if r.StatusClass != 0 || !r.Transit || r.NSG != iscsi.StageOperational {
		return nil // authentication required, or the target will not go on without it
	}
	login = iscsi.Login{ISID: isid, ITT: itt, CSG: iscsi.StageOperational, NSG: iscsi.StageFullFeature, Transit: true,
		ExpStatSN:  r.StatSN + 1,
		Parameters: []string{"HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=65536", "DefaultTime2Wait=0", "DefaultTime2Retain=0"}}
	r, err = exchange(login.Encode(), itt, iscsi.OpLoginResponse)
	if err != nil {
		return err
	}
	f.StatusClass, f.StatusDetail = r.StatusClass, r.StatusDetail
	if r.StatusClass != 0 || !r.Transit || r.NSG != iscsi.StageFullFeature {
		return nil
	}
	f.DiscoveryOpen = true
	itt++
	text := iscsi.Text{ITT: itt, CmdSN: r.ExpCmdSN, ExpStatSN: r.StatSN + 1, Parameters: []string{"SendTargets=All"}}
	r, err = exchange(text.Encode(), itt, iscsi.OpTextResponse)
	if err != nil {
		return err
	}
	for _, n := range r.All("TargetName") {
		if len(f.Targets) == maxTargets {
			break
		}
		f.Targets = append(f.Targets, clean(n, 223))
	}
	return nil
}
