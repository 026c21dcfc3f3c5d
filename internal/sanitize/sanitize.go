// Package sanitize makes bytes that came from the network safe to keep and to
// print: control characters, terminal escape sequences and invalid UTF-8
// become visible \xNN escapes, and length is capped.
package sanitize

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BannerMax is the default cap, in runes, for a stored banner.
const BannerMax = 256

// Printable returns b as a single-line printable string of at most max runes
// (plus a trailing "…" when cut). Tabs, CR, LF and every other control or
// format character, and invalid UTF-8 bytes, are written as \xNN or \u{N} so
// they can neither move a terminal's cursor nor hide text. Backslashes are
// doubled so the escaping cannot be forged.
func Printable(b []byte, max int) string {
	var sb strings.Builder
	n := 0
	for len(b) > 0 {
		if max > 0 && n >= max {
			sb.WriteString("…")
			break
		}
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		case r == '\\':
			sb.WriteString(`\\`)
		case r < 0x80 && (r < 0x20 || r == 0x7f):
			fmt.Fprintf(&sb, `\x%02x`, r)
		case r >= 0x80 && !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(&sb, `\u{%x}`, r)
		default:
			sb.WriteRune(r)
		}
		b = b[size:]
		n++
	}
	return sb.String()
}

// String is Printable for a string.
func String(s string, max int) string { return Printable([]byte(s), max) }

// Line returns the first line of b (up to CR or LF) made printable.
func Line(b []byte, max int) string {
	if i := strings.IndexAny(string(b), "\r\n"); i >= 0 {
		b = b[:i]
	}
	return Printable(b, max)
}

// Terminal makes s safe to print on a terminal even if it was not made
// printable when it was stored: any C0 or C1 control character (ESC among
// them) or invalid UTF-8 turns the whole string into its Printable form. Use
// it on every network-derived string at output time.
func Terminal(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) {
		return s
	}
	return String(s, 0)
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)
}
