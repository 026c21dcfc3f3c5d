package samba

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// This file reads a configuration the way smbd does (Samba 4.17,
// smb.conf(5) and source3/param/loadparm.c), so that the host audit and
// the fix agree on which line sets what:
//
//   - Parameters before the first section header, and in every [global]
//     section (a second [global] goes on with the first), are global.
//   - "include = FILE" reads FILE "literally, as though typed in place"
//     (smb.conf(5), include): its lines without a header go on in the
//     section of the include line, and a header inside it changes the
//     section for the rest of the including file too. Samba skips an
//     include that does not exist. The value takes substitutions (%m, %I,
//     %U…) that depend on the client: vigil does not follow those. A
//     relative name is opened from smbd's working directory, which vigil
//     does not know either. "include = registry" reads the registry.
//   - "config file = FILE" in [global]: "if the name of the config file
//     has changed when the parameters are loaded then it will reload them
//     from the new config file", and "if the config file doesn't exist
//     then it won't be loaded" (smb.conf(5), config file). smbd starts
//     afresh from FILE (source3/smbd/server_reload.c, reload_services:
//     lp_next_configfile, then lp_load_with_shares with the globals
//     reset). testparm does not follow it. Checked with Debian's Samba
//     4.17.12: an smbd started with -s A, where A sets server min protocol
//     = SMB2_02 and config file = B, and B sets NT1, accepts SMBv1;
//     testparm A prints SMB2_02.
//   - A global parameter in a share section is ignored ("Global parameter
//     … found in service section!"), and a share starts from the [global]
//     values of its parameters as they stand when its section first opens
//     (later [global] lines do not reach it): checked with testparm 4.17.

// Limits of following include and config file.
const (
	maxDepth     = 8
	maxFiles     = 64
	maxRedirects = 4
)

// Entry is one parameter as smbd applies it, in reading order, with the
// files it includes expanded in place.
type Entry struct {
	Param
	// File is the file the line is in.
	File string
	// Section is the canonical key of its section: "global" for [global]
	// and for the lines before the first header; "" when it cannot be
	// known (it follows an include vigil could not read, which may have
	// opened another section).
	Section string
	// SectionName is that section's name as its header writes it.
	SectionName string
	// Unread says, on an include line, why the file it names was not
	// read although it may hold settings (a % substitution, a relative
	// name, a read error); "" when it was read or does not exist.
	Unread string
	// Missing is set on an include line whose file does not exist:
	// Samba skips it too.
	Missing bool
}

// Loaded is a configuration as smbd reads it.
type Loaded struct {
	// Main is the file the read that counts starts from: the file smbd
	// was started with, or the one its "config file" names.
	Main string
	// Redirects are the "config file" lines followed, in order.
	Redirects []Entry
	// Ignored says why a "config file" line was not followed; "" when
	// there was none, or it was.
	Ignored string
	// Files are the files read for Main, in order (Main first).
	Files []string
	// Entries are the parameters in reading order; an entry with an
	// empty Key marks a section header (Samba creates the share there).
	Entries []Entry
}

// Reader reads one file. A file that does not exist returns an error
// wrapping fs.ErrNotExist.
type Reader func(name string) ([]byte, error)

// Load reads main and what it includes, and follows "config file", as
// smbd does. It fails only when main itself (or a file a "config file"
// line moved to) cannot be read; includes that cannot be read are
// Entries with Unread set.
func Load(main string, read Reader) (*Loaded, error) {
	cur := main
	seen := map[string]bool{}
	var redirects []Entry
	for {
		seen[path.Clean(cur)] = true
		l, err := loadOnce(cur, read)
		if err != nil {
			return nil, err
		}
		l.Redirects = redirects
		e, ok := l.Global("configfile")
		if !ok || e.Value == "" {
			return l, nil
		}
		next := e.Value
		switch {
		case strings.Contains(next, "%"):
			l.Ignored = fmt.Sprintf("%s:%d: config file = %s depends on the client (%% substitution): vigil read %s", e.File, e.Line, next, cur)
			return l, nil
		case !path.IsAbs(next):
			l.Ignored = fmt.Sprintf("%s:%d: config file = %s is relative to smbd's working directory, which vigil does not know: vigil read %s", e.File, e.Line, next, cur)
			return l, nil
		case path.Clean(next) == path.Clean(cur):
			return l, nil
		case seen[path.Clean(next)] || len(redirects) >= maxRedirects:
			l.Ignored = fmt.Sprintf("%s:%d: config file = %s loops back or goes on more than %d times: vigil read %s", e.File, e.Line, next, maxRedirects, cur)
			return l, nil
		}
		if _, err := read(next); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				l.Ignored = fmt.Sprintf("%s:%d: config file = %s does not exist, and Samba then keeps %s", e.File, e.Line, next, cur)
				return l, nil
			}
			return nil, fmt.Errorf("%s:%d names config file %s, which cannot be read: %w", e.File, e.Line, next, err)
		}
		redirects = append(redirects, e)
		cur = next
	}
}

