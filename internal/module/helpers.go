package module

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// NoMatch wraps ErrNoMatch with the protocol's name and a reason.
func NoMatch(proto, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNoMatch, proto, fmt.Sprintf(format, args...))
}

// IONoMatch explains a probe that got no usable answer, keeping the I/O
// error for detail.
func IONoMatch(proto string, err error) error {
	if err == nil {
		return NoMatch(proto, "no answer")
	}
	return fmt.Errorf("%w: %s: %w", ErrNoMatch, proto, err)
}

// Printable is sanitize.Printable capped at limit runes of output (escapes
// included, the "…" of a cut too), not only limit runes of input.
func Printable(b []byte, limit int) string {
	n := limit
	for {
		out := sanitize.Printable(b, n)
		over := utf8.RuneCountInString(out) - limit
		if over <= 0 || n <= 1 {
			return out
		}
		n = max(n-max(1, over/4), 1)
	}
}

// Clean makes a network string printable and caps it at limit runes.
func Clean(s string, limit int) string { return Printable([]byte(s), limit) }

// FirstLine is the printable first line of b, for a service's Banner.
func FirstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return Printable(b, sanitize.BannerMax)
}

// ProductNote is " (product version)" for evidence when identification
// named the product, else "".
func ProductNote(s *facts.Service) string {
	switch {
	case s.Product != "" && s.Version != "":
		return fmt.Sprintf(" (%s %s)", s.Product, s.Version)
	case s.Product != "":
		return fmt.Sprintf(" (%s)", s.Product)
	}
	return ""
}

// ListSome quotes the first n items and counts the rest: `"a", "b", and 3
// more`.
func ListSome(items []string, n int) string {
	var q []string
	for i, it := range items {
		if i == n {
			q = append(q, fmt.Sprintf("and %d more", len(items)-n))
			break
		}
		q = append(q, fmt.Sprintf("%q", it))
	}
	return strings.Join(q, ", ")
}
