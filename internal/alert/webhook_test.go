package alert

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

// receiver is a webhook receiver: it verifies each request's signature
// with its secret and keeps what it received.
type receiver struct {
	secret string
	// status answers each request in turn; after the list, 200.
	status []int

	mu    sync.Mutex
	got   []received
	calls atomic.Int32
}

type received struct {
	header  http.Header
	body    []byte
	payload Payload
	valid   bool
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(rc.calls.Add(1)) - 1
	body, _ := io.ReadAll(r.Body)
	var p Payload
	_ = json.Unmarshal(body, &p)
	rc.mu.Lock()
	rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, payload: p,
		valid: r.Method == http.MethodPost && Verify(rc.secret, body, r.Header.Get("X-Vigil-Signature"))})
	rc.mu.Unlock()
	if n < len(rc.status) {
		w.WriteHeader(rc.status[n])
		_, _ = io.WriteString(w, strings.Repeat("answer\x1b[31m ", 2000))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) received() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func webhookTarget(url, secret string) Target {
	return Target{ID: "hook1", Type: Webhook, Name: "ops", URL: url, Secret: secret}
}

func TestWebhookSignedDelivery(t *testing.T) {
	rc := &receiver{secret: "s3cret-of-the-hook"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st := newMemStore(webhookTarget(srv.URL+"/hook", rc.secret))
	clock := newFakeClock(testEvent.Time.Add(time.Minute))
	d := NewDispatcher(st, clock, nil)
	d.Notify(t.Context(), []Event{testEvent})
	d.Wait()

	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	if !r.valid {
		t.Errorf("the signature %q does not verify with the secret", r.header.Get("X-Vigil-Signature"))
	}
	if Verify("another secret", r.body, r.header.Get("X-Vigil-Signature")) {
		t.Error("the signature verifies with a wrong secret")
	}
	for h, want := range map[string]string{"Content-Type": "application/json", "X-Vigil-Event": KindFindingNew, "X-Vigil-Delivery": testEvent.Key} {
		if have := r.header.Get(h); have != want {
			t.Errorf("header %s = %q, want %q", h, have, want)
		}
	}
	if r.payload.Schema != Schema || r.payload.Event.Key != testEvent.Key || r.payload.Event.Title != testEvent.Title ||
		r.payload.Event.Detail != testEvent.Detail || !r.payload.Sent.Equal(clock.Now()) {
		t.Errorf("payload %+v", r.payload)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil || len(raw) != 3 || raw["event"] == nil || raw["sent"] == nil {
		t.Errorf("body %s: want exactly schema, event and sent (%v)", r.body, err)
	}
	ds := st.Deliveries()
	if len(ds) != 1 || !ds[0].OK || ds[0].Attempt != 1 || ds[0].Event != testEvent.Key || ds[0].Target != "hook1" || ds[0].Error != "" {
		t.Errorf("deliveries %+v, want one successful attempt", ds)
	}
}

func TestNotifyOncePerEvent(t *testing.T) {
	rc := &receiver{secret: "k"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st := newMemStore(webhookTarget(srv.URL, "k"), Target{ID: "hook2", Type: Webhook, URL: srv.URL + "/two", Secret: "k"})
	d := NewDispatcher(st, nil, nil)
	other := testEvent
	other.Key = "host.new:127.0.2.10"
	other.Kind = KindHostNew
	d.Notify(t.Context(), []Event{testEvent, testEvent, other})
	d.Notify(t.Context(), []Event{testEvent, other}) // the next scan says it again
	d.Wait()
	if n := len(rc.received()); n != 4 {
		t.Errorf("the receivers got %d requests, want 4 (2 events × 2 targets, each once)", n)
	}
}

func TestNotifyWithoutTargetsSendsAndRecordsNothing(t *testing.T) {
	st := newMemStore()
	d := NewDispatcher(st, nil, nil)
	d.Notify(t.Context(), []Event{testEvent})
	d.Wait()
	if len(st.events) != 0 || len(st.Deliveries()) != 0 {
		t.Errorf("with no target, %d events and %d deliveries recorded", len(st.events), len(st.Deliveries()))
	}
}

func TestRetryBackoff(t *testing.T) {
	tests := []struct {
		name     string
		status   []int
		attempts int
		ok       bool
	}{
		{"always failing: six attempts", []int{500, 502, 503, 500, 500, 500, 500, 500}, 6, false},
		{"fails twice, then delivered", []int{500, 503}, 3, true},
		{"too many requests is worth a retry", []int{429}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{secret: "k", status: tt.status}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			st := newMemStore(webhookTarget(srv.URL, "k"))
			start := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
			clock := newFakeClock(start)
			d := NewDispatcher(st, clock, nil)
			d.Notify(t.Context(), []Event{testEvent})
			var waits []time.Duration
			for range tt.attempts - 1 {
				w := clock.nextWait(t)
				waits = append(waits, w)
				clock.Advance(w)
			}
			d.Wait()
			clock.noWait(t)

			ds := st.Deliveries()
			if len(ds) != tt.attempts || int(rc.calls.Load()) != tt.attempts {
				t.Fatalf("%d attempts recorded, %d received, want %d: %+v", len(ds), rc.calls.Load(), tt.attempts, ds)
			}
			wantWait := time.Second
			for i, w := range waits {
				if w != wantWait {
					t.Errorf("wait before attempt %d = %s, want %s", i+2, w, wantWait)
				}
				wantWait *= 2
			}
			at := start
			for i, dl := range ds {
				if dl.Attempt != i+1 || !dl.Time.Equal(at) {
					t.Errorf("delivery %d: attempt %d at %s, want attempt %d at %s", i, dl.Attempt, dl.Time, i+1, at)
				}
				last := i == len(ds)-1
				if dl.OK != (last && tt.ok) || !dl.OK && !strings.Contains(dl.Error, "answered") {
					t.Errorf("delivery %d: ok %v error %q", i, dl.OK, dl.Error)
				}
				if len(dl.Error) > 1000 || strings.Contains(dl.Error, "\x1b") {
					t.Errorf("delivery %d: the error is not capped and sanitised: %q", i, dl.Error)
				}
				if i < len(waits) {
					at = at.Add(waits[i])
				}
			}
		})
	}
}

func TestWebhookRefusals(t *testing.T) {
	var hit atomic.Int32
	final := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit.Add(1) }))
	defer final.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit.Add(1) }))
	defer tlsSrv.Close()

	tests := []struct {
		name string
		url  string
		want string
	}{
		{"a redirect is not followed", redirect.URL, "redirect"},
		{"a 404 is not retried", notFound.URL, "404"},
		{"an unknown certificate", tlsSrv.URL, "certificate"},
		{"plain http to a non-loopback address", "http://192.0.2.1/hook", "loopback"},
		{"another scheme", "ftp://127.0.0.1/hook", "scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore(webhookTarget(tt.url, "k"))
			clock := newFakeClock(testEvent.Time)
			d := NewDispatcher(st, clock, nil)
			var dials atomic.Int32
			d.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				if !strings.HasPrefix(addr, "127.0.0.1:") {
					return nil, errors.New("the test dials loopback only")
				}
				var nd net.Dialer
				return nd.DialContext(ctx, network, addr)
			}
			d.Notify(t.Context(), []Event{testEvent})
			settle(t, d, clock)
			ds := st.Deliveries()
			if len(ds) != 1 || ds[0].OK || !strings.Contains(ds[0].Error, tt.want) {
				t.Errorf("deliveries %+v, want one failed attempt saying %q", ds, tt.want)
			}
			if strings.HasPrefix(tt.url, "http://192.") && dials.Load() != 0 {
				t.Errorf("%d connections opened for a refused target", dials.Load())
			}
		})
	}
	if hit.Load() != 0 {
		t.Errorf("a refused delivery reached a server %d times", hit.Load())
	}
}

