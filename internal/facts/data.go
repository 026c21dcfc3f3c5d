package facts

// DataScan is what `vigil data scan` observed of the sources of a data map
// (issue 15): per source, the columns and files that hold personal data,
// who can read them, how they travel and whether they are encrypted at
// rest; and per retention rule, how many rows or files are older than it.
// It holds names, counts and categories, never values.
type DataScan struct {
	Sources   []DataSource    `json:"sources"`
	Retention []DataRetention `json:"retention,omitempty"`
	// Erasures are the results of erasures whose verification found
	// rows or files left (vigil data erase fills it; a scan leaves it
	// empty).
	Erasures []DataErasure `json:"erasures,omitempty"`
}

// DataSource is one source of the map as observed.
type DataSource struct {
	Name string `json:"name"`
	// Type is postgres, mysql, sqlite or files.
	Type string `json:"type"`
	// Host and Port locate a database (Port 0 for SQLite and files;
	// Host is then this machine's name).
	Host string `json:"host"`
	Port int    `json:"port"`
	// Loopback is true when the database is reached over loopback only.
	Loopback bool `json:"loopback,omitempty"`
	// TLS is true when the connection vigil used was encrypted;
	// TLSVerified when the server's certificate was verified too.
	TLS         bool `json:"tls"`
	TLSVerified bool `json:"tls_verified,omitempty"`
	// TLSDisabled is true when the map says tls: disable: vigil did
	// not try TLS, so whether the server offers it is unknown.
	TLSDisabled bool `json:"tls_disabled,omitempty"`
	// User is the role vigil logged in as (its own reading is not
	// broad access).
	User string `json:"user,omitempty"`
	// Product is "PostgreSQL 15.8", "MariaDB 10.11.6", "SQLite 3.46" …
	Product string `json:"product,omitempty"`
	// Applications are the roles the map declares as meant to read.
	Applications []string `json:"applications,omitempty"`
	// Purpose is the map's declared purpose.
	Purpose string `json:"purpose,omitempty"`
	// AtRest says what encryption at rest was seen for the whole
	// source ("innodb_encrypt_tables=ON"); empty when none was.
	AtRest string `json:"at_rest,omitempty"`
	// AtRestKnown is false when vigil could not tell (SQLite, files).
	AtRestKnown bool         `json:"at_rest_known,omitempty"`
	Columns     []DataColumn `json:"columns,omitempty"`
	Files       []DataFile   `json:"files,omitempty"`
	// Skipped counts files not read (symbolic links, unknown kinds,
	// unreadable, too large), by reason.
	Skipped map[string]int `json:"skipped,omitempty"`
	// Error is why the source could not be examined.
	Error string `json:"error,omitempty"`
}

// DataColumn is a database column that holds personal data.
type DataColumn struct {
	Table      string   `json:"table"`
	Column     string   `json:"column"`
	Categories []string `json:"categories"`
	Confidence float64  `json:"confidence"`
	// Rows is the table's row count.
	Rows int64 `json:"rows"`
	// Readers are the roles that can read the column (PostgreSQL
	// grants, MySQL privileges), superusers included.
	Readers []string `json:"readers"`
	// Encrypted says how the column is encrypted at rest, when it is
	// ("pgcrypto", "tablespace on an encrypted volume", "InnoDB table
	// encryption").
	Encrypted string `json:"encrypted,omitempty"`
	// ConsentMissing counts rows of the table kept while the map's
	// consent column says consent was withdrawn or is missing; -1 when
	// the table has no consent rule.
	ConsentMissing int64 `json:"consent_missing"`
}

// DataFile is a file that holds personal data.
type DataFile struct {
	Path       string   `json:"path"`
	Kind       string   `json:"kind"`
	Categories []string `json:"categories"`
	Confidence float64  `json:"confidence"`
	// Count is the number of personal values found in the file.
	Count int `json:"count"`
}

// DataRetention is one retention rule's count.
type DataRetention struct {
	Source string `json:"source"`
	Table  string `json:"table,omitempty"`
	Column string `json:"column,omitempty"`
	Path   string `json:"path,omitempty"`
	MaxAge string `json:"max_age"`
	Basis  string `json:"basis,omitempty"`
	// Cutoff is the RFC 3339 moment before which data is too old.
	Cutoff string `json:"cutoff"`
	// Exceeding is the number of rows or files older than the rule;
	// Total the number looked at.
	Exceeding int64 `json:"exceeding"`
	Total     int64 `json:"total"`
	// Host and Port locate the database (see DataSource).
	Host  string `json:"host"`
	Port  int    `json:"port"`
	Error string `json:"error,omitempty"`
}

// DataErasure is an erasure whose verification found traces left.
type DataErasure struct {
	Source string `json:"source"`
	Host   string `json:"host"`
	Port   int    `json:"port"`
	// Subject is the salted hash of the subject, never the identifier.
	Subject string `json:"subject"`
	// Remaining counts the rows or files still found; Reason says why
	// they were not erased.
	Remaining int    `json:"remaining"`
	Reason    string `json:"reason,omitempty"`
}
