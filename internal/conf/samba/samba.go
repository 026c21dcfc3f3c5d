// Package samba reads the grammar of Samba's smb.conf (smb.conf(5)):
// [section] headers, "name = value" parameters, lines starting with ';' or
// '#' as comments, and a backslash at the end of a line continuing it on
// the next. Section and parameter names are read without regard to case
// or blanks, as Samba reads them. It knows nothing of what parameters
// mean and does not follow include: callers do, with the parameters it
// returns. It never panics on hostile input.
package samba

import "strings"

// Param is one "name = value" line.
type Param struct {
	// Name is the name as written, without surrounding blanks.
	Name string
	// Key is the name as Samba compares it: lower case, without blanks
	// ("read only" and "ReadOnly" are both "readonly").
	Key string
	// Value is everything after the first '=', without surrounding blanks.
	Value string
	// Line is the line it starts on, from 1.
	Line int
}

// Section is one [section] and its parameters.
type Section struct {
	// Name is the name between the brackets, without surrounding blanks;
	// "" for the parameters before the first section (Samba takes them as
	// [global]'s).
	Name string
	// Key is the name as Samba compares it (see Param.Key).
	Key string
	// Line is the line of its header (0 for the unnamed first section).
	Line   int
	Params []Param
}

// Get returns the value of the last parameter whose key is key (Samba
// keeps the last value), and whether there is one.
func (s Section) Get(key string) (string, bool) {
	key = Canonical(key)
	for i := len(s.Params) - 1; i >= 0; i-- {
		if s.Params[i].Key == key {
			return s.Params[i].Value, true
		}
	}
	return "", false
}

// Canonical returns a name as Samba compares it: lower case, blanks
// removed.
func Canonical(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), ""))
}

// Parse reads a file's sections in order. The parameters before the first
// section header are in a first section named ""; it is left out when
// there are none. Lines that are neither a header nor a parameter are
// skipped, as Samba skips them.
func Parse(b []byte) []Section {
	out := []Section{{}}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		first := i
		text := strings.Trim(lines[i], " \t\r\f\v")
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		for strings.HasSuffix(text, "\\") && i+1 < len(lines) {
			i++
			text = text[:len(text)-1] + strings.Trim(lines[i], " \t\r\f\v")
		}
		if text == "" {
			continue
		}
		if text[0] == '[' {
			end := strings.IndexByte(text, ']')
			if end < 0 {
				continue
			}
			name := strings.TrimSpace(text[1:end])
			out = append(out, Section{Name: name, Key: Canonical(name), Line: first + 1})
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		if !ok || strings.TrimSpace(name) == "" {
			continue
		}
		cur := &out[len(out)-1]
		cur.Params = append(cur.Params, Param{Name: strings.TrimSpace(name), Key: Canonical(name), Value: strings.TrimSpace(value), Line: first + 1})
	}
	if len(out[0].Params) == 0 {
		out = out[1:]
	}
	return out
}

// Bool reads a boolean value as Samba does: yes, true, on, 1 and no,
// false, off, 0, in any case; ok is false for anything else.
func Bool(v string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "on", "1":
		return true, true
	case "no", "false", "off", "0":
		return false, true
	}
	return false, false
}
