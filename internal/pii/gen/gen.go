// Package gen generates realistic synthetic clinic data with its ground
// truth, to measure how well package pii finds personal data.
//
// Clinic(seed, n) returns tables (patients, visits, invoices, staff,
// inventory and a "legacy_import" table of decoys), CSV and plain-text files
// (exports, referral letters, e-mails, access logs, notes), and for every
// column and file the set of categories it truly holds. The output depends
// only on the seed (math/rand/v2's PCG). Identifiers with checksums are
// computed here from their specifications; decoys are identifiers that look
// right but fail their checksum or structural rules (SSN areas 666 and
// 900–999, IBANs with a wrong mod 97, cards failing Luhn, NIRs with a wrong
// key, unallocated NINO prefixes, Steuer-IDs with a wrong check digit).
// No value is a real person's data beyond common names.
package gen

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/pii"
)

// Reference returns the date the generated data is "as of": birth dates, visits
// and invoices lie before it.
func Reference() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// Table is a generated table: named columns and rows of values ("" is
// NULL).
type Table struct {
	Name    string
	Columns []string
	Rows    [][]string
}

// Column returns the values of column c.
func (t Table) Column(c int) []string {
	out := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		out[i] = r[c]
	}
	return out
}

// File is a generated file: a path relative to the data set's root and its
// content. Kind is "csv" or "text".
type File struct {
	Path    string
	Kind    string
	Content string
}

// Dataset is one generated clinic.
type Dataset struct {
	Tables []Table
	Files  []File
	// Truth holds, for every "table.column" and every file path, the
	// categories it truly holds (empty for non-personal data and decoys).
	Truth map[string][]pii.Category
}

// patient is one generated person.
type patient struct {
	loc                    locale
	given, surname         string
	sex                    int
	birth                  time.Time
	email, phone, address  string
	ssn, nir, nino, steuer string
	iban, card, mrn, ip    string
	allergy                string
}

// style is the set of formatting choices of one data set: real systems
// each store values their own way.
type style struct {
	dateLayout  string
	phoneIntl   bool
	phoneBare   bool
	ibanSpaced  bool
	cardSpaced  bool
	ssnBare     bool
	nirSpaced   bool
	mrnFormat   string
	icdNoDot    bool
	junkRate    float64
	ipv6Share   float64
	nullOptRate float64
}

type gen struct {
	r  *rand.Rand
	st style
	ds *Dataset
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// Clinic generates a clinic of n patients (at least 20) from seed.
func Clinic(seed uint64, n int) *Dataset {
	n = max(n, 20)
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), ds: &Dataset{Truth: map[string][]pii.Category{}}}
	g.st = style{
		dateLayout:  g.pick([]string{"2006-01-02", "2006-01-02", "02/01/2006", "01/02/2006", "02.01.2006"}),
		phoneIntl:   g.r.IntN(2) == 0,
		phoneBare:   g.r.IntN(10) == 0,
		ibanSpaced:  g.r.IntN(2) == 0,
		cardSpaced:  g.r.IntN(2) == 0,
		ssnBare:     g.r.IntN(4) == 0,
		nirSpaced:   g.r.IntN(2) == 0,
		mrnFormat:   g.pick([]string{"MRN-%07d", "%08d", "H%07d", "P%06d"}),
		icdNoDot:    g.r.IntN(5) == 0,
		junkRate:    g.r.Float64() * 0.08,
		ipv6Share:   g.r.Float64() * 0.3,
		nullOptRate: 0.2 + g.r.Float64()*0.4,
	}
	ps := make([]patient, n)
	for i := range ps {
		ps[i] = g.patient(i)
	}
	g.patients(ps)
	g.visits(ps)
	g.invoices(ps)
	g.staff()
	g.inventory()
	g.legacy(ps)
	g.files(ps)
	return g.ds
}

