package httpaudit

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/sanitize"
)

// The recognisers below look at one response and say what page it is, by
// its content and headers, never by the path that served it. They are pure
// and never panic on hostile bytes (FuzzRecognise).

var (
	nginxStubRE    = regexp.MustCompile(`(?m)^Active connections:\s*\d+\s*$[\s\S]*server accepts handled requests[\s\S]*Reading:\s*\d+\s+Writing:\s*\d+\s+Waiting:\s*\d+`)
	apacheStatusRE = regexp.MustCompile(`(?i)<h1>Apache Server Status for `)
	apacheAutoRE   = regexp.MustCompile(`(?m)^ServerVersion: Apache|^Total Accesses: \d+`)
	apacheInfoRE   = regexp.MustCompile(`(?i)<h1[^>]*>Apache Server Information</h1>`)
	lighttpdStatRE = regexp.MustCompile(`(?i)<title>Status</title>[\s\S]*lighttpd|<h1>Server-Status \(lighttpd`)
	titleRE        = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	h1RE           = regexp.MustCompile(`(?is)<h([12])[^>]*>(.*?)</h[12]>`)
	tagRE          = regexp.MustCompile(`(?s)<[^>]*>`)
	scriptRE       = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>`)
	versionParamRE = regexp.MustCompile(`[?&]v=(\d+\.\d+\.\d+)`)
	tomcatVerRE    = regexp.MustCompile(`Apache Tomcat/(\d+\.\d+\.\d+)`)
)

// excerpt is a short printable piece of b for evidence: its text without
// markup (the head, styles and scripts dropped).
func excerpt(b []byte, max int) string {
	if i := bytes.Index(b, []byte("<body")); i >= 0 {
		b = b[i:]
	}
	b = scriptRE.ReplaceAll(b, nil)
	b = tagRE.ReplaceAll(b, []byte(" "))
	return sanitize.String(strings.Join(strings.Fields(string(b)), " "), max)
}

func title(body []byte) string {
	if m := titleRE.FindSubmatch(body); m != nil {
		return strings.Join(strings.Fields(string(m[1])), " ")
	}
	return ""
}

// h1 returns the first top-level heading (h1 or h2: lighttpd's listing
// uses h2).
func h1(body []byte) string {
	if m := h1RE.FindSubmatch(body); m != nil {
		return strings.Join(strings.Fields(string(m[2])), " ")
	}
	return ""
}

// statusKind recognises a server status page: Apache mod_status
// (server-status, HTML or ?auto), mod_info (server-info), nginx
// stub_status and lighttpd mod_status. It returns "" for anything else.
func statusKind(r httpmsg.Response) string {
	if r.Status != 200 {
		return ""
	}
	b := r.Body
	switch {
	case nginxStubRE.Match(b):
		return "nginx-stub-status"
	case apacheStatusRE.Match(b), apacheAutoRE.Match(b):
		return "apache-server-status"
	case apacheInfoRE.Match(b):
		return "apache-server-info"
	case lighttpdStatRE.Match(b):
		return "lighttpd-server-status"
	}
	return ""
}

// listingKind recognises an automatic directory listing by its structure:
// Apache mod_autoindex, nginx autoindex, lighttpd mod_dirlisting, Python's
// http.server, IIS directory browsing. It returns "" for anything else.
func listingKind(r httpmsg.Response) string {
	if r.Status != 200 {
		return ""
	}
	b := r.Body
	t, h := title(b), h1(b)
	switch {
	case strings.HasPrefix(t, "Directory listing for /") && strings.HasPrefix(h, "Directory listing for /"):
		return "python-http-server"
	case bytes.Contains(b, []byte("[To Parent Directory]")) && strings.HasSuffix(t, "/"):
		return "iis-directory-browsing"
	case !strings.HasPrefix(t, "Index of /") || !strings.HasPrefix(h, "Index of /"):
		return ""
	case bytes.Contains(b, []byte(`?C=N;O=D`)) || bytes.Contains(b, []byte("Parent Directory</a>")) || bytes.Contains(b, []byte("</h1>\n<ul><li><a href=")):
		return "apache-autoindex"
	case bytes.Contains(b, []byte(`class="list"`)) || bytes.Contains(b, []byte(`summary="Directory Listing"`)):
		return "lighttpd-dirlisting"
	case bytes.Contains(b, []byte(`<hr><pre><a href="../">../</a>`)) || bytes.Contains(b, []byte("<hr><pre>")):
		return "nginx-autoindex"
	}
	return "directory-listing"
}

// defaultPages are install placeholder pages: a marker that must appear
// and the kind it names. Markers are the pages' own headings and titles.
var defaultPages = []struct{ marker, kind string }{
	{"Apache2 Debian Default Page", "debian-apache-default"},
	{"Apache2 Ubuntu Default Page", "ubuntu-apache-default"},
	{"<h1>It works!</h1>", "apache-it-works"},
	{"Test Page for the Apache HTTP Server", "rhel-apache-test-page"},
	{"HTTP Server Test Page", "rhel-apache-test-page"},
	{"<title>Welcome to nginx!</title>", "nginx-welcome"},
	{"Lighttpd Default Page", "lighttpd-placeholder"},
	{"<title>Placeholder page</title>", "lighttpd-placeholder"},
	{"<h1> Placeholder page </h1>", "lighttpd-placeholder"},
	{"<title>IIS Windows Server</title>", "iis-default"},
	{"<title>IIS Windows</title>", "iis-default"},
	{"Internet Information Services</title>", "iis-default"},
	{"you've successfully installed Tomcat", "tomcat-default"},
}

// defaultPageKind recognises a default install page; "" for anything else.
func defaultPageKind(r httpmsg.Response) string {
	if r.Status != 200 {
		return ""
	}
	for _, p := range defaultPages {
		if bytes.Contains(r.Body, []byte(p.marker)) {
			return p.kind
		}
	}
	return ""
}

// traceEcho reports whether a TRACE answer echoes the request it was sent:
// a 200 whose body holds the request line and the unique header line
// vigil added (an error page may quote the method, never the header).
func traceEcho(r httpmsg.Response, header string) bool {
	return r.Status == 200 && bytes.Contains(r.Body, []byte("TRACE / HTTP/1.1")) && bytes.Contains(r.Body, []byte(header))
}

// grafanaHealth is Grafana's GET /api/health answer.
type grafanaHealth struct {
	Commit   string `json:"commit"`
	Database string `json:"database"`
	Version  string `json:"version"`
}

// adminOf recognises an administration console in one response to GET
// path, by what the console itself sends: Jenkins' X-Jenkins header,
// Grafana's /api/health document or its login page, the Tomcat manager's
// realm or page, phpMyAdmin's login page. It returns nil for anything else.
func adminOf(path string, r httpmsg.Response) *facts.HTTPAdmin {
	clean := func(s string, n int) string { return sanitize.String(s, n) }
	if v := r.Get("x-jenkins"); v != "" {
		return &facts.HTTPAdmin{Product: "Jenkins", Version: clean(leadingVersion(v), 32), Path: path, Evidence: "X-Jenkins: " + clean(v, 64)}
	}
	if v := r.Get("x-hudson"); v != "" {
		return &facts.HTTPAdmin{Product: "Jenkins", Path: path, Evidence: "X-Hudson: " + clean(v, 64)}
	}
	if strings.Contains(r.Get("www-authenticate"), `realm="Tomcat Manager Application"`) {
		a := &facts.HTTPAdmin{Product: "Apache Tomcat Manager", Path: path, Evidence: fmtStatus(r) + ` with realm "Tomcat Manager Application"`}
		if m := tomcatVerRE.FindSubmatch(r.Body); m != nil {
			a.Version = string(m[1])
		}
		return a
	}
	if r.Status != 200 {
		return nil
	}
	b := r.Body
	t := title(b)
	switch {
	case strings.Contains(t, "Tomcat Web Application Manager"):
		a := &facts.HTTPAdmin{Product: "Apache Tomcat Manager", Path: path, Evidence: "page titled " + clean(t, 80) + " answered without credentials"}
		if m := tomcatVerRE.FindSubmatch(b); m != nil {
			a.Version = string(m[1])
		}
		return a
	case strings.Contains(t, "phpMyAdmin") && (bytes.Contains(b, []byte("pma_username")) || bytes.Contains(b, []byte("pma_password")) || bytes.Contains(b, []byte("phpmyadmin.css")) || bytes.Contains(b, []byte("PMA_"))):
		a := &facts.HTTPAdmin{Product: "phpMyAdmin", Path: path, Evidence: "phpMyAdmin page (title " + clean(t, 60) + ")"}
		if m := versionParamRE.FindSubmatch(b); m != nil {
			a.Version = string(m[1])
		}
		return a
	case t == "Grafana" && (bytes.Contains(b, []byte("grafanaBootData")) || bytes.Contains(b, []byte("grafana-app"))):
		return &facts.HTTPAdmin{Product: "Grafana", Path: path, Evidence: "Grafana login page"}
	}
	var h grafanaHealth
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) && json.Unmarshal(b, &h) == nil && h.Database != "" && h.Version != "" && h.Commit != "" {
		return &facts.HTTPAdmin{Product: "Grafana", Version: clean(leadingVersion(h.Version), 32), Path: path,
			Evidence: "health document with database " + clean(h.Database, 16) + ", version " + clean(h.Version, 32)}
	}
	return nil
}

func fmtStatus(r httpmsg.Response) string {
	return sanitize.String(r.StatusLine, 60)
}

// leadingVersion keeps the leading dotted-number part of v ("2.426.1"
// from "2.426.1 (LTS)").
func leadingVersion(v string) string {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && end < 32 && (v[end] >= '0' && v[end] <= '9' || v[end] == '.') {
		end++
	}
	return strings.TrimRight(v[:end], ".")
}
