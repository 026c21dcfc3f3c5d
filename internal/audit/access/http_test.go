package access

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
)

func TestPasswordForm(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		found  bool
		action string
	}{
		{"lab login", `<form method="post" action="/login"><input type="text" name="user"><input type="password" name="password"></form>`, true, "/login"},
		{"upper case, unquoted", `<FORM ACTION=/auth><INPUT TYPE=PASSWORD NAME=p></FORM>`, true, "/auth"},
		{"single quotes, spaces", `<form action = 'https://id.example.org/login' ><input  type = 'password' ></form>`, true, "https://id.example.org/login"},
		{"outside a form", `<div><input type="password"></div>`, true, ""},
		{"after a closed form", `<form action="/a"></form><input type="password">`, true, ""},
		{"in a comment", `<!-- <input type="password"> --><p>hi</p>`, false, ""},
		{"in a script", `<script>var s = '<input type="password">';</script>`, false, ""},
		{"in a textarea", `<textarea><input type=password></textarea>`, false, ""},
		{"text mentioning it", `<p>type="password"</p><input type="text">`, false, ""},
		{"attribute value with >", `<input value="a>b" type="password">`, true, ""},
		{"type in another attribute", `<input data-type="password" type="text">`, false, ""},
		{"unterminated comment", `<!-- <input type=password>`, false, ""},
		{"doctype and entities", `<!doctype html><p>1 < 2</p><form action="/x"><input type="hidden"><input type="Password"></form>`, true, "/x"},
	}
	for _, tt := range tests {
		found, action := passwordForm([]byte(tt.in))
		if found != tt.found || action != tt.action {
			t.Errorf("%s: got %v %q, want %v %q", tt.name, found, action, tt.found, tt.action)
		}
	}
}

func FuzzPasswordForm(f *testing.F) {
	f.Add([]byte(`<form action="/login"><input type="password"></form>`))
	f.Add([]byte(`<!-- x --><script>'<input type=password>'</script><input type=password>`))
	f.Add([]byte(`<input type="password`))
	f.Fuzz(func(t *testing.T, b []byte) {
		found, action := passwordForm(b)
		if !found && action != "" {
			t.Fatalf("action %q without a form", action)
		}
		if found && !strings.Contains(strings.ToLower(string(b)), "password") {
			t.Fatalf("found a password input in %q", b)
		}
	})
}

func FuzzCredentialRequest(f *testing.F) {
	f.Add([]byte("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\nContent-Length: 0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n<form><input type=password></form>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := httpmsg.Parse(b)
		if err != nil {
			return
		}
		assertClean(t, credentialRequest(page{path: "/", resp: r}))
	})
}

// webServer serves a fixed set of pages and records the requests.
type webServer struct {
	mu    sync.Mutex
	seen  []string
	pages map[string]func(w http.ResponseWriter, r *http.Request)
}

func (ws *webServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws.mu.Lock()
	ws.seen = append(ws.seen, r.Method+" "+r.URL.RequestURI())
	ws.mu.Unlock()
	if h, ok := ws.pages[r.URL.RequestURI()]; ok {
		h(w, r)
		return
	}
	http.NotFound(w, r)
}

func (ws *webServer) requests() []string {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return append([]string(nil), ws.seen...)
}

func redirect(to string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusMovedPermanently) }
}

func body(s string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprint(w, s) }
}

// startWeb starts ws over plain HTTP (or TLS) on 127.0.0.1.
func startWeb(t *testing.T, ws *webServer, tls bool) netip.AddrPort {
	t.Helper()
	srv := httptest.NewUnstartedServer(ws)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(srv.Listener.Addr().String())
}

