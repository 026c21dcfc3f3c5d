package version

import "strings"

// CompareAPK orders two Alpine package versions as apk-tools does
// (`apk version -t a b`). The grammar is
//
//	digits {.digits} [letter] {_suffix[digits]} [~hash] [-rdigits]
//
// with a lower-case letter, suffixes alpha, beta, pre, rc (before the
// release: "1.0_rc1" < "1.0") and cvs, svn, git, hg, p (after it:
// "1.0" < "1.0_p1"), a lower-case hexadecimal commit hash, and a revision.
// Versions are compared token by token: numbers numerically, except that a
// dot-separated component with a leading zero on either side compares as a
// string ("1.02" < "1.1", "8.2.0" < "8.2.001"); letters, suffixes and hashes
// in their order. When one version runs out of tokens, or meets a token of
// another kind, the one holding a pre-release suffix is before, and
// otherwise the one with more version structure at that point is after:
// a further number is after a letter, a letter after a suffix, a suffix
// after a suffix number, then a hash, then a revision, then the end
// ("1.0" < "1.0-r0" < "1.0a" < "1.0.1").
//
// A version is read up to its first byte that breaks the grammar; that
// point sorts before the end of any valid version ("1.0!x" < "1.0"), and
// two versions broken after equal tokens are equal, as apk-tools has it.
// Unlike apk-tools, numbers of any length compare exactly rather than
// modulo 2^64.
func CompareAPK(a, b string) int {
	ta, tb := apkIter{s: a}, apkIter{s: b}
	ta.first()
	tb.first()
	for ta.tok == tb.tok && ta.tok < apkEnd {
		if c := ta.cmp(&tb); c != 0 {
			return c
		}
		ta.next()
		tb.next()
	}
	switch {
	case ta.tok == tb.tok:
		return 0
	case ta.tok == apkSuffix && ta.suffix < apkSuffixNone:
		return -1
	case tb.tok == apkSuffix && tb.suffix < apkSuffixNone:
		return 1
	case ta.tok > tb.tok:
		return -1
	}
	return 1
}

// Token kinds of an apk version, in the order in which they may follow one
// another; a later kind where two versions differ sorts before.
const (
	apkInitialDigit = iota
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkCommitHash
	apkRevisionNo
	apkEnd
	apkInvalid
)

// Suffix values in their order; those below apkSuffixNone are pre-releases.
const (
	apkSuffixInvalid = iota
	apkSuffixAlpha
	apkSuffixBeta
	apkSuffixPre
	apkSuffixRC
	apkSuffixNone
	apkSuffixCVS
	apkSuffixSVN
	apkSuffixGit
	apkSuffixHg
	apkSuffixP
)

// apkSuffixValue returns the value of a suffix word, apkSuffixInvalid when
// apk-tools does not know it.
func apkSuffixValue(w string) int {
	switch w {
	case "alpha":
		return apkSuffixAlpha
	case "beta":
		return apkSuffixBeta
	case "pre":
		return apkSuffixPre
	case "rc":
		return apkSuffixRC
	case "cvs":
		return apkSuffixCVS
	case "svn":
		return apkSuffixSVN
	case "git":
		return apkSuffixGit
	case "hg":
		return apkSuffixHg
	case "p":
		return apkSuffixP
	}
	return apkSuffixInvalid
}

// apkIter walks the tokens of one version. tok is the kind of the current
// token, val its text (digits, letter, suffix word or hash) and suffix its
// suffix value.
type apkIter struct {
	s      string
	i      int
	tok    int
	suffix int
	val    string
}

func (t *apkIter) first() {
	t.tok = apkInitialDigit
	t.digits()
}

// digits reads a run of digits as the current token's value; an empty run
// breaks the grammar.
func (t *apkIter) digits() {
	start := t.i
	for t.i < len(t.s) && isDigit(t.s[t.i]) {
		t.i++
	}
	t.val = t.s[start:t.i]
	if t.val == "" {
		t.tok = apkInvalid
	}
}

// next reads the token after the current one, checking that its kind may
// follow the current kind.
func (t *apkIter) next() {
	if t.i >= len(t.s) {
		t.tok = apkEnd
		return
	}
	c := t.s[t.i]
	switch {
	case 'a' <= c && c <= 'z':
		if t.tok > apkDigit {
			break
		}
		t.val, t.tok = t.s[t.i:t.i+1], apkLetter
		t.i++
		return
	case c == '.' || isDigit(c):
		if c == '.' {
			if t.tok > apkDigit {
				break
			}
			t.i++
		}
		switch t.tok {
		case apkInitialDigit, apkDigit:
			t.tok = apkDigit
		case apkSuffix:
			t.tok = apkSuffixNo
		default:
			t.tok = apkInvalid
			return
		}
		t.digits()
		return
	case c == '_':
		if t.tok > apkSuffixNo {
			break
		}
		t.i++
		start := t.i
		for t.i < len(t.s) && 'a' <= t.s[t.i] && t.s[t.i] <= 'z' {
			t.i++
		}
		t.val = t.s[start:t.i]
		t.suffix = apkSuffixValue(t.val)
		if t.suffix == apkSuffixInvalid {
			break
		}
		t.tok = apkSuffix
		return
	case c == '~':
		if t.tok >= apkCommitHash {
			break
		}
		t.i++
		start := t.i
		for t.i < len(t.s) && (isDigit(t.s[t.i]) || 'a' <= t.s[t.i] && t.s[t.i] <= 'f') {
			t.i++
		}
		t.val = t.s[start:t.i]
		if t.val == "" {
			break
		}
		t.tok = apkCommitHash
		return
	case c == '-':
		if t.tok >= apkRevisionNo || !strings.HasPrefix(t.s[t.i:], "-r") {
			break
		}
		t.i += 2
		t.tok = apkRevisionNo
		t.digits()
		return
	}
	t.tok = apkInvalid
}

// cmp compares the current tokens of t and u, which are of the same kind.
func (t *apkIter) cmp(u *apkIter) int {
	switch t.tok {
	case apkDigit:
		if t.val[0] == '0' || u.val[0] == '0' {
			return cmpBytes(t.val, u.val)
		}
		return cmpDigits(t.val, u.val)
	case apkInitialDigit, apkSuffixNo, apkRevisionNo:
		return cmpDigits(t.val, u.val)
	case apkSuffix:
		return sign(t.suffix - u.suffix)
	}
	return cmpBytes(t.val, u.val) // letter, commit hash
}
