package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// hostileDoc is a stored scan whose network strings hold markup and
// terminal escapes, as a hostile server would send them.
func hostileDoc() *result.Document {
	d := storetest.Document(7, 2, 3, 0)
	h := &d.Hosts[0]
	h.Names = []string{"<img src=x onerror=alert(1)>.lan"}
	h.Services[0].Banner = "SSH-2.0-<script>alert('banner')</script>\x1b[2J\x1b]0;pwned\x07"
	h.Services[0].Product = "<b>OpenSSH</b>\u202e"
	h.Services[1].Details = map[string]string{"tls_subject": "CN=<script>alert('cert')</script>\x1b[31m"}
	d.Findings[0].Title = "Weak <script>alert('title')</script> \x1b[5m"
	d.Findings[0].Recommendation = "Run </pre><script>alert('fix')</script>"
	return d
}

// openapiDoc is the embedded OpenAPI document, decoded.
type openapiDoc struct {
	Paths      map[string]map[string]openapiOp `json:"paths"`
	Components struct {
		Schemas map[string]struct {
			Required []string `json:"required"`
		} `json:"schemas"`
	} `json:"components"`
}

type openapiOp struct {
	Description string `json:"description"`
	Security    []any  `json:"security"`
	Responses   map[string]struct {
		Content map[string]struct {
			Schema struct {
				Ref      string   `json:"$ref"`
				Required []string `json:"required"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

var roleLine = regexp.MustCompile(`Role: (viewer|operator|admin)\.`)

// need is the role an operation documents.
func (o openapiOp) need(t *testing.T, what string) auth.Role {
	m := roleLine.FindStringSubmatch(o.Description)
	if m == nil {
		t.Fatalf("%s: the OpenAPI document names no role", what)
	}
	return auth.Role(m[1])
}

func loadOpenAPI(t *testing.T) openapiDoc {
	var doc openapiDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return doc
}

// walkEnv is a server with a stored hostile scan and a finished job.
func walkEnv(t *testing.T) (*testEnv, *result.Document, string) {
	e := newEnv(t, Options{})
	doc := hostileDoc()
	if err := e.st.Save(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	code, out := e.api("POST", "/api/v1/scans", e.tokens[auth.Operator], `{"targets":["127.0.0.1"],"ports":"1"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/v1/scans: %d %v", code, out)
	}
	return e, doc, out["id"].(string)
}

// bodies are valid request bodies of the routes that take one.
func bodies(findingUntil string) map[string]string {
	return map[string]string{
		"POST /scans":                `{"targets":["127.0.0.1"],"ports":"1"}`,
		"POST /findings/{id}/accept": `{"reason":"isolated lab","until":"` + findingUntil + `"}`,
		"POST /schedules":            `{"name":"nightly","targets":["127.0.0.1"],"ports":"1","spec":"every 24h"}`,
		"POST /alerts/targets":       `{"type":"webhook","url":"http://127.0.0.1:9/hook","secret":"s3cret-value"}`,
	}
}

func TestOpenAPIWalk(t *testing.T) {
	e, doc, jobID := walkEnv(t)
	spec := loadOpenAPI(t)
	until := e.clock.Now().AddDate(0, 1, 0).Format("2006-01-02")
	body := bodies(until)
	n := 0
	for path, ops := range spec.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			what := method + " " + path
			n++
			url := "/api/v1" + strings.ReplaceAll(path, "{id}", map[bool]string{true: jobID, false: doc.Findings[0].ID}[strings.HasPrefix(path, "/scans")])
			token := ""
			if len(op.Security) > 0 || op.Security == nil {
				token = e.tokens[auth.Admin]
			}
			code, out := e.api(method, url, token, body[method+" "+path])
			r, ok := op.Responses[strconv.Itoa(code)]
			if !ok {
				t.Errorf("%s answered %d %v, which the document does not list", what, code, out)
				continue
			}
			if code/100 != 2 {
				t.Errorf("%s answered %d %v with a valid request", what, code, out)
				continue
			}
			c, ok := r.Content["application/json"]
			if !ok {
				continue
			}
			required := c.Schema.Required
			if c.Schema.Ref != "" {
				required = spec.Components.Schemas[strings.TrimPrefix(c.Schema.Ref, "#/components/schemas/")].Required
			}
			for _, k := range required {
				if _, ok := out[k]; !ok {
					t.Errorf("%s: the answer lacks the documented key %q: %v", what, k, out)
				}
			}
			// An unknown id is a documented 404.
			if strings.Contains(path, "{id}") {
				code, _ := e.api(method, "/api/v1"+strings.ReplaceAll(path, "{id}", "nosuchid"), token, body[method+" "+path])
				if code != http.StatusNotFound {
					t.Errorf("%s with an unknown id: %d, want 404", what, code)
				}
			}
		}
	}
	if n < 12 {
		t.Errorf("the walk covered %d operations; the document lists too few", n)
	}
}

func TestAPIRoles(t *testing.T) {
	e, doc, jobID := walkEnv(t)
	spec := loadOpenAPI(t)
	body := bodies(e.clock.Now().AddDate(0, 1, 0).Format("2006-01-02"))
	for path, ops := range spec.Paths {
		for method, op := range ops {
			method = strings.ToUpper(method)
			what := method + " " + path
			url := "/api/v1" + strings.ReplaceAll(path, "{id}", map[bool]string{true: jobID, false: doc.Findings[0].ID}[strings.HasPrefix(path, "/scans")])
			if op.Security != nil && len(op.Security) == 0 {
				if code, _ := e.api(method, url, "", ""); code != http.StatusOK {
					t.Errorf("%s without credentials: %d, want 200 (public)", what, code)
				}
				continue
			}
			need := op.need(t, what)
			for _, tok := range []string{"", "vgl_notavalidtoken", "vgl_" + strings.Repeat("A", 43)} {
				if code, out := e.api(method, url, tok, body[method+" "+path]); code != http.StatusUnauthorized || out["error"] == nil {
					t.Errorf("%s with token %q: %d %v, want 401 with an error", what, tok, code, out)
				}
			}
			for _, role := range auth.Roles() {
				code, out := e.api(method, url, e.tokens[role], body[method+" "+path])
				switch {
				case role.Allows(need) && (code == http.StatusUnauthorized || code == http.StatusForbidden):
					t.Errorf("%s as %s: %d %v, but the role allows it", what, role, code, out)
				case !role.Allows(need) && code != http.StatusForbidden:
					t.Errorf("%s as %s: %d, want 403 (needs %s)", what, role, code, need)
				}
			}
		}
	}
	// A revoked token is refused.
	toks, err := e.st.Tokens(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.Role == string(auth.Viewer) {
			if err := e.st.RevokeToken(t.Context(), tk.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if code, _ := e.api("GET", "/api/v1/hosts", e.tokens[auth.Viewer], ""); code != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", code)
	}
}

// TestPagesEscape renders every page over a scan whose strings carry
// markup and terminal escapes: they must show as text.
func TestPagesEscape(t *testing.T) {
	e, doc, jobID := walkEnv(t)
	// Finish the job as if it had made the hostile scan.
	if err := e.st.FinishJob(t.Context(), jobID, "done", doc.ID, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	c, _, _ := e.login("admin", password)
	pages := []string{"/", "/assets", "/hosts/" + doc.Hosts[0].Address, "/findings", "/findings/" + doc.Findings[0].ID,
		"/scans", "/scans/" + jobID, "/reports", "/reports/" + doc.ID, "/users", "/tokens", "/audit", "/alerts"}
	for _, p := range pages {
		code, body := e.get(c, p)
		if code != http.StatusOK {
			t.Errorf("%s: %d", p, code)
			continue
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>OpenSSH", "\x1b", "\x07", "\u202e", "</pre><script>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: the page holds %q unescaped", p, bad)
			}
		}
	}
	_, body := e.get(c, "/hosts/"+doc.Hosts[0].Address)
	if !strings.Contains(body, "&lt;script&gt;alert(&#39;banner&#39;)&lt;/script&gt;␛[2J") {
		t.Errorf("the host page does not show the hostile banner as text")
	}
	_, body = e.get(c, "/findings/"+doc.Findings[0].ID)
	if !strings.Contains(body, "Weak &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; ␛[5m") {
		t.Errorf("the finding page does not show the hostile title as text")
	}
	// Downloads are attachments, and an HTML report is sandboxed.
	resp, err := c.Get(e.ts.URL + "/reports/" + doc.ID + "/download?format=html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("HTML report download headers: %v", resp.Header)
	}
	for _, f := range []string{"pdf", "json", "sarif", "csv", "html&framework=hipaa", "pdf&framework=gdpr"} {
		resp, err := c.Get(e.ts.URL + "/reports/" + doc.ID + "/download?format=" + f)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("download %s: %d", f, resp.StatusCode)
		}
	}
}

func TestAcceptChangesLevel(t *testing.T) {
	e := newEnv(t, Options{})
	doc := storetest.Document(9, 1, 1, 0) // one host, one finding: it alone caps the level
	if err := e.st.Save(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	f := doc.Findings[0]
	_, before := e.api("GET", "/api/v1/level", e.tokens[auth.Viewer], "")
	if int(before["level"].(float64)) != doc.Level.Value || doc.Level.Value >= 4 {
		t.Fatalf("level before = %v, stored %d", before["level"], doc.Level.Value)
	}
	c, csrf, _ := e.login("operator", password)
	until := e.clock.Now().AddDate(0, 0, 30).Format("2006-01-02")
	resp := e.post(c, "/findings/"+f.ID+"/accept", map[string][]string{"csrf": {csrf}, "reason": {"isolated lab analyser"}, "until": {until}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("accept form: %d", resp.StatusCode)
	}
	_, after := e.api("GET", "/api/v1/level", e.tokens[auth.Viewer], "")
	if int(after["level"].(float64)) <= doc.Level.Value {
		t.Errorf("level after accepting the only finding = %v, want above %d", after["level"], doc.Level.Value)
	}
	_, body := e.get(c, "/")
	if !strings.Contains(body, fmt.Sprintf(`id="level" class="digit">%d<`, int(after["level"].(float64)))) {
		t.Errorf("the overview does not show the new level %v", after["level"])
	}
	_, fs := e.api("GET", "/api/v1/findings", e.tokens[auth.Viewer], "")
	list := fs["findings"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["accepted"] == nil {
		t.Errorf("findings after acceptance: %v", fs)
	}
	log, _ := e.st.AuditLog(t.Context(), 0)
	if !slices.ContainsFunc(log, func(a store.AuditEntry) bool {
		return a.Action == "risk.accept" && a.Object == f.ID && a.Actor == "operator"
	}) {
		t.Errorf("no audit entry for the acceptance: %+v", log)
	}
	// Refusals: a date in the past, no reason, a viewer.
	if code, _ := e.api("POST", "/api/v1/findings/"+f.ID+"/accept", e.tokens[auth.Operator], `{"reason":"x","until":"2000-01-01"}`); code != http.StatusBadRequest {
		t.Errorf("accept until 2000: %d, want 400", code)
	}
	if code, _ := e.api("POST", "/api/v1/findings/"+f.ID+"/accept", e.tokens[auth.Operator], `{"reason":" ","until":"`+until+`"}`); code != http.StatusBadRequest {
		t.Errorf("accept without a reason: %d, want 400", code)
	}
	vc, vcsrf, _ := e.login("viewer", password)
	if resp := e.post(vc, "/findings/"+f.ID+"/accept", map[string][]string{"csrf": {vcsrf}, "reason": {"x"}, "until": {until}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's acceptance: %d, want 403", resp.StatusCode)
	}
	_, body = e.get(vc, "/scans")
	if strings.Contains(body, `id="scan-submit"`) {
		t.Errorf("a viewer sees the scan button")
	}
}
