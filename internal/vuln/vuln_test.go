package vuln

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/vulndb"
)

// fixtures are vulndb's real records (testdata/README.md there says
// where each comes from).
const fixtures = "../vulndb/testdata"

// matcher builds a database from the fixture directories named.
func matcher(t *testing.T, dirs ...string) *Matcher {
	t.Helper()
	if len(dirs) == 0 {
		dirs = []string{"nvd", "kev", "epss", "osv-debian"}
	}
	var paths []string
	for _, d := range dirs {
		paths = append(paths, filepath.Join(fixtures, d))
	}
	path := filepath.Join(t.TempDir(), "vulndb.sqlite")
	ctx := context.Background()
	if err := vulndb.Build(ctx, path, func(w *vulndb.Writer) error { return vulndb.Import(ctx, w, paths, nil) }); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(db)
}

// svc is a service as identification reports it.
func svc(port int, name, product, version, banner string, details ...string) facts.Service {
	s := facts.Service{Port: port, Transport: facts.TCP, Name: name, Product: product, Version: version, Banner: banner}
	for i := 0; i+1 < len(details); i += 2 {
		s.SetDetail(details[i], details[i+1])
	}
	return s
}

func ids(f finding.Finding) []string {
	var out []string
	for _, v := range f.Vulnerabilities {
		out = append(out, v.ID)
	}
	slices.Sort(out)
	return out
}

// TestOldBanners: software announcing an old version, with no sign of a
// distribution build, is judged by NVD's ranges; KEV entries make it
// critical.
func TestOldBanners(t *testing.T) {
	m := matcher(t)
	tests := []struct {
		s    facts.Service
		want []string
		sev  finding.Severity
	}{
		{svc(80, "http", "Apache httpd", "2.4.49", "HTTP/1.1 200 OK; Server: Apache/2.4.49 (Unix)"), []string{"CVE-2021-41773", "CVE-2021-42013"}, finding.Critical},
		{svc(25, "smtp", "Exim", "4.91", "220 mail ESMTP Exim 4.91"), []string{"CVE-2019-10149", "CVE-2019-15846"}, finding.Critical},
		{svc(21, "ftp", "vsftpd", "2.3.4", "220 (vsFTPd 2.3.4)"), []string{"CVE-2011-2523"}, finding.Critical},
		{svc(21, "ftp", "ProFTPD", "1.3.5", "220 ProFTPD 1.3.5 Server"), []string{"CVE-2015-3306", "CVE-2019-12815"}, finding.Critical},
		{svc(11211, "memcached", "memcached", "1.4.31", ""), []string{"CVE-2016-8704", "CVE-2016-8706"}, finding.Critical},
		{svc(6379, "redis", "Redis", "5.0.5", ""), []string{"CVE-2021-32761"}, finding.High},
		{svc(80, "http", "nginx", "1.16.1", "Server: nginx/1.16.1"), []string{"CVE-2019-20372", "CVE-2021-23017"}, finding.High},
		{svc(53, "dns", "dnsmasq", "2.77", "dnsmasq-2.77"), []string{"CVE-2017-14491", "CVE-2020-25681"}, finding.Critical},
		// "*:p2" up to 7.2 covers 7.2p2; 7.2p2 is before 7.3, 8.8, 9.3, 9.6.
		{svc(22, "ssh", "OpenSSH", "7.2p2", "SSH-2.0-OpenSSH_7.2p2", "ssh.software", "OpenSSH_7.2p2"),
			[]string{"CVE-2016-10009", "CVE-2016-6210", "CVE-2021-41617", "CVE-2023-38408", "CVE-2023-51385"}, finding.Critical},
	}
	for _, tt := range tests {
		fs, err := m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{tt.s}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 {
			t.Errorf("%s %s: %d findings, want 1", tt.s.Product, tt.s.Version, len(fs))
			continue
		}
		f := fs[0]
		if got := ids(f); !slices.Equal(got, tt.want) || f.Severity != tt.sev || f.Check != CheckID {
			t.Errorf("%s %s: %v %s, want %v %s", tt.s.Product, tt.s.Version, got, f.Severity, tt.want, tt.sev)
		}
		if f.Package == nil || f.Package.From != "banner" || f.Package.Ecosystem != "upstream" || f.Port != tt.s.Port || len(f.Frameworks) == 0 {
			t.Errorf("%s: package %+v port %d frameworks %v", tt.s.Product, f.Package, f.Port, f.Frameworks)
		}
		if !strings.Contains(f.Evidence, "no sign of a distribution build") || !strings.Contains(f.Recommendation, "Upgrade") {
			t.Errorf("%s: evidence %q, fix %q", tt.s.Product, f.Evidence, f.Recommendation)
		}
	}
}

