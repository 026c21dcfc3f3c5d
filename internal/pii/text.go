package pii

import (
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
)

// MaxText is the most of a text ScanText reads; the rest is ignored. A
// caller that wants all of a larger file scans it in pieces.
const MaxText = 8 << 20

// contextWindow is how far before a weak candidate ScanText looks for the
// words that admit it ("DOB", "MRN", "SSN", …).
const contextWindow = 40

// A pattern finds candidates of a category in text; check validates one.
// Patterns with context admit a candidate only when one of the context
// words occurs in the contextWindow bytes before it.
type pattern struct {
	cat     Category
	re      *regexp.Regexp
	check   func(string) bool
	context []string
	// needs: a line without any of these bytes cannot hold a candidate
	// (a cheap test before the regular expression).
	needs string
	// keywords: a line whose lower-case form holds none of these cannot
	// hold a candidate.
	keywords []string
	// claims: the text a candidate of this pattern spans, valid or not, is
	// not looked at by the later patterns (a NIR's tail is not a phone
	// number and an IBAN's digits are not a card number, even when the NIR
	// or the IBAN is a decoy).
	claims bool
}

var textPatterns = []pattern{
	{cat: Email, needs: "@", re: regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`), check: IsEmail},
	{cat: NationalID, claims: true, needs: "- ", re: regexp.MustCompile(`\b[0-9]{3}([- ])[0-9]{2}([- ])[0-9]{4}\b`), check: IsSSN},
	{cat: NationalID, claims: true, re: regexp.MustCompile(`\b[0-9]{9}\b`), check: IsSSN, context: []string{"ssn", "social security", "soc. sec"}},
	{cat: NationalID, claims: true, re: regexp.MustCompile(`\b[1-478] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[ABab]) ?[0-9]{3} ?[0-9]{3} ?[0-9]{2}\b`), check: IsNIR},
	{cat: NationalID, claims: true, re: regexp.MustCompile(`\b[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]\b`), check: IsNINO},
	{cat: NationalID, claims: true, needs: " ", re: regexp.MustCompile(`\b[1-9][0-9] [0-9]{3} [0-9]{3} [0-9]{3}\b`), check: IsSteuerID},
	{cat: NationalID, claims: true, re: regexp.MustCompile(`\b[1-9][0-9]{10}\b`), check: IsSteuerID, context: []string{"steuer", "idnr", "identifikationsnummer", "tax id", "tin"}},
	{cat: IBAN, claims: true, re: regexp.MustCompile(`\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}\b`), check: ibanPrefix},
	{cat: PaymentCard, claims: true, re: regexp.MustCompile(`\b[0-9](?:[ -]?[0-9]){12,18}\b`), check: IsPaymentCard},
	{cat: Phone, needs: "+", re: regexp.MustCompile(`\+[1-9][0-9]{0,3}(?:[ .-]?\(0\))?(?:[ .-]?[0-9]{1,5}){1,6}\b`), check: IsPhone},
	{cat: Phone, needs: "-.(", re: regexp.MustCompile(`(?:\b1[ -])?(?:\([2-9][0-9]{2}\) ?|\b[2-9][0-9]{2}[-.])[2-9][0-9]{2}[-.][0-9]{4}\b`), check: IsPhone},
	{cat: Phone, needs: "0", re: regexp.MustCompile(`\b0[1-9][0-9]{0,4}(?:[ ./-][0-9]{2,8}){1,4}\b`), check: IsPhone},
	{cat: IPAddress, needs: ".", re: regexp.MustCompile(`\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b`), check: IsIPAddress},
	{cat: IPAddress, needs: ":", re: regexp.MustCompile(`(?i)(?:\b[0-9a-f]{1,4}|:)(?::[0-9a-f]{0,4}){2,7}\b`), check: IsIPAddress},
	{cat: Diagnosis, claims: true, needs: ".", re: regexp.MustCompile(`\b[A-TV-Z][0-9]{2}\.[0-9A-Z]{1,4}\b`), check: IsICD10},
	{cat: Diagnosis, re: regexp.MustCompile(`\b[A-TV-Z][0-9]{2}[0-9A-Z]{0,4}\b`), check: IsICD10, context: []string{"icd", "diagnosis", "diagnose", "dx", "cim"}},
	{cat: MedicalRecord, re: regexp.MustCompile(`\b[A-Za-z]{0,4}[-/ ]?[0-9]{5,12}[A-Z]?\b`), check: IsMedicalRecordNumber, context: []string{"mrn", "medical record", "record no", "dossier", "patient no", "patient number"}},
	{cat: Birthdate, re: regexp.MustCompile(`\b(?:[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}|[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}|[0-9]{1,2}[ -][A-Z][a-z]+[ -][0-9]{4}|[A-Z][a-z]+ [0-9]{1,2}, [0-9]{4}|[0-9]{8})\b`),
		check: func(s string) bool { return IsBirthdate(s, time.Now()) }, context: []string{"born", "birth", "dob", "d.o.b", "né", "née", "naissance", "geboren", "geburt"}},
	{cat: Address, keywords: []string{"street", " st", "ave", "road", " rd", "boulevard", "blvd", "lane", " ln", "drive", " dr", "court", " ct", "place", " pl", "terrace", "crescent", "close", "way", "square", "parkway", "gardens", "grove", "mews", "row"}, re: regexp.MustCompile(`\b[0-9]{1,5}[A-Za-z]?,? (?:\p{Lu}[\p{L}'.-]* ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Crescent|Close|Way|Square|Parkway|Gardens|Grove|Mews|Row)\b`), check: IsPostalAddress},
	{cat: Address, keywords: []string{"rue", "avenue", "boulevard", "bd", "chemin", "allée", "impasse", "quai", "place", "cours", "route", "via", "viale", "piazza", "corso", "calle"}, re: regexp.MustCompile(`(?i)\b[0-9]{1,4}(?: ?(?:bis|ter))?,? (?:rue|avenue|boulevard|bd|chemin|allée|impasse|quai|place|cours|route|via|viale|piazza|corso|calle) [\p{L}' -]{2,40}`), check: IsPostalAddress},
	{cat: Address, keywords: []string{"straße", "strasse", "str.", "weg", "platz", "allee", "gasse", "damm", "ufer"}, re: regexp.MustCompile(`\p{Lu}[\p{L}-]*(?:straße|strasse|str\.|weg|platz|allee|gasse|damm|ufer) [0-9]{1,4}[a-z]?\b`), check: IsPostalAddress},
}

// namesRun finds runs of capitalised words, where names are looked for.
var namesRun = regexp.MustCompile(`\p{Lu}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*)+`)

// ibanPrefix validates the first characters of s, as many as the registry
// says the country's IBANs have: a pattern may take a following word.
func ibanPrefix(s string) bool {
	c := compact(s)
	if len(c) < 2 {
		return false
	}
	n := ibanLengths[c[:2]]
	return n > 0 && len(c) >= n && IsIBAN(c[:n])
}

// ScanText counts the values of each category found in free text (a file's
// text, a CSV cell, an e-mail). Only values that validate count, so a decoy
// that fails its checksum or structural rules adds nothing. Weak forms count
// only after words that say what they are: dates after "born", "DOB" or
// "date of birth"; medical record numbers after "MRN" or "medical record";
// nine bare digits after "SSN"; eleven bare digits after "Steuer-ID" or
// "IdNr"; ICD-10 codes without a dot after "ICD", "diagnosis" or "dx".
// Dates count when they are plausible birth dates (see IsBirthdate). Names
// count as two capitalised words of which the first is a known given name or
// a courtesy title, or the second a known surname; health counts the words
// of the health vocabulary (see HealthTerms). Only the first MaxText bytes
// are read.
func ScanText(text string) map[Category]int {
	hits, _ := scanText(text, MaxText)
	return hits
}

func scanText(text string, limit int) (hits, candidates map[Category]int) {
	if len(text) > limit {
		text = text[:limit]
	}
	hits, candidates = map[Category]int{}, map[Category]int{}
	// Patterns run over one line at a time (no value spans lines), which
	// keeps Go's regexp on its fast path for short inputs; context words
	// are looked for in the whole text before the candidate.
	for _, seg := range segments(text) {
		line := text[seg[0]:seg[1]]
		digits := strings.ContainsAny(line, "0123456789")
		var claimed [][]int
		var around string // the line and the contextWindow bytes before it, in lower case
		var lowerLine string
		for _, p := range textPatterns {
			// Every pattern but the e-mail's needs a digit.
			if p.cat != Email && !digits || p.needs != "" && !strings.ContainsAny(line, p.needs) {
				continue
			}
			if p.keywords != nil {
				if lowerLine == "" {
					lowerLine = strings.ToLower(line)
				}
				if !containsAny(lowerLine, p.keywords) {
					continue
				}
			}
			if p.context != nil {
				if around == "" {
					around = strings.ToLower(text[max(0, seg[0]-contextWindow):seg[1]])
				}
				if !hasContext(around, p.context) {
					continue
				}
			}
			for _, loc := range p.re.FindAllStringIndex(line, -1) {
				if overlaps(claimed, loc) {
					continue
				}
				if p.cat == IPAddress && loc[1]+1 < len(line) && line[loc[1]] == '.' && isDigit(line[loc[1]+1]) {
					continue // a version number: 1.2.3.4.5
				}
				at := seg[0] + loc[0]
				if p.context != nil && !hasContext(strings.ToLower(text[max(0, at-contextWindow):at]), p.context) {
					continue
				}
				if p.claims {
					claimed = append(claimed, loc)
				}
				candidates[p.cat]++
				if p.check(line[loc[0]:loc[1]]) {
					hits[p.cat]++
				}
			}
		}
		for _, run := range namesRun.FindAllString(line, -1) {
			words := strings.Fields(run)
			for i := 0; i+1 < len(words); i++ {
				a, b := strings.TrimRight(words[i], ".,'’"), strings.TrimRight(words[i+1], ".,'’")
				candidates[Name]++
				if nameWord(a) && nameWord(b) && !streetWords[fold(b)] && (IsGivenName(a) || IsSurname(b) || titles[fold(a)]) {
					hits[Name]++
					i++
				}
			}
		}
	}
	if n := HealthTerms(text); n > 0 {
		hits[Health] = n
		candidates[Health] += n
	}
	for c, n := range hits {
		if n == 0 {
			delete(hits, c)
		}
	}
	return hits, candidates
}

// maxSegment is the longest piece of text a pattern runs over at once; a
// longer line is cut at a space.
const maxSegment = 2048

// segments cuts text into lines, and lines longer than maxSegment at a
// space (or anywhere, when there is none), as [start, end) offsets.
func segments(text string) [][2]int {
	var out [][2]int
	start := 0
	for start < len(text) {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		for end-start > maxSegment {
			cut := strings.LastIndexByte(text[start:start+maxSegment], ' ')
			if cut <= 0 {
				cut = maxSegment
			}
			out = append(out, [2]int{start, start + cut})
			start += cut
		}
		out = append(out, [2]int{start, end})
		start = end + 1
	}
	return out
}

// overlaps reports whether span overlaps one of the spans.
func overlaps(spans [][]int, span []int) bool {
	for _, s := range spans {
		if span[0] < s[1] && s[0] < span[1] {
			return true
		}
	}
	return false
}

// nameWord reports whether w can be a word of a name: two or more letters
// (inner hyphens and apostrophes allowed), or a courtesy title.
func nameWord(w string) bool {
	if titles[fold(w)] {
		return true
	}
	n := 0
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			n++
		case r == '-' || r == '\'' || r == '’':
		default:
			return false
		}
	}
	return n >= 2
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

