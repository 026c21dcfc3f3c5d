package check

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// Name-lists as real servers send them.
var (
	// OpenSSH 9.2p1 (Debian 12, strict-KEX backport) with legacy algorithms
	// re-enabled with "+", RSA-1024 and DSA host keys, passwords allowed.
	weakOpenSSH = facts.SSH{
		ProtocolVersion: "2.0", Software: "OpenSSH_9.2p1",
		KexAlgorithms: []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org",
			"ecdh-sha2-nistp256", "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256",
			"diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1", "kex-strict-s-v00@openssh.com"},
		HostKeyAlgorithms:     []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-dss"},
		CiphersClientToServer: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com", "3des-cbc", "aes128-cbc"},
		CiphersServerToClient: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com", "3des-cbc", "aes128-cbc"},
		MACsClientToServer:    []string{"hmac-sha2-256-etm@openssh.com", "umac-64@openssh.com", "hmac-sha2-512", "hmac-md5", "hmac-sha1-96"},
		MACsServerToClient:    []string{"hmac-sha2-256-etm@openssh.com", "umac-64@openssh.com", "hmac-sha2-512", "hmac-md5", "hmac-sha1-96"},
		HostKeys: []facts.SSHHostKey{
			{Algorithm: "rsa-sha2-512", Type: "ssh-rsa", Bits: 1024, Fingerprint: "SHA256:rsa1024"},
			{Algorithm: "rsa-sha2-256", Type: "ssh-rsa", Bits: 1024, Fingerprint: "SHA256:rsa1024"},
			{Algorithm: "ssh-rsa", Type: "ssh-rsa", Bits: 1024, Fingerprint: "SHA256:rsa1024"},
			{Algorithm: "ssh-dss", Type: "ssh-dss", Bits: 1024, Fingerprint: "SHA256:dsa"},
		},
		AuthMethods: []string{"publickey", "password", "keyboard-interactive"},
	}
	// A hardened OpenSSH 9.2p1: modern algorithms, Ed25519 and RSA-3072,
	// public keys only.
	hardenedOpenSSH = facts.SSH{
		ProtocolVersion: "2.0", Software: "OpenSSH_9.2p1",
		KexAlgorithms:         []string{"sntrup761x25519-sha512@openssh.com", "curve25519-sha256", "curve25519-sha256@libssh.org", "kex-strict-s-v00@openssh.com"},
		HostKeyAlgorithms:     []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-ed25519"},
		CiphersClientToServer: []string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr"},
		CiphersServerToClient: []string{"chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr"},
		MACsClientToServer:    []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "umac-128-etm@openssh.com"},
		MACsServerToClient:    []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "umac-128-etm@openssh.com"},
		HostKeys: []facts.SSHHostKey{
			{Algorithm: "rsa-sha2-512", Type: "ssh-rsa", Bits: 3072, Fingerprint: "SHA256:rsa3072"},
			{Algorithm: "rsa-sha2-256", Type: "ssh-rsa", Bits: 3072, Fingerprint: "SHA256:rsa3072"},
			{Algorithm: "ssh-ed25519", Type: "ssh-ed25519", Bits: 256, Fingerprint: "SHA256:ed"},
		},
		AuthMethods: []string{"publickey"},
	}
	// What the lab's Terrapin emulator offers: OpenSSH 8.9 without strict
	// key exchange.
	terrapinOpenSSH = facts.SSH{
		ProtocolVersion: "2.0", Software: "OpenSSH_8.9p1",
		KexAlgorithms:         []string{"curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "ext-info-s"},
		HostKeyAlgorithms:     []string{"ssh-ed25519"},
		CiphersClientToServer: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"},
		CiphersServerToClient: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes256-gcm@openssh.com"},
		MACsClientToServer:    []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"},
		MACsServerToClient:    []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"},
	}
)

// with returns a copy of s changed by f.
func sshWith(s facts.SSH, f func(*facts.SSH)) *facts.SSH {
	c := s
	f(&c)
	return &c
}

