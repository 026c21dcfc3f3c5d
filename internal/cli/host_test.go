package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/lab"
)

// hostCLI runs vigil as Execute does, with the host command added to the
// root when it does not have it yet.
func hostCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{version: "test", stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	root := newRoot(e)
	if c, _, err := root.Find([]string{"host"}); err != nil || c == root {
		root.AddCommand(newHostCmd(e))
	}
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(t.Context())
	if err == nil {
		return ExitOK, out.String(), errb.String()
	}
	code := ExitError
	var xe *exitError
	if errors.As(err, &xe) {
		code = xe.code
	} else if isFlagError(err) {
		code = ExitUsage
	}
	return code, out.String(), errb.String() + "vigil: " + err.Error()
}

func TestHostUsageErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"host", "--sudo"}, "go with --ssh"},
		{[]string{"host", "--identity", "k"}, "go with --ssh"},
		{[]string{"host", "--ssh", "nobody"}, "user@host"},
		{[]string{"host", "--ssh", "root@10.0.0.0/8"}, "one host"},
		{[]string{"host", "--ssh", "root@host:99999"}, "not a port"},
		// Refused before any packet is sent.
		{[]string{"host", "--ssh", "root@8.8.8.8"}, "--allow-public"},
		{[]string{"host", "--format", "yaml"}, "unknown format"},
		{[]string{"host", "extra"}, "unknown command"},
		{[]string{"host", "--root", dir, "--ssh", "root@127.0.0.1"}, "--root and --ssh cannot go together"},
		{[]string{"host", "--root", filepath.Join(dir, "missing")}, "no such directory"},
		{[]string{"host", "--root", file}, "is not a directory"},
		{[]string{"host", "--root", dir, "--sudo"}, "go with --ssh"},
	}
	for _, tt := range tests {
		code, _, stderr := hostCLI(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.says) {
			t.Errorf("%v: exit %d, %q; want %d and %q", tt.args, code, stderr, ExitUsage, tt.says)
		}
	}
}

// TestHostLocal audits this machine with the lab running: a valid
// vigil/scan/v1 document of kind host, and a table that starts with the
// level and shows the listeners, the firewall and the files read.
func TestHostLocal(t *testing.T) {
	m := lab.Require(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "host.json")
	db := filepath.Join(dir, "vigil.db")
	code, _, stderr := hostCLI(t, "host", "--format", "json", "-o", file, "--db", db)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validateScan(t, raw)
	doc, err := result.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Kind != result.KindHost || doc.HostAudit == nil || doc.HostAudit.Remote != "" || doc.Tool != "vigil test" {
		t.Fatalf("document kind %q, audit %v", doc.Kind, doc.HostAudit != nil)
	}
	// db-weak trusts the network: a critical finding, level 1.
	pg := m.Find("db-weak-postgresql")
	if doc.Level.Value != 1 || !slices.ContainsFunc(doc.Findings, func(f finding.Finding) bool {
		return f.Check == "postgresql.config.trust" && f.Host == pg.Host && f.Port == pg.Port
	}) {
		t.Errorf("level %d, findings %d", doc.Level.Value, len(doc.Findings))
	}
	// Every address of the machine is a host of the document, audited now.
	for _, a := range doc.HostAudit.Addresses {
		i := slices.IndexFunc(doc.Hosts, func(h result.Host) bool { return h.Address == a })
		if i < 0 || doc.Hosts[i].Audited == nil {
			t.Errorf("address %s is not an audited host of the document", a)
		}
	}
	if !strings.Contains(stderr, "host audit "+doc.ID+" stored in "+db) {
		t.Errorf("stderr %q does not say where the audit went", stderr)
	}

	code, out, stderr := hostCLI(t, "host", "--no-store", "--color", "never")
	if code != ExitOK {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "vigil host audit of ") || !strings.HasPrefix(lines[3], "Level 1 of 5 — exposed.") {
		t.Errorf("the table does not start with the audit and its level:\n%s", strings.Join(lines[:min(5, len(lines))], "\n"))
	}
	for _, want := range []string{"Listeners", "  " + pg.Host, fmt.Sprintf("%d/tcp", pg.Port), "postgres (pid ", "loopback only",
		"Firewall:", "Configurations read", m.Dir + "/ssh-weak/sshd_config (sshd -T)", m.Dir + "/db-weak/pg/postgresql.conf, " + m.Dir + "/db-weak/pg/pg_hba.conf",
		"CRITICAL", "postgresql.config.trust"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q", want)
		}
	}
}