func (g *gen) patient(i int) patient {
	loc := locales[g.r.IntN(len(locales))]
	p := patient{loc: loc, given: g.pick(loc.given), surname: g.pick(loc.surnames), sex: 1 + g.r.IntN(2)}
	p.birth = Reference().AddDate(-g.r.IntN(95), -g.r.IntN(12), -g.r.IntN(28)-1)
	p.email = g.email(p.given, p.surname)
	p.phone = g.phone(loc.country, g.st.phoneIntl, g.st.phoneBare)
	p.address = g.address(loc)
	switch loc.country {
	case "US":
		p.ssn = ssn(g.r)
		if g.st.ssnBare {
			p.ssn = strings.ReplaceAll(p.ssn, "-", "")
		}
	case "FR":
		p.nir = nir(g.r, p.sex, p.birth.Year(), int(p.birth.Month()))
		if !g.st.nirSpaced {
			p.nir = strings.ReplaceAll(p.nir, " ", "")
		}
	case "GB":
		p.nino = nino(g.r)
	case "DE":
		p.steuer = steuerID(g.r)
		if g.r.IntN(3) == 0 {
			p.steuer = p.steuer[:2] + " " + p.steuer[2:5] + " " + p.steuer[5:8] + " " + p.steuer[8:]
		}
	}
	ibanCountry := map[string]string{"US": g.pick([]string{"DE", "FR", "NL"}), "FR": "FR", "GB": "GB", "DE": "DE"}[loc.country]
	p.iban = iban(g.r, ibanCountry, g.st.ibanSpaced)
	p.card = card(g.r, g.st.cardSpaced)
	p.mrn = fmt.Sprintf(g.st.mrnFormat, 10000+i*37+g.r.IntN(30))
	p.ip = g.ip()
	if g.r.IntN(3) == 0 {
		p.allergy = g.allergy()
	}
	return p
}

func ascii(s string) string {
	r := strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ê", "e", "à", "a", "ç", "c", "ô", "o", "ï", "i",
		"ü", "ue", "ö", "oe", "ä", "ae", "ß", "ss", " ", "", "'", "", "É", "E", "Ü", "Ue", "Ö", "Oe")
	return strings.ToLower(r.Replace(s))
}

func (g *gen) email(given, surname string) string {
	domains := []string{"example.com", "example.org", "mail.example.net", "example.fr", "example.de", "example.co.uk"}
	d := g.pick(domains)
	switch g.r.IntN(4) {
	case 0:
		return ascii(given) + "." + ascii(surname) + "@" + d
	case 1:
		return ascii(given)[:1] + ascii(surname) + "@" + d
	case 2:
		return ascii(given) + "_" + ascii(surname) + fmt.Sprint(g.r.IntN(100)) + "@" + d
	}
	return ascii(surname) + "." + ascii(given) + "@" + d
}

