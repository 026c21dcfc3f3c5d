package access

import (
	"bytes"
	"strings"
)

// passwordForm looks through an HTML page for an <input type="password">
// and returns the action of the form around it ("" when the form has none,
// or the input is outside a form). It is a tolerant scanner, not a full
// HTML parser: it skips comments and the content of <script>, <style>,
// <template> and <textarea>, reads attributes quoted or not, and is case
// insensitive, which is what finding a login form needs.
func passwordForm(page []byte) (found bool, action string) {
	b := page
	inForm := false
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			return false, ""
		}
		b = b[i+1:]
		if bytes.HasPrefix(b, []byte("!--")) {
			end := bytes.Index(b[3:], []byte("-->"))
			if end < 0 {
				return false, ""
			}
			b = b[3+end+3:]
			continue
		}
		closing := false
		if len(b) > 0 && b[0] == '/' {
			closing, b = true, b[1:]
		}
		n := 0
		for n < len(b) && isTagNameByte(b[n]) {
			n++
		}
		if n == 0 {
			continue // "<" in text, "<!doctype", "<?xml"
		}
		name := strings.ToLower(string(b[:n]))
		attrs, rest := parseAttrs(b[n:])
		b = rest
		switch {
		case closing && name == "form":
			inForm, action = false, ""
		case closing:
		case name == "form":
			inForm, action = true, attrs["action"]
		case name == "input" && strings.EqualFold(strings.TrimSpace(attrs["type"]), "password"):
			if !inForm {
				action = ""
			}
			return true, action
		case name == "script", name == "style", name == "template", name == "textarea":
			end := indexFold(b, "</"+name)
			if end < 0 {
				return false, ""
			}
			b = b[end:]
		}
	}
}

func isTagNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// parseAttrs reads the attributes of a tag up to its '>' and returns them
// (lower-case names, first of duplicates wins) and the bytes after the tag.
func parseAttrs(b []byte) (map[string]string, []byte) {
	attrs := map[string]string{}
	for {
		for len(b) > 0 && (isSpace(b[0]) || b[0] == '/') {
			b = b[1:]
		}
		if len(b) == 0 {
			return attrs, nil
		}
		if b[0] == '>' {
			return attrs, b[1:]
		}
		n := 0
		for n < len(b) && !isSpace(b[n]) && b[n] != '=' && b[n] != '>' && b[n] != '/' {
			n++
		}
		if n == 0 { // a stray '=' or quote
			b = b[1:]
			continue
		}
		name := strings.ToLower(string(b[:n]))
		b = b[n:]
		for len(b) > 0 && isSpace(b[0]) {
			b = b[1:]
		}
		value := ""
		if len(b) > 0 && b[0] == '=' {
			b = b[1:]
			for len(b) > 0 && isSpace(b[0]) {
				b = b[1:]
			}
			if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
				q := b[0]
				end := bytes.IndexByte(b[1:], q)
				if end < 0 {
					return attrs, nil
				}
				value, b = string(b[1:1+end]), b[1+end+1:]
			} else {
				m := 0
				for m < len(b) && !isSpace(b[m]) && b[m] != '>' {
					m++
				}
				value, b = string(b[:m]), b[m:]
			}
		}
		if _, dup := attrs[name]; !dup {
			attrs[name] = value
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// indexFold is bytes.Index, ignoring ASCII case of sub (which is lower case).
func indexFold(b []byte, sub string) int {
	n, want := len(sub), []byte(sub)
	for i := 0; i+n <= len(b); i++ {
		if bytes.EqualFold(b[i:i+n], want) {
			return i
		}
	}
	return -1
}
