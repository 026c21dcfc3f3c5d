package identify

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
)

// sipTCPHandler answers an OPTIONS request like a SIP server over TCP: a
// provisional 100, then 200 with server as its Server header, echoing the
// Call-ID; anything else is dropped without a word.
func sipTCPHandler(server string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		r := bufio.NewReader(c)
		first, err := r.ReadString('\n')
		if err != nil || !strings.HasPrefix(first, "OPTIONS sip:") {
			drain(c)
			return
		}
		callID := ""
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if v, ok := strings.CutPrefix(line, "Call-ID: "); ok {
				callID = strings.TrimSpace(v)
			}
			if line == "\r\n" {
				break
			}
		}
		fmt.Fprintf(c, "SIP/2.0 100 Trying\r\nCall-ID: %s\r\nContent-Length: 0\r\n\r\n", callID)
		fmt.Fprintf(c, "SIP/2.0 200 OK\r\nCall-ID: %s\r\nServer: %s\r\nAllow: INVITE, ACK, OPTIONS, BYE\r\nContent-Length: 0\r\n\r\n", callID, server)
		drain(c)
	}
}

func TestTCPSIP(t *testing.T) {
	t.Parallel()
	srv := serveTCP(t, sipTCPHandler("Asterisk PBX 20.5.0"))
	s := TCP(t.Context(), newDialer(t), srv.addr, testOptions)
	want{name: "sip", product: "Asterisk", version: "20.5.0", banner: "Asterisk PBX",
		details: map[string]string{"sip.status": "200 OK", "sip.allow": "INVITE, ACK, OPTIONS, BYE"}}.check(t, s)
}
