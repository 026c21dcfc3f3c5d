package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

var fixIDPattern = regexp.MustCompile(`Applied fix (\S+)\.`)

// appliedID returns the fix id `vigil fix` printed.
func appliedID(t *testing.T, out string) string {
	t.Helper()
	m := fixIDPattern.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("vigil fix did not say it applied a fix:\n%s", out)
	}
	return m[1]
}

// readDoc reads a JSON result file.
func readDoc(t *testing.T, path string) *result.Document {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := result.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func findingOf(d *result.Document, check string, port int) (finding.Finding, bool) {
	for _, f := range d.Findings {
		if f.Check == check && f.Port == port {
			return f, true
		}
	}
	return finding.Finding{}, false
}

// runIn runs vigil in namespace ns with the fix records in data.
func runIn(t *testing.T, ns, data, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := vigilCmd(t, ns, data, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestFixClosesAPortAndRollsBack closes an unused port with nftables inside
// a test namespace (so this machine's own traffic is never filtered),
// checks from outside that it is closed, and rolls the fix back.
func TestFixClosesAPortAndRollsBack(t *testing.T) {
	requireRoot(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("no nft")
	}
	ns := testNetns{name: "vigil-fix-test", hostIf: "vfix0", nsIf: "vfix1", hostAddr: "10.78.1.1", nsAddr: "10.78.1.2"}
	makeNetns(t, ns)
	const addr = "10.78.1.2:9201"
	pid := startListener(t, ns.name, addr)
	data := t.TempDir()
	db := filepath.Join(data, "vigil.db")
	d := testDialer(t, "10.78.1.2")
	if !connects(t, d, addr, 2*time.Second) {
		t.Fatal("the listener does not answer before the fix")
	}

	// The finding: nobody uses the port.
	obsFile := filepath.Join(data, "observe.json")
	if out, err := runIn(t, ns.name, data, "", "host", "observe", "--for", "2s", "--db", db, "--format", "json", "-o", obsFile); err != nil {
		t.Fatalf("observe: %v\n%s", err, out)
	}
	obsDoc := readDoc(t, obsFile)
	f, ok := findingOf(obsDoc, "port.open-unused", 9201)
	if !ok {
		var ls []string
		for _, l := range obsDoc.HostAudit.Listeners {
			ls = append(ls, fmt.Sprintf("%+v", l))
		}
		t.Fatalf("no port.open-unused finding for 9201; listeners %s; observation %+v; findings %+v", ls, obsDoc.HostAudit.Observation, obsDoc.Findings)
	}

	// A dry run and a "no" change nothing.
	out, err := runIn(t, ns.name, data, "", "fix", f.ID[:8], "--dry-run", "--db", db)
	if err != nil || !strings.Contains(out, "Dry run") || !strings.Contains(out, `add rule inet vigil input iifname != "lo" ip daddr 10.78.1.2 tcp dport 9201 drop`) {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = runIn(t, ns.name, data, "n\n", "fix", f.ID, "--db", db)
	if err != nil || !strings.Contains(out, fmt.Sprintf("Close port 9201 (cli.test, pid %d)? [y/N]", pid)) || !strings.Contains(out, "Nothing was changed") {
		t.Fatalf("answering no: %v\n%s", err, out)
	}
	if !connects(t, d, addr, 2*time.Second) {
		t.Fatal("the port closed although the answer was no")
	}

	// Yes: the port is closed to other hosts.
	out, err = runIn(t, ns.name, data, "y\n", "fix", f.ID, "--db", db)
	if err != nil {
		t.Fatalf("fix: %v\n%s", err, out)
	}
	id := appliedID(t, out)
	if connects(t, d, addr, time.Second) {
		t.Error("the port still answers from outside after the fix")
	}
	// The audit log of the store the finding came from records the fix.
	if st, err := store.OpenExisting(t.Context(), db); err != nil {
		t.Error(err)
	} else {
		log, err := st.AuditLog(t.Context(), 1)
		st.Close()
		if err != nil || len(log) != 1 || log[0].Action != "fix.apply" || log[0].Object != f.ID || log[0].Source != "cli" || !strings.Contains(log[0].Detail, "fix "+id+" of port.open-unused") || !strings.HasSuffix(log[0].Detail, "applied") {
			t.Errorf("audit log after the fix: %+v, %v", log, err)
		}
	}
	scanFile := filepath.Join(data, "scan.json")
	if code, _, stderr := vigilIn(t, "", "scan", "10.78.1.2", "-p", "9201", "--udp-ports", "", "--no-discovery", "--timeout", "500ms", "--no-store", "--format", "json", "-o", scanFile); code != ExitOK {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	for _, h := range readDoc(t, scanFile).Hosts {
		for _, s := range h.Services {
			if s.Port == 9201 {
				t.Errorf("the rescan still finds port 9201 open")
			}
		}
	}
	rules := sh(t, "ip", "netns", "exec", ns.name, "nft", "list", "table", "inet", "vigil")
	if !strings.Contains(rules, "vigil-fix:"+id) {
		t.Errorf("no rule of fix %s in table inet vigil:\n%s", id, rules)
	}
	if out, err := runIn(t, ns.name, data, "", "fix", "--list"); err != nil || !strings.Contains(out, id) || !strings.Contains(out, "applied") {
		t.Errorf("fix --list: %v\n%s", err, out)
	}

	// Rollback: the port answers again and vigil's table is gone.
	out, err = runIn(t, ns.name, data, "", "fix", "--rollback", id, "--yes")
	if err != nil || !strings.Contains(out, "Rolled back fix "+id) {
		t.Fatalf("rollback: %v\n%s", err, out)
	}
	if !connects(t, d, addr, 2*time.Second) {
		t.Error("the port does not answer after the rollback")
	}
	if tables := sh(t, "ip", "netns", "exec", ns.name, "nft", "list", "tables"); strings.Contains(tables, "vigil") {
		t.Errorf("table inet vigil is left after the rollback: %s", tables)
	}
}

// weakSSHDConfig is the test's own sshd: legacy ciphers and MACs added,
// passwords allowed.
const weakSSHDConfig = `# test sshd for vigil fix
ListenAddress %[1]s
HostKey %[2]s/host_ed25519
PidFile %[2]s/sshd.pid
Ciphers +3des-cbc,aes128-cbc
MACs +hmac-md5
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PermitRootLogin no
UsePAM no
`

// TestFixHardensSSHDAndRollsBack runs its own sshd with a weak
// configuration on a loopback alias, fixes its ciphers and password logins
// with vigil fix, checks with a rescan that the findings are gone, and rolls
// both fixes back: the file is restored byte for byte and the weak
// algorithms are offered again.
func TestFixHardensSSHDAndRollsBack(t *testing.T) {
	requireRoot(t)
	const listen = "127.0.4.40:2240"
	dir := t.TempDir()
	sh(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "host_ed25519"))
	conf := filepath.Join(dir, "sshd_config")
	orig := fmt.Sprintf(weakSSHDConfig, listen, dir)
	if err := os.WriteFile(conf, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	sshd := exec.Command("/usr/sbin/sshd", "-D", "-f", conf, "-E", filepath.Join(dir, "sshd.log"))
	sshd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its session children stop with it
	if err := sshd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-sshd.Process.Pid, syscall.SIGKILL); _ = sshd.Wait() })
	d := testDialer(t, "127.0.4.40")
	deadline := time.Now().Add(10 * time.Second)
	for !connects(t, d, listen, time.Second) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			t.Fatalf("sshd does not listen on %s: %s", listen, log)
		}
		time.Sleep(50 * time.Millisecond)
	}

	db := filepath.Join(dir, "vigil.db")
	scan := func() *result.Document {
		t.Helper()
		file := filepath.Join(dir, "scan.json")
		code, _, stderr := vigilIn(t, "", "scan", "127.0.4.40", "-p", "2240", "--udp-ports", "", "--db", db, "--format", "json", "-o", file)
		if code != ExitOK {
			t.Fatalf("scan: %d %s", code, stderr)
		}
		return readDoc(t, file)
	}
	offers := func(doc *result.Document, cipher string) bool {
		for _, h := range doc.Hosts {
			for _, s := range h.Services {
				if s.Port == 2240 && s.SSH != nil {
					return slices.Contains(s.SSH.CiphersClientToServer, cipher)
				}
			}
		}
		t.Fatalf("the scan saw no SSH on 2240")
		return false
	}

	before := scan()
	ciphers, ok1 := findingOf(before, "ssh.cipher.weak", 2240)
	passwords, ok2 := findingOf(before, "ssh.auth.password", 2240)
	if !ok1 || !ok2 || !offers(before, "3des-cbc") {
		t.Fatalf("the weak sshd lacks the expected findings: %v", before.Findings)
	}

	code, out, stderr := vigilIn(t, "", "fix", ciphers.ID, "--yes", "--db", db)
	if code != ExitOK {
		t.Fatalf("fix ciphers: %d\n%s\n%s", code, out, stderr)
	}
	cipherFix := appliedID(t, out)
	t.Logf("vigil fix %s --yes:\n%s", ciphers.ID, out)
	code, out, stderr = vigilIn(t, "", "fix", passwords.ID, "--yes", "--db", db)
	if code != ExitOK {
		t.Fatalf("fix passwords: %d\n%s\n%s", code, out, stderr)
	}
	passwordFix := appliedID(t, out)

	after := scan()
	if _, ok := findingOf(after, "ssh.cipher.weak", 2240); ok || offers(after, "3des-cbc") {
		t.Errorf("the rescan still finds weak ciphers: %v", after.Findings)
	}
	if _, ok := findingOf(after, "ssh.auth.password", 2240); ok {
		t.Errorf("the rescan still finds password logins")
	}
	if _, ok := findingOf(after, "ssh.mac.weak", 2240); !ok {
		t.Errorf("the MAC finding vanished although it was not fixed")
	}
	fixed, _ := os.ReadFile(conf)
	if !strings.Contains(string(fixed), "PasswordAuthentication no") || !strings.Contains(string(fixed), "# test sshd for vigil fix") {
		t.Errorf("the fixed file:\n%s", fixed)
	}

	for _, id := range []string{passwordFix, cipherFix} {
		if code, out, stderr := vigilIn(t, "", "fix", "--rollback", id, "--yes"); code != ExitOK {
			t.Fatalf("rollback %s: %d\n%s\n%s", id, code, out, stderr)
		}
	}
	if now, _ := os.ReadFile(conf); string(now) != orig {
		t.Errorf("the rollbacks did not restore the file:\n%s", now)
	}
	again := scan()
	if _, ok := findingOf(again, "ssh.cipher.weak", 2240); !ok || !offers(again, "3des-cbc") {
		t.Errorf("after the rollback the weak ciphers are not offered again")
	}
	if _, ok := findingOf(again, "ssh.auth.password", 2240); !ok {
		t.Errorf("after the rollback password logins are not offered again")
	}
}
