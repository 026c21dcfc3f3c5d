package hostaudit

import (
	"bytes"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// os-release(5) is a list of shell-compatible variable assignments: a
// value may be unquoted or enclosed in double or single quotes; in double
// quotes a backslash escapes $, `, " and \ (and nothing else), in single
// quotes nothing is escaped, and outside quotes a backslash escapes any
// character. Lines that are empty or start with # are comments. vigil
// keeps the keys it reports and ignores the rest, and skips a line whose
// value is not well-formed (an unterminated quote) rather than guess.

// Caps of os-release parsing: the file is a few hundred bytes.
const (
	osReleaseMax      = 64 << 10 // bytes read
	osReleaseValueMax = 256      // runes kept of a value
	osReleaseIDLike   = 16       // ID_LIKE entries kept
)

// ParseOSRelease reads an os-release file. It returns nil when the file
// names none of ID, VERSION_ID, VERSION_CODENAME, PRETTY_NAME and ID_LIKE.
func ParseOSRelease(b []byte) *facts.OSRelease {
	if len(b) > osReleaseMax {
		b = b[:osReleaseMax]
	}
	var rel facts.OSRelease
	found := false
	for line := range bytes.Lines(b) {
		t := strings.TrimSpace(string(line))
		if t == "" || t[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(t, "=")
		if !ok || !validOSReleaseKey(key) {
			continue
		}
		val, ok := shellWord(raw)
		if !ok {
			continue
		}
		val = sanitize.String(val, osReleaseValueMax)
		switch key {
		case "ID":
			rel.ID = val
		case "VERSION_ID":
			rel.VersionID = val
		case "VERSION_CODENAME":
			rel.VersionCodename = val
		case "PRETTY_NAME":
			rel.PrettyName = val
		case "ID_LIKE":
			rel.IDLike = nil
			for _, id := range strings.Fields(val) {
				if len(rel.IDLike) < osReleaseIDLike {
					rel.IDLike = append(rel.IDLike, id)
				}
			}
		default:
			continue
		}
		found = true
	}
	if !found {
		return nil
	}
	return &rel
}

// validOSReleaseKey reports whether k is a variable name: a letter or
// underscore, then letters, digits and underscores.
func validOSReleaseKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return k != ""
}

// shellWord reads the value of an assignment as a POSIX shell would read
// one word: quoted and unquoted parts join, and the word ends at
// unquoted white space (what follows it, a comment, is ignored). It
// reports false for an unterminated quote or a trailing backslash.
func shellWord(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			return b.String(), true
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			i++
			b.WriteByte(s[i])
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			closed := false
			for i++; i < len(s); i++ {
				c = s[i]
				if c == '"' {
					closed = true
					break
				}
				if c == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0 {
					i++
					c = s[i]
				}
				b.WriteByte(c)
			}
			if !closed {
				return "", false
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
