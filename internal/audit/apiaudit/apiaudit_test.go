package apiaudit

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

func newDialer(t testing.TB) *dialer.Dialer {
	t.Helper()
	d, err := dialer.New(dialer.Config{Concurrency: 16, Timeout: 2 * time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// serveHTTP runs h on loopback and returns its address.
func serveHTTP(t *testing.T, h http.HandlerFunc) netip.AddrPort {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "http://"))
}

// pages answers each path (with its query) from m, 404 otherwise; a value
// starting with a three-digit status and a space sets that status.
func pages(m map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, ok := m[r.Method+" "+r.URL.RequestURI()]
		if !ok {
			body, ok = m[r.URL.RequestURI()]
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		code := 200
		if len(body) > 4 && body[3] == ' ' && body[0] >= '1' && body[0] <= '5' {
			code = int(body[0]-'0')*100 + int(body[1]-'0')*10 + int(body[2]-'0')
			body = body[4:]
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

func requests(list []facts.APIRequest) string {
	var out []string
	for _, r := range list {
		out = append(out, r.Request+" => "+r.Revealed)
	}
	return strings.Join(out, "; ")
}

func TestAuditHTTPAPIs(t *testing.T) {
	guestOnly := func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "guest" || p != "guest" {
			w.WriteHeader(401)
			return
		}
		_, _ = io.WriteString(w, `{"rabbitmq_version":"3.12.1","cluster_name":"lab"}`)
	}
	tests := []struct {
		name      string
		service   string
		handler   http.HandlerFunc
		noDefault bool
		open      []string // substrings of the Open list, in order
		refused   int
		defLogin  string
		tried     bool
	}{
		{"kubernetes open", "kubernetes", pages(map[string]string{
			"/api/v1/namespaces": `{"kind":"NamespaceList","apiVersion":"v1","items":[{},{},{},{}]}`,
			"/api/v1/nodes":      `{"kind":"NodeList","apiVersion":"v1","items":[{}]}`}), false,
			[]string{"GET /api/v1/namespaces => listed 4 namespaces", "GET /api/v1/nodes => listed 1 node"}, 0, "", false},
		{"kubernetes anonymous forbidden", "kubernetes", pages(map[string]string{
			"/api/v1/namespaces": `403 {"kind":"Status","code":403}`, "/api/v1/nodes": `403 {"kind":"Status","code":403}`}), false, nil, 2, "", false},
		{"kubelet open", "kubelet", pages(map[string]string{
			"/pods":    `{"kind":"PodList","items":[{},{}]}`,
			"/metrics": "# TYPE kubelet_running_pods gauge\nkubelet_running_pods 2\n"}), false,
			[]string{"GET /pods => listed 2 pods", "GET /metrics => 1 metric family"}, 0, "", false},
		{"kubelet locked", "kubelet", pages(map[string]string{"/pods": "401 Unauthorized", "/metrics": "401 Unauthorized"}), false, nil, 2, "", false},
		{"etcd open", "etcd", pages(map[string]string{"POST /v3/kv/range": `{"header":{"cluster_id":"1","revision":"4"},"count":"3"}`}), false,
			[]string{"count_only) => counted 3 keys"}, 0, "", false},
		{"etcd empty", "etcd", pages(map[string]string{"POST /v3/kv/range": `{"header":{"cluster_id":"1"}}`}), false,
			[]string{"counted 0 keys"}, 0, "", false},
		{"etcd auth", "etcd", pages(map[string]string{"POST /v3/kv/range": `500 {"error":"etcdserver: user name is empty","code":2}`}), false, nil, 1, "", false},
		{"registry open", "docker-registry", pages(map[string]string{"/v2/_catalog?n=100": `{"repositories":["clinic/app","clinic/db"]}`}), false,
			[]string{"listed 2 repositories"}, 0, "", false},
		{"registry auth", "docker-registry", pages(map[string]string{"/v2/_catalog?n=100": `401 {"errors":[{"code":"UNAUTHORIZED"}]}`}), false, nil, 1, "", false},
		{"couchdb party", "couchdb", pages(map[string]string{"/_all_dbs": `["_replicator","_users","patients"]`}), false,
			[]string{"listed 3 databases (1 not system databases)"}, 0, "", false},
		{"couchdb auth", "couchdb", pages(map[string]string{"/_all_dbs": `401 {"error":"unauthorized"}`}), false, nil, 1, "", false},
		{"influxdb open", "influxdb", pages(map[string]string{"/query?q=SHOW%20DATABASES": `{"results":[{"statement_id":0,"series":[{"name":"databases","columns":["name"],"values":[["_internal"],["metrics"]]}]}]}`}), false,
			[]string{"listed 2 databases"}, 0, "", false},
		{"influxdb auth", "influxdb", pages(map[string]string{"/query?q=SHOW%20DATABASES": `401 {"error":"unable to parse authentication credentials"}`}), false, nil, 1, "", false},
		{"rabbitmq guest", "rabbitmq", guestOnly, false, nil, 1, "guest/guest", true},
		{"rabbitmq no default creds", "rabbitmq", guestOnly, true, nil, 1, "", false},
		{"prometheus open", "prometheus", pages(map[string]string{"/metrics": "# TYPE a gauge\na 1\n# TYPE b counter\nb 2\n"}), false,
			[]string{"2 metric families"}, 0, "", false},
		{"not found says nothing", "prometheus", pages(map[string]string{}), false, nil, 0, "", false},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveHTTP(t, tt.handler)
			s := &facts.Service{Port: int(addr.Port()), Transport: facts.TCP, Name: tt.service}
			a, err := Audit(t.Context(), d, addr, s, Options{NoDefaultCreds: tt.noDefault})
			if err != nil || a == nil {
				t.Fatalf("Audit: %v, %v", a, err)
			}
			got := requests(a.Open)
			if len(a.Open) != len(tt.open) {
				t.Fatalf("open = %q, want %q", got, tt.open)
			}
			for i, w := range tt.open {
				if !strings.Contains(got, w) || !strings.Contains(requests(a.Open[i:i+1]), w) {
					t.Errorf("open = %q, want %q at %d", got, w, i)
				}
			}
			if len(a.Refused) != tt.refused {
				t.Errorf("refused = %v, want %d", a.Refused, tt.refused)
			}
			if a.DefaultLogin != tt.defLogin || a.DefaultLoginTried != (tt.tried || tt.defLogin != "") {
				t.Errorf("default login = %q tried %v", a.DefaultLogin, a.DefaultLoginTried)
			}
		})
	}
}

// serveNATS runs a NATS-like server that sends info and answers CONNECT
// with PONG when open, or -ERR otherwise.
func serveNATS(t *testing.T, info string, open bool) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.WriteString(c, info)
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case strings.HasPrefix(line, "CONNECT") && !open:
						_, _ = io.WriteString(c, "-ERR 'Authorization Violation'\r\n")
						return
					case strings.HasPrefix(line, "PING"):
						_, _ = io.WriteString(c, "PONG\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

func TestAuditNATS(t *testing.T) {
	tests := []struct {
		name          string
		info          string
		open          bool
		auth, tlsReq  bool
		opened, refus int
	}{
		{"open", `INFO {"server_id":"A","version":"2.9.10","auth_required":false}` + "\r\n", true, false, false, 1, 0},
		{"token", `INFO {"server_id":"A","version":"2.9.10","auth_required":true}` + "\r\n", false, true, false, 0, 1},
		{"tls required", `INFO {"server_id":"A","version":"2.9.10","auth_required":true,"tls_required":true}` + "\r\n", false, true, true, 0, 0},
	}
	d := newDialer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveNATS(t, tt.info, tt.open)
			s := &facts.Service{Port: int(addr.Port()), Transport: facts.TCP, Name: "nats"}
			a, err := Audit(t.Context(), d, addr, s, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if *a.AuthRequired != tt.auth || *a.TLSRequired != tt.tlsReq || len(a.Open) != tt.opened || len(a.Refused) != tt.refus {
				t.Errorf("got auth %v tls %v open %v refused %v", *a.AuthRequired, *a.TLSRequired, a.Open, a.Refused)
			}
		})
	}
}

