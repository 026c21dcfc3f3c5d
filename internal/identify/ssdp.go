package identify

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// ssdpSearch is a unicast M-SEARCH for every device and service (UPnP
// Device Architecture 1.1 §1.3.2: no MX in a unicast search).
func ssdpSearch(remote netip.AddrPort) []byte {
	return fmt.Appendf(nil, "M-SEARCH * HTTP/1.1\r\nHOST: %s\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nUSER-AGENT: Linux/6 UPnP/1.1 vigil/1\r\n\r\n", remote)
}

// ssdpResponse is what one search response told.
type ssdpResponse struct {
	server, st, usn, location string
}

// parseSSDPResponse parses an HTTP-over-UDP search response: "HTTP/1.1 200
// OK" with ST and USN headers.
func parseSSDPResponse(b []byte) (ssdpResponse, error) {
	head := b
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		head = b[:i]
	}
	lines := strings.Split(string(head), "\n")
	first := strings.TrimRight(lines[0], "\r")
	if !strings.HasPrefix(first, "HTTP/1.") || len(first) < 12 || first[8:12] != " 200" || len(first) > 12 && first[12] != ' ' {
		return ssdpResponse{}, noMatch(proto.SSDP, "no HTTP/1.x 200 status line")
	}
	var r ssdpResponse
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToUpper(strings.TrimSpace(name)) {
		case "SERVER":
			r.server = clean(value, 128)
		case "ST":
			r.st = clean(value, 128)
		case "USN":
			r.usn = clean(value, 160)
		case "LOCATION":
			r.location = clean(value, 160)
		}
	}
	if r.st == "" && r.usn == "" {
		return ssdpResponse{}, noMatch(proto.SSDP, "no ST or USN header")
	}
	return r, nil
}

// ssdpProduct takes the product from a SERVER header "OS/version
// UPnP/1.x product/version": the last token that is not UPnP or DLNADOC.
func ssdpProduct(server string) (product, version string) {
	fields := strings.Fields(server)
	for i := len(fields) - 1; i >= 0; i-- {
		name, ver, _ := strings.Cut(fields[i], "/")
		up := strings.ToUpper(name)
		if name == "" || up == "UPNP" || up == "DLNADOC" || i == 0 && len(fields) > 2 {
			continue
		}
		return clean(name, 48), clean(ver, 32)
	}
	return "", ""
}

// applySSDP records a search response in s: product and version from
// SERVER, details ssdp.server, ssdp.location and ssdp.st (the search
// targets announced, comma-separated, at most 16).
func applySSDP(r ssdpResponse, s *facts.Service) {
	s.Name = proto.SSDP
	if r.server != "" && s.Detail(facts.DetailSsdpServer) == "" {
		s.SetDetail(facts.DetailSsdpServer, r.server)
		s.Banner = r.server
		s.Product, s.Version = ssdpProduct(r.server)
	}
	if r.location != "" && s.Detail(facts.DetailSsdpLocation) == "" {
		s.SetDetail(facts.DetailSsdpLocation, r.location)
	}
	if r.st != "" {
		sts := strings.Split(s.Detail(facts.DetailSsdpSt), ",")
		if sts[0] == "" {
			sts = nil
		}
		if !slices.Contains(sts, r.st) && len(sts) < 16 {
			s.SetDetail(facts.DetailSsdpSt, strings.Join(append(sts, r.st), ","))
		}
	}
}

// ssdpSession is the unicast M-SEARCH. SSDP has no request id: a search
// response is an HTTP 200 with ST or USN, which no other probe's answer
// is. A device sends one per service it offers, so all are awaited.
type ssdpSession struct{ remote netip.AddrPort }

func newSSDPSession(e udpEnv) udpSession { return &ssdpSession{remote: e.remote} }

func (p *ssdpSession) request(int) []byte { return ssdpSearch(p.remote) }

func (p *ssdpSession) answer(b []byte, s *facts.Service) (bool, bool) {
	r, err := parseSSDPResponse(b)
	if err != nil {
		return false, false
	}
	applySSDP(r, s)
	return true, false
}
