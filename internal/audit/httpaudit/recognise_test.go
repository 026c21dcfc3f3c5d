package httpaudit

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
)

func resp(status int, body string, hdr ...string) httpmsg.Response {
	r := httpmsg.Response{Status: status, StatusLine: "HTTP/1.1 200 OK", Header: map[string][]string{}, Body: []byte(body)}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header[hdr[i]] = append(r.Header[hdr[i]], hdr[i+1])
	}
	return r
}

// Page bodies as the servers write them (structure kept, text trimmed).
const (
	apacheStatus    = `<html><head><title>Apache Status</title></head><body><h1>Apache Server Status for 127.0.2.70 (via 127.0.2.70)</h1><dl><dt>Server Version: Apache/2.4.71 (Debian)</dt></dl>`
	apacheAuto      = "127.0.2.70\nServerVersion: Apache/2.4.71 (Debian)\nTotal Accesses: 3\n"
	apacheInfo      = `<html><head><title>Server Information</title></head><body><h1 style="text-align: center">Apache Server Information</h1>`
	nginxStub       = "Active connections: 2 \nserver accepts handled requests\n 10 10 12 \nReading: 0 Writing: 1 Waiting: 1 \n"
	apacheIndex     = `<html><head><title>Index of /files</title></head><body><h1>Index of /files</h1><table><tr><th><a href="?C=N;O=D">Name</a></th></tr><tr><td><a href="/">Parent Directory</a></td></tr></table></body></html>`
	nginxIndex      = "<html>\r\n<head><title>Index of /</title></head>\r\n<body>\r\n<h1>Index of /</h1><hr><pre><a href=\"../\">../</a>\r\n<a href=\"a.txt\">a.txt</a>  07-Dec-2026 18:00  3\r\n</pre><hr></body>\r\n</html>"
	lighttpdIndex   = `<!DOCTYPE html><html><head><title>Index of /</title></head><body><h2>Index of /</h2><div class="list"><table summary="Directory Listing" cellpadding="0" cellspacing="0">`
	lighttpdIndex2  = `<html><head><title>Index of /</title></head><body><h1>Index of /</h1><div class="list"><table summary="Directory Listing">`
	apacheRootIndex = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">\n<html>\n <head>\n  <title>Index of /</title>\n </head>\n <body>\n<h1>Index of /</h1>\n<ul><li><a href=\"notes.txt\"> notes.txt</a></li>\n</ul>\n</body></html>"
	pythonIndex     = "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head><title>Directory listing for /</title>\n</head>\n<body>\n<h1>Directory listing for /</h1>\n<hr>\n<ul>\n<li><a href=\"a.txt\">a.txt</a></li>\n</ul>"
	grafanaHealthJ  = `{"commit":"1e84fede543acc892d2a2515187e545eb047f237","database":"ok","version":"10.2.3"}`
	phpMyAdminPage  = `<!DOCTYPE HTML><html><head><title>phpMyAdmin</title><link rel="stylesheet" href="./themes/pmahomme/css/theme.css?v=5.2.1"></head><body><input type="text" name="pma_username" id="input_username">`
)

func TestStatusKind(t *testing.T) {
	for _, tt := range []struct {
		r    httpmsg.Response
		want string
	}{
		{resp(200, apacheStatus), "apache-server-status"},
		{resp(200, apacheAuto), "apache-server-status"},
		{resp(200, apacheInfo), "apache-server-info"},
		{resp(200, nginxStub), "nginx-stub-status"},
		{resp(403, apacheStatus), ""},
		{resp(200, "<h1>Status</h1> all good"), ""},
		{resp(200, `{"status":"ok"}`), ""},
	} {
		if got := statusKind(tt.r); got != tt.want {
			t.Errorf("statusKind(%.40q) = %q, want %q", tt.r.Body, got, tt.want)
		}
	}
}

func TestListingKind(t *testing.T) {
	for _, tt := range []struct {
		r    httpmsg.Response
		want string
	}{
		{resp(200, apacheIndex), "apache-autoindex"},
		{resp(200, nginxIndex), "nginx-autoindex"},
		{resp(200, lighttpdIndex2), "lighttpd-dirlisting"},
		{resp(200, pythonIndex), "python-http-server"},
		{resp(200, lighttpdIndex), "lighttpd-dirlisting"},
		{resp(200, apacheRootIndex), "apache-autoindex"},
		{resp(200, "<title>Index of /</title><h1>Welcome</h1>"), ""}, // the heading must say it too
		{resp(404, apacheIndex), ""},
		{resp(200, "<title>Index of our products</title><h1>Index of our products</h1>"), ""},
		{resp(200, "<html><title>Welcome</title></html>"), ""},
	} {
		if got := listingKind(tt.r); got != tt.want {
			t.Errorf("listingKind(%.40q) = %q, want %q", tt.r.Body, got, tt.want)
		}
	}
}

