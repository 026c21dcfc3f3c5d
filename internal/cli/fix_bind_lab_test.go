package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/finding"
)

// bindFixAddr is the address the BIND fix test's named listens on.
const bindFixAddr = "127.0.4.53"

// addLoopback puts addr on lo for the test (named binds only to addresses
// an interface carries) and takes it off again, unless it was there.
func addLoopback(t *testing.T, addr string) {
	t.Helper()
	out, err := exec.Command("ip", "addr", "add", addr+"/32", "dev", "lo").CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "File exists") {
			return
		}
		t.Fatalf("ip addr add %s/32 dev lo: %v\n%s", addr, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "addr", "del", addr+"/32", "dev", "lo").Run() })
}

// startNamed writes a named.conf in a directory of the test's own and
// starts named on it: recursion for anyone (allow-query any stands in for
// allow-recursion), two primary zones with BIND 9.18's default
// allow-transfer (any), its version shown. Nothing leaves loopback: its
// root hints name itself, it has no forwarders, sends no NOTIFY, fetches
// no trust anchor and opens no rndc channel.
func startNamed(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"root.hints": ".                 3600000 NS a.root.fixlab.test.\na.root.fixlab.test. 3600000 A " + bindFixAddr + "\n",
		"fixlab.test.zone": "$TTL 300\n@ IN SOA ns1.fixlab.test. hostmaster.fixlab.test. 1 3600 600 86400 300\n@ IN NS ns1.fixlab.test.\n" +
			"ns1 IN A " + bindFixAddr + "\nwww IN A 127.0.4.54\ndb IN A 127.0.4.55\n",
		"rev.zone": "$TTL 300\n@ IN SOA ns1.fixlab.test. hostmaster.fixlab.test. 1 3600 600 86400 300\n@ IN NS ns1.fixlab.test.\n53 IN PTR ns1.fixlab.test.\n54 IN PTR www.fixlab.test.\n",
		"named.conf": fmt.Sprintf(`// vigil fix test: a weak named
options {
    directory "%[1]s";
    pid-file "%[1]s/named.pid";
    session-keyfile "%[1]s/session.key";
    managed-keys-directory "%[1]s";
    listen-on port 53 { %[2]s; };
    listen-on-v6 { none; };
    query-source address %[2]s;
    transfer-source %[2]s;
    notify no;
    dnssec-validation no;
    max-cache-size 16m;
    forwarders { };
    recursion yes;
    allow-query { any; };
};
controls { };
logging { channel f { file "%[1]s/named.log"; severity info; }; category default { f; }; };
zone "." { type hint; file "%[1]s/root.hints"; };
zone "fixlab.test" { type primary; file "fixlab.test.zone"; };
zone "4.0.127.in-addr.arpa" { type primary; file "rev.zone"; };
`, dir, bindFixAddr),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "named.conf")
	if out, err := exec.Command("named-checkconf", conf).CombinedOutput(); err != nil {
		t.Fatalf("named-checkconf %s: %v\n%s", conf, err, out)
	}
	startDaemon(t, bindFixAddr+":53", "named", "-g", "-u", "root", "-c", conf)
	return conf
}

// hostFindingAt runs vigil host and returns its finding of check on
// host:port (never another daemon's: the lab's named run beside it).
func hostFindingAt(t *testing.T, db, check, host string, port int) (finding.Finding, bool) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "host.json")
	if code, _, stderr := vigilIn(t, "", "host", "--db", db, "--format", "json", "-o", file); code != ExitOK && code != ExitFindings {
		t.Fatalf("vigil host: %d %s", code, stderr)
	}
	for _, f := range readDoc(t, file).Findings {
		if f.Check == check && f.Host == host && f.Port == port {
			return f, true
		}
	}
	return finding.Finding{}, false
}

// TestFixBindOnRealDaemon starts a weak named of its own on 127.0.4.53 and
// fixes it: zone transfers and the version from a network scan's findings,
// recursion from the host audit's (a scan from this machine is localhost
// to named, which the fix keeps allowed, so only the configuration shows
// that recursion is closed to others). Each is rolled back, byte for byte.
func TestFixBindOnRealDaemon(t *testing.T) {
	requireRoot(t)
	for _, bin := range []string{"named", "named-checkconf"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("no %s", bin)
		}
	}
	addLoopback(t, bindFixAddr)
	conf := startNamed(t)

	t.Run("axfr", func(t *testing.T) {
		// No allow-transfer anywhere: BIND 9.18 transfers to anyone.
		fixRoundTrip(t, bindFixAddr, 53, "dns.axfr.open", []string{conf}, "")
	})
	t.Run("version", func(t *testing.T) {
		fixRoundTrip(t, bindFixAddr, 53, "dns.version.disclosed", []string{conf}, "")
	})
	t.Run("config-recursion", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "vigil.db")
		orig, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := hostFindingAt(t, db, "dns.config.recursion", bindFixAddr, 53)
		if !ok {
			t.Fatalf("vigil host finds no dns.config.recursion on %s:53", bindFixAddr)
		}
		if !strings.Contains(f.Evidence, "allow-recursion is not set, so named uses allow-query") {
			t.Errorf("evidence %q", f.Evidence)
		}
		code, out, stderr := vigilIn(t, "", "fix", f.ID, "--yes", "--db", db)
		if code != ExitOK {
			t.Fatalf("fix: %d\n%s\n%s", code, out, stderr)
		}
		id := appliedID(t, out)
		if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "allow-recursion { localhost; localnets; };") {
			t.Errorf("the fixed file lacks allow-recursion:\n%s", b)
		}
		if _, ok := hostFindingAt(t, db, "dns.config.recursion", bindFixAddr, 53); ok {
			t.Errorf("after the fix vigil host still finds dns.config.recursion")
		}
		if code, out, stderr := vigilIn(t, "", "fix", "--rollback", id, "--yes"); code != ExitOK {
			t.Fatalf("rollback: %d\n%s\n%s", code, out, stderr)
		}
		if b, _ := os.ReadFile(conf); string(b) != string(orig) {
			t.Errorf("%s was not restored:\n%s", conf, b)
		}
		if _, ok := hostFindingAt(t, db, "dns.config.recursion", bindFixAddr, 53); !ok {
			t.Errorf("after the rollback dns.config.recursion is gone")
		}
	})
}
