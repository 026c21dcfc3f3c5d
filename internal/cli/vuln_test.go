package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// debian12 is /etc/os-release as Debian 12 ships it.
const debian12 = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`

// TestHostRootReportsOldPackages: vigil host --root on a root file system
// whose dpkg status holds the original bookworm openssh (1:9.2p1-2)
// reports the CVEs Debian fixed after that version, by source package,
// and not CVE-2021-41617, which Debian fixed before it (1:8.7p1-1).
func TestHostRootReportsOldPackages(t *testing.T) {
	root := t.TempDir()
	status, err := os.ReadFile("../vulndb/testdata/dpkg/status-old-openssh")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"etc/os-release": []byte(debian12), "var/lib/dpkg/status": status, "etc/hostname": []byte("imaged\n")} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := importVulnDB(t)
	out := filepath.Join(t.TempDir(), "root.json")
	if code, _, stderr := run(t, "host", "--root", root, "--vulndb", db, "--no-store", "--format", "json", "-o", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	validateScan(t, raw)
	var doc result.Document
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	bySource := map[string]finding.Finding{}
	for _, f := range doc.Findings {
		if f.Check == "vuln.known" {
			bySource[f.Subject] = f
		}
	}
	ssh, ok := bySource["openssh"]
	if !ok {
		t.Fatalf("no finding for openssh: %+v", doc.Findings)
	}
	var ids []string
	for _, v := range ssh.Vulnerabilities {
		ids = append(ids, v.ID)
	}
	slices.Sort(ids)
	if want := []string{"CVE-2023-38408", "CVE-2023-48795", "CVE-2023-51385", "CVE-2024-6387"}; !slices.Equal(ids, want) {
		t.Errorf("openssh 1:9.2p1-2: %v, want %v", ids, want)
	}
	if ssh.Host != "imaged" || ssh.Package == nil || ssh.Package.From != "package-db" || ssh.Package.Ecosystem != "Debian:12" || ssh.Severity != finding.Critical { // CVE-2023-38408 and CVE-2023-51385: CVSS 9.8
		t.Errorf("openssh finding: host %q package %+v severity %s", ssh.Host, ssh.Package, ssh.Severity)
	}
	if _, ok := bySource["glibc"]; !ok {
		t.Errorf("glibc 2.36-9 (CVE-2023-4911 fixed in 2.36-9+deb12u3) not reported: %v", bySource)
	}
	// A mounted root is no machine: no host of the document is audited.
	for _, h := range doc.Hosts {
		if h.Audited != nil {
			t.Errorf("host %s of a mounted root counts as audited", h.Address)
		}
	}

	// Without a database the same audit says so, and files nothing.
	if code, _, stderr := run(t, "host", "--root", root, "--no-store", "--format", "json", "-o", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, _ = os.ReadFile(out)
	doc = result.Document{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(doc.Findings, func(f finding.Finding) bool { return f.Check == "vuln.known" }) ||
		!slices.ContainsFunc(doc.NotExamined, func(g result.Gap) bool { return slices.Contains(g.Checks, "vuln.known") }) {
		t.Errorf("without a database: findings %d, gaps %+v", len(doc.Findings), doc.NotExamined)
	}
}
