package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

// Framework controls of personal-data checks (issue 15).
const (
	hipaaEncryptRest = "HIPAA 164.312(a)(2)(iv)"
	hipaaIntegrity   = "HIPAA 164.312(c)(1)"
	gdprMinimisation = "GDPR 5(1)(c)"
	gdprStorageLimit = "GDPR 5(1)(e)"
	gdprErasure      = "GDPR 17"
	gdprRecords      = "GDPR 30"
	cisDataACL       = "CIS 3.3"
	cisDataRetention = "CIS 3.4"
	cisDataDisposal  = "CIS 3.5"
	cisEncryptRest   = "CIS 3.11"
	pciRetention     = "PCI 3.2.1"
	pciPANStored     = "PCI 3.5.1"
	pciNeedToKnow    = "PCI 7.2.1"
)

// dataChecks are the checks of `vigil data scan`: they judge a
// facts.DataScan (JudgeData), not a service of a network scan.
var dataChecks = []Check{
	{ID: "data.personal.unencrypted-transport", Severity: finding.High, Title: "Personal data travels to or from a database without TLS",
		Rationale:  "A database connection without TLS carries every query result in cleartext: anyone on the path reads the names, identifiers and health data in it, and can take the password of the application's role.",
		Fix:        "Turn TLS on in the database server and make the clients require it. PostgreSQL: in postgresql.conf set ssl = on, ssl_cert_file and ssl_key_file, and in pg_hba.conf use hostssl instead of host lines; reload (SELECT pg_reload_conf()). MariaDB/MySQL: in the [mariadbd] section set ssl_cert, ssl_key and require_secure_transport = ON, and restart. Clients: sslmode=verify-full (PostgreSQL) or --ssl-verify-server-cert (MariaDB).",
		Frameworks: []string{hipaaTransmission, hipaaEncryptRest, gdprEncryption, cisEncryptTransit, pciStrongCrypto}},
	{ID: "data.personal.broad-access", Severity: finding.High, Title: "A role beyond the declared applications can read health or identifier data",
		Rationale:  "Every role that can read a column of health data or national identifiers is a way to leak it: a reporting account, an old integration or PUBLIC. Access should be limited to the applications that need it (need to know, data minimisation).",
		Fix:        "Revoke the role's access and grant it only to the application roles. PostgreSQL: REVOKE SELECT ON TABLE patients FROM reporting; REVOKE SELECT ON TABLE patients FROM PUBLIC; (or column by column: GRANT SELECT (id, visit_date) ON visits TO reporting). MariaDB/MySQL: REVOKE SELECT ON clinic.patients FROM 'reporting'@'%'; and, for a database-wide grant, REVOKE SELECT ON clinic.* FROM 'reporting'@'%'. If the role needs the access, declare it under the source's applications in the data map.",
		Frameworks: []string{hipaaAccess, gdprMinimisation, gdprConfidential, cisDataACL, pciNeedToKnow}},
	{ID: "data.personal.in-files", Severity: finding.High, Title: "Identifiers or health data lie in plain files on a share",
		Rationale:  "Exports, letters and mail archives on a share are copied, mailed and backed up without the database's access control or audit: national identifiers, bank and card numbers or diagnoses in them are the data most often leaked.",
		Fix:        "Delete the files that are no longer needed (vigil data retention lists the old ones), move the others into the application or an encrypted, access-controlled location (for example a directory readable only by the group that needs it: chmod 0750, chgrp), and stop the exports that create them, or have them written without the identifier columns.",
		Frameworks: []string{hipaaAccess, hipaaEncryptRest, gdprMinimisation, gdprEncryption, cisEncryptRest, pciPANStored}},
	{ID: "data.retention.exceeded", Severity: finding.Medium, Title: "Personal data is kept beyond its retention period",
		Rationale:  "Data kept longer than its declared period breaks the storage-limitation principle and the organisation's own record of processing, and makes every breach larger than it had to be.",
		Fix:        "Delete (or anonymise) the rows and files older than the rule: review the count with vigil data retention, then run vigil data retention --apply, which deletes them in batches inside transactions after a dry-run plan; schedule it to run regularly.",
		Frameworks: []string{gdprStorageLimit, gdprRecords, cisDataRetention, pciRetention}},
	{ID: "data.erasure.incomplete", Severity: finding.High, Title: "Personal data remains after erasure or withdrawn consent",
		Rationale:  "Once a person's consent is withdrawn or their erasure requested, the organisation must erase their data without undue delay (unless a legal basis requires keeping it); traces left behind make the erasure certificate untrue.",
		Fix:        "Erase the person's remaining data with vigil data erase --subject KEY=VALUE (which follows foreign keys and issues a certificate), or, where the law requires keeping the rows, declare them under keep in the data map so they are anonymised; for withdrawn consent, erase or anonymise the rows whose consent column says so.",
		Frameworks: []string{gdprErasure, gdprStorageLimit, hipaaIntegrity, cisDataDisposal}},
}

// sensitiveCategories are the categories whose readers are judged by
// data.personal.broad-access and whose presence in files is judged by
// data.personal.in-files: health data and identifiers.
var sensitiveCategories = []string{"national_id", "iban", "payment_card", "medical_record", "diagnosis", "health"}