func TestJudgeSSH(t *testing.T) {
	type want struct {
		check, subject string
		evidence       []string // substrings of the evidence
		fix            []string // substrings of the fix
		notFix         []string // must not appear in the fix
	}
	tests := []struct {
		name    string
		product string
		version string
		ssh     *facts.SSH
		want    []want
	}{
		{name: "no SSH audit", ssh: nil},
		{name: "hardened OpenSSH yields nothing", product: "OpenSSH", version: "9.2p1", ssh: &hardenedOpenSSH},
		{
			name: "weak OpenSSH 9.2", product: "OpenSSH", version: "9.2p1", ssh: &weakOpenSSH,
			want: []want{
				{check: "ssh.kex.weak",
					evidence: []string{"diffie-hellman-group1-sha1 (1024-bit group, SHA-1)", "diffie-hellman-group14-sha1 (SHA-1)", "diffie-hellman-group-exchange-sha1 (SHA-1)"},
					fix: []string{"/etc/ssh/sshd_config.d/00-vigil.conf",
						`"KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256"`,
						"sshd -t && systemctl reload ssh", "sshd -T | grep -i '^kexalgorithms '"},
					notFix: []string{"kex-strict", ",diffie-hellman-group1-sha1", ",diffie-hellman-group14-sha1"}},
				{check: "ssh.cipher.weak",
					evidence: []string{"3des-cbc (CBC mode, 3DES, 64-bit block)", "aes128-cbc (CBC mode)"},
					fix:      []string{`"Ciphers chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com"`, "Stop offering 3des-cbc, aes128-cbc"}},
				{check: "ssh.mac.weak",
					evidence: []string{"umac-64@openssh.com (64-bit tag)", "hmac-md5 (MD5)", "hmac-sha1-96 (SHA-1, 96-bit tag)"},
					fix:      []string{`"MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512"`}},
				{check: "ssh.auth.password",
					evidence: []string{"offers password and keyboard-interactive", "publickey, password, keyboard-interactive"},
					fix:      []string{`"PasswordAuthentication no"`, `"KbdInteractiveAuthentication no"`, "logs in with a key"},
					notFix:   []string{"ChallengeResponseAuthentication"}},
				{check: "ssh.hostkey.weak", subject: "ssh-dss",
					evidence: []string{"ssh-dss", "1024-bit key SHA256:dsa"},
					fix:      []string{"ssh_host_dsa_key", "ssh-keygen -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key"}},
				{check: "ssh.hostkey.weak", subject: "ssh-rsa",
					evidence: []string{"RSA host key under 2048 bits: 1024-bit key SHA256:rsa1024", "offered as rsa-sha2-512, rsa-sha2-256, ssh-rsa"},
					fix:      []string{"ssh-keygen -t rsa -b 3072", "/etc/ssh/ssh_host_rsa_key"},
					notFix:   []string{"HostKeyAlgorithms"}},
			},
		},
		{
			name: "Terrapin emulator (OpenSSH 8.9 without strict KEX)", product: "OpenSSH", version: "8.9p1", ssh: &terrapinOpenSSH,
			want: []want{{check: "ssh.terrapin",
				evidence: []string{"offers chacha20-poly1305@openssh.com", "kex-strict-s-v00@openssh.com absent"},
				fix:      []string{"9.6", "1:9.2p1-2+deb12u2", `"Ciphers aes128-ctr,aes256-gcm@openssh.com"`, "drops chacha20-poly1305@openssh.com"}}},
		},
		{
			name: "Terrapin by CBC with EtM", ssh: sshWith(terrapinOpenSSH, func(s *facts.SSH) {
				s.Software = "Foo_1.0"
				s.CiphersClientToServer = []string{"aes128-ctr", "aes256-cbc"}
				s.CiphersServerToClient = s.CiphersClientToServer
			}),
			want: []want{
				{check: "ssh.cipher.weak", evidence: []string{"aes256-cbc (CBC mode)"}, fix: []string{"keep only the ciphers it offers that are sound: aes128-ctr"}},
				{check: "ssh.terrapin",
					evidence: []string{"CBC ciphers (aes256-cbc) with encrypt-then-MAC MACs (hmac-sha2-256-etm@openssh.com, hmac-sha2-512-etm@openssh.com)"},
					fix:      []string{"strict key exchange", "stop offering aes256-cbc"}},
			},
		},
		{name: "strict KEX defuses chacha20", ssh: sshWith(terrapinOpenSSH, func(s *facts.SSH) {
			s.KexAlgorithms = append(slices.Clone(s.KexAlgorithms), "kex-strict-s-v00@openssh.com")
		})},
		{name: "no KEXINIT learnt, no Terrapin verdict", ssh: &facts.SSH{ProtocolVersion: "2.0", Software: "OpenSSH_8.9p1", CiphersClientToServer: []string{"chacha20-poly1305@openssh.com"}}},
		{
			name: "SSH-1 only", ssh: &facts.SSH{ProtocolVersion: "1.5", Software: "1.2.27"},
			want: []want{{check: "ssh.protocol.v1", evidence: []string{"protocol 1.5 (SSH-1 only)", `"1.2.27"`}, fix: []string{"protocol 2"}}},
		},
		{
			name: "SSH-1 and 2 on old OpenSSH", product: "OpenSSH", version: "3.9p1", ssh: &facts.SSH{ProtocolVersion: "1.99", Software: "OpenSSH_3.9p1"},
			want: []want{{check: "ssh.protocol.v1", evidence: []string{"protocol 1.99 (SSH-1 and SSH-2)"}, fix: []string{"7.4", `"Protocol 2"`, "systemctl restart ssh"}}},
		},
		{
			name: "RSA with SHA-1 signatures only, old OpenSSH", product: "OpenSSH", version: "7.1p2",
			ssh: sshWith(hardenedOpenSSH, func(s *facts.SSH) {
				s.Software = "OpenSSH_7.1p2"
				s.HostKeyAlgorithms = []string{"ssh-rsa", "ssh-ed25519"}
				s.HostKeys = []facts.SSHHostKey{{Algorithm: "ssh-rsa", Type: "ssh-rsa", Bits: 2048, Fingerprint: "SHA256:r"}}
			}),
			want: []want{{check: "ssh.hostkey.weak", subject: "ssh-rsa",
				evidence: []string{"offered only with SHA-1 (ssh-rsa, no rsa-sha2-256/512)"},
				fix:      []string{"upgrade to 7.2 or later"}, notFix: []string{"ssh-keygen -t rsa"}}},
		},
		{
			name: "RSA with SHA-1 signatures only, OpenSSH 8.1 restricted by config", product: "OpenSSH", version: "8.1p1",
			ssh: sshWith(hardenedOpenSSH, func(s *facts.SSH) {
				s.HostKeyAlgorithms = []string{"ssh-rsa", "ssh-ed25519"}
				s.HostKeys = []facts.SSHHostKey{{Algorithm: "ssh-rsa", Type: "ssh-rsa", Bits: 3072, Fingerprint: "SHA256:r"}}
			}),
			want: []want{{check: "ssh.hostkey.weak", subject: "ssh-rsa",
				evidence: []string{"offered only with SHA-1"},
				fix:      []string{`"HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256"`, "top of /etc/ssh/sshd_config", "predates the Include keyword"},
				notFix:   []string{"00-vigil.conf"}}},
		},
		{
			name: "OpenSSH 8.4: both keyboard-interactive keywords", product: "OpenSSH", version: "8.4p1",
			ssh: sshWith(hardenedOpenSSH, func(s *facts.SSH) { s.AuthMethods = []string{"publickey", "keyboard-interactive"} }),
			want: []want{{check: "ssh.auth.password", evidence: []string{"offers keyboard-interactive", "one-time codes"},
				fix: []string{`"KbdInteractiveAuthentication no"`, `"ChallengeResponseAuthentication no"`, "00-vigil.conf"}, notFix: []string{"PasswordAuthentication"}}},
		},
		{
			name: "product from the identification string when identification left it empty",
			ssh:  sshWith(hardenedOpenSSH, func(s *facts.SSH) { s.AuthMethods = []string{"password"} }),
			want: []want{{check: "ssh.auth.password", fix: []string{`"PasswordAuthentication no"`, "sshd -t"}}},
		},
		{
			name: "Dropbear", product: "Dropbear sshd", version: "2022.83",
			ssh: &facts.SSH{
				ProtocolVersion: "2.0", Software: "dropbear_2022.83",
				KexAlgorithms:         []string{"curve25519-sha256", "diffie-hellman-group14-sha256", "diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1", "kexguess2@matt.ucc.asn.au"},
				HostKeyAlgorithms:     []string{"ssh-rsa", "ssh-dss"},
				CiphersClientToServer: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes128-cbc", "3des-cbc"},
				CiphersServerToClient: []string{"chacha20-poly1305@openssh.com", "aes128-ctr", "aes128-cbc", "3des-cbc"},
				MACsClientToServer:    []string{"hmac-sha1-96", "hmac-sha1", "hmac-sha2-256"},
				MACsServerToClient:    []string{"hmac-sha1-96", "hmac-sha1", "hmac-sha2-256"},
				HostKeys:              []facts.SSHHostKey{{Algorithm: "ssh-rsa", Type: "ssh-rsa", Bits: 1024, Fingerprint: "SHA256:d"}},
				AuthMethods:           []string{"publickey", "password"},
			},
			want: []want{
				{check: "ssh.kex.weak", fix: []string{`"#define DROPBEAR_DH_GROUP14_SHA1 0"`, `"#define DROPBEAR_DH_GROUP1 0"`, "localoptions.h"}, notFix: []string{"sshd_config"}},
				{check: "ssh.cipher.weak", fix: []string{"DROPBEAR_ENABLE_CBC_MODE 0", "DROPBEAR_3DES 0"}},
				{check: "ssh.mac.weak", evidence: []string{"hmac-sha1-96 (SHA-1, 96-bit tag)", "hmac-sha1 (SHA-1)"}, fix: []string{"DROPBEAR_SHA1_96_HMAC 0", "DROPBEAR_SHA1_HMAC 0"}},
				{check: "ssh.auth.password", fix: []string{"-s", "DROPBEAR_EXTRA_ARGS"}},
				{check: "ssh.terrapin", fix: []string{"2024.84"}},
				{check: "ssh.hostkey.weak", subject: "ssh-dss", fix: []string{"dropbear_dss_host_key", "dropbearkey -t ed25519"}},
				{check: "ssh.hostkey.weak", subject: "ssh-rsa",
					evidence: []string{"1024-bit key SHA256:d", "only with SHA-1"},
					fix:      []string{"dropbearkey -t rsa -s 3072", "rsa-sha2-256"}},
			},
		},
		{
			name: "unknown software gets generic fixes",
			ssh: &facts.SSH{
				ProtocolVersion: "2.0", Software: "RomSShell_4.62",
				KexAlgorithms:         []string{"diffie-hellman-group1-sha1"},
				HostKeyAlgorithms:     []string{"ssh-rsa"},
				CiphersClientToServer: []string{"3des-cbc", "arcfour", "blowfish-cbc", "cast128-cbc", "none"},
				CiphersServerToClient: []string{"aes128-cbc"},
				MACsClientToServer:    []string{"hmac-md5-96", "none"},
				MACsServerToClient:    []string{"hmac-sha1"},
				AuthMethods:           []string{"password"},
			},
			want: []want{
				{check: "ssh.kex.weak", fix: []string{"offers no other key exchange methods", "curve25519-sha256"}},
				{check: "ssh.cipher.weak",
					evidence: []string{"arcfour (RC4)", "blowfish-cbc (CBC mode, Blowfish, 64-bit block)", "cast128-cbc (CBC mode, CAST-128, 64-bit block)", "none (no encryption)", "aes128-cbc (CBC mode)"},
					fix:      []string{"Disable 3des-cbc, arcfour", "upgrade"}},
				{check: "ssh.mac.weak", evidence: []string{"hmac-md5-96 (MD5, 96-bit tag)", "none (no integrity protection)", "hmac-sha1 (SHA-1)"}},
				{check: "ssh.auth.password", fix: []string{"disable password authentication"}},
				{check: "ssh.hostkey.weak", subject: "ssh-rsa", evidence: []string{"only with SHA-1"}, fix: []string{"rsa-sha2-256"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &facts.Service{Port: 22, Transport: facts.TCP, Name: "ssh", Product: tt.product, Version: tt.version, SSH: tt.ssh}
			in := Input{Host: &facts.Host{Address: "127.0.2.12"}, Service: svc, Now: time.Unix(1700000000, 0)}
			hits := judgeSSH(in)
			for _, h := range hits {
				// Every hit names a catalogue check and carries evidence and a fix.
				f := MakeFinding(h, "127.0.2.12", 22, facts.TCP)
				if f.Evidence == "" || strings.TrimSpace(h.Fix) == "" {
					t.Errorf("%s: empty evidence or fix: %+v", h.Check, h)
				}
			}
			if len(hits) != len(tt.want) {
				t.Fatalf("got %d hits, want %d:\n%s", len(hits), len(tt.want), sshDumpHits(hits))
			}
			for _, w := range tt.want {
				i := slices.IndexFunc(hits, func(h Hit) bool { return h.Check == w.check && h.Subject == w.subject })
				if i < 0 {
					t.Errorf("no %s/%s hit in:\n%s", w.check, w.subject, sshDumpHits(hits))
					continue
				}
				h := hits[i]
				for _, s := range w.evidence {
					if !strings.Contains(h.Evidence, s) {
						t.Errorf("%s/%s evidence %q lacks %q", w.check, w.subject, h.Evidence, s)
					}
				}
				for _, s := range w.fix {
					if !strings.Contains(h.Fix, s) {
						t.Errorf("%s/%s fix %q lacks %q", w.check, w.subject, h.Fix, s)
					}
				}
				for _, s := range w.notFix {
					if strings.Contains(h.Fix, s) {
						t.Errorf("%s/%s fix %q should not hold %q", w.check, w.subject, h.Fix, s)
					}
				}
			}
		})
	}
}

// TestJudgeSSHHardenedNothingAtMedium runs the hardened facts through the
// finding pipeline: nothing at medium or above may come out.
func TestJudgeSSHHardenedNothingAtMedium(t *testing.T) {
	svc := &facts.Service{Port: 22, Transport: facts.TCP, Name: "ssh", Product: "OpenSSH", Version: "9.2p1", SSH: &hardenedOpenSSH}
	for _, h := range judgeSSH(Input{Host: &facts.Host{Address: "127.0.2.13"}, Service: svc}) {
		if f := MakeFinding(h, "127.0.2.13", 22, facts.TCP); f.Severity >= finding.Medium {
			t.Errorf("hardened server: %s %s: %s", f.Severity, f.Check, f.Evidence)
		}
	}
}

func TestSSHWeakNames(t *testing.T) {
	tests := []struct {
		name  string
		judge func(string) string
		weak  bool
	}{
		{"diffie-hellman-group1-sha1", sshWeakKex, true},
		{"diffie-hellman-group14-sha1", sshWeakKex, true},
		{"diffie-hellman-group-exchange-sha1", sshWeakKex, true},
		{"rsa1024-sha1", sshWeakKex, true},
		{"gss-group1-sha1-toWM5Slw5Ew8Mqkay+al2g==", sshWeakKex, true},
		{"gss-gex-sha1-toWM5Slw5Ew8Mqkay+al2g==", sshWeakKex, true},
		{"gss-group14-sha1-toWM5Slw5Ew8Mqkay+al2g==", sshWeakKex, true},
		{"diffie-hellman-group14-sha256", sshWeakKex, false},
		{"diffie-hellman-group-exchange-sha256", sshWeakKex, false},
		{"rsa2048-sha256", sshWeakKex, false},
		{"ecdh-sha2-nistp256", sshWeakKex, false},
		{"curve25519-sha256@libssh.org", sshWeakKex, false},
		{"sntrup761x25519-sha512@openssh.com", sshWeakKex, false},
		{"mlkem768x25519-sha256", sshWeakKex, false},
		{"gss-curve25519-sha256-toWM5Slw5Ew8Mqkay+al2g==", sshWeakKex, false},
		{"kex-strict-s-v00@openssh.com", sshWeakKex, false},
		{"ext-info-s", sshWeakKex, false},

		{"aes128-cbc", sshWeakCipher, true},
		{"rijndael-cbc@lysator.liu.se", sshWeakCipher, true},
		{"3des-cbc", sshWeakCipher, true},
		{"3des-ctr", sshWeakCipher, true},
		{"des-cbc@ssh.com", sshWeakCipher, true},
		{"arcfour256", sshWeakCipher, true},
		{"blowfish-ctr", sshWeakCipher, true},
		{"cast128-cbc", sshWeakCipher, true},
		{"idea-cbc", sshWeakCipher, true},
		{"none", sshWeakCipher, true},
		{"aes256-ctr", sshWeakCipher, false},
		{"aes128-gcm@openssh.com", sshWeakCipher, false},
		{"chacha20-poly1305@openssh.com", sshWeakCipher, false},
		{"twofish256-ctr", sshWeakCipher, false},

		{"hmac-md5", sshWeakMAC, true},
		{"hmac-md5-96-etm@openssh.com", sshWeakMAC, true},
		{"hmac-sha1", sshWeakMAC, true},
		{"hmac-sha1-etm@openssh.com", sshWeakMAC, true},
		{"hmac-sha2-256-96", sshWeakMAC, true},
		{"umac-64@openssh.com", sshWeakMAC, true},
		{"umac-64-etm@openssh.com", sshWeakMAC, true},
		{"none", sshWeakMAC, true},
		{"hmac-sha2-256", sshWeakMAC, false},
		{"hmac-sha2-512-etm@openssh.com", sshWeakMAC, false},
		{"umac-128-etm@openssh.com", sshWeakMAC, false},
		{"umac-128@openssh.com", sshWeakMAC, false},
	}
	for _, tt := range tests {
		if got := tt.judge(tt.name) != ""; got != tt.weak {
			t.Errorf("%s: weak = %v, want %v (%q)", tt.name, got, tt.weak, tt.judge(tt.name))
		}
	}
}

func TestSSHTargetOf(t *testing.T) {
	tests := []struct {
		product, version, software string
		want                       sshTarget
	}{
		{"OpenSSH", "9.2p1", "OpenSSH_9.2p1", sshTarget{sshOpenSSH, 9, 2}},
		{"", "", "OpenSSH_8.9p1", sshTarget{sshOpenSSH, 8, 9}},
		{"", "", "OpenSSH_for_Windows_8.1", sshTarget{sshOpenSSH, 8, 1}},
		{"Dropbear sshd", "2022.83", "dropbear_2022.83", sshTarget{sshDropbear, 2022, 83}},
		{"", "", "dropbear", sshTarget{sshDropbear, 0, 0}},
		{"Cisco SSH", "", "Cisco-1.25", sshTarget{"", 0, 0}},
		{"", "", "", sshTarget{"", 0, 0}},
		{"OpenSSH", "x.y", "", sshTarget{sshOpenSSH, 0, 0}},
	}
	for _, tt := range tests {
		svc := &facts.Service{Product: tt.product, Version: tt.version, SSH: &facts.SSH{Software: tt.software}}
		if got := sshTargetOf(svc); got != tt.want {
			t.Errorf("%q %q %q: got %+v, want %+v", tt.product, tt.version, tt.software, got, tt.want)
		}
	}
}

func sshDumpHits(hits []Hit) string {
	var b strings.Builder
	for _, h := range hits {
		b.WriteString("  " + h.Check + "/" + h.Subject + ": " + h.Evidence + "\n    fix: " + h.Fix + "\n")
	}
	return b.String()
}
