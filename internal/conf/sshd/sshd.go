// Package sshd reads the grammar of OpenSSH's sshd_config (sshd_config(5)):
// one directive a line, a keyword separated from its arguments by blanks
// or one '=', arguments split as sshd splits them (double or single
// quotes, backslash escapes, a '#' starting an argument ends the line),
// '#' comment lines, and Match blocks that run to the next Match. It knows
// nothing of what keywords mean beyond their old names, and does not
// follow Include: callers do, with the directives it returns. It never
// panics on hostile input.
package sshd

import "strings"

// Directive is one line of an sshd_config file that says something.
type Directive struct {
	// Keyword is the keyword as written.
	Keyword string
	// Key is the keyword in lower case, with an old name read as the
	// current one (ChallengeResponseAuthentication is
	// KbdInteractiveAuthentication).
	Key string
	// Args are the arguments with quotes and escapes read.
	Args []string
	// Line is the line number, from 1.
	Line int
	// Text is the line as written, without surrounding blanks.
	Text string
	// Match is true for a directive inside a Match block, which applies
	// only to some connections; a "Match all" line ends the block. Match
	// lines themselves are directives too (Key "match"), with Match false.
	Match bool
}

// Value returns the arguments joined by one space.
func (d Directive) Value() string { return strings.Join(d.Args, " ") }

// aliases maps deprecated keywords (lower case) to their current names.
var aliases = map[string]string{"challengeresponseauthentication": "kbdinteractiveauthentication"}

// blanks are what sshd strips around a line.
const blanks = " \t\r\n\f"

// ParseLine reads one line; false for blank lines, comments and lines
// with no keyword.
func ParseLine(line string) (Directive, bool) {
	t := strings.Trim(line, blanks)
	if t == "" || t[0] == '#' {
		return Directive{}, false
	}
	end := strings.IndexAny(t, " \t=")
	if end < 0 {
		end = len(t)
	}
	if end == 0 {
		return Directive{}, false
	}
	d := Directive{Keyword: t[:end], Text: t}
	d.Key = strings.ToLower(d.Keyword)
	if a, ok := aliases[d.Key]; ok {
		d.Key = a
	}
	rest := strings.TrimPrefix(strings.TrimLeft(t[end:], " \t"), "=")
	d.Args = splitArgs(rest)
	return d, true
}

// splitArgs splits arguments as OpenSSH's argv_split does: blanks separate
// them, quotes group (and are taken off), a backslash escapes a quote, a
// backslash or (outside quotes) a space, and a '#' starting an argument
// ends the line. A quote left open runs to the end of the line.
func splitArgs(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			continue
		}
		if s[i] == '#' {
			break
		}
		var arg strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')):
				i++
				arg.WriteByte(s[i])
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				arg.WriteByte(c)
				continue
			}
			break
		}
		out = append(out, arg.String())
	}
	return out
}

// Parse reads the directives of one file in order, Match lines included.
func Parse(b []byte) []Directive {
	var out []Directive
	inMatch := false
	for i, line := range strings.Split(string(b), "\n") {
		d, ok := ParseLine(line)
		if !ok {
			continue
		}
		d.Line = i + 1
		if d.Key == "match" {
			inMatch = !(len(d.Args) == 1 && strings.EqualFold(d.Args[0], "all"))
		} else {
			d.Match = inMatch
		}
		out = append(out, d)
	}
	return out
}
