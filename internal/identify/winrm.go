package identify

import (
	"context"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// winrmRequest is an empty WS-Management POST to /wsman (MS-WSMV 2.2.1):
// a WinRM listener answers it (401 with its authentication schemes, or a
// SOAP fault) where any other HTTP.sys service answers 404.
func winrmRequest(host string) []byte {
	return fmt.Appendf(nil, "POST /wsman HTTP/1.1\r\nHost: %s\r\nUser-Agent: vigil\r\nContent-Type: application/soap+xml;charset=UTF-8\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", host)
}

// winrmCandidate reports whether an HTTP server may host WinRM: Windows'
// HTTP.sys (Server: Microsoft-HTTPAPI) or openwsman.
func winrmCandidate(s *facts.Service) bool {
	server := strings.ToLower(s.Detail(facts.DetailHTTPServer))
	return strings.HasPrefix(server, "microsoft-httpapi") || strings.HasPrefix(server, "openwsman")
}

// isWinRM reports whether r is a WS-Management listener's answer to
// winrmRequest: a challenge naming a WinRM authentication scheme, or a
// SOAP document.
func isWinRM(r httpmsg.Response) bool {
	if r.Status == 404 || r.Status == 405 {
		return false
	}
	if r.Status == 401 {
		auth := strings.ToLower(strings.Join(r.Header["www-authenticate"], ", "))
		for _, scheme := range []string{"negotiate", "kerberos", "basic", "credssp"} {
			if strings.Contains(auth, scheme) {
				return true
			}
		}
	}
	return strings.HasPrefix(strings.ToLower(r.Get("content-type")), "application/soap+xml")
}

// recogniseWinRM asks an HTTP.sys or openwsman server whether /wsman is a
// WS-Management endpoint, and names the service WinRM when it is.
func (l *layer) recogniseWinRM(ctx context.Context, s *facts.Service) {
	if !winrmCandidate(s) {
		return
	}
	resp, err := l.exchange(ctx, winrmRequest(httpmsg.Host(l.addr, l.opt.ServerName, l.tls)), httpCap, httpmsg.Complete)
	if len(resp) == 0 && err != nil {
		return
	}
	r, err := httpmsg.Parse(resp)
	if err != nil || !isWinRM(r) {
		return
	}
	s.Name = proto.WinRM
	if v := r.Header["www-authenticate"]; len(v) > 0 {
		s.SetDetail(facts.DetailWinrmAuth, clean(strings.Join(v, ", "), 256))
	}
}
