package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/vigilsec/vigil/internal/certify"
)

// ErasureCertificatePDF draws an erasure certificate for a person or an
// auditor: who was erased (as the salted hash), what was done per source
// with counts and the verification, what could not be erased and why,
// and the signature and chain that make it checkable (vigil data verify
// on the JSON). The PDF is a rendering: the signed JSON is the proof.
func ErasureCertificatePDF(w io.Writer, c *certify.Certificate) error {
	pw, err := newPDFWriterFor("vigil erasure certificate "+clean(c.ID), "vigil erasure certificate "+c.ID, c.Issued)
	if err != nil {
		return err
	}
	pw.y = 90
	pw.para(pdfMarginL, pdfWidth, style{fontBold, 26, colInk}, "Erasure certificate")
	sub := "Personal data of one person, erased and verified"
	band := colMet
	if !c.Complete {
		sub = "Personal data of one person: the erasure is NOT complete (see below)"
		band = colNotMet
	}
	pw.para(pdfMarginL, pdfWidth, style{fontSans, 13, colMuted}, sub)
	pw.y += 14
	pw.fill(band, pdfMarginL, pw.y, pdfWidth, 4)
	pw.y += 16
	rows := [][2]string{
		{"Certificate", c.ID},
		{"Issued", c.Issued.UTC().Format("2006-01-02 15:04:05 UTC")},
		{"Operator", c.Operator},
		{"vigil", c.Vigil},
		{"Subject", fmt.Sprintf("identified by %s; salted hash %s (salt %s, kept by the organisation)", strings.Join(c.Subject.Keys, ", "), c.Subject.Hash, c.Subject.Salt)},
		{"Complete", map[bool]string{true: "yes: every source erased or holding nothing, verified by searching again", false: "no"}[c.Complete]},
	}
	for _, r := range rows {
		pw.labelled(pdfMarginL, 78, r[0], stBody, r[1], nil)
		pw.y += 4
	}
	pw.heading(stH2, "Sources")
	for _, s := range c.Sources {
		pw.heading(stH3, fmt.Sprintf("%s (%s): %s", s.Name, s.Type, s.Outcome))
		verified := "the search after the erasure found nothing left"
		if !s.Verified {
			verified = fmt.Sprintf("NOT verified: %d match(es) left", s.Remaining)
		}
		pw.labelled(pdfMarginL, 78, "Verified", stBody, verified, nil)
		if s.Error != "" {
			pw.labelled(pdfMarginL, 78, "Note", stBody, s.Error, nil)
		}
		pw.y += 4
		cols := []float64{pdfWidth * 0.5, pdfWidth * 0.25, pdfWidth * 0.25}
		if len(s.Tables) > 0 {
			pw.tableRow(cols, []string{"Table", "Action", "Rows"}, stLabel, &colWash)
			for _, t := range s.Tables {
				action := t.Action
				if len(t.Columns) > 0 {
					action += " (" + strings.Join(t.Columns, ", ") + ")"
				}
				pw.tableRow(cols, []string{t.Table, action, fmt.Sprint(t.Rows)}, stBody, nil)
			}
		}
		if len(s.Files) > 0 {
			pw.tableRow(cols, []string{"File", "Action", "Removed"}, stLabel, &colWash)
			for _, f := range s.Files {
				pw.tableRow(cols, []string{f.Path, f.Action, fmt.Sprint(f.Removed)}, stBody, nil)
			}
		}
		pw.y += 6
	}
	pw.heading(stH2, "Could not be erased")
	if len(c.NotErased) == 0 {
		pw.para(pdfMarginL, pdfWidth, stBody, "Nothing.")
	}
	for _, n := range c.NotErased {
		text := n.Reason
		if n.Expires != "" {
			text += " (goes away by " + n.Expires + ")"
		}
		pw.labelled(pdfMarginL, 150, n.Source+": "+n.Where, stBody, text, nil)
		pw.y += 3
	}
	pw.heading(stH2, "Signature")
	pw.para(pdfMarginL, pdfWidth, stBody, fmt.Sprintf("Signed with the organisation's Ed25519 key %s; entry %d of the organisation's erasure log, chained to the entry before it by SHA-256.", c.Key, c.Chain.Seq))
	pw.para(pdfMarginL, pdfWidth, stMono, "signature "+c.Signature)
	if c.Chain.Prev != "" {
		pw.para(pdfMarginL, pdfWidth, stMono, "previous entry "+c.Chain.Prev)
	}
	pw.y += 6
	pw.para(pdfMarginL, pdfWidth, stSmall, "This page renders the signed JSON certificate; the JSON is the proof. Check it with: vigil data verify CERTIFICATE.json (or, elsewhere, vigil data verify --key PUBLIC-KEY.pem CERTIFICATE.json).")
	if pw.err != nil {
		return fmt.Errorf("cannot draw the certificate PDF: %w", pw.err)
	}
	_, err = pw.pdf.WriteTo(w)
	return err
}
