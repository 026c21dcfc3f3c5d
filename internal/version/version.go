// Package version orders software version strings, so that vigil can tell
// whether an installed or announced version comes before the version that
// fixed a vulnerability.
//
// Each Scheme is one grammar with its own ordering: Debian's dpkg, Red Hat's
// rpm, Alpine's apk-tools, and the release numbers products announce
// themselves (Upstream). Every comparison function returns -1, 0 or +1 and
// is a total preorder on arbitrary strings, valid or not: it is reflexive,
// antisymmetric (Compare(a, b) == -Compare(b, a)) and transitive, so it can
// sort and binary-search. Distinct strings may compare equal ("1.0" and
// "1.00" in dpkg; "1.2" and "1.2.0" in Upstream).
//
// For strings that the scheme's own tool accepts, the order is the tool's;
// for strings it rejects, the package still answers, with a documented,
// consistent order rather than an error, because a version from a banner or
// a database must never stop a scan.
//
// The functions do not allocate and keep no state.
package version

import "fmt"

// Scheme names a version grammar.
type Scheme string

// The version grammars Compare knows.
const (
	Dpkg     Scheme = "dpkg"     // Debian/Ubuntu: [epoch:]upstream[-revision], deb-version(7)
	RPM      Scheme = "rpm"      // Red Hat family: [epoch:]version[-release], rpmvercmp semantics incl. ~ and ^
	APK      Scheme = "apk"      // Alpine apk-tools: 1.2.3[_rc1|_p2…][-r0]
	Upstream Scheme = "upstream" // a product's own release numbers as announced in banners and NVD ranges
)

// Compare orders a and b under scheme s: -1 when a is before b, 0 when they
// are the same version, +1 when a is after b. It panics when s is not one of
// Dpkg, RPM, APK or Upstream: the scheme is chosen by code, never read from
// the data being compared, so an unknown one is a programming mistake.
func Compare(s Scheme, a, b string) int {
	switch s {
	case Dpkg:
		return CompareDpkg(a, b)
	case RPM:
		return CompareRPM(a, b)
	case APK:
		return CompareAPK(a, b)
	case Upstream:
		return CompareUpstream(a, b)
	}
	panic(fmt.Sprintf("version: unknown scheme %q", string(s)))
}

// sign maps an integer to -1, 0 or +1.
func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// isDigit, isAlpha and isAlnum are the ASCII classes every scheme's C
// implementation uses (no locale, no Unicode).
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// trimZeros drops the leading '0' bytes of a run of digits.
func trimZeros(d string) string {
	i := 0
	for i < len(d) && d[i] == '0' {
		i++
	}
	return d[i:]
}

// cmpDigits compares two runs of ASCII digits as unbounded non-negative
// integers: leading zeros do not count and no run is too long.
func cmpDigits(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return cmpBytes(a, b)
}

// cmpBytes compares two strings byte by byte, a shorter prefix first.
func cmpBytes(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
