package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/result"
)

// Base is the start time of Document(0, …); document n starts n minutes
// later.
var Base = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// ID returns the scan id of Document(n, …).
func ID(n int) string {
	return Base.Add(time.Duration(n)*time.Minute).Format("20060102T150405Z") + fmt.Sprintf("-%08x", uint32(n)*2654435761)
}

// checks is a rotation of (check, severity) for generated findings.
var checks = []struct {
	id  string
	sev finding.Severity
}{
	{"cleartext.telnet", finding.Critical},
	{"ssh.cipher.weak", finding.High},
	{"tls.protocol.tls10", finding.High},
	{"ssh.auth.password", finding.Medium},
	{"tls.cert.untrusted", finding.Medium},
	{"tls.protocol.no-tls13", finding.Low},
}

// Document returns a deterministic scan document: the same arguments always
// give the same document. It has hosts hosts on 10.n.x.y, two services each,
// and perHost findings on each host, with evidence padded to pad bytes so
// tests can make documents as large as they need. Banners and evidence carry
// escape sequences and non-ASCII text, as hostile servers send.
func Document(n, hosts, perHost, pad int) *result.Document {
	started := Base.Add(time.Duration(n) * time.Minute)
	finished := started.Add(time.Duration(37+n%50)*time.Second + 123456789)
	var hs []facts.Host
	var fs []finding.Finding
	for h := range hosts {
		addr := fmt.Sprintf("10.%d.%d.%d", n%250, h/250, h%250+1)
		hs = append(hs, facts.Host{
			Address: addr,
			Ports:   facts.PortCounts{Open: 2, Closed: 65533},
			Services: []facts.Service{
				{Port: 22, Transport: "tcp", Name: proto.SSH, Product: "OpenSSH", Version: "9.2p1",
					Banner: `SSH-2.0-OpenSSH_9.2p1 Debian \x1b[31m`},
				{Port: 443, Transport: "tcp", Name: proto.HTTP, TLS: true, Product: "nginx",
					Details: map[string]string{"server": "nginx/1.22.1 «ünïcode»"}},
			},
		})
		for k := range perHost {
			c := checks[(n+h+k)%len(checks)]
			port := []int{22, 443, 0}[k%3]
			subject := fmt.Sprintf("s%d", k)
			evidence := fmt.Sprintf("scan %d host %s finding %d: \x1b]0;title\x07 <script>alert(1)</script> ", n, addr, k)
			if pad > len(evidence) {
				evidence += strings.Repeat("e", pad-len(evidence))
			}
			fs = append(fs, finding.Finding{
				ID:    finding.MakeID(c.id, addr, port, "tcp", subject),
				Check: c.id, Severity: c.sev, Host: addr, Port: port, Transport: "tcp",
				Title:          "Generated finding " + c.id,
				Evidence:       evidence,
				Recommendation: "Fix " + c.id + " on " + addr,
				Frameworks:     []string{"HIPAA 164.312(e)(1)", "GDPR 32(1)(a)"},
				Subject:        subject,
			})
		}
	}
	doc := result.Assemble(ID(n), started, finished, []string{fmt.Sprintf("10.%d.0.0/16", n%250)}, hs, fs, nil)
	doc.Ports = "1-65535"
	doc.Tool = "vigil test"
	if n%2 == 0 {
		doc.Label = fmt.Sprintf("environment %d", n)
	}
	return doc
}
