package identify

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/dockerapi"
	"github.com/vigilsec/vigil/internal/codec/httpmsg"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// httpServerNames maps the lower-case product token of a Server header to a
// product name.
var httpServerNames = map[string]string{
	"apache":            "Apache httpd",
	"nginx":             "nginx",
	"lighttpd":          "lighttpd",
	"caddy":             "Caddy",
	"microsoft-iis":     "Microsoft-IIS",
	"microsoft-httpapi": "Microsoft HTTPAPI",
	"openresty":         "OpenResty",
	"apache-coyote":     "Apache Tomcat",
	"jetty":             "Jetty",
	"gunicorn":          "gunicorn",
	"werkzeug":          "Werkzeug",
	"tornadoserver":     "Tornado",
	"uvicorn":           "uvicorn",
	"kestrel":           "Kestrel",
	"litespeed":         "LiteSpeed",
	"tengine":           "Tengine",
	"cherrypy":          "CherryPy",
	"twistedweb":        "TwistedWeb",
	"thttpd":            "thttpd",
	"mini_httpd":        "mini_httpd",
	"boa":               "Boa",
	"envoy":             "Envoy",
	"docker":            "Docker",
	"minio":             "MinIO",
	"h2o":               "H2O",
	"cowboy":            "Cowboy",
	"node.js":           "Node.js",
	"python":            "Python http.server",
	"simplehttp":        "Python http.server",
	"basehttp":          "Python http.server",
	"webfs":             "webfs",
	"busybox":           "BusyBox httpd",
	"goahead-webs":      "GoAhead",
	"mongoose":          "Mongoose",
	"cloudflare":        "cloudflare",
}

var jettyRE = regexp.MustCompile(`^Jetty\((\d[\w.]*)`)

