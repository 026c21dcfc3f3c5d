package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// PDF writes a report for an auditor: a title page with the scan's identity,
// dates, targets and level; the level explained; the compliance table when
// Compliance is set; the findings by severity with evidence and fix (and,
// for known-vulnerable software, the package and its vulnerabilities); and
// the hosts and services. It is drawn in pure Go with the Go fonts embedded, so
// no system font is needed, and all text is real text a PDF reader can
// search and copy. Characters the fonts lack appear as \u{…} escapes.
type PDF struct {
	// Compliance, when set, adds the framework's control table.
	Compliance *compliance.Assessment
}

// Page geometry in points (A4).
const (
	pdfPageW   = 595.28
	pdfPageH   = 841.89
	pdfMarginL = 56.0
	pdfMarginR = 56.0
	pdfMarginT = 56.0
	pdfMarginB = 60.0
	pdfWidth   = pdfPageW - pdfMarginL - pdfMarginR
)

// Font families registered in every PDF.
const (
	fontSans = "sans"
	fontBold = "bold"
	fontMono = "mono"
)

type rgb struct{ r, g, b uint8 }

var (
	colInk      = rgb{0x1f, 0x23, 0x28}
	colMuted    = rgb{0x59, 0x63, 0x6e}
	colLine     = rgb{0xd1, 0xd9, 0xe0}
	colWash     = rgb{0xf3, 0xf5, 0xf7}
	colWhite    = rgb{0xff, 0xff, 0xff}
	colFixWash  = rgb{0xea, 0xf5, 0xec}
	colMet      = rgb{0x1a, 0x7f, 0x37}
	colNotMet   = rgb{0xc8, 0x26, 0x1d}
	colNoEviden = rgb{0x59, 0x63, 0x6e}
	colPartial  = rgb{0x9a, 0x67, 0x00}
)

func severityColor(s finding.Severity) rgb {
	switch s {
	case finding.Critical:
		return rgb{0x8b, 0x0f, 0x1a}
	case finding.High:
		return rgb{0xc8, 0x26, 0x1d}
	case finding.Medium:
		return rgb{0xb3, 0x59, 0x00}
	case finding.Low:
		return rgb{0x0b, 0x6e, 0x8a}
	}
	return colMuted
}

func levelColor(v int) rgb {
	switch v {
	case 1:
		return rgb{0x8b, 0x0f, 0x1a}
	case 2:
		return rgb{0xc8, 0x26, 0x1d}
	case 3:
		return rgb{0xb3, 0x59, 0x00}
	case 4:
		return rgb{0x1a, 0x7f, 0x37}
	case 5:
		return rgb{0x0f, 0x5c, 0x2a}
	}
	return colMuted
}

func statusColor(s compliance.Status) rgb {
	switch s {
	case compliance.Met:
		return colMet
	case compliance.NotMet:
		return colNotMet
	case compliance.Partial:
		return colPartial
	}
	return colNoEviden
}

// style is a font, size and colour for a run of text.
type style struct {
	family string
	size   float64
	color  rgb
}

func (s style) lineHeight() float64 { return s.size * 1.38 }

var (
	stBody    = style{fontSans, 10, colInk}
	stSmall   = style{fontSans, 8.5, colMuted}
	stLabel   = style{fontBold, 9, colMuted}
	stMono    = style{fontMono, 8.5, colInk}
	stH1      = style{fontBold, 20, colInk}
	stH2      = style{fontBold, 14, colInk}
	stH3      = style{fontBold, 11.5, colInk}
	stStrong  = style{fontBold, 10, colInk}
	stTagText = style{fontBold, 7.5, colWhite}
)

// pdfWriter draws the report top to bottom, adding pages as it goes. The
// first error stops drawing and is returned by Write.
type pdfWriter struct {
	pdf    *gopdf.GoPdf
	y      float64
	page   int
	footer string
	fonts  map[string]*sfnt.Font
	buf    sfnt.Buffer
	err    error
}

// Write implements Writer.
func (p PDF) Write(w io.Writer, doc *result.Document) error {
	pw, err := newPDFWriter(doc)
	if err != nil {
		return err
	}
	v := newView(doc, p.Compliance)
	pw.titlePage(v)
	pw.levelSection(v)
	if v.Compliance != nil {
		pw.complianceSection(v.Compliance)
	}
	pw.findingsSection(v)
	pw.hostsSection(v)
	if pw.err != nil {
		return fmt.Errorf("cannot draw the PDF report: %w", pw.err)
	}
	_, err = pw.pdf.WriteTo(w)
	return err
}

