package serve

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// funcs are the template helpers. Every string from a scan goes through
// html/template's escaping; none is ever turned into template.HTML.
var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join":      func(ss []string) string { return strings.Join(ss, " ") },
	"pct":       func(f float64) string { return fmt.Sprintf("%d%%", int(math.Round(f*100))) },
	"levelName": level.Name,
}

// parsePages parses each page with the layout and the shared parts.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	shared := []string{"templates/layout.html", "templates/findings_table.html"}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n == shared[0] || n == shared[1] {
			continue
		}
		t, err := template.New(path.Base(n)).Funcs(funcs).ParseFS(templateFiles, append([]string{n}, shared...)...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		out[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return out, nil
}

// pageData is what every page template gets.
type pageData struct {
	User *principal
	Data any
}

// render writes a page; the page is rendered in full before any byte is
// sent, so a template error is a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *principal, data any) {
	t := s.pages[name]
	if t == nil {
		s.log.Error("no such page template", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", pageData{User: p, Data: data}); err != nil {
		s.log.Error("cannot render a page", "page", name, "err", err)
		http.Error(w, "internal error: the page cannot be shown; the server log says why", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(visible(b.String())))
}

// visible makes control characters in a rendered page visible: the
// templates write none besides line breaks and tabs, so any other comes
// from a scan (a banner, a certificate name) and shows as its Unicode
// control picture (ESC as ␛); C1 controls and bidirectional overrides, which
// could reorder what a reader sees, and invalid UTF-8 show as U+FFFD.
func visible(page string) string {
	page = strings.ToValidUTF8(page, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return r
		case r < 0x20:
			return 0x2400 + r
		case r == 0x7f:
			return 0x2421
		case r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return '\uFFFD'
		}
		return r
	}, page)
}

// chartPoint is one point of a level chart.
type chartPoint struct {
	When  time.Time
	Level int
	Label string
}

// levelChart draws levels over time as an SVG line chart: x by order, y
// from 1 to 5. Labels are escaped (text content and attributes are built
// with html/template's escaper).
func levelChart(points []chartPoint, title string) template.HTML {
	const w, h, left, right, top, bottom = 720.0, 200.0, 40.0, 16.0, 16.0, 28.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`,
		w, h, w, h, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(title))
	y := func(lv int) float64 { return top + (h-top-bottom)*(5-float64(lv))/4 }
	for lv := 1; lv <= 5; lv++ {
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#dde1e8"/><text x="%g" y="%.1f" font-size="11" fill="#5b6478" text-anchor="end">%d</text>`,
			left, w-right, y(lv), y(lv), left-8, y(lv)+4, lv)
	}
	if len(points) == 0 {
		fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="13" fill="#5b6478" text-anchor="middle">no scan yet</text></svg>`, w/2, h/2)
		return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
	}
	x := func(i int) float64 {
		if len(points) == 1 {
			return (left + w - right) / 2
		}
		return left + (w-left-right)*float64(i)/float64(len(points)-1)
	}
	var line strings.Builder
	for i, p := range points {
		lv := min(max(p.Level, 1), 5)
		fmt.Fprintf(&line, "%.1f,%.1f ", x(i), y(lv))
	}
	fmt.Fprintf(&b, `<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="%s"/>`, strings.TrimSpace(line.String()))
	for i, p := range points {
		lv := min(max(p.Level, 1), 5)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s</title></circle>`, x(i), y(lv), levelColor(lv),
			template.HTMLEscapeString(sanitize.Terminal(p.Label)+": level "+fmt.Sprint(p.Level)))
	}
	first, last := points[0].When.UTC().Format("2006-01-02"), points[len(points)-1].When.UTC().Format("2006-01-02")
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" fill="#5b6478">%s</text><text x="%g" y="%g" font-size="11" fill="#5b6478" text-anchor="end">%s</text></svg>`,
		left, h-8, first, w-right, h-8, last)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

func levelColor(lv int) string {
	switch lv {
	case 1:
		return "#8b0000"
	case 2:
		return "#c0392b"
	case 3:
		return "#d68910"
	}
	return "#1e8449"
}
