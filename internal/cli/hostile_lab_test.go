package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/lab"
)

// sgr matches the colour codes vigil itself writes; nothing else may
// reach the terminal as an escape sequence.
var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestHostileServers scans the lab's hostile and broken servers — one
// trickling a byte a second, one sending megabytes, one whose banner holds
// HTML, JavaScript and terminal escapes, and garbage, truncated and endless
// TLS and SSH servers — and checks that the scan finishes and prints no
// escape sequence that came from the network, in the table and in JSON.
func TestHostileServers(t *testing.T) {
	m := lab.Require(t)
	ports := map[string][]int{}
	for _, s := range m.Services {
		if s.Hostile != "" && s.Transport == "tcp" {
			ports[s.Host] = append(ports[s.Host], s.Port)
		}
	}
	if len(ports) == 0 {
		t.Fatal("the lab manifest lists no hostile servers")
	}
	for host, ps := range ports {
		spec := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ps)), ","), "[]")
		for _, color := range []string{"always", "never"} {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			var out, errb strings.Builder
			done := make(chan int, 1)
			go func() {
				done <- Execute(ctx, "test", []string{"scan", host, "-p", spec, "--udp-ports", "", "--no-store", "--color", color}, strings.NewReader(""), &out, &errb)
			}()
			var code int
			select {
			case code = <-done:
			case <-ctx.Done():
				t.Fatalf("scan of hostile servers on %s did not finish in 3 minutes", host)
			}
			cancel()
			if code != ExitOK {
				t.Fatalf("%s: exit %d: %s", host, code, errb.String())
			}
			rest := sgr.ReplaceAllString(out.String()+errb.String(), "")
			if strings.ContainsRune(rest, 0x1b) || strings.ContainsRune(rest, 0x07) || strings.ContainsRune(rest, 0x9b) {
				t.Errorf("%s (--color %s): raw escape or control bytes reached the output:\n%q", host, color, rest)
			}
			if color == "never" && strings.Contains(out.String(), "\x1b") {
				t.Errorf("%s: --color never still printed escapes", host)
			}
		}
	}

	// The escape server's banner must be visible, escaped, in table and JSON.
	esc := m.Find("hostile-escape")
	code, out, stderr := run(t, "scan", esc.Host, "-p", fmt.Sprint(esc.Port), "--udp-ports", "", "--no-store", "--color", "never")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, `<script>alert("vigil")</script>`) {
		t.Errorf("the hostile banner is not shown as text in the table:\n%s", out)
	}
	code, out, stderr = run(t, "scan", esc.Host, "-p", fmt.Sprint(esc.Port), "--udp-ports", "", "--no-store", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Hosts []struct {
			Services []struct{ Name, Banner string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Hosts) != 1 || len(doc.Hosts[0].Services) != 1 {
		t.Fatalf("want one service, got %s", out)
	}
	b := doc.Hosts[0].Services[0].Banner
	if strings.IndexFunc(b, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 || !strings.Contains(b, `\x1b`) {
		t.Errorf("banner in JSON = %q: want printable, with the ESC shown as \\x1b", b)
	}
}