func TestWebhookExtraRoots(t *testing.T) {
	rc := &receiver{secret: "k"}
	srv := httptest.NewTLSServer(rc)
	defer srv.Close()
	st := newMemStore(webhookTarget(srv.URL, "k"))
	d := NewDispatcher(st, nil, nil)
	d.roots = x509.NewCertPool()
	d.roots.AddCert(srv.Certificate())
	d.Notify(t.Context(), []Event{testEvent})
	d.Wait()
	if got := rc.received(); len(got) != 1 || !got[0].valid {
		t.Errorf("the https receiver got %+v, want one valid delivery", got)
	}
}

func TestLoopbackOnly(t *testing.T) {
	var dials atomic.Int32
	dial := loopbackOnly(func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("test: not connecting")
	})
	for _, addr := range []string{"192.0.2.1:80", "[2001:db8::1]:80", "example.org:80"} {
		if _, err := dial(t.Context(), "tcp", addr); err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("dial %s: %v, want a refusal", addr, err)
		}
	}
	if dials.Load() != 0 {
		t.Errorf("%d dials passed the guard", dials.Load())
	}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "localhost:80"} {
		_, _ = dial(t.Context(), "tcp", addr)
	}
	if dials.Load() != 3 {
		t.Errorf("%d loopback dials passed the guard, want 3", dials.Load())
	}
	for addr, ok := range map[string]bool{"127.0.0.1:80": true, "[::1]:443": true, "[::ffff:127.0.0.2]:80": true, "10.0.0.1:80": false, "[2001:db8::1]:80": false, "bad": false} {
		if err := loopbackControl("tcp", addr, nil); (err == nil) != ok {
			t.Errorf("loopbackControl(%s) = %v, want allowed %v", addr, err, ok)
		}
	}
}

