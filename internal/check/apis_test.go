package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

// apiSvc builds a service with API facts (nil a: none learnt).
func apiSvc(name, product, version string, port int, a *facts.APIAccess) facts.Service {
	return facts.Service{Port: port, Transport: facts.TCP, Name: name, Product: product, Version: version, API: a}
}

func apiOpen(reqs ...string) []facts.APIRequest {
	var out []facts.APIRequest
	for i := 0; i+1 < len(reqs); i += 2 {
		out = append(out, facts.APIRequest{Request: reqs[i], Status: 200, Revealed: reqs[i+1]})
	}
	return out
}

func TestJudgeAPIs(t *testing.T) {
	refused := []facts.APIRequest{{Request: "GET /x", Status: 401}}
	tests := []struct {
		name      string
		s         facts.Service
		untrusted bool
		want      []hitWant
	}{
		{"nats open cleartext", apiSvc("nats", "NATS Server", "2.9.10", 4222, &facts.APIAccess{AuthRequired: no(), TLSRequired: no(), TLSAvailable: no(),
			Open: []facts.APIRequest{{Request: "PING after a CONNECT without credentials", Revealed: "PONG"}}}), false,
			[]hitWant{
				{check: "auth.none.nats", evidence: []string{"NATS (NATS Server 2.9.10) on tcp/4222", "auth_required false", "PING after a CONNECT without credentials was answered without credentials: PONG"}, fix: []string{"authorization", "token", "nats-server --signal reload"}},
				{check: "cleartext.nats", evidence: []string{"tls_required false"}, fix: []string{"tls {", "cert_file", "allow_non_tls"}},
			}},
		{"nats tls available but optional", apiSvc("nats", "NATS Server", "2.9.10", 4222, &facts.APIAccess{AuthRequired: yes(), TLSRequired: no(), TLSAvailable: yes(), Refused: refused}), false,
			[]hitWant{{check: "cleartext.nats", evidence: []string{"tls_available true"}}}},
		{"nats says open but refuses", apiSvc("nats", "NATS Server", "2.10.1", 4222, &facts.APIAccess{AuthRequired: no(), TLSRequired: yes(),
			Refused: []facts.APIRequest{{Request: "PING after a CONNECT without credentials"}}}), false, nil},
		{"nats says open, TLS first", apiSvc("nats", "NATS Server", "2.10.1", 4222, &facts.APIAccess{AuthRequired: no(), TLSRequired: yes()}), false,
			[]hitWant{{check: "auth.none.nats", evidence: []string{"auth_required false"}}}},
		{"nats hard", apiSvc("nats", "NATS Server", "2.9.10", 4223, &facts.APIAccess{AuthRequired: yes(), TLSRequired: yes()}), false, nil},
		{"nats inside TLS", func() facts.Service {
			s := apiSvc("nats", "NATS Server", "", 4443, &facts.APIAccess{AuthRequired: yes(), TLSRequired: no()})
			s.TLS = true
			return s
		}(), false, nil},
		{"kubernetes", apiSvc("kubernetes", "Kubernetes", "1.28.2", 6443, &facts.APIAccess{Open: apiOpen("GET /api/v1/namespaces", "listed 4 namespaces")}), false,
			[]hitWant{{check: "auth.none.kubernetes", evidence: []string{"the Kubernetes API (Kubernetes 1.28.2) on tcp/6443", "GET /api/v1/namespaces was answered without credentials: listed 4 namespaces"}, fix: []string{"--anonymous-auth=false", "system:(anonymous"}}}},
		{"kubernetes refused", apiSvc("kubernetes", "Kubernetes", "1.28.2", 6443, &facts.APIAccess{Refused: refused}), false, nil},
		{"kubelet", apiSvc("kubelet", "kubelet", "", 10250, &facts.APIAccess{Open: apiOpen("GET /pods", "listed 2 pods", "GET /metrics", "40 metric families")}), false,
			[]hitWant{{check: "auth.none.kubelet", evidence: []string{"listed 2 pods", "40 metric families"}, fix: []string{"anonymous: enabled: false", "readOnlyPort: 0", "Webhook"}}}},
		{"etcd", apiSvc("etcd", "etcd", "3.4.23", 2379, &facts.APIAccess{Open: apiOpen("POST /v3/kv/range over the whole key space (count_only)", "counted 3 keys")}), false,
			[]hitWant{{check: "auth.none.etcd", evidence: []string{"etcd (etcd 3.4.23) on tcp/2379", "counted 3 keys"}, fix: []string{"--client-cert-auth=true", "etcdctl auth enable", "/etc/default/etcd"}}}},
		{"etcd hard", apiSvc("etcd", "etcd", "3.4.23", 2379, &facts.APIAccess{Refused: refused}), false, nil},
		{"registry", apiSvc("docker-registry", "Docker Registry", "", 5000, &facts.APIAccess{Open: apiOpen("GET /v2/_catalog", "listed 2 repositories")}), false,
			[]hitWant{{check: "auth.none.docker-registry", evidence: []string{"a Docker registry", "listed 2 repositories"}, fix: []string{"htpasswd -Bc", "config.yml", "systemctl restart docker-registry"}}}},
		{"couchdb", apiSvc("couchdb", "CouchDB", "3.3.3", 5984, &facts.APIAccess{Open: apiOpen("GET /_all_dbs", "listed 3 databases")}), false,
			[]hitWant{{check: "auth.none.couchdb", fix: []string{"[admins]", "require_valid_user"}}}},
		{"influxdb 1", apiSvc("influxdb", "InfluxDB", "1.6.7", 8086, &facts.APIAccess{Open: apiOpen("GET /query?q=SHOW DATABASES", "listed 1 database")}), false,
			[]hitWant{{check: "auth.none.influxdb", fix: []string{"auth-enabled = true", "CREATE USER admin"}}}},
		{"influxdb 2", apiSvc("influxdb", "InfluxDB", "2.7.1", 8086, &facts.APIAccess{Open: apiOpen("GET /query?q=SHOW DATABASES", "listed 1 database")}), false,
			[]hitWant{{check: "auth.none.influxdb", fix: []string{"InfluxDB 2 requires tokens"}}}},
		{"rabbitmq guest", apiSvc("rabbitmq", "RabbitMQ", "3.12.1", 15672, &facts.APIAccess{Refused: refused, DefaultLoginTried: true, DefaultLogin: "guest/guest"}), false,
			[]hitWant{{check: "auth.default.rabbitmq", evidence: []string{"accepted guest/guest"}, fix: []string{"rabbitmqctl delete_user guest", "loopback_users"}}}},
		{"rabbitmq guest refused", apiSvc("rabbitmq", "RabbitMQ", "", 15672, &facts.APIAccess{Refused: refused, DefaultLoginTried: true}), false, nil},
		{"prometheus trusted", apiSvc("prometheus", "node_exporter", "1.5.0", 9100, &facts.APIAccess{Open: apiOpen("GET /metrics", "900 metric families")}), false, nil},
		{"prometheus untrusted", apiSvc("prometheus", "node_exporter", "1.5.0", 9100, &facts.APIAccess{Open: apiOpen("GET /metrics", "900 metric families")}), true,
			[]hitWant{{check: "prometheus.metrics.public", evidence: []string{"node_exporter 1.5.0", "900 metric families", "--untrusted"}, fix: []string{"--web.config.file", "/etc/default/prometheus-node-exporter", "basic_auth_users"}}}},
		{"prometheus untrusted locked", apiSvc("prometheus", "Prometheus", "2.42.0", 9090, &facts.APIAccess{Refused: refused}), true, nil},
		{"cups untrusted", apiSvc("ipp", "CUPS", "2.4", 631, nil), true,
			[]hitWant{{check: "exposure.printer", evidence: []string{"IPP (CUPS 2.4) on tcp/631"}, fix: []string{"/etc/cups/cupsd.conf", "Listen localhost:631", "nft add rule"}}}},
		{"jetdirect untrusted", apiSvc("jetdirect", "Lab LaserJet", "", 9100, nil), true,
			[]hitWant{{check: "exposure.printer", fix: []string{"tcp/9100", "VLAN"}}}},
		{"camera untrusted", apiSvc("rtsp", "LabCam", "1.2", 554, nil), true,
			[]hitWant{{check: "exposure.camera", evidence: []string{"RTSP (LabCam 1.2) on tcp/554"}, fix: []string{"tcp/554"}}}},
		{"camera trusted", apiSvc("rtsp", "LabCam", "1.2", 554, nil), false, nil},
		// Facts absent: nothing fires.
		{"no api facts", apiSvc("etcd", "etcd", "3.4.23", 2379, nil), true, nil},
		{"nats no facts", apiSvc("nats", "NATS Server", "", 4222, nil), false, nil},
		{"other protocol", apiSvc("http", "nginx", "", 80, &facts.APIAccess{AuthRequired: no(), Open: apiOpen("GET /", "x")}), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			hits := judgeAPIs(Input{Service: &s, Untrusted: tt.untrusted})
			if len(hits) != len(tt.want) {
				var got []string
				for _, h := range hits {
					got = append(got, h.Check+": "+h.Evidence)
				}
				t.Fatalf("got %d hits %q, want %d", len(hits), got, len(tt.want))
			}
			for _, w := range tt.want {
				i := slices.IndexFunc(hits, func(h Hit) bool { return h.Check == w.check })
				if i < 0 {
					t.Errorf("no %s hit", w.check)
					continue
				}
				h := hits[i]
				f := MakeFinding(h, "127.0.2.85", s.Port, s.Transport) // panics on an unknown check
				c, _ := Lookup(w.check)
				if f.Severity != c.Severity {
					t.Errorf("%s severity %s, want %s", w.check, f.Severity, c.Severity)
				}
				for _, e := range w.evidence {
					if !strings.Contains(h.Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", w.check, h.Evidence, e)
					}
				}
				if !strings.HasSuffix(strings.TrimSpace(h.Fix), ".") {
					t.Errorf("%s fix %q is not a sentence", w.check, h.Fix)
				}
				for _, x := range w.fix {
					if !strings.Contains(h.Fix, x) {
						t.Errorf("%s fix %q lacks %q", w.check, h.Fix, x)
					}
				}
			}
		})
	}
}

// TestAPIFixesComplete: every check of apisChecks has a fix from apiFix.
func TestAPIFixesComplete(t *testing.T) {
	for _, c := range apisChecks {
		s := &facts.Service{Name: "x", Port: 1, Transport: facts.TCP}
		if f := apiFix(c.ID, s); f == "" {
			t.Errorf("no fix for %s", c.ID)
		}
	}
}