func newPDFWriter(doc *result.Document) (*pdfWriter, error) {
	return newPDFWriterFor("vigil security report "+clean(doc.ID), "vigil security report · scan "+doc.ID, doc.Finished)
}

// newPDFWriterFor starts a PDF with a title, a footer on every page and a
// creation date.
func newPDFWriterFor(title, footer string, created time.Time) (*pdfWriter, error) {
	pw := &pdfWriter{pdf: &gopdf.GoPdf{}, fonts: map[string]*sfnt.Font{}}
	pw.pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	pw.pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "vigil",
		Producer: "vigil", CreationDate: created.UTC()})
	for _, f := range []struct {
		name string
		data []byte
	}{{fontSans, goregular.TTF}, {fontBold, gobold.TTF}, {fontMono, gomono.TTF}} {
		if err := pw.pdf.AddTTFFontData(f.name, f.data); err != nil {
			return nil, fmt.Errorf("cannot load the %s font: %w", f.name, err)
		}
		parsed, err := sfnt.Parse(f.data)
		if err != nil {
			return nil, fmt.Errorf("cannot read the %s font: %w", f.name, err)
		}
		pw.fonts[f.name] = parsed
	}
	pw.footer = pw.glyphSafe(fontSans, footer)
	pw.newPage()
	return pw, nil
}

// newPage starts a page with its footer and puts the pen at the top margin.
func (pw *pdfWriter) newPage() {
	pw.pdf.AddPage()
	pw.page++
	pw.setStyle(stSmall)
	pw.pdf.SetStrokeColor(colLine.r, colLine.g, colLine.b)
	pw.pdf.SetLineWidth(0.5)
	pw.pdf.Line(pdfMarginL, pdfPageH-pdfMarginB+14, pdfPageW-pdfMarginR, pdfPageH-pdfMarginB+14)
	pw.cell(pdfMarginL, pdfPageH-pdfMarginB+20, pw.fit(stSmall, pw.footer, pdfWidth-60))
	num := fmt.Sprintf("page %d", pw.page)
	pw.cell(pdfPageW-pdfMarginR-pw.width(stSmall, num), pdfPageH-pdfMarginB+20, num)
	pw.y = pdfMarginT
}

// ensure starts a new page unless h points fit above the bottom margin.
func (pw *pdfWriter) ensure(h float64) {
	if pw.y+h > pdfPageH-pdfMarginB {
		pw.newPage()
	}
}

func (pw *pdfWriter) setStyle(s style) {
	if pw.err != nil {
		return
	}
	if err := pw.pdf.SetFont(s.family, "", s.size); err != nil {
		pw.err = err
	}
	pw.pdf.SetTextColor(s.color.r, s.color.g, s.color.b)
}

// cell draws one line of text with its top at (x, y) in the current style.
func (pw *pdfWriter) cell(x, y float64, text string) {
	if pw.err != nil || text == "" {
		return
	}
	pw.pdf.SetXY(x, y)
	if err := pw.pdf.Cell(nil, text); err != nil {
		pw.err = err
	}
}

