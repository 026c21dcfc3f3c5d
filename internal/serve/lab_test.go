package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/schedule"
	"github.com/vigilsec/vigil/internal/store"

	"github.com/vigilsec/vigil/lab"
)

// labEnv is a server that really scans (the CLI's configuration).
func labEnv(t *testing.T, opt Options) *testEnv {
	opt.ScanConfig = func(ctx context.Context, j store.Job) (engine.Config, func(), error) {
		cfg, err := BaseScanConfig(ctx, nil, j, false, "test")
		return cfg, func() {}, err
	}
	return newEnv(t, opt)
}

// waitJob polls a scan job through the API until it is final.
func (e *testEnv) waitJob(id string, within time.Duration) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, out := e.api("GET", "/api/v1/scans/"+id, e.tokens[auth.Viewer], "")
		if code != http.StatusOK {
			e.t.Fatalf("GET /api/v1/scans/%s: %d %v", id, code, out)
		}
		if store.JobFinal(out["status"].(string)) {
			return out
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job %s still %s after %v", id, out["status"], within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// comparable renders what a scan concluded, without what differs between
// two runs of the same scan: ids, times and the run, and the raw protocol
// details of each service, which hold per-run values (the proxy check's
// canary port, when a certificate was checked). Hosts keep what
// identification found; findings are kept whole.
func comparable(t *testing.T, doc *result.Document) string {
	t.Helper()
	d := *doc
	d.ID, d.Started, d.Finished, d.Run, d.Tool = "", time.Time{}, time.Time{}, nil, ""
	d.Hosts = nil
	for _, h := range doc.Hosts {
		h.Services = append([]facts.Service(nil), h.Services...)
		for i, s := range h.Services {
			h.Services[i] = facts.Service{Port: s.Port, Transport: s.Transport, Name: s.Name, Product: s.Product, Version: s.Version, TLS: s.TLS, Banner: s.Banner}
		}
		d.Hosts = append(d.Hosts, h)
	}
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLabScanThroughAPI is the first "done when": on a fresh
// store, with a token, POST /api/v1/scans for lab hosts returns an id,
// GET reaches done, and its result is what `vigil scan` (engine.Run with
// the same configuration) gives, apart from ids, times and run. Without a
// token: 401.
func TestLabScanThroughAPI(t *testing.T) {
	m := lab.Require(t)
	weak, hard := m.Find("web-weak-http"), m.Find("web-hard-https")
	e := labEnv(t, Options{})
	ports := "80,443,8080,8443,9443"
	body := `{"targets":["` + weak.Host + `","` + hard.Host + `"],"ports":"` + ports + `"}`
	if code, _ := e.api("POST", "/api/v1/scans", "", body); code != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/scans without a token: %d, want 401", code)
	}
	code, out := e.api("POST", "/api/v1/scans", e.tokens[auth.Operator], body)
	if code != http.StatusCreated || out["id"] == "" {
		t.Fatalf("POST /api/v1/scans: %d %v", code, out)
	}
	if code, _ := e.api("GET", "/api/v1/scans/"+out["id"].(string), "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/scans/ID without a token: %d, want 401", code)
	}
	job := e.waitJob(out["id"].(string), 2*time.Minute)
	if job["status"] != store.JobDone || job["progress"].(float64) != 1 {
		t.Fatalf("job = %v", job)
	}
	raw, err := json.Marshal(job["result"])
	if err != nil {
		t.Fatal(err)
	}
	got, err := result.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the result is no vigil/scan/v1 document: %v", err)
	}
	if got.Run == nil || got.Run.Operator == "" {
		t.Errorf("the result does not say who ran it: %+v", got.Run)
	}
	cfg, err := BaseScanConfig(t.Context(), nil, store.Job{Targets: []string{weak.Host, hard.Host}, Ports: ports}, false, "test")
	if err != nil {
		t.Fatal(err)
	}
	want, err := engine.Run(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Hosts) != 2 || len(want.Findings) == 0 {
		t.Fatalf("the direct scan found %d hosts and %d findings; the lab is not what this test expects", len(want.Hosts), len(want.Findings))
	}
	if a, b := comparable(t, want), comparable(t, got); a != b {
		t.Errorf("the API's result differs from vigil scan's:\n--- vigil scan\n%s\n--- API\n%s", a, b)
	}
	// The stored scan is what the pages and the other routes show.
	_, hosts := e.api("GET", "/api/v1/hosts", e.tokens[auth.Viewer], "")
	if n := len(hosts["hosts"].([]any)); n != 2 {
		t.Errorf("GET /api/v1/hosts lists %d hosts, want 2", n)
	}
	_, lv := e.api("GET", "/api/v1/level", e.tokens[auth.Viewer], "")
	if int(lv["level"].(float64)) != got.Level.Value || lv["scan"] != got.ID {
		t.Errorf("GET /api/v1/level = %v, want level %d of scan %s", lv, got.Level.Value, got.ID)
	}
}

// hookReceiver is a webhook target on loopback that keeps what it gets.
type hookReceiver struct {
	mu     sync.Mutex
	secret string
	got    []hookDelivery
}