// loadOnce reads one file and its includes.
func loadOnce(main string, read Reader) (*Loaded, error) {
	b, err := read(main)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Main: main, Files: []string{main}}
	st := &loadState{l: l, read: read, section: "global", name: "global"}
	st.walk(main, b, 0, []string{path.Clean(main)})
	return l, nil
}

type loadState struct {
	l             *Loaded
	read          Reader
	section, name string
}

func (st *loadState) walk(file string, b []byte, depth int, stack []string) {
	for _, s := range Parse(b) {
		if s.Line > 0 {
			st.section, st.name = s.Key, s.Name
			st.l.Entries = append(st.l.Entries, Entry{Param: Param{Line: s.Line}, File: file, Section: s.Key, SectionName: s.Name})
		}
		for _, p := range s.Params {
			e := Entry{Param: p, File: file, Section: st.section, SectionName: st.name}
			if p.Key != "include" {
				st.l.Entries = append(st.l.Entries, e)
				continue
			}
			target := p.Value
			switch {
			case target == "":
			case strings.EqualFold(target, "registry"):
				e.Unread = "include = registry reads settings from the registry, which vigil does not read"
			case strings.Contains(target, "%"):
				e.Unread = "its name depends on the client (% substitution)"
			case !path.IsAbs(target):
				e.Unread = "a relative name is opened from smbd's working directory, which vigil does not know"
			case depth+1 > maxDepth:
				e.Unread = fmt.Sprintf("includes nested more than %d deep", maxDepth)
			case len(st.l.Files) >= maxFiles:
				e.Unread = fmt.Sprintf("more than %d files", maxFiles)
			case slices.Contains(stack, path.Clean(target)):
				e.Unread = "it includes itself"
			}
			if e.Unread != "" || target == "" {
				st.l.Entries = append(st.l.Entries, e)
				if e.Unread != "" {
					st.section, st.name = "", ""
				}
				continue
			}
			sub, err := st.read(target)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				e.Missing = true
				st.l.Entries = append(st.l.Entries, e)
			case err != nil:
				e.Unread = err.Error()
				st.l.Entries = append(st.l.Entries, e)
				st.section, st.name = "", ""
			default:
				st.l.Entries = append(st.l.Entries, e)
				st.l.Files = append(st.l.Files, target)
				st.walk(target, sub, depth+1, append(stack, path.Clean(target)))
			}
		}
	}
}

// Global returns the last entry of [global] setting key (or one of its
// synonyms, see Synonym), which is the one Samba keeps.
func (l *Loaded) Global(key string) (Entry, bool) {
	key = Synonym(Canonical(key))
	for i := len(l.Entries) - 1; i >= 0; i-- {
		e := l.Entries[i]
		if e.Section == "global" && e.Key != "" && Synonym(e.Key) == key {
			return e, true
		}
	}
	return Entry{}, false
}

// Unread returns the include lines whose files vigil could not read
// although they may hold settings.
func (l *Loaded) Unread() []Entry {
	var out []Entry
	for _, e := range l.Entries {
		if e.Unread != "" {
			out = append(out, e)
		}
	}
	return out
}

// synonyms maps the canonical keys of smb.conf(5)'s synonyms to the
// parameter they stand for, for the parameters vigil reads.
var synonyms = map[string]string{
	"minprotocol": "serverminprotocol", // "min protocol: This parameter is a synonym for server min protocol."
	"maxprotocol": "servermaxprotocol",
	"protocol":    "servermaxprotocol",
	"public":      "guestok",   // "public: This parameter is a synonym for guest ok."
	"onlyguest":   "guestonly", // "only guest: This parameter is a synonym for guest only."
}

// Synonym returns the canonical key of the parameter a key stands for.
func Synonym(key string) string {
	if s, ok := synonyms[key]; ok {
		return s
	}
	return key
}

// EndLine returns the last line of the parameter that starts on line
// (from 1) of b: a backslash at the end of a line continues it.
func EndLine(b []byte, line int) int {
	lines := strings.Split(string(b), "\n")
	end := line
	for end-1 < len(lines) && end < len(lines) && strings.HasSuffix(strings.Trim(lines[end-1], " \t\r\f\v"), "\\") {
		end++
	}
	return end
}

// GlobalSure is Global, and says why the value cannot be relied upon
// when an include vigil could not read comes after the entry (or, when
// no entry sets it, anywhere): that file may set it again. unsure is ""
// when every file that could set it was read.
func (l *Loaded) GlobalSure(key string) (e Entry, ok bool, unsure string) {
	canon := Synonym(Canonical(key))
	last := -1
	for i, x := range l.Entries {
		if x.Section == "global" && x.Key != "" && Synonym(x.Key) == canon {
			last = i
		}
	}
	if last >= 0 {
		e, ok = l.Entries[last], true
	}
	for _, x := range l.Entries[last+1:] {
		switch {
		case x.Unread != "":
			return e, ok, fmt.Sprintf("%s:%d includes %s, which vigil did not read (%s)", x.File, x.Line, x.Value, x.Unread)
		case x.Section == "" && x.Key != "" && Synonym(x.Key) == canon:
			return e, ok, fmt.Sprintf("%s:%d sets it after an include vigil did not read, in a section vigil cannot tell", x.File, x.Line)
		}
	}
	return e, ok, ""
}
