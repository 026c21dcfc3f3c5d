package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The identifiers are computed here from their specifications, independently
// of the validators in package pii, so that the evaluation cross-checks both.

// ssn returns a valid US SSN, AAA-GG-SSSS.
func ssn(r *rand.Rand) string {
	area := 1 + r.IntN(899)
	if area == 666 {
		area = 665
	}
	return fmt.Sprintf("%03d-%02d-%04d", area, 1+r.IntN(99), 1+r.IntN(9999))
}

// badSSN returns an SSN whose area is 666 or in 900–999, never issued.
func badSSN(r *rand.Rand) string {
	area := 900 + r.IntN(100)
	if r.IntN(3) == 0 {
		area = 666
	}
	return fmt.Sprintf("%03d-%02d-%04d", area, 1+r.IntN(99), 1+r.IntN(9999))
}

// nir returns a French NIR for a person of the given sex (1 or 2), birth
// year and month, spaced as printed on the carte Vitale.
func nir(r *rand.Rand, sex, year, month int) string {
	dept := fmt.Sprintf("%02d", 1+r.IntN(95))
	switch r.IntN(20) {
	case 0:
		dept = "2A"
	case 1:
		dept = "2B"
	}
	if dept == "20" {
		dept = "21"
	}
	body := fmt.Sprintf("%d%02d%02d%s%03d%03d", sex, year%100, month, dept, 1+r.IntN(989), 1+r.IntN(999))
	key := nirKey(body)
	return spaceNIR(body + fmt.Sprintf("%02d", key))
}

// nirKey is 97 − (n mod 97), 2A read as 19 and 2B as 18.
func nirKey(body string) int {
	b := body
	switch body[5:7] {
	case "2A":
		b = body[:5] + "19" + body[7:]
	case "2B":
		b = body[:5] + "18" + body[7:]
	}
	var n int64
	fmt.Sscan(b, &n)
	return int(97 - n%97)
}

func spaceNIR(c string) string {
	return c[0:1] + " " + c[1:3] + " " + c[3:5] + " " + c[5:7] + " " + c[7:10] + " " + c[10:13] + " " + c[13:]
}

// badNIR returns a NIR with a wrong key.
func badNIR(r *rand.Rand, sex, year, month int) string {
	s := strings.ReplaceAll(nir(r, sex, year, month), " ", "")
	k := 0
	fmt.Sscan(s[13:], &k)
	k = k%97 + 1 + r.IntN(5)
	if k > 97 {
		k -= 97
	}
	return spaceNIR(s[:13] + fmt.Sprintf("%02d", k))
}

const ninoFirst = "ABCEGHJKLMNOPRSTWXYZ" // not D F I Q U V
const ninoSecond = "ABCEGHJKLMNPRSTWXYZ" // not D F I O Q U V

// nino returns a valid UK National Insurance number, "AB 12 34 56 C".
func nino(r *rand.Rand) string {
	for {
		p := string(ninoFirst[r.IntN(len(ninoFirst))]) + string(ninoSecond[r.IntN(len(ninoSecond))])
		switch p {
		case "BG", "GB", "KN", "NK", "NT", "TN", "ZZ":
			continue
		}
		return fmt.Sprintf("%s %02d %02d %02d %c", p, r.IntN(100), r.IntN(100), r.IntN(100), "ABCD"[r.IntN(4)])
	}
}

// badNINO returns a number with a prefix HMRC never allocates.
func badNINO(r *rand.Rand) string {
	bad := []string{"QQ", "GB", "BG", "NK", "TN", "ZZ", "DA", "FO", "AO", "IV"}
	return fmt.Sprintf("%s %02d %02d %02d %c", bad[r.IntN(len(bad))], r.IntN(100), r.IntN(100), r.IntN(100), "ABCD"[r.IntN(4)])
}

// steuerID returns a valid German IdNr: ten digits of which exactly one is
// doubled, and the ISO 7064 MOD 11,10 check digit.
func steuerID(r *rand.Rand) string {
	for {
		perm := r.Perm(10)
		d := perm[:9]
		dup := d[r.IntN(9)]
		pos := r.IntN(10)
		ten := append(append(append([]int{}, d[:min(pos, 9)]...), dup), d[min(pos, 9):]...)
		if ten[0] == 0 {
			continue
		}
		var b strings.Builder
		for _, x := range ten {
			b.WriteByte(byte('0' + x))
		}
		b.WriteByte(byte('0' + mod1110(ten)))
		return b.String()
	}
}

