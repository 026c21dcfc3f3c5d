package tlsaudit

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/lab"
)

// TestLabTLSReneg audits the lab part tlsreneg: stunnel (OpenSSL 3 with
// ALLOW_CLIENT_RENEGOTIATION) and gnutls-serv renegotiate at the client's
// request, so tls.renegotiation.client-initiated fires with the
// ServerHello as evidence; stunnel's defaults and lighttpd over GnuTLS and
// mbed TLS refuse, so the probe is examined, negative, and nothing fires.
func TestLabTLSReneg(t *testing.T) {
	weak := map[string]bool{
		"tlsreneg-stunnel-weak": true, "tlsreneg-gnutls-weak": true,
		"tlsreneg-stunnel-hard": false, "tlsreneg-lighttpd-gnutls": false, "tlsreneg-lighttpd-mbedtls": false,
	}
	ids := slices.Sorted(maps.Keys(weak))
	m := lab.RequirePart(t, ids...)
	var svcs []lab.Service
	for _, id := range ids {
		svcs = append(svcs, m.Find(id))
	}
	d := testDialer(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	results := make([]*facts.TLS, len(svcs))
	var wg sync.WaitGroup
	for i, s := range svcs {
		wg.Go(func() {
			res, err := Audit(ctx, d, s.AddrPort(), Options{HTTP: s.Name == "http"})
			if res == nil {
				t.Errorf("%s: %v", s.ID, err)
			}
			results[i] = res
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, s := range svcs {
		res := results[i]
		p := res.Probes
		var reneg *facts.TLSProbe
		if p != nil {
			reneg = p.ClientRenegotiation
		}
		t.Logf("%s: client renegotiation %+v", s.ID, reneg)
		if reneg == nil {
			t.Errorf("%s: client renegotiation not examined: %q", s.ID, p.NotExamined[probeClientReneg])
			continue
		}
		host := facts.Host{Address: s.Host, Services: []facts.Service{{Port: s.Port, Transport: s.Transport, Name: s.Name,
			Product: s.Product, TLS: s.TLS, TLSAudit: res}}}
		found := map[string]finding.Finding{}
		for _, f := range check.JudgeHosts([]facts.Host{host}, time.Now()) {
			if f.Port == s.Port {
				found[f.Check] = f
			}
		}
		f, fired := found["tls.renegotiation.client-initiated"]
		switch {
		case weak[s.ID] && !fired:
			t.Errorf("%s: tls.renegotiation.client-initiated did not fire (probe %+v)", s.ID, reneg)
		case weak[s.ID] && !strings.Contains(f.Evidence, "answered with a ServerHello"):
			t.Errorf("%s: evidence %q does not say the server answered with a ServerHello", s.ID, f.Evidence)
		case weak[s.ID] && s.Name == "http" && !strings.Contains(f.Evidence, strconv.Itoa(renegHTTPTries)+" times in a row"):
			t.Errorf("%s: an HTTP server must take %d renegotiations in a row: %q", s.ID, renegHTTPTries, f.Evidence)
		case !weak[s.ID] && fired:
			t.Errorf("%s (hardened): tls.renegotiation.client-initiated fired: %s", s.ID, f.Evidence)
		}
		if !weak[s.ID] {
			for c, f := range found {
				if f.Severity >= finding.High {
					t.Errorf("%s (hardened): high finding %s: %s", s.ID, c, f.Evidence)
				}
			}
		}
	}
}
