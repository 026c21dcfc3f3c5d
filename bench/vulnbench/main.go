// Command vulnbench is a helper of bench/vulndb.sh, not part of vigil.
//
//	vulnbench corpus [-osv N] [-nvd N] [-seed S] DIR
//
// writes a synthetic corpus the size of the real feeds, in their real
// formats: DIR/osv/all.zip (N OSV records in Debian's shape, for releases
// 10 to 13; a fifth of them about the kernel, the rest spread over this
// machine's source packages and made-up ones, as real advisories are),
// DIR/nvd/page-NNNN.json (NVD CVE API 2.0 pages of 2,000 records with
// realistic configurations and metrics), DIR/kev.json and DIR/epss.csv.gz.
// The real feeds cannot be downloaded on the benchmark machine.
//
//	vulnbench match -vulndb FILE [-status FILE] [-n RUNS]
//
// parses a dpkg status file (default: this machine's) as vigil host does
// and times vuln.Matcher.Packages over the whole inventory, as Debian 12.
package main

import (
	"archive/zip"
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/vuln"
	"github.com/vigilsec/vigil/internal/vulndb"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vulnbench corpus|match …")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "corpus":
		err = corpus(os.Args[2:])
	case "match":
		err = match(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnbench:", err)
		os.Exit(1)
	}
}

func corpus(args []string) error {
	fs := flag.NewFlagSet("corpus", flag.ExitOnError)
	nOSV := fs.Int("osv", 60000, "OSV records")
	nNVD := fs.Int("nvd", 40000, "NVD records (one year is about 40,000)")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("corpus: give the output directory")
	}
	dir := fs.Arg(0)
	r := rand.New(rand.NewPCG(*seed, 2))
	names := sourcePackages(r)
	if err := os.MkdirAll(filepath.Join(dir, "osv"), 0o755); err != nil {
		return err
	}
	if err := writeOSV(filepath.Join(dir, "osv", "all.zip"), *nOSV, names, r); err != nil {
		return err
	}
	if err := writeNVD(filepath.Join(dir, "nvd"), *nNVD, r); err != nil {
		return err
	}
	if err := writeKEV(filepath.Join(dir, "kev.json"), *nNVD, r); err != nil {
		return err
	}
	return writeEPSS(filepath.Join(dir, "epss.csv.gz"), *nNVD, r)
}

// sourcePackages are this machine's source package names (as dpkg names
// them) and as many made-up ones, 20,000 in all.
func sourcePackages(r *rand.Rand) []string {
	out, _ := exec.Command("dpkg-query", "-W", "-f=${source:Package}\n").Output()
	var names []string
	for _, n := range strings.Fields(string(out)) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for i := len(names); i < 20000; i++ {
		names = append(names, fmt.Sprintf("pkg%05d", r.IntN(100000)))
	}
	return names
}

func cveID(i int) string { return fmt.Sprintf("CVE-%d-%d", 2000+i%26, 10000+i) }

// writeOSV writes n Debian-shaped OSV records into a zip, one file each,
// as OSV's all.zip holds them.
func writeOSV(path string, n int, names []string, r *rand.Rand) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	z := zip.NewWriter(f)
	codenames := map[int]string{10: "buster", 11: "bullseye", 12: "bookworm", 13: "trixie"}
	for i := range n {
		pkg := names[r.IntN(len(names))]
		if r.IntN(5) == 0 {
			pkg = "linux"
		}
		type event map[string]string
		var affected []map[string]any
		for rel := 10; rel <= 13; rel++ {
			if r.IntN(4) == 0 {
				continue
			}
			events := []event{{"introduced": "0"}}
			if r.IntN(5) != 0 {
				events = append(events, event{"fixed": fmt.Sprintf("%d.%d.%d-%d+deb%du%d", 1+r.IntN(9), r.IntN(30), r.IntN(30), 1+r.IntN(9), rel, 1+r.IntN(9))})
			}
			a := map[string]any{
				"package": map[string]string{"ecosystem": fmt.Sprintf("Debian:%d", rel), "name": pkg,
					"purl": fmt.Sprintf("pkg:deb/debian/%s?arch=source&distro=%s", pkg, codenames[rel])},
				"ranges": []map[string]any{{"type": "ECOSYSTEM", "events": events}},
			}
			if r.IntN(10) == 0 {
				a["ecosystem_specific"] = map[string]string{"urgency": "unimportant"}
			}
			affected = append(affected, a)
		}
		cve := cveID(i)
		rec := map[string]any{
			"schema_version": "1.6.0", "id": "DEBIAN-" + cve, "modified": "2026-11-30T00:00:00Z", "upstream": []string{cve},
			"details":    strings.Repeat("A flaw was found that allows an attacker to cause harm. ", 1+r.IntN(6)),
			"affected":   affected,
			"references": []map[string]string{{"type": "ADVISORY", "url": "https://security-tracker.debian.org/tracker/" + cve}},
		}
		w, err := z.Create("DEBIAN-" + cve + ".json")
		if err != nil {
			return err
		}
		if err := json.NewEncoder(w).Encode(rec); err != nil {
			return err
		}
	}
	return z.Close()
}

