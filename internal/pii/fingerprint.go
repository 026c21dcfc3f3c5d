package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalise returns the form of a value that Fingerprint hashes: Unicode
// NFKC, lower case, without white space, hyphens or dots between digits.
// So "GB82 WEST 1234 5698 7654 32" and "gb82west12345698765432", "123-45-6789"
// and "123456789", "+33 1 23 45 67 89" and "+33123456789", " Ana@Example.org"
// and "ana@example.org" are the same value. Dots between letters are kept
// ("jo.ann@x.org" and "joann@x.org" are different mailboxes).
func Normalise(value string) string {
	// Compatibility decomposition can turn a character into a space and a
	// combining mark ("˛"), so the steps repeat until nothing changes.
	s := value
	for range 4 {
		n := normaliseOnce(s)
		if n == s {
			break
		}
		s = n
	}
	return s
}

func normaliseOnce(value string) string {
	s := norm.NFKC.String(strings.ToLower(norm.NFKC.String(value)))
	var kept []rune
	for _, r := range s {
		if unicode.IsSpace(r) || r == '-' || r == '‐' || r == '–' {
			continue
		}
		kept = append(kept, r)
	}
	var b strings.Builder
	for i, r := range kept {
		if r == '.' && i > 0 && i+1 < len(kept) && unicode.IsDigit(kept[i-1]) && unicode.IsDigit(kept[i+1]) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Fingerprint returns a salted hash of a value for evidence, so that
// evidence never holds the value itself: the hex HMAC-SHA256, keyed with
// salt, of Normalise(value). Whoever holds the salt and a value can tell
// whether a fingerprint is that value's; without the salt a fingerprint
// reveals nothing practical, even of values from a small set (dates, SSNs).
// The salt should be at least 16 random bytes kept by the organisation.
func Fingerprint(salt []byte, value string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(Normalise(value)))
	return hex.EncodeToString(m.Sum(nil))
}
