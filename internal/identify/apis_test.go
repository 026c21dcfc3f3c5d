package identify

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/codec/httpmsg"
)

const natsINFO = `INFO {"server_id":"NDJWE4SOUJOJT2TY5Y2YQEOAHGAK5VIGXSGKWCFBSLK3ZXHXMXOFLH7U","server_name":"lab-weak","version":"2.9.10","proto":1,"go":"go1.19.8","host":"127.0.2.85","port":4222,"headers":true,"auth_required":true,"tls_required":true,"max_payload":1048576}` + "\r\n"

func TestParseNATSInfo(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
		version  string
		auth     bool
	}{
		{"secured", natsINFO, true, "2.9.10", true},
		{"open", `INFO {"server_id":"X","version":"2.10.1","auth_required":false}` + "\r\n", true, "2.10.1", false},
		{"no line end", `INFO {"server_id":"X"}`, false, "", false},
		{"not info", "+OK\r\n", false, "", false},
		{"no json", "INFO hello\r\n", false, "", false},
		{"empty object", "INFO {}\r\n", false, "", false},
	}
	for _, tt := range tests {
		info, err := parseNATSInfo([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, err, tt.ok)
			continue
		}
		if tt.ok && (info.Version != tt.version || info.AuthRequired != tt.auth) {
			t.Errorf("%s: got %+v", tt.name, info)
		}
	}
}

func TestMatchNATSFromBanner(t *testing.T) {
	s, ok := runMatchers(t.Context(), []byte(natsINFO))
	if !ok || s.Name != "nats" || s.Product != "NATS Server" || s.Version != "2.9.10" || s.Detail("nats.server-name") != "lab-weak" {
		t.Fatalf("got %+v, %v", s, ok)
	}
}

func TestParseVersionJSON(t *testing.T) {
	tests := []struct {
		body, name, version string
	}{
		{`{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`, "etcd", "3.4.23"},
		{`{"major":"1","minor":"28","gitVersion":"v1.28.2","platform":"linux/amd64"}`, "kubernetes", "1.28.2"},
		{`{"Version":"24.0.7","ApiVersion":"1.43"}`, "", ""},
		{`{"etcdserver":"3.4.23"}`, "", ""},
		{`not json`, "", ""},
	}
	for _, tt := range tests {
		name, _, v, ok := parseVersionJSON([]byte(tt.body))
		if name != tt.name || v != tt.version || ok != (tt.name != "") {
			t.Errorf("%s: got %q %q %v", tt.body, name, v, ok)
		}
	}
}