func sensitive(cats []string) []string {
	var out []string
	for _, c := range cats {
		if slices.Contains(sensitiveCategories, c) {
			out = append(out, c)
		}
	}
	return out
}

// JudgeData judges the facts of a personal-data scan. host is this
// machine's name, given to findings about files (whose port is 0).
// Findings are sorted worst first. Evidence names sources, tables,
// columns, paths and counts, never values.
func JudgeData(ds *facts.DataScan, host string) []finding.Finding {
	if ds == nil {
		return nil
	}
	var out []finding.Finding
	for i := range ds.Sources {
		src := &ds.Sources[i]
		h, port := src.Host, src.Port
		if src.Type == "files" || src.Type == "sqlite" {
			h, port = host, 0
		}
		for _, hit := range judgeDataSource(src) {
			out = append(out, MakeFinding(hit, h, port, transportOf(port)))
		}
	}
	for _, r := range ds.Retention {
		if r.Exceeding <= 0 || r.Error != "" {
			continue
		}
		what := fmt.Sprintf("table %s (column %s)", r.Table, r.Column)
		subj := r.Source + "/" + r.Table + "." + r.Column
		if r.Table == "" {
			what = "files"
			if r.Path != "" {
				what = fmt.Sprintf("files matching %q", r.Path)
			}
			subj = r.Source + "/" + r.Path
		}
		basis := ""
		if r.Basis != "" {
			basis = fmt.Sprintf(" (basis: %s)", r.Basis)
		}
		h, port := r.Host, r.Port
		if h == "" {
			h = host
		}
		out = append(out, MakeFinding(Hit{Check: "data.retention.exceeded", Subject: subj,
			Evidence: fmt.Sprintf("source %s: %d of %d in %s are older than the retention rule of %s%s, i.e. dated before %s",
				r.Source, r.Exceeding, r.Total, what, r.MaxAge, basis, r.Cutoff)}, h, port, transportOf(port)))
	}
	for _, e := range ds.Erasures {
		if e.Remaining <= 0 {
			continue
		}
		ev := fmt.Sprintf("source %s: the verification after erasing subject %s still found %d rows or files", e.Source, e.Subject, e.Remaining)
		if e.Reason != "" {
			ev += ": " + e.Reason
		}
		h := e.Host
		if h == "" {
			h = host
		}
		out = append(out, MakeFinding(Hit{Check: "data.erasure.incomplete", Subject: e.Source + "/" + e.Subject, Evidence: ev}, h, e.Port, transportOf(e.Port)))
	}
	finding.Sort(out)
	return out
}

func transportOf(port int) string {
	if port == 0 {
		return ""
	}
	return "tcp"
}

// judgeDataSource judges one source.
func judgeDataSource(src *facts.DataSource) []Hit {
	if src.Error != "" {
		return nil
	}
	var out []Hit
	personal := 0
	for _, c := range src.Columns {
		if len(c.Categories) > 0 {
			personal++
		}
	}
	if (src.Type == "postgres" || src.Type == "mysql") && personal > 0 && !src.TLS {
		if h, ok := transportHit(src, personal); ok {
			out = append(out, h)
		}
	}
	out = append(out, broadAccessHits(src)...)
	out = append(out, consentHits(src)...)
	if src.Type == "files" {
		var files []string
		cats := map[string]bool{}
		values := 0
		for _, f := range src.Files {
			s := sensitive(f.Categories)
			if len(s) == 0 {
				continue
			}
			files = append(files, f.Path)
			for _, c := range s {
				cats[c] = true
			}
			values += f.Count
		}
		if len(files) > 0 {
			out = append(out, Hit{Check: "data.personal.in-files", Subject: src.Name,
				Evidence: fmt.Sprintf("source %s (%s): %d files hold %s (%d personal values in all): %s",
					src.Name, src.Host, len(files), strings.Join(sortedKeys(cats), ", "), values, listSome(files, 10))})
		}
	}
	return out
}

// consentHits reports, per table, rows kept whose consent was withdrawn
// or never given.
func consentHits(src *facts.DataSource) []Hit {
	var out []Hit
	seen := map[string]bool{}
	for _, c := range src.Columns {
		if c.ConsentMissing <= 0 || seen[c.Table] {
			continue
		}
		seen[c.Table] = true
		out = append(out, Hit{Check: "data.erasure.incomplete", Subject: src.Name + "/" + c.Table + "/consent", Severity: finding.Medium,
			Evidence: fmt.Sprintf("source %s: table %s keeps %d rows whose consent column says consent was withdrawn or was never given (medium: the rows may still have another legal basis; declare it or erase them)",
				src.Name, c.Table, c.ConsentMissing)})
	}
	return out
}