// TestDebianBuildsAreJudgedByDebian: a banner with a Debian revision is
// judged by Debian's fixed versions, never by upstream ranges: the
// current revision has none of the CVEs Debian fixed before it, an older
// revision has exactly those fixed after it.
func TestDebianBuildsAreJudgedByDebian(t *testing.T) {
	m := matcher(t)
	ssh := func(rev string) facts.Service {
		return svc(22, "ssh", "OpenSSH", "9.2p1", "SSH-2.0-OpenSSH_9.2p1 Debian-"+rev, "ssh.software", "OpenSSH_9.2p1", "ssh.comments", "Debian-"+rev)
	}
	fs, err := m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{ssh("2+deb12u10")}}}, nil)
	if err != nil || len(fs) != 0 {
		t.Fatalf("OpenSSH 9.2p1 Debian-2+deb12u10 (every fixture CVE fixed at or before u3): %+v %v", fs, err)
	}
	fs, err = m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{ssh("2+deb12u2")}}}, nil)
	if err != nil || len(fs) != 1 {
		t.Fatalf("Debian-2+deb12u2: %+v %v", fs, err)
	}
	f := fs[0]
	// Upstream ranges would add CVE-2023-38408 (< 9.3), CVE-2023-51385
	// (< 9.6) and more; Debian fixed those at u1 and u2.
	if got := ids(f); !slices.Equal(got, []string{"CVE-2024-6387"}) || f.Severity != finding.High {
		t.Errorf("Debian-2+deb12u2: %v %s, want [CVE-2024-6387] high", got, f.Severity)
	}
	if f.Package.Ecosystem != "Debian:12" || f.Vulnerabilities[0].Fixed != "1:9.2p1-2+deb12u3" ||
		!strings.Contains(f.Recommendation, "apt-get install --only-upgrade openssh-server") || !strings.Contains(f.Recommendation, "1:9.2p1-2+deb12u3") {
		t.Errorf("package %+v, fix %q", f.Package, f.Recommendation)
	}
}

// TestBareBannerOnADebianHost: nginx names no revision, but the host's SSH
// banner shows Debian 12, whose data ships nginx 1.22.1: it is judged as
// Debian's build. CVE-2023-44487 is unfixed but rated unimportant by
// Debian (info); CVE-2025-23419 depends on the revision (not claimed).
func TestBareBannerOnADebianHost(t *testing.T) {
	m := matcher(t)
	host := facts.Host{Address: "10.0.0.5", Services: []facts.Service{
		svc(22, "ssh", "OpenSSH", "9.2p1", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "ssh.comments", "Debian-2+deb12u10"),
		svc(80, "http", "nginx", "1.22.1", "HTTP/1.1 200 OK; Server: nginx/1.22.1"),
	}}
	fs, err := m.Banners(context.Background(), []facts.Host{host}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Severity > finding.Info {
			t.Errorf("above info on a current Debian host: %s %v", f.Title, ids(f))
		}
	}
	if len(fs) != 1 || !slices.Equal(ids(fs[0]), []string{"CVE-2023-44487"}) || fs[0].Vulnerabilities[0].Urgency != finding.Unimportant ||
		!strings.Contains(fs[0].Evidence, "depends on the revision installed") {
		t.Errorf("nginx 1.22.1 on Debian 12: %+v", fs)
	}
	// Alone, the same banner is judged by upstream ranges.
	fs, err = m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.6", Services: host.Services[1:]}}, nil)
	if err != nil || len(fs) != 0 {
		// No fixture NVD record covers nginx 1.22.1.
		t.Errorf("nginx 1.22.1 alone: %+v %v", fs, err)
	}
}

// TestDistributionBuildWithoutItsData: with NVD alone, a Debian build can
// only be judged by upstream ranges: at most info, saying how to be sure.
func TestDistributionBuildWithoutItsData(t *testing.T) {
	m := matcher(t, "nvd", "kev")
	fs, err := m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{
		svc(22, "ssh", "OpenSSH", "9.2p1", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "ssh.comments", "Debian-2+deb12u10"),
	}}}, nil)
	if err != nil || len(fs) != 1 {
		t.Fatalf("%+v %v", fs, err)
	}
	f := fs[0]
	if f.Severity != finding.Info || !strings.Contains(f.Recommendation, "vigil host") || !strings.Contains(f.Evidence, "may have fixed them") {
		t.Errorf("%s: %s\n%s\n%s", f.Severity, f.Title, f.Evidence, f.Recommendation)
	}
	if got := ids(f); !slices.Contains(got, "CVE-2024-6387") || !slices.Contains(got, "CVE-2023-38408") {
		t.Errorf("upstream ranges list %v", got)
	}
}

