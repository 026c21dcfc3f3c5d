package pii

import (
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Thresholds of ClassifyColumn: the share of a column's non-empty sampled
// values that must validate for the column to hold a category. They were
// chosen from the synthetic clinic corpus of internal/pii/gen (40 data sets,
// 2,520 columns; TestThresholdMargins prints the margins, and
// docs/data-discovery.md records them). In the columns that hold a category
// the share of valid values was at least 0.74 for every category but names,
// whose lists hold common names only (0.55), and SSNs written as nine bare
// digits under an unrelated name (0: no rule can tell them from other
// numbers, see valid). In the columns that do not, it was at most 0.38 for
// names (a supplier column of companies named after people: "Henry Schein",
// "Hartmann"), 0.19 for cards (16-digit reference numbers pass Luhn one time
// in ten) and 0.05 or less for every other category; under a name hint it
// was 0. ThresholdValues sits between 0.38 and 0.55; ThresholdWithHint is
// lower, as the name is independent evidence, but high enough that a column
// of mostly junk under the right name is not reported.
const (
	// ThresholdValues applies when the column's name says nothing.
	ThresholdValues = 0.5
	// ThresholdWithHint applies when the column's name names the category.
	ThresholdWithHint = 0.3
	// hintBonus is added to the confidence when the name agrees.
	hintBonus = 0.15
)

// MaxSamples is the most values of a column ClassifyColumn examines; the
// rest are ignored. Sampling is the caller's: a few hundred values chosen
// across the table are enough.
const MaxSamples = 10000

// Birth-date columns without a name hint must also show the spread of ages
// that only dates of birth have: a median age of at least minMedianAge years
// and an interquartile range of at least minAgeIQR years. Visit, invoice and
// creation dates, all within the last few years, do not.
const (
	minMedianAge = 18
	minAgeIQR    = 15
)

// hints are the words of column names that name a category. A column name is
// split into lower-case words at underscores, hyphens, spaces, dots and
// camelCase boundaries; a hint matches one word or two adjacent words joined
// by a space.
var hints = map[Category][]string{
	Name: {"firstname", "first name", "lastname", "last name", "surname", "given name", "forename",
		"fullname", "full name", "family name", "maiden name", "middle name", "patient name",
		"contact name", "display name", "holder", "nom", "prenom", "prénom", "vorname", "nachname",
		"familienname", "name", "apellido", "nombre", "cognome"},
	Email: {"email", "e mail", "mail", "courriel", "emailaddress"},
	Phone: {"phone", "telephone", "tel", "mobile", "cell", "fax", "telefon", "handy", "portable",
		"msisdn", "phonenumber"},
	Address:   {"address", "addr", "street", "adresse", "anschrift", "strasse", "straße", "domicile", "residence"},
	Birthdate: {"dob", "birth", "birthdate", "birthday", "born", "naissance", "geburt", "geburtsdatum", "bday", "geboren"},
	NationalID: {"ssn", "social security", "nir", "insee", "secu", "nino", "ni number", "national insurance",
		"steuer", "steuerid", "idnr", "steuernummer", "tin", "tax id", "taxid", "national id", "nationalid", "sozialversicherung"},
	IBAN:          {"iban", "rib", "bank account", "account number", "kontonummer", "bankverbindung"},
	PaymentCard:   {"card", "cc", "pan", "credit card", "creditcard", "kreditkarte", "carte", "ccnum", "cardnumber"},
	MedicalRecord: {"mrn", "medical record", "med rec", "medrec", "chart", "record no", "record number", "dossier", "patient number", "patient no", "ipp", "krankenakte", "fallnummer"},
	Diagnosis:     {"diagnosis", "diagnoses", "dx", "icd", "icd10", "diag", "diagnose", "cim", "cim10"},
	Health: {"health", "condition", "conditions", "medication", "medications", "medicine", "drug", "allergy",
		"allergies", "symptom", "symptoms", "treatment", "medical", "clinical", "prescription", "anamnesis",
		"diagnosis", "diagnose", "befund", "traitement"},
	IPAddress: {"ip", "ipaddr", "ipaddress", "ip address", "remote addr", "client ip", "ipv4", "ipv6", "src ip"},
}

// notPersonName are words before "name" that make it something else's name.
var notPersonName = map[string]bool{"product": true, "file": true, "host": true, "user": true,
	"company": true, "table": true, "item": true, "device": true, "drug": true, "brand": true,
	"city": true, "street": true, "domain": true, "service": true, "app": true, "column": true,
	"schema": true, "db": true, "database": true, "group": true, "role": true, "site": true,
	"clinic": true, "org": true, "organisation": true, "organization": true, "server": true}

// nameWords splits a column name into lower-case words.
func nameWords(name string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}

// hinted returns the categories the column name names.
func hinted(name string) map[Category]bool {
	words := nameWords(name)
	got := map[Category]bool{}
	for cat, hs := range hints {
		for _, h := range hs {
			for i, w := range words {
				match := w == h || i+1 < len(words) && w+" "+words[i+1] == h
				if match && cat == Name && h == "name" && i > 0 && notPersonName[words[i-1]] {
					match = false
				}
				if match {
					got[cat] = true
				}
			}
		}
	}
	return got
}

// ClassifyColumn says which categories of personal data a column holds,
// from its name and a sample of its values (the caller samples: a few
// hundred values are enough; at most MaxSamples are examined). For each
// category it counts the non-empty samples that validate; the column holds
// the category when that share reaches ThresholdValues, or ThresholdWithHint
// when the column's name names the category. The name alone is never enough: a column named "ssn" whose
// values fail the SSN rules (decoys, test data, hashes) is not reported.
//
// Some categories have no validator strong enough on its own:
//   - medical record numbers have no standard format, so they need the name;
//   - nine bare digits (an SSN without dashes) and bare digit runs as phone
//     numbers count only under a name that says so;
//   - dates count as birth dates under a name that says so, or when the ages
//     they give spread as birth dates do (see minMedianAge, minAgeIQR).
//
// Confidence is the share of valid values, plus 0.15 when the name agrees,
// at most 1. Matches are sorted by confidence, highest first.
func ClassifyColumn(name string, samples []string) []Match {
	return classifyColumn(name, samples, time.Now())
}

func classifyColumn(name string, samples []string, now time.Time) []Match {
	var ms []Match
	for _, sc := range columnScores(name, samples, now) {
		th := ThresholdValues
		if sc.named {
			th = ThresholdWithHint
		}
		if !sc.eligible || sc.hits == 0 || sc.share() < th {
			continue
		}
		conf := sc.share()
		if sc.named {
			conf = min(1, conf+hintBonus)
		}
		ms = append(ms, Match{Category: sc.cat, Confidence: conf, Hits: sc.hits, Sampled: sc.sampled})
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Confidence > ms[j].Confidence })
	return ms
}

