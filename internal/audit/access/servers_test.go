package access

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// serve runs handler for every connection to a listener on 127.0.0.1 and
// returns its address; everything stops when the test ends.
func serve(t *testing.T, handler func(ctx context.Context, c net.Conn)) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		_ = l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				stop := context.AfterFunc(ctx, func() { _ = c.Close() })
				defer stop()
				handler(ctx, c)
			}()
		}
	}()
	return netip.MustParseAddrPort(l.Addr().String())
}

// lineServer greets and then answers each line by the first rule whose
// prefix (upper case) it starts with; "" matches anything. An answer of
// "<close>" closes the connection.
type rule struct{ prefix, answer string }

func lineServer(greeting string, rules ...rule) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		if greeting != "" {
			if _, err := c.Write([]byte(greeting)); err != nil {
				return
			}
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			up := strings.ToUpper(strings.TrimRight(line, "\r\n"))
			for _, ru := range rules {
				if strings.HasPrefix(up, ru.prefix) {
					if ru.answer == "<close>" {
						return
					}
					if _, err := c.Write([]byte(ru.answer)); err != nil {
						return
					}
					break
				}
			}
		}
	}
}

// auditAt audits a service of the given name on addr with test options.
func auditAt(t *testing.T, addr netip.AddrPort, s *facts.Service, opt Options) (*facts.Access, error) {
	t.Helper()
	if s.Port == 0 {
		s.Port = int(addr.Port())
	}
	if s.Transport == "" {
		s.Transport = facts.TCP
	}
	if opt.Timeout == 0 {
		opt.Timeout = time.Second
	}
	a, err := Audit(t.Context(), newDialer(t), addr, s, opt)
	assertPrintable(t, s, a)
	return a, err
}

// boolp renders a *bool for messages.
func boolp(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}

// netipClosed returns a loopback address where nothing listens.
func netipClosed(t *testing.T) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort(l.Addr().String())
	_ = l.Close()
	return a
}

func bytesContains(b, sub []byte) bool { return strings.Contains(string(b), string(sub)) }
