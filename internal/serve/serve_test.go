package serve

import (
	"context"
	"encoding/json"
	"errors"
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
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
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