// score is the evidence of one category in a column before thresholds.
type score struct {
	cat           Category
	hits, sampled int
	named         bool // the column's name names the category
	eligible      bool // the category's other conditions hold
}

func (s score) share() float64 {
	if s.sampled == 0 {
		return 0
	}
	return float64(s.hits) / float64(s.sampled)
}

// columnScores counts, for every category, the non-empty samples that
// validate.
func columnScores(name string, samples []string, now time.Time) []score {
	hint := hinted(name)
	if len(samples) > MaxSamples {
		samples = samples[:MaxSamples]
	}
	var values []string
	for _, s := range samples {
		if s = strings.TrimSpace(s); s != "" && !isNull(s) {
			values = append(values, s)
		}
	}
	if len(values) == 0 {
		return nil
	}
	var out []score
	for _, cat := range Categories() {
		sc := score{cat: cat, sampled: len(values), named: hint[cat], eligible: true}
		var births []time.Time
		long := 0
		chapters := map[byte]bool{}
		for _, v := range values {
			switch {
			case cat == Birthdate:
				if t, ok := ParseDate(v); ok && plausibleBirth(t, now) {
					sc.hits++
					births = append(births, t)
				}
			case valid(cat, v, sc.named):
				sc.hits++
				if cat == Diagnosis {
					chapters[v[0]|0x20] = true
					if len(v) > 3 {
						long++
					}
				}
			}
		}
		switch cat {
		case MedicalRecord:
			sc.eligible = sc.named
		case Birthdate:
			sc.eligible = sc.named || agesSpread(births, now)
		case Diagnosis:
			// Three-character codes alone look like room and seat numbers
			// ("A12"), and one letter followed by digits like record
			// numbers ("P012345"): a diagnosis column also holds
			// subcategories, and codes of more than one chapter.
			sc.eligible = sc.named || float64(long) >= minICDLong*float64(sc.hits) && len(chapters) >= minICDChapters
		}
		out = append(out, sc)
	}
	return out
}

