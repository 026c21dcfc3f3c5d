// Package pii classifies values, columns and text into categories of
// personal data: names, contact details, national identifiers, bank and card
// numbers, medical record numbers, diagnoses, health terms and IP addresses.
//
// It is the foundation of `vigil data scan` (issue 15). It does no I/O: the
// caller samples values from a database column or extracts the text of a file
// and asks ClassifyColumn, ClassifyRecords or ClassifyText what they hold.
// Identifiers that carry a checksum or structural rules (US SSN, French NIR,
// UK NINO, German Steuer-ID, IBAN, payment cards, ICD-10 codes) are validated
// by those rules, so look-alike values that fail them ("decoys") do not count.
// Evidence must never hold the values themselves: Fingerprint turns a value
// into a salted hash.
package pii

// Category is a kind of personal data. The names are part of the
// `vigil/data/v1` contract.
type Category string

// The categories of the `vigil/data/v1` contract.
const (
	Name          Category = "name"
	Email         Category = "email"
	Phone         Category = "phone"
	Address       Category = "address"
	Birthdate     Category = "birthdate"
	NationalID    Category = "national_id"
	IBAN          Category = "iban"
	PaymentCard   Category = "payment_card"
	MedicalRecord Category = "medical_record"
	Diagnosis     Category = "diagnosis"
	Health        Category = "health"
	IPAddress     Category = "ip_address"
)

// Categories lists every category in the contract's order.
func Categories() []Category {
	return []Category{Name, Email, Phone, Address, Birthdate, NationalID, IBAN,
		PaymentCard, MedicalRecord, Diagnosis, Health, IPAddress}
}

// Match says that a column, a table or a text holds values of a category.
type Match struct {
	Category Category `json:"category"`
	// Confidence is between 0 and 1: the share of sampled values that
	// validate, raised when the column's name agrees (see ClassifyColumn).
	Confidence float64 `json:"confidence"`
	// Hits is the number of values that validated.
	Hits int `json:"hits"`
	// Sampled is the number of non-empty values (or, for text, candidate
	// tokens) that were examined.
	Sampled int `json:"sampled"`
}