type hookDelivery struct {
	Kind, Key string
	Valid     bool
	Event     alert.Event
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body struct {
		Schema string      `json:"schema"`
		Event  alert.Event `json:"event"`
	}
	_ = json.Unmarshal(b, &body)
	h.mu.Lock()
	h.got = append(h.got, hookDelivery{Kind: r.Header.Get("X-Vigil-Event"), Key: r.Header.Get("X-Vigil-Delivery"),
		Valid: alert.Verify(h.secret, b, r.Header.Get("X-Vigil-Signature")) && body.Schema == "vigil/alert/v1", Event: body.Event})
	h.mu.Unlock()
}

func (h *hookReceiver) deliveries() []hookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookDelivery(nil), h.got...)
}

// TestLabWebhookAlert: a webhook target receives one signed alert for a
// new critical finding (Redis without a password), and nothing for a
// second, identical scan.
func TestLabWebhookAlert(t *testing.T) {
	m := lab.Require(t)
	redis := m.Find("db-weak-redis")
	hook := &hookReceiver{secret: "lab-webhook-secret"}
	recv := httptest.NewServer(hook)
	t.Cleanup(recv.Close)
	e := labEnv(t, Options{})
	d := alert.NewDispatcher(e.st, nil, nil)
	e.srv.opt.Alerts = d // before any scan
	code, out := e.api("POST", "/api/v1/alerts/targets", e.tokens[auth.Admin],
		`{"type":"webhook","name":"test","url":"`+recv.URL+`/hook","secret":"lab-webhook-secret"}`)
	if code != http.StatusCreated || out["secret"] != nil {
		t.Fatalf("POST /api/v1/alerts/targets: %d %v (a secret must never come back)", code, out)
	}
	_, list := e.api("GET", "/api/v1/alerts/targets", e.tokens[auth.Admin], "")
	if strings.Contains(jsonText(list), "lab-webhook-secret") {
		t.Errorf("GET /api/v1/alerts/targets returns the secret: %v", list)
	}
	scan := func() *result.Document {
		body := `{"targets":["` + redis.Host + `"],"ports":"` + strconv.Itoa(redis.Port) + `"}`
		code, out := e.api("POST", "/api/v1/scans", e.tokens[auth.Operator], body)
		if code != http.StatusCreated {
			t.Fatalf("POST /api/v1/scans: %d %v", code, out)
		}
		job := e.waitJob(out["id"].(string), 2*time.Minute)
		if job["status"] != store.JobDone {
			t.Fatalf("job = %v", job)
		}
		doc, err := e.st.Get(t.Context(), job["scan_id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		d.Wait()
		return doc
	}
	doc := scan()
	critical := ""
	for _, f := range doc.Findings {
		if f.Severity.String() == "critical" && f.Port == redis.Port {
			critical = f.ID
		}
	}
	if critical == "" {
		t.Fatalf("the scan of %s found no critical finding: %+v", redis.ID, doc.Findings)
	}
	n := 0
	for _, g := range hook.deliveries() {
		if !g.Valid {
			t.Errorf("a delivery with a bad signature or schema: %+v", g)
		}
		if g.Kind == "finding.new" && strings.HasSuffix(g.Key, critical) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d alerts for the new critical finding %s, want exactly 1: %+v", n, critical, hook.deliveries())
	}
	before := len(hook.deliveries())
	scan()
	if after := len(hook.deliveries()); after != before {
		t.Errorf("a second, identical scan sent %d more alerts, want none: %+v", after-before, hook.deliveries()[before:])
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestLabScheduleRealTime: a schedule every minute on the real clock,
// run for three minutes, launches exactly three scans of a lab host, and
// each finishes. This test waits for real time on purpose: it takes a
// little over three minutes.
func TestLabScheduleRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("a real-time test of three minutes")
	}
	m := lab.Require(t)
	hard := m.Find("web-hard-https")
	e := labEnv(t, Options{})
	ss, err := e.srv.schedules()
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now()
	en := schedule.Entry{ID: "sch-realtime", Name: "every minute", Kind: schedule.KindScan, Targets: []string{hard.Host},
		Ports: strconv.Itoa(hard.Port), Spec: "every 1m", Enabled: true, Created: created, Actor: "admin"}
	if err := ss.AddSchedule(t.Context(), en); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute+20*time.Second)
	defer cancel()
	if err := e.srv.RunSchedules(ctx, schedule.RealClock()); err != nil {
		t.Fatal(err)
	}
	jobs := scheduleJobs(t, e, en.ID)
	if len(jobs) != 3 {
		t.Fatalf("%d scans in three minutes of a schedule every minute, want exactly 3: %+v", len(jobs), jobs)
	}
	for i, j := range jobs {
		if want := created.Add(time.Duration(i+1) * time.Minute); j.Planned.Sub(want).Abs() > time.Second {
			t.Errorf("scan %d planned %v, want %v", i+1, j.Planned, want)
		}
		if out := e.waitJob(j.ID, time.Minute); out["status"] != store.JobDone {
			t.Errorf("scan %d: %v", i+1, out["status"])
		}
	}
}
