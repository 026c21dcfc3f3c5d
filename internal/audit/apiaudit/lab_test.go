package apiaudit

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/identify"
	"github.com/vigilsec/vigil/lab"
)

// labWant is what the weak twins of the apis part plant: for each check,
// the strings its evidence must hold. untrusted says the check fires only
// for scans from an untrusted network.
var labWant = map[string]map[string][]string{
	"nats-weak": {
		"auth.none.nats": {"auth_required false", "PING after a CONNECT without credentials was answered without credentials: PONG"},
		"cleartext.nats": {"tls_required false"},
	},
	"etcd-weak":        {"auth.none.etcd": {"POST /v3/kv/range over the whole key space (count_only)", "counted"}},
	"registry-weak":    {"auth.none.docker-registry": {"GET /v2/_catalog", "listed"}},
	"influx-weak":      {"auth.none.influxdb": {"SHOW DATABASES", "listed"}},
	"k8s-weak-api":     {"auth.none.kubernetes": {"listed 4 namespaces", "listed 1 node"}},
	"k8s-weak-kubelet": {"auth.none.kubelet": {"listed 2 pods", "GET /metrics"}},
	"couchdb-weak":     {"auth.none.couchdb": {"GET /_all_dbs", "listed 3 databases (1 not system databases)"}},
	"rabbitmq-weak":    {"auth.default.rabbitmq": {"accepted guest/guest"}},
	"node-exporter":    {"prometheus.metrics.public": {"GET /metrics without credentials", "metric families"}},
	"cups":             {"exposure.printer": {"IPP (CUPS"}},
	"printer-pjl":      {"exposure.printer": {"JetDirect", "LaserJet"}},
	"camera":           {"exposure.camera": {"RTSP (vigil-lab-camera 1.0)"}},
}

// untrustedOnly are the checks that fire only with --untrusted.
var untrustedOnly = []string{"prometheus.metrics.public", "exposure.printer", "exposure.camera"}

// TestLabAPIs identifies, audits and judges the apis part's services, as
// a scan with and without --untrusted would: the weak twins' planted
// weaknesses are found with their evidence, and the hard twins, judged as
// from a trusted network, give nothing at high or above.
func TestLabAPIs(t *testing.T) {
	m := lab.Require(t)
	if m.Find("nats-weak").ID == "" {
		t.Skip("the lab has no apis part")
	}
	d := newDialer(t)
	for _, svc := range m.Services {
		if _, ok := labWant[svc.ID]; !ok && svc.Twin != "hard" {
			continue
		}
		if !slices.Contains(apisIDs, svc.ID) {
			continue
		}
		t.Run(svc.ID, func(t *testing.T) {
			t.Parallel()
			s := identify.TCP(t.Context(), d, svc.AddrPort(), identify.Options{})
			if s.Name != svc.Name {
				t.Fatalf("identified as %q, manifest says %q", s.Name, svc.Name)
			}
			a, err := Audit(t.Context(), d, svc.AddrPort(), &s, Options{})
			if err != nil {
				t.Fatalf("audit: %v", err)
			}
			s.API = a
			for _, untrusted := range []bool{false, true} {
				fs := check.JudgeScan([]facts.Host{{Address: svc.Host, Services: []facts.Service{s}}}, check.Scope{Untrusted: untrusted})
				got := map[string]finding.Finding{}
				for _, f := range fs {
					got[f.Check] = f
					t.Logf("untrusted=%v %s %s: %s", untrusted, f.Severity, f.Check, f.Evidence)
				}
				if svc.Twin == "hard" {
					if untrusted {
						// From an untrusted network any reachable service is
						// exposed (exposure.*): hardening is judged from a
						// trusted one.
						continue
					}
					// The audit must have seen the refusal, or the silence
					// proves nothing.
					if Applies(&s) && (a == nil || len(a.Refused) == 0 && (a.AuthRequired == nil || !*a.AuthRequired)) {
						t.Errorf("hard twin: no refusal seen: %+v", a)
					}
					for _, f := range fs {
						if f.Severity >= finding.High {
							t.Errorf("hard twin: %s %s: %s", f.Severity, f.Check, f.Evidence)
						}
					}
					continue
				}
				for id, ev := range labWant[svc.ID] {
					f, ok := got[id]
					if !untrusted && slices.Contains(untrustedOnly, id) {
						if ok {
							t.Errorf("%s fired without --untrusted", id)
						}
						continue
					}
					if !ok {
						t.Errorf("untrusted=%v: no %s finding", untrusted, id)
						continue
					}
					for _, e := range ev {
						if !strings.Contains(f.Evidence, e) {
							t.Errorf("%s evidence %q lacks %q", id, f.Evidence, e)
						}
					}
				}
			}
		})
	}
}

// apisIDs are the services of the apis part (lab/parts/apis.sh).
var apisIDs = []string{"nats-weak", "nats-hard", "etcd-weak", "etcd-hard", "registry-weak", "registry-hard",
	"influx-weak", "influx-hard", "node-exporter", "cups", "p910nd", "k8s-weak-api", "k8s-weak-kubelet",
	"k8s-hard-api", "k8s-hard-kubelet", "couchdb-weak", "rabbitmq-weak", "couchdb-hard", "camera", "printer-pjl"}

// TestLabNoDefaultCreds: with default credentials off, guest/guest is
// never sent and auth.default.rabbitmq cannot fire.
func TestLabNoDefaultCreds(t *testing.T) {
	m := lab.Require(t)
	svc := m.Find("rabbitmq-weak")
	if svc.ID == "" {
		t.Skip("the lab has no apis part")
	}
	d := newDialer(t)
	s := identify.TCP(t.Context(), d, svc.AddrPort(), identify.Options{NoDefaultCreds: true})
	a, err := Audit(t.Context(), d, svc.AddrPort(), &s, Options{NoDefaultCreds: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.DefaultLoginTried || a.DefaultLogin != "" || len(a.Refused) != 1 {
		t.Errorf("got %+v", a)
	}
	s.API = a
	for _, f := range check.JudgeScan([]facts.Host{{Address: svc.Host, Services: []facts.Service{s}}}, check.Scope{}) {
		if f.Check == "auth.default.rabbitmq" {
			t.Errorf("fired: %s", f.Evidence)
		}
	}
}
