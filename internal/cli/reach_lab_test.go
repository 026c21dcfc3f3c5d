package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/lab"
)

// reachNS is the machine TestHostAuditReachesItsAddresses audits: a network
// namespace of its own, so the result does not depend on the machine the
// test runs on.
var reachNS = testNetns{name: "vigil-reach-test", hostIf: "vreach0", nsIf: "vreach1", hostAddr: "10.78.2.1", nsAddr: "10.78.2.2"}

// startNSSSHD starts a hardened sshd (the lab's ssh-hard settings and keys)
// on addr inside namespace ns.
func startNSSSHD(t *testing.T, m *lab.Manifest, ns, addr string) {
	t.Helper()
	dir := t.TempDir()
	hard := filepath.Join(m.Dir, "ssh-hard")
	conf := filepath.Join(dir, "sshd_config")
	body := fmt.Sprintf(`ListenAddress %s
HostKey %s/ssh_host_ed25519_key
PidFile %s/sshd.pid
HostKeyAlgorithms ssh-ed25519
KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthorizedKeysFile none
UsePAM no
`, addr, hard, dir)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", ns, "/usr/sbin/sshd", "-D", "-f", conf, "-E", filepath.Join(dir, "sshd.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	host, _, _ := strings.Cut(addr, ":")
	d := testDialer(t, host)
	for deadline := time.Now().Add(10 * time.Second); !connects(t, d, addr, time.Second); {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sshd.log"))
			t.Fatalf("sshd does not listen on %s: %s", addr, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHostAuditReachesItsAddresses: a host audit speaks for the addresses of
// the machine it audited. The machine is a namespace with a hardened sshd;
// audited with a firewall that drops all but SSH, a scan of its address
// rates it 5; audited without a firewall (firewall.none), the same scan
// carries that finding, filed under the address with the audit's id and
// date, rates it 3, and HIPAA 164.312(a)(1) is not met.
func TestHostAuditReachesItsAddresses(t *testing.T) {
	m := lab.Require(t)
	requireRoot(t)
	ns := reachNS
	makeNetns(t, ns)
	firewall := `table inet guard {
	chain input {
		type filter hook input priority 0; policy drop;
		iif "lo" accept
		ct state established,related accept
		tcp dport 22 accept
	}
}
`
	nft := func(args ...string) {
		t.Helper()
		c := exec.Command("ip", append([]string{"netns", "exec", ns.name, "nft"}, args...)...)
		c.Stdin = strings.NewReader(firewall)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("nft %v: %v %s", args, err, out)
		}
	}
	nft("-f", "-")
	addr := ns.nsAddr + ":22"
	startNSSSHD(t, m, ns.name, addr)

	data := t.TempDir()
	db := filepath.Join(data, "vigil.db")
	audit := func() *result.Document {
		t.Helper()
		file := filepath.Join(t.TempDir(), "host.json")
		if out, err := runIn(t, ns.name, data, "", "host", "--db", db, "--format", "json", "-o", file); err != nil {
			t.Fatalf("vigil host in %s: %v\n%s", ns.name, err, out)
		}
		return readDoc(t, file)
	}
	scan := func() *result.Document {
		t.Helper()
		return labScan(t, ns.nsAddr, "-p", "22", "--udp-ports", "", "--no-discovery", "--db", db)
	}

	// With the firewall: nothing above info, and a host audit: level 5.
	a1 := audit()
	for _, f := range a1.Findings {
		if f.Severity.String() != "info" {
			t.Errorf("the firewalled namespace's audit has %s %s: %s", f.Severity, f.Check, f.Evidence)
		}
	}
	if got := scan(); len(got.Hosts) != 1 || got.Hosts[0].Level != 5 || got.Hosts[0].Audited == nil || !got.Hosts[0].Audited.Equal(a1.Finished) {
		t.Errorf("scan after a clean audit: %+v, want level 5 audited at %v (findings %+v)", got.Hosts, a1.Finished, got.Findings)
	}

	// Without it: the audit's firewall.none reaches the scan of the address.
	nft("flush", "ruleset")
	a2 := audit()
	if len(findingsOf(a2, "firewall.none")) != 1 {
		t.Fatalf("the audit without a firewall has no firewall.none: %+v", a2.Findings)
	}
	got := scan()
	if len(got.Hosts) != 1 || got.Hosts[0].Level > 3 {
		t.Errorf("scan after an audit with firewall.none: level %d, want at most 3", got.Hosts[0].Level)
	}
	fw := findingsOf(got, "firewall.none")
	if len(fw) != 1 || fw[0].Host != ns.nsAddr || fw[0].Port != 0 || !strings.Contains(fw[0].Evidence, "host audit "+a2.ID) ||
		!strings.Contains(fw[0].Evidence, a2.Finished.UTC().Format("2006-01-02 15:04")) {
		t.Errorf("firewall.none in the scan: %+v; want it on %s port 0 naming audit %s", fw, ns.nsAddr, a2.ID)
	}
	code, js, stderr := vigilIn(t, "", "report", got.ID, "--db", db, "--framework", "hipaa", "--format", "json")
	if code != ExitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	var as compliance.Assessment
	if err := json.Unmarshal([]byte(js), &as); err != nil {
		t.Fatal(err)
	}
	for _, c := range as.Controls {
		if c.ID == "HIPAA 164.312(a)(1)" && c.Status == compliance.Met {
			t.Errorf("164.312(a)(1) is met although the host has no firewall: %s", c.Basis)
		}
	}
}

func findingsOf(d *result.Document, check string) []finding.Finding {
	var out []finding.Finding
	for _, f := range d.Findings {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}