func (g *gen) digits(n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

// phone formats a number of a country, in its international or national
// form; bare drops the separators of national numbers.
func (g *gen) phone(country string, intl, bare bool) string {
	var s string
	switch country {
	case "US":
		a, x, l := fmt.Sprint(200+g.r.IntN(800)), fmt.Sprint(200+g.r.IntN(800)), g.digits(4)
		switch {
		case intl:
			s = "+1 " + a + "-" + x + "-" + l
		case bare:
			s = a + x + l
		case g.r.IntN(2) == 0:
			s = "(" + a + ") " + x + "-" + l
		default:
			s = a + "-" + x + "-" + l
		}
	case "FR":
		d := fmt.Sprint(1+g.r.IntN(7)) + g.digits(8)
		switch {
		case intl:
			s = "+33 " + d[:1] + " " + d[1:3] + " " + d[3:5] + " " + d[5:7] + " " + d[7:]
		case bare:
			s = "0" + d
		default:
			s = "0" + d[:1] + " " + d[1:3] + " " + d[3:5] + " " + d[5:7] + " " + d[7:]
		}
	case "GB":
		d := g.pick([]string{"20", "113", "117", "161", "7700"}) + g.digits(6)
		for len(d) < 10 {
			d += g.digits(1)
		}
		area := d[:len(d)-7]
		if strings.HasPrefix(d, "7700") {
			area = d[:4]
		}
		switch {
		case intl:
			s = "+44 " + area + " " + d[len(area):]
		case bare:
			s = "0" + d
		default:
			s = "0" + area + " " + d[len(area):]
		}
	default:
		area := g.pick([]string{"30", "89", "40", "221", "69", "711", "151"})
		num := g.digits(7 - len(area)%2)
		switch {
		case intl:
			s = "+49 " + area + " " + num
		case bare:
			s = "0" + area + num
		default:
			s = "0" + area + g.pick([]string{" ", "/", "-"}) + num
		}
	}
	return s
}

func (g *gen) address(loc locale) string {
	n := 1 + g.r.IntN(250)
	switch loc.country {
	case "US":
		return fmt.Sprintf("%d %s %s, %s", n*4+g.r.IntN(4), g.pick(loc.streets), g.pick([]string{"Street", "Avenue", "Drive", "Road", "Lane", "Ct", "Blvd"}), g.pick(loc.towns))
	case "FR":
		suffix := ""
		if g.r.IntN(10) == 0 {
			suffix = " bis"
		}
		return fmt.Sprintf("%d%s %s, %s", n%120+1, suffix, g.pick(loc.streets), g.pick(loc.towns))
	case "GB":
		return fmt.Sprintf("%d %s, %s", n%200+1, g.pick(loc.streets), g.pick(loc.towns))
	}
	return fmt.Sprintf("%s %d, %s", g.pick(loc.streets), n%90+1, g.pick(loc.towns))
}

func (g *gen) ip() string {
	if g.r.Float64() < g.st.ipv6Share {
		return fmt.Sprintf("2001:db8:%x:%x::%x", g.r.IntN(0xffff), g.r.IntN(0xffff), 1+g.r.IntN(0xfff))
	}
	switch g.r.IntN(3) {
	case 0:
		return fmt.Sprintf("192.168.%d.%d", g.r.IntN(255), 1+g.r.IntN(254))
	case 1:
		return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(255), g.r.IntN(255), 1+g.r.IntN(254))
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(222), g.r.IntN(255), g.r.IntN(255), 1+g.r.IntN(254))
}

func (g *gen) allergy() string {
	return g.pick([]string{"Allergic to penicillin", "Asthma, uses salbutamol inhaler", "Type 2 diabetes on metformin",
		"Latex allergy", "Hypertension", "Pregnant, 24 weeks", "Epilepsy, on lamotrigine", "Nut allergy (anaphylaxis)",
		"Depression, sertraline 50 mg", "Coeliac disease"})
}

// note returns a visit note, and whether it names a condition, symptom or
// medication (one in ten does not).
func (g *gen) note() (string, bool) {
	if g.r.IntN(10) == 0 {
		return g.pick(neutral), false
	}
	return g.clinicalNote(), true
}

func (g *gen) clinicalNote() string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("Presents with %s for %d days. Likely %s; started %s %d mg.", g.pick(symptoms), 2+g.r.IntN(12), g.pick(conditions), g.pick(medications), 5*(1+g.r.IntN(100)))
	case 1:
		return fmt.Sprintf("Review of %s. Continues %s. BP %d/%d.", g.pick(conditions), g.pick(medications), 110+g.r.IntN(50), 70+g.r.IntN(30))
	case 2:
		return fmt.Sprintf("Complains of %s and %s. Advised rest; %s as needed.", g.pick(symptoms), g.pick(symptoms), g.pick(medications))
	}
	return fmt.Sprintf("Known %s. Referred to specialist.", g.pick(conditions))
}

func (g *gen) date(t time.Time) string { return t.Format(g.st.dateLayout) }

// column is one generated column: its name and its truth; val makes row i.
type column struct {
	names []string
	truth []pii.Category
	val   func(i int) string
	// optional columns are NULL in a share of rows.
	optional bool
}

// table adds a table of n rows from its columns; positive columns get a
// share of junk values, as real data has.
func (g *gen) table(name string, n int, cols []column) Table {
	t := Table{Name: name}
	used := map[string]bool{}
	for _, c := range cols {
		cn := g.pick(c.names)
		for used[cn] {
			cn += "2"
		}
		used[cn] = true
		t.Columns = append(t.Columns, cn)
		g.ds.Truth[name+"."+cn] = c.truth
	}
	for i := range n {
		row := make([]string, len(cols))
		for j, c := range cols {
			v := c.val(i)
			switch {
			case v == "":
			case c.optional && g.r.Float64() < g.st.nullOptRate:
				v = ""
			case len(c.truth) > 0 && g.r.Float64() < g.st.junkRate:
				v = g.pick(junk)
			}
			row[j] = v
		}
		t.Rows = append(t.Rows, row)
	}
	g.ds.Tables = append(g.ds.Tables, t)
	return t
}