func TestAppliesAndGarbage(t *testing.T) {
	if Applies(&facts.Service{Name: "http", Transport: facts.TCP}) || !Applies(&facts.Service{Name: "etcd", Transport: facts.TCP}) {
		t.Error("Applies is wrong")
	}
	addr := serveNATS(t, "hello there\r\n", false)
	_, err := Audit(t.Context(), newDialer(t), addr, &facts.Service{Name: "nats", Transport: facts.TCP}, Options{})
	if err == nil || !strings.Contains(err.Error(), "INFO") {
		t.Errorf("garbage gave %v", err)
	}
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte(`INFO {"server_id":"A","auth_required":false}` + "\r\nPONG\r\n"))
	f.Add([]byte(`{"kind":"PodList","items":[{}]}`))
	f.Add([]byte(`{"header":{},"count":"18446744073709551617"}`))
	f.Add([]byte(`{"repositories":["a"]}`))
	f.Add([]byte(`["_users","x"]`))
	f.Add([]byte(`{"results":[{"series":[{"values":[["a"]]}]}]}`))
	f.Add([]byte(`{"rabbitmq_version":"\u001b[31m"}`))
	f.Add([]byte("# TYPE a gauge\na 1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseNATSInfo(b)
		natsAnswer(b)
		parseK8sList(b, "PodList")
		if n, ok := parseEtcdCount(b); ok && n < 0 {
			t.Fatalf("negative count %d", n)
		}
		parseCatalog(b)
		if all, user, ok := parseAllDBs(b); ok && user > all {
			t.Fatalf("user %d > all %d", user, all)
		}
		parseShowDatabases(b)
		if o, ok := parseRabbitOverview(b); ok {
			for _, c := range clean(o.Version, 32) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("control byte in %q", clean(o.Version, 32))
				}
			}
		}
		countMetricFamilies(b)
	})
}
