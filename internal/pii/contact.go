package pii

import (
	"net/netip"
	"slices"
	"strings"
)

// IsEmail reports whether s has the shape of an RFC 5321 mailbox in its
// common form: a dot-atom local part of at most 64 octets (RFC 5322 atext
// characters, dots neither first, last nor doubled), "@", and a domain of at
// most 253 octets made of at least two labels of letters, digits and inner
// hyphens (RFC 1035 §2.3.1, at most 63 octets each), the last one alphabetic
// (or an IDNA "xn--" label). Quoted local parts and address literals are
// legal but not personal data in practice, and are refused.
func IsEmail(s string) bool {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > 64 || len(s)-at-1 > 253 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		ch := local[i]
		if !isAlnum(ch) && strings.IndexByte("!#$%&'*+-/=?^_`{|}~.", ch) < 0 {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return len(tld) > 4
	}
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if !isAlpha(tld[i]) {
			return false
		}
	}
	return true
}

func isAlpha(ch byte) bool { return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' }
func isAlnum(ch byte) bool { return isAlpha(ch) || ch >= '0' && ch <= '9' }

// IsPhone reports whether s is written as a telephone number: either
// international (ITU-T E.164: "+", a country code not starting with 0, and
// 8 to 15 digits in all, separators and a "(0)" trunk prefix allowed; or
// "00" instead of "+", as dialled in Europe), or in
// one of the common national formats with separators:
//   - North American Numbering Plan: (NXX) NXX-XXXX, NXX-NXX-XXXX or
//     NXX.NXX.XXXX, optionally after "1 " or "1-", where N is 2–9;
//   - a trunk "0" followed by 8 to 11 digits in groups separated by spaces,
//     dots, hyphens or a slash (France 01 23 45 67 89, UK 020 7946 0018,
//     Germany 030 1234567 or 089/123456).
//
// Bare runs of digits are refused: any number looks like that (see
// ClassifyColumn for columns named as phone numbers).
func IsPhone(s string) bool {
	return phone(s, false)
}

// phone validates s; bare allows an unseparated national number (10 NANP
// digits, or a trunk 0 and 8–11 digits).
func phone(s string, bare bool) bool {
	s = strings.TrimSpace(s)
	if len(s) < 7 || len(s) > 32 {
		return false
	}
	var digits []byte
	var groups []int // lengths of the runs of digits
	inGroup := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			digits = append(digits, ch)
			if !inGroup {
				groups = append(groups, 0)
				inGroup = true
			}
			groups[len(groups)-1]++
		case ch == ' ' || ch == '-' || ch == '.' || ch == '/' || ch == '(' || ch == ')':
			// Two separators in a row only around parentheses: "(030) 12".
			if i > 0 && strings.IndexByte(" -./()", s[i-1]) >= 0 && s[i-1] != ')' && ch != '(' {
				return false
			}
			inGroup = false
		case ch == '+' && i == 0:
		default:
			return false
		}
	}
	d := string(digits)
	if s[0] == '+' {
		// "+44 (0)20 …": the trunk prefix in parentheses is not dialled.
		if j := strings.Index(s, "(0)"); j > 0 {
			if j > 6 {
				return false
			}
			k := 0 // the index in d of the 0 in parentheses
			for i := 0; i < j; i++ {
				if s[i] >= '0' && s[i] <= '9' {
					k++
				}
			}
			d = d[:k] + d[k+1:]
			if d == "" {
				return false
			}
		}
		return len(d) >= 8 && len(d) <= 15 && d[0] != '0' && (len(groups) > 1 || bare || len(d) >= 10)
	}
	if IsIPAddress(s) {
		return false
	}
	if strings.HasPrefix(s, "00") && len(groups) > 1 && groups[0] <= 5 {
		// "0033 1 23 45 67 89": the international prefix dialled in Europe
		// (ITU-T E.164 annex: 00) before the country code.
		d = d[2:]
		return len(d) >= 8 && len(d) <= 15 && d[0] != '0'
	}
	if strings.ContainsAny(s, "()") {
		// (NXX) NXX-XXXX, optionally after 1.
		if len(d) == 11 && d[0] == '1' {
			d = d[1:]
		}
		return len(d) == 10 && strings.HasPrefix(strings.TrimLeft(s, "1 -"), "(") && nanp(d)
	}
	if len(groups) == 1 {
		return bare && (len(d) == 10 && nanp(d) || d[0] == '0' && d[1] != '0' && len(d) >= 9 && len(d) <= 12)
	}
	if slices.Equal(groups, []int{3, 3, 4}) && nanp(d) || slices.Equal(groups, []int{1, 3, 3, 4}) && d[0] == '1' && nanp(d[1:]) {
		return true
	}
	if slices.Equal(groups, []int{3, 2, 4}) {
		return false // the shape of an SSN
	}
	return d[0] == '0' && d[1] != '0' && len(d) >= 9 && len(d) <= 12
}

// nanp reports whether 10 digits are a NANP number: area code and exchange
// both start with 2–9.
func nanp(d string) bool {
	return d[0] >= '2' && d[3] >= '2'
}

// IsIPAddress reports whether s is an IPv4 address in dotted-quad form or an
// IPv6 address (RFC 4291 text form), without a zone, as net/netip parses it.
func IsIPAddress(s string) bool {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	return err == nil && a.Zone() == ""
}
