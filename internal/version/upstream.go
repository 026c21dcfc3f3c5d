package version

import "strings"

// CompareUpstream orders release numbers as products announce them in
// banners and as NVD ranges quote them: OpenSSH "9.2p1" < "9.3" < "9.3p1",
// ProFTPD "1.3.5rc4" < "1.3.5" < "1.3.5a" < "1.3.5b" < "1.3.6", BIND
// "9.18.0b1" < "9.18.0" < "9.18.0-P1", Exim "4.91" < "4.92.1".
//
// The grammar, case-insensitive, for any string:
//
//   - A version is a sequence of tokens: maximal runs of ASCII digits
//     (numbers) and maximal runs of ASCII letters (words). Every other
//     byte (. _ - + ~ space …) only separates tokens, so "9.3p1",
//     "9.3-p1" and "9.3 P1" are equal, and a string without letters or
//     digits equals "0".
//   - A "v" at the start, directly followed by a digit, is dropped:
//     "v1.2" == "1.2".
//   - Numbers compare numerically, at any length ("1.10" > "1.9").
//     Missing numbers count as zero, so zeros at the end of a run of
//     numbers do not matter: "1.2" == "1.2.0", "1.0rc1" == "1.0.0rc1", but
//     "1.2" < "1.2.1".
//   - A word is a pre-release, which sorts before the end of the version,
//     when it is dev, alpha, beta, pre, preview or rc, or when it is the
//     single letter a (alpha) or b (beta) written between two digits, as
//     BIND and Python write "9.18.0b1" and "3.12.0a1". They rank dev <
//     alpha < beta < pre = preview < rc: "1.0dev" < "1.0a1" < "1.0beta2" <
//     "1.0rc1" < "1.0".
//   - Any other word (p, a, b, c, patch levels, product tags) sorts after
//     the end of the version and before any further number: "1.3.5" <
//     "1.3.5a" < "1.3.5b" < "1.3.5.1" < "1.3.6". Such words compare
//     alphabetically ("a" < "b" < "p").
//
// So at one position: pre-release word < end < other word < number, and
// the first position that differs decides.
func CompareUpstream(a, b string) int {
	ia, ib := newUpIter(a), newUpIter(b)
	for {
		ta, tb := ia.next(), ib.next()
		if c := ta.cmp(tb); c != 0 {
			return c
		}
		if ta.kind == upEnd {
			return 0
		}
	}
}

// Kinds of Upstream tokens, in their order at one position.
const (
	upPre  = iota // a pre-release word
	upEnd         // the end of the version
	upWord        // any other word
	upNum         // a number
)

// Ranks of pre-release words.
const (
	upDev = iota
	upAlpha
	upBeta
	upPreview
	upRC
)

// upTok is one token: its kind, the rank of a pre-release word, and the
// text of another word or the digits of a number without leading zeros.
type upTok struct {
	kind int
	rank int
	text string
}

func (t upTok) cmp(u upTok) int {
	if t.kind != u.kind {
		return sign(t.kind - u.kind)
	}
	switch t.kind {
	case upPre:
		return sign(t.rank - u.rank)
	case upWord:
		return cmpFold(t.text, u.text)
	case upNum:
		return cmpDigits(t.text, u.text)
	}
	return 0
}

// upIter yields the tokens of one version. zeros counts the zero numbers
// still to yield before the non-zero number at i.
type upIter struct {
	s     string
	i     int
	zeros int
}

func newUpIter(s string) upIter {
	i := 0
	for i < len(s) && !isAlnum(s[i]) {
		i++
	}
	if i+1 < len(s) && s[i]|0x20 == 'v' && isDigit(s[i+1]) {
		i++
	}
	return upIter{s: s, i: i}
}

func (it *upIter) next() upTok {
	if it.zeros > 0 {
		it.zeros--
		return upTok{kind: upNum}
	}
	s := it.s
	for {
		for it.i < len(s) && !isAlnum(s[it.i]) {
			it.i++
		}
		if it.i == len(s) {
			return upTok{kind: upEnd}
		}
		start := it.i
		if isDigit(s[start]) {
			it.i = digitsEnd(s, start)
			if d := trimZeros(s[start:it.i]); d != "" {
				return upTok{kind: upNum, text: d}
			}
			// A zero counts only when a non-zero number follows the
			// run of numbers it starts; otherwise the run's trailing
			// zeros are dropped.
			zeros := 1
			j := it.i
			for {
				for j < len(s) && !isAlnum(s[j]) {
					j++
				}
				if j == len(s) || !isDigit(s[j]) {
					break
				}
				k := digitsEnd(s, j)
				if trimZeros(s[j:k]) != "" {
					it.i, it.zeros = j, zeros-1
					return upTok{kind: upNum}
				}
				zeros++
				j = k
			}
			it.i = j
			continue
		}
		for it.i < len(s) && isAlpha(s[it.i]) {
			it.i++
		}
		w := s[start:it.i]
		if r, ok := preRelease(w); ok {
			return upTok{kind: upPre, rank: r}
		}
		if len(w) == 1 && start > 0 && isDigit(s[start-1]) && it.i < len(s) && isDigit(s[it.i]) {
			switch w[0] | 0x20 {
			case 'a':
				return upTok{kind: upPre, rank: upAlpha}
			case 'b':
				return upTok{kind: upPre, rank: upBeta}
			}
		}
		return upTok{kind: upWord, text: w}
	}
}

// digitsEnd returns the index after the run of digits starting at s[i].
func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// preRelease returns the rank of a pre-release word.
func preRelease(w string) (int, bool) {
	switch {
	case strings.EqualFold(w, "dev"):
		return upDev, true
	case strings.EqualFold(w, "alpha"):
		return upAlpha, true
	case strings.EqualFold(w, "beta"):
		return upBeta, true
	case strings.EqualFold(w, "pre"), strings.EqualFold(w, "preview"):
		return upPreview, true
	case strings.EqualFold(w, "rc"):
		return upRC, true
	}
	return 0, false
}

// cmpFold compares two ASCII words ignoring case.
func cmpFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i]|0x20, b[i]|0x20
		if ca != cb {
			return sign(int(ca) - int(cb))
		}
	}
	return sign(len(a) - len(b))
}
