package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// judgeSSH judges what the SSH audit learnt (facts.SSH): protocol 1, weak
// key exchange, ciphers, MACs and host keys, password logins and the
// Terrapin preconditions. Each fix names the exact algorithms to drop and,
// when the server's software is known (OpenSSH, Dropbear), the exact lines
// or options and commands that drop them.
//
// What counts as weak, and why:
//   - key exchange: any method hashing with SHA-1 (diffie-hellman-group1-sha1,
//     group14-sha1, group-exchange-sha1, the gss-*-sha1-* family), the
//     1024-bit Oakley group 2 (group1) and rsa1024-sha1, as RFC 9142 §4
//     advises against them (SHOULD NOT or MUST NOT). The NIST curves
//     (ecdh-sha2-nistp*) are not flagged: RFC 9142 recommends them.
//   - ciphers: CBC mode (plaintext recovery, RFC 8758's reasoning applies to
//     all of it), 64-bit block ciphers (3DES, Blowfish, CAST-128, IDEA:
//     SWEET32), RC4 (arcfour*, RFC 8758), single DES and "none".
//   - MACs: MD5, SHA-1, tags truncated to 96 bits, UMAC with a 64-bit tag,
//     and "none".
//   - host keys: DSA (ssh-dss), RSA under 2048 bits, and RSA offered only
//     with SHA-1 signatures (ssh-rsa without rsa-sha2-256/512).
func judgeSSH(in Input) []Hit {
	s := in.Service.SSH
	if s == nil {
		return nil
	}
	t := sshTargetOf(in.Service)
	var hits []Hit
	if h, ok := sshProtocolV1(s, t); ok {
		hits = append(hits, h)
	}
	for _, j := range []func(*facts.SSH, sshTarget) (Hit, bool){sshKex, sshCiphers, sshMACs, sshPassword, sshTerrapin} {
		if h, ok := j(s, t); ok {
			hits = append(hits, h)
		}
	}
	hits = append(hits, sshHostKeys(s, t)...)
	return hits
}

// --- the target: which software, which version -------------------------------

// Products judgeSSH has specific fixes for.
const (
	sshOpenSSH  = "openssh"
	sshDropbear = "dropbear"
)

// sshTarget is what the judge knows of the server's software.
type sshTarget struct {
	product      string // sshOpenSSH, sshDropbear or ""
	major, minor int    // 0, 0 when unknown
}

// sshTargetOf reads the product from the identified service, falling back to
// the software version of the identification string.
func sshTargetOf(svc *facts.Service) sshTarget {
	var t sshTarget
	product, version := strings.ToLower(svc.Product), svc.Version
	software := ""
	if svc.SSH != nil {
		software = svc.SSH.Software
	}
	switch {
	case strings.Contains(product, "openssh"):
		t.product = sshOpenSSH
	case strings.Contains(product, "dropbear"):
		t.product = sshDropbear
	case product == "" && strings.HasPrefix(strings.ToLower(software), "openssh_"):
		t.product = sshOpenSSH
	case product == "" && strings.HasPrefix(strings.ToLower(software), "dropbear"):
		t.product = sshDropbear
	}
	if version == "" {
		if i := strings.LastIndexByte(software, '_'); i >= 0 {
			version = software[i+1:]
		}
	}
	t.major, t.minor = sshParseVersion(version)
	return t
}

// sshParseVersion reads "9.2p1" or "2022.83" as (9, 2) or (2022, 83).
func sshParseVersion(v string) (major, minor int) {
	digits := func(s string) (int, string) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil || i > 6 {
			return -1, s
		}
		return n, s[i:]
	}
	major, rest := digits(v)
	if major < 0 || !strings.HasPrefix(rest, ".") {
		return 0, 0
	}
	minor, _ = digits(rest[1:])
	if minor < 0 {
		return 0, 0
	}
	return major, minor
}

// known reports whether the version is known.
func (t sshTarget) known() bool { return t.major > 0 }

// atLeast reports whether the version is known and at least major.minor.
func (t sshTarget) atLeast(major, minor int) bool {
	return t.known() && (t.major > major || t.major == major && t.minor >= minor)
}

// --- classification ----------------------------------------------------------

