package cli

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/result"
)

// freePort returns a TCP port free on 127.0.0.1 (Redis moves there).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startDaemon starts a daemon in the foreground, stops it when the test
// ends, and waits until it listens on addr.
func startDaemon(t *testing.T, addr string, argv ...string) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	log, err := os.Create(filepath.Join(t.TempDir(), "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so that its children (nginx's workers) stop
	// with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		log.Close()
	})
	host, _, _ := net.SplitHostPort(addr)
	d := testDialer(t, host)
	deadline := time.Now().Add(10 * time.Second)
	for !connects(t, d, addr, time.Second) {
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(log.Name())
			t.Fatalf("%s does not listen on %s: %s", argv[0], addr, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fixRoundTrip scans addr:port, fixes the check's finding, rescans, rolls
// back and rescans, checking the finding goes and comes back and every
// file the fix changed is restored.
func fixRoundTrip(t *testing.T, host string, port int, check string, files []string, rescanHost string) {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "vigil.db")
	scan := func(h string) *result.Document {
		t.Helper()
		file := filepath.Join(dir, "scan.json")
		code, _, stderr := vigilIn(t, "", "scan", h, "-p", strconv.Itoa(port), "--udp-ports", "", "--no-discovery", "--db", db, "--format", "json", "-o", file)
		if code != ExitOK {
			t.Fatalf("scan: %d %s", code, stderr)
		}
		return readDoc(t, file)
	}
	orig := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		orig[f] = string(b)
	}
	f, ok := findingOf(scan(host), check, port)
	if !ok {
		t.Fatalf("the scan of %s:%d has no %s finding", host, port, check)
	}
	code, out, stderr := vigilIn(t, "", "fix", f.ID, "--yes", "--db", db)
	if code != ExitOK {
		t.Fatalf("fix: %d\n%s\n%s", code, out, stderr)
	}
	id := appliedID(t, out)
	for _, h := range []string{host, rescanHost} {
		if h == "" {
			continue
		}
		if _, ok := findingOf(scan(h), check, port); ok {
			t.Errorf("after the fix the rescan of %s still finds %s", h, check)
		}
	}
	if code, out, stderr := vigilIn(t, "", "fix", "--rollback", id, "--yes"); code != ExitOK {
		t.Fatalf("rollback: %d\n%s\n%s", code, out, stderr)
	}
	for _, f := range files {
		if b, _ := os.ReadFile(f); string(b) != orig[f] {
			t.Errorf("%s was not restored:\n%s", f, b)
		}
	}
	if _, ok := findingOf(scan(host), check, port); !ok {
		t.Errorf("after the rollback %s is gone from %s", check, host)
	}
}

// TestFixAppliersOnRealDaemons applies the Redis, vsftpd and nginx fixes
// to daemons the test starts on loopback aliases, rescans, and rolls back.
func TestFixAppliersOnRealDaemons(t *testing.T) {
	requireRoot(t)

	t.Run("redis", func(t *testing.T) {
		if _, err := exec.LookPath("redis-server"); err != nil {
			t.Skip("no redis-server")
		}
		const host = "127.0.4.42"
		port := freePort(t)
		dir := t.TempDir()
		conf := filepath.Join(dir, "redis.conf")
		body := fmt.Sprintf("# test redis for vigil fix\nbind %s\nport %d\nprotected-mode no\ndaemonize no\nsave \"\"\nappendonly no\ndir %s\n", host, port, dir)
		if err := os.WriteFile(conf, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
		startDaemon(t, fmt.Sprintf("%s:%d", host, port), "redis-server", conf)
		// Fixed, Redis answers on 127.0.0.1 only and asks for the password.
		fixRoundTrip(t, host, port, "auth.none.redis", []string{conf}, "127.0.0.1")
	})

	t.Run("vsftpd", func(t *testing.T) {
		if _, err := os.Stat("/usr/sbin/vsftpd"); err != nil {
			t.Skip("no vsftpd")
		}
		const host = "127.0.4.43"
		port := freePort(t)
		dir := t.TempDir()
		for _, d := range []string{"pub", "empty"} {
			if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		conf := filepath.Join(dir, "vsftpd.conf")
		body := fmt.Sprintf("listen=YES\nlisten_ipv6=NO\nlisten_address=%s\nlisten_port=%d\nbackground=NO\nanonymous_enable=YES\nno_anon_password=YES\nanon_root=%s/pub\nlocal_enable=YES\nwrite_enable=NO\nssl_enable=NO\nsecure_chroot_dir=%s/empty\nvsftpd_log_file=%s/vsftpd.log\n",
			host, port, dir, dir, dir)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		startDaemon(t, fmt.Sprintf("%s:%d", host, port), "/usr/sbin/vsftpd", conf)
		fixRoundTrip(t, host, port, "auth.anonymous.ftp", []string{conf}, "")
	})

	t.Run("nginx", func(t *testing.T) {
		if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
			t.Skip("no nginx")
		}
		const host = "127.0.4.44"
		port := freePort(t)
		dir := t.TempDir()
		sh(t, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
			"-subj", "/CN=vigil-fix-test", "-keyout", filepath.Join(dir, "key.pem"), "-out", filepath.Join(dir, "cert.pem"))
		site := filepath.Join(dir, "site.conf")
		siteBody := fmt.Sprintf("server {\n    listen %s:%d ssl;\n    ssl_certificate %s/cert.pem;\n    ssl_certificate_key %s/key.pem;\n    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n    ssl_ciphers \"ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0\";\n    location / { return 200 \"ok\\n\"; }\n}\n",
			host, port, dir, dir)
		conf := filepath.Join(dir, "nginx.conf")
		body := fmt.Sprintf("pid %[1]s/nginx.pid;\nerror_log %[1]s/error.log;\ndaemon off;\nworker_processes 1;\nevents { worker_connections 64; }\nhttp {\n    access_log off;\n    client_body_temp_path %[1]s/body;\n    proxy_temp_path %[1]s/proxy;\n    fastcgi_temp_path %[1]s/fastcgi;\n    uwsgi_temp_path %[1]s/uwsgi;\n    scgi_temp_path %[1]s/scgi;\n    include %[1]s/site.conf;\n}\n", dir)
		for p, b := range map[string]string{site: siteBody, conf: body} {
			if err := os.WriteFile(p, []byte(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		startDaemon(t, fmt.Sprintf("%s:%d", host, port), "/usr/sbin/nginx", "-c", conf)
		fixRoundTrip(t, host, port, "tls.protocol.tls10", []string{conf, site}, "")
	})
}