// glyphSafe replaces characters the font cannot draw with \u{…} escapes, and
// control characters with \xNN (clean), so nothing is silently lost.
func (pw *pdfWriter) glyphSafe(family, s string) string {
	s = clean(s)
	f := pw.fonts[family]
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || r == ' ' {
			b.WriteRune(r)
			continue
		}
		if i, err := f.GlyphIndex(&pw.buf, r); err != nil || i == 0 {
			fmt.Fprintf(&b, `\u{%x}`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (pw *pdfWriter) width(s style, text string) float64 {
	if pw.err != nil {
		return 0
	}
	pw.setStyle(s)
	w, err := pw.pdf.MeasureTextWidth(text)
	if err != nil {
		pw.err = err
	}
	return w
}

// fit cuts text to width with an ellipsis.
func (pw *pdfWriter) fit(s style, text string, width float64) string {
	if pw.width(s, text) <= width {
		return text
	}
	r := []rune(text)
	for len(r) > 0 && pw.width(s, string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// lines breaks text into lines no wider than width: at spaces where it can,
// inside a word when the word alone is too wide, and at every newline.
func (pw *pdfWriter) lines(s style, text string, width float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			cand := word
			if cur != "" {
				cand = cur + " " + word
			}
			if pw.width(s, cand) <= width {
				cur = cand
				continue
			}
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
			for pw.width(s, word) > width && utf8.RuneCountInString(word) > 1 {
				r := []rune(word)
				n := len(r) - 1
				for n > 1 && pw.width(s, string(r[:n])) > width {
					n--
				}
				out = append(out, string(r[:n]))
				word = string(r[n:])
			}
			cur = word
		}
		out = append(out, cur)
	}
	return out
}

// para draws text wrapped between x and x+width, advancing the pen.
func (pw *pdfWriter) para(x, width float64, s style, text string) {
	text = pw.glyphSafe(s.family, text)
	lh := s.lineHeight()
	for _, l := range pw.lines(s, text, width) {
		pw.ensure(lh)
		pw.setStyle(s)
		pw.cell(x, pw.y, l)
		pw.y += lh
	}
}

// labelled draws "Label" in a left column and wrapped text beside it.
func (pw *pdfWriter) labelled(x, labelW float64, label string, s style, text string, wash *rgb) {
	text = pw.glyphSafe(s.family, text)
	lh := s.lineHeight()
	ls := pw.lines(s, text, pdfWidth-(x-pdfMarginL)-labelW-8)
	first := true
	for i, l := range ls {
		pw.ensure(lh)
		if first || pw.y == pdfMarginT {
			pw.setStyle(stLabel)
			pw.cell(x, pw.y+(s.size-stLabel.size)/2, label)
			first = false
		}
		if wash != nil {
			top, h := pw.y-1.5, lh
			if i == 0 {
				top, h = top-1.5, h+1.5
			}
			if i == len(ls)-1 {
				h += 2
			}
			pw.fill(*wash, x+labelW-4, top, pdfWidth-(x-pdfMarginL)-labelW+4, h)
		}
		pw.setStyle(s)
		pw.cell(x+labelW, pw.y, l)
		pw.y += lh
	}
}

func (pw *pdfWriter) fill(c rgb, x, y, w, h float64) {
	pw.pdf.SetFillColor(c.r, c.g, c.b)
	pw.pdf.RectFromUpperLeftWithStyle(x, y, w, h, "F")
}

// tag draws a coloured label (a severity or status) at (x, y) and returns
// its width.
func (pw *pdfWriter) tag(x, y float64, c rgb, text string) float64 {
	w := pw.width(stTagText, text) + 8
	pw.fill(c, x, y, w, stTagText.size+5)
	pw.setStyle(stTagText)
	pw.cell(x+4, y+2.2, text)
	return w
}

func (pw *pdfWriter) heading(s style, text string) {
	pw.ensure(s.lineHeight() + 40)
	pw.y += s.size * 0.6
	pw.para(pdfMarginL, pdfWidth, s, text)
	if s == stH2 {
		pw.pdf.SetStrokeColor(colLine.r, colLine.g, colLine.b)
		pw.pdf.SetLineWidth(0.6)
		pw.pdf.Line(pdfMarginL, pw.y+1, pdfPageW-pdfMarginR, pw.y+1)
		pw.y += 8
	} else {
		pw.y += 3
	}
}

func (pw *pdfWriter) rule() {
	pw.pdf.SetStrokeColor(colLine.r, colLine.g, colLine.b)
	pw.pdf.SetLineWidth(0.4)
	pw.pdf.Line(pdfMarginL, pw.y, pdfPageW-pdfMarginR, pw.y)
}

// titlePage draws the first page: who, when, what, and the level.
func (pw *pdfWriter) titlePage(v *view) {
	d := v.Doc
	pw.y = 120
	pw.para(pdfMarginL, pdfWidth, style{fontBold, 30, colInk}, "vigil security report")
	sub := "Evidence of a network security scan"
	if d.Label != "" {
		sub += " · " + d.Label
	}
	pw.para(pdfMarginL, pdfWidth, style{fontSans, 13, colMuted}, sub)
	pw.y += 28

	// The level, in a coloured band.
	lc := levelColor(d.Level.Value)
	band := 30.0 + stH1.lineHeight()
	next := pw.lines(style{fontSans, 12, colWhite}, pw.glyphSafe(fontSans, v.NextLine), pdfWidth-40)
	band += float64(len(next)) * 12 * 1.38
	pw.fill(lc, pdfMarginL, pw.y, pdfWidth, band)
	top := pw.y
	pw.y += 15
	pw.para(pdfMarginL+20, pdfWidth-40, style{fontBold, 20, colWhite}, v.Headline)
	pw.para(pdfMarginL+20, pdfWidth-40, style{fontSans, 12, colWhite}, v.NextLine)
	pw.y = top + band + 28

	rows := [][2]string{
		{"Scan", d.ID},
		{"Started", d.Started.UTC().Format("2006-01-02 15:04:05 UTC")},
		{"Finished", d.Finished.UTC().Format("2006-01-02 15:04:05 UTC")},
		{"Targets", strings.Join(d.Targets, " ")},
	}
	if d.Ports != "" {
		rows = append(rows, [2]string{"Ports", d.Ports})
	}
	if d.Run != nil {
		rows = append(rows, [2]string{"Run", d.Run.Summary()})
	}
	counts := []string{}
	for _, g := range v.Counts {
		counts = append(counts, fmt.Sprintf("%d %s", len(g.Findings), g.Severity))
	}
	summary := fmt.Sprintf("%d host(s), %d open port(s), %d finding(s)", len(d.Hosts), v.OpenPorts, len(d.Findings))
	if len(counts) > 0 {
		summary += ": " + strings.Join(counts, ", ")
	}
	rows = append(rows, [2]string{"Found", summary})
	if v.Compliance != nil {
		a := v.Compliance
		rows = append(rows, [2]string{"Framework", fmt.Sprintf("%s: %s", a.Name, a.Summary)})
	}
	tool := d.Tool
	if tool == "" {
		tool = "vigil"
	}
	rows = append(rows, [2]string{"Written by", tool + ", on the organisation's own machine; nothing was sent anywhere."})
	for _, r := range rows {
		pw.labelled(pdfMarginL, 78, r[0], stBody, r[1], nil)
		pw.y += 4
	}
	pw.gaps("Not examined on any host", d.NotExamined)
}

// gaps lists what was not examined under a title; nothing when empty.
func (pw *pdfWriter) gaps(title string, gs []result.Gap) {
	if len(gs) == 0 {
		return
	}
	pw.y += 4
	pw.para(pdfMarginL, pdfWidth, style{fontBold, stBody.size, colPartial}, title)
	for _, g := range gs {
		line := g.What
		if w := g.Where(); w != "" {
			line = w + ": " + line
		}
		pw.para(pdfMarginL+10, pdfWidth-10, stSmall, "- "+line)
	}
}

// levelSection explains the level: why, what to fix, and the rubric.
func (pw *pdfWriter) levelSection(v *view) {
	pw.newPage()
	d := v.Doc
	pw.heading(stH2, "Security level")
	pw.para(pdfMarginL, pdfWidth, style{fontBold, 15, levelColor(d.Level.Value)}, v.Headline)
	pw.para(pdfMarginL, pdfWidth, style{fontSans, 11, colInk}, v.NextLine)
	pw.y += 6
	for i, f := range v.Next {
		pw.ensure(stBody.lineHeight() * 2)
		pw.setStyle(stBody)
		pw.cell(pdfMarginL+4, pw.y, fmt.Sprintf("%d.", i+1))
		w := pw.tag(pdfMarginL+20, pw.y, severityColor(f.Severity), strings.ToUpper(f.Severity.String()))
		pw.para(pdfMarginL+26+w, pdfWidth-26-w, stBody, f.Title+" — "+where(f))
	}
	if len(v.Next) > 0 && d.Level.Reason != "" {
		pw.y += 6
		pw.labelled(pdfMarginL, 50, "Why", stBody, d.Level.Reason, nil)
	}
	pw.y += 12
	pw.heading(stH3, "How the level is rated")
	for _, r := range rubric {
		pw.ensure(18)
		top := pw.y
		if r.Value == d.Level.Value {
			pw.fill(colWash, pdfMarginL, top-3, pdfWidth, 16)
		}
		c := levelColor(r.Value)
		pw.tag(pdfMarginL+4, top, c, fmt.Sprintf("%d · %s", r.Value, strings.ToUpper(r.Name)))
		pw.y = top
		st := stBody
		if r.Value == d.Level.Value {
			st = stStrong
		}
		pw.para(pdfMarginL+90, pdfWidth-90, st, r.Means)
		pw.y += 4
	}
	pw.y += 4
	pw.para(pdfMarginL, pdfWidth, stSmall, rubricNote)
}

// complianceSection draws the framework's controls and their evidence.
func (pw *pdfWriter) complianceSection(a *compliance.Assessment) {
	pw.newPage()
	pw.heading(stH2, "Compliance: "+a.Name)
	pw.para(pdfMarginL, pdfWidth, stBody, fmt.Sprintf("Controls: %s (%s). Scans on record: %s.", a.Summary, a.Dates(), a.SeriesDates()))
	pw.y += 8
	const statusW = 96.0
	for _, c := range a.Controls {
		pw.ensure(48)
		pw.rule()
		pw.y += 6
		top := pw.y
		pw.tag(pdfMarginL, top, statusColor(c.Status), strings.ToUpper(c.Status.String()))
		title := c.ID
		if c.Title != "" {
			title += " " + c.Title
		}
		pw.para(pdfMarginL+statusW, pdfWidth-statusW, stStrong, title)
		pw.para(pdfMarginL+statusW, pdfWidth-statusW, stBody, c.Basis)
		for _, id := range c.Findings {
			f, _ := a.Finding(id)
			pw.ensure(stBody.lineHeight())
			w := pw.tag(pdfMarginL+statusW, pw.y, severityColor(f.Severity), strings.ToUpper(f.Severity.String()))
			line := f.Headline() + " — " + where(f)
			if f.Accepted != nil {
				line += " (risk " + f.Accepted.String() + ")"
			}
			pw.para(pdfMarginL+statusW+w+6, pdfWidth-statusW-w-6, stBody, line)
		}
		if c.Status != compliance.NotMet {
			for _, o := range c.Checked {
				pw.para(pdfMarginL+statusW, pdfWidth-statusW, stSmall, "Checked "+strings.Join(o.Checks, ", ")+" on "+strings.Join(o.Subjects, ", "))
			}
		}
		pw.y += 6
	}
	pw.rule()
	pw.y += 10
	pw.heading(stH3, "What this scan cannot prove")
	for _, l := range a.Limits {
		pw.ensure(stBody.lineHeight())
		pw.setStyle(stBody)
		pw.cell(pdfMarginL+4, pw.y, "•")
		pw.para(pdfMarginL+16, pdfWidth-16, stBody, l)
		pw.y += 3
	}
}

// findingsSection draws every finding, worst first, with evidence and fix.
func (pw *pdfWriter) findingsSection(v *view) {
	pw.newPage()
	pw.heading(stH2, "Findings")
	if len(v.Groups) == 0 {
		pw.para(pdfMarginL, pdfWidth, stBody, "No finding: nothing vigil checks for was found on the hosts and ports scanned.")
	}
	for _, g := range v.Groups {
		pw.heading(style{fontBold, 12, severityColor(g.Severity)}, fmt.Sprintf("%s · %d", strings.ToUpper(g.Severity.String()), len(g.Findings)))
		for _, f := range g.Findings {
			pw.ensure(90)
			top := pw.y
			w := pw.tag(pdfMarginL, top, severityColor(f.Severity), strings.ToUpper(f.Severity.String()))
			pw.para(pdfMarginL+w+8, pdfWidth-w-8, stStrong, f.Title)
			pw.para(pdfMarginL+w+8, pdfWidth-w-8, style{fontMono, 9, colMuted}, where(f))
			pw.y += 3
			if f.Package != nil {
				pw.labelled(pdfMarginL, 64, "Package", stBody, packageLine(f.Package), nil)
				pw.y += 3
			}
			if len(f.Vulnerabilities) > 0 {
				pw.vulnList(f.Vulnerabilities)
				pw.y += 3
			}
			if f.Evidence != "" {
				pw.labelled(pdfMarginL, 64, "Evidence", stMono, f.Evidence, &colWash)
				pw.y += 3
			}
			pw.labelled(pdfMarginL, 64, "Fix", stBody, f.Recommendation, &colFixWash)
			pw.y += 3
			if f.Accepted != nil {
				pw.labelled(pdfMarginL, 64, "Accepted", stStrong, f.Accepted.String(), nil)
				pw.y += 3
			}
			pw.labelled(pdfMarginL, 64, "Check", stSmall, f.Check+" · finding "+f.ID, nil)
			if len(f.Frameworks) > 0 {
				pw.labelled(pdfMarginL, 64, "Controls", stSmall, strings.Join(f.Frameworks, " · "), nil)
			}
			pw.y += 7
			pw.rule()
			pw.y += 9
		}
	}
}

// vulnList draws a finding's vulnerabilities under the label
// "Vulnerabilities", worst first, one a row: the id, then its notes
// ("CVSS 8.1, EPSS 99.51%, fixed in …"), in red when CISA lists it as
// exploited in the wild; at most vulnLimit, then how many more there are.
func (pw *pdfWriter) vulnList(vs []finding.Vulnerability) {
	const x, width = pdfMarginL + 64, pdfWidth - 64
	shown, more := shownVulns(vs)
	idW := 0.0
	for _, v := range shown {
		idW = max(idW, pw.width(stMono, pw.glyphSafe(fontMono, v.ID)))
	}
	idW = min(idW, 120) + 8 // a longer id gets a line of its own
	pw.ensure(stMono.lineHeight())
	pw.setStyle(stLabel)
	pw.cell(pdfMarginL, pw.y+(stMono.size-stLabel.size)/2, "Vulnerabilities")
	pw.y += stMono.lineHeight()
	for _, v := range shown {
		id := pw.glyphSafe(fontMono, v.ID)
		if pw.width(stMono, id)+8 > idW {
			pw.para(x, width, stMono, v.ID)
		} else {
			pw.ensure(stMono.lineHeight())
			pw.setStyle(stMono)
			pw.cell(x, pw.y, id)
		}
		st := stMono
		if v.KEV {
			st.color = severityColor(finding.Critical) // exploited in the wild
		}
		pw.para(x+idW, width-idW, st, strings.Join(v.Notes(), ", "))
	}
	if more > 0 {
		pw.para(x, width, stSmall, moreVulns(more))
	}
}

// hostsSection draws each host and its services as a table.
func (pw *pdfWriter) hostsSection(v *view) {
	pw.newPage()
	pw.heading(stH2, "Hosts and services")
	cols := []float64{62, 62, 110, 28, pdfWidth - 62 - 62 - 110 - 28}
	heads := []string{"PORT", "SERVICE", "PRODUCT", "TLS", "BANNER"}
	for _, h := range v.Hosts {
		title := h.Address
		if len(h.Names) > 0 {
			title += " (" + strings.Join(h.Names, ", ") + ")"
		}
		if h.Level > 0 {
			title += fmt.Sprintf(" — level %d, %s", h.Level, levelName(h.Level))
		}
		pw.heading(stH3, title)
		note := fmt.Sprintf("%d finding(s)", len(h.Findings))
		if c := h.Ports; c.Open+c.Closed+c.Filtered > 0 {
			note = fmt.Sprintf("%d open, %d closed, %d filtered ports · ", c.Open, c.Closed, c.Filtered) + note
		}
		pw.para(pdfMarginL, pdfWidth, stSmall, note)
		pw.y += 3
		if len(h.Services) == 0 {
			pw.para(pdfMarginL, pdfWidth, stSmall, "No open port recorded for this host; its findings come from a host audit.")
		} else {
			pw.tableRow(cols, heads, stLabel, &colWash)
			for _, s := range h.Services {
				tls := "-"
				if s.TLS {
					tls = "yes"
				}
				pw.tableRow(cols, []string{fmt.Sprintf("%d/%s", s.Port, s.Transport), s.Name,
					strings.TrimSpace(s.Product + " " + s.Version), tls, s.Banner}, stMono, nil)
			}
		}
		pw.gaps("Not examined", h.NotExamined)
		pw.y += 10
	}
	if v.Quiet > 0 {
		pw.para(pdfMarginL, pdfWidth, stSmall, fmt.Sprintf("%d more host(s) answered with no open port and no finding.", v.Quiet))
	}
}

// tableRow draws one row of wrapped cells.
func (pw *pdfWriter) tableRow(cols []float64, cells []string, s style, wash *rgb) {
	lh := s.lineHeight()
	var wrapped [][]string
	n := 1
	for i, c := range cells {
		ls := pw.lines(s, pw.glyphSafe(s.family, c), cols[i]-8)
		wrapped = append(wrapped, ls)
		n = max(n, len(ls))
	}
	h := float64(n)*lh + 6
	pw.ensure(h)
	if wash != nil {
		pw.fill(*wash, pdfMarginL, pw.y, pdfWidth, h)
	}
	x := pdfMarginL
	for i, ls := range wrapped {
		pw.setStyle(s)
		for j, l := range ls {
			pw.cell(x+4, pw.y+3+float64(j)*lh, l)
		}
		x += cols[i]
	}
	pw.y += h
	pw.pdf.SetStrokeColor(colLine.r, colLine.g, colLine.b)
	pw.pdf.SetLineWidth(0.4)
	pw.pdf.Line(pdfMarginL, pw.y, pdfPageW-pdfMarginR, pw.y)
}