func TestApplyAPIFromRoot(t *testing.T) {
	tests := []struct {
		name, in, want, product, version string
	}{
		{"influxdb", "HTTP/1.1 404 Not Found\r\nX-Influxdb-Build: OSS\r\nX-Influxdb-Version: 1.6.7~rc0\r\n\r\n", "influxdb", "InfluxDB", "1.6.7"},
		{"cups", "HTTP/1.1 200 OK\r\nServer: CUPS/2.4 IPP/2.1\r\n\r\n<html>", "ipp", "CUPS", "2.4"},
		{"registry", "HTTP/1.1 401 Unauthorized\r\nDocker-Distribution-Api-Version: registry/2.0\r\nWww-Authenticate: Basic realm=\"r\"\r\n\r\n", "docker-registry", "Docker Registry", ""},
		{"k8s forbidden", "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n\r\n" + `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"Forbidden","code":403}`, "kubernetes", "Kubernetes", ""},
		{"k8s paths", "HTTP/1.1 200 OK\r\n\r\n" + `{"paths":["/api","/api/v1","/apis","/healthz","/version"]}`, "kubernetes", "Kubernetes", ""},
		{"rabbitmq", "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<html><head><title>RabbitMQ Management</title>", "rabbitmq", "RabbitMQ", ""},
		{"couchdb body", "HTTP/1.1 200 OK\r\n\r\n" + `{"couchdb":"Welcome","version":"3.3.3","vendor":{"name":"The Apache Software Foundation"}}`, "couchdb", "CouchDB", "3.3.3"},
		{"couchdb header", "HTTP/1.1 401 Unauthorized\r\nServer: CouchDB/3.3.3 (Erlang OTP/25)\r\n\r\n{}", "couchdb", "CouchDB", "3.3.3"},
		{"nginx", "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n{\"paths\":[\"/api\"]}", "", "", ""},
	}
	for _, tt := range tests {
		r, err := httpmsg.Parse([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		s := newService()
		ok := applyAPIFromRoot(r, &s)
		if ok != (tt.want != "") || (ok && (s.Name != tt.want || s.Product != tt.product || s.Version != tt.version)) {
			t.Errorf("%s: got %v %q %q %q", tt.name, ok, s.Name, s.Product, s.Version)
		}
	}
}

func TestParsePromMetrics(t *testing.T) {
	node := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 8\n" +
		"# HELP node_exporter_build_info A metric.\n# TYPE node_exporter_build_info gauge\n" +
		`node_exporter_build_info{branch="debian/sid",goarch="amd64",goversion="go1.19.8",revision="1.5.0-1+b6",version="1.5.0"} 1` + "\n"
	m, ok := parsePromMetrics([]byte(node))
	if !ok || m.families != 2 || m.program != "node_exporter" || m.version != "1.5.0" || m.kubelet {
		t.Errorf("node_exporter: %+v %v", m, ok)
	}
	kubelet := "# TYPE kubelet_running_pods gauge\nkubelet_running_pods 3\n"
	if m, ok := parsePromMetrics([]byte(kubelet)); !ok || !m.kubelet {
		t.Errorf("kubelet: %+v %v", m, ok)
	}
	for _, bad := range []string{"", "<html>", "# TYPE x gauge\n", "hello world\n"} {
		if _, ok := parsePromMetrics([]byte(bad)); ok {
			t.Errorf("%q taken for metrics", bad)
		}
	}
}

func TestParsePJLAndRTSP(t *testing.T) {
	model, err := parsePJLInfoID([]byte("@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\f"))
	if err != nil || model != "HP LaserJet 4250" {
		t.Errorf("PJL: %q %v", model, err)
	}
	if _, err := parsePJLInfoID([]byte("HTTP/1.1 400 Bad Request\r\n")); err == nil {
		t.Error("HTTP taken for PJL")
	}
	r, err := parseRTSP([]byte("RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\nServer: GStreamer RTSP server\r\n\r\n"))
	if err != nil || r.Status != 200 || !strings.HasPrefix(r.StatusLine, "RTSP/1.0") || r.Get("public") == "" {
		t.Errorf("RTSP: %+v %v", r, err)
	}
	if _, err := parseRTSP([]byte("HTTP/1.1 200 OK\r\n\r\n")); err == nil {
		t.Error("HTTP taken for RTSP")
	}
}

// apiPages are an API's answers by path, for httpHandler.
type apiPages map[string][]byte

func TestProbeHTTPRecognisesAPIs(t *testing.T) {
	notFound := httpMessage("404 Not Found", "Content-Type: text/plain; charset=utf-8\r\n", "404 page not found\n")
	tests := []struct {
		name          string
		pages         apiPages
		want, product string
		version       string
	}{
		{"etcd", apiPages{"/": notFound, "/version": httpMessage("200 OK", "Content-Type: application/json\r\n", `{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`)}, "etcd", "etcd", "3.4.23"},
		{"kubernetes", apiPages{
			"/":        httpMessage("403 Forbidden", "Content-Type: application/json\r\n", `{"kind":"Status","apiVersion":"v1","status":"Failure","code":403}`),
			"/version": httpMessage("200 OK", "Content-Type: application/json\r\n", `{"major":"1","minor":"28","gitVersion":"v1.28.2"}`)}, "kubernetes", "Kubernetes", "1.28.2"},
		{"registry", apiPages{"/": httpMessage("200 OK", "Cache-Control: no-cache\r\n", ""),
			"/v2/": httpMessage("200 OK", "Docker-Distribution-Api-Version: registry/2.0\r\nContent-Type: application/json\r\n", "{}")}, "docker-registry", "Docker Registry", ""},
		{"kubelet", apiPages{"/": notFound, "/pods": httpMessage("200 OK", "Content-Type: application/json\r\n", `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`)}, "kubelet", "kubelet", ""},
		{"node_exporter", apiPages{"/": httpMessage("200 OK", "Content-Type: text/html\r\n", "<html><head><title>Node Exporter</title></head></html>"),
			"/metrics": httpMessage("200 OK", "Content-Type: text/plain; version=0.0.4\r\n", "# TYPE node_exporter_build_info gauge\nnode_exporter_build_info{version=\"1.5.0\"} 1\n")}, "prometheus", "node_exporter", "1.5.0"},
		{"prometheus", apiPages{"/": httpMessage("302 Found", "Location: /graph\r\n", ""),
			"/metrics":                 httpMessage("200 OK", "Content-Type: text/plain; version=0.0.4\r\n", "# TYPE prometheus_build_info gauge\nprometheus_build_info{version=\"2.42.0\"} 1\n"),
			"/api/v1/status/buildinfo": httpMessage("200 OK", "Content-Type: application/json\r\n", `{"status":"success","data":{"version":"2.42.0"}}`)}, "prometheus", "Prometheus", "2.42.0"},
		{"grafana exports metrics too", apiPages{"/": httpMessage("302 Found", "Location: /login\r\n", ""),
			"/metrics": httpMessage("200 OK", "Content-Type: text/plain; version=0.0.4\r\n", "# TYPE grafana_build_info gauge\ngrafana_build_info{version=\"10.2.3\"} 1\n")}, "http", "", ""},
		{"blackbox exporter", apiPages{"/": notFound,
			"/metrics": httpMessage("200 OK", "Content-Type: text/plain; version=0.0.4\r\n", "# TYPE blackbox_exporter_build_info gauge\nblackbox_exporter_build_info{version=\"0.23.0\"} 1\n")}, "prometheus", "blackbox_exporter", "0.23.0"},
		{"plain go server", apiPages{"/": notFound}, "http", "", ""},
		{"website", apiPages{"/": httpMessage("200 OK", "Server: nginx/1.22.1\r\n", "<title>Clinic</title>")}, "http", "nginx", "1.22.1"},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serveTCP(t, httpHandler(tt.pages, nil))
			s := TCP(t.Context(), d, srv.addr, Options{})
			if s.Name != tt.want || s.Product != tt.product || s.Version != tt.version {
				t.Errorf("got %q %q %q", s.Name, s.Product, s.Version)
			}
			assertPrintable(t, s)
		})
	}
}

