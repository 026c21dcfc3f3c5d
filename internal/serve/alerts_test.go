package serve

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// TestDailyAlerts: the daily check tells of a certificate and of a risk
// acceptance about to end, each once, however often it runs; with no
// target nothing is sent.
func TestDailyAlerts(t *testing.T) {
	e := newEnv(t, Options{})
	now := e.clock.Now()
	doc := storetest.Document(3, 1, 1, 0)
	h := &doc.Hosts[0]
	h.Services = append(h.Services, facts.Service{Port: 8443, Transport: "tcp", Name: "http", TLS: true,
		TLSAudit: &facts.TLS{Chain: []facts.Certificate{{Subject: "CN=<b>x</b>", Issuer: "CN=CA",
			NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.Add(5 * 24 * time.Hour), SHA256: "ab12"}}}})
	if err := e.st.Save(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	f := doc.Findings[0]
	if err := e.st.Accept(t.Context(), store.Acceptance{Finding: f.ID, Check: f.Check, Host: f.Host, Port: f.Port, Transport: f.Transport,
		Acceptance: finding.Acceptance{By: "ann", Reason: "lab", Until: now.Add(3 * 24 * time.Hour).Format(finding.DateLayout)}, Created: now}); err != nil {
		t.Fatal(err)
	}
	hook := &hookReceiver{secret: "daily-secret"}
	recv := httptest.NewServer(hook)
	t.Cleanup(recv.Close)
	d := alert.NewDispatcher(e.st, nil, nil)
	e.srv.opt.Alerts = d
	e.srv.alertExpiries(t.Context()) // no target yet: alerts are off
	d.Wait()
	if n := len(hook.deliveries()); n != 0 {
		t.Fatalf("%d alerts sent with no target", n)
	}
	if _, err := e.srv.addTarget(t.Context(), TargetRequest{Type: "webhook", URL: recv.URL, Secret: "daily-secret"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ticks := make(chan time.Time)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.srv.Daily(ctx, func(time.Duration) <-chan time.Time { return ticks })
	}()
	ticks <- now // a second day
	ticks <- now // a third
	cancel()
	<-done
	d.Wait()
	kinds := map[string]int{}
	for _, g := range hook.deliveries() {
		if !g.Valid {
			t.Errorf("a delivery with a bad signature: %+v", g)
		}
		kinds[g.Kind]++
	}
	if kinds["cert.expiring"] != 1 || kinds["acceptance.expiring"] != 1 || len(hook.deliveries()) != 2 {
		t.Errorf("deliveries by kind = %v, want one certificate and one acceptance alert", kinds)
	}
}
