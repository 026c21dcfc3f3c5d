// Package certify issues and verifies erasure certificates: the proof that
// vigil data erase removed one person's data. A certificate is a JSON
// document signed with the organisation's Ed25519 key; every certificate
// is also appended to a log in which each entry carries the SHA-256 of the
// one before it, and the scan store keeps the newest entry's number and
// hash, so that an entry altered, removed or inserted afterwards (the last
// one included) is named by Verify.
//
// A certificate never holds personal data: the subject is a salted hash
// (the salt stays with the organisation), sources carry table names,
// column names and counts.
package certify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Schema tags an erasure certificate.
const Schema = "vigil/erasure-certificate/v1"

// Outcomes of a source.
const (
	// Erased: the subject's rows or files were deleted or anonymised and a
	// second search found nothing left.
	Erased = "erased"
	// NothingFound: the source holds nothing of the subject.
	NothingFound = "nothing-found"
	// RolledBack: the erasure failed part-way and the database's
	// transaction rolled back: the source is unchanged.
	RolledBack = "rolled-back"
	// Incomplete: the erasure ran but the second search still found the
	// subject, or part of a file source could not be erased.
	Incomplete = "incomplete"
	// Failed: the source could not be reached or searched; nothing was
	// changed there.
	Failed = "failed"
)

// Actions on a table or file.
const (
	Deleted    = "deleted"
	Anonymised = "anonymised"
	Rewritten  = "rewritten" // a file rewritten without the subject's rows or messages
)

// Certificate is an erasure certificate.
type Certificate struct {
	Schema string `json:"schema"`
	// ID is random, 16 hex digits.
	ID     string    `json:"id"`
	Issued time.Time `json:"issued"`
	// Operator is who ran the erasure (the OS user).
	Operator string `json:"operator"`
	// Vigil is the version of vigil that erased and issued.
	Vigil   string  `json:"vigil"`
	Subject Subject `json:"subject"`
	// Sources is what was done per source, in the map's order.
	Sources []Source `json:"sources"`
	// NotErased lists what could not be erased and why.
	NotErased []NotErased `json:"not_erased"`
	// Complete is true when every source was erased (or held nothing),
	// verified, and nothing is listed as not erased.
	Complete bool  `json:"complete"`
	Chain    Chain `json:"chain"`
	// Key names the signing key: the first 16 hex digits of the SHA-256 of
	// its public key.
	Key string `json:"key"`
	// Signature is the Ed25519 signature, base64, over the certificate's
	// compact JSON with this field empty.
	Signature string `json:"signature"`
}

// Subject is the person erased, as a salted hash.
type Subject struct {
	// Keys are the declared subject keys the subject was given by (e.g.
	// email, patient_id), without their values.
	Keys []string `json:"keys"`
	// Hash is the hex HMAC-SHA256 of the subject's KEY=VALUE pairs under
	// the organisation's salt (SubjectHash).
	Hash string `json:"hash"`
	// Salt names the salt: the first 16 hex digits of its SHA-256.
	Salt string `json:"salt"`
}

// Source is what happened in one source of the data map.
type Source struct {
	Name string `json:"name"`
	// Type is postgres, mysql, sqlite or files.
	Type    string `json:"type"`
	Outcome string `json:"outcome"`
	// Tables are the rows deleted or anonymised per table (for a rolled
	// back source: what was planned, none of which happened).
	Tables []TableAction `json:"tables,omitempty"`
	// Files are the files rewritten or deleted.
	Files []FileAction `json:"files,omitempty"`
	// Verified is true when the search after the erasure found nothing of
	// the subject in this source.
	Verified bool `json:"verified"`
	// Remaining is how many rows or matches the search after the erasure
	// still found.
	Remaining int64 `json:"remaining"`
	// Error says why the source is rolled back, incomplete or failed.
	Error string `json:"error,omitempty"`
}

// TableAction is the rows of one table deleted or anonymised.
type TableAction struct {
	Table  string `json:"table"`
	Action string `json:"action"`
	Rows   int64  `json:"rows"`
	// Columns are the columns anonymised (Action anonymised).
	Columns []string `json:"columns,omitempty"`
}

// FileAction is one file rewritten or deleted.
type FileAction struct {
	Path   string `json:"path"`
	Action string `json:"action"`
	// Removed counts the rows, lines or messages removed from a rewritten
	// file (0 for a deleted file).
	Removed int64 `json:"removed"`
}

