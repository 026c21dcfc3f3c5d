package store

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/result"
)

var alertBase = time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)

func TestAlertTargets(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		if ts, err := s.AlertTargets(ctx); err != nil || len(ts) != 0 {
			t.Fatalf("a new store has targets %+v (%v)", ts, err)
		}
		hook := alert.Target{ID: "h1", Type: alert.Webhook, Name: "ops \x00chat", URL: "https://hooks.example.org/vigil", Secret: "s3cret",
			Created: alertBase}
		mail := alert.Target{ID: "m1", Type: alert.Email, Name: "admins", SMTP: "mail.example.org:587", CAFile: "/etc/vigil/mail-ca.pem",
			Username: "vigil", Password: "pw", From: "vigil@example.org", To: []string{"a@example.org", "b@example.org"},
			Created: alertBase.Add(time.Minute)}
		for _, tg := range []alert.Target{mail, hook} {
			if err := s.AddAlertTarget(ctx, tg); err != nil {
				t.Fatalf("AddAlertTarget %s: %v", tg.ID, err)
			}
		}
		if err := s.AddAlertTarget(ctx, hook); !errors.Is(err, ErrExists) {
			t.Errorf("adding %s again: %v, want ErrExists", hook.ID, err)
		}
		bad := hook
		bad.ID, bad.URL = "h2", "http://10.0.0.5/hook"
		if err := s.AddAlertTarget(ctx, bad); !errors.Is(err, alert.ErrBadTarget) {
			t.Errorf("adding a plain-http webhook to a private address: %v, want ErrBadTarget", err)
		}
		got, err := s.AlertTargets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hook.Name = "ops \uFFFDchat" // cleaned
		if len(got) != 2 || !sameTarget(got[0], hook) || !sameTarget(got[1], mail) {
			t.Errorf("targets\n%+v\nwant\n%+v\n%+v", got, hook, mail)
		}
		if err := s.DeleteAlertTarget(ctx, "h1"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAlertTarget(ctx, "h1"); !errors.Is(err, ErrNoAlertTarget) || !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting a deleted target: %v, want ErrNoAlertTarget and ErrNotFound", err)
		}
		if got, _ := s.AlertTargets(ctx); len(got) != 1 || got[0].ID != "m1" {
			t.Errorf("after the delete, targets %+v, want m1 alone", got)
		}
	})
}

func sameTarget(a, b alert.Target) bool {
	return a.ID == b.ID && a.Type == b.Type && a.Name == b.Name && a.URL == b.URL && a.Secret == b.Secret && a.SMTP == b.SMTP &&
		a.CAFile == b.CAFile && a.Username == b.Username && a.Password == b.Password && a.From == b.From &&
		slices.Equal(a.To, b.To) && a.Created.Equal(b.Created)
}

func TestRecordEvent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		e := alert.Event{Key: "finding.new:abc", Kind: alert.KindFindingNew, Severity: "critical", Host: "10.0.0.1", Port: 23,
			Title: "New critical finding", Detail: "bad \xff bytes", Scan: "scan-1", Time: alertBase}
		for i, want := range []bool{true, false, false} {
			isNew, err := s.RecordEvent(ctx, e)
			if err != nil || isNew != want {
				t.Errorf("RecordEvent #%d = %v, %v; want %v", i+1, isNew, err, want)
			}
		}
		// Many recorders at once: exactly one sees the key new.
		var wg sync.WaitGroup
		var mu sync.Mutex
		news := 0
		for range 8 {
			wg.Go(func() {
				e2 := e
				e2.Key = "host.new:10.0.0.9"
				isNew, err := s.RecordEvent(ctx, e2)
				if err != nil {
					t.Error(err)
				}
				if isNew {
					mu.Lock()
					news++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if news != 1 {
			t.Errorf("%d concurrent recorders saw the key new, want 1", news)
		}
		if _, err := s.RecordEvent(ctx, alert.Event{}); err == nil {
			t.Error("an event without a key was recorded")
		}
		es, err := s.AlertEvents(ctx, 0)
		if err != nil || len(es) != 2 {
			t.Fatalf("AlertEvents: %d events (%v), want 2", len(es), err)
		}
		got := es[slices.IndexFunc(es, func(x alert.Event) bool { return x.Key == e.Key })]
		e.Detail = "bad \uFFFD bytes"
		if got.Key != e.Key || got.Kind != e.Kind || got.Severity != e.Severity || got.Host != e.Host || got.Port != e.Port ||
			got.Title != e.Title || got.Detail != e.Detail || got.Scan != e.Scan || !got.Time.Equal(e.Time) {
			t.Errorf("stored event %+v, want %+v", got, e)
		}
		if es, _ := s.AlertEvents(ctx, 1); len(es) != 1 {
			t.Errorf("AlertEvents(1) gave %d events", len(es))
		}
	})
}

func TestRecordDelivery(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		in := []alert.Delivery{
			{Event: "finding.new:abc", Target: "h1", Attempt: 1, Time: alertBase, Error: "webhook answered 500"},
			{Event: "finding.new:abc", Target: "h1", Attempt: 2, Time: alertBase.Add(time.Second), OK: true},
			{Event: "host.new:10.0.0.9", Target: "m1", Attempt: 1, Time: alertBase.Add(2 * time.Second), Error: "the mail server does not offer STARTTLS"},
		}
		for _, d := range in {
			if err := s.RecordDelivery(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordDelivery(ctx, alert.Delivery{Event: "x", Target: "y"}); err == nil {
			t.Error("a delivery of attempt 0 was recorded")
		}
		got, err := s.AlertDeliveries(ctx, 0)
		if err != nil || len(got) != 3 {
			t.Fatalf("AlertDeliveries: %+v (%v)", got, err)
		}
		for i, want := range []alert.Delivery{in[2], in[1], in[0]} { // newest first
			if got[i].Event != want.Event || got[i].Target != want.Target || got[i].Attempt != want.Attempt || got[i].OK != want.OK ||
				got[i].Error != want.Error || !got[i].Time.Equal(want.Time) {
				t.Errorf("delivery %d = %+v, want %+v", i, got[i], want)
			}
		}
		if got, _ := s.AlertDeliveries(ctx, 2); len(got) != 2 || got[0].Event != "host.new:10.0.0.9" {
			t.Errorf("AlertDeliveries(2) = %+v", got)
		}
	})
}

func TestAlertAcceptances(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		a := Acceptance{Finding: "f1", Check: "ssh.cipher.weak", Host: "10.0.0.1", Port: 22, Transport: "tcp",
			Acceptance: finding.Acceptance{By: "ann", Reason: "vendor appliance", Until: "2026-12-10"}, Created: alertBase.Add(-48 * time.Hour)}
		if err := s.Accept(ctx, a); err != nil {
			t.Fatal(err)
		}
		list, err := s.Acceptances(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		events := alert.AcceptanceEvents(AlertAcceptances(list), alertBase, 7*24*time.Hour)
		if len(events) != 1 || events[0].Key != "acceptance.expiring:f1:2026-12-10" || events[0].Host != "10.0.0.1" || events[0].Port != 22 {
			t.Errorf("events %+v, want the acceptance of f1 ending", events)
		}
		if err := s.Revoke(ctx, "f1", alertBase); err != nil {
			t.Fatal(err)
		}
		all, _ := s.Acceptances(ctx, true)
		if events := alert.AcceptanceEvents(AlertAcceptances(all), alertBase, 7*24*time.Hour); len(events) != 0 {
			t.Errorf("a revoked acceptance gave events %+v", events)
		}
	})
}

