package hostaudit

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// dpkg keeps what is installed in /var/lib/dpkg/status: one stanza per
// package, stanzas separated by empty lines, each line "Field: value" and
// lines that start with a space or a tab continuing the field before them
// (a Description, a Conffiles list). Field names are case-insensitive.

// dpkgStatusFile is where dpkg keeps its database of packages.
const dpkgStatusFile = "/var/lib/dpkg/status"

// Caps of every package database parser. The files they read hold at
// most MaxOutput bytes; these bound what is kept of them.
const (
	// MaxPackages is the most packages one database may list; the rest
	// are not reported (and the audit says so).
	MaxPackages = 100_000
	// packageFieldMax caps, in runes, each name and version kept.
	packageFieldMax = 256
)

// ParseDpkgStatus reads dpkg's status file and returns the packages it
// says are installed: whose Status is "install ok installed" or "hold ok
// installed" (the selection is install or hold, and the package is fully
// unpacked and configured). A package whose Source field names no version
// was built from the source of its own version; one that names no source
// was built from the source of its own name. Stanzas without a Package or
// Version are skipped. Past MaxPackages the list stops and the error says
// so, with the packages read up to there.
func ParseDpkgStatus(b []byte) ([]facts.Package, error) {
	var (
		out      []facts.Package
		cur      dpkgStanza
		inStanza bool
	)
	flush := func() error {
		if !inStanza {
			return nil
		}
		inStanza = false
		p, ok := cur.pkg()
		cur = dpkgStanza{}
		if !ok {
			return nil
		}
		if len(out) >= MaxPackages {
			return fmt.Errorf("%s lists more than %d installed packages; the rest are not reported", dpkgStatusFile, MaxPackages)
		}
		out = append(out, p)
		return nil
	}
	for line := range bytes.Lines(b) {
		l := strings.TrimRight(string(line), "\r\n")
		if strings.TrimSpace(l) == "" {
			if err := flush(); err != nil {
				return out, err
			}
			continue
		}
		inStanza = true
		if l[0] == ' ' || l[0] == '\t' {
			continue // a continuation line of a field vigil does not keep
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "package":
			cur.name = value
		case "version":
			cur.version = value
		case "architecture":
			cur.arch = value
		case "status":
			cur.status = value
		case "source":
			cur.source = value
		}
	}
	if err := flush(); err != nil {
		return out, err
	}
	return out, nil
}

// dpkgStanza is what vigil keeps of one stanza.
type dpkgStanza struct {
	name, version, arch, status, source string
}

// pkg returns the installed package the stanza describes, if it is one.
func (s dpkgStanza) pkg() (facts.Package, bool) {
	switch strings.Join(strings.Fields(s.status), " ") {
	case "install ok installed", "hold ok installed":
	default:
		return facts.Package{}, false
	}
	if s.name == "" || s.version == "" {
		return facts.Package{}, false
	}
	p := facts.Package{
		Name:    packageField(s.name),
		Version: packageField(s.version),
		Arch:    packageField(s.arch),
		Format:  facts.FormatDpkg,
	}
	p.Source, p.SourceVersion = p.Name, p.Version
	// "Source: name" or "Source: name (version)".
	if src, ver, ok := strings.Cut(s.source, "("); ok {
		if v, ok := strings.CutSuffix(strings.TrimSpace(ver), ")"); ok && strings.TrimSpace(v) != "" {
			p.SourceVersion = packageField(strings.TrimSpace(v))
		}
		s.source = src
	}
	if src := strings.TrimSpace(s.source); src != "" {
		p.Source = packageField(src)
	}
	return p, true
}

// packageField makes a name or version from a package database safe to
// keep and print: the database is its writer's word.
func packageField(s string) string { return sanitize.String(s, packageFieldMax) }
