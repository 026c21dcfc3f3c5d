package pii

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The validators and classifiers read values from databases and files that
// anyone may have written: they must not panic on any input, and their
// results must hold together.

func FuzzNationalIDs(f *testing.F) {
	for _, s := range []string{"123-45-6789", "666-12-3456", "2 95 10 99 126 111 93", "253072A07300443",
		"AB 12 34 56 C", "QQ123456C", "86095742719", "65929970489", "", "2A", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsSSN(s) && len(compact(s)) != 9 {
			t.Errorf("IsSSN(%q) with %d digits", s, len(compact(s)))
		}
		if IsNIR(s) && !IsNIR(strings.ToUpper(compact(s))) {
			t.Errorf("IsNIR(%q) but not of its compact form", s)
		}
		if IsNINO(s) && !IsNINO(strings.ToLower(s)) {
			t.Errorf("IsNINO(%q) depends on case", s)
		}
		if IsSteuerID(s) {
			c := compact(s)
			if len(c) != 11 || SteuerIDCheckDigit(c[:10]) != int(c[10]-'0') {
				t.Errorf("IsSteuerID(%q) without its check digit", s)
			}
		}
		if k := NIRKey(s); k != -1 && (k < 1 || k > 97) {
			t.Errorf("NIRKey(%q) = %d", s, k)
		}
	})
}

func FuzzIBAN(f *testing.F) {
	for _, s := range []string{"GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR14 2004 1010 0505 0001 3M02 606", "XX00", "gb82", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsIBAN(s) {
			c := strings.ToUpper(compact(s))
			if len(c) != IBANLength(c[:2]) || IBANMod97(c[4:]+c[:4]) != 1 {
				t.Errorf("IsIBAN(%q) but its length or mod 97 is wrong", s)
			}
		}
		if r := IBANMod97(s); r < -1 || r > 96 {
			t.Errorf("IBANMod97(%q) = %d", s, r)
		}
	})
}

func FuzzPaymentCard(f *testing.F) {
	for _, s := range []string{"4111 1111 1111 1111", "378282246310005", "4111111111111112", "6011-1111-1111-1117", "0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CardScheme(s) != "" && !Luhn(compact(s)) {
			t.Errorf("CardScheme(%q) = %q without Luhn", s, CardScheme(s))
		}
	})
}

func FuzzICD10(f *testing.F) {
	for _, s := range []string{"E11.9", "I10", "S52.521A", "U07.1", "E1", "e11.9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsICD10(s) {
			u := strings.ToUpper(strings.TrimSpace(s))
			if u[0] == 'U' || len(u) > 8 {
				t.Errorf("IsICD10(%q)", s)
			}
		}
		if IsMedicalRecordNumber(s) && !strings.ContainsAny(s, "0123456789") {
			t.Errorf("IsMedicalRecordNumber(%q) without digits", s)
		}
	})
}

func FuzzContact(f *testing.F) {
	for _, s := range []string{"ana@example.org", "+33 1 23 45 67 89", "(202) 555-0143", "+44 (0)20 7946 0018",
		"192.0.2.1", "2001:db8::1", "@", "+(0)", "((((", "a@b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsEmail(s) && !strings.Contains(s, "@") {
			t.Errorf("IsEmail(%q) without @", s)
		}
		if IsPhone(s) && !phone(s, true) {
			t.Errorf("IsPhone(%q) but not when bare numbers are allowed", s)
		}
		if IsPhone(s) && IsIPAddress(s) {
			t.Errorf("%q is both a phone number and an IP address", s)
		}
	})
}

func FuzzPersonal(f *testing.F) {
	for _, s := range []string{"Sarah Miller", "Dr. Dubois", "221B Baker Street", "Hauptstraße 5", "1984-03-12",
		"March 3, 1984", "diabetes and chest pain", "Ärztin Müller-Lüdenscheidt", "\xff\xfe"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if IsPersonName(s) && strings.ContainsAny(s, "0123456789") {
			t.Errorf("IsPersonName(%q) with digits", s)
		}
		if IsPostalAddress(s) && !strings.ContainsAny(s, "0123456789") {
			t.Errorf("IsPostalAddress(%q) without a number", s)
		}
		if n := HealthTerms(s); n < 0 || n > len(s) {
			t.Errorf("HealthTerms(%q) = %d", s, n)
		}
		if d, ok := ParseDate(s); ok && IsBirthdate(s, now) && d.After(now) {
			t.Errorf("IsBirthdate(%q) for a future date", s)
		}
	})
}

func FuzzClassifyColumn(f *testing.F) {
	f.Add("ssn", "123-45-6789\n666-12-3456\n\nNULL")
	f.Add("dob", "1984-03-12\n2001-01-01")
	f.Add("notes", "asthma\nfever\nsalbutamol")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, name, values string) {
		samples := strings.Split(values, "\n")
		for _, m := range ClassifyColumn(name, samples) {
			if m.Confidence <= 0 || m.Confidence > 1 || m.Hits <= 0 || m.Hits > m.Sampled || m.Sampled > len(samples) {
				t.Errorf("ClassifyColumn(%q, %q): inconsistent %+v", name, samples, m)
			}
		}
	})
}

func FuzzScanText(f *testing.F) {
	f.Add("From: Sarah Miller <sarah@example.org>\nSSN 123-45-6789, born 1984-03-12, MRN 0012345")
	f.Add("GB82 WEST 1234 5698 7654 32 4111 1111 1111 1111 +33 1 23 45 67 89")
	f.Add("1.2.3.4.5 ::1 E11.9 ICD E119")
	f.Fuzz(func(t *testing.T, text string) {
		hits := ScanText(text)
		for c, n := range hits {
			if n <= 0 {
				t.Errorf("ScanText: %s = %d", c, n)
			}
		}
		for _, m := range ClassifyText(text) {
			if m.Hits != hits[m.Category] || m.Confidence <= 0 || m.Confidence > 1 || m.Hits > m.Sampled {
				t.Errorf("ClassifyText(%q): inconsistent %+v (ScanText %v)", text, m, hits)
			}
		}
	})
}

func FuzzFingerprint(f *testing.F) {
	for _, s := range []string{"GB82 WEST 1234 5698 7654 32", "1-.2", "Ｓａｒａｈ", "İstanbul", "", "\xff"} {
		f.Add(s)
	}
	salt := []byte("fuzz salt 16 byt")
	f.Fuzz(func(t *testing.T, s string) {
		fp := Fingerprint(salt, s)
		if len(fp) != 64 || fp != Fingerprint(salt, s) {
			t.Errorf("Fingerprint(%q) = %q", s, fp)
		}
		if n := Normalise(s); utf8.ValidString(s) && Fingerprint(salt, n) != fp {
			t.Errorf("Fingerprint(Normalise(%q)) ≠ Fingerprint(%q): Normalise gives %q then %q", s, s, n, Normalise(n))
		}
	})
}