// A webhook receives one signed alert when a scan finds a new critical
// finding (the level drop it causes is said in it): not again for the next
// scan that still has it, nor after vigil restarts. When the finding comes
// back after a fix, the level drop it causes is told.
func TestNewCriticalFindingAlertsOnce(t *testing.T) {
	const secret = "webhook-secret"
	type got struct {
		valid bool
		p     alert.Payload
	}
	var mu sync.Mutex
	var received []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p alert.Payload
		_ = json.Unmarshal(body, &p)
		mu.Lock()
		received = append(received, got{alert.Verify(secret, body, r.Header.Get("X-Vigil-Signature")), p})
		mu.Unlock()
	}))
	defer srv.Close()

	hosts := []facts.Host{{Address: "10.0.0.1", Services: []facts.Service{{Port: 23, Transport: "tcp", Name: "telnet"}}}}
	telnet := finding.Finding{ID: finding.MakeID("cleartext.telnet", "10.0.0.1", 23, "tcp", ""), Check: "cleartext.telnet",
		Severity: finding.Critical, Host: "10.0.0.1", Port: 23, Transport: "tcp", Title: "Telnet server in use", Evidence: "banner", Recommendation: "remove telnetd"}
	scan := func(id string, at time.Time, fs ...finding.Finding) *result.Document {
		d := result.Assemble(id, at, at.Add(time.Minute), []string{"10.0.0.0/24"}, hosts, fs, nil)
		d.Done()
		return d
	}
	s1 := scan("s1", alertBase)
	s2 := scan("s2", alertBase.Add(time.Hour), telnet)
	s3 := scan("s3", alertBase.Add(2*time.Hour), telnet)
	s4 := scan("s4", alertBase.Add(3*time.Hour))
	s5 := scan("s5", alertBase.Add(4*time.Hour), telnet)

	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			mu.Lock()
			received = nil
			mu.Unlock()
			dsn := b.dsn(t)
			run := func(prev, cur *result.Document) {
				s, err := Open(t.Context(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				d := alert.NewDispatcher(s, nil, nil)
				d.Notify(t.Context(), alert.ScanEvents(prev, cur, cur.Finished, 30*24*time.Hour))
				d.Wait()
			}
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.AddAlertTarget(t.Context(), alert.Target{ID: "hook", Type: alert.Webhook, URL: srv.URL, Secret: secret, Created: alertBase}); err != nil {
				t.Fatal(err)
			}
			s.Close()
			run(s1, s2) // the finding appears
			run(s2, s3) // still there
			run(s1, s2) // the same scan judged again after a restart
			mu.Lock()
			if len(received) != 1 || !received[0].valid || received[0].p.Event.Kind != alert.KindFindingNew || received[0].p.Event.Key != "finding.new:"+telnet.ID {
				t.Errorf("the webhook received %+v, want one signed finding.new alert for %s", received, telnet.ID)
			}
			mu.Unlock()
			run(s3, s4) // fixed
			run(s4, s5) // back: told by the level drop
			mu.Lock()
			defer mu.Unlock()
			if len(received) != 2 || !received[1].valid || received[1].p.Event.Key != "level.drop:10.0.0.1:s5" {
				t.Errorf("after the fix and the return, the webhook received %+v, want the level drop of s5 second", received)
			}
		})
	}
}
