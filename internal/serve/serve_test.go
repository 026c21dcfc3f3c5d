package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/store"
)

// clock is a settable clock for sessions.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is a server on a fresh store with a user and a token per role.
type testEnv struct {
	t      *testing.T
	st     *store.Store
	srv    *Server
	ts     *httptest.Server
	clock  *clock
	tokens map[auth.Role]string
}

// password is every test user's password.
const password = "correct horse battery"

// noScan is a ScanConfig that refuses every scan: unit tests send nothing.
func noScan(context.Context, store.Job) (engine.Config, func(), error) {
	return engine.Config{}, nil, errors.New("test: scanning is off")
}

func newEnv(t *testing.T, opt Options) *testEnv {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Now().Add(time.Minute).Truncate(time.Second)}
	opt.Store = st
	if opt.Now == nil {
		opt.Now = c.Now
	}
	if opt.ScanConfig == nil {
		opt.ScanConfig = noScan
	}
	opt.MaxScans = max(opt.MaxScans, 1)
	opt.Grace = time.Second
	srv, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.runner.Shutdown(time.Second) })
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &testEnv{t: t, st: st, srv: srv, ts: ts, clock: c, tokens: map[auth.Role]string{}}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range auth.Roles() {
		if err := st.AddUser(t.Context(), store.User{Name: string(r), Role: string(r), Hash: hash}); err != nil {
			t.Fatal(err)
		}
		tok, h, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := auth.NewID()
		if err := st.AddToken(t.Context(), store.Token{ID: id, Name: string(r), Role: string(r), Hash: h}); err != nil {
			t.Fatal(err)
		}
		e.tokens[r] = tok
	}
	return e
}

