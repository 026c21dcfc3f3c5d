package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Hostile strings a lab service may send, kept raw (as a document written by
// another tool or an older vigil might hold them) to prove that escaping
// happens at output time.
const (
	hostileBanner = "<script>alert(\"vigil\")</script>\x1b[31m"
	hostileHTML   = `<img src=x onerror="document.title='pwned'"><b>bold</b>`
	hostileCSV    = `=cmd|' /C calc'!A0`
)

var (
	scanStart = time.Date(2026, 11, 23, 19, 3, 33, 0, time.UTC)
	scanEnd   = scanStart.Add(2*time.Minute + 7*time.Second)
)

// fixture is a fixed scan of five lab hosts: several severities, a host
// audit finding on a host with no open port, and a hostile service.
func fixture() *result.Document {
	hosts := []facts.Host{
		{Address: "127.0.2.10", Names: []string{"files.clinic.lan"}, Ports: facts.PortCounts{Open: 2, Closed: 65533},
			Services: []facts.Service{
				{Port: 21, Transport: "tcp", Name: "ftp", Product: "vsftpd", Version: "3.0.3", Banner: "220 (vsFTPd 3.0.3)"},
				{Port: 443, Transport: "tcp", Name: "http", Product: "nginx", Version: "1.22.1", TLS: true},
			}},
		{Address: "127.0.2.12", Ports: facts.PortCounts{Open: 1, Closed: 65534},
			Services: []facts.Service{
				{Port: 2222, Transport: "tcp", Name: "ssh", Product: "OpenSSH", Version: "9.2p1", Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"},
			}},
		{Address: "127.0.2.13", Ports: facts.PortCounts{Open: 1, Closed: 65534},
			Services: []facts.Service{
				{Port: 8080, Transport: "tcp", Name: "http", Product: hostileCSV, Banner: hostileBanner + " " + hostileHTML},
			}},
		{Address: "127.0.2.14", Ports: facts.PortCounts{Closed: 65535}},
	}
	mk := func(id, host string, port int, transport, evidence string) finding.Finding {
		return check.MakeFinding(check.Hit{Check: id, Evidence: evidence}, host, port, transport)
	}
	fs := []finding.Finding{
		mk("ssh.cipher.weak", "127.0.2.12", 2222, "tcp", "offers 3des-cbc, aes128-cbc"),
		mk("cleartext.ftp", "127.0.2.10", 21, "tcp", "vsftpd 3.0.3 does not offer AUTH TLS"),
		mk("cleartext.http-auth", "127.0.2.13", 8080, "tcp", "asks for a password over plain HTTP; the server said "+hostileBanner+" "+hostileHTML+" "+hostileCSV),
		mk("tls.cert.untrusted", "127.0.2.10", 443, "tcp", "self-signed certificate CN=files.clinic.lan"),
		mk("firewall.none", "clinic-server", 0, "", "nft list ruleset is empty; 4 listeners beyond loopback"),
		mk("tls.protocol.no-tls13", "127.0.2.10", 443, "tcp", "offers TLS 1.2 only"),
	}
	// A fix with several lines and a formula-looking first character.
	fs[1].Recommendation = "-- In /etc/vsftpd.conf set:\nssl_enable=YES\nforce_local_logins_ssl=YES\nThen restart vsftpd."
	audited := map[string]time.Time{"clinic-server": scanStart.Add(-2 * time.Hour)}
	doc := result.Assemble("20261123T190333Z-1a2b3c4d", scanStart, scanEnd, []string{"127.0.2.10-14", "clinic-server"}, hosts, fs, audited)
	doc.Ports = "1-65535"
	doc.Label = "clinic"
	doc.Tool = "vigil 0.4.0"
	return doc
}

// fixtureAssessment is the HIPAA assessment of the fixture.
func fixtureAssessment(t *testing.T) *compliance.Assessment {
	t.Helper()
	a, err := compliance.Assess(compliance.HIPAA, fixture(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./internal/report -update\n--- got:\n%s", name, got)
	}
}

// render writes doc with w.
func render(t *testing.T, w Writer, doc *result.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := w.Write(&buf, doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// outDir is where tests leave files for people to look at (screenshots,
// PDFs): $VIGIL_TEST_OUT, or testdata/out (git-ignored).
func outDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("VIGIL_TEST_OUT")
	if dir == "" {
		dir = filepath.Join("testdata", "out")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