func cats(cs ...pii.Category) []pii.Category { return cs }

func (g *gen) patients(ps []patient) {
	cols := g.patientColumns(ps)
	g.table("patients", len(ps), cols)
}

func (g *gen) patientColumns(ps []patient) []column {
	return []column{
		{names: []string{"id", "patient_id", "pid"}, val: func(i int) string { return fmt.Sprint(i + 1) }},
		{names: []string{"mrn", "medical_record_number", "chart_no", "dossier_medical", "patient_number", "MedRecNo"}, truth: cats(pii.MedicalRecord), val: func(i int) string { return ps[i].mrn }},
		{names: []string{"first_name", "given_name", "prenom", "Vorname", "fname", "firstName"}, truth: cats(pii.Name), val: func(i int) string { return ps[i].given }},
		{names: []string{"last_name", "surname", "nom", "Nachname", "lname", "family_name"}, truth: cats(pii.Name), val: func(i int) string { return ps[i].surname }},
		{names: []string{"email", "e_mail", "courriel", "contact", "EmailAddress", "mail"}, truth: cats(pii.Email), val: func(i int) string { return ps[i].email }, optional: true},
		{names: []string{"phone", "telephone", "mobile", "tel", "contact_number", "Telefon"}, truth: cats(pii.Phone), val: func(i int) string { return ps[i].phone }, optional: true},
		{names: []string{"address", "street_address", "adresse", "Anschrift", "home", "addr_line1"}, truth: cats(pii.Address), val: func(i int) string { return ps[i].address }},
		{names: []string{"date_of_birth", "dob", "birthdate", "geburtsdatum", "date_naissance", "bdate", "born"}, truth: cats(pii.Birthdate), val: func(i int) string { return g.date(ps[i].birth) }},
		{names: []string{"sex", "gender"}, val: func(i int) string { return []string{"", "M", "F"}[ps[i].sex] }},
		{names: []string{"ssn", "social_security_no", "national_id", "ssn_number", "tax_ref"}, truth: cats(pii.NationalID), val: func(i int) string { return ps[i].ssn }},
		{names: []string{"nir", "numero_secu", "insee", "secu_no", "num_ss"}, truth: cats(pii.NationalID), val: func(i int) string { return ps[i].nir }},
		{names: []string{"nino", "ni_number", "national_insurance_no", "nat_ins"}, truth: cats(pii.NationalID), val: func(i int) string { return ps[i].nino }},
		{names: []string{"steuer_id", "idnr", "steuerid", "tin", "tax_identifier"}, truth: cats(pii.NationalID), val: func(i int) string { return ps[i].steuer }},
		{names: []string{"iban", "bank_account", "rib", "account_iban", "payout_account"}, truth: cats(pii.IBAN), val: func(i int) string { return ps[i].iban }, optional: true},
		{names: []string{"card_number", "cc_number", "pan", "credit_card", "payment_card", "card_no"}, truth: cats(pii.PaymentCard), val: func(i int) string { return ps[i].card }, optional: true},
		{names: []string{"insurer", "insurance", "payer"}, val: func(int) string { return g.pick(insurers) }},
		{names: []string{"allergies", "medical_notes", "conditions", "health_notes", "remarks"}, truth: cats(pii.Health), val: func(i int) string { return ps[i].allergy }},
		{names: []string{"last_login_ip", "ip_address", "client_ip", "last_seen_from", "remote_addr"}, truth: cats(pii.IPAddress), val: func(i int) string { return ps[i].ip }, optional: true},
		{names: []string{"created_at", "registered", "updated_at"}, val: func(int) string {
			return Reference().Add(-time.Duration(g.r.IntN(3*365*24)) * time.Hour).Format("2006-01-02 15:04:05")
		}},
	}
}

