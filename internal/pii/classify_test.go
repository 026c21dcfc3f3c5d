package pii

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func repeat(vs []string, n int) []string {
	var out []string
	for len(out) < n {
		out = append(out, vs...)
	}
	return out[:n]
}

func categories(ms []Match) []Category {
	var out []Category
	for _, m := range ms {
		out = append(out, m.Category)
	}
	slices.Sort(out)
	return out
}

func TestClassifyColumn(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	births := []string{"1951-04-02", "1987-11-23", "2003-06-30", "1969-01-15", "1978-09-09", "1940-12-01", "1995-03-03", "2015-07-21"}
	visits := []string{"2025-04-02", "2024-11-23", "2023-06-30", "2025-01-15", "2022-09-09", "2021-12-01", "2025-03-03", "2020-07-21"}
	tests := []struct {
		name    string
		column  string
		samples []string
		want    []Category
	}{
		{"ssn by value", "ref", repeat([]string{"123-45-6789", "555-12-3456", "001-01-0001"}, 30), []Category{NationalID}},
		{"bare ssn needs the name", "ref", repeat([]string{"123456789", "555123456"}, 30), nil},
		{"bare ssn under its name", "ssn", repeat([]string{"123456789", "555123456"}, 30), []Category{NationalID}},
		{"decoy ssns under the name", "ssn", repeat([]string{"666-12-3456", "912-34-5678", "000-12-3456"}, 30), nil},
		{"iban", "payout", repeat([]string{"GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"}, 30), []Category{IBAN}},
		{"decoy ibans", "iban", repeat([]string{"GB83 WEST 1234 5698 7654 32", "DE89370400440532013001"}, 30), nil},
		{"cards", "pan", repeat([]string{"4111 1111 1111 1111", "5555555555554444", "378282246310005"}, 30), []Category{PaymentCard}},
		{"decoy cards", "card_number", repeat([]string{"4111 1111 1111 1112", "5555555555554445"}, 30), nil},
		{"mrn under its name", "mrn", repeat([]string{"MRN-0012345", "MRN-0012346"}, 30), []Category{MedicalRecord}},
		{"mrn-like values without the name", "ref", repeat([]string{"MRN-0012345", "MRN-0012346"}, 30), nil},
		{"birth dates by spread", "d1", repeat(births, 40), []Category{Birthdate}},
		{"visit dates are not birth dates", "d1", repeat(visits, 40), nil},
		{"visit dates under a birth name", "dob", repeat(visits, 40), []Category{Birthdate}},
		{"diagnoses", "code", repeat([]string{"E11.9", "I10", "J45.909", "F32.9"}, 40), []Category{Diagnosis}},
		{"room numbers are not diagnoses", "room", repeat([]string{"A12", "B03", "C17", "D02"}, 40), nil},
		{"one-letter record numbers are not diagnoses", "ref", repeat([]string{"P012345", "P012346"}, 40), nil},
		{"health notes", "notes", repeat([]string{"Asthma, uses salbutamol", "Type 2 diabetes on metformin", "Follow-up"}, 30), []Category{Health}},
		{"names", "who", repeat([]string{"Sarah Miller", "Jean Dupont", "Klaus Weber"}, 30), []Category{Name}},
		{"product names under name", "name", repeat([]string{"Nitrile gloves", "Gauze pads"}, 30), nil},
		{"emails", "contact", repeat([]string{"ana@example.org", "b.c@example.co.uk"}, 30), []Category{Email}},
		{"phones", "contact_number", repeat([]string{"+33 1 23 45 67 89", "020 7946 0018"}, 30), []Category{Phone}},
		{"addresses", "home", repeat([]string{"12 rue de la Paix, 75002 Paris", "221B Baker Street, London"}, 30), []Category{Address}},
		{"ip addresses", "last_seen", repeat([]string{"192.0.2.10", "2001:db8::1"}, 30), []Category{IPAddress}},
		{"versions are not ip addresses", "version", repeat([]string{"2.14.3", "1.0.7"}, 30), nil},
		{"amounts", "total", repeat([]string{"123.45", "9.99"}, 30), nil},
		{"uuids", "id", repeat([]string{"9eca6f7b-6eae-4d3b-a722-46354f1d591a"}, 30), nil},
		{"empty column", "ssn", []string{"", " ", "NULL", "n/a"}, nil},
		{"no samples", "email", nil, nil},
		{"mostly junk under a name", "email", append(repeat([]string{"unknown"}, 80), repeat([]string{"ana@example.org"}, 20)...), nil},
		{"a share above the hint threshold", "email", append(repeat([]string{"unknown"}, 60), repeat([]string{"ana@example.org"}, 40)...), []Category{Email}},
		{"the same share without the name", "contact", append(repeat([]string{"unknown"}, 60), repeat([]string{"ana@example.org"}, 40)...), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classifyColumn(tt.column, tt.samples, now)
			if !slices.Equal(categories(got), tt.want) {
				t.Errorf("classifyColumn(%q, …) = %v, want %v", tt.column, got, tt.want)
			}
			for _, m := range got {
				if m.Confidence <= 0 || m.Confidence > 1 || m.Hits > m.Sampled {
					t.Errorf("inconsistent match %+v", m)
				}
			}
		})
	}
}