func TestDefaultPageKind(t *testing.T) {
	for body, want := range map[string]string{
		debianDefault: "debian-apache-default",
		"<html><body><h1>It works!</h1></body></html>":                                                    "apache-it-works",
		"<html><head><title>Welcome to nginx!</title></head></html>":                                      "nginx-welcome",
		"<html><title>Welcome</title><p>our clinic</p></html>":                                            "",
		"<title>Apache Tomcat/9.0.70</title>If you're seeing this, you've successfully installed Tomcat.": "tomcat-default",
	} {
		if got := defaultPageKind(resp(200, body)); got != want {
			t.Errorf("defaultPageKind(%.40q) = %q, want %q", body, got, want)
		}
	}
	if got := defaultPageKind(resp(404, debianDefault)); got != "" {
		t.Errorf("a 404 is not a default page: %q", got)
	}
}

func TestExcerpt(t *testing.T) {
	got := excerpt([]byte(apacheStatus), 200)
	if got != "Apache Server Status for 127.0.2.70 (via 127.0.2.70) Server Version: Apache/2.4.71 (Debian)" {
		t.Errorf("excerpt = %q", got)
	}
	if got := excerpt([]byte("<body><script>alert(1)</script>\x1b[31mred</body>"), 50); got != `\x1b[31mred` {
		t.Errorf("excerpt = %q", got)
	}
}

func TestTraceEcho(t *testing.T) {
	hdr := "X-Vigil-Trace: 0123"
	if !traceEcho(resp(200, "TRACE / HTTP/1.1\r\nHost: x\r\n"+hdr+"\r\n"), hdr) {
		t.Error("echo not recognised")
	}
	if traceEcho(resp(405, "TRACE / HTTP/1.1 "+hdr), hdr) {
		t.Error("405 taken for an echo")
	}
	if traceEcho(resp(200, "TRACE / HTTP/1.1 method not allowed"), hdr) {
		t.Error("page quoting the request line taken for an echo")
	}
}

func TestAdminOf(t *testing.T) {
	for _, tt := range []struct {
		name         string
		r            httpmsg.Response
		product, ver string
	}{
		{"jenkins header", resp(403, "Authentication required", "x-jenkins", "2.426.1"), "Jenkins", "2.426.1"},
		{"tomcat realm", resp(401, "401", "www-authenticate", `Basic realm="Tomcat Manager Application"`), "Apache Tomcat Manager", ""},
		{"tomcat other realm", resp(401, "401", "www-authenticate", `Basic realm="Restricted"`), "", ""},
		{"grafana health", resp(200, grafanaHealthJ), "Grafana", "10.2.3"},
		{"grafana login", resp(200, `<html><head><title>Grafana</title></head><body><script>window.grafanaBootData = {}</script>`), "Grafana", ""},
		{"phpmyadmin", resp(200, phpMyAdminPage), "phpMyAdmin", "5.2.1"},
		{"other json", resp(200, `{"status":"ok","version":"1"}`), "", ""},
		{"page titled phpMyAdmin tips", resp(200, "<title>phpMyAdmin tips</title>"), "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := adminOf("/x", tt.r)
			switch {
			case tt.product == "" && a != nil:
				t.Errorf("got %+v, want nothing", a)
			case tt.product != "" && (a == nil || a.Product != tt.product || a.Version != tt.ver):
				t.Errorf("got %+v, want %s %s", a, tt.product, tt.ver)
			}
		})
	}
}

func TestViaHops(t *testing.T) {
	if n := viaHops(resp(200, "", "via", "1.1 a, 1.0 b", "via", "1.1 c")); n != 3 {
		t.Errorf("viaHops = %d, want 3", n)
	}
	if n := viaHops(resp(200, "")); n != 0 {
		t.Errorf("viaHops = %d, want 0", n)
	}
}

// FuzzRecognise feeds server bytes to the parser and every recogniser:
// none may panic, and what they keep must be printable.
func FuzzRecognise(f *testing.F) {
	for _, b := range []string{apacheStatus, apacheInfo, nginxStub, apacheIndex, nginxIndex, lighttpdIndex2, pythonIndex, grafanaHealthJ, phpMyAdminPage, debianDefault} {
		f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + b))
	}
	f.Add([]byte("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Tomcat Manager Application\"\r\nX-Jenkins: 2.1\x1b[31m\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := httpmsg.Parse(b)
		if err != nil {
			return
		}
		_ = statusKind(r)
		_ = listingKind(r)
		_ = defaultPageKind(r)
		_ = traceEcho(r, "X-Vigil-Trace: 1")
		_ = viaHops(r)
		if a := adminOf("/", r); a != nil {
			for _, s := range []string{a.Product, a.Version, a.Evidence} {
				for i := 0; i < len(s); i++ {
					if s[i] < 0x20 || s[i] == 0x7f {
						t.Fatalf("control byte kept in %q", s)
					}
				}
			}
		}
		_ = excerpt(r.Body, 120)
	})
}
