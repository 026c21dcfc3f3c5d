package access

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/wire"
)

// snmpCommunities are the vendor-default communities tried, in this order.
var snmpCommunities = []string{"public", "private"}

// snmpProbe is one request in flight.
type snmpProbe struct {
	version   int64 // snmp.V1, snmp.V2c or snmp.V3
	community string
	id        int32 // request id (v1, v2c) or message id (v3)
	answered  bool
}

// snmpRequests builds the requests: SNMPv3 engine discovery (no
// credentials) and, unless noDefaults, v1 and v2c GetRequests for
// sysDescr.0 with each default community.
func snmpRequests(noDefaults bool) ([]*snmpProbe, [][]byte) {
	id := func() int32 { return int32(rand.Uint32() >> 1) }
	v3 := &snmpProbe{version: snmp.V3, id: id()}
	probes := []*snmpProbe{v3}
	reqs := [][]byte{snmp.V3Discovery(v3.id, id())}
	if noDefaults {
		return probes, reqs
	}
	for _, c := range snmpCommunities {
		for _, v := range []int64{snmp.V2c, snmp.V1} {
			pr := &snmpProbe{version: v, community: c, id: id()}
			probes = append(probes, pr)
			reqs = append(reqs, snmp.Get(v, c, pr.id, snmp.SysDescr))
		}
	}
	return probes, reqs
}

// matchSNMP ties an answer to the probe it answers: same version, same
// request (or message) id, same community, and a response rather than an
// echo of the request.
func matchSNMP(probes []*snmpProbe, b []byte) *snmpProbe {
	m, err := snmp.Parse(b)
	if err != nil || m.PDUType == snmp.GetRequest {
		return nil
	}
	for _, pr := range probes {
		switch {
		case pr.version != m.Version:
		case pr.version == snmp.V3 && m.MsgID == int64(pr.id):
			return pr
		case pr.version != snmp.V3 && m.ReqID == int64(pr.id) && m.Community == pr.community && m.PDUType == snmp.GetResponse:
			return pr
		}
	}
	return nil
}

// auditSNMP learns which SNMP versions answer and whether a default
// community is accepted. All requests go out together on one socket, once
// more after half the Timeout for those not yet answered (UDP may lose
// them); an agent that does not know a community stays silent.
func auditSNMP(ctx context.Context, p *prober, s *facts.Service) (*facts.Access, error) {
	c, err := p.d.Dial(ctx, "udp", p.addr, p.opt.Timeout)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	probes, reqs := snmpRequests(p.opt.NoDefaultCreds)
	send := func() error {
		for i, req := range reqs {
			if probes[i].answered {
				continue
			}
			if err := wire.Write(ctx, c, req, p.opt.Timeout); err != nil {
				return err
			}
		}
		return nil
	}
	if err := send(); err != nil {
		return nil, err
	}
	resent := false
	deadline := time.Now().Add(p.opt.Timeout / 2)
	var readErr error
	for ctx.Err() == nil && slices.ContainsFunc(probes, func(pr *snmpProbe) bool { return !pr.answered }) {
		wait := time.Until(deadline)
		if wait <= 0 {
			if resent {
				break
			}
			resent = true
			if err := send(); err != nil {
				readErr = err
				break
			}
			deadline = time.Now().Add(p.opt.Timeout / 2)
			continue
		}
		b, err := wire.ReadSome(ctx, c, 16<<10, wait)
		if pr := matchSNMP(probes, b); pr != nil {
			pr.answered = true
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			readErr = err // refused (ICMP port unreachable), closed, cancelled
			break
		}
	}
	return snmpAccess(probes, s), readErrUnlessAnswered(probes, s, readErr)
}

// snmpAccess summarises the answers, adding what identification saw (its
// snmp.versions and the community it had accepted).
func snmpAccess(probes []*snmpProbe, s *facts.Service) *facts.Access {
	accepted := map[string][]string{} // community → versions
	versions := map[string]bool{}
	for _, pr := range probes {
		if !pr.answered {
			continue
		}
		name := snmp.VersionNames[pr.version]
		versions[name] = true
		if pr.community != "" {
			accepted[pr.community] = appendUnique(accepted[pr.community], name)
		}
	}
	idVersions := strings.Split(s.Detail(facts.DetailSNMPVersions), ",")
	for _, v := range idVersions {
		if v == "v3" {
			versions[v] = true
		}
	}
	if com := s.Detail(facts.DetailSNMPCommunity); slices.Contains(snmpCommunities, com) {
		for _, v := range idVersions {
			if v == "v1" || v == "v2c" {
				versions[v] = true
				accepted[com] = appendUnique(accepted[com], v)
			}
		}
	}
	a := &facts.Access{}
	for _, v := range []string{"v1", "v2c", "v3"} {
		if versions[v] {
			a.Versions = append(a.Versions, v)
		}
	}
	var detail []string
	for _, com := range snmpCommunities {
		vs := accepted[com]
		if len(vs) == 0 {
			continue
		}
		slices.SortFunc(vs, func(x, y string) int { return strings.Compare(x, y) }) // v1 < v2c
		a.DefaultCredentials = append(a.DefaultCredentials, com)
		detail = append(detail, com+": "+strings.Join(vs, ", "))
	}
	if len(detail) > 0 {
		s.SetDetail(facts.DetailSNMPDefaultCommunities, strings.Join(detail, "; "))
	}
	return a
}

// readErrUnlessAnswered keeps a read error only when nothing at all is
// known about the agent.
func readErrUnlessAnswered(probes []*snmpProbe, s *facts.Service, err error) error {
	if err == nil || s.Detail(facts.DetailSNMPVersions) != "" || slices.ContainsFunc(probes, func(pr *snmpProbe) bool { return pr.answered }) {
		return nil
	}
	return err
}
