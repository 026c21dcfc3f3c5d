// Package apache reads the grammar of Apache httpd's configuration files:
// one directive a line, a backslash at the very end of a line continuing
// it on the next, '#' comment lines, arguments split at blanks with double
// or single quotes grouping them, and <Section args> … </Section> blocks.
// It knows nothing of what directives mean and does not follow Include or
// IncludeOptional: callers do, with the directives it returns. It never
// panics on hostile input.
package apache

import "strings"

// Directive is one directive, or one section with the directives in it.
type Directive struct {
	// Name is the directive's or section's name as written (httpd reads
	// names without regard to case).
	Name string
	// Args are its arguments with quotes taken off; a section's are those
	// inside its <…>.
	Args []string
	// Line is the line it starts on, from 1; EndLine the line it ends on
	// (a continued directive, or a section's closing tag; 0 for a section
	// that is never closed).
	Line, EndLine int
	// Section says it is a <Section>; Children are its directives.
	Section  bool
	Children []*Directive
}

// MaxDepth is how deep sections nest in what Parse returns: the
// directives of sections deeper than that are the children of the section
// at MaxDepth.
const MaxDepth = 64

// Parse reads a file's directives as a tree. A closing tag closes the
// innermost open section of its name (and those opened inside it); one
// that matches no open section is ignored.
func Parse(b []byte) []*Directive {
	root := &Directive{Section: true}
	stack := []*Directive{root}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		first := i
		text := strings.TrimRight(lines[i], "\r")
		// A backslash as the very last character continues the line.
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = text[:len(text)-1] + " " + strings.TrimLeft(strings.TrimRight(lines[i], "\r"), " \t")
		}
		text = strings.Trim(text, " \t\f\v")
		if text == "" || text[0] == '#' {
			continue
		}
		parent := stack[min(len(stack), MaxDepth+1)-1]
		if strings.HasPrefix(text, "</") {
			name := strings.TrimSpace(strings.TrimSuffix(text[2:], ">"))
			for j := len(stack) - 1; j > 0; j-- {
				if strings.EqualFold(stack[j].Name, name) {
					for _, s := range stack[j:] {
						s.EndLine = i + 1
					}
					stack = stack[:j]
					break
				}
			}
			continue
		}
		if text[0] == '<' && len(text) > 1 {
			inner := strings.TrimSuffix(text[1:], ">")
			words := Split(inner)
			if len(words) == 0 {
				continue
			}
			d := &Directive{Name: words[0], Args: words[1:], Line: first + 1, Section: true}
			parent.Children = append(parent.Children, d)
			stack = append(stack, d)
			continue
		}
		words := Split(text)
		parent.Children = append(parent.Children, &Directive{Name: words[0], Args: words[1:], Line: first + 1, EndLine: i + 1})
	}
	return root.Children
}

// Split splits a directive's text into words as httpd does: blanks
// separate them, double or single quotes group them (a backslash escapes
// the quote inside), and a quote left open runs to the end.
func Split(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\f' || c == '\v' {
			i++
			continue
		}
		var w strings.Builder
		if c == '"' || c == '\'' {
			i++
			for i < len(s) && s[i] != c {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == c || s[i+1] == '\\') {
					i++
				}
				w.WriteByte(s[i])
				i++
			}
			i++
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\f' && s[i] != '\v' {
				w.WriteByte(s[i])
				i++
			}
		}
		out = append(out, w.String())
	}
	return out
}

// Walk calls fn for each directive, a section before its children, in
// the order of the file.
func Walk(ds []*Directive, fn func(d *Directive)) {
	for _, d := range ds {
		fn(d)
		Walk(d.Children, fn)
	}
}
