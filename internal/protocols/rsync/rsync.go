// Package rsync is vigil's rsync module: it recognises an rsync daemon by
// its "@RSYNCD:" greeting, lists its modules and asks each whether it
// wants a password (read-only: no file is listed or transferred), and
// judges the result (rsync.module.open).
//
// This file holds what the module is: its evidence, its check and its
// judge, all pure; wire.go holds what it sends and how it reads answers.
package rsync

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/proto"
)

// Module is rsync as internal/protocols registers it.
var Module = module.Module{
	Name:   proto.Rsync,
	Banner: match,
	// The audit kept the name of the file-service audit it came from, so
	// that its errors read as before ("files: …").
	Audit:  &module.Audit{Name: "files", Applies: func(s *facts.Service) bool { return s.Transport == facts.TCP && !s.TLS }, Run: runAudit},
	Checks: checks,
	Judge:  judge,
}

// Evidence is what identification and the audit learnt of a daemon; in
// JSON it is the service's "rsync" member.
var Evidence = facts.NewKey[Daemon]("rsync")

// Daemon is what an rsync daemon said about its modules. It never holds a
// file name: vigil lists modules, it never lists or transfers files.
type Daemon struct {
	// Protocol is the version of the daemon's "@RSYNCD:" greeting, e.g. "31.0".
	Protocol string `json:"protocol"`
	// Listed is true when the daemon answered the module listing (#list)
	// with at least one module.
	Listed bool `json:"listed"`
	// Modules are the modules learnt, from the listing; each was then
	// asked for by name to see whether it wants a password.
	Modules []Share `json:"modules,omitempty"`
}

// Share access, as the daemon answered a request for the module.
const (
	Open     = "open"      // "@RSYNCD: OK": no password asked
	Auth     = "auth"      // "@RSYNCD: AUTHREQD": a password is required
	Refused  = "refused"   // "@ERROR": host not allowed, unknown module, …
	Unasked  = "unasked"   // not asked (too many modules, or the budget ran out)
	NoAnswer = "no-answer" // the daemon did not say
)

// Share is one module of an rsync daemon (rsync calls them modules).
type Share struct {
	Name    string `json:"name"`
	Comment string `json:"comment,omitempty"`
	// Access is one of the access constants above.
	Access string `json:"access"`
	// Detail is the daemon's words when it refused (sanitised).
	Detail string `json:"detail,omitempty"`
}

// checks is the rsync check.
var checks = []module.Check{
	{ID: "rsync.module.open", Severity: finding.High, Title: "rsync daemon lists its modules or serves one without a password",
		Rationale:  "Anyone who reaches the daemon can learn its module names and, for a module without \"auth users\", download (or, when it is writable, overwrite) every file in it with one rsync command.",
		Fix:        "In /etc/rsyncd.conf give every module \"auth users = NAME\" and \"secrets file = /etc/rsyncd.secrets\" (a file of NAME:PASSWORD lines, chmod 600), set \"list = no\", and limit clients with \"hosts allow = 10.0.0.0/24\"; restart the daemon (systemctl restart rsync). Better: run rsync over SSH and stop the daemon.",
		Frameworks: module.FwNoAuth(),
		Examines:   func(s *facts.Service) bool { return s.Name == proto.Rsync && Evidence.Get(s) != nil },
		Needs:      "an rsync daemon whose modules were asked for"},
}

// judge reports modules served without a password (high) or, failing
// that, a module list open to anyone (medium: names only).
func judge(in module.Input) []module.Hit {
	s := in.Service
	d := Evidence.Get(s)
	if d == nil {
		return nil
	}
	where := fmt.Sprintf("%s/%d", s.Transport, s.Port)
	var open, auth, names []string
	for _, m := range d.Modules {
		switch m.Access {
		case Open:
			open = append(open, m.Name)
		case Auth:
			auth = append(auth, m.Name)
		}
		names = append(names, m.Name)
	}
	switch {
	case len(open) > 0:
		ev := fmt.Sprintf("the rsync daemon on %s answered \"@RSYNCD: OK\" without asking a password for module %s", where, module.ListSome(open, 8))
		if d.Listed {
			ev += fmt.Sprintf("; #list names %d modules: %s", len(names), module.ListSome(names, 8))
		}
		return []module.Hit{{Check: "rsync.module.open", Evidence: ev + "; vigil closed each connection before sending any argument, so no file was listed or read"}}
	case d.Listed:
		ev := fmt.Sprintf("the rsync daemon on %s lists its modules to anyone (#list): %s", where, module.ListSome(names, 8))
		if len(auth) > 0 {
			ev += fmt.Sprintf("; %s asked for a password", module.ListSome(auth, 8))
		}
		return []module.Hit{{Check: "rsync.module.open", Severity: finding.Medium,
			Evidence: ev + "; medium, not high: every listed module vigil asked for wanted a password, so only the names are exposed"}}
	}
	return nil
}