func mod1110(ds []int) int {
	p := 10
	for _, d := range ds {
		s := (d + p) % 10
		if s == 0 {
			s = 10
		}
		p = 2 * s % 11
	}
	c := 11 - p
	if c == 10 {
		c = 0
	}
	return c
}

// badSteuerID returns an IdNr with a wrong check digit.
func badSteuerID(r *rand.Rand) string {
	s := steuerID(r)
	c := (int(s[10]-'0') + 1 + r.IntN(8)) % 10
	return s[:10] + string(rune('0'+c))
}

// ibanBBAN makes a basic bank account number of a country's format (SWIFT
// IBAN registry).
func ibanBBAN(r *rand.Rand, country string) string {
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	letters := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('A' + r.IntN(26)))
		}
		return b.String()
	}
	switch country {
	case "DE":
		return digits(18)
	case "FR":
		return digits(10) + digits(11) + digits(2)
	case "GB":
		return letters(4) + digits(14)
	case "ES":
		return digits(20)
	case "IT":
		return letters(1) + digits(10) + digits(12)
	case "NL":
		return letters(4) + digits(10)
	case "BE":
		return digits(12)
	}
	return digits(18)
}

// mod97 of a string of digits and capital letters (letters as 10–35).
func mod97(s string) int {
	m := 0
	for _, ch := range s {
		if ch >= 'A' && ch <= 'Z' {
			m = (m*100 + int(ch-'A'+10)) % 97
		} else {
			m = (m*10 + int(ch-'0')) % 97
		}
	}
	return m
}

// iban returns a valid IBAN of a country, in groups of four when spaced.
func iban(r *rand.Rand, country string, spaced bool) string {
	bban := ibanBBAN(r, country)
	check := 98 - mod97(bban+country+"00")
	s := fmt.Sprintf("%s%02d%s", country, check, bban)
	if spaced {
		return group4(s)
	}
	return s
}

// badIBAN returns an IBAN whose mod 97 is not 1: one BBAN digit changed
// after the check digits were computed (ISO 7064 detects every single
// substitution).
func badIBAN(r *rand.Rand, country string, spaced bool) string {
	s := []byte(iban(r, country, false))
	for {
		i := 4 + r.IntN(len(s)-4)
		if s[i] >= '0' && s[i] <= '9' {
			s[i] = byte('0' + (int(s[i]-'0')+1+r.IntN(9))%10)
			break
		}
	}
	if spaced {
		return group4(string(s))
	}
	return string(s)
}

func group4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// luhnDigit returns the digit that completes digits for the Luhn check.
func luhnDigit(digits string) int {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return (10 - sum%10) % 10
}

// cardPrefixes are IIN prefixes and lengths of the major schemes.
var cardPrefixes = []struct {
	prefix string
	length int
}{
	{"4", 16}, {"4", 16}, {"4", 16}, {"51", 16}, {"53", 16}, {"55", 16}, {"2221", 16},
	{"2720", 16}, {"34", 15}, {"37", 15}, {"6011", 16}, {"65", 16}, {"3530", 16}, {"36", 14},
	{"62", 16},
}

// card returns a payment card number that passes Luhn, spaced in groups of
// four (Amex 4-6-5) or compact.
func card(r *rand.Rand, spaced bool) string {
	p := cardPrefixes[r.IntN(len(cardPrefixes))]
	var b strings.Builder
	b.WriteString(p.prefix)
	for b.Len() < p.length-1 {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	s := b.String()
	s += string(rune('0' + luhnDigit(s)))
	return spaceCard(s, spaced)
}

func spaceCard(s string, spaced bool) string {
	if !spaced {
		return s
	}
	if len(s) == 15 {
		return s[:4] + " " + s[4:10] + " " + s[10:]
	}
	return group4(s)
}

// badCard returns a card number of a real scheme that fails Luhn.
func badCard(r *rand.Rand, spaced bool) string {
	s := strings.ReplaceAll(card(r, false), " ", "")
	last := (int(s[len(s)-1]-'0') + 1 + r.IntN(9)) % 10
	return spaceCard(s[:len(s)-1]+string(rune('0'+last)), spaced)
}
