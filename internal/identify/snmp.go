package identify

import (
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/snmp"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// snmpEnterprises names the enterprise numbers (IANA Private Enterprise
// Numbers) found at the start of SNMP engine IDs.
var snmpEnterprises = map[uint32]string{
	8072:  "net-snmp",
	9:     "Cisco SNMP",
	311:   "Microsoft SNMP",
	2636:  "Juniper SNMP",
	14988: "MikroTik SNMP",
}

// applySNMPv3 records an SNMPv3 Report in s.
func applySNMPv3(m snmp.Message, s *facts.Service) {
	s.Name = proto.SNMP
	if len(m.EngineID) > 0 {
		s.SetDetail(facts.DetailSNMPEngineID, hex.EncodeToString(m.EngineID[:min(len(m.EngineID), 32)]))
		s.SetDetail(facts.DetailSNMPEngineBoots, strconv.FormatInt(m.Boots, 10))
		s.SetDetail(facts.DetailSNMPEngineTime, strconv.FormatInt(m.Time, 10))
	}
	if ent, ok := snmp.Enterprise(m.EngineID); ok {
		s.SetDetail(facts.DetailSNMPEnterprise, strconv.FormatUint(uint64(ent), 10))
		if p := snmpEnterprises[ent]; p != "" {
			s.Product = p
		}
	}
}

// applySNMPCommunity records a v1/v2c answer to the sysDescr GetRequest in
// s: the community was accepted.
func applySNMPCommunity(m snmp.Message, s *facts.Service) {
	s.Name = proto.SNMP
	s.SetDetail(facts.DetailSNMPCommunity, clean(m.Community, 32))
	if m.OID == snmp.SysDescr && m.ValueTag == ber.TagOctetString && m.ErrStatus == 0 {
		d := clean(string(m.Value), 512)
		s.SetDetail(facts.DetailSNMPSysDescr, d)
		s.Banner = clean(string(m.Value), 256)
	}
}

// addSNMPVersion adds v to the snmp.versions detail, a comma-separated
// list in the order v1, v2c, v3.
func addSNMPVersion(s *facts.Service, v int64) {
	have := strings.Split(s.Detail(facts.DetailSNMPVersions), ",")
	var out []string
	for _, n := range []int64{snmp.V1, snmp.V2c, snmp.V3} {
		if name := snmp.VersionNames[n]; n == v || slices.Contains(have, name) {
			out = append(out, name)
		}
	}
	s.SetDetail(facts.DetailSNMPVersions, strings.Join(out, ","))
}
