package version

import "strings"

// CompareDpkg orders two Debian package versions, [epoch:]upstream[-revision]
// (deb-version(7)), exactly as `dpkg --compare-versions` does for every
// version dpkg accepts, with or without a warning:
//
//   - blanks (space, tab) around the version are ignored, and the empty
//     version is before every other one;
//   - the epoch is the number before the first colon, 0 when there is none,
//     and is compared numerically first;
//   - the revision is what follows the last hyphen, empty when there is
//     none, and an empty revision equals "0" ("1.0" == "1.0-0");
//   - upstream versions, then revisions, are compared by alternating runs:
//     a run of non-digits character by character, where '~' sorts before
//     everything, even the end of the run, then the end, then letters, then
//     every other character (so "1.0~rc1" < "1.0" < "1.0a" < "1.0+b1"); then
//     a run of digits numerically (so "1.01" == "1.1", and "1a" == "1a0");
//     bytes outside ASCII, which dpkg warns about, sort between letters
//     and other characters, as dpkg on amd64 sorts them.
//
// Versions dpkg rejects are still ordered: an epoch that is not a number
// (optionally signed, as strtol reads it) is taken as part of the upstream
// version with epoch 0, an epoch too big for dpkg is compared as the number
// it spells, and blanks inside the version are ordinary characters.
func CompareDpkg(a, b string) int {
	a, b = strings.Trim(a, " \t"), strings.Trim(b, " \t")
	if a == "" || b == "" {
		// dpkg --compare-versions reads the empty string as "no
		// version", before every version.
		return sign(len(a) - len(b))
	}
	ea, ua, ra := splitDpkg(a)
	eb, ub, rb := splitDpkg(b)
	if c := cmpDigits(ea, eb); c != 0 {
		return c
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

// ValidDpkg reports whether v is a syntactically valid Debian version per
// deb-version(7): an optional epoch of decimal digits no greater than
// 2147483647 and a colon; an upstream version that starts with a digit and
// holds only letters, digits and . + ~ - : (a hyphen only when a revision
// follows, a colon only after an epoch); an optional hyphen and a non-empty
// revision of letters, digits and . + ~. These are the versions dpkg parses
// without an error or a warning, except that ValidDpkg also refuses blanks
// around the version and a sign before the epoch, which dpkg tolerates.
func ValidDpkg(v string) bool {
	if v == "" {
		return false
	}
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch := v[:i]
		if epoch == "" {
			return false
		}
		for j := 0; j < len(epoch); j++ {
			if !isDigit(epoch[j]) {
				return false
			}
		}
		if cmpDigits(epoch, "2147483647") > 0 {
			return false
		}
		v = v[i+1:]
	}
	up, rev, hasRev := v, "", false
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		up, rev, hasRev = v[:i], v[i+1:], true
	}
	if up == "" || !isDigit(up[0]) || hasRev && rev == "" {
		return false
	}
	for i := 0; i < len(up); i++ {
		if c := up[i]; !isAlnum(c) && strings.IndexByte(".+~-:", c) < 0 {
			return false
		}
	}
	for i := 0; i < len(rev); i++ {
		if c := rev[i]; !isAlnum(c) && strings.IndexByte(".+~", c) < 0 {
			return false
		}
	}
	return true
}

// splitDpkg cuts a version, without blanks around it, into its epoch
// (digits without leading zeros, empty for 0), upstream version and
// revision, the way dpkg's parseversion does, without allocating.
func splitDpkg(v string) (epoch, upstream, revision string) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		if e, ok := dpkgEpoch(v[:i]); ok {
			epoch, v = e, v[i+1:]
		}
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// dpkgEpoch reads an epoch as dpkg's strtol does: an optional sign and at
// least one digit, never negative. It returns the digits without leading
// zeros.
func dpkgEpoch(s string) (string, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return "", false
		}
	}
	d := trimZeros(s)
	if neg && d != "" {
		return "", false
	}
	return d, true
}

// dpkgOrder is the weight of the byte at s[i] in a non-digit run: the end
// of the run (a digit or the end of s) weighs 0, '~' less, letters their
// ASCII code, every other ASCII byte its code plus 256. A byte above 0x7f
// weighs its code, between letters and other bytes, as dpkg on amd64 and
// i386 weighs it (a negative char plus 256; where char is unsigned, as on
// arm64, dpkg weighs it like other bytes).
func dpkgOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case isDigit(c):
		return 0
	case isAlpha(c), c >= 0x80:
		return int(c)
	case c == '~':
		return -1
	default:
		return int(c) + 256
	}
}

// verrevcmp compares two upstream versions or two revisions by dpkg's
// algorithm: alternately a run of non-digits, weighed by dpkgOrder, and a
// run of digits, compared as a number.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isDigit(a[i]) || j < len(b) && !isDigit(b[j]) {
			ac, bc := dpkgOrder(a, i), dpkgOrder(b, j)
			if ac != bc {
				return sign(ac - bc)
			}
			// Equal weights here are the same non-digit byte on both
			// sides: neither i nor j is at its end.
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		first := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if first != 0 {
			return sign(first)
		}
	}
	return 0
}
