package check

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// TestTelnetEvidenceEscapedOnce: a Telnet server's option negotiation
// (IAC bytes) is stored made printable once; the evidence quotes it as it
// is, without escaping the escapes again.
func TestTelnetEvidenceEscapedOnce(t *testing.T) {
	banner := sanitize.Printable([]byte("\xff\xfb\x25\xff\xfd\x18login: "), 0)
	h := facts.Host{Address: "127.0.2.20", Services: []facts.Service{{Port: 23, Transport: "tcp", Name: "telnet", Banner: banner}}}
	fs := JudgeHosts([]facts.Host{h}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if len(fs) == 0 || fs[0].Check != "cleartext.telnet" {
		t.Fatalf("findings %+v", fs)
	}
	ev := fs[0].Evidence
	if !strings.Contains(ev, `"\xff\xfb%\xff\xfd\x18login: "`) || strings.Contains(ev, `\\x`) {
		t.Errorf("evidence %q: the banner is escaped twice", ev)
	}
}