// writeNVD writes n NVD CVE records as API 2.0 pages of 2,000.
func writeNVD(dir string, n int, r *rand.Rand) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	vendors := []string{"openbsd:openssh", "f5:nginx", "apache:http_server", "exim:exim", "isc:bind", "redis:redis", "mariadb:mariadb",
		"postgresql:postgresql", "samba:samba", "squid-cache:squid", "dovecot:dovecot", "postfix:postfix"}
	for page := 0; page*2000 < n; page++ {
		var items []map[string]any
		for i := page * 2000; i < min(n, (page+1)*2000); i++ {
			var matches []map[string]any
			for range 1 + r.IntN(12) {
				// Most CVEs are about products no server announces; a
				// year of NVD holds tens, not thousands, for each of the
				// servers vigil names.
				vp := fmt.Sprintf("vendor%d:product%d", r.IntN(5000), r.IntN(20))
				if r.IntN(200) == 0 {
					vp = vendors[r.IntN(len(vendors))]
				}
				matches = append(matches, map[string]any{"vulnerable": true, "criteria": "cpe:2.3:a:" + vp + ":*:*:*:*:*:*:*:*",
					"versionStartIncluding": fmt.Sprintf("%d.%d", r.IntN(5), r.IntN(10)), "versionEndExcluding": fmt.Sprintf("%d.%d.%d", 5+r.IntN(5), r.IntN(10), r.IntN(10)),
					"matchCriteriaId": fmt.Sprintf("%08X-0000-0000-0000-%012X", r.Uint32(), r.Uint64()&0xffffffffffff)})
			}
			os := []map[string]any{{"vulnerable": false, "criteria": "cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*"}}
			cve := map[string]any{
				"id": cveID(i), "sourceIdentifier": "cve@mitre.org", "published": "2026-01-01T00:00:00.000", "lastModified": "2026-11-30T00:00:00.000",
				"vulnStatus":   "Analyzed",
				"descriptions": []map[string]string{{"lang": "en", "value": strings.Repeat("A vulnerability allows remote attackers to do harm. ", 2+r.IntN(6))}},
				"metrics": map[string]any{"cvssMetricV31": []map[string]any{{"source": "nvd@nist.gov", "type": "Primary",
					"cvssData": map[string]any{"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": float64(1+r.IntN(90)) / 10}}}},
				"configurations": []map[string]any{{"operator": "AND", "nodes": []map[string]any{
					{"operator": "OR", "negate": false, "cpeMatch": matches},
					{"operator": "OR", "negate": false, "cpeMatch": os}}}},
				"references": []map[string]string{{"url": "https://example.org/advisory/" + cveID(i)}},
			}
			items = append(items, map[string]any{"cve": cve})
		}
		doc := map[string]any{"resultsPerPage": len(items), "startIndex": page * 2000, "totalResults": n, "format": "NVD_CVE", "version": "2.0",
			"timestamp": "2026-12-01T00:00:00.000", "vulnerabilities": items}
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("page-%04d.json", page)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeKEV(path string, n int, r *rand.Rand) error {
	var vs []map[string]string
	for i := 0; i < 1400; i++ {
		vs = append(vs, map[string]string{"cveID": cveID(r.IntN(n)), "vendorProject": "Vendor", "product": "Product",
			"vulnerabilityName": "Vendor Product Vulnerability", "dateAdded": "2025-06-01", "shortDescription": "…",
			"requiredAction": "Apply updates.", "dueDate": "2025-06-22", "knownRansomwareCampaignUse": "Unknown", "notes": ""})
	}
	b, _ := json.Marshal(map[string]any{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.12.01",
		"dateReleased": "2026-12-01T14:00:00.000Z", "count": len(vs), "vulnerabilities": vs})
	return os.WriteFile(path, b, 0o644)
}

func writeEPSS(path string, n int, r *rand.Rand) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	w := bufio.NewWriter(gz)
	fmt.Fprintln(w, "#model_version:v2025.03.14,score_date:2026-12-01T12:55:00Z")
	fmt.Fprintln(w, "cve,epss,percentile")
	// EPSS scores every published CVE: about 300,000.
	for i := range max(n, 300000) {
		fmt.Fprintf(w, "%s,%.5f,%.5f\n", cveID(i), r.Float64()*0.1, r.Float64())
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return gz.Close()
}

func match(args []string) error {
	fs := flag.NewFlagSet("match", flag.ExitOnError)
	db := fs.String("vulndb", "", "database file")
	status := fs.String("status", "/var/lib/dpkg/status", "dpkg status file")
	runs := fs.Int("n", 5, "runs")
	fs.Parse(args)
	ctx := context.Background()
	b, err := os.ReadFile(*status)
	if err != nil {
		return err
	}
	pkgs, err := hostaudit.ParseDpkgStatus(b)
	if err != nil {
		return err
	}
	d, err := vulndb.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer d.Close()
	a := &facts.HostAudit{OS: &facts.OSRelease{ID: "debian", VersionID: "12"}, Packages: pkgs}
	var best time.Duration
	var found int
	for range *runs {
		start := time.Now()
		m := vuln.New(d) // a fresh Matcher remembers nothing of the last run
		fs, _, err := m.Packages(ctx, "bench", a)
		if err != nil {
			return err
		}
		if took := time.Since(start); best == 0 || took < best {
			best = took
		}
		found = len(fs)
	}
	fmt.Printf("%d packages, %d findings: %s\n", len(pkgs), found, best.Round(time.Millisecond))
	return nil
}
