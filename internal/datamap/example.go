package datamap

// Example is the commented data map `vigil data init` writes.
const Example = `# vigil data map (issue 15): where personal data lives, how long it may
# stay, where a person is identified. Passwords never go in this file:
# give password_env (an environment variable) or password_file (chmod 600).
# Database hosts beyond loopback need verified TLS unless tls: disable;
# public addresses need --allow-public.

sources:
  # PostgreSQL: the role vigil logs in as needs SELECT on the tables
  # (pg_read_all_data is enough for a scan).
  - name: clinic
    type: postgres
    dsn: "postgres://vigil@db1.example.internal:5432/clinic"
    password_env: CLINIC_PW
    # tls: verify       # verified TLS even on loopback
    # tls: disable      # cleartext: reported as data.personal.unencrypted-transport
    # ca: /etc/vigil/db-ca.pem
    applications: [clinic_app]   # roles meant to read the data; others are reported
    purpose: "patient care and billing"

  # MySQL or MariaDB.
  - name: billing
    type: mysql
    dsn: "mysql://vigil@127.0.0.1:3306/billing"
    password_file: /etc/vigil/billing.pw
    applications: [billing_app]
    purpose: "invoicing"

  # An SQLite file (opened read-only by a scan).
  - name: appointments
    type: sqlite
    path: /var/lib/appointments/app.db

  # A directory of CSV, XLSX, PDF, text and e-mail (.eml, mbox) files.
  # No symbolic link is followed out of it.
  - name: shares
    type: files
    path: /srv/share
    purpose: "correspondence and exports"

subjects:            # where a person is identified; foreign keys are followed from here
  - {source: clinic, table: patients, column: email, key: email}
  - {source: clinic, table: patients, column: id, key: patient_id}

retention:           # max_age: a number and y, m, w, d or h
  - {source: clinic, table: visits, column: visit_date, max_age: 8y, basis: "state medical records law"}
  - {source: shares, path: "exports/*.csv", max_age: 90d, basis: "working copies"}

keep:                # rows that must be anonymised, not deleted
  - {source: clinic, table: invoices, anonymise: [iban, patient_name]}

consent:             # a column saying whether the person consented (false, no, withdrawn or NULL: not)
  - {source: clinic, table: patients, column: consent}

backups:             # copies an erasure cannot rewrite: certificates list them, with when they expire
  - {source: clinic, what: "nightly pg_dump to the NAS", max_age: 35d}
`
