package result

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/vigilsec/vigil/internal/facts"
)

// ErrInvalid is wrapped by every error of Read about a document that is
// not a valid vigil/scan/v1 document.
var ErrInvalid = errors.New("not a valid vigil scan result")

// checkID and serviceName are the schema's patterns of check IDs and
// service names.
var (
	checkID     = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)+$`)
	serviceName = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// Validate checks what the schema requires of a document and what every
// report relies on: levels from 1 to 5, known severities and transports,
// ports in range, ids, hosts and times present. It names the first value
// out of place.
func (d *Document) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case d.Schema != Schema:
		return bad("schema is %q, want %q", d.Schema, Schema)
	case d.ID == "":
		return bad("it has no id")
	case d.Started.IsZero() || d.Finished.IsZero():
		return bad("it has no start or end time")
	case d.Finished.Before(d.Started):
		return bad("it ends (%s) before it starts (%s)", d.Finished.Format("2006-01-02 15:04:05"), d.Started.Format("2006-01-02 15:04:05"))
	case d.Level.Value < 1 || d.Level.Value > 5:
		return bad("level %d is outside 1 to 5", d.Level.Value)
	}
	for _, h := range d.Hosts {
		switch {
		case h.Address == "":
			return bad("a host has no address")
		case h.Level < 1 || h.Level > 5:
			return bad("host %s: level %d is outside 1 to 5", h.Address, h.Level)
		}
		for _, s := range h.Services {
			switch {
			case s.Port < 1 || s.Port > 65535:
				return bad("host %s: port %d is outside 1 to 65535", h.Address, s.Port)
			case s.Transport != facts.TCP && s.Transport != facts.UDP:
				return bad("host %s port %d: transport %q is neither tcp nor udp", h.Address, s.Port, s.Transport)
			case !serviceName.MatchString(s.Name):
				return bad("host %s port %d: service name %q is not a vigil service name", h.Address, s.Port, s.Name)
			}
		}
	}
	for _, f := range d.Findings {
		switch {
		case f.ID == "":
			return bad("a finding has no id")
		case !checkID.MatchString(f.Check):
			return bad("finding %s: check %q is not a vigil check id", f.ID, f.Check)
		case !f.Severity.Valid():
			return bad("finding %s has no valid severity", f.ID)
		case f.Host == "":
			return bad("finding %s names no host", f.ID)
		case f.Port < 0 || f.Port > 65535:
			return bad("finding %s: port %d is outside 0 to 65535", f.ID, f.Port)
		case f.Title == "" || f.Recommendation == "":
			return bad("finding %s has no title or no recommendation", f.ID)
		}
	}
	return nil
}