func (g *gen) visits(ps []patient) {
	n := len(ps) * 2
	who := make([]int, n)
	for i := range who {
		who[i] = g.r.IntN(len(ps))
	}
	clinicians := make([]string, 6)
	for i := range clinicians {
		loc := locales[g.r.IntN(len(locales))]
		clinicians[i] = g.pick([]string{"Dr. ", "Dr ", ""}) + g.pick(loc.given) + " " + g.pick(loc.surnames)
	}
	g.table("visits", n, []column{
		{names: []string{"id", "visit_id"}, val: func(i int) string { return fmt.Sprint(i + 1) }},
		{names: []string{"patient_id", "patient"}, val: func(i int) string { return fmt.Sprint(who[i] + 1) }},
		{names: []string{"visit_date", "seen_on", "date"}, val: func(int) string { return g.date(Reference().AddDate(0, 0, -g.r.IntN(8*365))) }},
		{names: []string{"icd10", "diagnosis_code", "dx", "cim10", "code", "primary_dx"}, truth: cats(pii.Diagnosis), val: func(int) string {
			c := g.pick(icd10)
			if g.st.icdNoDot {
				c = strings.ReplaceAll(c, ".", "")
			}
			return c
		}},
		{names: []string{"notes", "observations", "comment", "soap_note", "clinical_notes"}, truth: cats(pii.Health), val: func(int) string { n, _ := g.note(); return n }},
		{names: []string{"practitioner", "doctor", "seen_by", "clinician"}, truth: cats(pii.Name), val: func(int) string { return g.pick(clinicians) }},
		{names: []string{"room", "location", "bay"}, val: func(int) string { return fmt.Sprintf("%c%02d", 'A'+g.r.IntN(4), 1+g.r.IntN(20)) }},
	})
}

func (g *gen) invoices(ps []patient) {
	n := len(ps) + len(ps)/2
	who := make([]int, n)
	for i := range who {
		who[i] = g.r.IntN(len(ps))
	}
	g.table("invoices", n, []column{
		{names: []string{"id", "invoice_id"}, val: func(i int) string { return fmt.Sprint(i + 1) }},
		{names: []string{"invoice_no", "number", "reference"}, val: func(i int) string { return fmt.Sprintf("INV-%d-%06d", 2020+g.r.IntN(6), i+1) }},
		{names: []string{"patient_id", "patient"}, val: func(i int) string { return fmt.Sprint(who[i] + 1) }},
		{names: []string{"issued_on", "invoice_date", "date"}, val: func(int) string { return g.date(Reference().AddDate(0, 0, -g.r.IntN(6*365))) }},
		{names: []string{"amount", "total", "amount_due"}, val: func(int) string { return fmt.Sprintf("%d.%02d", 10+g.r.IntN(900), g.r.IntN(100)) }},
		{names: []string{"currency"}, val: func(int) string { return g.pick([]string{"EUR", "USD", "GBP"}) }},
		{names: []string{"product_code", "item_code", "sku"}, val: func(int) string { return fmt.Sprintf("PRD-%05d", g.r.IntN(100000)) }},
		{names: []string{"line_uuid", "uuid", "guid"}, val: func(int) string { return g.uuid() }},
		{names: []string{"payer_name", "billed_to", "account_holder"}, truth: cats(pii.Name), val: func(i int) string { return ps[who[i]].given + " " + ps[who[i]].surname }},
		{names: []string{"billing_address", "bill_to_address", "invoice_address"}, truth: cats(pii.Address), val: func(i int) string { return ps[who[i]].address }},
		{names: []string{"paid_from_iban", "debtor_account", "payer_iban"}, truth: cats(pii.IBAN), val: func(i int) string { return ps[who[i]].iban }, optional: true},
		{names: []string{"card_masked", "card_hint", "card_last4"}, val: func(int) string { return "**** **** **** " + g.digits(4) }},
		{names: []string{"status", "state"}, val: func(int) string { return g.pick(statuses) }},
	})
}