// sshBase strips the @domain of an algorithm name.
func sshBase(name string) string {
	if i := strings.IndexByte(name, '@'); i >= 0 {
		return name[:i]
	}
	return name
}

// sshTokens splits an algorithm name on '-' (without its @domain).
func sshTokens(name string) []string { return strings.Split(sshBase(name), "-") }

// sshPseudoKex reports the names servers put in kex_algorithms to signal
// extensions (RFC 8308 ext-info, OpenSSH strict KEX): they are no key
// exchange, and sshd_config refuses them in KexAlgorithms.
func sshPseudoKex(name string) bool {
	return strings.HasPrefix(name, "ext-info-") || strings.HasPrefix(name, "kex-strict-")
}

// sshWeakKex says why a key exchange method is weak, or "" if it is not.
func sshWeakKex(name string) string {
	if sshPseudoKex(name) {
		return ""
	}
	var why []string
	tok := sshTokens(name)
	if strings.HasPrefix(name, "rsa1024") {
		why = append(why, "1024-bit RSA key transport")
	} else if slices.Contains(tok, "group1") {
		why = append(why, "1024-bit group")
	}
	if slices.Contains(tok, "sha1") {
		why = append(why, "SHA-1")
	}
	return strings.Join(why, ", ")
}

// sshWeakCipher says why a cipher is weak, or "" if it is not.
func sshWeakCipher(name string) string {
	b := sshBase(name)
	var why []string
	if strings.HasSuffix(b, "-cbc") {
		why = append(why, "CBC mode")
	}
	switch {
	case b == "none":
		why = append(why, "no encryption")
	case strings.HasPrefix(b, "3des"):
		why = append(why, "3DES, 64-bit block")
	case strings.HasPrefix(b, "des"):
		why = append(why, "single DES")
	case strings.HasPrefix(b, "arcfour"):
		why = append(why, "RC4")
	case strings.HasPrefix(b, "blowfish"):
		why = append(why, "Blowfish, 64-bit block")
	case strings.HasPrefix(b, "cast128"):
		why = append(why, "CAST-128, 64-bit block")
	case strings.HasPrefix(b, "idea"):
		why = append(why, "IDEA, 64-bit block")
	}
	return strings.Join(why, ", ")
}

// sshWeakMAC says why a MAC is weak, or "" if it is not.
func sshWeakMAC(name string) string {
	b := strings.TrimSuffix(sshBase(name), "-etm")
	tok := strings.Split(b, "-")
	var why []string
	switch {
	case b == "none":
		return "no integrity protection"
	case strings.Contains(b, "md5"):
		why = append(why, "MD5")
	case slices.Contains(tok, "sha1"):
		why = append(why, "SHA-1")
	}
	switch {
	case strings.HasSuffix(b, "-96"):
		why = append(why, "96-bit tag")
	case strings.HasPrefix(b, "umac-64"):
		why = append(why, "64-bit tag")
	}
	return strings.Join(why, ", ")
}

