// Package protocols is the registry of the protocols that live in a
// package of their own (internal/protocols/NAME, each exporting one
// module.Module value named Module). Identification, the audit dispatcher
// and the check catalogue take their parts from Modules; adding a protocol
// is one line here (see docs/adding-a-protocol.md).
package protocols

import (
	"github.com/vigilsec/vigil/internal/module"
	"github.com/vigilsec/vigil/internal/protocols/ntp"
	"github.com/vigilsec/vigil/internal/protocols/rsync"
	"github.com/vigilsec/vigil/internal/protocols/x11"
)

// Modules lists every protocol module. Order is data: within each stage
// (banner matchers, TCP probes, UDP probes, audits, judges, the catalogue)
// modules come after the built-in entries, in this order.
var Modules = []module.Module{
	ntp.Module,
	rsync.Module,
	x11.Module,
}