func TestHostSSHIsStored(t *testing.T) {
	m := lab.Require(t)
	hard := m.Find("ssh-hard")
	db := filepath.Join(t.TempDir(), "vigil.db")
	code, out, stderr := hostCLI(t, "host", "--ssh", "root@"+hard.Host, "--identity", m.ClientKey, "--known-hosts", m.KnownHosts, "--db", db, "--color", "never")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "over SSH as root@"+hard.Host) {
		t.Errorf("the table does not say it was remote:\n%.300s", out)
	}
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.List(t.Context(), 0)
	if err != nil || len(list) != 1 || list[0].Kind != result.KindHost {
		t.Fatalf("stored: %+v, %v", list, err)
	}
	doc, err := st.Get(t.Context(), "latest")
	if err != nil {
		t.Fatal(err)
	}
	h := doc.HostAudit
	if h == nil || h.Remote != "root@"+hard.Host {
		t.Fatalf("stored audit: %+v", h)
	}
	if !slices.ContainsFunc(h.Listeners, func(l facts.Listener) bool {
		return l.Address == hard.Host && l.Port == hard.Port && l.Process == "sshd" && l.PID > 0
	}) {
		t.Errorf("ssh-hard's listener is not in the remote audit")
	}
	if !slices.ContainsFunc(h.SSHD, func(c facts.SSHDConfig) bool {
		return c.ConfigFile == m.Dir+"/ssh-hard/sshd_config" && c.Method == "sshd -T" && c.Effective["passwordauthentication"] == "no"
	}) {
		t.Errorf("ssh-hard's configuration is not in the remote audit: %+v", h.SSHD)
	}
	// The remote audit reached this very machine (over loopback): it
	// speaks for the address it reached.
	audits, err := st.LatestHostAudits(t.Context(), time.Now().Add(-time.Hour))
	if err != nil || len(audits) != 1 || !audits[0].HostAudit.Covers(netip.MustParseAddr(hard.Host), hostaudit.Here(t.Context())) {
		t.Errorf("LatestHostAudits = %v, %v; want one that covers %s", audits, err, hard.Host)
	}
}

func TestHostSSHRefusesAnUnknownHostKey(t *testing.T) {
	m := lab.Require(t)
	hard := m.Find("ssh-hard")
	dir := t.TempDir()
	empty := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "vigil.db")
	code, out, stderr := hostCLI(t, "host", "--ssh", "root@"+hard.Host+":22", "--identity", m.ClientKey, "--known-hosts", empty, "--db", db)
	if code != ExitError || out != "" {
		t.Fatalf("exit %d, output %q", code, out)
	}
	for _, want := range []string{"is not in " + empty, "never trusts a key on first use", "SHA256:", "ssh-keygen -lf"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		st, err := store.Open(t.Context(), db)
		if err == nil {
			list, _ := st.List(t.Context(), 0)
			st.Close()
			if len(list) > 0 {
				t.Errorf("a refused audit was stored: %+v", list)
			}
		}
	}
}

