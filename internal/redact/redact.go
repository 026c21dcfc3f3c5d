// Package redact hides secrets in text that vigil keeps or prints but did
// not write itself: process command lines and titles, lines of
// configuration files, URLs and error messages that quote them.
//
// One function, String, serves every such string. It works on words
// (separated by spaces), so a command line split into arguments and the
// same line rewritten by the process into one title are treated alike. It
// hides:
//
//   - the value of a flag whose name suggests a secret, in the forms
//     --name=VALUE, --name VALUE and -xVALUE (MySQL's -pSECRET), and the
//     value after -a (redis-cli);
//   - the value of a KEY=VALUE pair or of a "key value" configuration line
//     whose key suggests a secret (requirepass S, -Ddb.password=S,
//     password=S), never other pairs (listen_address=… is evidence);
//   - the password of a URL's user information (postgres://app:S@db/app);
//   - the credentials after an HTTP "Basic" or "Bearer" scheme word.
//
// A key suggests a secret when one of its words (split at '-', '_', '.',
// and lower-to-upper case changes) is on a broad list (pass, password,
// secret, token, auth, apikey, credential, …) or when "key" follows a word
// such as api, private, client or access. Names that end in a word saying
// the value is not the secret itself (…file, …path, …authentication,
// …encryption, …methods) are left alone, and so are yes/no style values.
package redact

import (
	"regexp"
	"strings"
	"unicode"
)

// Mask replaces every hidden value.
const Mask = "********"

// secretWords are the words of a key name that make its value a secret.
var secretWords = map[string]bool{
	"pass": true, "passwd": true, "password": true, "passwords": true, "passphrase": true, "pwd": true, "pw": true,
	"secret": true, "secrets": true, "token": true, "tokens": true, "credential": true, "credentials": true, "creds": true,
	"auth": true, "masterauth": true, "requirepass": true, "authpass": true, "apikey": true, "privatekey": true,
	"accesskey": true, "secretkey": true, "sessionkey": true, "signature": true, "cookie": true, "jwt": true,
	"bearer": true, "otp": true, "passin": true, "passout": true, "pin": true, "sasl": true, "psk": true, "community": true,
}

// keyQualifiers are the words that make a following "key" a secret.
var keyQualifiers = map[string]bool{
	"api": true, "access": true, "private": true, "client": true, "secret": true, "signing": true, "master": true,
	"encryption": true, "shared": true, "license": true, "auth": true, "session": true, "account": true,
	"storage": true, "service": true, "app": true, "application": true, "sas": true, "subscription": true,
}

// plainLast are final words of a key name that say its value is not the
// secret itself but where it is or how it is used.
var plainLast = map[string]bool{
	"file": true, "files": true, "path": true, "dir": true, "directory": true, "authentication": true,
	"encryption": true, "methods": true, "method": true, "length": true, "policy": true, "timeout": true,
	"enabled": true, "required": true, "type": true, "mode": true, "id": true, "user": true, "username": true,
	"name": true, "prompt": true, "hash": true, "algorithm": true, "format": true,
}

// plainValues are values that are never secrets: switches.
var plainValues = map[string]bool{
	"yes": true, "no": true, "true": true, "false": true, "on": true, "off": true, "0": true, "1": true,
	"none": true, "": true, "required": true, "optional": true, "prohibit-password": true, "without-password": true,
}

// SecretKey reports whether a flag, setting or variable name (without
// leading dashes) suggests that its value is a secret.
func SecretKey(name string) bool {
	name = strings.TrimLeft(name, "-")
	if strings.HasPrefix(name, "D") && strings.Contains(name, ".") {
		name = name[1:] // Java system property: -Ddb.password
	}
	words := splitWords(name)
	if len(words) == 0 || plainLast[words[len(words)-1]] {
		return false
	}
	joined := strings.Join(words, "")
	for _, s := range []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey", "secretkey", "requirepass", "masterauth", "credential"} {
		if strings.Contains(joined, s) {
			return true
		}
	}
	for i, w := range words {
		if secretWords[w] {
			return true
		}
		if w == "key" && i > 0 && keyQualifiers[words[i-1]] {
			return true
		}
	}
	return false
}

// splitWords splits a name at '-', '_', '.', ':' and lower-to-upper case
// changes, in lower case.
func splitWords(name string) []string {
	var out []string
	var cur strings.Builder
	var prev rune
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, strings.ToLower(cur.String()))
			cur.Reset()
		}
	}
	for _, r := range name {
		switch {
		case r == '-' || r == '_' || r == '.' || r == ':' || r == '/':
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur.WriteRune(r)
		default:
			cur.WriteRune(r)
		}
		prev = r
	}
	flush()
	return out
}

// urlUserinfo matches the password of a URL's user information.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*):([^\s@/]*)@`)

// Args redacts a command line given as arguments and joins it with spaces.
func Args(args []string) string { return String(strings.Join(args, " ")) }

// word is one word of a line and the spaces after it.
type word struct{ text, sep string }