func TestStopEndsRetries(t *testing.T) {
	rc := &receiver{secret: "k", status: []int{500, 500, 500, 500, 500, 500}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	st := newMemStore(webhookTarget(srv.URL, "k"))
	clock := newFakeClock(testEvent.Time)
	d := NewDispatcher(st, clock, nil)
	d.Notify(t.Context(), []Event{testEvent})
	if w := clock.nextWait(t); w != time.Second {
		t.Errorf("first wait %s, want 1s", w)
	}
	d.Stop()
	d.Wait()
	ds := st.Deliveries()
	if len(ds) != 2 || ds[0].OK || ds[1].OK || ds[1].Attempt != 2 || !strings.Contains(ds[1].Error, "not attempted") || rc.calls.Load() != 1 {
		t.Errorf("after Stop: %d requests, deliveries %+v; want one failed attempt and the retry recorded as not attempted", rc.calls.Load(), ds)
	}
}

func manyEvents(n int) []Event {
	var es []Event
	for i := range n {
		e := testEvent
		e.Key = fmt.Sprintf("host.new:10.0.0.%d", i+1)
		e.Kind, e.Severity, e.Title = KindHostNew, "medium", fmt.Sprintf("New host 10.0.0.%d", i+1)
		es = append(es, e)
	}
	return es
}

func TestDigest(t *testing.T) {
	tests := []struct {
		name     string
		events   int
		requests int
	}{
		{"up to DigestAfter events go one by one", DigestAfter, DigestAfter},
		{"more go as one digest", DigestAfter + 1, 1},
		{"many more too", 300, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{secret: "k"}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			st := newMemStore(webhookTarget(srv.URL, "k"))
			d := NewDispatcher(st, nil, nil)
			es := manyEvents(tt.events)
			d.Notify(t.Context(), es)
			d.Notify(t.Context(), es) // told already: nothing more
			d.Wait()
			got := rc.received()
			if len(got) != tt.requests {
				t.Fatalf("%d requests, want %d", len(got), tt.requests)
			}
			for _, e := range es {
				if _, ok := st.events[e.Key]; !ok {
					t.Errorf("event %s not recorded", e.Key)
				}
			}
			if tt.requests != 1 {
				return
			}
			dg := got[0].payload.Event
			if !got[0].valid || dg.Kind != KindDigest || got[0].header.Get("X-Vigil-Event") != KindDigest || len(dg.Events) != tt.events ||
				dg.Events[0].Key != es[0].Key || dg.Severity != "medium" || !strings.HasPrefix(dg.Title, fmt.Sprintf("%d new alerts from scan scan-1: %d host.new", tt.events, tt.events)) {
				t.Errorf("digest %+v (valid signature %v)", dg, got[0].valid)
			}
			if _, ok := st.events[dg.Key]; !ok {
				t.Errorf("the digest %s is not recorded", dg.Key)
			}
		})
	}
}