// TestHostHelperProcess is not a test: TestHostInNamespace runs the test
// binary inside a network namespace with VIGIL_HOST_HELPER set, and this
// runs `vigil host` there.
func TestHostHelperProcess(t *testing.T) {
	raw := os.Getenv("VIGIL_HOST_HELPER")
	if raw == "" {
		t.Skip("helper process for TestHostInNamespace")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := hostCLI(t, args...)
	os.Stderr.WriteString(stderr)
	os.Exit(code)
}

// TestHostInNamespace starts real listeners in a network namespace the
// test creates, runs `vigil host` inside it with ip netns exec, and checks
// that the audit reports exactly those listeners, with their processes.
func TestHostInNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the namespace test needs root")
		}
		t.Skip("the namespace test needs root")
	}
	for _, tool := range []string{"ip", "redis-server", "socat"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "vigil-host-" + hex.EncodeToString(b[:])
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	dir := t.TempDir()
	start := func(transport string, port int, argv ...string) *exec.Cmd {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitListening(t, cmd.Process.Pid, transport, port)
		return cmd
	}
	redis := start("tcp", 6399, "redis-server", "--bind", "127.0.0.1", "--port", "6399", "--save", "", "--appendonly", "no", "--dir", dir)
	tcp6 := start("tcp6", 7999, "socat", "TCP6-LISTEN:7999,bind=[::1],fork,reuseaddr", "/dev/null")
	udp := start("udp", 5999, "socat", "-u", "UDP4-RECV:5999,bind=127.0.0.1", "/dev/null")

	file := filepath.Join(dir, "audit.json")
	args, _ := json.Marshal([]string{"host", "--format", "json", "-o", file, "--no-store"})
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^TestHostHelperProcess$")
	cmd.Env = append(os.Environ(), "VIGIL_HOST_HELPER="+string(args))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vigil host in %s: %v\n%s", ns, err, out)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := result.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		transport, addr string
		port, pid       int
		process         string
	}
	var got []seen
	for _, l := range doc.HostAudit.Listeners {
		got = append(got, seen{l.Transport, l.Address, l.Port, l.PID, l.Process})
	}
	want := []seen{
		{"tcp", "127.0.0.1", 6399, redis.Process.Pid, "redis-server"},
		{"tcp", "::1", 7999, tcp6.Process.Pid, "socat"},
		{"udp", "127.0.0.1", 5999, udp.Process.Pid, "socat"},
	}
	slices.SortFunc(got, func(a, b seen) int {
		return strings.Compare(a.transport+strconv.Itoa(a.port), b.transport+strconv.Itoa(b.port))
	})
	slices.SortFunc(want, func(a, b seen) int {
		return strings.Compare(a.transport+strconv.Itoa(a.port), b.transport+strconv.Itoa(b.port))
	})
	if !slices.Equal(got, want) {
		t.Errorf("listeners in the namespace:\n%+v\nwant\n%+v", got, want)
	}
	if a := doc.HostAudit.Addresses; !slices.Equal(a, []string{"127.0.0.1", "::1"}) {
		t.Errorf("addresses %v, want only the namespace's loopback", a)
	}
	// Redis's configuration was asked over its own listener, inside the
	// namespace; bound to loopback, it is no finding.
	if r := doc.HostAudit.Redis; len(r) != 1 || r[0].PID != redis.Process.Pid || r[0].Method != "CONFIG GET" || !slices.Equal(r[0].Bind, []string{"127.0.0.1"}) {
		t.Errorf("redis configuration: %+v", r)
	}
	for _, f := range doc.Findings {
		if f.Check == "redis.config.no-auth" {
			t.Errorf("finding for a loopback-only Redis: %+v", f)
		}
	}
}