func transportHit(src *facts.DataSource, personal int) (Hit, bool) {
	product := src.Product
	if product == "" {
		product = src.Type
	}
	where := fmt.Sprintf("%s:%d", src.Host, src.Port)
	switch {
	case !src.Loopback && src.TLSDisabled:
		return Hit{Check: "data.personal.unencrypted-transport", Subject: src.Name,
			Evidence: fmt.Sprintf("source %s (%s on %s, %d columns of personal data) is reached over the network and the data map says tls: disable: the data travels in cleartext", src.Name, product, where, personal),
			Fix:      transportFix(src.Type)}, true
	case !src.Loopback:
		return Hit{Check: "data.personal.unencrypted-transport", Subject: src.Name,
			Evidence: fmt.Sprintf("source %s (%s on %s, %d columns of personal data): the connection is not encrypted", src.Name, product, where, personal),
			Fix:      transportFix(src.Type)}, true
	case src.TLSDisabled:
		return Hit{}, false // loopback, and the map's author chose: nothing leaves the machine
	}
	return Hit{Check: "data.personal.unencrypted-transport", Subject: src.Name, Severity: finding.Medium,
		Evidence: fmt.Sprintf("source %s (%s on %s, %d columns of personal data) does not offer TLS: vigil asked for it over loopback and the server refused, so every client on another machine reads this data in cleartext (medium: vigil's own connection stayed on this machine)", src.Name, product, where, personal),
		Fix:      transportFix(src.Type)}, true
}

func transportFix(typ string) string {
	switch typ {
	case "postgres":
		return "Turn TLS on in PostgreSQL: in postgresql.conf set ssl = on, ssl_cert_file = '/etc/ssl/certs/db.pem' and ssl_key_file = '/etc/ssl/private/db.key' (readable by postgres only), replace host lines by hostssl lines in pg_hba.conf, reload with SELECT pg_reload_conf(); clients connect with sslmode=verify-full."
	case "mysql":
		return "Turn TLS on in MariaDB/MySQL: in the [mariadbd] (or [mysqld]) section of /etc/mysql/mariadb.conf.d/50-server.cnf set ssl_cert = /etc/mysql/db.pem, ssl_key = /etc/mysql/db.key and require_secure_transport = ON, restart the server; clients connect with --ssl-verify-server-cert."
	}
	return ""
}

// broadAccessHits reports, per table, the roles beyond the declared
// applications (and vigil's own login) that can read a column of health
// data or identifiers.
func broadAccessHits(src *facts.DataSource) []Hit {
	type tableHit struct {
		cols  []string
		roles map[string]bool
		cats  map[string]bool
	}
	byTable := map[string]*tableHit{}
	var order []string
	for _, c := range src.Columns {
		s := sensitive(c.Categories)
		if len(s) == 0 {
			continue
		}
		var extra []string
		for _, r := range c.Readers {
			if r == src.User || declared(src.Applications, r) {
				continue
			}
			extra = append(extra, r)
		}
		if len(extra) == 0 {
			continue
		}
		th := byTable[c.Table]
		if th == nil {
			th = &tableHit{roles: map[string]bool{}, cats: map[string]bool{}}
			byTable[c.Table] = th
			order = append(order, c.Table)
		}
		th.cols = append(th.cols, c.Column)
		for _, r := range extra {
			th.roles[r] = true
		}
		for _, x := range s {
			th.cats[x] = true
		}
	}
	var out []Hit
	for _, t := range order {
		th := byTable[t]
		roles := sortedKeys(th.roles)
		declared := "the map declares no application roles for this source"
		if len(src.Applications) > 0 {
			declared = "the declared applications are " + strings.Join(src.Applications, ", ")
		}
		out = append(out, Hit{Check: "data.personal.broad-access", Subject: src.Name + "/" + t,
			Evidence: fmt.Sprintf("source %s: table %s, columns %s (%s), can be read by %s; %s",
				src.Name, t, strings.Join(th.cols, ", "), strings.Join(sortedKeys(th.cats), ", "), strings.Join(roles, ", "), declared),
			Fix: broadAccessFix(src.Type, t, roles)})
	}
	return out
}

func broadAccessFix(typ, table string, roles []string) string {
	var b strings.Builder
	switch typ {
	case "postgres":
		b.WriteString("Revoke the access in PostgreSQL:")
		for _, r := range roles {
			fmt.Fprintf(&b, " REVOKE SELECT ON TABLE %s FROM %s;", table, pgRole(r))
		}
		b.WriteString(" If the access comes from a role membership, REVOKE that role instead; if the role needs the data, list it under the source's applications in the data map.")
	case "mysql":
		b.WriteString("Revoke the access in MariaDB/MySQL:")
		for _, r := range roles {
			fmt.Fprintf(&b, " REVOKE SELECT ON %s FROM %s;", table, r)
		}
		b.WriteString(" (a database-wide grant needs REVOKE SELECT ON db.* FROM … and narrower grants for what the role still needs); if the role needs the data, list it under the source's applications in the data map.")
	default:
		return ""
	}
	return b.String()
}

func pgRole(r string) string {
	if r == "PUBLIC" {
		return r
	}
	return `"` + strings.ReplaceAll(r, `"`, `""`) + `"`
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// declared says whether role is one of the applications: by name, or, for
// a MySQL account written user@host, by its user name.
func declared(apps []string, role string) bool {
	for _, a := range apps {
		if role == a || strings.HasPrefix(role, a+"@") {
			return true
		}
	}
	return false
}