// String redacts a line of text: a command line or process title, a line
// of a configuration file, or a message quoting one. Spacing between words
// is kept.
func String(s string) string {
	if s == "" {
		return s
	}
	s = urlUserinfo.ReplaceAllString(s, "$1:"+Mask+"@")
	lead, words := splitLine(s)
	acl := len(words) > 0 && strings.EqualFold(words[0].text, "user")
	for i := 0; i < len(words); i++ {
		w := words[i].text
		bare := strings.Trim(w, `"',;`)
		lower := strings.ToLower(bare)
		if acl && i > 1 && len(bare) > 1 && strings.ContainsRune("><#", rune(bare[0])) {
			words[i].text = bare[:1] + Mask // Redis ACL: user NAME on >password #sha256
			continue
		}
		if k, v, ok := strings.Cut(bare, "="); ok && k != "" {
			if SecretKey(k) && !plain(v) {
				words[i].text = strings.Replace(w, bare, k+"="+Mask, 1)
			}
			continue
		}
		switch {
		case bare == "-p":
			// -p PORT, -p /prefix; otherwise a password (mongo, sshpass, docker login).
			if n, ok := value(words, i); ok && !allDigits(n) && !strings.HasPrefix(n, "/") && !strings.HasPrefix(n, ".") {
				i = maskValue(words, i+1)
			}
		case strings.HasPrefix(bare, "-p") && len(bare) > 2 && !allDigits(bare[2:]) && !strings.ContainsAny(bare[2:], "/") && !isWordFlag(bare):
			words[i].text = strings.Replace(w, bare, "-p"+Mask, 1) // MySQL's -pSECRET
		case bare == "-a":
			if _, ok := value(words, i); ok {
				i = maskValue(words, i+1)
			}
		case bare == "-u" || lower == "--user" || lower == "--username":
			if n, ok := value(words, i); ok {
				if u, _, found := strings.Cut(n, ":"); found {
					words[i+1].text = u + ":" + Mask // curl -u user:password
					i++
				}
			}
		case strings.HasPrefix(bare, "-") && SecretKey(bare):
			if n, ok := value(words, i); ok && !plain(n) {
				i = maskValue(words, i+1)
			}
		case strings.HasPrefix(bare, "-"):
		case lower == "basic" || lower == "bearer":
			if n, ok := value(words, i); ok && len(n) >= 8 {
				i = maskValue(words, i+1)
			}
		case SecretKey(strings.TrimSuffix(bare, ":")):
			// A configuration line "requirepass S", "password = S",
			// "password: S", or "set aws_secret_access_key S"; a lone
			// word in a sentence ("gcloud auth login") is not a key.
			j := i + 1
			sep := j < len(words) && (words[j].text == "=" || words[j].text == ":")
			if sep {
				j++
			}
			key := i == 0 || sep || strings.HasSuffix(bare, ":") || strings.ContainsAny(bare, "_.")
			if key && j < len(words) && !plain(words[j].text) && !strings.HasPrefix(words[j].text, "-") {
				i = maskValue(words, j)
			}
		}
	}
	var b strings.Builder
	b.WriteString(lead)
	for _, w := range words {
		b.WriteString(w.text)
		b.WriteString(w.sep)
	}
	return b.String()
}

// splitLine splits s into words, each with the spaces after it, and the
// spaces before the first.
func splitLine(s string) (string, []word) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	lead := s[:i]
	var words []word
	for i < len(s) {
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		k := j
		for k < len(s) && isSpace(s[k]) {
			k++
		}
		words = append(words, word{s[i:j], s[j:k]})
		i = k
	}
	return lead, words
}

// value returns the word after words[i] when it can be a flag's value (it
// is not another flag).
func value(words []word, i int) (string, bool) {
	if i+1 >= len(words) {
		return "", false
	}
	n := strings.Trim(words[i+1].text, `"'`)
	return n, n != "" && !strings.HasPrefix(words[i+1].text, "-")
}

// maskValue hides words[j], and the words after it up to the closing quote
// when it opens a quoted value; it returns the index of the last word hidden.
func maskValue(words []word, j int) int {
	t := words[j].text
	words[j].text = Mask
	if t == "" || (t[0] != '"' && t[0] != '\'') || (len(t) > 1 && t[len(t)-1] == t[0]) {
		return j
	}
	for k := j + 1; k < len(words); k++ {
		end := strings.HasSuffix(words[k].text, t[:1])
		words[j].sep = words[k].sep
		words[k].text, words[k].sep = "", ""
		if end {
			return k
		}
	}
	return len(words) - 1
}

// plain reports a value that is a switch, never a secret.
func plain(v string) bool { return plainValues[strings.ToLower(strings.Trim(v, `"'`))] }

// isWordFlag reports whether a single-dash flag starting with -p is a word
// (-pidfile, -port, -prefix) rather than -p with a value glued to it.
func isWordFlag(f string) bool {
	for _, w := range []string{"-pid", "-port", "-prefix", "-profile", "-print", "-path", "-pipe", "-pp", "-proto", "-passin", "-passout", "-pass"} {
		if strings.HasPrefix(strings.ToLower(f), w) {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
