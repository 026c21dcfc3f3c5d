package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the vigil/scan/v1 JSON Schema the repository carries.
const schemaPath = "../../docs/schema/vigil-scan-v1.schema.json"

// sharedSchemaPath is the shared contract the repository's copy is taken
// from; only a development checkout has it beside the repository.
const sharedSchemaPath = "../../../shared/schema/vigil-scan-v1.schema.json"

// scanSchema compiles the repository's vigil/scan/v1 schema.
func scanSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := jsonschema.NewCompiler().Compile(schemaPath)
	if err != nil {
		t.Fatalf("the repository's schema %s: %v", schemaPath, err)
	}
	return sch
}

// validateScan checks a document against the vigil/scan/v1 schema.
func validateScan(t *testing.T, raw []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := scanSchema(t).Validate(doc); err != nil {
		t.Fatalf("vigil/scan/v1 violation: %v\n%s", err, raw)
	}
	// DESIGN.md's added fields, required of new documents: who ran it,
	// from where, with which build; and that it finished.
	var d struct {
		Run struct {
			Operator string `json:"operator"`
			Scanner  struct {
				Host string `json:"host"`
			} `json:"scanner"`
			Version  string         `json:"version"`
			Revision string         `json:"revision"`
			Options  map[string]any `json:"options"`
		} `json:"run"`
		Complete *bool `json:"complete"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if r := d.Run; r.Operator == "" || r.Scanner.Host == "" || r.Version == "" || r.Revision == "" || len(r.Options) == 0 || d.Complete == nil || !*d.Complete {
		t.Errorf("the document does not say who ran it, from where, with what, or that it finished: %+v complete=%v", r, d.Complete)
	}
}

// TestSchemaCopyIsTheSharedContract keeps docs/schema identical to the
// shared contract when a checkout has it beside the repository.
func TestSchemaCopyIsTheSharedContract(t *testing.T) {
	shared, err := os.ReadFile(sharedSchemaPath)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no shared contract beside the repository; docs/schema is the only copy")
	}
	if err != nil {
		t.Fatal(err)
	}
	ours, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, shared) {
		t.Errorf("docs/schema/vigil-scan-v1.schema.json differs from %s: copy the shared contract into the repository", sharedSchemaPath)
	}
}

// TestSchemaRejectsABrokenDocument shows the schema can fail: validation
// against it is not a formality.
func TestSchemaRejectsABrokenDocument(t *testing.T) {
	sch := scanSchema(t)
	for name, doc := range map[string]any{
		"empty object": map[string]any{},
		"wrong schema": map[string]any{"schema": "vigil/scan/v0", "id": "x", "started": "2025-01-01T00:00:00Z", "finished": "2025-01-01T00:00:00Z",
			"targets": []any{}, "hosts": []any{}, "findings": []any{}, "level": map[string]any{"value": 4, "reason": "", "next": []any{}}},
	} {
		if err := sch.Validate(doc); err == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

// fakeRedis answers RESP PING and INFO like an unprotected Redis.
func fakeRedis(t *testing.T, addr string) int {
	t.Helper()
	ln, err := net.Listen("tcp", addr+":0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					req := strings.ToUpper(string(buf[:n]))
					switch {
					case strings.Contains(req, "PING"):
						c.Write([]byte("+PONG\r\n"))
					case strings.Contains(req, "INFO"):
						body := "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
						fmt.Fprintf(c, "$%d\r\n%s\r\n", len(body), body)
					default:
						c.Write([]byte("-ERR unknown command\r\n"))
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Execute(context.Background(), "test", args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestScanJSONMatchesTheSchema(t *testing.T) {
	port := fakeRedis(t, "127.0.5.1")
	file := filepath.Join(t.TempDir(), "scan.json")
	code, _, stderr := run(t, "scan", "127.0.5.1", "-p", fmt.Sprintf("1-100,%d", port), "--udp-ports", "161", "--format", "json", "-o", file)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	validateScan(t, raw)
	var d struct {
		Hosts []struct {
			Services []struct {
				Port    int
				Name    string
				Product string
				Version string
			}
		}
		Findings []struct{ Check, Severity string }
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Hosts) != 1 || len(d.Hosts[0].Services) != 1 {
		t.Fatalf("want one host with one service, got %s", raw)
	}
	s := d.Hosts[0].Services[0]
	if s.Port != port || s.Name != "redis" || s.Product != "Redis" || s.Version != "7.0.15" {
		t.Errorf("service = %+v, want redis Redis 7.0.15 on %d", s, port)
	}
	found := false
	for _, f := range d.Findings {
		found = found || (f.Check == "cleartext.redis" && f.Severity == "high")
	}
	if !found {
		t.Errorf("no cleartext.redis finding in %v", d.Findings)
	}
}

func TestFailOn(t *testing.T) {
	port := fmt.Sprint(fakeRedis(t, "127.0.5.2"))
	tests := []struct {
		failOn string
		want   int
	}{
		{"", ExitOK},
		{"critical", ExitFindings}, // auth.none.redis: it answers without a password
		{"high", ExitFindings},
		{"info", ExitFindings},
		{"severe", ExitUsage},
	}
	for _, tt := range tests {
		args := []string{"scan", "127.0.5.2", "-p", port, "--udp-ports", "", "--format", "json"}
		if tt.failOn != "" {
			args = append(args, "--fail-on", tt.failOn)
		}
		if code, _, stderr := run(t, args...); code != tt.want {
			t.Errorf("--fail-on %q: exit %d, want %d (%s)", tt.failOn, code, tt.want, stderr)
		}
	}
	// Nothing found: even the lowest threshold passes.
	if code, _, stderr := run(t, "scan", "127.0.5.2", "-p", "1", "--udp-ports", "", "--format", "json", "--fail-on", "info"); code != ExitOK {
		t.Errorf("--fail-on info with no finding: exit %d (%s)", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "198.51.100.7"}, "--allow-public"},
		{[]string{"scan", "127.0.0.1", "-p", "0-10"}, "-p"},
		{[]string{"scan", "127.0.0.1", "--format", "xml"}, "unknown format"},
		{[]string{"scan", "--bogus"}, "unknown flag"},
		{[]string{"scan", "10.0.0.300"}, `"10.0.0.300"`},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, tt.args...)
		if code == ExitOK || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want an error mentioning %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestTableIsPlainWhenPiped(t *testing.T) {
	port := fmt.Sprint(fakeRedis(t, "127.0.5.3"))
	code, out, stderr := run(t, "scan", "127.0.5.3", "-p", port, "--udp-ports", "")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "\x1b") || strings.Contains(stderr, "\x1b") {
		t.Errorf("escape sequences in piped output: %q %q", out, stderr)
	}
	for _, want := range []string{"Level 1 of 5", "127.0.5.3", "redis", "Redis 7.0.15", "auth.none.redis", "cleartext.redis", "Fix:"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, "scan", "127.0.5.3", "-p", port, "--udp-ports", "", "--color", "always")
	if code != ExitOK || !strings.Contains(out, "\x1b[") {
		t.Errorf("--color always gave no colour")
	}
}

func TestChecksListsTheCatalogue(t *testing.T) {
	code, out, _ := run(t, "checks")
	if code != ExitOK || !strings.Contains(out, "ssh.terrapin") || !strings.Contains(out, "HIPAA 164.312(e)(1)") {
		t.Errorf("checks output: %d\n%s", code, out)
	}
	code, out, _ = run(t, "checks", "--format", "json")
	var list []map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil || len(list) < 50 {
		t.Errorf("checks --format json: exit %d, %d entries", code, len(list))
	}
}
