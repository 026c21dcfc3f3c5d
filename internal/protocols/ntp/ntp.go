// Package ntp is vigil's NTP module: it identifies an NTP server by a
// client request (RFC 5905), measures how much the server sends back to the
// two queries that make NTP servers traffic amplifiers, one mode 6 READVAR
// (RFC 9327) and one mode 7 MON_GETLIST_1 ("monlist", CVE-2013-5211), and
// judges the result (ntp.mode6, ntp.mode7).
//
// This file holds what the module is: its evidence, its checks and its
// judge, all pure; wire.go holds what it sends and how it reads answers.
package ntp

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// Module is NTP as internal/protocols registers it.
var Module = module.Module{
	Name:   proto.NTP,
	UDP:    newSession,
	Audit:  &module.Audit{Applies: func(s *facts.Service) bool { return s.Transport == facts.UDP }, Run: runAudit},
	Checks: checks,
	Judge:  judge,
}

// Evidence is where the audit keeps what it measured on a service; in JSON
// it is the service's "ntp" member.
var Evidence = facts.NewKey[Audit]("ntp")

// Audit is what an NTP audit observed on one port: how much the server
// sends back to one control (mode 6) and one private (mode 7) query, the
// two NTP queries used for traffic amplification.
type Audit struct {
	// Mode6 is the answer to one mode 6 READVAR request for the system
	// variables; nil when the server did not answer.
	Mode6 *Amplification `json:"mode6,omitempty"`
	// Mode7 is the answer to one mode 7 MON_GETLIST_1 ("monlist")
	// request; nil when the server did not answer.
	Mode7 *Amplification `json:"mode7,omitempty"`
}

// Amplification is what one request drew from the server.
type Amplification struct {
	// Request names the request: "READVAR" or "MON_GETLIST_1".
	Request string `json:"request"`
	// Sent is the size of the one request, in bytes of UDP payload;
	// Received the total of the answers' UDP payloads, in Packets
	// datagrams.
	Sent     int `json:"sent"`
	Received int `json:"received"`
	Packets  int `json:"packets"`
	// Error is the error code the server answered with (mode 6: the
	// status word's error code with the E bit set; mode 7: the err field),
	// 0 when it answered with data.
	Error int `json:"error,omitempty"`
	// Items counts the data items of a mode 7 answer (monitor list
	// entries: addresses of recent clients), or the variables of a mode 6
	// answer.
	Items int `json:"items,omitempty"`
	// Capped is true when vigil stopped reading at its cap, so Received
	// is a lower bound.
	Capped bool `json:"capped,omitempty"`
}

// Factor is the amplification factor: bytes received per byte sent.
func (a *Amplification) Factor() float64 {
	if a == nil || a.Sent == 0 {
		return 0
	}
	return float64(a.Received) / float64(a.Sent)
}

// Amplifies reports whether the server answered with data, and more
// bytes than it was sent.
func (a *Amplification) Amplifies() bool {
	return a != nil && a.Error == 0 && a.Received > a.Sent
}

// audited reports whether the NTP audit measured s.
func audited(s *facts.Service) bool { return Evidence.Get(s) != nil }

// checks are the NTP amplification checks.
var checks = []module.Check{
	{ID: "ntp.mode6", Severity: finding.Medium, Title: "NTP server answers mode 6 control queries from the network",
		Rationale: "Mode 6 (RFC 9327) READVAR answers a 12-byte request with the server's system variables, several times larger: a forged request turns the server into a traffic amplifier, and the answer tells its software, version and time sources. " +
			"vigil sends one READVAR request and reports the bytes received per byte sent.",
		Fix:        "Refuse control queries from the network: in ntp.conf, restrict default kod nomodify noquery limited (keep restrict 127.0.0.1 and restrict ::1 for local ntpq), then restart ntpd; chrony does not answer mode 6.",
		Frameworks: []string{module.HIPAAAccess, module.CISSecureConfig, module.CISUnneeded, module.PCIServices},
		Examines:   audited, Needs: "an NTP server sent a mode 6 query"},
	{ID: "ntp.mode7", Severity: finding.High, Title: "NTP server answers mode 7 monlist queries (amplification)",
		Rationale: "ntpd's mode 7 MON_GETLIST_1 (\"monlist\", CVE-2013-5211) answers one small request with up to 600 addresses of recent clients in up to 100 datagrams: an amplifier of a hundred times and more, used in large denial-of-service attacks, and a list of who talks to the server. " +
			"vigil sends one request and reports the bytes received per byte sent.",
		Fix:        "Upgrade ntpd to 4.2.7p26 or later (monlist removed), or replace it with chrony or ntpsec, which have no mode 7; meanwhile add disable monitor and restrict default kod nomodify noquery limited to ntp.conf, then restart ntpd.",
		Frameworks: []string{module.HIPAAAccess, module.GDPRConfidential, module.CISSecureConfig, module.CISPatchApps, module.PCIServices, module.PCIPatches},
		Examines:   audited, Needs: "an NTP server sent a mode 7 query"},
}

// judge judges the NTP audit of one service.
func judge(in module.Input) []module.Hit {
	s := in.Service
	a := Evidence.Get(s)
	if a == nil {
		return nil
	}
	var hits []module.Hit
	if m := a.Mode6; m.Amplifies() {
		hits = append(hits, module.Hit{Check: "ntp.mode6", Evidence: evidence(m, "system variables") + module.ProductNote(s)})
	}
	if m := a.Mode7; m.Amplifies() {
		hits = append(hits, module.Hit{Check: "ntp.mode7", Evidence: evidence(m, "recent-client entries") + module.ProductNote(s)})
	}
	return hits
}

func evidence(a *Amplification, items string) string {
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
