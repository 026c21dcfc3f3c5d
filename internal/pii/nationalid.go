package pii

import "strings"

// compact removes the separators people write inside identifiers: spaces,
// hyphens, dots and slashes.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '/', '\t', '\u00a0':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// IsSSN reports whether s is a valid US Social Security number, written
// AAA-GG-SSSS, AAA GG SSSS or as nine bare digits. The SSA's rules
// (Social Security Administration, "Social Security Number Randomization",
// and POMS RM 10201.060): the area AAA is not 000, 666 or 900–999, the group
// GG is not 00 and the serial SSSS is not 0000. Two numbers the SSA voided
// after they were printed in advertisements (078-05-1120, 219-09-9999) are
// refused too. An SSN has no check digit, so nine bare digits that pass are
// weak evidence: ClassifyColumn counts them only under a column name that
// says SSN, and ScanText only in the dashed or spaced form.
func IsSSN(s string) bool {
	_, ok := ssn(s)
	return ok
}

// ssn validates s and says whether it was written with separators.
func ssn(s string) (separated bool, ok bool) {
	s = strings.TrimSpace(s)
	var d string
	switch len(s) {
	case 9:
		d = s
	case 11:
		if (s[3] != '-' || s[6] != '-') && (s[3] != ' ' || s[6] != ' ') {
			return false, false
		}
		d, separated = s[:3]+s[4:6]+s[7:], true
	default:
		return false, false
	}
	if !allDigits(d) {
		return false, false
	}
	area, group, serial := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false, false
	}
	if d == "078051120" || d == "219099999" {
		return false, false
	}
	return separated, true
}

// IsNIR reports whether s is a valid French social security number (NIR,
// "numéro de sécurité sociale"): 13 characters and a 2-digit key, spaces
// allowed. The 13 characters are sex (1, 2, or 3, 4, 7, 8 for provisional
// numbers), year (2 digits), month (01–12, or 20–42 and 50–99 when the month
// is unknown), department (01–99, or 2A/2B for Corsica), commune (3 digits)
// and order (3 digits, not 000). The key is 97 − (n mod 97) where n is the
// 13-digit number; for Corsica 2A is read as 19 and 2B as 18 (the same as
// replacing them by 20 and subtracting 1,000,000 or 2,000,000), as INSEE
// specifies.
func IsNIR(s string) bool {
	c := strings.ToUpper(compact(s))
	if len(c) != 15 {
		return false
	}
	switch c[0] {
	case '1', '2', '3', '4', '7', '8':
	default:
		return false
	}
	dept := c[5:7]
	num := c[:13]
	switch dept {
	case "2A":
		num = c[:5] + "19" + c[7:13]
	case "2B":
		num = c[:5] + "18" + c[7:13]
	}
	if !allDigits(num) || !allDigits(c[13:]) {
		return false
	}
	month := atoi(c[3:5])
	if month == 0 || (month > 12 && month < 20) || (month > 42 && month < 50) {
		return false
	}
	if dept == "00" || c[10:13] == "000" {
		return false
	}
	return atoi(c[13:]) == NIRKey(num)
}

// NIRKey returns the key of a 13-digit NIR (Corsican departments already
// replaced by 19 or 18): 97 − (n mod 97). It returns -1 when num is not 13
// digits.
func NIRKey(num string) int {
	if len(num) != 13 || !allDigits(num) {
		return -1
	}
	r := 0
	for i := 0; i < len(num); i++ {
		r = (r*10 + int(num[i]-'0')) % 97
	}
	return 97 - r
}

// IsNINO reports whether s is a valid UK National Insurance number: two
// prefix letters, six digits and a suffix A, B, C or D, spaces allowed
// ("AB 12 34 56 C"). HMRC's rules (National Insurance Manual NIM39110): the
// first letter is not D, F, I, Q, U or V; the second is not D, F, I, O, Q, U
// or V; the prefixes BG, GB, KN, NK, NT, TN and ZZ are not allocated. HMRC's
// own example "QQ 12 34 56 C" is therefore invalid, which is why it is used.
func IsNINO(s string) bool {
	c := strings.ToUpper(compact(s))
	if len(c) != 9 {
		return false
	}
	a, b := c[0], c[1]
	if a < 'A' || a > 'Z' || b < 'A' || b > 'Z' || !allDigits(c[2:8]) {
		return false
	}
	if strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return false
	}
	switch c[:2] {
	case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
		return false
	}
	return c[8] >= 'A' && c[8] <= 'D'
}

// IsSteuerID reports whether s is a valid German tax identification number
// (steuerliche Identifikationsnummer, IdNr, §139b AO): 11 digits, spaces
// allowed, the first not 0. In the first ten digits exactly one digit occurs
// twice or three times and every other digit at most once (three times is
// allowed since 2016; as German Wikipedia describes the rule, the three may
// not be adjacent, which vigil also asks). The eleventh digit is the ISO/IEC
// 7064 MOD 11,10 check digit of the first ten (the chain of BGBl. I 1993
// p. 736, annex 3, used for VAT numbers too).
func IsSteuerID(s string) bool {
	c := compact(s)
	if len(c) != 11 || !allDigits(c) || c[0] == '0' {
		return false
	}
	var count [10]int
	for i := 0; i < 10; i++ {
		count[c[i]-'0']++
	}
	repeated := -1
	for d, n := range count {
		switch {
		case n <= 1:
		case n <= 3 && repeated < 0:
			repeated = d
		default:
			return false
		}
	}
	if repeated < 0 {
		return false
	}
	if count[repeated] == 3 {
		r := byte('0' + repeated)
		for i := 0; i+2 < 10; i++ {
			if c[i] == r && c[i+1] == r && c[i+2] == r {
				return false
			}
		}
	}
	return int(c[10]-'0') == SteuerIDCheckDigit(c[:10])
}

// SteuerIDCheckDigit returns the ISO/IEC 7064 MOD 11,10 check digit of a string of
// digits (the German Steuer-ID's algorithm), or -1 when digits is not all
// digits.
func SteuerIDCheckDigit(digits string) int {
	if !allDigits(digits) {
		return -1
	}
	p := 10
	for i := 0; i < len(digits); i++ {
		s := (int(digits[i]-'0') + p) % 10
		if s == 0 {
			s = 10
		}
		p = (2 * s) % 11
	}
	c := 11 - p
	if c == 10 {
		c = 0
	}
	return c
}
