// Package datafile reads the files of a `vigil data` files source (issue
// 15): CSV, XLSX, PDF, plain text and e-mail (.eml and mbox). It turns each
// into what package pii classifies: records with a header row (CSV, each
// sheet of a workbook) or text (PDF, text, e-mail). Every parser works on
// bytes already read under the files source's rule (see package datamap),
// is bounded in what it decompresses and keeps, and is fuzzed: the bytes
// come from shares anyone may have written.
package datafile

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"unicode/utf8"
)

// Kinds of file.
const (
	CSV  = "csv"
	Text = "text"
	EML  = "eml"
	Mbox = "mbox"
	XLSX = "xlsx"
	PDF  = "pdf"
)

// Limits on what one file may make the parsers produce.
const (
	// MaxRecords caps the records kept of one table (CSV, sheet).
	MaxRecords = 100_000
	// MaxText caps the text kept of one file.
	MaxText = 8 << 20
	// MaxInflate caps what one compressed part (a ZIP member, a PDF
	// stream) may decompress to.
	MaxInflate = 32 << 20
	// MaxMessages caps the messages of one mbox.
	MaxMessages = 100_000
)

// ErrTooLarge means a file would decompress or expand beyond the limits.
var ErrTooLarge = errors.New("larger than vigil reads")

// Content is what a file holds, ready for package pii.
type Content struct {
	// Tables are record sets whose first record is the header (CSV, a
	// workbook's sheets).
	Tables [][][]string
	// Text is the file's text (PDF, text, e-mail); for tables it is
	// empty.
	Text string
	// Messages is the number of e-mail messages (eml: 1, mbox: n).
	Messages int
}

// KindOf says what kind of file name is, from its name and first bytes
// ("" when vigil does not read it).
func KindOf(name string, head []byte) string {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".csv", ".tsv":
		return CSV
	case ".xlsx":
		return XLSX
	case ".pdf":
		return PDF
	case ".eml":
		return EML
	case ".mbox":
		return Mbox
	case ".txt", ".log", ".md", ".text", ".letter", ".note":
		return Text
	}
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return PDF
	case bytes.HasPrefix(head, []byte("From ")) && looksText(head):
		return Mbox
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "" // a ZIP that is not named .xlsx
	case ext == "" && looksText(head):
		return Text
	}
	return ""
}

// looksText: no NUL and valid UTF-8 (a cut last rune allowed).
func looksText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[n:]
	}
	return true
}

// Extract parses b as a file of the given kind.
func Extract(kind string, b []byte) (Content, error) {
	switch kind {
	case CSV:
		recs, err := ReadCSV(b)
		if err != nil {
			return Content{}, err
		}
		return Content{Tables: [][][]string{recs}}, nil
	case XLSX:
		sheets, err := ReadXLSX(b)
		if err != nil {
			return Content{}, err
		}
		return Content{Tables: sheets}, nil
	case PDF:
		t, err := PDFText(b)
		if err != nil {
			return Content{}, err
		}
		return Content{Text: t}, nil
	case EML:
		m, err := ReadMessage(b)
		if err != nil {
			return Content{}, err
		}
		return Content{Text: m.Text(), Messages: 1}, nil
	case Mbox:
		var sb strings.Builder
		n := 0
		for _, raw := range SplitMbox(b) {
			n++
			m, err := ReadMessage(raw.Bytes)
			if err != nil {
				sb.WriteString(strings.ToValidUTF8(string(raw.Bytes), "\uFFFD")) // an unparseable message is still text
			} else {
				sb.WriteString(m.Text())
			}
			sb.WriteByte('\n')
			if sb.Len() > MaxText {
				break
			}
		}
		return Content{Text: capText(sb.String()), Messages: n}, nil
	case Text:
		return Content{Text: capText(strings.ToValidUTF8(string(b), "\uFFFD"))}, nil
	}
	return Content{}, errors.New("not a kind of file vigil reads")
}

func capText(s string) string {
	if len(s) <= MaxText {
		return s
	}
	return strings.ToValidUTF8(s[:MaxText], "")
}
