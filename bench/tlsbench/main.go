// Command tlsbench is a helper of bench/tls.sh, not part of vigil.
//
//	tlsbench verdicts SCAN.json
//
// prints, for every TLS-audited service of a vigil scan document, vigil's
// verdict on each accepted cipher suite: the tls.cipher.* checks that fire
// when vigil's own judges see that suite alone. A scan's findings name at
// most five suites per check, so the benchmark asks the judges suite by
// suite instead of parsing evidence.
//
//	tlsbench audit [-starttls PROTO] [-ca FILE] [-o FILE] ADDR:PORT
//
// runs vigil's TLS audit alone (no discovery, port check or
// identification), with the options `vigil scan` gives it, and writes the
// facts as JSON. Only loopback addresses are allowed.
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/audit/tlsaudit"
	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/facts"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tlsbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: tlsbench verdicts SCAN.json | tlsbench audit [-starttls PROTO] [-ca FILE] [-o FILE] ADDR:PORT")
	}
	switch args[0] {
	case "verdicts":
		if len(args) != 2 {
			return errors.New("usage: tlsbench verdicts SCAN.json")
		}
		return verdicts(args[1], out)
	case "audit":
		return audit(ctx, args[1:], out)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// scanDoc is the part of a vigil/scan/v1 document the verdicts need.
type scanDoc struct {
	Hosts []facts.Host `json:"hosts"`
}

// suiteVerdict is vigil's verdict on one accepted suite.
type suiteVerdict struct {
	Name   string   `json:"name"`
	Checks []string `json:"checks"` // tls.cipher.* checks the suite alone fires
}

func verdicts(path string, out io.Writer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc scanDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	res := map[string]map[string]suiteVerdict{}
	for _, h := range doc.Hosts {
		for _, s := range h.Services {
			if s.TLSAudit == nil {
				continue
			}
			per := map[string]suiteVerdict{}
			for _, v := range s.TLSAudit.Versions {
				for _, su := range v.Suites {
					key := suiteKey(su.ID)
					if _, done := per[key]; done {
						continue
					}
					per[key] = suiteVerdict{Name: su.Name, Checks: judgeSuite(v.Name, su)}
				}
			}
			res[fmt.Sprintf("%s:%d", h.Address, s.Port)] = per
		}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", " ")
	return enc.Encode(res)
}

// suiteKey writes a suite number as the benchmark's scripts do: 0x002f for
// TLS suites, 0x010080 for SSLv2 cipher kinds.
func suiteKey(id uint32) string {
	if id > 0xffff {
		return fmt.Sprintf("0x%06x", id)
	}
	return fmt.Sprintf("0x%04x", id)
}

// judgeSuite runs vigil's judges over a service that accepts only su with
// version, and returns the tls.cipher.* checks that fire.
func judgeSuite(version string, su facts.Suite) []string {
	h := facts.Host{Address: "127.0.0.1", Services: []facts.Service{{
		Port: 443, Transport: facts.TCP, Name: "http", TLS: true,
		TLSAudit: &facts.TLS{
			Versions: []facts.TLSVersion{{Name: version, Accepted: true, Suites: []facts.Suite{su}}},
			Trusted:  true, NameMatch: true,
		},
	}}}
	var checks []string
	for _, f := range check.JudgeHosts([]facts.Host{h}, time.Now()) {
		if strings.HasPrefix(f.Check, "tls.cipher.") && !slices.Contains(checks, f.Check) {
			checks = append(checks, f.Check)
		}
	}
	slices.Sort(checks)
	if checks == nil {
		checks = []string{}
	}
	return checks
}

func audit(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	starttls := fs.String("starttls", "", "STARTTLS protocol: smtp, imap, pop3, ftp, ldap, postgresql, mysql")
	caFile := fs.String("ca", "", "PEM file of extra trusted roots (as vigil scan --tls-ca)")
	outFile := fs.String("o", "", "write the facts to FILE instead of standard output")
	// vigil scan gives each audit twice the identification time-out, which
	// is 500 ms on loopback (20 round trips, at least 500 ms).
	timeout := fs.Duration("timeout", time.Second, "per-handshake time-out, as vigil scan sets it on loopback")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: tlsbench audit [-starttls PROTO] [-ca FILE] [-o FILE] ADDR:PORT")
	}
	addr, err := netip.ParseAddrPort(fs.Arg(0))
	if err != nil {
		return err
	}
	if !addr.Addr().IsLoopback() {
		return fmt.Errorf("%s is not a loopback address: the benchmark only audits the lab", addr.Addr())
	}
	var roots *x509.CertPool
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", *caFile)
		}
	}
	// The dialer vigil scan builds by default: 4096 sockets, 1 s connect
	// time-out, no rate cap.
	d, err := dialer.New(dialer.Config{Concurrency: 4096, Timeout: time.Second}, func(a netip.Addr) bool { return a.IsLoopback() })
	if err != nil {
		return err
	}
	t, err := tlsaudit.Audit(ctx, d, addr, tlsaudit.Options{StartTLS: *starttls, Roots: roots, Timeout: *timeout})
	if t == nil {
		return err
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlsbench: audit incomplete:", err)
	}
	w := out
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		w = f
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(t)
}
