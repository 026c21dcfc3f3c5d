package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// popplerTool finds a poppler-utils program; without it the PDF tests are
// skipped, except in CI where they must run.
func popplerTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (apt-get install poppler-utils)", name)
	}
	t.Skipf("%s is not installed (apt-get install poppler-utils)", name)
	return ""
}

// pdfText extracts the text of a PDF with pdftotext.
func pdfText(t *testing.T, pdf []byte, args ...string) string {
	t.Helper()
	exe := popplerTool(t, "pdftotext")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append(append([]string{"-enc", "UTF-8"}, args...), "-", "-")...)
	cmd.Stdin = bytes.NewReader(pdf)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("pdftotext complained about the PDF: %s", stderr.String())
	}
	return string(out)
}

// oneLine folds all white space to single spaces, so text wrapped across
// lines still matches.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestPDFTextIsExtractable(t *testing.T) {
	// The lab scan as a scan without a vulnerability database writes it:
	// the gap leaves the risk-management control with no evidence.
	doc := fixture()
	doc.NoteGap(result.Gap{What: "known vulnerabilities: not checked (no database; run 'vigil vulndb update' or 'vigil vulndb import')",
		Checks: []string{"vuln.known"}})
	a, err := compliance.Assess(compliance.HIPAA, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	pdf := render(t, PDF{Compliance: a}, doc)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(16, len(pdf))])
	}
	if !bytes.Equal(pdf, render(t, PDF{Compliance: a}, doc)) {
		t.Error("two renders of the same document differ")
	}
	raw := pdfText(t, pdf)
	text := oneLine(raw)
	var ssh finding.Finding
	for _, f := range doc.Findings {
		if f.Check == "ssh.cipher.weak" {
			ssh = f
		}
	}
	for _, want := range []string{
		"Level 2 of 5 — weak.",
		"Fix these 3 findings to reach level 3.",
		doc.ID, "2026-11-23 19:03:33 UTC", "127.0.2.10-14 clinic-server",
		ssh.Title, oneLine(ssh.Recommendation), "offers 3des-cbc, aes128-cbc",
		"HIPAA 164.312(e)(1) Transmission security", "NOT MET", "NO EVIDENCE",
		"What this scan cannot prove", "business associate agreements",
		"ssl_enable=YES",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	// The hostile banner is there as literal text, on one line, in the
	// finding's evidence and in the hosts table.
	if n := strings.Count(raw, hostileVisible); n < 2 {
		t.Errorf("the hostile banner appears %d time(s) as literal text, want 2:\n%s", n, raw)
	}
	if strings.ContainsAny(raw, "\x1b\x07") {
		t.Error("a raw control character reached the PDF's text")
	}
	golden(t, "pdf-text.golden", []byte(pdfText(t, pdf, "-layout")))

	// Leave the PDF and its pages as pictures for people to look at.
	dir := outDir(t)
	file := filepath.Join(dir, "report.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	exe := popplerTool(t, "pdftoppm")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, exe, "-png", "-r", "80", file, filepath.Join(dir, "report-page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	t.Logf("PDF and page images in %s", dir)
}

func TestPDFWithoutFrameworkOrFindings(t *testing.T) {
	doc := fixture()
	doc.Findings = nil
	doc.Level.Value, doc.Level.Next, doc.Level.Reason = 4, []string{}, "no finding above low; level 5 also needs a host audit (vigil host) within the last 7 days"
	text := oneLine(pdfText(t, render(t, PDF{}, doc)))
	for _, want := range []string{"Level 4 of 5 — solid.", "No finding above low; level 5 also needs a host audit", "No finding: nothing vigil checks for"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	if strings.Contains(text, "Compliance:") {
		t.Error("a compliance section without a framework")
	}
}

func TestPDFUnicodeAndMissingGlyphs(t *testing.T) {
	doc := &result.Document{Schema: result.Schema, ID: "unicode", Started: scanStart, Finished: scanEnd,
		Targets: []string{"127.0.2.20"}, Hosts: []result.Host{{Address: "127.0.2.20"}},
		Findings: []finding.Finding{{ID: "u1", Check: "cleartext.telnet", Severity: finding.Critical, Host: "127.0.2.20", Port: 23, Transport: "tcp",
			Title: "Telnet service in use", Evidence: "banner: Ünïcødé — Ελληνικά — Кириллица — 漢字 😀",
			Recommendation: strings.Repeat("averyveryverylongwordwithoutanyspace", 8)}}}
	doc.Level.Value = 1
	doc.Level.Next = []string{"u1"}
	raw := pdfText(t, render(t, PDF{}, doc))
	text := oneLine(raw)
	for _, want := range []string{"Ünïcødé — Ελληνικά — Кириллица", `\u{6f22}\u{5b57} \u{1f600}`} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, raw)
		}
	}
	// The long word is cut across lines but not lost.
	joined := regexp.MustCompile(`\s+`).ReplaceAllString(raw, "")
	if !strings.Contains(joined, strings.Repeat("averyveryverylongwordwithoutanyspace", 8)) {
		t.Error("a word wider than the page was lost")
	}
}
