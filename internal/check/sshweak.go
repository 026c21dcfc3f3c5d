package check

import "strings"

// SSH algorithm list kinds, for SSHWeak.
const (
	SSHKex     = "kex"
	SSHCipher  = "cipher"
	SSHMAC     = "mac"
	SSHHostKey = "hostkey"
)

// SSHWeak says why the SSH algorithm name of the given kind is weak, in the
// same terms the ssh.* judges use, or "" when it is not. Remediation (vigil
// fix) uses it to keep exactly what the judges do not flag. Host-key
// algorithms are weak when they sign with DSA or with SHA-1 RSA (ssh-rsa and
// its certificate form); the size of a key is not in its name.
func SSHWeak(kind, name string) string {
	switch kind {
	case SSHKex:
		return sshWeakKex(name)
	case SSHCipher:
		return sshWeakCipher(name)
	case SSHMAC:
		return sshWeakMAC(name)
	case SSHHostKey:
		switch {
		case strings.HasPrefix(name, "ssh-dss"):
			return "DSA"
		case name == "ssh-rsa" || name == "ssh-rsa-cert-v01@openssh.com":
			return "RSA with SHA-1 signatures"
		}
	}
	return ""
}

// SSHPseudoKex reports names servers put in their key exchange list to
// signal extensions (ext-info-s, kex-strict-s-v00@openssh.com): sshd_config
// refuses them in KexAlgorithms.
func SSHPseudoKex(name string) bool { return sshPseudoKex(name) }