func TestClassifyColumnConfidence(t *testing.T) {
	vals := repeat([]string{"ana@example.org", "ana@example.org", "ana@example.org", "unknown"}, 100)
	named := ClassifyColumn("email", vals)
	unnamed := ClassifyColumn("c7", vals)
	if len(named) != 1 || len(unnamed) != 1 {
		t.Fatalf("got %v and %v", named, unnamed)
	}
	if unnamed[0].Confidence != 0.75 || unnamed[0].Hits != 75 || unnamed[0].Sampled != 100 {
		t.Errorf("unnamed column: %+v, want confidence 0.75, 75 of 100", unnamed[0])
	}
	if named[0].Confidence != 0.75+hintBonus {
		t.Errorf("named column: confidence %v, want %v", named[0].Confidence, 0.75+hintBonus)
	}
}

func TestClassifyColumnMaxSamples(t *testing.T) {
	vals := append(repeat([]string{"unknown"}, MaxSamples), repeat([]string{"ana@example.org"}, 3*MaxSamples)...)
	if got := ClassifyColumn("contact", vals); got != nil {
		t.Errorf("values beyond MaxSamples were examined: %v", got)
	}
}

func TestHinted(t *testing.T) {
	tests := []struct {
		column string
		want   Category
		in     bool
	}{
		{"date_of_birth", Birthdate, true},
		{"DateOfBirth", Birthdate, true},
		{"patientDOB", Birthdate, true},
		{"first_name", Name, true},
		{"product_name", Name, false},
		{"MedRecNo", MedicalRecord, true},
		{"social_security_no", NationalID, true},
		{"e-mail", Email, true},
		{"client_ip", IPAddress, true},
		{"ship", IPAddress, false},
		{"description", Name, false},
	}
	for _, tt := range tests {
		if got := hinted(tt.column)[tt.want]; got != tt.in {
			t.Errorf("hinted(%q)[%s] = %v, want %v", tt.column, tt.want, got, tt.in)
		}
	}
}

func TestScanText(t *testing.T) {
	text := `From: Sarah Miller <sarah.miller@example.org>
Date of birth: 12/03/1984. SSN 123-45-6789, NIR 2 53 07 2A 073 004 43, NI number AB 12 34 56 C,
Steuer-ID 86095742719. Pay to GB82 WEST 1234 5698 7654 32 or card 4111 1111 1111 1111.
MRN: MRN-0045821. Diagnosis: E11.9, type 2 diabetes treated with metformin.
Call +33 1 23 45 67 89. Lives at 221B Baker Street, London. Logged in from 192.0.2.10.`
	got := ScanText(text)
	want := map[Category]int{Name: 1, Email: 1, Birthdate: 1, NationalID: 4, IBAN: 1, PaymentCard: 1,
		MedicalRecord: 1, Diagnosis: 1, Health: 2, Phone: 1, Address: 1, IPAddress: 1}
	for _, c := range Categories() {
		if got[c] != want[c] {
			t.Errorf("ScanText: %s = %d, want %d (all: %v)", c, got[c], want[c], got)
		}
	}
}

func TestScanTextDecoys(t *testing.T) {
	// Every identifier here fails its checksum or structural rules, and the
	// weak forms lack the words that would admit them.
	decoys := `Test card 4111 1111 1111 1112 and 5555-5555-5555-4445; IBAN GB83 WEST 1234 5698 7654 32;
SSN 666-12-3456 and 912-34-5678; NIR 2 53 07 2A 073 004 44; NI number QQ 12 34 56 C;
Steuer-ID 86095742718. Order 123456789 shipped on 12/03/1984 to room A12, ticket 00012345,
version 1.2.3.4.5, meeting at 10:30:00.`
	if got := ScanText(decoys); len(got) != 0 {
		t.Errorf("ScanText(decoys) = %v, want nothing", got)
	}
	if got := ClassifyText(decoys); len(got) != 0 {
		t.Errorf("ClassifyText(decoys) = %v, want nothing", got)
	}
}