// httpServerProduct returns the product and version a Server header names:
// "nginx/1.22.1", "Apache/2.4.57 (Debian)", "Microsoft-IIS/10.0", "Caddy".
func httpServerProduct(server string) (product, version string) {
	server = strings.TrimSpace(server)
	if server == "" {
		return "", ""
	}
	if m := jettyRE.FindStringSubmatch(server); m != nil {
		return "Jetty", leadingVersion(m[1])
	}
	tok, _, _ := strings.Cut(server, " ")
	name, ver, _ := strings.Cut(tok, "/")
	version = leadingVersion(ver)
	if p, ok := httpServerNames[strings.ToLower(name)]; ok {
		if p == "Apache Tomcat" {
			version = "" // Coyote's number is the connector's, not Tomcat's
		}
		return p, version
	}
	return clean(name, 64), clean(version, 32)
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
var passwordInputRE = regexp.MustCompile(`(?i)<input[^>]+type\s*=\s*["']?password`)

// applyHTTP records an HTTP response in s.
func applyHTTP(r httpmsg.Response, s *facts.Service) {
	s.Name = proto.HTTP
	server := r.Get("server")
	s.Product, s.Version = httpServerProduct(server)
	// Jenkins names itself and its version on every answer (its remote
	// API documentation); the Server header names only its Jetty.
	if v := r.Get("x-jenkins"); v != "" {
		s.Product, s.Version = "Jenkins", leadingVersion(v)
	}
	banner := r.StatusLine
	if server != "" {
		banner += "; Server: " + server
	}
	s.Banner = clean(banner, 256)
	s.SetDetail(facts.DetailHTTPStatus, strconv.Itoa(r.Status))
	if server != "" {
		s.SetDetail(facts.DetailHTTPServer, clean(server, 256))
	}
	if v := r.Header["www-authenticate"]; len(v) > 0 {
		s.SetDetail(facts.DetailHTTPWWWAuthenticate, clean(strings.Join(v, ", "), 512))
	}
	if v := r.Get("location"); v != "" {
		s.SetDetail(facts.DetailHTTPLocation, clean(v, 256))
	}
	if v := r.Get("x-powered-by"); v != "" {
		s.SetDetail(facts.DetailHTTPPoweredBy, clean(v, 128))
	}
	if m := titleRE.FindSubmatch(r.Body); m != nil {
		s.SetDetail(facts.DetailHTTPTitle, clean(strings.Join(strings.Fields(string(m[1])), " "), 128))
	}
	if passwordInputRE.Match(r.Body) {
		s.SetDetail(facts.DetailHTTPPasswordForm, "true")
	}
}

// isDocker reports whether an HTTP response comes from the Docker Engine
// API, which sets Api-Version and "Server: Docker/…" on every answer.
func isDocker(r httpmsg.Response) bool {
	return r.Get("api-version") != "" || strings.HasPrefix(r.Get("server"), "Docker/")
}

// parseDockerVersion parses the body of GET /version.
func parseDockerVersion(r httpmsg.Response) (dockerapi.Version, error) {
	if r.Status != 200 {
		return dockerapi.Version{}, noMatch(proto.Docker, "GET /version answered %d", r.Status)
	}
	v, err := dockerapi.ParseVersion(r.Body)
	if err != nil {
		return v, noMatch(proto.Docker, "%v", err)
	}
	return v, nil
}

// esInfo is the part of Elasticsearch's (and OpenSearch's) GET / answer used.
type esInfo struct {
	Name        string `json:"name"`
	ClusterName string `json:"cluster_name"`
	Tagline     string `json:"tagline"`
	Version     struct {
		Number       string `json:"number"`
		Distribution string `json:"distribution"`
	} `json:"version"`
}

// parseElasticsearch recognises Elasticsearch and OpenSearch by the JSON
// they answer GET / with, or, when security is on, by the product header
// (X-Elastic-Product) or the security exception they answer.
func parseElasticsearch(r httpmsg.Response) (product string, info esInfo, ok bool) {
	if strings.EqualFold(r.Get("x-elastic-product"), "Elasticsearch") {
		product, ok = "Elasticsearch", true
	}
	if strings.Contains(r.Get("www-authenticate"), `realm="security"`) && bytes.Contains(r.Body, []byte("security_exception")) {
		product, ok = "Elasticsearch", true
	}
	if json.Unmarshal(r.Body, &info) == nil {
		switch {
		case info.Tagline == "You Know, for Search":
			product, ok = "Elasticsearch", true
		case info.Version.Distribution == "opensearch" || strings.Contains(info.Tagline, "OpenSearch"):
			product, ok = "OpenSearch", true
		}
	}
	return product, info, ok
}

// get sends GET path at layer l and parses the answer.
func (l *layer) get(ctx context.Context, path string) ([]byte, httpmsg.Response, error) {
	resp, err := l.exchange(ctx, httpmsg.Request(path, httpmsg.Host(l.addr, l.opt.ServerName, l.tls)), httpCap, httpmsg.Complete)
	if len(resp) == 0 {
		return nil, httpmsg.Response{}, ioNoMatch(proto.HTTP, err)
	}
	r, err := httpmsg.Parse(resp)
	if err != nil {
		return resp, r, noMatch(proto.HTTP, "%v", err)
	}
	return resp, r, nil
}

// probeHTTP sends GET / and recognises HTTP, then the Docker Engine API and
// Elasticsearch by what they answer.
func probeHTTP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, r, err := l.get(ctx, "/")
	if err != nil {
		return resp, err
	}
	if bytes.Contains(r.Body, []byte("trying to access MongoDB over HTTP")) {
		return resp, noMatch(proto.HTTP, "MongoDB's answer to HTTP on its native port")
	}
	if r.Status == 400 && bytes.Contains(r.Body, []byte("Client sent an HTTP request to an HTTPS server")) {
		// Go's TLS servers answer cleartext HTTP so: the port speaks TLS.
		return resp, noMatch(proto.HTTP, "a TLS port's answer to cleartext HTTP")
	}
	applyHTTP(r, s)
	switch product, info, ok := parseElasticsearch(r); {
	case isDocker(r):
		s.Name, s.Product, s.Version = "docker", "Docker", ""
		if _, v := httpServerProduct(r.Get("server")); v != "" {
			s.Version = v
		}
		if v := r.Get("api-version"); v != "" {
			s.SetDetail(facts.DetailDockerAPIVersion, clean(v, 32))
		}
		if _, vr, err := l.get(ctx, "/version"); err == nil {
			if dv, err := parseDockerVersion(vr); err == nil {
				s.Version = clean(dv.Version, 64)
				s.SetDetail(facts.DetailDockerAPIVersion, clean(dv.APIVersion, 32))
				s.SetDetail(facts.DetailDockerOS, clean(dv.Os, 32))
				s.SetDetail(facts.DetailDockerArch, clean(dv.Arch, 32))
			}
		}
	case ok:
		s.Name, s.Product, s.Version = "elasticsearch", product, clean(info.Version.Number, 64)
		if info.ClusterName != "" {
			s.SetDetail(facts.DetailElasticsearchClusterName, clean(info.ClusterName, 128))
		}
	default:
		l.identifyAPI(ctx, r, s)
		if s.Name == proto.HTTP {
			l.recogniseWinRM(ctx, s)
		}
	}
	return nil, nil
}
