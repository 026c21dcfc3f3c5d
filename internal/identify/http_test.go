package identify

import (
	"fmt"
	"testing"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
)

func TestHTTPServerProduct(t *testing.T) {
	tests := []struct{ in, product, version string }{
		{"nginx/1.22.1", "nginx", "1.22.1"},
		{"nginx", "nginx", ""},
		{"Apache/2.4.57 (Debian)", "Apache httpd", "2.4.57"},
		{"Apache", "Apache httpd", ""},
		{"lighttpd/1.4.69", "lighttpd", "1.4.69"},
		{"Caddy", "Caddy", ""},
		{"Microsoft-IIS/10.0", "Microsoft-IIS", "10.0"},
		{"Jetty(9.4.51.v20230217)", "Jetty", "9.4.51"},
		{"Apache-Coyote/1.1", "Apache Tomcat", ""},
		{"Docker/24.0.7 (linux)", "Docker", "24.0.7"},
		{"Werkzeug/2.3.7 Python/3.11.2", "Werkzeug", "2.3.7"},
		{"SomeBox/3.1", "SomeBox", "3.1"},
		{"", "", ""},
	}
	for _, tt := range tests {
		p, v := httpServerProduct(tt.in)
		if p != tt.product || v != tt.version {
			t.Errorf("httpServerProduct(%q) = %q %q, want %q %q", tt.in, p, v, tt.product, tt.version)
		}
	}
}

func TestApplyHTTP(t *testing.T) {
	r, err := httpmsg.Parse([]byte("HTTP/1.1 401 Unauthorized\r\nServer: nginx/1.22.1\r\nWWW-Authenticate: Basic realm=\"admin\"\r\nX-Powered-By: PHP/8.2\r\nContent-Length: 120\r\n\r\n" +
		"<html><head><title>Log\x1b[2J in</title></head><form><input name=u><input type=\"password\" name=p></form></html>"))
	if err != nil {
		t.Fatal(err)
	}
	s := newService()
	applyHTTP(r, &s)
	want := map[string]string{
		"http.status":           "401",
		"http.server":           "nginx/1.22.1",
		"http.www-authenticate": `Basic realm="admin"`,
		"http.powered-by":       "PHP/8.2",
		"http.password-form":    "true",
		"http.title":            `Log\x1b[2J in`,
	}
	for k, v := range want {
		if s.Detail(k) != v {
			t.Errorf("%s = %q, want %q", k, s.Detail(k), v)
		}
	}
	if s.Banner != "HTTP/1.1 401 Unauthorized; Server: nginx/1.22.1" {
		t.Errorf("banner %q", s.Banner)
	}
	assertPrintable(t, s)
}

func TestApplyHTTPJenkins(t *testing.T) {
	for _, tt := range []struct{ header, product, version string }{
		{"X-Jenkins: 2.426.1\r\n", "Jenkins", "2.426.1"},
		{"X-Jenkins: \x1b[31m\r\n", "Jenkins", ""},
		{"", "Jetty", "10.0.18"},
	} {
		r, err := httpmsg.Parse([]byte("HTTP/1.1 403 Forbidden\r\nServer: Jetty(10.0.18)\r\n" + tt.header + "Content-Length: 0\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		s := newService()
		applyHTTP(r, &s)
		if s.Product != tt.product || s.Version != tt.version {
			t.Errorf("%q: product %q %q, want %q %q", tt.header, s.Product, s.Version, tt.product, tt.version)
		}
	}
}

func TestDockerAndElasticsearch(t *testing.T) {
	docker, _ := httpmsg.Parse([]byte("HTTP/1.1 404 Not Found\r\nApi-Version: 1.43\r\nServer: Docker/24.0.7 (linux)\r\nContent-Length: 29\r\n\r\n{\"message\":\"page not found\"}\n"))
	if !isDocker(docker) {
		t.Error("Docker API not recognised")
	}
	ver, _ := httpmsg.Parse(httpMessage("200 OK", "", `{"Version":"24.0.7","ApiVersion":"1.43","Os":"linux","Arch":"amd64"}`))
	if v, err := parseDockerVersion(ver); err != nil || v.Version != "24.0.7" || v.APIVersion != "1.43" {
		t.Errorf("parseDockerVersion = %+v, %v", v, err)
	}
	if _, err := parseDockerVersion(docker); err == nil {
		t.Error("a 404 parsed as a version")
	}
	nginx, _ := httpmsg.Parse([]byte("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 2\r\n\r\n{}"))
	if isDocker(nginx) {
		t.Error("nginx taken for Docker")
	}
	if _, _, ok := parseElasticsearch(nginx); ok {
		t.Error("nginx taken for Elasticsearch")
	}

	tests := []struct {
		name, in, product, version string
	}{
		{"es open", "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\"name\":\"n1\",\"cluster_name\":\"lab\",\"version\":{\"number\":\"8.11.0\",\"build_flavor\":\"default\"},\"tagline\":\"You Know, for Search\"}", "Elasticsearch", "8.11.0"},
		{"es secured", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"security\" charset=\"UTF-8\"\r\ncontent-type: application/json\r\n\r\n{\"error\":{\"type\":\"security_exception\"},\"status\":401}", "Elasticsearch", ""},
		{"es product header", "HTTP/1.1 401 Unauthorized\r\nX-elastic-product: Elasticsearch\r\n\r\n", "Elasticsearch", ""},
		{"opensearch", "HTTP/1.1 200 OK\r\n\r\n{\"version\":{\"distribution\":\"opensearch\",\"number\":\"2.11.0\"},\"tagline\":\"The OpenSearch Project: https://opensearch.org/\"}", "OpenSearch", "2.11.0"},
	}
	for _, tt := range tests {
		r, err := httpmsg.Parse([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		p, info, ok := parseElasticsearch(r)
		if !ok || p != tt.product || info.Version.Number != tt.version {
			t.Errorf("%s: got %q %q %v", tt.name, p, info.Version.Number, ok)
		}
	}
}

func FuzzApplyHTTP(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\n{\"tagline\":\"You Know, for Search\",\"version\":{\"number\":\"8\"}}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := httpmsg.Parse(b)
		if err != nil {
			return
		}
		s := newService()
		applyHTTP(r, &s)
		parseElasticsearch(r)
		parseDockerVersion(r)
		assertPrintable(t, s)
	})
}

// httpMessage builds an HTTP/1.1 response with a correct Content-Length.
func httpMessage(status, headers, body string) []byte {
	return fmt.Appendf(nil, "HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n%s", status, headers, len(body), body)
}