func TestProbeNATSRTSPJetDirect(t *testing.T) {
	d := newDialer(t)
	nats := serveTCP(t, bannerThen(natsINFO, nil))
	if s := TCP(t.Context(), d, nats.addr, Options{}); s.Name != "nats" || s.Version != "2.9.10" {
		t.Errorf("nats: %+v", s)
	}
	rtsp := serveTCP(t, onFirstRead("OPTIONS ", "RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\nServer: LabCam/1.2\r\n\r\n"))
	if s := TCP(t.Context(), d, rtsp.addr, Options{}); s.Name != "rtsp" || s.Product != "LabCam" || s.Version != "1.2" || s.Detail("rtsp.public") == "" {
		t.Errorf("rtsp: %+v", s)
	}
	pjl := serveTCP(t, onFirstRead("\x1b%-12345X@PJL INFO ID", "@PJL INFO ID\r\n\"Lab LaserJet 9000\"\r\n\f"))
	if s := TCP(t.Context(), d, pjl.addr, Options{}); s.Name != "jetdirect" || s.Product != "Lab LaserJet 9000" {
		t.Errorf("jetdirect: %+v", s)
	}
}

// onFirstRead answers reply when the client's first bytes start with
// prefix, and hangs up on anything else (another probe).
func onFirstRead(prefix, reply string) func(context.Context, net.Conn) {
	return func(_ context.Context, c net.Conn) {
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil || !strings.HasPrefix(string(buf[:n]), prefix) {
			return
		}
		_, _ = io.WriteString(c, reply)
		drain(c)
	}
}

