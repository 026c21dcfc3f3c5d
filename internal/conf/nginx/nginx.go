// Package nginx reads the grammar of nginx configuration files: words
// (bare or quoted, with nginx's escapes), ';' ending a simple directive,
// '{' and '}' around a block, '#' comments. It knows nothing of what the
// directives mean and does not follow include: callers do, with the
// directives it returns. Every token and directive keeps its line number
// and its byte offsets in the file, so that a caller can quote a line or
// edit the file at the very place. It never panics on hostile input.
package nginx

import "strings"

// Kind is the kind of a token.
type Kind int

// Token kinds.
const (
	// Word is an argument or a directive's name, bare or quoted.
	Word Kind = iota
	// Semicolon ends a simple directive.
	Semicolon
	// Open starts a block: '{'.
	Open
	// Close ends a block: '}'.
	Close
)

// Token is one token of a file.
type Token struct {
	Kind Kind
	// Value is a word with its quotes taken off and nginx's escapes (\",
	// \', \\, \t, \r, \n) read; other backslashes stay as written.
	Value string
	// Quoted says the word was in quotes.
	Quoted bool
	// Line is the line the token starts on, from 1.
	Line int
	// Start and End are the token's bytes in the file.
	Start, End int
}

// Tokenize splits a file into tokens, skipping blanks and comments. A
// quoted string that is not closed runs to the end of the file.
func Tokenize(b []byte) []Token {
	var out []Token
	line := 1
	for i := 0; i < len(b); {
		c := b[i]
		switch c {
		case '\n':
			line++
			i++
			continue
		case ' ', '\t', '\r', '\f':
			i++
			continue
		case '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			continue
		case ';':
			out = append(out, Token{Kind: Semicolon, Line: line, Start: i, End: i + 1})
			i++
			continue
		case '{':
			out = append(out, Token{Kind: Open, Line: line, Start: i, End: i + 1})
			i++
			continue
		case '}':
			out = append(out, Token{Kind: Close, Line: line, Start: i, End: i + 1})
			i++
			continue
		}
		start, startLine := i, line
		var raw []byte
		quoted := false
		if c == '"' || c == '\'' {
			quoted = true
			i++
			for i < len(b) && b[i] != c {
				if b[i] == '\\' && i+1 < len(b) {
					i++
				}
				i++
			}
			raw = b[start+1 : min(i, len(b))]
			i = min(i+1, len(b))
		} else {
			dollar := false
			for i < len(b) {
				d := b[i]
				if d == '{' && dollar {
					// ${name}: a variable, not a block.
					dollar = false
					i++
					continue
				}
				if d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == '\f' || d == ';' || d == '{' {
					break
				}
				dollar = d == '$'
				if d == '\\' && i+1 < len(b) {
					i++
				}
				i++
			}
			raw = b[start:i]
		}
		for _, x := range b[start:i] {
			if x == '\n' {
				line++
			}
		}
		out = append(out, Token{Kind: Word, Value: unescape(raw), Quoted: quoted, Line: startLine, Start: start, End: i})
	}
	return out
}

// unescape reads nginx's escapes in a word.
func unescape(raw []byte) string {
	if !strings.ContainsRune(string(raw), '\\') {
		return string(raw)
	}
	var w strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			switch raw[i+1] {
			case '"', '\'', '\\':
				w.WriteByte(raw[i+1])
				i++
				continue
			case 't':
				w.WriteByte('\t')
				i++
				continue
			case 'r':
				w.WriteByte('\r')
				i++
				continue
			case 'n':
				w.WriteByte('\n')
				i++
				continue
			}
		}
		w.WriteByte(raw[i])
	}
	return w.String()
}

// Directive is one directive: a simple one ("listen 443 ssl;") or a block
// ("server { … }").
type Directive struct {
	Name string
	Args []string
	// Line is the line of its name.
	Line int
	// Start is the offset of its name; End is just after its ';', or
	// after its block's '}' (the end of the file when the block is not
	// closed).
	Start, End int
	// Open is just after the '{' of a block, -1 for a simple directive.
	Open int
	// Children are a block's directives.
	Children []*Directive
}

// IsBlock reports whether d is a block.
func (d *Directive) IsBlock() bool { return d.Open >= 0 }

// MaxDepth is how deep blocks nest in what Parse returns: the directives
// of blocks deeper than that are the children of the block at MaxDepth.
const MaxDepth = 64

// Parse reads a file's directives as a tree. Words before a '}' with no
// ';' (an error to nginx) are dropped, as is a '}' with no block open.
func Parse(b []byte) []*Directive {
	root := &Directive{Open: 0}
	stack := []*Directive{root}
	var words []Token
	for _, t := range Tokenize(b) {
		parent := stack[min(len(stack), MaxDepth+1)-1]
		switch t.Kind {
		case Word:
			words = append(words, t)
		case Semicolon:
			if len(words) > 0 {
				parent.Children = append(parent.Children, directive(words, t.End, -1))
			}
			words = words[:0]
		case Open:
			d := &Directive{Name: "", Open: t.End, Start: t.Start, End: len(b), Line: t.Line}
			if len(words) > 0 {
				d = directive(words, len(b), t.End)
			}
			parent.Children = append(parent.Children, d)
			stack = append(stack, d)
			words = words[:0]
		case Close:
			if len(stack) > 1 {
				stack[len(stack)-1].End = t.End
				stack = stack[:len(stack)-1]
			}
			words = words[:0]
		}
	}
	return root.Children
}

func directive(words []Token, end, open int) *Directive {
	d := &Directive{Name: words[0].Value, Line: words[0].Line, Start: words[0].Start, End: end, Open: open}
	for _, w := range words[1:] {
		d.Args = append(d.Args, w.Value)
	}
	return d
}

// Walk calls fn for each directive, a block before its children, in the
// order of the file.
func Walk(ds []*Directive, fn func(d *Directive)) {
	for _, d := range ds {
		fn(d)
		Walk(d.Children, fn)
	}
}
