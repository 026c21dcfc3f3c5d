package sshaudit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/lab"
)

// labFindings judges one audited lab service as a scan would.
func labFindings(t *testing.T, svc lab.Service, s *facts.SSH, err error) []finding.Finding {
	t.Helper()
	fs := facts.Service{Port: svc.Port, Transport: svc.Transport, Name: "ssh", Product: svc.Product, Version: svc.Version, SSH: s,
		AuditErrors: Errors(err)}
	return check.JudgeHosts([]facts.Host{{Address: svc.Host, Services: []facts.Service{fs}}}, time.Now())
}

// findingOf returns the finding of check (and subject), failing the test
// when there is none.
func findingOf(t *testing.T, fs []finding.Finding, id, subject string) finding.Finding {
	t.Helper()
	i := slices.IndexFunc(fs, func(f finding.Finding) bool { return f.Check == id && f.Subject == subject })
	if i < 0 {
		var got []string
		for _, f := range fs {
			got = append(got, f.Check+"/"+f.Subject)
		}
		t.Fatalf("no %s/%s finding; got %v (is judgeSSH registered in internal/check/registry.go?)", id, subject, got)
	}
	return fs[i]
}

// assertFinding checks that a finding exists and that its evidence and
// recommendation hold the given strings.
func assertFinding(t *testing.T, fs []finding.Finding, id, subject string, evidence []string, fix ...string) {
	t.Helper()
	f := findingOf(t, fs, id, subject)
	for _, e := range evidence {
		if !strings.Contains(f.Evidence, e) {
			t.Errorf("%s/%s evidence %q lacks %q", id, subject, f.Evidence, e)
		}
	}
	for _, x := range fix {
		if !strings.Contains(f.Recommendation, x) {
			t.Errorf("%s/%s recommendation %q lacks %q", id, subject, f.Recommendation, x)
		}
	}
}

// labKeyFingerprint reads a host key of the lab and returns its fingerprint.
func labKeyFingerprint(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(pub)
}

func labService(t *testing.T, m *lab.Manifest, id string) lab.Service {
	t.Helper()
	svc := m.Find(id)
	if svc.ID == "" {
		t.Fatalf("the lab manifest has no service %q", id)
	}
	return svc
}