func FuzzParseAPIAnswers(f *testing.F) {
	f.Add([]byte(natsINFO))
	f.Add([]byte(`{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}`))
	f.Add([]byte(`{"kind":"Status","apiVersion":"v1","paths":["/api","/version"]}`))
	f.Add([]byte("# TYPE a gauge\na_build_info{version=\"1\"} 1\n"))
	f.Add([]byte("@PJL INFO ID\r\n\"\x1b[31mX\"\r\n\f"))
	f.Add([]byte("RTSP/1.0 200 OK\r\nServer: \x1b]0;x\a\r\n\r\n"))
	f.Add(ippAnswer("\x1b[2JPrinter"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newService()
		if _, err := matchNATS(b, &s); err == nil {
			assertPrintable(t, s)
		}
		parseVersionJSON(b)
		isKubernetesRoot(b)
		parsePromMetrics(b)
		if r, err := parseIPP(b); err == nil && len(r.attrs) > maxIPPAttrs {
			t.Fatalf("%d attributes kept", len(r.attrs))
		}
		if m, err := parsePJLInfoID(b); err == nil {
			_ = clean(m, 64)
		}
		if _, err := parseRTSP(b); err != nil && !strings.Contains(err.Error(), "rtsp") {
			t.Fatalf("error does not name the probe: %v", err)
		}
		if r, err := httpmsg.Parse(b); err == nil {
			s := newService()
			if applyAPIFromRoot(r, &s) {
				assertPrintable(t, s)
			}
			isKubeletPods(r)
			parseCouchDB(r)
		}
	})
}

// ippAnswer is an IPP response: successful-ok with printer-make-and-model.
func ippAnswer(model string) []byte {
	b := []byte{2, 0, 0, 0, 0, 0, 0, 1, ippTagOperation}
	b = ippAppend(b, ippCharset, "attributes-charset", "utf-8")
	b = ippAppend(b, ippNaturalLang, "attributes-natural-language", "en")
	b = append(b, 0x04) // printer-attributes-tag
	b = ippAppend(b, ippTextNoLang, "printer-make-and-model", model)
	return append(b, ippTagEnd)
}

func TestParseIPP(t *testing.T) {
	r, err := parseIPP(ippAnswer("Lab OfficeJet 8000"))
	if err != nil || r.version != "2.0" || r.status != 0 || r.attrs["printer-make-and-model"] != "Lab OfficeJet 8000" || r.attrs["attributes-charset"] != "utf-8" {
		t.Errorf("got %+v, %v", r, err)
	}
	req, err := parseIPP(ippGetPrinterAttributes("ipp://127.0.0.1:631/ipp/print"))
	if err != nil || req.attrs["printer-uri"] != "ipp://127.0.0.1:631/ipp/print" || req.attrs["requested-attributes"] != "printer-make-and-model" {
		t.Errorf("request: %+v, %v", req, err)
	}
	for _, bad := range [][]byte{nil, []byte("HTTP/1.1 200 OK\r\n"), {2, 0, 0, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 0, 0, 1, 0x41}, {2, 0, 0, 0, 0, 0, 0, 1, 1, 0x41, 0, 200}} {
		if _, err := parseIPP(bad); err == nil {
			t.Errorf("%q parsed as IPP", bad)
		}
	}
}

func TestProbeHTTPRecognisesIPPPrinter(t *testing.T) {
	ipp := ippAnswer("Lab OfficeJet 8000")
	srv := serveTCP(t, httpHandler(map[string][]byte{
		"/":          httpMessage("200 OK", "Server: PrinterOS IPP/2.0\r\nContent-Type: text/html\r\n", "<title>Printer</title>"),
		"/ipp/print": httpMessage("200 OK", "Content-Type: application/ipp\r\n", string(ipp)),
	}, nil))
	s := TCP(t.Context(), newDialer(t), srv.addr, Options{})
	if s.Name != "ipp" || s.Product != "Lab OfficeJet 8000" || s.Detail("ipp.status") != "0x0000" {
		t.Errorf("got %+v", s)
	}
	plain := serveTCP(t, httpHandler(map[string][]byte{"/": httpMessage("200 OK", "Server: PrinterOS IPP/2.0\r\n", "<title>Printer</title>")}, nil))
	if s := TCP(t.Context(), newDialer(t), plain.addr, Options{}); s.Name != "http" {
		t.Errorf("no IPP answer, yet %q", s.Name)
	}
}