func TestDigestEvent(t *testing.T) {
	es := manyEvents(3)
	es[1].Severity, es[1].Kind, es[1].Scan = "critical", KindFindingNew, "scan-2"
	dg := Digest(es)
	if dg.Severity != "critical" || dg.Scan != "" || dg.Title != "3 new alerts: 1 finding.new, 2 host.new" || len(dg.Events) != 3 || !dg.Time.Equal(es[0].Time) {
		t.Errorf("digest %+v", dg)
	}
	if other := Digest(manyEvents(4)[1:]); other.Key == dg.Key || Digest(es).Key != dg.Key {
		t.Error("a digest's key is not a function of its events' keys")
	}
	msg, err := message(mailTarget("mail.test:587", ""), dg, testEvent.Time)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mail.ReadMessage(bytes.NewReader(msg))
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	for _, e := range es {
		if !strings.Contains(string(body), "- ["+e.Severity+"] "+e.Title+"\r\n") {
			t.Errorf("the digest mail does not list %q:\n%s", e.Title, body)
		}
	}
}

// A new critical finding is one alert that says the level drop it causes;
// when the finding comes back after a fix, its drop is told instead.
func TestNotifyToldBy(t *testing.T) {
	crit := fnd("cleartext.telnet", finding.Critical, "10.0.0.1", 23)
	prev := doc("s1", []string{"10.0.0.1"}, []result.Host{host("10.0.0.1", 4)})
	cur := doc("s2", []string{"10.0.0.1"}, []result.Host{host("10.0.0.1", 1)}, crit)
	events := ScanEvents(prev, cur, now, 0)
	tests := []struct {
		name string
		seen []string // keys told before
		want []string
	}{
		{"first time", nil, []string{"finding.new:" + crit.ID}},
		{"the finding was told before", []string{"finding.new:" + crit.ID}, []string{"level.drop:10.0.0.1:s2"}},
		{"all told before", []string{"finding.new:" + crit.ID, "level.drop:10.0.0.1:s2", "level.drop::s2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{secret: "k"}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			st := newMemStore(webhookTarget(srv.URL, "k"))
			for _, k := range tt.seen {
				st.events[k] = Event{Key: k}
			}
			d := NewDispatcher(st, nil, nil)
			d.Notify(t.Context(), events)
			d.Wait()
			var got []string
			for _, r := range rc.received() {
				got = append(got, r.payload.Event.Key)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("alerts %q, want %q", got, tt.want)
			}
			for _, e := range events {
				if _, ok := st.events[e.Key]; !ok {
					t.Errorf("event %s not recorded", e.Key)
				}
			}
		})
	}
}

func TestWebhookHostileStatusLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				_, _ = c.Read(buf)
				_, _ = io.WriteString(c, "HTTP/1.1 404 gone\x1b]0;owned\x07\u202e\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	st := newMemStore(webhookTarget("http://"+ln.Addr().String()+"/hook", "k"))
	clock := newFakeClock(testEvent.Time)
	d := NewDispatcher(st, clock, nil)
	d.Notify(t.Context(), []Event{testEvent})
	settle(t, d, clock)
	ds := st.Deliveries()
	if len(ds) != 1 || !strings.Contains(ds[0].Error, "404") || strings.ContainsAny(ds[0].Error, "\x1b\x07\u202e") {
		t.Errorf("deliveries %+v, want one failure with the status escaped", ds)
	}
}
