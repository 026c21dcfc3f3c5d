package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/vigilsec/vigil/internal/finding"
)

// TestFixApacheOnRealDaemon starts an Apache httpd of its own on
// 127.0.4.51 (TraceEnable left at its default, On, and server-status open
// to anyone in the virtual host, / listed), then for http.trace and
// http.listing (a scan) and http.config.status-public (a host audit):
// finds it, fixes it, looks again, rolls back and looks again.
func TestFixApacheOnRealDaemon(t *testing.T) {
	requireRoot(t)
	const exe = "/usr/sbin/apache2"
	if _, err := os.Stat(exe); err != nil {
		t.Skip("no apache2")
	}
	const host = "127.0.4.51"
	port := freePort(t)
	dir := t.TempDir()
	// The workers run as www-data: they must reach the document root.
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"run", "www"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// No index page: / is listed (Options +Indexes below).
	if err := os.WriteFile(filepath.Join(dir, "www", "a.txt"), []byte("vigil fix test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const m = "/usr/lib/apache2/modules"
	site := filepath.Join(dir, "site.conf")
	siteBody := fmt.Sprintf(`<VirtualHost %[1]s:%[2]d>
    DocumentRoot %[3]s/www
    <Location /server-status>
        SetHandler server-status
        Require all granted
    </Location>
</VirtualHost>
`, host, port, dir)
	conf := filepath.Join(dir, "apache2.conf")
	body := fmt.Sprintf(`# vigil fix test
ServerRoot %[1]s
PidFile %[1]s/run/apache2.pid
DefaultRuntimeDir %[1]s/run
Mutex file:%[1]s/run default
ErrorLog %[1]s/error.log
LogLevel warn
User www-data
Group www-data
ServerName %[2]s
Listen %[2]s:%[3]d
LoadModule mpm_event_module %[4]s/mod_mpm_event.so
LoadModule authz_core_module %[4]s/mod_authz_core.so
LoadModule authz_host_module %[4]s/mod_authz_host.so
LoadModule dir_module %[4]s/mod_dir.so
LoadModule mime_module %[4]s/mod_mime.so
LoadModule status_module %[4]s/mod_status.so
LoadModule autoindex_module %[4]s/mod_autoindex.so
TypesConfig /etc/mime.types
DirectoryIndex index.html
<Directory %[1]s/www>
    Options +Indexes
    Require all granted
</Directory>
IncludeOptional %[1]s/site*.conf
`, dir, host, port, m)
	for p, b := range map[string]string{site: siteBody, conf: body} {
		if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startDaemon(t, fmt.Sprintf("%s:%d", host, port), exe, "-f", conf, "-DFOREGROUND")
	t.Run("trace", func(t *testing.T) {
		fixRoundTrip(t, host, port, "http.trace", []string{conf, site}, "")
	})
	t.Run("listing", func(t *testing.T) {
		fixRoundTrip(t, host, port, "http.listing", []string{conf, site}, "")
	})
	// Require local lets every 127/8 client in, so a scan from this
	// machine's loopback still sees the page after the fix: the round trip
	// of the status page is judged from the configuration, by vigil host.
	t.Run("status", func(t *testing.T) {
		hostRoundTrip(t, host, port, "http.config.status-public", []string{conf, site})
	})
}

// hostRoundTrip audits this machine (vigil host), fixes the check's finding
// on host:port, audits again, rolls back and audits again, checking the
// finding goes and comes back and every file the fix changed is restored.
func hostRoundTrip(t *testing.T, host string, port int, check string, files []string) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "vigil.db")
	audit := func() (finding.Finding, bool) {
		t.Helper()
		out := filepath.Join(dir, "host.json")
		if code, _, stderr := vigilIn(t, "", "host", "--db", db, "--format", "json", "-o", out); code != ExitOK && code != ExitFindings {
			t.Fatalf("host: %d %s", code, stderr)
		}
		for _, f := range readDoc(t, out).Findings {
			if f.Check == check && f.Host == host && f.Port == port {
				return f, true
			}
		}
		return finding.Finding{}, false
	}
	orig := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		orig[f] = string(b)
	}
	f, ok := audit()
	if !ok {
		t.Fatalf("the host audit has no %s finding on %s:%d", check, host, port)
	}
	code, out, stderr := vigilIn(t, "", "fix", f.ID, "--yes", "--db", db)
	if code != ExitOK {
		t.Fatalf("fix: %d\n%s\n%s", code, out, stderr)
	}
	id := appliedID(t, out)
	if _, ok := audit(); ok {
		t.Errorf("after the fix the host audit still finds %s on %s:%d", check, host, port)
	}
	if code, out, stderr := vigilIn(t, "", "fix", "--rollback", id, "--yes"); code != ExitOK {
		t.Fatalf("rollback: %d\n%s\n%s", code, out, stderr)
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); string(b) != orig[f] {
			t.Errorf("%s was not restored:\n%s", f, b)
		}
	}
	if _, ok := audit(); !ok {
		t.Errorf("after the rollback %s is gone from %s:%d", check, host, port)
	}
}