// client is a browser: a cookie jar, no redirects followed.
func (e *testEnv) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and returns its status and body.
func (e *testEnv) get(c *http.Client, path string) (int, string) {
	e.t.Helper()
	resp, err := c.Get(e.ts.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post submits a form.
func (e *testEnv) post(c *http.Client, path string, form url.Values) *http.Response {
	e.t.Helper()
	resp, err := c.PostForm(e.ts.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// login logs a browser in and returns it with its CSRF token.
func (e *testEnv) login(user, pass string) (*http.Client, string, int) {
	e.t.Helper()
	c := e.client()
	_, body := e.get(c, "/login")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("the login page has no CSRF field:\n%s", body)
	}
	resp := e.post(c, "/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {pass}})
	if resp.StatusCode != http.StatusSeeOther {
		return c, "", resp.StatusCode
	}
	_, body = e.get(c, "/")
	m = csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("the overview has no CSRF field after login:\n%s", body)
	}
	return c, m[1], resp.StatusCode
}

// api sends an API request with a token ("" for none) and decodes the
// JSON answer.
func (e *testEnv) api(method, path, token, body string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			e.t.Fatalf("%s %s: the answer is not a JSON object: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode, out
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, Options{})
	for _, path := range []string{"/login", "/api/v1/hosts", "/static/vigil.css", "/", "/api/v1/openapi.json", "/nowhere"} {
		resp, err := http.Get(e.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if !strings.HasPrefix(h.Get("Server-Timing"), "app;dur=") {
			t.Errorf("%s: Server-Timing %q", path, h.Get("Server-Timing"))
		}
		for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
			if h.Get(k) != want {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), want)
			}
		}
	}
	// An authenticated page is not cached.
	c, _, _ := e.login("viewer", password)
	resp, err := c.Get(e.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("overview Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}

func TestLoginLogoutAndCookies(t *testing.T) {
	e := newEnv(t, Options{})
	if code, _ := e.get(e.client(), "/"); code != http.StatusSeeOther {
		t.Errorf("overview without a session: %d, want 303 to /login", code)
	}
	if _, _, code := e.login("viewer", "wrong password!"); code != http.StatusUnauthorized {
		t.Errorf("a wrong password: %d, want 401", code)
	}
	c, csrf, code := e.login("viewer", password)
	if code != http.StatusSeeOther {
		t.Fatalf("login: %d", code)
	}
	u, _ := url.Parse(e.ts.URL)
	var session *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "vigil_session" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	if code, body := e.get(c, "/"); code != http.StatusOK || !strings.Contains(body, `id="level"`) || !strings.Contains(body, `id="logout"`) {
		t.Errorf("overview after login: %d", code)
	}
	if resp := e.post(c, "/logout", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if code, _ := e.get(c, "/"); code != http.StatusSeeOther {
		t.Errorf("overview after logout: %d, want 303", code)
	}
	// The old cookie value is dead in the store too.
	c2 := e.client()
	c2.Jar.SetCookies(u, []*http.Cookie{{Name: "vigil_session", Value: session.Value}})
	if code, _ := e.get(c2, "/"); code != http.StatusSeeOther {
		t.Errorf("a logged-out session cookie still works: %d", code)
	}
	log, err := e.st.AuditLog(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action)
	}
	if got := strings.Join(actions, ","); got != "logout,login,login.failed" {
		t.Errorf("audit log actions = %s", got)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		e := newEnv(t, Options{TLS: tlsOn})
		rec := httptest.NewRecorder()
		e.srv.setCookie(rec, e.srv.cookieName(), "v", 60)
		ck := rec.Result().Cookies()[0]
		if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tlsOn || ck.Path != "/" {
			t.Errorf("tls=%v: cookie %+v", tlsOn, ck)
		}
		if tlsOn != strings.HasPrefix(ck.Name, "__Host-") {
			t.Errorf("tls=%v: cookie name %s", tlsOn, ck.Name)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, Options{})
	c, csrf, _ := e.login("operator", password)
	tests := []struct {
		name string
		form url.Values
		want int
	}{
		{"no token", url.Values{"targets": {"127.0.0.1"}}, http.StatusForbidden},
		{"wrong token", url.Values{"targets": {"127.0.0.1"}, "csrf": {csrf + "x"}}, http.StatusForbidden},
		{"another session's token", url.Values{"targets": {"127.0.0.1"}, "csrf": {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}, http.StatusForbidden},
		{"right token", url.Values{"targets": {"127.0.0.1"}, "ports": {"1"}, "csrf": {csrf}}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		if resp := e.post(c, "/scans", tt.form); resp.StatusCode != tt.want {
			t.Errorf("%s: POST /scans = %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	jobs, _ := e.st.Jobs(t.Context(), 0)
	if len(jobs) != 1 {
		t.Errorf("%d jobs queued, want only the one with the right token", len(jobs))
	}
	// The API from a session needs the token in a header; a bearer token needs none.
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/scans", strings.NewReader(`{"targets":["127.0.0.1"],"ports":"1"}`))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("API POST from a session without X-CSRF-Token: %d, want 403", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", e.ts.URL+"/api/v1/scans", strings.NewReader(`{"targets":["127.0.0.1"],"ports":"1"}`))
	req.Header.Set("X-CSRF-Token", csrf)
	if resp, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("API POST from a session with X-CSRF-Token: %d, want 201", resp.StatusCode)
	}
	if code, _ := e.api("POST", "/api/v1/scans", e.tokens[auth.Operator], `{"targets":["127.0.0.1"],"ports":"1"}`); code != http.StatusCreated {
		t.Errorf("API POST with a bearer token: %d, want 201", code)
	}
	// The login form has its own token.
	lc := e.client()
	e.get(lc, "/login")
	if resp := e.post(lc, "/login", url.Values{"user": {"operator"}, "password": {password}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without the form's token: %d, want 403", resp.StatusCode)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range auth.AccountFailures {
		if _, _, code := e.login("admin", "not the password"); code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, code)
		}
	}
	// Locked out: even the right password is refused now.
	if _, _, code := e.login("admin", password); code != http.StatusTooManyRequests {
		t.Errorf("login after %d failures: %d, want 429", auth.AccountFailures, code)
	}
	// Another account is not locked by them.
	if _, _, code := e.login("viewer", password); code != http.StatusSeeOther {
		t.Errorf("another account: %d, want 303", code)
	}
	e.clock.Add(auth.LimitWindow + time.Second)
	if _, _, code := e.login("admin", password); code != http.StatusSeeOther {
		t.Errorf("login after the window: %d, want 303", code)
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, Options{})
	// Idle: used every 20 minutes, a session lives on; 31 idle minutes end it.
	c, _, _ := e.login("viewer", password)
	for range 3 {
		e.clock.Add(20 * time.Minute)
		if code, _ := e.get(c, "/"); code != http.StatusOK {
			t.Fatalf("session used every 20 minutes ended: %d", code)
		}
	}
	e.clock.Add(SessionIdle + time.Minute)
	if code, _ := e.get(c, "/"); code != http.StatusSeeOther {
		t.Errorf("after %v idle: %d, want 303 to /login", SessionIdle+time.Minute, code)
	}
	// Absolute: however busy, a session ends after SessionMax.
	c, _, _ = e.login("viewer", password)
	for elapsed := time.Duration(0); elapsed < SessionMax-20*time.Minute; elapsed += 20 * time.Minute {
		e.clock.Add(20 * time.Minute)
		if code, _ := e.get(c, "/"); code != http.StatusOK {
			t.Fatalf("busy session ended after %v: %d", elapsed, code)
		}
	}
	e.clock.Add(25 * time.Minute)
	if code, _ := e.get(c, "/"); code != http.StatusSeeOther {
		t.Errorf("a session older than %v still works: %d", SessionMax, code)
	}
}

func TestScanScope(t *testing.T) {
	e := newEnv(t, Options{})
	tok := e.tokens[auth.Operator]
	tests := []struct {
		body string
		want int
		says string
	}{
		{`{"targets":["8.8.8.8"]}`, http.StatusBadRequest, "allow"},
		{`{"targets":["@/etc/passwd"]}`, http.StatusBadRequest, "@FILE"},
		{`{"targets":[]}`, http.StatusBadRequest, "target"},
		{`{"targets":["127.0.0.1"],"ports":"99999"}`, http.StatusBadRequest, "ports"},
		{`{"targets":["10.0.0.0/8"]}`, http.StatusBadRequest, ""},
		{`not json`, http.StatusBadRequest, "JSON"},
		{`{"targets":["127.0.0.1"],"ports":"1"}`, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		code, out := e.api("POST", "/api/v1/scans", tok, tt.body)
		if code != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.body, code, out, tt.want)
			continue
		}
		if msg, _ := out["error"].(string); tt.says != "" && !strings.Contains(msg, tt.says) {
			t.Errorf("%s: error %q does not say %q", tt.body, msg, tt.says)
		}
	}
	pub := newEnv(t, Options{AllowPublic: true})
	if code, out := pub.api("POST", "/api/v1/scans", pub.tokens[auth.Operator], `{"targets":["192.0.2.1"],"ports":"1"}`); code != http.StatusCreated {
		t.Errorf("a public target on a server started with --allow-public: %d %v", code, out)
	}
}

// TestScanPageProgress: a running job's page carries the ids the browser
// test relies on, the live-progress script, and a refresh for browsers
// without JavaScript; a finished job's page has neither.
func TestScanPageProgress(t *testing.T) {
	e := newEnv(t, Options{})
	now := e.clock.Now()
	for _, id := range []string{"job-running", "job-over"} {
		if err := e.st.AddJob(t.Context(), store.Job{ID: id, Kind: store.JobScan, Targets: []string{"127.0.0.1"}, Created: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.StartJob(t.Context(), id, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.SetJobProgress(t.Context(), "job-running", "ports", 0.25); err != nil {
		t.Fatal(err)
	}
	if err := e.st.FinishJob(t.Context(), "job-over", store.JobFailed, "", "no route", now); err != nil {
		t.Fatal(err)
	}
	c, _, _ := e.login("viewer", password)
	_, body := e.get(c, "/scans/job-running")
	for _, want := range []string{`id="status" class="status running">running<`, `<progress id="progress" max="1" value="0.25">`,
		`<script src="/static/progress.js" defer></script>`, `<noscript><meta http-equiv="refresh" content="5"></noscript>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the running job's page lacks %s", want)
		}
	}
	_, body = e.get(c, "/scans/job-over")
	if strings.Contains(body, "progress.js") || strings.Contains(body, "refresh") || !strings.Contains(body, "no route") {
		t.Errorf("the finished job's page still refreshes, or does not say why it failed")
	}
	_, body = e.get(c, "/scans")
	if !strings.Contains(body, `<tr class="job" data-id="job-running">`) || !strings.Contains(body, "progress.js") {
		t.Errorf("the scans list does not follow the running job")
	}
	resp, err := c.Get(e.ts.URL + "/static/progress.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
		t.Errorf("progress.js: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

var newToken = regexp.MustCompile(`<code id="new-token">(vgl_[A-Za-z0-9_-]+)</code>`)

// TestAdminPages: users, tokens and alert targets managed from the pages,
// each change in the audit log; the pages are the admin's alone.
func TestAdminPages(t *testing.T) {
	e := newEnv(t, Options{})
	for _, role := range []string{"viewer", "operator"} {
		c, csrf, _ := e.login(role, password)
		for _, p := range []string{"/users", "/tokens", "/alerts"} {
			if code, _ := e.get(c, p); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", role, p, code)
			}
		}
		if resp := e.post(c, "/users", url.Values{"csrf": {csrf}, "name": {"mallory"}, "role": {"admin"}, "password": {password}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s adding a user: %d, want 403", role, resp.StatusCode)
		}
		if role == "viewer" {
			if resp := e.post(c, "/scans", url.Values{"csrf": {csrf}, "targets": {"127.0.0.1"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("a viewer launching a scan: %d, want 403", resp.StatusCode)
			}
		}
	}
	c, csrf, _ := e.login("admin", password)
	// A user added here can log in; a short password is refused.
	if resp := e.post(c, "/users", url.Values{"csrf": {csrf}, "name": {"bob"}, "role": {"viewer"}, "password": {"short"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a short password: %d, want 400", resp.StatusCode)
	}
	if resp := e.post(c, "/users", url.Values{"csrf": {csrf}, "name": {"bob"}, "role": {"viewer"}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding bob: %d", resp.StatusCode)
	}
	if _, _, code := e.login("bob", password); code != http.StatusSeeOther {
		t.Errorf("bob cannot log in: %d", code)
	}
	if resp := e.post(c, "/users/bob/role", url.Values{"csrf": {csrf}, "role": {"operator"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("bob's role: %d", resp.StatusCode)
	}
	if u, _ := e.st.User(t.Context(), "bob"); u.Role != "operator" {
		t.Errorf("bob's role is %q", u.Role)
	}
	if resp := e.post(c, "/users/bob/remove", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("removing bob: %d", resp.StatusCode)
	}
	if _, _, code := e.login("bob", password); code == http.StatusSeeOther {
		t.Errorf("a removed user can log in")
	}
	// A token is shown once, works, and stops working when revoked.
	resp, err := c.PostForm(e.ts.URL+"/tokens", url.Values{"csrf": {csrf}, "name": {"ci"}, "role": {"viewer"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := newToken.FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("the new token is not shown:\n%s", b)
	}
	if code, _ := e.api("GET", "/api/v1/hosts", m[1], ""); code != http.StatusOK {
		t.Errorf("the new token: %d", code)
	}
	if _, body := e.get(c, "/tokens"); strings.Contains(body, m[1]) {
		t.Errorf("the token is shown again")
	}
	toks, _ := e.st.Tokens(t.Context())
	id := ""
	for _, tk := range toks {
		if tk.Name == "ci" {
			id = tk.ID
		}
	}
	if resp := e.post(c, "/tokens/"+id+"/revoke", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("revoking: %d", resp.StatusCode)
	}
	if code, _ := e.api("GET", "/api/v1/hosts", m[1], ""); code != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", code)
	}
	// An alert target's secret never comes back.
	if resp := e.post(c, "/alerts", url.Values{"csrf": {csrf}, "type": {"webhook"}, "url": {"http://127.0.0.1:9/x"}, "secret": {"hush-hush-secret"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("adding a webhook: %d", resp.StatusCode)
	}
	if _, body := e.get(c, "/alerts"); strings.Contains(body, "hush-hush-secret") || !strings.Contains(body, "http://127.0.0.1:9/x") {
		t.Errorf("the alerts page shows the secret, or not the target")
	}
	if _, out := e.api("GET", "/api/v1/alerts/targets", e.tokens[auth.Admin], ""); strings.Contains(fmt.Sprint(out), "hush-hush-secret") {
		t.Errorf("GET /api/v1/alerts/targets shows the secret: %v", out)
	}
	log, _ := e.st.AuditLog(t.Context(), 0)
	want := map[string]bool{"user.add": false, "user.role": false, "user.remove": false, "token.create": false, "token.revoke": false, "alert.target.add": false}
	for _, a := range log {
		if _, ok := want[a.Action]; ok && a.Actor == "admin" {
			want[a.Action] = true
		}
	}
	for a, seen := range want {
		if !seen {
			t.Errorf("no audit entry %s by admin", a)
		}
	}
	// The log's exports hold every entry.
	code, body := e.get(c, "/audit/export?format=csv")
	if lines := strings.Count(body, "\n"); code != http.StatusOK || !strings.HasPrefix(body, "seq,time,actor,source,action,object,detail,hash\n") || lines != len(log)+1 {
		t.Errorf("CSV export: %d, %d lines for %d entries", code, lines, len(log))
	}
	code, body = e.get(c, "/audit/export?format=json")
	var export struct {
		Schema  string             `json:"schema"`
		Entries []store.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(body), &export); code != http.StatusOK || err != nil || export.Schema != "vigil/audit-log/v1" || len(export.Entries) != len(log) {
		t.Errorf("JSON export: %d, %v, %d entries for %d", code, err, len(export.Entries), len(log))
	}
}
