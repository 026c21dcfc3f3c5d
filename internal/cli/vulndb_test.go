package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/vulnfeed"
	"github.com/vigilsec/vigil/internal/vulnfeed/feedtest"
)

// feedEnv runs vigil with the feeds served on loopback by srv, through a
// client that reaches loopback only.
func feedEnv(t *testing.T, srv *feedtest.Server, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	u := srv.URL()
	e := &env{version: "test", stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		feeds:      vulnfeed.Sources{OSV: u + feedtest.OSVPrefix, NVD: u + feedtest.NVDPath, KEV: u + feedtest.KEVPath, EPSS: u + feedtest.EPSSPath},
		feedClient: feedtest.Client()}
	code := execute(t.Context(), e, args)
	return code, out.String(), errb.String()
}

// TestVulnDBUpdate: 'vigil vulndb update' fills the database from the
// feeds, says what it loaded from each, then shows the status; the NVD API
// key comes from VIGIL_NVD_API_KEY and goes to NVD only; a second update
// is incremental; a failed one says the database is as it was.
func TestVulnDBUpdate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("VIGIL_VULNDB", "")
	const key = "c11-key-0000"
	t.Setenv(nvdKeyEnv, key)
	db := filepath.Join(dir, "vulndb.sqlite")
	srv := feedtest.New(t, "../vulndb/testdata")

	code, stdout, stderr := feedEnv(t, srv, "vulndb", "update", "--vulndb", db)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"OSV Debian", "full", "NVD", "CISA KEV", "FIRST EPSS", "Updated " + db, "SOURCE", "NVD CVE records", "OSV Debian:12"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, stdout)
		}
	}
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r.URI, feedtest.NVDPath) != (r.APIKey == key) {
			t.Errorf("%s carried API key %q", r.URI, r.APIKey)
		}
	}
	if b, _ := os.ReadFile(db); bytes.Contains(b, []byte(key)) || strings.Contains(stdout+stderr, key) {
		t.Error("the API key was written somewhere")
	}

	code, stdout, stderr = feedEnv(t, srv, "vulndb", "update", "--vulndb", db, "--source", "osv,kev")
	if code != ExitOK || !strings.Contains(stdout, "up to date") || strings.Contains(stdout, "FIRST EPSS\t") {
		t.Errorf("second update: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if reqs := srv.Requests(); len(reqs) != 2 {
		t.Errorf("second update: %d requests, want modified_id.csv and KEV: %v", len(reqs), reqs)
	}

	before, _ := os.ReadFile(db)
	srv.Lock()
	srv.BadMD5["/osv/Debian/modified_id.csv"] = true
	srv.Unlock()
	code, _, stderr = feedEnv(t, srv, "vulndb", "update", "--vulndb", db, "--source", "osv")
	if code != ExitError || !strings.Contains(stderr, "the database is as it was") || !strings.Contains(stderr, "MD5") {
		t.Errorf("a checksum mismatch: exit %d, %s", code, stderr)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("a failed update changed the database")
	}
}

// TestVulnDBUpdateMistakes: unknown feeds and ecosystems, and releases
// given for ecosystems, are usage mistakes, found before any request.
func TestVulnDBUpdateMistakes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	srv := feedtest.New(t, "../vulndb/testdata")
	db := filepath.Join(dir, "vulndb.sqlite")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--source", "osv,ghsa"}, `unknown source "ghsa"`},
		{[]string{"--osv", "Debian:12"}, `give "Debian"`},
		{[]string{"--osv", "npm"}, `unknown OSV ecosystem "npm"`},
		{[]string{"--source", ","}, "--source is empty"},
		{[]string{"extra"}, "unknown command"},
	} {
		code, stdout, stderr := feedEnv(t, srv, append([]string{"vulndb", "update", "--vulndb", db}, tt.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
	if reqs := srv.Requests(); len(reqs) != 0 {
		t.Errorf("a usage mistake sent requests: %v", reqs)
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a usage mistake made a database")
	}
}
