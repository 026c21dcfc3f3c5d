package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/result"
)

// Two loopback addresses of this test's own (nothing else in the
// repository uses 127.0.9.x).
const (
	scopeWeak = "127.0.9.10"
	scopeHard = "127.0.9.11"
)

// scopeSites is the nginx.conf of TestFixNginxChangesOnlyTheFindingsBlock:
// one weak and one hardened server block, on two addresses of one port.
const scopeSites = `pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
daemon off;
worker_processes 1;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    ssl_certificate %[1]s/cert.pem;
    ssl_certificate_key %[1]s/key.pem;

    # weak
    server {
        listen %[2]s:%[4]d ssl;
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
        ssl_ciphers "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0";
        location / { return 200 "weak\n"; }
    }

%[5]s}
`

// scopeHardBlock is the hardened server block, TLS 1.3 only.
const scopeHardBlock = `    # hardened
    server {
        listen %[1]s:%[2]d ssl;
        ssl_protocols TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384;
        location / { return 200 "hard\n"; }
    }
`

// TestFixNginxChangesOnlyTheFindingsBlock starts a real nginx serving two
// server blocks from one nginx.conf, on two addresses of one port: a weak
// one (TLS 1.0-1.2) and a hardened one (TLS 1.3 only). The dry run of
// vigil fix for the weak block's tls.protocol.tls10 finding changes only
// that block; applied, the weak block no longer takes TLS 1.0, and the
// hardened block stays byte for byte as it was and still speaks TLS 1.3
// only. The rollback restores the file.
func TestFixNginxChangesOnlyTheFindingsBlock(t *testing.T) {
	requireRoot(t)
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Skip("no nginx")
	}
	port := freePort(t)
	dir := t.TempDir()
	sh(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
		"-subj", "/CN=vigil-fix-scope-test", "-keyout", filepath.Join(dir, "key.pem"), "-out", filepath.Join(dir, "cert.pem"))
	hard := fmt.Sprintf(scopeHardBlock, scopeHard, port)
	conf := filepath.Join(dir, "nginx.conf")
	orig := fmt.Sprintf(scopeSites, dir, scopeWeak, scopeHard, port, hard)
	if err := os.WriteFile(conf, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, fmt.Sprintf("%s:%d", scopeWeak, port), "/usr/sbin/nginx", "-c", conf)
	d := testDialer(t, scopeHard)
	for deadline := time.Now().Add(10 * time.Second); !connects(t, d, fmt.Sprintf("%s:%d", scopeHard, port), time.Second); {
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %s:%d", scopeHard, port)
		}
		time.Sleep(50 * time.Millisecond)
	}

	db := filepath.Join(dir, "vigil.db")
	scan := func(host string) *result.Document {
		t.Helper()
		file := filepath.Join(dir, "scan.json")
		code, _, stderr := vigilIn(t, "", "scan", host, "-p", strconv.Itoa(port), "--udp-ports", "", "--no-discovery", "--db", db, "--format", "json", "-o", file)
		if code != ExitOK {
			t.Fatalf("scan of %s: %d %s", host, code, stderr)
		}
		return readDoc(t, file)
	}
	// accepted lists the TLS versions the scan saw the server accept.
	accepted := func(doc *result.Document) []string {
		t.Helper()
		for _, h := range doc.Hosts {
			for _, s := range h.Services {
				if s.Port == port && s.TLSAudit != nil {
					var v []string
					for _, x := range s.TLSAudit.Versions {
						if x.Accepted {
							v = append(v, x.Name)
						}
					}
					return v
				}
			}
		}
		t.Fatalf("the scan saw no TLS on port %d: %+v", port, doc.Hosts)
		return nil
	}
	if v := accepted(scan(scopeHard)); !slices.Equal(v, []string{facts.TLS13}) {
		t.Fatalf("the hardened block accepts %v before the fix, want TLS 1.3 only", v)
	}
	f, ok := findingOf(scan(scopeWeak), "tls.protocol.tls10", port)
	if !ok {
		t.Fatalf("the scan of the weak block has no tls.protocol.tls10 finding")
	}

	// The dry run: the changed lines are the weak block's, nothing else.
	code, out, stderr := vigilIn(t, "", "fix", f.ID, "--dry-run", "--db", db)
	if code != ExitOK {
		t.Fatalf("fix --dry-run: %d\n%s\n%s", code, out, stderr)
	}
	t.Logf("vigil fix %s --dry-run:\n%s", f.ID, out)
	var changed []string
	for _, l := range strings.Split(out, "\n") {
		if (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.HasPrefix(l, "+++") && !strings.HasPrefix(l, "---") {
			changed = append(changed, l)
		}
	}
	want := []string{"-        ssl_protocols TLSv1 TLSv1.1 TLSv1.2;", "+        ssl_protocols TLSv1.2 TLSv1.3;"}
	if len(changed) != 4 || changed[0] != want[0] || changed[2] != want[1] ||
		!strings.HasPrefix(changed[1], "-        ssl_ciphers ") || !strings.HasPrefix(changed[3], "+        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:") {
		t.Errorf("the dry run changes other lines than the weak block's ssl_protocols and ssl_ciphers: %q", changed)
	}
	if b, _ := os.ReadFile(conf); string(b) != orig {
		t.Fatalf("the dry run changed %s", conf)
	}

	code, out, stderr = vigilIn(t, "", "fix", f.ID, "--yes", "--db", db)
	if code != ExitOK {
		t.Fatalf("fix: %d\n%s\n%s", code, out, stderr)
	}
	id := appliedID(t, out)
	fixed, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(fixed), hard) {
		t.Errorf("the hardened block is not byte for byte what it was:\n%s", fixed)
	}
	if _, ok := findingOf(scan(scopeWeak), "tls.protocol.tls10", port); ok {
		t.Errorf("after the fix the weak block still accepts TLS 1.0")
	}
	if v := accepted(scan(scopeHard)); !slices.Equal(v, []string{facts.TLS13}) {
		t.Errorf("after the fix the hardened block accepts %v, want TLS 1.3 only", v)
	}

	if code, out, stderr := vigilIn(t, "", "fix", "--rollback", id, "--yes"); code != ExitOK {
		t.Fatalf("rollback: %d\n%s\n%s", code, out, stderr)
	}
	if b, _ := os.ReadFile(conf); string(b) != orig {
		t.Errorf("%s was not restored:\n%s", conf, b)
	}
	if _, ok := findingOf(scan(scopeWeak), "tls.protocol.tls10", port); !ok {
		t.Errorf("after the rollback the weak block no longer accepts TLS 1.0")
	}
}