func TestAuditHTTP(t *testing.T) {
	const form = `<html><form method="post" action="/session"><input name="u"><input type="password" name="p"></form></html>`
	tests := []struct {
		name  string
		pages func(port uint16) map[string]func(http.ResponseWriter, *http.Request)
		want  string
	}{
		{"basic at /", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){"/": func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("WWW-Authenticate", `Basic realm="admin"`)
				w.WriteHeader(401)
			}}
		}, `Basic challenge at / (401, WWW-Authenticate: Basic realm="admin")`},
		{"digest", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){"/": func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Add("WWW-Authenticate", `Negotiate`)
				w.Header().Add("WWW-Authenticate", `Digest realm="x", qop="auth", nonce="abc"`)
				w.WriteHeader(401)
			}}
		}, "Digest challenge at /"},
		{"same-host redirect to a form", func(port uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){
				"/":           redirect(fmt.Sprintf("http://127.0.0.1:%d/app/", port)),
				"/app/":       redirect("signin"),
				"/app/signin": body(form),
			}
		}, "password form at /app/signin (posting to /session)"},
		{"form at a login path", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){"/": body("<h1>hello</h1>"), "/login.html": body(form)}
		}, "password form at /login.html (posting to /session)"},
		{"https redirect everywhere", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			h := redirect("https://127.0.0.1/")
			return map[string]func(http.ResponseWriter, *http.Request){"/": h, "/login": h, "/login.html": h, "/admin/": h, "/user/login": h, "/wp-login.php": h}
		}, ""},
		{"form posting to https", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){"/login": body(`<form action="https://sso.example.org/"><input type=password></form>`)}
		}, ""},
		{"redirect to another host is not followed", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){"/": redirect("http://127.0.0.99:1/login")}
		}, ""},
		{"redirect loop stops", func(uint16) map[string]func(http.ResponseWriter, *http.Request) {
			return map[string]func(http.ResponseWriter, *http.Request){"/": redirect("/"), "/login": redirect("/login")}
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &webServer{}
			addr := startWeb(t, ws, false)
			ws.pages = tt.pages(addr.Port())
			a, err := auditAt(t, addr, &facts.Service{Name: "http"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(a.HTTPAuth, tt.want) || (tt.want == "") != (a.HTTPAuth == "") {
				t.Errorf("HTTPAuth %q, want %q", a.HTTPAuth, tt.want)
			}
			for _, r := range ws.requests() {
				if !strings.HasPrefix(r, "GET ") {
					t.Errorf("sent %s: only GET is allowed", r)
				}
				if strings.Contains(r, "127.0.0.99") {
					t.Errorf("followed a redirect to another host: %s", r)
				}
			}
			if n := len(ws.requests()); n > 6*(maxRedirects+1) {
				t.Errorf("%d requests", n)
			}
		})
	}
	// Identification's answer to GET / is enough: nothing is sent.
	s := &facts.Service{Name: "http", Details: map[string]string{"http.status": "401", "http.www-authenticate": `Basic realm="x"`}}
	if a, err := auditAt(t, netipClosed(t), s, Options{}); err != nil || !strings.HasPrefix(a.HTTPAuth, "Basic challenge at /") {
		t.Errorf("from details: %+v %v", a, err)
	}
	// HTTPS is not audited for cleartext.
	if a, err := auditAt(t, netipClosed(t), &facts.Service{Name: "http", TLS: true}, Options{}); a != nil || err != nil {
		t.Errorf("https: %+v %v", a, err)
	}
}

func TestElasticsearchAndDocker(t *testing.T) {
	open := &webServer{pages: map[string]func(http.ResponseWriter, *http.Request){
		"/_cluster/health":              body(`{"cluster_name":"lab","status":"green","number_of_nodes":1}`),
		"/_cat/indices?h=index&s=index": body("patients\ninvoices\n"),
	}}
	addr := startWeb(t, open, false)
	a, err := auditAt(t, addr, &facts.Service{Name: "elasticsearch"}, Options{})
	want := `GET /_cluster/health answered without credentials: cluster "lab", status green, 1 node; GET /_cat/indices answered without credentials: 2 indices (patients, invoices)`
	if err != nil || a.Unauthenticated != want {
		t.Errorf("open ES: %q %v", a.Unauthenticated, err)
	}
	secured := &webServer{pages: map[string]func(http.ResponseWriter, *http.Request){}}
	for _, p := range []string{"/_cluster/health", "/_cat/indices?h=index&s=index"} {
		secured.pages[p] = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="security" charset="UTF-8"`)
			w.WriteHeader(401)
			_, _ = fmt.Fprint(w, `{"error":{"type":"security_exception"},"status":401}`)
		}
	}
	addr = startWeb(t, secured, true) // and over TLS
	a, err = auditAt(t, addr, &facts.Service{Name: "elasticsearch", TLS: true}, Options{})
	if err != nil || a.Unauthenticated != "" {
		t.Errorf("secured ES: %+v %v", a, err)
	}

	docker := &webServer{pages: map[string]func(http.ResponseWriter, *http.Request){
		"/version":                 body(`{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux","Arch":"amd64"}`),
		"/containers/json?limit=1": body(`[{"Id":"abc","Names":["/db"]}]`),
	}}
	addr = startWeb(t, docker, true)
	a, err = auditAt(t, addr, &facts.Service{Name: "docker", TLS: true}, Options{})
	want = "GET /version answered without credentials: Docker 24.0.7 (API 1.43, linux/amd64); GET /containers/json?limit=1 answered with 1 running container"
	if err != nil || a.Unauthenticated != want {
		t.Errorf("docker over TLS: %q %v", a.Unauthenticated, err)
	}
	for _, r := range docker.requests() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("sent %s", r)
		}
	}
}

func FuzzElasticsearchDocker(f *testing.F) {
	f.Add([]byte(`{"cluster_name":"lab","status":"green","number_of_nodes":3}`))
	f.Add([]byte(`{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux","Arch":"amd64"}`))
	f.Add([]byte("[{},{}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := parseESHealth(b)
		idx := parseCatIndices(b)
		assertClean(t, esEvidence(h, ok, idx, true))
		if v, ok := parseDockerVersion(b); ok {
			assertClean(t, clean(v.Version, 32))
		}
		parseContainers(b)
	})
}
