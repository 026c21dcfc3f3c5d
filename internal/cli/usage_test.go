package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/result"
)

// TestUsageMistakes: every mistake in what the user gave (targets, flags,
// files) ends vigil with exit status 2 and one line that names it, before
// any work: no output file, no store.
func TestUsageMistakes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("VIGIL_DB", "")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.txt", "")
	comments := write("comments.txt", "# nothing to scan yet\n\n")
	long := write("long.txt", "127.0.0.1"+strings.Repeat(" ", 70<<10)+"\n")
	doc := result.Assemble("20261207T120000Z-00000000", time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 7, 12, 1, 0, 0, time.UTC), []string{"127.0.0.1"}, nil, nil, nil)
	var b strings.Builder
	if err := doc.Write(&b); err != nil {
		t.Fatal(err)
	}
	valid := b.String()
	level42 := write("level42.json", strings.Replace(valid, `"value": 4`, `"value": 42`, 1))
	if valid == mustRead(t, level42) {
		t.Fatal("the fixture did not change the level")
	}
	notJSON := write("notes.json", "these are notes\n")
	number := write("number.json", "42\n")
	emptyDoc := write("empty.json", "")

	out := filepath.Join(dir, "out.json")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "127.0.0.300"}, `"127.0.0.300": not a valid address`},
		{[]string{"scan", "127.0.0.1/33"}, "prefix length out of range"},
		{[]string{"scan", "127.0.0.9-2"}, "ends (127.0.0.2) before it starts"},
		{[]string{"scan", "8.8.8.8"}, "--allow-public"},
		{[]string{"scan", "10.0.0.0/8"}, "--max-hosts"},
		{[]string{"scan", "127.0.0.1", "--exclude", "127.0.0.1"}, "every target is excluded"},
		{[]string{"scan", "@" + empty}, "no targets"},
		{[]string{"scan", "@" + comments}, "no targets"},
		{[]string{"scan", "@" + long}, "longer than 64 KiB"},
		{[]string{"scan", "@" + filepath.Join(dir, "missing.txt")}, "cannot read target file"},
		{[]string{"scan", "127.0.0.1", "--concurrency", "0"}, "--concurrency 0"},
		{[]string{"scan", "127.0.0.1", "--rate", "-1"}, "--rate -1"},
		{[]string{"scan", "127.0.0.1", "--rate", "NaN"}, "--rate NaN"},
		{[]string{"scan", "127.0.0.1", "--rate", "Inf"}, "--rate +Inf"},
		{[]string{"scan", "127.0.0.1", "--timeout", "0"}, "--timeout 0s"},
		{[]string{"scan", "127.0.0.1", "--min-timeout", "0"}, "--min-timeout 0s"},
		{[]string{"scan", "127.0.0.1", "--max-hosts", "0"}, "--max-hosts 0"},
		{[]string{"scan", "127.0.0.1", "-p", "70000"}, "70000"},
		{[]string{"scan", "127.0.0.1", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"report", level42}, "level 42 is outside 1 to 5"},
		{[]string{"report", notJSON}, "not a valid vigil scan result"},
		{[]string{"report", number}, "JSON number"},
		{[]string{"report", emptyDoc}, "empty"},
		{[]string{"report", filepath.Join(dir, "missing.json")}, "no such file"},
	}
	for _, tt := range tests {
		args := append(append([]string{}, tt.args...), "-o", out)
		code, stdout, stderr := vigilIn(t, "", args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		if code != ExitUsage || len(lines) != 1 || !strings.HasPrefix(stderr, "vigil: ") || !strings.Contains(stderr, tt.want) {
			t.Errorf("vigil %s: exit %d, stderr %q; want exit %d and one line mentioning %q", strings.Join(tt.args, " "), code, stderr, ExitUsage, tt.want)
		}
		if strings.Contains(stderr, "every target is excluded") && !strings.Contains(strings.Join(tt.args, " "), "--exclude") {
			t.Errorf("vigil %s: %q blames exclusions that were never given", strings.Join(tt.args, " "), stderr)
		}
		if stdout != "" {
			t.Errorf("vigil %s wrote to stdout: %q", strings.Join(tt.args, " "), stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("vigil %s created %s", strings.Join(tt.args, " "), out)
			os.Remove(out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("a usage mistake created the scan store")
	}
}
