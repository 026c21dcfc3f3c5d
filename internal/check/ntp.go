package check

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
)

// ntpChecks are the NTP amplification checks, judged by judgeNTP from what
// package ntpaudit measured (facts.NTPAudit).
var ntpChecks = []Check{
	{ID: "ntp.mode6", Severity: finding.Medium, Title: "NTP server answers mode 6 control queries from the network",
		Rationale: "Mode 6 (RFC 9327) READVAR answers a 12-byte request with the server's system variables, several times larger: a forged request turns the server into a traffic amplifier, and the answer tells its software, version and time sources. " +
			"vigil sends one READVAR request and reports the bytes received per byte sent.",
		Fix:        "Refuse control queries from the network: in ntp.conf, restrict default kod nomodify noquery limited (keep restrict 127.0.0.1 and restrict ::1 for local ntpq), then restart ntpd; chrony does not answer mode 6.",
		Frameworks: []string{hipaaAccess, cisSecureConfig, cisUnneeded, pciServices}},
	{ID: "ntp.mode7", Severity: finding.High, Title: "NTP server answers mode 7 monlist queries (amplification)",
		Rationale: "ntpd's mode 7 MON_GETLIST_1 (\"monlist\", CVE-2013-5211) answers one small request with up to 600 addresses of recent clients in up to 100 datagrams: an amplifier of a hundred times and more, used in large denial-of-service attacks, and a list of who talks to the server. " +
			"vigil sends one request and reports the bytes received per byte sent.",
		Fix:        "Upgrade ntpd to 4.2.7p26 or later (monlist removed), or replace it with chrony or ntpsec, which have no mode 7; meanwhile add disable monitor and restrict default kod nomodify noquery limited to ntp.conf, then restart ntpd.",
		Frameworks: []string{hipaaAccess, gdprConfidential, cisSecureConfig, cisPatchApps, pciServices, pciPatches}},
}

// judgeNTP judges the NTP audit of one service.
func judgeNTP(in Input) []Hit {
	s := in.Service
	if s == nil || s.NTP == nil || s.Name != proto.NTP {
		return nil
	}
	var hits []Hit
	if a := s.NTP.Mode6; a.Amplifies() {
		hits = append(hits, Hit{Check: "ntp.mode6", Evidence: ntpEvidence(a, "system variables") + productNote(s)})
	}
	if a := s.NTP.Mode7; a.Amplifies() {
		hits = append(hits, Hit{Check: "ntp.mode7", Evidence: ntpEvidence(a, "recent-client entries") + productNote(s)})
	}
	return hits
}

func ntpEvidence(a *facts.NTPAmplification, items string) string {
	var b strings.Builder
	at := ""
	if a.Capped {
		at = "at least "
	}
	fmt.Fprintf(&b, "one %d-byte %s request drew %s%d datagrams, %s%d bytes: amplification %s%.1f×", a.Sent, a.Request, at, a.Packets, at, a.Received, at, a.Factor())
	if a.Items > 0 {
		fmt.Fprintf(&b, " (%d %s)", a.Items, items)
	}
	return b.String()
}
