package version

import "strings"

// CompareRPM orders two RPM versions, [epoch:]version[-release], as rpm's
// rpmverCmp does (what `rpm --eval '%{lua: print(rpm.vercmp(a, b))}'`
// prints):
//
//   - the epoch is the run of digits at the start when a colon follows it,
//     "0" when there is none; the release is what follows the last hyphen
//     after the epoch;
//   - epochs, then versions, then releases are compared with rpmvercmp; a
//     version with a release is after the same version without one;
//   - rpmvercmp splits a string into segments, each a run of digits or a
//     run of ASCII letters, and the marks '~' and '^'; any other byte only
//     separates segments ("1.0" == "1_0", "1.0." == "1.0");
//   - segment by segment: '~' sorts before anything, the end included
//     ("1.0~rc1" < "1.0"); '^' sorts after the end but before any other
//     segment ("1.0" < "1.0^git1" < "1.0.1"); a run of digits is after a
//     run of letters ("1.a" < "1.0"); digits compare as numbers ignoring
//     leading zeros, letters byte by byte, case-sensitively ("Z" < "a");
//     when all segments are equal the string with segments left is after.
//
// Every string has an order, including those rpm refuses (an empty one is
// an empty version). A NUL byte, which ends a C string, separates
// segments here.
func CompareRPM(a, b string) int {
	ea, va, ra, hasRa := splitRPM(a)
	eb, vb, rb, hasRb := splitRPM(b)
	if c := rpmvercmp(ea, eb); c != 0 {
		return c
	}
	if c := rpmvercmp(va, vb); c != 0 {
		return c
	}
	switch {
	case hasRa && hasRb:
		return rpmvercmp(ra, rb)
	case hasRa:
		return 1
	case hasRb:
		return -1
	}
	return 0
}

// splitRPM cuts an EVR string as rpm's parseEVR does.
func splitRPM(evr string) (epoch, version, release string, hasRelease bool) {
	epoch, version = "0", evr
	i := 0
	for i < len(evr) && isDigit(evr[i]) {
		i++
	}
	if i < len(evr) && evr[i] == ':' {
		if i > 0 {
			epoch = evr[:i]
		}
		version = evr[i+1:]
	}
	if j := strings.LastIndexByte(version, '-'); j >= 0 {
		return epoch, version[:j], version[j+1:], true
	}
	return epoch, version, "", false
}

// rpmSeparator reports whether c only separates segments in rpmvercmp.
func rpmSeparator(c byte) bool { return !isAlnum(c) && c != '~' && c != '^' }

// rpmvercmp compares two version or release strings segment by segment.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && rpmSeparator(a[i]) {
			i++
		}
		for j < len(b) && rpmSeparator(b[j]) {
			j++
		}
		endA, endB := i == len(a), j == len(b)
		tildeA, tildeB := !endA && a[i] == '~', !endB && b[j] == '~'
		if tildeA || tildeB {
			if !tildeA {
				return 1
			}
			if !tildeB {
				return -1
			}
			i++
			j++
			continue
		}
		caretA, caretB := !endA && a[i] == '^', !endB && b[j] == '^'
		if caretA || caretB {
			switch {
			case endA:
				return -1
			case endB:
				return 1
			case !caretA:
				return 1
			case !caretB:
				return -1
			}
			i++
			j++
			continue
		}
		if endA || endB {
			break
		}
		si, sj := i, j
		var c int
		if isDigit(a[i]) {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			if j == sj {
				return 1 // digits against letters
			}
			c = cmpDigits(a[si:i], b[sj:j])
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
			if j == sj {
				return -1 // letters against digits
			}
			c = cmpBytes(a[si:i], b[sj:j])
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i == len(a):
		return -1
	}
	return 1
}