func (g *gen) uuid() string {
	h := fmt.Sprintf("%016x%016x", g.r.Uint64(), g.r.Uint64())
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

func (g *gen) staff() {
	n := 8 + g.r.IntN(20)
	people := make([][2]string, n)
	for i := range people {
		loc := locales[g.r.IntN(len(locales))]
		people[i] = [2]string{g.pick(loc.given), g.pick(loc.surnames)}
	}
	g.table("staff", n, []column{
		{names: []string{"id", "staff_id"}, val: func(i int) string { return fmt.Sprint(i + 1) }},
		{names: []string{"display_name", "full_name", "name", "staff_name"}, truth: cats(pii.Name), val: func(i int) string { return people[i][0] + " " + people[i][1] }},
		{names: []string{"work_email", "email", "login"}, truth: cats(pii.Email), val: func(i int) string {
			return ascii(people[i][0])[:1] + ascii(people[i][1]) + "@clinic.example"
		}},
		{names: []string{"role", "position"}, val: func(int) string { return g.pick(roles) }},
		{names: []string{"hired_on", "start_date", "since"}, val: func(int) string { return g.date(Reference().AddDate(-g.r.IntN(25), -g.r.IntN(12), 0)) }},
		{names: []string{"workstation_ip", "desk_ip", "host_addr"}, truth: cats(pii.IPAddress), val: func(int) string { return g.ip() }},
		{names: []string{"extension", "ext"}, val: func(int) string { return fmt.Sprint(100 + g.r.IntN(900)) }},
	})
}

func (g *gen) inventory() {
	n := 30 + g.r.IntN(40)
	g.table("inventory", n, []column{
		{names: []string{"sku", "item_id"}, val: func(int) string { return g.uuid() }},
		{names: []string{"name", "product_name", "description"}, val: func(int) string { return g.pick(products) }},
		{names: []string{"supplier", "vendor"}, val: func(int) string { return g.pick(suppliers) }},
		{names: []string{"unit_price", "price"}, val: func(int) string { return fmt.Sprintf("%d.%02d", g.r.IntN(200), g.r.IntN(100)) }},
		{names: []string{"quantity", "qty", "stock"}, val: func(int) string { return fmt.Sprint(g.r.IntN(500)) }},
		{names: []string{"reorder_ref", "supplier_ref", "po_number"}, val: func(int) string { return "4" + g.digits(15) }},
		{names: []string{"app_version", "firmware"}, val: func(int) string { return fmt.Sprintf("%d.%d.%d", 1+g.r.IntN(5), g.r.IntN(20), g.r.IntN(30)) }},
		{names: []string{"lot", "batch"}, val: func(int) string { return g.digits(9) }},
	})
}

// legacy is a table of decoys: every value looks like an identifier and
// fails its checksum or structural rules.
func (g *gen) legacy(ps []patient) {
	n := len(ps)
	g.table("legacy_import", n, []column{
		{names: []string{"id", "import_id"}, val: func(i int) string { return fmt.Sprint(i + 1) }},
		{names: []string{"ssn_old", "ssn_test", "legacy_ssn"}, val: func(int) string { return badSSN(g.r) }},
		{names: []string{"iban_old", "test_iban", "iban_draft"}, val: func(int) string { return badIBAN(g.r, g.pick(countries[1:]), g.st.ibanSpaced) }},
		{names: []string{"card_test", "test_pan", "card_number_old"}, val: func(int) string { return badCard(g.r, g.st.cardSpaced) }},
		{names: []string{"nir_draft", "nir_old", "secu_test"}, val: func(i int) string {
			return badNIR(g.r, ps[i].sex, ps[i].birth.Year(), int(ps[i].birth.Month()))
		}},
		{names: []string{"nino_specimen", "ni_test"}, val: func(int) string { return badNINO(g.r) }},
		{names: []string{"steuer_alt", "idnr_test"}, val: func(int) string { return badSteuerID(g.r) }},
		{names: []string{"batch_no", "order_number"}, val: func(int) string { return fmt.Sprint(100000000 + g.r.IntN(900000000)) }},
		{names: []string{"checksum", "digest"}, val: func(int) string { return fmt.Sprintf("%016x", g.r.Uint64()) }},
	})
}