// Without a name hint, at least this share of a column's ICD-10 codes must
// have a subcategory (more than three characters).
const minICDLong = 0.25

// Without a name hint, a column's ICD-10 codes must start with at least
// this many different letters (ICD-10 chapters).
const minICDChapters = 2

// isNull reports whether a value is a written null.
func isNull(s string) bool {
	switch strings.ToLower(s) {
	case "null", "nil", "none", "n/a", "na", "-", "\\n":
		return true
	}
	return false
}

// valid reports whether one value validates as the category; named says the
// column's name names the category, which admits the weaker forms.
func valid(cat Category, v string, named bool) bool {
	switch cat {
	case Name:
		return IsPersonName(v)
	case Email:
		return IsEmail(v)
	case Phone:
		return phone(v, named)
	case Address:
		return IsPostalAddress(v)
	case NationalID:
		if sep, ok := ssn(v); ok && (sep || named) {
			return true
		}
		return IsNIR(v) || IsNINO(v) || IsSteuerID(v)
	case IBAN:
		return IsIBAN(v)
	case PaymentCard:
		return IsPaymentCard(v)
	case MedicalRecord:
		return named && IsMedicalRecordNumber(v)
	case Diagnosis:
		return IsICD10(v)
	case Health:
		return HealthTerms(v) > 0
	case IPAddress:
		return IsIPAddress(v)
	}
	return false
}

// agesSpread reports whether dates spread as dates of birth do.
func agesSpread(ts []time.Time, now time.Time) bool {
	if len(ts) < 4 {
		return false
	}
	ages := make([]float64, len(ts))
	for i, t := range ts {
		ages[i] = now.Sub(t).Hours() / (24 * 365.25)
	}
	slices.Sort(ages)
	q := func(p float64) float64 { return ages[int(p*float64(len(ages)-1))] }
	return q(0.5) >= minMedianAge && q(0.75)-q(0.25) >= minAgeIQR
}

// ClassifyRecords classifies a table given as records whose first record is
// the header (a CSV file, a spreadsheet's sheet): each column is classified
// with ClassifyColumn, and the table holds a category when one of its
// columns does. A Match's Confidence is the highest of its columns; Hits and
// Sampled are summed over them.
func ClassifyRecords(records [][]string) []Match {
	if len(records) == 0 {
		return nil
	}
	header := records[0]
	best := map[Category]*Match{}
	for c, name := range header {
		col := make([]string, 0, len(records)-1)
		for _, r := range records[1:] {
			if c < len(r) {
				col = append(col, r[c])
			}
		}
		for _, m := range ClassifyColumn(name, col) {
			b := best[m.Category]
			if b == nil {
				m := m
				best[m.Category] = &m
				continue
			}
			b.Confidence = max(b.Confidence, m.Confidence)
			b.Hits += m.Hits
			b.Sampled += m.Sampled
		}
	}
	var ms []Match
	for _, cat := range Categories() {
		if b := best[cat]; b != nil {
			ms = append(ms, *b)
		}
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Confidence > ms[j].Confidence })
	return ms
}
