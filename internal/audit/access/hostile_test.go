package access

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// TestHostileServers: servers that trickle, flood or send escape sequences
// cannot hold an audit beyond its budget, and nothing they send is kept
// raw.
func TestHostileServers(t *testing.T) {
	const timeout = 300 * time.Millisecond
	trickle := func(ctx context.Context, c net.Conn) {
		for _, b := range []byte("220-" + string(bytes.Repeat([]byte("a"), 1000))) {
			if ctx.Err() != nil {
				return
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	flood := func(ctx context.Context, c net.Conn) {
		chunk := bytes.Repeat([]byte("250-\x1b[31mXXXX "), 4096)
		for ctx.Err() == nil {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	escape := lineServer("220 \x1b]0;pwned\a<script>x</script>\r\n",
		rule{"EHLO", "250-\x1b[2Jmx\r\n250-AUTH PL\x1bAIN\r\n250 X-\x00\r\n"},
		rule{"FEAT", "211-\x1b[31m\r\n AUTH \x07TLS\r\n211 End\r\n"},
		rule{"USER", "230 \x1b[2Jwelcome\r\n"},
		rule{"", "500 \x1b[0m?\r\n"})
	for _, name := range []string{"ftp", "smtp", "imap", "pop3", "ldap", "http", "redis", "memcached", "mongodb", "elasticsearch", "docker", "vnc", "postgresql"} {
		for kind, h := range map[string]func(context.Context, net.Conn){"trickle": trickle, "flood": flood, "escape": escape} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				addr := serve(t, h)
				start := time.Now()
				s := &facts.Service{Name: name}
				_, _ = auditAt(t, addr, s, Options{Timeout: timeout})
				if d := time.Since(start); d > budgetExchanges*timeout+time.Second {
					t.Errorf("took %v", d)
				}
			})
		}
	}
}
