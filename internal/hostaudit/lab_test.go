package hostaudit

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/lab"
)

func loopbackDialer(t *testing.T) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// findingsAt returns the findings of a check on host:port.
func findingsAt(fs []finding.Finding, check, host string, port int) []finding.Finding {
	var out []finding.Finding
	for _, f := range fs {
		if f.Check == check && f.Host == host && f.Port == port {
			out = append(out, f)
		}
	}
	return out
}

func requireFinding(t *testing.T, fs []finding.Finding, check, host string, port int, evidence ...string) {
	t.Helper()
	got := findingsAt(fs, check, host, port)
	if len(got) != 1 {
		var all []string
		for _, f := range fs {
			all = append(all, f.Check+"@"+f.Host+":"+itoa(f.Port))
		}
		t.Errorf("%d %s finding(s) on %s:%d; all findings: %v", len(got), check, host, port, all)
		return
	}
	for _, e := range evidence {
		if !strings.Contains(got[0].Evidence, e) {
			t.Errorf("%s on %s:%d: evidence %q lacks %q", check, host, port, got[0].Evidence, e)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLabLocal audits this machine with the lab running: every daemon's
// configuration is found from its own command line, and the judges fire
// on the weak twins only.
func TestLabLocal(t *testing.T) {
	m := lab.Require(t)
	h, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	dir := m.Dir
	sshWeak, sshHard := m.Find("ssh-weak"), m.Find("ssh-hard")
	pgWeak, pgHard := m.Find("db-weak-postgresql"), m.Find("db-hard-postgresql")

	// Every lab TCP listener is seen, with its process.
	for _, s := range m.Services {
		if !s.AddrPort().Addr().IsLoopback() {
			continue // in a lab part's network namespace, not on this host
		}
		i := slices.IndexFunc(h.Listeners, func(l facts.Listener) bool {
			return l.Transport == s.Transport && l.Address == s.Host && l.Port == s.Port
		})
		if i < 0 {
			t.Errorf("%s (%s %s:%d) is not among the listeners", s.ID, s.Transport, s.Host, s.Port)
			continue
		}
		if l := h.Listeners[i]; l.PID == 0 || l.Process == "" || l.User == "" || l.Reachable || !strings.Contains(l.Reason, "loopback only") {
			t.Errorf("%s: listener %+v", s.ID, l)
		}
	}

	cfgs := map[string]facts.SSHDConfig{}
	for _, c := range h.SSHD {
		cfgs[c.ConfigFile] = c
	}
	weak, hard := cfgs[dir+"/ssh-weak/sshd_config"], cfgs[dir+"/ssh-hard/sshd_config"]
	if weak.Method != "sshd -T" || weak.Effective["permitrootlogin"] != "yes" || hard.Effective["passwordauthentication"] != "no" {
		t.Errorf("sshd configurations: %+v", h.SSHD)
	}
	pgs := map[string]facts.PostgreSQLConfig{}
	for _, c := range h.PostgreSQL {
		pgs[c.DataDir] = c
	}
	if c := pgs[dir+"/db-weak/pg"]; c.SSL || c.Port != pgWeak.Port || c.HBAFile != dir+"/db-weak/pg/pg_hba.conf" || c.ListenAddresses != pgWeak.Host {
		t.Errorf("db-weak PostgreSQL: %+v", c)
	}
	if c := pgs[dir+"/db-hard/pg"]; !c.SSL || c.Port != pgHard.Port {
		t.Errorf("db-hard PostgreSQL: %+v", c)
	}

	fs := check.JudgeHostAudit(h, h.Time)
	requireFinding(t, fs, "ssh.config.root-login", sshWeak.Host, sshWeak.Port, dir+"/ssh-weak/sshd_config:", "PermitRootLogin yes")
	requireFinding(t, fs, "ssh.config.password-auth", sshWeak.Host, sshWeak.Port, dir+"/ssh-weak/sshd_config:", "PasswordAuthentication yes")
	requireFinding(t, fs, "postgresql.config.trust", pgWeak.Host, pgWeak.Port, dir+"/db-weak/pg/pg_hba.conf:2: host all all 0.0.0.0/0 trust")
	requireFinding(t, fs, "postgresql.config.no-ssl", pgWeak.Host, pgWeak.Port, dir+"/db-weak/pg/postgresql.conf:", "ssl = off")
	redis := m.Find("db-weak-redis")
	requireFinding(t, fs, "redis.config.no-auth", redis.Host, redis.Port, "CONFIG GET requirepass: empty")
	ftp := m.Find("ftp-weak")
	requireFinding(t, fs, "ftp.config.anonymous", ftp.Host, ftp.Port, dir+"/ftp-weak/vsftpd.conf:", "anonymous_enable=YES")
	for _, svc := range []lab.Service{sshHard, pgHard, m.Find("db-hard-redis"), m.Find("ftp-hard")} {
		for _, f := range fs {
			if f.Host == svc.Host && f.Port == svc.Port {
				t.Errorf("hardened %s has finding %s: %s", svc.ID, f.Check, f.Evidence)
			}
		}
	}
	for _, f := range fs {
		if f.Recommendation == "" || f.Evidence == "" {
			t.Errorf("%s on %s:%d has no evidence or fix", f.Check, f.Host, f.Port)
		}
	}
}

// TestLabSSH audits the machine over SSH as root@ssh-hard and expects what
// the local audit sees; with an empty or wrong known_hosts it is refused.
func TestLabSSH(t *testing.T) {
	m := lab.Require(t)
	hard := m.Find("ssh-hard")
	cfg := SSHConfig{User: "root", Host: hard.Host, Addr: hard.AddrPort(), Identities: []string{m.ClientKey}, KnownHosts: m.KnownHosts}
	s, err := DialSSH(t.Context(), loopbackDialer(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Remote() != "root@"+hard.Host {
		t.Errorf("Remote() = %q", s.Remote())
	}
	remote, err := Collect(t.Context(), s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	local, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	if remote.Remote != "root@"+hard.Host || remote.Hostname != local.Hostname {
		t.Errorf("remote audit of %q (%q), local %q", remote.Remote, remote.Hostname, local.Hostname)
	}
	key := func(l facts.Listener) string {
		// sshd rewrites its title with a count of connections being set
		// up ("[listener] 1 of 10-100 startups"), which other tests move.
		cmd, _, _ := strings.Cut(l.Cmdline, " [listener]")
		return l.Transport + " " + l.Address + ":" + itoa(l.Port) + " " + l.Process + " " + itoa(l.PID) + " " + l.User + " " + cmd
	}
	var lk, rk []string
	for _, l := range local.Listeners {
		lk = append(lk, key(l))
	}
	for _, l := range remote.Listeners {
		rk = append(rk, key(l))
	}
	// Listeners may come and go between the two audits (other tests);
	// the lab's are stable.
	for _, svc := range m.Services {
		if !svc.AddrPort().Addr().IsLoopback() {
			continue // in a lab part's network namespace, not on this host
		}
		want := svc.Transport + " " + svc.Host + ":" + itoa(svc.Port)
		li := slices.IndexFunc(lk, func(k string) bool { return strings.HasPrefix(k, want+" ") })
		ri := slices.IndexFunc(rk, func(k string) bool { return strings.HasPrefix(k, want+" ") })
		if li < 0 || ri < 0 || lk[li] != rk[ri] {
			t.Errorf("%s: local %q, remote %q", svc.ID, at(lk, li), at(rk, ri))
		}
	}
	if !slices.EqualFunc(local.SSHD, remote.SSHD, func(a, b facts.SSHDConfig) bool {
		return a.ConfigFile == b.ConfigFile && a.Method == b.Method && a.Effective["permitrootlogin"] == b.Effective["permitrootlogin"] && a.Sources["permitrootlogin"] == b.Sources["permitrootlogin"]
	}) {
		t.Errorf("sshd: local %+v\nremote %+v", local.SSHD, remote.SSHD)
	}
	// The lab's daemons only: other packages' tests start and stop their
	// own Redis and nginx meanwhile.
	daemons := func(a *facts.HostAudit) [4]int {
		var n [4]int
		inLab := func(i int, file string) {
			if strings.HasPrefix(file, m.Dir+"/") {
				n[i]++
			}
		}
		for _, c := range a.PostgreSQL {
			// The core lab's two (the data part runs two more).
			if strings.HasPrefix(c.ConfigFile, m.Dir+"/db-weak/") || strings.HasPrefix(c.ConfigFile, m.Dir+"/db-hard/") {
				n[0]++
			}
		}
		for _, c := range a.Redis {
			// Started from the command line: no file; the lab's bind
			// addresses tell.
			if slices.ContainsFunc(c.Bind, func(b string) bool { return b == m.Find("db-weak-redis").Host || b == m.Find("db-hard-redis").Host }) {
				n[1]++
			}
		}
		for _, c := range a.FTP {
			inLab(2, c.ConfigFile)
		}
		for _, c := range a.Nginx {
			// The core lab's two nginx (lab parts run more of them).
			if strings.HasPrefix(c.ConfigFile, m.Dir+"/web-weak/") || strings.HasPrefix(c.ConfigFile, m.Dir+"/web-hard/") {
				n[3]++
			}
		}
		return n
	}
	if r, l := daemons(remote), daemons(local); r != l || r != [4]int{2, 2, 2, 2} {
		t.Errorf("the lab's PostgreSQL, Redis, FTP and nginx configurations: remote %v, local %v, want two of each", r, l)
	}
	// The same package inventory and os-release, read over SSH (the lab
	// machine is a Debian one, with dpkg's database).
	if len(local.Packages) == 0 || !slices.Equal(local.Packages, remote.Packages) || local.OS == nil || !reflect.DeepEqual(local.OS, remote.OS) {
		t.Errorf("packages: local %d, remote %d; os: local %+v, remote %+v", len(local.Packages), len(remote.Packages), local.OS, remote.OS)
	}
	// The audit's own SSH connection is a flow, inbound to sshd.
	if !slices.ContainsFunc(remote.Flows, func(f facts.Flow) bool {
		return f.Direction == "in" && f.Local == hard.AddrPort().String() && f.Process == "sshd"
	}) {
		t.Errorf("the SSH connection is not among the flows: %+v", remote.Flows)
	}
}

func at(s []string, i int) string {
	if i < 0 {
		return "(missing)"
	}
	return s[i]
}

func TestLabSSHRefusesUnverifiedHostKeys(t *testing.T) {
	m := lab.Require(t)
	hard := m.Find("ssh-hard")
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(dir, "wrong")
	if err := os.WriteFile(wrong, []byte(knownhosts.Line([]string{hard.Host}, other)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file string
		says       []string
	}{
		{"unknown", empty, []string{"is not in " + empty, "never trusts a key on first use", "SHA256:", ">> " + empty}},
		{"mismatch", wrong, []string{"HOST KEY MISMATCH", wrong + ":1", "ssh-keygen -R"}},
		{"no file", filepath.Join(dir, "absent"), []string{"cannot read the known hosts file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SSHConfig{User: "root", Host: hard.Host, Addr: hard.AddrPort(), Identities: []string{m.ClientKey}, KnownHosts: tt.file}
			s, err := DialSSH(t.Context(), loopbackDialer(t), cfg)
			if err == nil {
				s.Close()
				t.Fatal("connected")
			}
			if !errors.Is(err, ErrHostKey) {
				t.Errorf("error %v is not ErrHostKey", err)
			}
			for _, w := range tt.says {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// BenchmarkCollectLocal measures a whole local audit (run it as root with
// the lab up: go test -run '^$' -bench CollectLocal ./internal/hostaudit).
func BenchmarkCollectLocal(b *testing.B) {
	d, err := dialer.New(dialer.Config{Concurrency: 64, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		h, err := Collect(b.Context(), Local(), Options{Dialer: d})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(h.Listeners)), "listeners")
	}
}
