// Package x11 is vigil's X11 module: it identifies an X server by a
// connection setup without any authorisation data (X Window System
// Protocol, chapter 8) and judges the answer (x11.open). It has no audit:
// the setup reply identification reads is the whole evidence, and a server
// that accepts is closed at once.
//
// This file holds what the module is: its evidence, its check and its
// judge, all pure; wire.go holds what it sends and how it reads answers.
package x11

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// Module is X11 as internal/protocols registers it.
var Module = module.Module{
	Name:   proto.X11,
	Probe:  probe,
	Checks: checks,
	Judge:  judge,
}

// Evidence is the server's answer to the setup; in JSON it is the
// service's "x11" member.
var Evidence = facts.NewKey[Setup]("x11")

// Setup is an X server's answer to a connection setup without any
// authorisation data.
type Setup struct {
	// Status is "success" (anyone may connect), "failed" (refused: Reason
	// says why) or "authenticate".
	Status        string `json:"status"`
	Reason        string `json:"reason,omitempty"`
	ProtocolMajor int    `json:"protocol_major"`
	ProtocolMinor int    `json:"protocol_minor"`
	Vendor        string `json:"vendor,omitempty"`
	Release       uint32 `json:"release,omitempty"`
	Screens       int    `json:"screens,omitempty"`
}

// Connection-setup statuses (Setup.Status).
const (
	Success      = "success"
	Failed       = "failed"
	Authenticate = "authenticate"
)

// checks is the X11 check.
var checks = []module.Check{
	{ID: "x11.open", Severity: finding.Critical, Title: "X server accepts connections without authorisation",
		Rationale:  "A client that connects to an X server without authorisation can read every keystroke (passwords included), take screenshots and type commands into the user's terminals.",
		Fix:        "Start the X server with \"-nolisten tcp\" (Xorg's default: remove any \"-listen tcp\"), never with \"-ac\", and remove any \"xhost +\" from session scripts; use xauth cookies (MIT-MAGIC-COOKIE-1) and reach remote displays with ssh -X instead of TCP.",
		Frameworks: module.FwNoAuth(),
		Examines:   func(s *facts.Service) bool { return s.Name == proto.X11 && Evidence.Get(s) != nil },
		Needs:      "an X server whose connection setup was answered"},
}

// judge reports an X server that accepted a setup without authorisation.
func judge(in module.Input) []module.Hit {
	s := in.Service
	x := Evidence.Get(s)
	if x == nil || x.Status != Success {
		return nil
	}
	ev := fmt.Sprintf("the X server on %s/%d accepted a connection setup without any authorisation data", s.Transport, s.Port)
	if x.Vendor != "" {
		ev += fmt.Sprintf(" (vendor %q, release %d, %d screens); vigil closed it at once", x.Vendor, x.Release, x.Screens)
	}
	return []module.Hit{{Check: "x11.open", Evidence: ev}}
}
