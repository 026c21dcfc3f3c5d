package hostaudit

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/facts"
)

// apk (Alpine) keeps what is installed in /lib/apk/db/installed: one
// stanza per package, stanzas separated by empty lines, each line a
// one-letter key, a colon and the value. vigil keeps P (name), V
// (version), A (architecture) and o (origin: the source package); the
// others (files, checksums, dependencies…) are skipped.

// apkInstalledFiles are where apk keeps its database, the first that
// exists counts (newer Alpine releases keep /lib under /usr/lib).
var apkInstalledFiles = []string{"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}

// ParseApkInstalled reads apk's installed database and returns its
// packages. A package's source version is its own: apk builds every
// package of an origin at the origin's version. Stanzas without a name
// or version are skipped. Past MaxPackages the list stops and the error
// says so, with the packages read up to there.
func ParseApkInstalled(b []byte) ([]facts.Package, error) {
	var (
		out                        []facts.Package
		name, version, arch, orign string
		inStanza                   bool
	)
	flush := func() error {
		if !inStanza {
			return nil
		}
		n, v, a, o := name, version, arch, orign
		name, version, arch, orign, inStanza = "", "", "", "", false
		if n == "" || v == "" {
			return nil
		}
		if len(out) >= MaxPackages {
			return fmt.Errorf("the apk database lists more than %d packages; the rest are not reported", MaxPackages)
		}
		p := facts.Package{Name: packageField(n), Version: packageField(v), Arch: packageField(a), Format: facts.FormatAPK}
		p.Source, p.SourceVersion = p.Name, p.Version
		if o != "" {
			p.Source = packageField(o)
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
		if len(l) < 2 || l[1] != ':' {
			continue
		}
		v := strings.TrimSpace(l[2:])
		switch l[0] {
		case 'P':
			name = v
		case 'V':
			version = v
		case 'A':
			arch = v
		case 'o':
			orign = v
		}
	}
	if err := flush(); err != nil {
		return out, err
	}
	return out, nil
}
