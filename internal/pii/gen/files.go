package gen

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/pii"
)

// files adds the data set's files: CSV exports of a few columns of the
// tables, referral letters, e-mails, access logs, and texts that hold no
// personal data or only decoys.
func (g *gen) files(ps []patient) {
	for _, t := range g.ds.Tables {
		for k := range 2 {
			g.csvExport(t, fmt.Sprintf("exports/%s_%d.csv", t.Name, k+1))
		}
	}
	for i := range 4 {
		g.letter(ps[g.r.IntN(len(ps))], fmt.Sprintf("letters/referral_%02d.txt", i+1))
	}
	for i := range 3 {
		g.mail(ps[g.r.IntN(len(ps))], fmt.Sprintf("mail/message_%02d.eml", i+1))
	}
	g.accessLog("logs/portal-access.log")
	g.plain("docs/meeting-notes.txt")
	g.decoyText("docs/test-data.txt")
}

func (g *gen) addFile(path, kind, content string, truth []pii.Category) {
	slices.Sort(truth)
	truth = slices.Compact(truth)
	g.ds.Files = append(g.ds.Files, File{Path: path, Kind: kind, Content: content})
	g.ds.Truth[path] = truth
}

// csvExport writes 2 to 5 columns of a table as CSV; the file holds the
// union of the columns' categories.
func (g *gen) csvExport(t Table, path string) {
	idx := g.r.Perm(len(t.Columns))[:2+g.r.IntN(min(4, len(t.Columns)-1))]
	slices.Sort(idx)
	var b strings.Builder
	w := csv.NewWriter(&b)
	var header []string
	var truth []pii.Category
	for _, c := range idx {
		header = append(header, t.Columns[c])
		truth = append(truth, g.ds.Truth[t.Name+"."+t.Columns[c]]...)
	}
	_ = w.Write(header)
	for _, r := range t.Rows {
		rec := make([]string, len(idx))
		for j, c := range idx {
			rec[j] = r[c]
		}
		_ = w.Write(rec)
	}
	w.Flush()
	g.addFile(path, "csv", b.String(), truth)
}

// letter writes a referral letter with a random subset of the patient's
// details.
func (g *gen) letter(p patient, path string) {
	var b strings.Builder
	var truth []pii.Category
	fmt.Fprintf(&b, "Riverside Family Practice\nDate: %s\n\n", Reference().AddDate(0, 0, -g.r.IntN(300)).Format("2 January 2006"))
	has := func() bool { return g.r.IntN(3) > 0 }
	if has() {
		loc := locales[g.r.IntN(len(locales))]
		fmt.Fprintf(&b, "Dear Dr %s,\n\n", g.pick(loc.surnames))
		truth = append(truth, pii.Name)
	} else {
		b.WriteString("Dear colleague,\n\n")
	}
	if has() {
		fmt.Fprintf(&b, "I am referring %s %s to your clinic.\n", p.given, p.surname)
		truth = append(truth, pii.Name)
	} else {
		b.WriteString("I am referring the patient below to your clinic.\n")
	}
	if has() {
		fmt.Fprintf(&b, "Date of birth: %s\n", g.date(p.birth))
		truth = append(truth, pii.Birthdate)
	}
	if has() {
		fmt.Fprintf(&b, "Address: %s\n", p.address)
		truth = append(truth, pii.Address)
	}
	if has() {
		fmt.Fprintf(&b, "Tel: %s\n", g.phone(p.loc.country, g.r.IntN(2) == 0, false))
		truth = append(truth, pii.Phone)
	}
	if has() {
		switch {
		case p.ssn != "":
			fmt.Fprintf(&b, "SSN: %s\n", p.ssn)
		case p.nir != "":
			fmt.Fprintf(&b, "N° de sécurité sociale : %s\n", p.nir)
		case p.nino != "":
			fmt.Fprintf(&b, "NI number: %s\n", p.nino)
		default:
			fmt.Fprintf(&b, "Steuer-ID: %s\n", p.steuer)
		}
		truth = append(truth, pii.NationalID)
	}
	if has() {
		fmt.Fprintf(&b, "MRN: %s\n", p.mrn)
		truth = append(truth, pii.MedicalRecord)
	}
	if has() {
		fmt.Fprintf(&b, "Diagnosis: %s\n", g.pick(icd10))
		truth = append(truth, pii.Diagnosis)
	}
	if has() {
		n1, h1 := g.note()
		n2, h2 := g.note()
		fmt.Fprintf(&b, "\nHistory: %s %s\n", n1, n2)
		if h1 || h2 {
			truth = append(truth, pii.Health)
		}
	}
	b.WriteString("\nPlease see them at your earliest convenience; our secretary can be reached at reception@clinic.example.\n\nYours sincerely,\nThe practice team\n")
	truth = append(truth, pii.Email)
	g.addFile(path, "text", b.String(), truth)
}

