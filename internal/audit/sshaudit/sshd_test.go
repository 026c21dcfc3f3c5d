package sshaudit

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

const sshdPath = "/usr/sbin/sshd"

// sshdKey is a host key to generate: ssh-keygen -t typ [-b bits].
type sshdKey struct {
	typ  string
	bits int
}

// startSSHD runs Debian's sshd in the foreground on ip with fresh host keys
// and the given sshd_config lines, until the test ends. It returns the
// address and the SHA256 fingerprint of each host key by key type. It skips
// the test when not root or when sshd is missing.
func startSSHD(t *testing.T, ip string, keys []sshdKey, lines ...string) (netip.AddrPort, map[string]string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running sshd needs root")
	}
	if _, err := os.Stat(sshdPath); err != nil {
		t.Skip("no sshd: ", err)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Skip("sshd needs /run/sshd: ", err)
	}
	dir := t.TempDir()
	fps := map[string]string{}
	conf := []string{"PidFile " + filepath.Join(dir, "sshd.pid")}
	for _, k := range keys {
		file := filepath.Join(dir, "host_"+k.typ)
		args := []string{"-q", "-t", k.typ, "-N", "", "-f", file}
		if k.bits > 0 {
			args = append(args, "-b", strconv.Itoa(k.bits))
		}
		if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
		}
		pubText, err := os.ReadFile(file + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(pubText)
		if err != nil {
			t.Fatal(err)
		}
		fps[pub.Type()] = ssh.FingerprintSHA256(pub)
		conf = append(conf, "HostKey "+file)
	}
	// A free port on ip; sshd binds it right after.
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Skip("cannot bind ", ip, ": ", err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	_ = ln.Close()
	conf = append(conf, "ListenAddress "+addr.String())
	conf = append(conf, lines...)
	confFile := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(confFile, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "sshd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", confFile)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("sshd log:\n%s", b)
		}
	})
	// Wait until sshd accepts connections (or has exited).
	d := testDialer(t)
	for deadline := time.Now().Add(10 * time.Second); ; {
		st, _, _ := d.Probe(t.Context(), addr, time.Second)
		if st == dialer.Open {
			break
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(log.Name())
			t.Fatalf("sshd exited: %v\n%s", err, b)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("sshd does not accept connections")
		}
	}
	return addr, fps
}

// assertOffers fails unless list holds every name of want.
func assertOffers(t *testing.T, what string, list []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(list, w) {
			t.Errorf("%s %v lack %s", what, list, w)
		}
	}
}

// hostKey returns the host key recorded for algorithm alg.
func hostKey(s *facts.SSH, alg string) (facts.SSHHostKey, bool) {
	i := slices.IndexFunc(s.HostKeys, func(k facts.SSHHostKey) bool { return k.Algorithm == alg })
	if i < 0 {
		return facts.SSHHostKey{}, false
	}
	return s.HostKeys[i], true
}

// TestAuditDebianSSHD audits real OpenSSH servers, a weak and a hardened
// one, started by the test on 127.0.3.x.
func TestAuditDebianSSHD(t *testing.T) {
	t.Run("weak", func(t *testing.T) {
		addr, fps := startSSHD(t, "127.0.3.21", []sshdKey{{"rsa", 1024}, {"dsa", 0}},
			"HostKeyAlgorithms +ssh-rsa,ssh-dss",
			"KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1",
			"Ciphers +3des-cbc,aes128-cbc,aes256-cbc",
			"MACs +hmac-md5,hmac-md5-96,hmac-sha1-96,umac-64@openssh.com",
			"PasswordAuthentication yes", "KbdInteractiveAuthentication yes", "UsePAM yes")
		s, err := audit(t, addr, Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatalf("Audit: %v (facts %+v)", err, s)
		}
		if s.ProtocolVersion != "2.0" || !strings.HasPrefix(s.Software, "OpenSSH_") {
			t.Errorf("identification %q %q", s.ProtocolVersion, s.Software)
		}
		assertOffers(t, "kex_algorithms", s.KexAlgorithms, "diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1")
		assertOffers(t, "ciphers", s.CiphersClientToServer, "3des-cbc", "aes128-cbc", "aes256-cbc")
		assertOffers(t, "ciphers", s.CiphersServerToClient, "3des-cbc", "aes128-cbc", "aes256-cbc")
		assertOffers(t, "MACs", s.MACsClientToServer, "hmac-md5", "hmac-md5-96", "hmac-sha1-96", "umac-64@openssh.com")
		assertOffers(t, "host key algorithms", s.HostKeyAlgorithms, "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss")
		for alg, want := range map[string]facts.SSHHostKey{
			"rsa-sha2-512": {Algorithm: "rsa-sha2-512", Type: "ssh-rsa", Bits: 1024, Fingerprint: fps["ssh-rsa"]},
			"rsa-sha2-256": {Algorithm: "rsa-sha2-256", Type: "ssh-rsa", Bits: 1024, Fingerprint: fps["ssh-rsa"]},
			"ssh-rsa":      {Algorithm: "ssh-rsa", Type: "ssh-rsa", Bits: 1024, Fingerprint: fps["ssh-rsa"]},
			"ssh-dss":      {Algorithm: "ssh-dss", Type: "ssh-dss", Bits: 1024, Fingerprint: fps["ssh-dss"]},
		} {
			if got, ok := hostKey(s, alg); !ok || got != want {
				t.Errorf("host key %s: got %+v, want %+v", alg, got, want)
			}
		}
		assertOffers(t, "auth methods", s.AuthMethods, "publickey", "password", "keyboard-interactive")
	})

	t.Run("hardened", func(t *testing.T) {
		addr, fps := startSSHD(t, "127.0.3.22", []sshdKey{{"ed25519", 0}, {"rsa", 3072}},
			"HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256",
			"KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256",
			"Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes256-ctr",
			"MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com",
			"PasswordAuthentication no", "KbdInteractiveAuthentication no", "AuthenticationMethods publickey")
		s, err := audit(t, addr, Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatalf("Audit: %v (facts %+v)", err, s)
		}
		kex := slices.DeleteFunc(slices.Clone(s.KexAlgorithms), func(n string) bool { return strings.HasPrefix(n, "kex-strict-") || strings.HasPrefix(n, "ext-info-") })
		if !slices.Equal(kex, []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256"}) {
			t.Errorf("kex_algorithms %v", s.KexAlgorithms)
		}
		if !slices.Equal(s.CiphersServerToClient, []string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes256-ctr"}) {
			t.Errorf("ciphers %v", s.CiphersServerToClient)
		}
		want := []facts.SSHHostKey{
			{Algorithm: "ssh-ed25519", Type: "ssh-ed25519", Bits: 256, Fingerprint: fps["ssh-ed25519"]},
			{Algorithm: "rsa-sha2-512", Type: "ssh-rsa", Bits: 3072, Fingerprint: fps["ssh-rsa"]},
			{Algorithm: "rsa-sha2-256", Type: "ssh-rsa", Bits: 3072, Fingerprint: fps["ssh-rsa"]},
		}
		if !slices.Equal(s.HostKeys, want) {
			t.Errorf("host keys %+v, want %+v", s.HostKeys, want)
		}
		if !slices.Equal(s.AuthMethods, []string{"publickey"}) {
			t.Errorf("auth methods %v, want [publickey]", s.AuthMethods)
		}
	})
}