// TestPackages: a host audit's old openssh-server is judged by the source
// package and its version: the CVEs Debian fixed after 1:9.2p1-2, not the
// one fixed before (CVE-2021-41617, fixed in 1:8.7p1-1).
func TestPackages(t *testing.T) {
	m := matcher(t)
	a := &facts.HostAudit{OS: &facts.OSRelease{ID: "debian", VersionID: "12"}, Packages: []facts.Package{
		{Name: "libc6", Version: "2.36-9+deb12u14", Source: "glibc", SourceVersion: "2.36-9+deb12u14", Format: facts.FormatDpkg},
		{Name: "openssh-client", Version: "1:9.2p1-2", Source: "openssh", SourceVersion: "1:9.2p1-2", Format: facts.FormatDpkg},
		{Name: "openssh-server", Version: "1:9.2p1-2", Source: "openssh", SourceVersion: "1:9.2p1-2", Format: facts.FormatDpkg},
		{Name: "redis-server", Version: "5:7.0.15-1~deb12u10", Source: "redis", SourceVersion: "5:7.0.15-1~deb12u10", Format: facts.FormatDpkg},
	}}
	fs, eco, err := m.Packages(context.Background(), "db1", a)
	if err != nil || eco != "Debian:12" {
		t.Fatal(eco, err)
	}
	if len(fs) != 1 {
		t.Fatalf("%d findings, want one (openssh): %+v", len(fs), fs)
	}
	f := fs[0]
	want := []string{"CVE-2023-38408", "CVE-2023-48795", "CVE-2023-51385", "CVE-2024-6387"}
	if got := ids(f); !slices.Equal(got, want) || f.Host != "db1" || f.Port != 0 || f.Subject != "openssh" {
		t.Errorf("%v on %s:%d (%s), want %v", got, f.Host, f.Port, f.Subject, want)
	}
	if f.Package.From != "package-db" || f.Package.Version != "1:9.2p1-2" ||
		!strings.Contains(f.Recommendation, "openssh-client openssh-server") || !strings.Contains(f.Recommendation, "1:9.2p1-2+deb12u3") {
		t.Errorf("package %+v, fix %q", f.Package, f.Recommendation)
	}
	// A banner on the same machine takes the installed version from the
	// audit, not from its own text.
	bs, err := m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{
		svc(22, "ssh", "OpenSSH", "9.2p1", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "ssh.comments", "Debian-2+deb12u10"),
	}}}, func(string) *facts.HostAudit { return a })
	if err != nil || len(bs) != 1 || !slices.Equal(ids(bs[0]), want) || !strings.Contains(bs[0].Evidence, "host audit lists package openssh 1:9.2p1-2") {
		t.Errorf("banner with the audit: %+v %v", bs, err)
	}
}

func TestBuildOf(t *testing.T) {
	tests := []struct {
		s    facts.Service
		want build
	}{
		{svc(22, "ssh", "OpenSSH", "9.2p1", "", "ssh.comments", "Debian-2+deb12u7"), build{"Debian", "12", "2+deb12u7"}},
		{svc(22, "ssh", "OpenSSH", "8.9p1", "", "ssh.comments", "Ubuntu-3ubuntu0.10"), build{"Ubuntu", "", "3ubuntu0.10"}},
		{svc(53, "dns", "BIND", "9.18.28", "", "dns.version-bind", "9.18.28-1~deb12u2-Debian"), build{"Debian", "12", "1~deb12u2"}},
		{svc(3306, "mysql", "MariaDB", "10.11.6", "", "mysql.server-version", "10.11.6-MariaDB-0+deb12u1"), build{"Debian", "12", "0+deb12u1"}},
		{svc(3306, "mysql", "MariaDB", "10.11.19", "", "mysql.server-version", "5.5.5-10.11.19-MariaDB-0+deb12u1"), build{"Debian", "12", "0+deb12u1"}},
		// MariaDB's own repository builds are not Debian's packages.
		{svc(3306, "mysql", "MariaDB", "10.11.6", "", "mysql.server-version", "10.11.6-MariaDB-1:10.11.6+maria~deb12"), build{}},
		{svc(80, "http", "Apache httpd", "2.4.57", "HTTP/1.1 200 OK; Server: Apache/2.4.57 (Debian)"), build{Distro: "Debian"}},
		{svc(80, "http", "nginx", "1.22.1", "HTTP/1.1 200 OK; Server: nginx/1.22.1"), build{}},
	}
	for _, tt := range tests {
		if got := buildOf(tt.s); got != tt.want {
			t.Errorf("%s %s: %+v, want %+v", tt.s.Product, tt.s.Version, got, tt.want)
		}
	}
}

// TestNothingToJudge: no version, or a product vigil cannot name, gives
// no finding.
func TestNothingToJudge(t *testing.T) {
	m := matcher(t)
	fs, err := m.Banners(context.Background(), []facts.Host{{Address: "10.0.0.5", Services: []facts.Service{
		svc(25, "smtp", "Postfix", "", "220 mail ESMTP Postfix"),
		svc(8080, "http", "Acme Web", "1.0", "Server: Acme/1.0"),
	}}}, nil)
	if err != nil || len(fs) != 0 {
		t.Errorf("%+v %v", fs, err)
	}
}

// FuzzBuildOf: banners are the server's words; whatever they say, the
// revision read from them is one token.
func FuzzBuildOf(f *testing.F) {
	for _, s := range []string{"Debian-2+deb12u7", "9.18.28-1~deb12u2-Debian", "10.11.6-MariaDB-0+deb12u1", "Apache/2.4.57 (Debian)", "Ubuntu-3ubuntu0.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		b := buildOf(svc(1, "x", "X", "1", text, "ssh.comments", text, "dns.version-bind", text))
		if strings.ContainsAny(b.Revision, " \t\r\n") || (b.Release != "" && b.Distro == "") {
			t.Fatalf("%q: %+v", text, b)
		}
	})
}
