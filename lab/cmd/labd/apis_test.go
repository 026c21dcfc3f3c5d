package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// get sends GET path to h, with Basic credentials when user is not "".
func get(t *testing.T, h http.Handler, path, user, pass string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

func TestHTTPEmulators(t *testing.T) {
	tests := []struct {
		name       string
		h          http.Handler
		path, user string
		code       int
		body       string
	}{
		{"k8s open namespaces", k8sAPI(true), "/api/v1/namespaces", "", 200, `"kind":"NamespaceList"`},
		{"k8s open root", k8sAPI(true), "/", "", 200, `"/api"`},
		{"k8s secure namespaces", k8sAPI(false), "/api/v1/namespaces", "", 403, `"reason":"Forbidden"`},
		{"k8s secure version", k8sAPI(false), "/version", "", 200, `"gitVersion":"v1.28.2"`},
		{"kubelet open pods", kubelet(true), "/pods", "", 200, `"kind":"PodList"`},
		{"kubelet open metrics", kubelet(true), "/metrics", "", 200, "# TYPE kubelet_running_pods gauge"},
		{"kubelet secure pods", kubelet(false), "/pods", "", 401, "Unauthorized"},
		{"couchdb party", couchDB(true), "/_all_dbs", "", 200, `"clinic"`},
		{"couchdb welcome", couchDB(true), "/", "", 200, `"couchdb":"Welcome"`},
		{"couchdb secure", couchDB(false), "/_all_dbs", "", 401, "unauthorized"},
		{"rabbitmq page", rabbitMgmt(), "/", "", 200, "<title>RabbitMQ Management</title>"},
		{"rabbitmq anonymous", rabbitMgmt(), "/api/overview", "", 401, "not_authorized"},
		{"rabbitmq guest", rabbitMgmt(), "/api/overview", "guest", 200, `"rabbitmq_version":"3.10.8"`},
	}
	for _, tt := range tests {
		code, body := get(t, tt.h, tt.path, tt.user, tt.user)
		if code != tt.code || !strings.Contains(body, tt.body) {
			t.Errorf("%s: %d %q, want %d and %q", tt.name, code, body, tt.code, tt.body)
		}
	}
	if code, _ := get(t, rabbitMgmt(), "/api/overview", "guest", "wrong"); code != 401 {
		t.Errorf("a wrong password gave %d", code)
	}
}

func TestRTSPCamera(t *testing.T) {
	addr := startServer(t, rtspCamera)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for _, tt := range []struct{ req, want string }{
		{"OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n", "RTSP/1.0 200 OK\r\nCSeq: 7\r\nPublic: OPTIONS, DESCRIBE"},
		{"DESCRIBE rtsp://cam/stream RTSP/1.0\r\nCSeq: 8\r\n\r\n", "RTSP/1.0 401 Unauthorized\r\nCSeq: 8\r\n"},
	} {
		if _, err := io.WriteString(c, tt.req); err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("%q: %v after %q", tt.req, err, got.String())
			}
			got.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		if !strings.HasPrefix(got.String(), tt.want) {
			t.Errorf("%q answered %q", tt.req, got.String())
		}
	}
}

func TestPJLPrinter(t *testing.T) {
	addr := startServer(t, pjlPrinter)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "some job text\x1b%-12345X@PJL INFO ID\r\n\x1b%-12345X"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\f')
	if err != nil || got != "@PJL INFO ID\r\n\"vigil lab LaserJet 4250\"\r\n\f" {
		t.Errorf("got %q, %v", got, err)
	}
}
