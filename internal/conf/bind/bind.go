// Package bind reads the grammar of BIND 9's named.conf: statements of
// words ending in ';', blocks in '{' '}' (themselves ended by ';'),
// double-quoted strings with backslash escapes, and three kinds of
// comments ("//", "#" to the end of the line, "/* … */"). It knows nothing
// of what the statements mean and does not follow include: callers do,
// with the statements it returns. Items of a list ("allow-query { any;
// 10/8; };") are statements too, of one word. It never panics on hostile
// input.
package bind

// Kind is the kind of a token.
type Kind int

// Token kinds.
const (
	// Word is a bare word or a quoted string.
	Word Kind = iota
	// Semicolon ends a statement.
	Semicolon
	// Open starts a block: '{'.
	Open
	// Close ends a block: '}'.
	Close
)

// Token is one token of a file.
type Token struct {
	Kind Kind
	// Value is a word, or a string without its quotes and with its
	// escapes read (\" is ", \\ is \).
	Value string
	// Quoted says the word was a quoted string.
	Quoted bool
	// Line is the line the token starts on, from 1.
	Line int
	// Start and End are the token's bytes in the file.
	Start, End int
}

// Tokenize splits a file into tokens, skipping blanks and comments. A
// string or a /* comment that is not closed runs to the end of the file.
func Tokenize(b []byte) []Token {
	var out []Token
	line := 1
	count := func(from, to int) {
		for _, c := range b[from:to] {
			if c == '\n' {
				line++
			}
		}
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#' || c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			j := i + 2
			for j < len(b) && !(b[j] == '*' && j+1 < len(b) && b[j+1] == '/') {
				j++
			}
			j = min(j+2, len(b))
			count(i, j)
			i = j
		case c == ';':
			out = append(out, Token{Kind: Semicolon, Line: line, Start: i, End: i + 1})
			i++
		case c == '{':
			out = append(out, Token{Kind: Open, Line: line, Start: i, End: i + 1})
			i++
		case c == '}':
			out = append(out, Token{Kind: Close, Line: line, Start: i, End: i + 1})
			i++
		case c == '"':
			start, startLine := i, line
			var v []byte
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' && j+1 < len(b) {
					j++
				}
				v = append(v, b[j])
				j++
			}
			j = min(j+1, len(b))
			count(i, j)
			out = append(out, Token{Kind: Word, Value: string(v), Quoted: true, Line: startLine, Start: start, End: j})
			i = j
		default:
			start := i
			for i < len(b) && !isDelim(b, i) {
				i++
			}
			out = append(out, Token{Kind: Word, Value: string(b[start:i]), Line: line, Start: start, End: i})
		}
	}
	return out
}

// isDelim reports whether a bare word ends at b[i].
func isDelim(b []byte, i int) bool {
	switch b[i] {
	case ' ', '\t', '\r', '\n', '\f', '\v', ';', '{', '}', '"', '#':
		return true
	case '/':
		return i+1 < len(b) && (b[i+1] == '/' || b[i+1] == '*')
	}
	return false
}

// Statement is one statement: words, and a block when it has one.
type Statement struct {
	// Name is the first word, Args the others before the block.
	Name string
	Args []string
	// Line is the line of its first word.
	Line int
	// Start is the offset of its first word; End is just after its ';'
	// (or its block's '}' when no ';' follows, or the end of the file).
	Start, End int
	// Block says the statement has a block; Children are its statements.
	Block    bool
	Children []*Statement
	// After are the words between the block's '}' and the ';' (a view's
	// class, rarely used).
	After []string
}

// MaxDepth is how deep blocks nest in what Parse returns: the statements
// of blocks deeper than that are the children of the block at MaxDepth.
const MaxDepth = 64

// Parse reads a file's statements as a tree. Words left before a '}' (a
// missing ';', an error to named) make a statement of their own.
func Parse(b []byte) []*Statement {
	root := &Statement{Block: true}
	stack := []*Statement{root}
	var words []Token
	var closed *Statement // a block just closed, waiting for its ';'
	flush := func(end int) {
		if len(words) == 0 {
			return
		}
		parent := stack[min(len(stack), MaxDepth+1)-1]
		st := &Statement{Name: words[0].Value, Line: words[0].Line, Start: words[0].Start, End: end}
		for _, w := range words[1:] {
			st.Args = append(st.Args, w.Value)
		}
		parent.Children = append(parent.Children, st)
		words = words[:0]
	}
	for _, t := range Tokenize(b) {
		switch t.Kind {
		case Word:
			if closed != nil {
				closed.After = append(closed.After, t.Value)
				continue
			}
			words = append(words, t)
		case Semicolon:
			if closed != nil {
				closed.End = t.End
				closed = nil
				continue
			}
			flush(t.End)
		case Open:
			closed = nil
			parent := stack[min(len(stack), MaxDepth+1)-1]
			st := &Statement{Block: true, Line: t.Line, Start: t.Start, End: len(b)}
			if len(words) > 0 {
				st.Name, st.Line, st.Start = words[0].Value, words[0].Line, words[0].Start
				for _, w := range words[1:] {
					st.Args = append(st.Args, w.Value)
				}
			}
			words = words[:0]
			parent.Children = append(parent.Children, st)
			stack = append(stack, st)
		case Close:
			closed = nil
			flush(t.Start)
			if len(stack) > 1 {
				closed = stack[len(stack)-1]
				closed.End = t.End
				stack = stack[:len(stack)-1]
			}
		}
	}
	flush(len(b))
	return root.Children
}

// Walk calls fn for each statement, a block before its children, in the
// order of the file.
func Walk(sts []*Statement, fn func(st *Statement)) {
	for _, st := range sts {
		fn(st)
		Walk(st.Children, fn)
	}
}