func TestScanTextContext(t *testing.T) {
	tests := []struct {
		text string
		cat  Category
		want int
	}{
		{"born on 1984-03-12", Birthdate, 1},
		{"born on 2999-03-12", Birthdate, 0},
		{"reborn on 1984-03-12", Birthdate, 0},
		{"TIN: 86095742719", NationalID, 1},
		{"meeting 86095742719", NationalID, 0},
		{"invoiced on 1984-03-12", Birthdate, 0},
		{"SSN: 123456789", NationalID, 1},
		{"order 123456789", NationalID, 0},
		{"IdNr 86095742719", NationalID, 1},
		{"ref 86095742719", NationalID, 0},
		{"ICD code E119", Diagnosis, 1},
		{"part E119", Diagnosis, 0},
		{"medical record number 00123456", MedicalRecord, 1},
		{"ticket 00123456", MedicalRecord, 0},
	}
	for _, tt := range tests {
		if got := ScanText(tt.text)[tt.cat]; got != tt.want {
			t.Errorf("ScanText(%q)[%s] = %d, want %d", tt.text, tt.cat, got, tt.want)
		}
	}
}

func TestScanTextCap(t *testing.T) {
	text := strings.Repeat(" ", 100) + "ana@example.org"
	if got, _ := scanText(text, 100); got[Email] != 0 {
		t.Errorf("a value after the limit was counted: %v", got)
	}
	if got, _ := scanText(text, 200); got[Email] != 1 {
		t.Errorf("a value before the limit was not counted: %v", got)
	}
}

func TestClassifyText(t *testing.T) {
	got := ClassifyText("Contact ana@example.org or ben@example.org; the meeting is at 10:30.")
	if len(got) != 1 || got[0].Category != Email || got[0].Hits != 2 || got[0].Confidence != 1 {
		t.Errorf("ClassifyText = %+v, want e-mail, 2 hits, confidence 1", got)
	}
	if got := ClassifyText("Nothing personal: gloves, gauze, 12 boxes."); got != nil {
		t.Errorf("ClassifyText(neutral) = %v, want nil", got)
	}
}

func TestClassifyRecords(t *testing.T) {
	recs := [][]string{{"name", "email", "sku"}}
	for range 20 {
		recs = append(recs, []string{"Sarah Miller", "sarah@example.org", "PRD-00012"})
	}
	recs = append(recs, []string{"short row"})
	if got := categories(ClassifyRecords(recs)); !slices.Equal(got, []Category{Email, Name}) {
		t.Errorf("ClassifyRecords = %v, want [email name]", got)
	}
	if got := ClassifyRecords(nil); got != nil {
		t.Errorf("ClassifyRecords(nil) = %v", got)
	}
	if got := ClassifyRecords([][]string{{"sku"}, {"PRD-1"}}); got != nil {
		t.Errorf("ClassifyRecords(non-personal) = %v", got)
	}
}

func TestFingerprint(t *testing.T) {
	salt := []byte("0123456789abcdef")
	same := [][2]string{
		{"GB82 WEST 1234 5698 7654 32", "gb82west12345698765432"},
		{"123-45-6789", "123456789"},
		{"+33 1 23 45 67 89", "+33123456789"},
		{" Ana@Example.org ", "ana@example.org"},
		{"Ｓａｒａｈ", "sarah"}, // NFKC folds full-width letters
		{"12.03.1984", "12031984"},
	}
	for _, p := range same {
		if Fingerprint(salt, p[0]) != Fingerprint(salt, p[1]) {
			t.Errorf("Fingerprint(%q) ≠ Fingerprint(%q)", p[0], p[1])
		}
	}
	if Fingerprint(salt, "jo.ann@x.org") == Fingerprint(salt, "joann@x.org") {
		t.Error("dots between letters were dropped")
	}
	f := Fingerprint(salt, "123-45-6789")
	if f == Fingerprint([]byte("another salt...."), "123-45-6789") {
		t.Error("the salt does not change the fingerprint")
	}
	// HMAC-SHA256 of "123456789" keyed with the salt, computed independently:
	// printf 123456789 | openssl dgst -sha256 -hmac 0123456789abcdef
	if want := "181026c91c79ab53a522713bb5b2e5751d769fe3ad6f346ab418b304aa7b0708"; f != want {
		t.Errorf("Fingerprint = %s, want %s", f, want)
	}
}

func TestScanTextCaseChangesLength(t *testing.T) {
	// "ẞ" is 3 bytes and its lower case "ß" 2: offsets into a lower-cased
	// copy of the text would not be offsets into the text.
	text := strings.Repeat("ẞ", 100) + " born 1984-03-12, İİİ DOB 12/03/1984"
	if got := ScanText(text)[Birthdate]; got != 2 {
		t.Errorf("ScanText found %d birth dates, want 2", got)
	}
}
