package pii

import (
	_ "embed"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:embed lists/given.txt
var givenList string

//go:embed lists/surnames.txt
var surnameList string

var givenNames, surnames = nameSet(givenList), nameSet(surnameList)

// nameSet reads a list of lower-case, unaccented names, several a line, '#'
// starting a comment. Multi-word surnames ("de jong") are kept whole.
func nameSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, w := range strings.Fields(line) {
			m[w] = true
		}
	}
	return m
}

// fold lower-cases s and removes diacritics ("Hélène" → "helene", "Müller" →
// "muller", "Weiß" → "weiss"), so that names match the lists.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'ß':
			b.WriteString("ss")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsGivenName reports whether word is in the embedded list of common given
// names (case and diacritics ignored).
func IsGivenName(word string) bool { return givenNames[fold(word)] }

// IsSurname reports whether word is in the embedded list of common surnames
// (case and diacritics ignored).
func IsSurname(word string) bool { return surnames[fold(word)] }

// titles are courtesy titles that may precede a name.
var titles = map[string]bool{"mr": true, "mrs": true, "ms": true, "miss": true, "dr": true,
	"prof": true, "m": true, "mme": true, "mlle": true, "herr": true, "frau": true, "sr": true, "sra": true}

// IsPersonName reports whether s looks like a person's name: one to four
// words of letters (inner hyphens and apostrophes allowed, "Last, First"
// order and a courtesy title allowed), no digits, at most 60 characters, and
// at least one word in the embedded lists of common given names and
// surnames. A single word must be in one of the lists. Names outside the
// lists are missed: the lists hold common names only, so a column of names
// is found by the share of its values that match (see ClassifyColumn).
func IsPersonName(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > 60 {
		return false
	}
	s = strings.Replace(s, ",", " ", 1)
	words := strings.Fields(s)
	if len(words) > 0 && titles[strings.TrimSuffix(fold(words[0]), ".")] {
		words = words[1:]
	}
	if len(words) == 0 || len(words) > 4 {
		return false
	}
	known := false
	for _, w := range words {
		for _, r := range w {
			if !unicode.IsLetter(r) && r != '-' && r != '\'' && r != '’' && r != '.' {
				return false
			}
		}
		f := fold(w)
		if givenNames[f] || surnames[f] {
			known = true
			continue
		}
		for _, part := range strings.Split(f, "-") {
			if givenNames[part] || surnames[part] {
				known = true
			}
		}
	}
	return known
}

// streetWords are street types that follow or precede a street's name.
var streetWords = map[string]bool{
	// English
	"street": true, "st": true, "avenue": true, "ave": true, "road": true, "rd": true,
	"boulevard": true, "blvd": true, "lane": true, "ln": true, "drive": true, "dr": true,
	"court": true, "ct": true, "place": true, "pl": true, "terrace": true, "crescent": true,
	"close": true, "way": true, "square": true, "sq": true, "parkway": true, "pkwy": true,
	"highway": true, "hwy": true, "gardens": true, "grove": true, "mews": true, "row": true,
	"circle": true, "cir": true, "trail": true,
	// French
	"rue": true, "bd": true, "chemin": true, "allée": true, "allee": true,
	"impasse": true, "quai": true, "cours": true, "route": true, "faubourg": true,
	// German (also as suffixes, see streetSuffixes)
	"straße": true, "strasse": true, "str": true, "weg": true, "platz": true, "allee de": true,
	"gasse": true, "ring": true, "damm": true, "ufer": true,
	// Spanish, Italian
	"calle": true, "via": true, "viale": true, "piazza": true, "corso": true, "plaza": true,
}

// streetSuffixes end German compound street names ("Hauptstraße").
var streetSuffixes = []string{"straße", "strasse", "str.", "weg", "platz", "allee", "gasse", "damm", "ufer"}

// IsPostalAddress reports whether s looks like a postal address: a street
// type word ("Street", "Ave", "rue", "Hauptstraße", "via") and a house
// number (1 to 5 digits, optionally a letter: "221B") in the same value.
func IsPostalAddress(s string) bool {
	if len(s) < 6 || len(s) > 200 {
		return false
	}
	hasNumber, hasStreet := false, false
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
		lw := strings.ToLower(w)
		if houseNumber(lw) {
			hasNumber = true
			continue
		}
		bare := strings.TrimSuffix(lw, ".")
		if streetWords[bare] {
			hasStreet = true
			continue
		}
		for _, suf := range streetSuffixes {
			if len(lw) > len(suf)+2 && strings.HasSuffix(lw, suf) {
				hasStreet = true
			}
		}
	}
	return hasNumber && hasStreet
}

// houseNumber reports whether w is 1–5 digits, optionally followed by one
// letter or "bis"/"ter".
func houseNumber(w string) bool {
	i := 0
	for i < len(w) && w[i] >= '0' && w[i] <= '9' {
		i++
	}
	if i == 0 || i > 5 {
		return false
	}
	rest := w[i:]
	return rest == "" || len(rest) == 1 && isAlpha(rest[0]) || rest == "bis" || rest == "ter"
}

// dateLayouts are the written forms of dates that are recognised.
var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "02/01/2006", "01/02/2006", "02.01.2006", "02-01-2006",
	"01-02-2006", "2 January 2006", "January 2, 2006", "2 Jan 2006", "Jan 2, 2006", "20060102",
	"2006-1-2", "2/1/2006", "1/2/2006", "2.1.2006", "02-Jan-2006", "2-Jan-2006", "02 Jan 2006",
}

// ParseDate parses a calendar date in one of the common written forms (ISO
// 8601 "2006-01-02", "02/01/2006" day first or month first, "02.01.2006",
// "2 January 2006", "January 2, 2006", "02-Jan-2006", "20060102", and the
// same without leading zeros). A value with a time of
// day is not a date of birth and is refused.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 8 || len(s) > 20 {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// IsBirthdate reports whether s is a date (see ParseDate) that is plausible
// as a living or recently deceased person's date of birth at the time now:
// not in the future and at most 120 years before. Any past date passes, so a
// date alone is weak evidence: ClassifyColumn also asks for a column name
// that says birth date, or for a spread of ages only birth dates have.
func IsBirthdate(s string, now time.Time) bool {
	t, ok := ParseDate(s)
	return ok && plausibleBirth(t, now)
}

func plausibleBirth(t, now time.Time) bool {
	return !t.After(now) && t.After(now.AddDate(-120, 0, 0))
}
