package report

import (
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/fix"
	"github.com/vigilsec/vigil/internal/result"
)

// TestTablePromisesFixOnlyForItsProduct renders findings whose checks have
// an applier, on the product that applier changes and on others, through
// the table with fix.Offer (as vigil wires it), in a scan and in a host
// audit: `vigil fix` is promised only for the applier's own product.
func TestTablePromisesFixOnlyForItsProduct(t *testing.T) {
	end := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		svc   facts.Service
		check string
		offer bool
	}{
		{"Dropbear", facts.Service{Port: 22, Name: "ssh", Product: "Dropbear", Version: "2022.83"}, "ssh.cipher.weak", false},
		{"Apache httpd", facts.Service{Port: 443, Name: "http", Product: "Apache httpd", Version: "2.4.57", TLS: true}, "tls.protocol.tls10", false},
		{"pyftpdlib", facts.Service{Port: 21, Name: "ftp", Product: "pyftpdlib", Version: "1.5.7"}, "auth.anonymous.ftp", false},
		{"Valkey", facts.Service{Port: 6379, Name: "redis", Product: "Valkey", Version: "8.0.1"}, "auth.none.redis", false},
		{"an SSH server of unknown make", facts.Service{Port: 22, Name: "ssh"}, "ssh.mac.weak", false},
		{"OpenSSH", facts.Service{Port: 22, Name: "ssh", Product: "OpenSSH", Version: "9.2p1"}, "ssh.cipher.weak", true},
		{"nginx", facts.Service{Port: 443, Name: "http", Product: "nginx", Version: "1.22.1", TLS: true}, "tls.protocol.tls10", true},
		{"vsftpd", facts.Service{Port: 21, Name: "ftp", Product: "vsftpd", Version: "3.0.3"}, "auth.anonymous.ftp", true},
		{"Redis", facts.Service{Port: 6379, Name: "redis", Product: "Redis", Version: "7.0.15"}, "auth.none.redis", true},
		// Closing a port with nftables works whatever listens there.
		{"Dropbear's port", facts.Service{Port: 22, Name: "ssh", Product: "Dropbear"}, "exposure.admin", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.svc.Transport = "tcp"
			const addr = "127.0.2.10"
			f := finding.Finding{ID: finding.MakeID(tc.check, addr, tc.svc.Port, "tcp", ""), Check: tc.check, Severity: finding.High,
				Host: addr, Port: tc.svc.Port, Transport: "tcp", Title: "title", Recommendation: "do it by hand"}
			doc := result.Assemble("20260301T120000Z-00000001", end.Add(-time.Second), end, []string{addr},
				[]facts.Host{{Address: addr, Services: []facts.Service{tc.svc}}}, []finding.Finding{f}, nil)
			w, err := New("table", Options{Offer: fix.Offer})
			if err != nil {
				t.Fatal(err)
			}
			out := string(render(t, w, doc))
			promise := "vigil fix " + f.ID + " applies this fix"
			if !strings.Contains(out, "Finding "+f.ID) {
				t.Fatalf("the table lacks the finding:\n%s", out)
			}
			if got := strings.Contains(out, promise); got != tc.offer {
				t.Errorf("%s on %s: promise shown %v, want %v:\n%s", tc.check, tc.name, got, tc.offer, out)
			}
		})
	}
}

// TestTablePromisesFixFromTheHostAudit: a host audit has no scanned
// service; the daemon the audit found holding the listener decides.
func TestTablePromisesFixFromTheHostAudit(t *testing.T) {
	end := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := &facts.HostAudit{Hostname: "srv1", Addresses: []string{"192.0.2.2"},
		Listeners: []facts.Listener{
			{Transport: "tcp", Address: "0.0.0.0", Port: 21, PID: 400, Process: "vsftpd"},
			{Transport: "tcp", Address: "0.0.0.0", Port: 2121, PID: 410, Process: "proftpd"},
			{Transport: "tcp", Address: "0.0.0.0", Port: 22, PID: 812, Process: "sshd"},
		},
		FTP: []facts.FTPConfig{{PID: 400, Product: "vsftpd", ConfigFile: "/etc/vsftpd.conf", Anonymous: true},
			{PID: 410, Product: "proftpd", ConfigFile: "/etc/proftpd/proftpd.conf", Anonymous: true}},
		SSHD: []facts.SSHDConfig{{PID: 812, ConfigFile: "/etc/ssh/sshd_config"}},
	}
	mk := func(check string, port int) finding.Finding {
		return finding.Finding{ID: finding.MakeID(check, "192.0.2.2", port, "tcp", ""), Check: check, Severity: finding.High,
			Host: "192.0.2.2", Port: port, Transport: "tcp", Title: "title", Recommendation: "do it by hand"}
	}
	vs, pro, ssh := mk("ftp.config.anonymous", 21), mk("ftp.config.anonymous", 2121), mk("ssh.config.password-auth", 22)
	doc := result.Assemble("20260301T120000Z-0000host", end.Add(-time.Second), end, []string{"srv1"},
		[]facts.Host{{Address: "192.0.2.2"}}, []finding.Finding{vs, pro, ssh}, nil)
	doc.Kind, doc.HostAudit = result.KindHost, h
	out := string(render(t, Table{Offer: fix.Offer}, doc))
	for _, tc := range []struct {
		f     finding.Finding
		offer bool
	}{{vs, true}, {pro, false}, {ssh, true}} {
		if got := strings.Contains(out, "vigil fix "+tc.f.ID+" applies this fix"); got != tc.offer {
			t.Errorf("%s on port %d: promise shown %v, want %v", tc.f.Check, tc.f.Port, got, tc.offer)
		}
	}
}

func TestServiceFor(t *testing.T) {
	ng := facts.Service{Port: 443, Transport: "tcp", Name: "http", Product: "nginx"}
	scan := &result.Document{Hosts: []result.Host{{Address: "127.0.2.10", Services: []facts.Service{ng}}}}
	audit := &result.Document{HostAudit: &facts.HostAudit{Hostname: "srv1",
		Listeners: []facts.Listener{{Transport: "tcp", Address: "127.0.2.11", Port: 6379, PID: 9, Process: "redis-server"}},
		Redis:     []facts.RedisConfig{{PID: 9}}}}
	tests := []struct {
		doc     *result.Document
		f       finding.Finding
		product string
	}{
		{scan, finding.Finding{Host: "127.0.2.10", Port: 443, Transport: "tcp"}, "nginx"},
		{scan, finding.Finding{Host: "127.0.2.10", Port: 443}, "nginx"},
		{scan, finding.Finding{Host: "127.0.2.10", Port: 443, Transport: "udp"}, ""},
		{scan, finding.Finding{Host: "127.0.2.11", Port: 443, Transport: "tcp"}, ""},
		{audit, finding.Finding{Host: "127.0.2.11", Port: 6379, Transport: "tcp"}, "Redis"},
		{audit, finding.Finding{Host: "127.0.2.12", Port: 6379, Transport: "tcp"}, ""},
		{audit, finding.Finding{Host: "srv1", Port: 0}, ""},
	}
	for _, tc := range tests {
		got := ""
		if s := ServiceFor(tc.doc, tc.f); s != nil {
			got = s.Product
		}
		if got != tc.product {
			t.Errorf("ServiceFor(%s:%d/%s) = %q, want %q", tc.f.Host, tc.f.Port, tc.f.Transport, got, tc.product)
		}
	}
}
