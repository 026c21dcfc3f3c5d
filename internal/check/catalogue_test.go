package check

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// designIDs are the normative check IDs of ../shared/DESIGN.md.
var designIDs = []string{
	"tls.protocol.sslv2", "tls.protocol.sslv3", "tls.protocol.tls10", "tls.protocol.tls11", "tls.protocol.no-tls13",
	"tls.cipher.anonymous", "tls.cipher.null", "tls.cipher.export", "tls.cipher.weak", "tls.cipher.no-forward-secrecy",
	"tls.cert.expired", "tls.cert.expiring", "tls.cert.untrusted", "tls.cert.weak-key", "tls.cert.weak-signature", "tls.cert.name-mismatch",
	"ssh.protocol.v1", "ssh.kex.weak", "ssh.cipher.weak", "ssh.mac.weak", "ssh.hostkey.weak", "ssh.auth.password", "ssh.terrapin",
	"cleartext.telnet", "cleartext.ftp", "cleartext.http-auth", "cleartext.smtp", "cleartext.imap", "cleartext.pop3", "cleartext.ldap",
	"cleartext.postgresql", "cleartext.mysql", "cleartext.redis", "cleartext.memcached", "cleartext.mqtt", "cleartext.snmp", "cleartext.vnc",
	"auth.none.redis", "auth.none.memcached", "auth.none.mongodb", "auth.none.elasticsearch", "auth.none.docker", "auth.none.mqtt",
	"auth.anonymous.ftp", "auth.default.snmp", "port.open-unused", "port.allowed-no-listener", "exposure.admin", "exposure.database",
	"vuln.known", "ssh.config.root-login", "ssh.config.password-auth", "postgresql.config.trust", "postgresql.config.no-ssl",
	"redis.config.no-auth", "ftp.config.anonymous", "firewall.none", "flow.cleartext",
	"coverage.unexamined", "coverage.audit-failed",
}

// TestEveryCheckIsJudged fails for a check ID that no judge can emit (the
// ID appears in no judge's source), unless the catalogue marks it planned
// with the issue that builds it; and for a planned check that a judge
// emits after all.
func TestEveryCheckIsJudged(t *testing.T) {
	// Judges live here, and in package vuln (vuln.known, which needs the
	// vulnerability database).
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob("../vuln/*.go")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, more...)
	var moduleSrc []byte
	// And in the protocol modules, where a check's entry and its judge
	// share a file: there the entry's own `ID: "…"` does not count.
	modules, err := filepath.Glob("../protocols/*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`ID:\s*"[^"]*"`)
	for _, f := range modules {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		moduleSrc = append(moduleSrc, entry.ReplaceAll(b, nil)...)
	}
	var src []byte
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "catalogue.go" || f == "markdown.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	src = append(src, moduleSrc...)
	for _, c := range All() {
		judged := bytes.Contains(src, []byte(`"`+c.ID+`"`))
		switch {
		case !judged && c.Planned == "":
			t.Errorf("%s: no judge emits it; build its judge or mark it Planned with the issue that will", c.ID)
		case judged && c.Planned != "":
			t.Errorf("%s: a judge emits it, yet it is marked planned (%s)", c.ID, c.Planned)
		case c.Planned != "" && !regexp.MustCompile(`^issue \d+$`).MatchString(c.Planned):
			t.Errorf("%s: Planned %q does not name an issue", c.ID, c.Planned)
		}
	}
}

func TestCatalogueIsComplete(t *testing.T) {
	idPattern := regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)+$`)
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.ID] {
			t.Errorf("duplicate check ID %q", c.ID)
		}
		seen[c.ID] = true
		if !idPattern.MatchString(c.ID) {
			t.Errorf("%s: ID does not match the schema pattern", c.ID)
		}
		if !c.Severity.Valid() {
			t.Errorf("%s: invalid severity", c.ID)
		}
		for name, v := range map[string]string{"title": c.Title, "rationale": c.Rationale, "fix": c.Fix} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: empty %s", c.ID, name)
			}
		}
		if len(c.Frameworks) == 0 {
			t.Errorf("%s: maps to no framework control", c.ID)
		}
	}
	for _, id := range designIDs {
		if !seen[id] {
			t.Errorf("DESIGN.md check %q is missing from the catalogue", id)
		}
	}
}

// TestDocsMatchCatalogue keeps docs/checks.md generated from the catalogue,
// so every check ID is documented. Regenerate with
// `go run ./cmd/vigil checks --format markdown > docs/checks.md`.
func TestDocsMatchCatalogue(t *testing.T) {
	var want bytes.Buffer
	if err := WriteMarkdown(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatalf("docs/checks.md: %v (regenerate: go run ./cmd/vigil checks --format markdown > docs/checks.md)", err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("docs/checks.md is out of date: go run ./cmd/vigil checks --format markdown > docs/checks.md")
	}
	for _, c := range All() {
		if !bytes.Contains(got, []byte("## `"+c.ID+"`")) {
			t.Errorf("docs/checks.md does not document %s", c.ID)
		}
	}
}