func TestLabSSH(t *testing.T) {
	m := lab.Require(t)
	opt := Options{Timeout: 2 * time.Second}

	t.Run("weak OpenSSH", func(t *testing.T) {
		svc := labService(t, m, "ssh-weak")
		s, err := audit(t, svc.AddrPort(), opt)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		rsaFP := labKeyFingerprint(t, filepath.Join(m.Dir, "ssh-weak", "ssh_host_rsa_key.pub"))
		dsaFP := labKeyFingerprint(t, filepath.Join(m.Dir, "ssh-weak", "ssh_host_dsa_key.pub"))
		for _, alg := range []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"} {
			if k, ok := hostKey(s, alg); !ok || k.Bits != 1024 || k.Fingerprint != rsaFP {
				t.Errorf("host key %s: %+v, want 1024 bits %s", alg, k, rsaFP)
			}
		}
		if k, ok := hostKey(s, "ssh-dss"); !ok || k.Fingerprint != dsaFP {
			t.Errorf("host key ssh-dss: %+v, want %s", k, dsaFP)
		}

		fs := labFindings(t, svc, s, err)
		assertFinding(t, fs, "ssh.kex.weak", "",
			[]string{"diffie-hellman-group1-sha1 (1024-bit group, SHA-1)", "diffie-hellman-group14-sha1 (SHA-1)", "diffie-hellman-group-exchange-sha1 (SHA-1)"},
			"KexAlgorithms ", "sshd -t && systemctl reload ssh")
		assertFinding(t, fs, "ssh.cipher.weak", "", []string{"3des-cbc", "aes128-cbc", "aes256-cbc"}, "Ciphers ")
		assertFinding(t, fs, "ssh.mac.weak", "", []string{"hmac-md5 (MD5)", "hmac-sha1-96 (SHA-1, 96-bit tag)", "umac-64@openssh.com (64-bit tag)"}, "MACs ")
		assertFinding(t, fs, "ssh.hostkey.weak", "ssh-dss", []string{"ssh-dss", dsaFP}, "HostKey")
		assertFinding(t, fs, "ssh.hostkey.weak", "ssh-rsa", []string{"1024-bit key " + rsaFP}, "ssh-keygen -t rsa -b 3072")
		assertFinding(t, fs, "ssh.auth.password", "", []string{"password and keyboard-interactive"}, "PasswordAuthentication no", "KbdInteractiveAuthentication no")
		for _, f := range fs {
			if f.Check == "ssh.terrapin" || f.Check == "ssh.protocol.v1" {
				t.Errorf("unexpected %s: %s", f.Check, f.Evidence)
			}
		}
	})

	t.Run("hardened OpenSSH", func(t *testing.T) {
		svc := labService(t, m, "ssh-hard")
		s, err := audit(t, svc.AddrPort(), opt)
		if err != nil {
			t.Fatalf("Audit: %v", err)
		}
		edFP := labKeyFingerprint(t, filepath.Join(m.Dir, "ssh-hard", "ssh_host_ed25519_key.pub"))
		if k, ok := hostKey(s, "ssh-ed25519"); !ok || k.Fingerprint != edFP || k.Bits != 256 {
			t.Errorf("ed25519 host key %+v, want %s", k, edFP)
		}
		if k, ok := hostKey(s, "rsa-sha2-512"); !ok || k.Bits != 3072 {
			t.Errorf("RSA host key %+v, want 3072 bits", k)
		}
		if !slices.Equal(s.AuthMethods, []string{"publickey"}) {
			t.Errorf("auth methods %v, want [publickey]", s.AuthMethods)
		}
		for _, f := range labFindings(t, svc, s, err) {
			if f.Severity >= finding.Medium {
				t.Errorf("hardened server: %s %s: %s", f.Severity, f.Check, f.Evidence)
			}
		}
	})

	t.Run("SSH-1 only", func(t *testing.T) {
		svc := labService(t, m, "legacy-ssh1")
		s, err := audit(t, svc.AddrPort(), opt)
		if err != nil || s == nil {
			t.Fatalf("Audit: %v, %+v", err, s)
		}
		if s.ProtocolVersion != "1.5" || s.Software != "OpenSSH_3.9p1" {
			t.Errorf("identification %q %q", s.ProtocolVersion, s.Software)
		}
		f := findingOf(t, labFindings(t, svc, s, err), "ssh.protocol.v1", "")
		if f.Severity != finding.Critical || !strings.Contains(f.Evidence, "1.5 (SSH-1 only)") {
			t.Errorf("finding %+v", f)
		}
	})

	t.Run("SSH-1.99", func(t *testing.T) {
		svc := labService(t, m, "legacy-ssh199")
		s, err := audit(t, svc.AddrPort(), opt)
		if s == nil {
			t.Fatalf("no facts: %v", err)
		}
		// The emulator closes after KEXINIT: host keys and authentication
		// are audit errors, the offer is kept.
		if len(Errors(err)) == 0 {
			t.Error("no audit errors from an emulator that performs no key exchange")
		}
		fs := labFindings(t, svc, s, err)
		assertFinding(t, fs, "ssh.protocol.v1", "", []string{"1.99 (SSH-1 and SSH-2)"}, "7.4")
		assertFinding(t, fs, "ssh.kex.weak", "", []string{"diffie-hellman-group1-sha1"})
		assertFinding(t, fs, "ssh.cipher.weak", "", []string{"arcfour (RC4)", "blowfish-cbc", "cast128-cbc"})
		assertFinding(t, fs, "ssh.mac.weak", "", []string{"hmac-md5 (MD5)"})
		assertFinding(t, fs, "ssh.hostkey.weak", "ssh-dss", []string{"ssh-dss"})
		assertFinding(t, fs, "ssh.hostkey.weak", "ssh-rsa", []string{"only with SHA-1"}, "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256")
	})

	t.Run("Terrapin", func(t *testing.T) {
		svc := labService(t, m, "legacy-terrapin")
		s, err := audit(t, svc.AddrPort(), opt)
		if s == nil {
			t.Fatalf("no facts: %v", err)
		}
		if len(s.KexAlgorithms) == 0 || len(s.HostKeys) != 0 || s.AuthMethods != nil {
			t.Errorf("facts %+v", s)
		}
		families := map[string]bool{}
		for _, a := range s.HostKeyAlgorithms {
			families[keyFamily(a)] = true
		}
		msgs := Errors(err)
		if len(msgs) != len(families)+1 {
			t.Errorf("want one error per host-key family (%d) and one for authentication, got %q", len(families), msgs)
		}
		assertFinding(t, labFindings(t, svc, s, err), "ssh.terrapin", "",
			[]string{"chacha20-poly1305@openssh.com", "kex-strict-s-v00@openssh.com absent"}, "9.6")
	})

	for _, id := range []string{"legacy-ssh-garbage", "legacy-ssh-endless"} {
		t.Run(id, func(t *testing.T) {
			svc := labService(t, m, id)
			s, err := audit(t, svc.AddrPort(), opt)
			if err == nil {
				t.Fatalf("no error from a hostile server; facts %+v", s)
			}
			if s != nil && len(s.KexAlgorithms) != 0 {
				t.Errorf("KEXINIT facts from a hostile server: %+v", s)
			}
			t.Logf("%s: %v", id, err)
		})
	}
}
