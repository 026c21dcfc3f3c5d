package report

import (
	"fmt"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

func epss(p float64) *float64 { return &p }

// Real vulnerabilities, with NVD's primary CVSS 3.1 scores, CISA KEV dates
// (catalogue 2025.08.25), FIRST EPSS scores of 2026-08-15 and Debian's
// fixed versions and urgencies: the facts of internal/vulndb/testdata.
var (
	cve2024_6387 = finding.Vulnerability{ID: "CVE-2024-6387", Aliases: []string{"DEBIAN-CVE-2024-6387", "DSA-5724-1"},
		CVSS: 8.1, CVSSVersion: "3.1", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
		EPSS: epss(0.99506), Fixed: "1:9.2p1-2+deb12u3", URL: "https://security-tracker.debian.org/tracker/CVE-2024-6387"}
	cve2023_51385 = finding.Vulnerability{ID: "CVE-2023-51385", Aliases: []string{"DEBIAN-CVE-2023-51385"},
		CVSS: 9.8, CVSSVersion: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		EPSS: epss(0.19753), Fixed: "1:9.2p1-2+deb12u2", URL: "https://security-tracker.debian.org/tracker/CVE-2023-51385"}
	cve2023_48795 = finding.Vulnerability{ID: "CVE-2023-48795", Aliases: []string{"DEBIAN-CVE-2023-48795"},
		EPSS: epss(0.93305), Fixed: "1:9.2p1-2+deb12u2", URL: "https://security-tracker.debian.org/tracker/CVE-2023-48795"}
	cve2021_42013 = finding.Vulnerability{ID: "CVE-2021-42013", CVSS: 9.8, CVSSVersion: "3.1",
		Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", KEV: true, KEVAdded: "2021-11-03",
		EPSS: epss(0.99964), Fixed: "2.4.51", URL: "https://nvd.nist.gov/vuln/detail/CVE-2021-42013"}
	cve2021_41773 = finding.Vulnerability{ID: "CVE-2021-41773", CVSS: 7.5, CVSSVersion: "3.1",
		Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", KEV: true, KEVAdded: "2021-11-03",
		EPSS: epss(0.99992), Fixed: "2.4.50", URL: "https://nvd.nist.gov/vuln/detail/CVE-2021-41773"}
	cve2025_23419 = finding.Vulnerability{ID: "CVE-2025-23419", Aliases: []string{"DEBIAN-CVE-2025-23419"},
		Fixed: "1.22.1-9+deb12u1", URL: "https://security-tracker.debian.org/tracker/CVE-2025-23419"}
	cve2023_44487 = finding.Vulnerability{ID: "CVE-2023-44487", Aliases: []string{"DEBIAN-CVE-2023-44487"},
		CVSS: 7.5, CVSSVersion: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", KEV: true, KEVAdded: "2023-10-10",
		EPSS: epss(0.99999), URL: "https://security-tracker.debian.org/tracker/CVE-2023-44487", Urgency: finding.Unimportant}
)

// vulnFinding is a vuln.known finding as package vuln files it.
func vulnFinding(host string, port int, subject string, sev finding.Severity, pkg finding.Package, title, evidence, fix string, vs ...finding.Vulnerability) finding.Finding {
	transport := ""
	if port > 0 {
		transport = "tcp"
	}
	c, _ := check.Lookup("vuln.known")
	return finding.Finding{ID: finding.MakeID("vuln.known", host, port, transport, subject), Check: "vuln.known", Severity: sev,
		Host: host, Port: port, Transport: transport, Subject: subject, Title: title, Evidence: evidence, Recommendation: fix,
		Frameworks: c.Frameworks, Package: &pkg, Vulnerabilities: vs}
}

// vulnFixture is a scan that found known-vulnerable software: Debian 12's
// OpenSSH before its 2023-12 and 2024-07 updates, judged by its banner;
// Apache httpd 2.4.49, judged by NVD's ranges, with two CVEs exploited in
// the wild; and, from the latest host audit's package database, nginx
// with a fix pending and a KEV entry Debian rates unimportant.
func vulnFixture() *result.Document {
	hosts := []facts.Host{
		{Address: "127.0.2.12", Ports: facts.PortCounts{Open: 1, Closed: 65534}, Services: []facts.Service{
			{Port: 2222, Transport: "tcp", Name: "ssh", Product: "OpenSSH", Version: "9.2p1", Banner: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1"}}},
		{Address: "127.0.2.15", Ports: facts.PortCounts{Open: 1, Closed: 65534}, Services: []facts.Service{
			{Port: 80, Transport: "tcp", Name: "http", Product: "Apache httpd", Version: "2.4.49", Banner: "Apache/2.4.49 (Unix)"}}},
	}
	fs := []finding.Finding{
		vulnFinding("127.0.2.12", 2222, "OpenSSH", finding.Critical,
			finding.Package{Name: "openssh", Version: "9.2p1-2+deb12u1", Source: "openssh", Ecosystem: "Debian:12", From: "banner"},
			"openssh 9.2p1-2+deb12u1 has 3 known vulnerabilities",
			"the fixed versions of openssh (OSV Debian:12): CVE-2023-51385 (CVSS 9.8, fixed in 1:9.2p1-2+deb12u2), CVE-2024-6387 (CVSS 8.1, fixed in 1:9.2p1-2+deb12u3), CVE-2023-48795 (unscored, fixed in 1:9.2p1-2+deb12u2).",
			"Upgrade the package: apt-get update && apt-get install --only-upgrade openssh-server (Debian 12 fixes all of these in 1:9.2p1-2+deb12u3).",
			cve2023_51385, cve2024_6387, cve2023_48795),
		vulnFinding("127.0.2.15", 80, "Apache httpd", finding.Critical,
			finding.Package{Name: "Apache httpd", Version: "2.4.49", Ecosystem: "upstream", From: "banner"},
			"Apache httpd 2.4.49 has 2 known vulnerabilities, 2 exploited in the wild",
			"NVD's version ranges for apache:http_server: CVE-2021-42013 (CVSS 9.8, exploited in the wild, fixed in 2.4.51), CVE-2021-41773 (CVSS 7.5, exploited in the wild, fixed in 2.4.50).",
			"Upgrade Apache httpd to 2.4.51 or later, or to a distribution package that fixes these. CISA lists CVE-2021-42013 as exploited in the wild: do this first.",
			cve2021_42013, cve2021_41773),
		vulnFinding("clinic-server", 0, "nginx", finding.Medium,
			finding.Package{Name: "nginx", Version: "1.22.1-9", Source: "nginx", Ecosystem: "Debian:12", From: "package-db"},
			"nginx 1.22.1-9 has 2 known vulnerabilities, 1 exploited in the wild",
			"the package database lists nginx 1.22.1-9: judged by the fixed versions of nginx (OSV Debian:12): CVE-2025-23419 (unscored, fixed in 1.22.1-9+deb12u1), CVE-2023-44487 (CVSS 7.5, exploited in the wild, rated unimportant by the distribution, which plans no fix).",
			"Upgrade the package: apt-get update && apt-get install --only-upgrade nginx nginx-common (Debian 12 fixes all of these in 1.22.1-9+deb12u1).",
			cve2025_23419, cve2023_44487),
	}
	audited := map[string]time.Time{"clinic-server": scanStart.Add(-2 * time.Hour)}
	doc := result.Assemble("20261123T190333Z-5e6f7a8b", scanStart, scanEnd, []string{"127.0.2.12", "127.0.2.15", "clinic-server"}, hosts, fs, audited)
	doc.Ports = "1-65535"
	doc.Label = "clinic"
	doc.Tool = "vigil 0.4.0"
	return doc
}

// manyVulns returns n vulnerabilities of one package, scored from 9.9
// down, so that the listing's order and its cut are known.
func manyVulns(n int) []finding.Vulnerability {
	vs := make([]finding.Vulnerability, n)
	for i := range vs {
		vs[i] = finding.Vulnerability{ID: fmt.Sprintf("CVE-2024-%04d", 1000+i), CVSS: 9.9 - float64(i)/10, Fixed: "1.2.3-1"}
	}
	return vs
}

// Hostile values in every new field, as a poisoned database or a forged
// document could hold them.
const (
	hostileID  = "CVE-2024-0001\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07"
	hostileURL = "javascript:alert(document.domain)"
)

// hostileVulnDoc is a scan whose vuln.known finding carries terminal
// escapes, markup, formula starts and a javascript: URL in its package and
// vulnerabilities.
func hostileVulnDoc() *result.Document {
	doc := vulnFixture()
	f := &doc.Findings[0]
	f.Package = &finding.Package{Name: "\x1b[2J<script>alert('pkg')</script>", Version: "=HYPERLINK(\"http://evil.example\")",
		Ecosystem: "<b>Debian</b>\x1b[31m", From: "<i>banner</i>"}
	f.Vulnerabilities = []finding.Vulnerability{
		{ID: hostileID, CVSS: 9.8, KEV: true, KEVAdded: "\x1b[5m2024-01-01", URL: hostileURL, Fixed: "<img src=x onerror=alert(1)>", Urgency: "\x1b[8mhidden"},
		{ID: "<script>alert('id')</script>", CVSS: 7.5, URL: `https://evil.example/"><script>alert('url')</script>`},
		{ID: "@SUM(1+1)", URL: "data:text/html,<script>alert(1)</script>"},
		cve2024_6387,
	}
	return doc
}
