package tlsaudit

import (
	"context"
	"os"
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

// deepLabChecks are the checks judged from the vulnerability probes, which
// the lab part tlsdeep plants (TestLabTLSDeep), not the core lab.
var deepLabChecks = map[string]bool{
	"tls.heartbleed": true, "tls.ccs-injection": true, "tls.robot": true,
	"tls.renegotiation.insecure": true, "tls.renegotiation.client-initiated": true,
	"tls.compression": true, "tls.breach": true, "tls.dh.weak": true, "tls.drown": true,
	"tls.fallback-scsv.missing": true, "tls.ocsp-stapling.missing": true,
	"tls.cert.key-usage": true, "tls.cert.no-san": true,
}

// TestLabTLSDeep audits every service of the lab part tlsdeep and judges
// them host by host (DROWN looks across a host's services): each planted
// flaw fires on its server, xrdp's TLS layer is reached through the rdp
// upgrade, and the hardened nginx and Apache httpd twins
// yield none of the probe checks.
func TestLabTLSDeep(t *testing.T) {
	m := lab.Require(t)
	want := map[string][]string{
		"tlsdeep-heartbleed":  {"tls.heartbleed", "tls.fallback-scsv.missing", "tls.cert.key-usage"},
		"tlsdeep-robot":       {"tls.robot", "tls.drown", "tls.fallback-scsv.missing"},
		"tlsdeep-sslv2":       {"tls.drown"},
		"tlsdeep-ccs":         {"tls.ccs-injection", "tls.fallback-scsv.missing"},
		"tlsdeep-crime":       {"tls.compression", "tls.renegotiation.insecure", "tls.fallback-scsv.missing"},
		"tlsdeep-nginx-weak":  {"tls.dh.weak", "tls.breach", "tls.cert.no-san", "tls.ocsp-stapling.missing"},
		"tlsdeep-apache-weak": {"tls.dh.weak", "tls.breach", "tls.ocsp-stapling.missing"},
		"tlsdeep-rdp":         {"tls.protocol.tls10"},
		"tlsdeep-nginx-hard":  {},
		"tlsdeep-apache-hard": {},
	}
	// Real OpenSSL servers must never look like the emulated flaws.
	realNever := []string{"tls.heartbleed", "tls.ccs-injection", "tls.robot", "tls.compression",
		"tls.renegotiation.insecure", "tls.renegotiation.client-initiated", "tls.drown", "tls.fallback-scsv.missing"}
	var svcs []lab.Service
	for id := range want {
		s := m.Find(id)
		if s.ID == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the lab manifest has no service %q: lab part tlsdeep is not running", id)
			}
			t.Skipf("the lab manifest has no service %q: start the part (VIGIL_LAB_DIR=/tmp/vigil-lab-tlsdeep VIGIL_LAB_ONLY=tlsdeep lab/lab.sh up)", id)
		}
		svcs = append(svcs, s)
	}
	slices.SortFunc(svcs, func(a, b lab.Service) int { return strings.Compare(a.ID, b.ID) })

	d := testDialer(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	results := make([]*facts.TLS, len(svcs))
	var wg sync.WaitGroup
	for i, s := range svcs {
		wg.Go(func() {
			opt := Options{HTTP: s.Name == "http"}
			if s.Name == "rdp" {
				opt.StartTLS = StartRDP
			}
			res, err := Audit(ctx, d, s.AddrPort(), opt)
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
	hosts := map[string]*facts.Host{}
	var order []string
	for i, s := range svcs {
		h := hosts[s.Host]
		if h == nil {
			h = &facts.Host{Address: s.Host}
			hosts[s.Host] = h
			order = append(order, s.Host)
		}
		h.Services = append(h.Services, facts.Service{Port: s.Port, Transport: s.Transport, Name: s.Name,
			Product: s.Product, TLS: s.TLS, TLSAudit: results[i]})
	}
	var all []facts.Host
	for _, a := range order {
		all = append(all, *hosts[a])
	}
	found := map[string]map[string]finding.Finding{} // "host:port" → check → finding
	for _, f := range check.JudgeHosts(all, time.Now()) {
		k := f.Host + ":" + strconv.Itoa(f.Port)
		if found[k] == nil {
			found[k] = map[string]finding.Finding{}
		}
		found[k][f.Check] = f
	}
	for _, s := range svcs {
		got := found[s.Host+":"+strconv.Itoa(s.Port)]
		for _, c := range want[s.ID] {
			if _, ok := got[c]; !ok {
				t.Errorf("%s: %s did not fire (probes: %+v)", s.ID, c, results[slices.Index(svcs, s)].Probes)
			}
		}
		for c, f := range got {
			if !deepLabChecks[c] || slices.Contains(want[s.ID], c) {
				continue
			}
			if s.Twin == "hard" {
				t.Errorf("%s (hardened): %s fired: %s", s.ID, c, f.Evidence)
			}
		}
		if s.Product != "" {
			// Debian's nginx, Apache httpd and xrdp (OpenSSL 3) refuse a
			// client-initiated renegotiation: examined, and negative.
			if p := results[slices.Index(svcs, s)].Probes; p == nil || !p.ClientRenegotiation.IsNot() {
				t.Errorf("%s (real %s): client renegotiation not examined and refused: %+v", s.ID, s.Product, p)
			}
			for _, c := range realNever {
				if f, ok := got[c]; ok {
					t.Errorf("%s (real %s): %s fired: %s", s.ID, s.Product, c, f.Evidence)
				}
			}
		}
		if s.Twin == "hard" {
			for c, f := range got {
				if f.Severity >= finding.High {
					t.Errorf("%s (hardened): high finding %s: %s", s.ID, c, f.Evidence)
				}
			}
		}
	}
}