// NotErased is something of the subject's that was not erased.
type NotErased struct {
	Source string `json:"source"`
	// Where is a table, file or backup.
	Where  string `json:"where"`
	Reason string `json:"reason"`
	// Expires is when it goes away by itself, if declared (a backup's
	// expiry), as a date.
	Expires string `json:"expires,omitempty"`
}

// Chain links the certificate into the log.
type Chain struct {
	// Seq numbers the log's entries 1, 2, 3, …
	Seq int64 `json:"seq"`
	// Prev is the hex SHA-256 of the previous entry's line ("" for the
	// first).
	Prev string `json:"prev"`
}

// KeyID returns the name of a public key: the first 16 hex digits of its
// SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// signedBytes returns what the signature covers: the compact JSON of c
// with an empty signature.
func (c *Certificate) signedBytes() ([]byte, error) {
	cc := *c
	cc.Signature = ""
	return json.Marshal(&cc)
}

// Sign sets c.Key and c.Signature.
func (c *Certificate) Sign(key ed25519.PrivateKey) error {
	c.Key = KeyID(key.Public().(ed25519.PublicKey))
	msg, err := c.signedBytes()
	if err != nil {
		return fmt.Errorf("cannot sign the certificate: %w", err)
	}
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, msg))
	return nil
}

// ErrBadSignature means a certificate's signature does not hold under the
// key: it was altered after signing, or signed by another key.
var ErrBadSignature = errors.New("the signature does not hold")

// CheckSignature checks c's signature under pub.
func (c *Certificate) CheckSignature(pub ed25519.PublicKey) error {
	if c.Key != KeyID(pub) {
		return fmt.Errorf("%w: the certificate names key %s, the organisation's key is %s", ErrBadSignature, c.Key, KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%w: the signature is not a base64 Ed25519 signature", ErrBadSignature)
	}
	msg, err := c.signedBytes()
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, msg, sig) {
		return fmt.Errorf("%w: the certificate was altered after it was signed", ErrBadSignature)
	}
	return nil
}

// Line returns c as one line of the log: its compact JSON.
func (c *Certificate) Line() ([]byte, error) { return json.Marshal(c) }

// File returns c as the certificate file vigil writes: indented JSON and a
// final newline.
func (c *Certificate) File() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// EntryHash returns the hex SHA-256 of a log line (without its newline).
func EntryHash(line []byte) string {
	sum := sha256.Sum256(line)
	return hex.EncodeToString(sum[:])
}

// ErrNotCertificate means the bytes given are not an erasure certificate
// at all (not vigil's schema): nothing to verify.
var ErrNotCertificate = errors.New("not an erasure certificate")

// ErrAltered means a certificate file is vigil's but not as vigil wrote
// it: a byte was changed, added or removed.
var ErrAltered = errors.New("the certificate was altered")

// Parse reads a certificate file strictly: the bytes must be exactly what
// File writes for the certificate they hold, so that a change of any byte,
// even one JSON would ignore, is reported. Bytes that do not claim vigil's
// schema wrap ErrNotCertificate; a certificate that is not byte for byte
// as written wraps ErrAltered.
func Parse(data []byte) (*Certificate, error) {
	var c Certificate
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		if bytes.Contains(data, []byte(Schema)) || bytes.Contains(data, []byte(`"signature"`)) {
			return nil, fmt.Errorf("%w: it no longer reads as a certificate (%v)", ErrAltered, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrNotCertificate, err)
	}
	if c.Schema != Schema {
		if c.Signature != "" {
			// Every field is a certificate's: a damaged one.
			return nil, fmt.Errorf("%w: its schema reads %q", ErrAltered, clip(c.Schema, 60))
		}
		return nil, fmt.Errorf("%w: its schema is %q, not %s", ErrNotCertificate, clip(c.Schema, 60), Schema)
	}
	again, err := c.File()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, data) {
		at := firstDifference(again, data)
		return &c, fmt.Errorf("%w: the file differs from the certificate it holds at byte %d", ErrAltered, at)
	}
	return &c, nil
}

// firstDifference returns the offset of the first byte where a and b
// differ.
func firstDifference(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// clip cuts s to at most n bytes, for messages.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// jsonStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func jsonStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the certificate")
	}
	return nil
}