// mail writes an e-mail from a patient to the practice.
func (g *gen) mail(p patient, path string) {
	var b strings.Builder
	truth := []pii.Category{pii.Email, pii.Name}
	fmt.Fprintf(&b, "From: %s %s <%s>\nTo: reception@clinic.example\nSubject: %s\nDate: Mon, 3 Nov 2025 09:%02d:00 +0100\n\n",
		p.given, p.surname, p.email, g.pick([]string{"Appointment", "My results", "Prescription", "Invoice question"}), g.r.IntN(60))
	b.WriteString("Hello,\n\n")
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&b, "I have had %s since last week and my %s is getting worse. Could I get a repeat prescription of %s?\n",
			g.pick(symptoms), g.pick(conditions), g.pick(medications))
		truth = append(truth, pii.Health)
	} else {
		b.WriteString("Could you move my appointment to next Tuesday afternoon? Thank you.\n")
	}
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&b, "You can call me on %s.\n", g.phone(p.loc.country, true, false))
		truth = append(truth, pii.Phone)
	}
	fmt.Fprintf(&b, "\nBest regards,\n%s\n", p.given)
	g.addFile(path, "text", b.String(), truth)
}

func (g *gen) accessLog(path string) {
	var b strings.Builder
	for i := range 40 + g.r.IntN(40) {
		fmt.Fprintf(&b, "%s - - [0%d/Nov/2025:10:%02d:%02d +0000] \"GET /portal/%s HTTP/1.1\" %d %d\n",
			g.ip(), 1+i%9, g.r.IntN(60), g.r.IntN(60), g.pick([]string{"login", "appointments", "invoices", "static/app.js"}),
			g.pick2(200, 302, 404), 200+g.r.IntN(9000))
	}
	g.addFile(path, "text", b.String(), []pii.Category{pii.IPAddress})
}

func (g *gen) pick2(xs ...int) int { return xs[g.r.IntN(len(xs))] }

// plain writes notes that hold no personal data: versions, amounts, order
// numbers, product codes, times and UUIDs.
func (g *gen) plain(path string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Practice meeting, %s, 10:30-11:15\n\n", Reference().AddDate(0, 0, -g.r.IntN(100)).Format("2006-01-02"))
	for range 6 + g.r.IntN(6) {
		switch g.r.IntN(5) {
		case 0:
			fmt.Fprintf(&b, "- Order %d units of %s (%s), order no. %d, total %d.%02d EUR.\n", 1+g.r.IntN(50), g.pick(products), fmt.Sprintf("PRD-%05d", g.r.IntN(100000)), 100000000+g.r.IntN(900000000), g.r.IntN(3000), g.r.IntN(100))
		case 1:
			fmt.Fprintf(&b, "- Upgrade the booking system to version %d.%d.%d on the 3rd floor server.\n", 1+g.r.IntN(5), g.r.IntN(20), g.r.IntN(30))
		case 2:
			fmt.Fprintf(&b, "- Ticket %s: printer in room %c%02d jams.\n", g.uuid(), 'A'+g.r.IntN(4), 1+g.r.IntN(20))
		case 3:
			fmt.Fprintf(&b, "- Supplier %s raises prices by %d%% from %s.\n", g.pick(suppliers), 2+g.r.IntN(8), Reference().AddDate(0, g.r.IntN(6), 0).Format("2 January 2006"))
		default:
			fmt.Fprintf(&b, "- Fire drill at %02d:%02d; everyone meets in the car park.\n", 8+g.r.IntN(9), 5*g.r.IntN(12))
		}
	}
	g.addFile(path, "text", b.String(), nil)
}

// decoyText writes identifiers that fail their checks, as test data and
// specimen numbers in documentation do.
func (g *gen) decoyText(path string) {
	var b strings.Builder
	b.WriteString("Test data for the billing system (none of these is valid):\n\n")
	for range 3 + g.r.IntN(3) {
		fmt.Fprintf(&b, "- declined card: %s\n", badCard(g.r, true))
		fmt.Fprintf(&b, "- rejected IBAN: %s\n", badIBAN(g.r, g.pick(countries[1:]), true))
		fmt.Fprintf(&b, "- SSN field check: %s\n", badSSN(g.r))
		fmt.Fprintf(&b, "- NIR field check: %s\n", badNIR(g.r, 1, 1980+g.r.IntN(20), 1+g.r.IntN(12)))
		fmt.Fprintf(&b, "- NI number field check: %s\n", badNINO(g.r))
		fmt.Fprintf(&b, "- Steuer-ID field check: %s\n", badSteuerID(g.r))
	}
	g.addFile(path, "text", b.String(), nil)
}
