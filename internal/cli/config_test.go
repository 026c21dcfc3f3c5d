package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigAndEnvironment: the configuration file sets defaults, VIGIL_DB
// beats the file, a flag beats both; a mistake in the file is a usage
// error that names it.
func TestConfigAndEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("VIGIL_CONFIG", "")
	t.Setenv("VIGIL_DB", "")
	conf := filepath.Join(dir, "vigil", "config.toml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o700); err != nil {
		t.Fatal(err)
	}
	fromFile := filepath.Join(dir, "file.db")
	fromEnv := filepath.Join(dir, "env.db")
	fromFlag := filepath.Join(dir, "flag.db")
	// newStore makes its own file: copy it to the name the test wants.
	for _, db := range []string{fromFile, fromEnv, fromFlag} {
		src := newStore(t, storeDoc("20260101T000000Z-"+strings.TrimSuffix(filepath.Base(db), ".db"), "", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(db, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("db = \"" + fromFile + "\"\noperator = \"alice\"\norganisation = \"Clinic\"\n")
	scans := func(args ...string) string {
		t.Helper()
		code, out, stderr := vigilIn(t, "", append([]string{"scans", "--format", "json"}, args...)...)
		if code != ExitOK {
			t.Fatalf("scans %v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	if out := scans(); !strings.Contains(out, "-file") {
		t.Errorf("the file's db was not used: %s", out)
	}
	t.Setenv("VIGIL_DB", fromEnv)
	if out := scans(); !strings.Contains(out, "-env") {
		t.Errorf("VIGIL_DB did not win over the file: %s", out)
	}
	if out := scans("--db", fromFlag); !strings.Contains(out, "-flag") {
		t.Errorf("--db did not win over VIGIL_DB: %s", out)
	}

	for body, want := range map[string]string{
		"db = \n":               "has a mistake",
		"dbb = \"x\"\n":         "unknown settings: dbb",
		"udp_ports = \"abc\"\n": "udp-ports",
	} {
		write(body)
		code, _, stderr := vigilIn(t, "", "scan", "127.0.5.9", "-p", "1", "--no-store")
		if code != ExitUsage || !strings.Contains(stderr, want) {
			t.Errorf("config %q: exit %d, %q; want %d mentioning %q", body, code, stderr, ExitUsage, want)
		}
	}
}