// sshUnion merges name-lists, keeping first-seen order.
func sshUnion(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, n := range l {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// sshSplit separates weak names (with their reasons) from the others.
func sshSplit(names []string, weak func(string) string) (bad, why, good []string) {
	for _, n := range names {
		if w := weak(n); w != "" {
			bad = append(bad, n)
			why = append(why, fmt.Sprintf("%s (%s)", n, w))
		} else {
			good = append(good, n)
		}
	}
	return bad, why, good
}

// --- the checks ---------------------------------------------------------------

func sshProtocolV1(s *facts.SSH, t sshTarget) (Hit, bool) {
	v := s.ProtocolVersion
	if !strings.HasPrefix(v, "1.") {
		return Hit{}, false
	}
	what := "SSH-1 only"
	if v == "1.99" {
		what = "SSH-1 and SSH-2"
	}
	ev := fmt.Sprintf("identification string announces protocol %s (%s)", v, what)
	if s.Software != "" {
		ev += fmt.Sprintf(", software %q", s.Software)
	}
	return Hit{Check: "ssh.protocol.v1", Evidence: ev, Fix: sshFix("ssh.protocol.v1", t, sshFixArgs{})}, true
}

func sshKex(s *facts.SSH, t sshTarget) (Hit, bool) {
	bad, why, good := sshSplit(s.KexAlgorithms, sshWeakKex)
	if len(bad) == 0 {
		return Hit{}, false
	}
	good = slices.DeleteFunc(good, sshPseudoKex)
	return Hit{Check: "ssh.kex.weak", Evidence: "offers " + strings.Join(why, ", "),
		Fix: sshFix("ssh.kex.weak", t, sshFixArgs{weak: bad, keep: good})}, true
}

func sshCiphers(s *facts.SSH, t sshTarget) (Hit, bool) {
	bad, why, good := sshSplit(sshUnion(s.CiphersClientToServer, s.CiphersServerToClient), sshWeakCipher)
	if len(bad) == 0 {
		return Hit{}, false
	}
	return Hit{Check: "ssh.cipher.weak", Evidence: "offers " + strings.Join(why, ", "),
		Fix: sshFix("ssh.cipher.weak", t, sshFixArgs{weak: bad, keep: good})}, true
}

func sshMACs(s *facts.SSH, t sshTarget) (Hit, bool) {
	bad, why, good := sshSplit(sshUnion(s.MACsClientToServer, s.MACsServerToClient), sshWeakMAC)
	if len(bad) == 0 {
		return Hit{}, false
	}
	return Hit{Check: "ssh.mac.weak", Evidence: "offers " + strings.Join(why, ", "),
		Fix: sshFix("ssh.mac.weak", t, sshFixArgs{weak: bad, keep: good})}, true
}

func sshPassword(s *facts.SSH, t sshTarget) (Hit, bool) {
	var offered []string
	for _, m := range []string{"password", "keyboard-interactive"} {
		if slices.Contains(s.AuthMethods, m) {
			offered = append(offered, m)
		}
	}
	if len(offered) == 0 {
		return Hit{}, false
	}
	ev := fmt.Sprintf("in answer to a \"none\" authentication request the server offers %s (all methods: %s)",
		strings.Join(offered, " and "), strings.Join(s.AuthMethods, ", "))
	if slices.Contains(offered, "keyboard-interactive") {
		ev += "; keyboard-interactive usually asks for the password, unless PAM is set up for one-time codes only"
	}
	return Hit{Check: "ssh.auth.password", Evidence: ev, Fix: sshFix("ssh.auth.password", t, sshFixArgs{weak: offered})}, true
}

// sshStrictKex is the pseudo-algorithm a server with strict key exchange
// (the Terrapin countermeasure) adds to its kex_algorithms.
const sshStrictKex = "kex-strict-s-v00@openssh.com"

// sshChaCha is the cipher Terrapin breaks outright.
const sshChaCha = "chacha20-poly1305@openssh.com"

func sshTerrapin(s *facts.SSH, t sshTarget) (Hit, bool) {
	if len(s.KexAlgorithms) == 0 || slices.Contains(s.KexAlgorithms, sshStrictKex) {
		return Hit{}, false
	}
	ciphers := sshUnion(s.CiphersClientToServer, s.CiphersServerToClient)
	macs := sshUnion(s.MACsClientToServer, s.MACsServerToClient)
	var cbc, etm []string
	for _, c := range ciphers {
		if strings.HasSuffix(sshBase(c), "-cbc") {
			cbc = append(cbc, c)
		}
	}
	for _, m := range macs {
		if strings.HasSuffix(sshBase(m), "-etm") {
			etm = append(etm, m)
		}
	}
	chacha := slices.Contains(ciphers, sshChaCha)
	cbcEtM := len(cbc) > 0 && len(etm) > 0
	if !chacha && !cbcEtM {
		return Hit{}, false
	}
	var parts []string
	if chacha {
		parts = append(parts, "offers "+sshChaCha)
	}
	if cbcEtM {
		parts = append(parts, fmt.Sprintf("offers CBC ciphers (%s) with encrypt-then-MAC MACs (%s)", strings.Join(cbc, ", "), strings.Join(etm, ", ")))
	}
	ev := strings.Join(parts, " and ") + " without strict key exchange (" + sshStrictKex + " absent from its KEXINIT)"
	var drop []string
	if chacha {
		drop = append(drop, sshChaCha)
	}
	drop = append(drop, cbc...)
	var keep []string
	for _, c := range ciphers {
		if !slices.Contains(drop, c) && sshWeakCipher(c) == "" {
			keep = append(keep, c)
		}
	}
	return Hit{Check: "ssh.terrapin", Evidence: ev, Fix: sshFix("ssh.terrapin", t, sshFixArgs{weak: drop, keep: keep})}, true
}

// sshHostKeys reports DSA host keys and weak RSA host keys, one hit per key
// type (the subject), so replacing one key closes its own finding.
func sshHostKeys(s *facts.SSH, t sshTarget) []Hit {
	var hits []Hit
	keysOf := func(types ...string) []facts.SSHHostKey {
		var out []facts.SSHHostKey
		for _, k := range s.HostKeys {
			if slices.Contains(types, k.Type) && !slices.ContainsFunc(out, func(o facts.SSHHostKey) bool { return o.Fingerprint == k.Fingerprint }) {
				out = append(out, k)
			}
		}
		return out
	}
	describe := func(ks []facts.SSHHostKey) string {
		var d []string
		for _, k := range ks {
			d = append(d, fmt.Sprintf("%d-bit key %s", k.Bits, k.Fingerprint))
		}
		return strings.Join(d, ", ")
	}

	hasEd25519 := slices.Contains(s.HostKeyAlgorithms, "ssh-ed25519") ||
		slices.ContainsFunc(s.HostKeys, func(k facts.SSHHostKey) bool { return k.Type == "ssh-ed25519" })

	// DSA.
	dsaAlgs := sshOffered(s.HostKeyAlgorithms, "ssh-dss", "ssh-dss-cert-v01@openssh.com")
	dsaKeys := keysOf("ssh-dss", "ssh-dss-cert-v01@openssh.com")
	if len(dsaAlgs) > 0 || len(dsaKeys) > 0 {
		ev := "offers DSA host keys"
		if len(dsaAlgs) > 0 {
			ev += " (" + strings.Join(dsaAlgs, ", ") + ")"
		}
		if len(dsaKeys) > 0 {
			ev += ": " + describe(dsaKeys)
		}
		ev += "; DSA signatures are limited to 1024-bit keys and SHA-1"
		hits = append(hits, Hit{Check: "ssh.hostkey.weak", Subject: "ssh-dss", Evidence: ev,
			Fix: sshFix("ssh.hostkey.weak/dsa", t, sshFixArgs{weak: dsaAlgs, hasEd25519: hasEd25519})})
	}

	// RSA.
	rsaKeys := keysOf("ssh-rsa", "ssh-rsa-cert-v01@openssh.com")
	var small []facts.SSHHostKey
	for _, k := range rsaKeys {
		if k.Bits > 0 && k.Bits < 2048 {
			small = append(small, k)
		}
	}
	rsaAlgs := sshOffered(s.HostKeyAlgorithms, "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512")
	sha1Only := slices.Contains(rsaAlgs, "ssh-rsa") && len(rsaAlgs) == 1
	certAlgs := sshOffered(s.HostKeyAlgorithms, "ssh-rsa-cert-v01@openssh.com", "rsa-sha2-256-cert-v01@openssh.com", "rsa-sha2-512-cert-v01@openssh.com")
	certSHA1Only := len(certAlgs) == 1 && certAlgs[0] == "ssh-rsa-cert-v01@openssh.com"
	if len(small) > 0 || sha1Only || certSHA1Only {
		var parts []string
		if len(small) > 0 {
			parts = append(parts, "RSA host key under 2048 bits: "+describe(small))
		}
		if sha1Only || certSHA1Only {
			var only []string
			if sha1Only {
				only = append(only, "ssh-rsa")
			}
			if certSHA1Only {
				only = append(only, "ssh-rsa-cert-v01@openssh.com")
			}
			parts = append(parts, "RSA host key signatures offered only with SHA-1 ("+strings.Join(only, ", ")+", no rsa-sha2-256/512)")
		}
		if len(rsaAlgs) > 0 && !sha1Only {
			parts = append(parts, "offered as "+strings.Join(rsaAlgs, ", "))
		}
		// The host-key algorithms to keep: what is offered, less SHA-1 RSA
		// and DSA, plus the SHA-2 RSA signatures.
		var keep []string
		for _, a := range s.HostKeyAlgorithms {
			if !strings.HasPrefix(a, "ssh-rsa") && !strings.HasPrefix(a, "ssh-dss") {
				keep = append(keep, a)
			}
		}
		keep = sshUnion(keep, []string{"rsa-sha2-512", "rsa-sha2-256"})
		hits = append(hits, Hit{Check: "ssh.hostkey.weak", Subject: "ssh-rsa", Evidence: strings.Join(parts, "; "),
			Fix: sshFix("ssh.hostkey.weak/rsa", t, sshFixArgs{keep: keep, small: len(small) > 0, sha1Only: sha1Only || certSHA1Only, hasEd25519: hasEd25519})})
	}
	return hits
}

// sshOffered returns the names of want that list holds, in list's order.
func sshOffered(list []string, want ...string) []string {
	var out []string
	for _, n := range list {
		if slices.Contains(want, n) && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// --- fixes --------------------------------------------------------------------

// sshFixArgs is what a fix needs to know about one hit.
type sshFixArgs struct {
	weak []string // the offending names
	keep []string // what the server offers that is fine, in its order
	// Host keys.
	small, sha1Only, hasEd25519 bool
}

// sshFixes maps a product to the fix of each check ("ssh.hostkey.weak" is
// split into /dsa and /rsa). Products without an entry, or checks missing
// from a product's entry, use the generic fixes under "".
var sshFixes = map[string]map[string]func(sshTarget, sshFixArgs) string{
	sshOpenSSH: {
		"ssh.protocol.v1": func(t sshTarget, _ sshFixArgs) string {
			return "Upgrade OpenSSH: 7.4 and later have no SSH-1 support at all. Until then set \"Protocol 2\" in /etc/ssh/sshd_config and restart sshd: " + sshReload(t, "restart") + "."
		},
		"ssh.kex.weak": func(t sshTarget, a sshFixArgs) string {
			return sshOpenSSHList(t, "KexAlgorithms", "key exchange method", a,
				"upgrade OpenSSH: curve25519-sha256@libssh.org needs 6.5 or later, curve25519-sha256 7.4, diffie-hellman-group16-sha512 and group14-sha256 7.3, sntrup761x25519-sha512@openssh.com 8.5, mlkem768x25519-sha256 9.9")
		},
		"ssh.cipher.weak": func(t sshTarget, a sshFixArgs) string {
			return sshOpenSSHList(t, "Ciphers", "cipher", a,
				"upgrade OpenSSH: aes128/192/256-ctr need 3.7 or later, aes128/256-gcm@openssh.com 6.2, chacha20-poly1305@openssh.com 6.5")
		},
		"ssh.mac.weak": func(t sshTarget, a sshFixArgs) string {
			return sshOpenSSHList(t, "MACs", "MAC", a,
				"upgrade OpenSSH: hmac-sha2-256-etm@openssh.com, hmac-sha2-512-etm@openssh.com and umac-128-etm@openssh.com need 6.2 or later")
		},
		"ssh.hostkey.weak/dsa": func(t sshTarget, a sshFixArgs) string {
			s := "Stop offering DSA: delete the \"HostKey\" line naming the DSA key (by default /etc/ssh/ssh_host_dsa_key) and any HostKeyAlgorithms line that adds ssh-dss, in /etc/ssh/sshd_config and /etc/ssh/sshd_config.d/ (OpenSSH 7.0 and later offer ssh-dss only when told to)."
			if !a.hasEd25519 {
				s += " Give the server an Ed25519 key instead: " + sshOpenSSHEd25519 + "."
			}
			return s + " Then " + sshReload(t, "reload") + "."
		},
		"ssh.hostkey.weak/rsa": func(t sshTarget, a sshFixArgs) string {
			var parts []string
			if a.small {
				parts = append(parts, "Replace the RSA host key (the file its \"HostKey\" line names, by default /etc/ssh/ssh_host_rsa_key) with a 3072-bit one: mv /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_rsa_key.old && mv /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_rsa_key.pub.old && ssh-keygen -t rsa -b 3072 -N '' -f /etc/ssh/ssh_host_rsa_key")
				if !a.hasEd25519 {
					parts = append(parts, "also add an Ed25519 key: "+sshOpenSSHEd25519)
				}
				parts = append(parts, "clients will warn that the host key changed: tell users the new fingerprints (ssh-keygen -lf /etc/ssh/ssh_host_rsa_key.pub)")
			}
			if a.sha1Only {
				if t.known() && !t.atLeast(7, 2) {
					parts = append(parts, "this OpenSSH signs with RSA only through SHA-1 (ssh-rsa): upgrade to 7.2 or later, which adds rsa-sha2-256 and rsa-sha2-512")
				} else {
					parts = append(parts, sshOpenSSHPut(t, "HostKeyAlgorithms "+strings.Join(a.keep, ",")))
				}
			}
			return sshSentence(strings.Join(parts, "; ")) + " Then " + sshReload(t, "reload") + "."
		},
		"ssh.auth.password": func(t sshTarget, a sshFixArgs) string {
			var lines []string
			if slices.Contains(a.weak, "password") {
				lines = append(lines, "PasswordAuthentication no")
			}
			note := ""
			if slices.Contains(a.weak, "keyboard-interactive") {
				switch {
				case t.atLeast(8, 7):
					lines = append(lines, "KbdInteractiveAuthentication no")
				case t.known():
					lines = append(lines, "KbdInteractiveAuthentication no", "ChallengeResponseAuthentication no")
				default:
					lines = append(lines, "KbdInteractiveAuthentication no")
					note = " (before OpenSSH 8.7 also \"ChallengeResponseAuthentication no\")"
				}
			}
			return "First make sure every account that needs access logs in with a key (keep a root session open while you test). Then " +
				sshOpenSSHPut(t, lines...) + note + ", then " + sshReload(t, "reload") +
				", and confirm with: sshd -T | grep -Ei '^(passwordauthentication|kbdinteractiveauthentication) '."
		},
		"ssh.terrapin": func(t sshTarget, a sshFixArgs) string {
			s := "Upgrade OpenSSH to 9.6 or later, or to a distribution build with the strict key exchange backport (Debian 12: 1:9.2p1-2+deb12u2 or later, apt-get update && apt-get install openssh-server); once the server offers kex-strict-s-v00@openssh.com, Terrapin no longer applies."
			if len(a.keep) > 0 {
				s += fmt.Sprintf(" Until then %s, which drops %s, and %s.", sshOpenSSHPut(t, "Ciphers "+strings.Join(a.keep, ",")), strings.Join(a.weak, ", "), sshReload(t, "reload"))
			}
			return s
		},
	},
	sshDropbear: {
		"ssh.kex.weak": func(_ sshTarget, a sshFixArgs) string {
			return sshDropbearBuild(a.weak, map[string]string{
				"diffie-hellman-group1-sha1":  "DROPBEAR_DH_GROUP1",
				"diffie-hellman-group14-sha1": "DROPBEAR_DH_GROUP14_SHA1",
			})
		},
		"ssh.cipher.weak": func(_ sshTarget, a sshFixArgs) string {
			m := map[string]string{}
			for _, c := range a.weak {
				if strings.HasSuffix(sshBase(c), "-cbc") {
					m[c] = "DROPBEAR_ENABLE_CBC_MODE"
				}
				if strings.HasPrefix(c, "3des") {
					m[c] = "DROPBEAR_3DES"
				}
			}
			return sshDropbearBuild(a.weak, m)
		},
		"ssh.mac.weak": func(_ sshTarget, a sshFixArgs) string {
			m := map[string]string{}
			for _, n := range a.weak {
				switch b := strings.TrimSuffix(sshBase(n), "-etm"); {
				case strings.HasPrefix(b, "hmac-md5"):
					m[n] = "DROPBEAR_MD5_HMAC"
				case b == "hmac-sha1-96":
					m[n] = "DROPBEAR_SHA1_96_HMAC"
				case b == "hmac-sha1":
					m[n] = "DROPBEAR_SHA1_HMAC"
				}
			}
			return sshDropbearBuild(a.weak, m)
		},
		"ssh.hostkey.weak/dsa": func(_ sshTarget, a sshFixArgs) string {
			s := "Delete the DSS host key (/etc/dropbear/dropbear_dss_host_key, or the file a -r option names) and drop that -r option: dropbear offers only the host keys it has. Then restart dropbear."
			if !a.hasEd25519 {
				s += " Create an Ed25519 key for it first: dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key."
			}
			return s
		},
		"ssh.hostkey.weak/rsa": func(_ sshTarget, a sshFixArgs) string {
			var parts []string
			if a.small {
				parts = append(parts, "Move the RSA host key away (mv /etc/dropbear/dropbear_rsa_host_key /etc/dropbear/dropbear_rsa_host_key.old) and create a 3072-bit one: dropbearkey -t rsa -s 3072 -f /etc/dropbear/dropbear_rsa_host_key")
				if !a.hasEd25519 {
					parts = append(parts, "add an Ed25519 key too: dropbearkey -t ed25519 -f /etc/dropbear/dropbear_ed25519_host_key")
				}
				parts = append(parts, "restart dropbear and tell users the new fingerprints (dropbearkey -y -f /etc/dropbear/dropbear_rsa_host_key)")
			}
			if a.sha1Only {
				parts = append(parts, "this dropbear signs with RSA only through SHA-1 (ssh-rsa): upgrade it to a release that offers rsa-sha2-256")
			}
			return sshSentence(strings.Join(parts, "; "))
		},
		"ssh.auth.password": func(sshTarget, sshFixArgs) string {
			return "First make sure every account that needs access logs in with a key. Then start dropbear with -s (no password logins; on Debian add it to DROPBEAR_EXTRA_ARGS in /etc/default/dropbear) and restart it."
		},
		"ssh.terrapin": func(sshTarget, sshFixArgs) string {
			return "Upgrade dropbear to 2024.84 or later, which implements strict key exchange (kex-strict-s-v00@openssh.com)."
		},
	},
	"": {
		"ssh.protocol.v1": func(sshTarget, sshFixArgs) string {
			return "Configure the SSH server to speak only protocol 2, or replace it with one that has no SSH-1 support (OpenSSH 7.4 and later have none)."
		},
		"ssh.kex.weak": func(_ sshTarget, a sshFixArgs) string {
			return sshGenericList("key exchange methods", a, "curve25519-sha256, ecdh-sha2-nistp256/384/521 and diffie-hellman-group14-sha256/group16-sha512")
		},
		"ssh.cipher.weak": func(_ sshTarget, a sshFixArgs) string {
			return sshGenericList("ciphers", a, "chacha20-poly1305@openssh.com, aes256-gcm@openssh.com, aes128-gcm@openssh.com and aes256/192/128-ctr")
		},
		"ssh.mac.weak": func(_ sshTarget, a sshFixArgs) string {
			return sshGenericList("MACs", a, "hmac-sha2-256-etm@openssh.com, hmac-sha2-512-etm@openssh.com and umac-128-etm@openssh.com")
		},
		"ssh.hostkey.weak/dsa": func(sshTarget, sshFixArgs) string {
			return "Remove the DSA (ssh-dss) host key from the SSH server's configuration and use an Ed25519 host key (and RSA of 3072 bits or more if old clients need RSA)."
		},
		"ssh.hostkey.weak/rsa": func(_ sshTarget, a sshFixArgs) string {
			var parts []string
			if a.small {
				parts = append(parts, "Replace the RSA host key with one of 3072 bits or more, and add an Ed25519 host key")
			}
			if a.sha1Only {
				parts = append(parts, "offer RSA signatures with SHA-2 (rsa-sha2-256, rsa-sha2-512); if the server cannot, upgrade it")
			}
			return sshSentence(strings.Join(parts, "; "))
		},
		"ssh.auth.password": func(_ sshTarget, a sshFixArgs) string {
			return "Make sure every account logs in with a key, then disable " + strings.Join(a.weak, " and ") + " authentication in the SSH server's configuration and reload it."
		},
		"ssh.terrapin": func(_ sshTarget, a sshFixArgs) string {
			return "Upgrade the SSH server to a release with strict key exchange (kex-strict-s-v00@openssh.com; OpenSSH 9.6 or later), or stop offering " + strings.Join(a.weak, ", ") + "."
		},
	},
}

// sshSentence capitalises s and ends it with a full stop.
func sshSentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

// sshFix returns the fix for check key on target t.
func sshFix(key string, t sshTarget, a sshFixArgs) string {
	if f, ok := sshFixes[t.product][key]; ok {
		return f(t, a)
	}
	if f, ok := sshFixes[""][key]; ok {
		return f(t, a)
	}
	return ""
}

// sshOpenSSHEd25519 creates an Ed25519 host key and tells sshd to use it.
const sshOpenSSHEd25519 = "ssh-keygen -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key and the line \"HostKey /etc/ssh/ssh_host_ed25519_key\""

// sshOpenSSHPut says to put sshd_config lines where they take effect: sshd
// keeps the first value it reads for each keyword, and Debian's and Ubuntu's
// sshd_config (OpenSSH 8.2 and later) starts by including
// /etc/ssh/sshd_config.d/*.conf, so a drop-in that sorts first wins.
func sshOpenSSHPut(t sshTarget, lines ...string) string {
	const dropIn = "/etc/ssh/sshd_config.d/00-vigil.conf"
	what := "the line \"" + lines[0] + "\""
	if len(lines) > 1 {
		what = "the lines \"" + strings.Join(lines, "\" and \"") + "\""
	}
	switch {
	case t.atLeast(8, 2):
		return "put " + what + " in " + dropIn + " (sshd keeps the first value it reads, and /etc/ssh/sshd_config reads that directory first when it starts with \"Include /etc/ssh/sshd_config.d/*.conf\", as on Debian and Ubuntu; without that Include line, put it at the top of /etc/ssh/sshd_config)"
	case t.known():
		return "put " + what + " at the top of /etc/ssh/sshd_config (sshd keeps the first value it reads for each keyword; this OpenSSH predates the Include keyword of 8.2)"
	}
	return "put " + what + " in " + dropIn + " (on OpenSSH 8.2 and later whose /etc/ssh/sshd_config starts with \"Include /etc/ssh/sshd_config.d/*.conf\", as on Debian and Ubuntu) or else at the top of /etc/ssh/sshd_config (sshd keeps the first value it reads for each keyword)"
}

// sshReload is the command that checks sshd's configuration and applies it.
func sshReload(_ sshTarget, verb string) string {
	return "check and apply it: sshd -t && systemctl " + verb + " ssh (the service is named sshd on RHEL, Fedora, SUSE and Arch)"
}

// sshOpenSSHList is the OpenSSH fix for a weak algorithm list: one
// sshd_config line listing what the server offers minus the weak names.
func sshOpenSSHList(t sshTarget, keyword, noun string, a sshFixArgs, none string) string {
	if len(a.keep) == 0 {
		return fmt.Sprintf("This server offers no %s that is not weak (it offers %s): %s.", noun, strings.Join(a.weak, ", "), none)
	}
	return fmt.Sprintf("Stop offering %s: %s, delete any line that re-enabled them (such as \"%s +%s\"), then %s, and confirm with: sshd -T | grep -i '^%s '.",
		strings.Join(a.weak, ", "), sshOpenSSHPut(t, keyword+" "+strings.Join(a.keep, ",")),
		keyword, a.weak[0], sshReload(t, "reload"), strings.ToLower(keyword))
}

// sshDropbearBuild is the Dropbear fix for weak algorithms: they are chosen
// when dropbear is built (localoptions.h), not at run time.
func sshDropbearBuild(weak []string, macro map[string]string) string {
	var defs []string
	for _, n := range weak {
		if m, ok := macro[n]; ok && !slices.Contains(defs, "#define "+m+" 0") {
			defs = append(defs, "#define "+m+" 0")
		}
	}
	s := "Dropbear chooses its algorithms when it is built, not in a configuration file: install a current dropbear package, or rebuild it"
	if len(defs) > 0 {
		s += " with \"" + strings.Join(defs, "\" and \"") + "\" in localoptions.h"
	} else {
		s += " without " + strings.Join(weak, ", ") + " (see default_options.h for the switches)"
	}
	return s + "; then restart dropbear and scan again to confirm " + strings.Join(weak, ", ") + " are gone."
}

// sshGenericList is the fix for weak algorithms on unknown software.
func sshGenericList(what string, a sshFixArgs, modern string) string {
	s := fmt.Sprintf("Disable %s in the SSH server's configuration", strings.Join(a.weak, ", "))
	if len(a.keep) > 0 {
		return s + fmt.Sprintf("; keep only the %s it offers that are sound: %s.", what, strings.Join(a.keep, ", "))
	}
	return s + fmt.Sprintf("; it offers no other %s, so upgrade it to a release that offers %s.", what, modern)
}