// containsAny reports whether s contains one of the strings.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// hasContext reports whether one of the words occurs in s at the start of
// a word ("tin" in "TIN:" but not in "meeting").
func hasContext(s string, words []string) bool {
	for _, w := range words {
		for i := 0; i+len(w) <= len(s); {
			j := strings.Index(s[i:], w)
			if j < 0 {
				break
			}
			j += i
			if j == 0 || !isAlpha(s[j-1]) && s[j-1] < 0x80 {
				return true
			}
			i = j + 1
		}
	}
	return false
}

// ClassifyText says which categories a free text holds: those of which
// ScanText counts at least one value. (Asking two for names and health terms
// was measured on the corpus of internal/pii/gen: name recall fell from 0.97
// to 0.51 and health recall from 0.99 to 0.95, for a name precision of 0.99
// instead of 0.97; see docs/data-discovery.md.)
// Hits is the count; Sampled is the number of candidates examined;
// Confidence is the share of candidates that validated, raised towards 1
// as hits accumulate (1 − (1 − share)^hits).
func ClassifyText(text string) []Match {
	hits, cands := scanText(text, MaxText)
	var ms []Match
	for _, cat := range Categories() {
		h := hits[cat]
		if h == 0 {
			continue
		}
		share := float64(h) / float64(max(h, cands[cat]))
		conf := 1.0
		miss := 1 - share
		for range min(h, 20) {
			conf *= miss
		}
		ms = append(ms, Match{Category: cat, Confidence: 1 - conf, Hits: h, Sampled: max(h, cands[cat])})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Confidence > ms[j].Confidence })
	return ms
}