// waitListening polls the process's own view of its network namespace
// (/proc/PID/net) until it listens on port.
func waitListening(t *testing.T, pid int, table string, port int) {
	t.Helper()
	transport := strings.TrimSuffix(table, "6")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err == nil {
			socks, err := hostaudit.ParseProcNet(b, transport, false)
			if err == nil && slices.ContainsFunc(socks, func(s hostaudit.Socket) bool { return s.Listening() && int(s.Local.Port()) == port }) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pid %d does not listen on %s/%d", pid, transport, port)
}

// rootFS makes a Debian system's files in a new directory: os-release
// (through a link, as Debian has it), a host name, dpkg's status with two
// packages installed and one removed, and a machine id that must stay
// unread.
func rootFS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"usr/lib/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
		"etc/hostname":       "web1\n",
		"etc/machine-id":     "0123456789abcdef0123456789abcdef\n",
		"var/lib/dpkg/status": "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n\n" +
			"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.15-1~deb12u1\n\n" +
			"Package: telnetd\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.17-1\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../usr/lib/os-release", filepath.Join(dir, "etc/os-release")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestHostRoot audits a mounted root with vigil host --root: a valid
// vigil/scan/v1 document whose audit holds the root's os-release and
// packages and nothing of a running machine (no listener, no address, no
// machine identity), that vouches for no host, and is never taken for a
// live machine's audit by a later scan.
func TestHostRoot(t *testing.T) {
	dir := rootFS(t)
	out := t.TempDir()
	file := filepath.Join(out, "root.json")
	db := filepath.Join(out, "vigil.db")
	code, _, stderr := vigilIn(t, "", "host", "--root", dir, "--format", "json", "-o", file, "--db", db)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validateScan(t, raw)
	doc, err := result.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := doc.HostAudit
	if doc.Kind != result.KindHost || h == nil {
		t.Fatalf("document kind %q, audit %v", doc.Kind, h != nil)
	}
	if h.Root != dir || h.Hostname != "web1" || h.Remote != "" || h.Machine.Known() || h.Machine.ID != "" {
		t.Errorf("root %q, hostname %q, remote %q, machine %+v", h.Root, h.Hostname, h.Remote, h.Machine)
	}
	if h.OS == nil || h.OS.ID != "debian" || h.OS.VersionCodename != "bookworm" || h.OS.PrettyName != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("os %+v", h.OS)
	}
	want := []facts.Package{
		{Name: "libssl3", Version: "3.0.15-1~deb12u1", Arch: "amd64", Source: "openssl", SourceVersion: "3.0.15-1~deb12u1", Format: "dpkg"},
		{Name: "openssl", Version: "3.0.15-1~deb12u1", Arch: "amd64", Source: "openssl", SourceVersion: "3.0.15-1~deb12u1", Format: "dpkg"},
	}
	if !slices.Equal(h.Packages, want) {
		t.Errorf("packages %+v", h.Packages)
	}
	if len(h.Listeners) != 0 || len(h.Addresses) != 0 || len(h.Flows) != 0 || len(h.SSHD) != 0 || h.Firewall.Kind != "" {
		t.Errorf("live facts from a mounted root: %+v", h)
	}
	if len(doc.Hosts) != 0 || len(doc.Findings) != 0 || !slices.Equal(doc.Targets, []string{dir}) || doc.Level.Value != 4 {
		t.Errorf("hosts %+v, findings %d, targets %v, level %+v", doc.Hosts, len(doc.Findings), doc.Targets, doc.Level)
	}
	if doc.Run == nil || doc.Run.Options["root"] != dir {
		t.Errorf("run %+v does not say --root", doc.Run)
	}
	// Stored, it speaks for no machine a scan reaches.
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if list, err := st.List(t.Context(), 0); err != nil || len(list) != 1 || list[0].Kind != result.KindHost {
		t.Errorf("stored: %+v, %v", list, err)
	}
	if audits, err := st.LatestHostAudits(t.Context(), time.Now().Add(-time.Hour)); err != nil || len(audits) != 0 {
		t.Errorf("LatestHostAudits = %d audits, %v; a mounted root is none", len(audits), err)
	}

	code, table, stderr := vigilIn(t, "", "host", "--root", dir, "--no-store", "--color", "never")
	if code != ExitOK {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"vigil host audit of web1, the mounted root " + dir, "2 package(s) · 0 finding(s)",
		"System: 2 packages (dpkg), Debian GNU/Linux 12 (bookworm)", "Not checked\n  - listeners, processes, firewall, addresses"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	if strings.Contains(table, "Listeners") || strings.Contains(table, "Firewall:") {
		t.Errorf("the table shows a running machine's sections:\n%s", table)
	}
}
