package cli

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/portscan"
	"github.com/vigilsec/vigil/internal/progress"
	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/scope"
	"github.com/vigilsec/vigil/internal/store"
)

// scanFlags are the flags of `vigil scan`.
type scanFlags struct {
	outputFlags
	ports, udpPorts string
	excludes        []string
	allowPublic     bool
	maxHosts        int
	tlsCA           []string
	rate            float64
	concurrency     int
	timeout         time.Duration
	minTimeout      time.Duration
	noDiscovery     bool
	portsOnly       bool
	noDefaultCreds  bool
	dnsZones        []string
	label           string
	untrusted       bool
}

func newScanCmd(e *env) *cobra.Command {
	var f scanFlags
	cmd := &cobra.Command{
		Use:   "scan [TARGET...]",
		Short: "Scan hosts: every TCP port, common UDP services, identification, audits, findings, level",
		Long: `Scan the targets you name. Without a target, vigil scans this machine
through 127.0.0.1 and ::1 only.

Targets: 10.0.0.5, 10.0.0.0/24, 10.0.0.1-20, 10.0.0.1-10.0.0.40, fd00::1,
host names, @FILE (one target a line), or comma-separated lists of these.
Addresses outside the private, loopback and link-local ranges are refused
unless you add --allow-public. --exclude always wins.`,
		Example: `  vigil scan                          # this machine, over loopback
  vigil scan 192.168.1.0/24 -p top:1000
  vigil scan 10.0.0.5 --format json -o scan.json --fail-on high`,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.format = formatFor(cmd, f.format, f.output)
			return runScan(cmd, e, &f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.ports, "ports", "p", portscan.AllPorts, "TCP ports: 1-65535, 22,80,443, 8000-8100 or top:N")
	fl.StringVar(&f.udpPorts, "udp-ports", portscan.FormatPorts(proto.UDPPorts()),
		"UDP ports to probe with every UDP probe (DNS, NTP, SNMP, TFTP, SIP, CoAP, SSDP, mDNS, NetBIOS); default: every customary UDP port of vigil's protocol table (\"\" for none)")
	fl.StringSliceVar(&f.excludes, "exclude", nil, "targets never to touch (same forms as targets; repeatable)")
	fl.BoolVar(&f.allowPublic, "allow-public", false, "allow targets outside private, loopback and link-local ranges")
	fl.IntVar(&f.maxHosts, "max-hosts", scope.DefaultMaxHosts, "refuse target sets larger than this")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(report.Formats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the result to FILE instead of standard output")
	addModeFlag(fl, &f.mode)
	addRunFlags(fl, &f.outputFlags)
	addBriefFlag(fl, &f.brief)
	fl.StringSliceVar(&f.tlsCA, "tls-ca", nil, "PEM file of extra trusted root certificates (repeatable)")
	fl.Float64Var(&f.rate, "rate", 0, "at most this many new connections per second (0: no cap)")
	fl.IntVar(&f.concurrency, "concurrency", 4096, "at most this many sockets open at once")
	fl.DurationVar(&f.timeout, "timeout", time.Second, "longest wait for a port to answer (the adaptive timeout's ceiling)")
	fl.DurationVar(&f.minTimeout, "min-timeout", 100*time.Millisecond, "shortest wait for a port to answer (the adaptive timeout's floor)")
	fl.StringVar(&f.failOn, "fail-on", "", "exit with status 3 when a finding at or above this severity exists (critical, high, medium, low, info)")
	fl.BoolVarP(&f.noDiscovery, "no-discovery", "P", false, "scan every target address even if it shows no sign of life")
	fl.BoolVar(&f.portsOnly, "ports-only", false, "only find open ports: no identification, no audits")
	fl.BoolVar(&f.noDefaultCreds, "no-default-creds", false, "never try vendor-default credentials (e.g. SNMP community public)")
	fl.StringSliceVar(&f.dnsZones, "dns-zone", nil, "a DNS zone to try a zone transfer of on every DNS server found, besides those vigil finds itself (repeatable)")
	fl.StringVar(&f.label, "label", "", "name of the environment scanned (e.g. office), kept with the result")
	fl.BoolVar(&f.untrusted, "untrusted", false, "this scan runs from a network that must not reach admin services or databases (guest Wi-Fi, the internet): report every one it reaches")
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log what vigil does to standard error")
	addDBFlag(fl, &f.db)
	addVulnDBFlag(fl, &f.vulnDB)
	fl.BoolVar(&f.noStore, "no-store", false, "do not keep the result in the scan store")
	return cmd
}

func runScan(cmd *cobra.Command, e *env, f *scanFlags, targets []string) error {
	if len(targets) == 0 {
		targets = []string{"127.0.0.1", "::1"}
	}
	ports, err := portscan.ParsePorts(f.ports)
	if err != nil {
		return usageError("-p: %v", err)
	}
	var udp []uint16
	if strings.TrimSpace(f.udpPorts) != "" {
		if udp, err = portscan.ParsePorts(f.udpPorts); err != nil {
			return usageError("--udp-ports: %v", err)
		}
	}
	roots, cas, err := loadRoots(f.tlsCA)
	if err != nil {
		return err
	}
	bar := progress.New(e.stderr, isTerminal(e.stderr) && !f.verbose)
	cfg := engine.Config{
		Targets:  targets,
		Excludes: f.excludes,
		Scope:    scope.Config{AllowPublic: f.allowPublic, MaxHosts: f.maxHosts, Resolver: net.DefaultResolver},
		Dial:     dialer.Config{Rate: f.rate, Concurrency: f.concurrency, Timeout: f.timeout},
		PortSpec: f.ports, Ports: ports, UDPPorts: udp,
		Discovery:      !f.noDiscovery,
		MinTimeout:     min(f.minTimeout, f.timeout),
		PortsOnly:      f.portsOnly,
		NoDefaultCreds: f.noDefaultCreds,
		DNSZones:       f.dnsZones,
		TLSRoots:       roots,
		Label:          f.label,
		Untrusted:      f.untrusted,
		Tool:           "vigil " + e.version,
		Progress:       func(p engine.Progress) { bar.Update(p.Phase, p.Done, p.Total) },
		Run: newRun(e, &f.outputFlags, map[string]any{
			"ports": f.ports, "udp_ports": f.udpPorts, "exclude": nonNilStrings(f.excludes), "tls_ca": nonNilStrings(cas),
			"untrusted": f.untrusted, "no_default_creds": f.noDefaultCreds, "ports_only": f.portsOnly, "discovery": !f.noDiscovery,
			"timeout": f.timeout.String(), "min_timeout": f.minTimeout.String(), "rate": f.rate, "concurrency": f.concurrency,
			"max_hosts": f.maxHosts, "allow_public": f.allowPublic, "label": f.label, "store": !f.noStore,
			"dns_zone": nonNilStrings(f.dnsZones),
		}),
		Log: logger(e.stderr, f.verbose),
	}
	if err := cfg.Validate(); err != nil {
		return usageError("%v", err)
	}
	out, err := newSink(e, &f.outputFlags)
	if err != nil {
		return err
	}
	defer out.Close()
	if !f.noStore {
		cfg.HostAudits = recentHostAudits(cmd.Context(), f.db, cfg.Log)
		cfg.Here = hostaudit.Here(cmd.Context())
	}
	cfg.Accepted = acceptancesInForce(cmd.Context(), f.db, cfg.Log)
	if !f.portsOnly {
		m, vdb, err := openMatcher(cmd.Context(), f.vulnDB, cfg.Log, time.Now())
		if err != nil {
			return err
		}
		if vdb != nil {
			defer vdb.Close()
			cfg.Vulns = m
		}
	}
	doc, err := engine.Run(cmd.Context(), cfg)
	bar.Clear()
	if errors.Is(err, scope.ErrBadTarget) {
		return &exitError{code: ExitUsage, err: err}
	}
	if err != nil {
		return err
	}
	return out.emit(cmd.Context(), doc, "scan")
}

// recentHostAudits returns the latest host audit (vigil host) of each
// machine within the level-5 window, from the store; nil when there is
// none or the store cannot be read (the scan then rates at most level 4,
// as a network scan alone must).
func recentHostAudits(ctx context.Context, dsn string, log *slog.Logger) []*result.Document {
	st := storeToRead(ctx, dsn, log, "cannot read host audits from the store; no host can reach level 5")
	if st == nil {
		return nil
	}
	defer st.Close()
	audits, err := st.LatestHostAudits(ctx, time.Now().Add(-level.HostAuditWindow))
	if err != nil {
		log.Warn("cannot read host audits from the store; no host can reach level 5", "err", err)
		return nil
	}
	return audits
}

// storeToRead opens the store a scan or audit is about to write, to read
// what it holds already; nil, and a warning unless the store simply does
// not exist yet (the result will create it), when it cannot be read.
func storeToRead(ctx context.Context, dsn string, log *slog.Logger, warning string) *store.Store {
	st, err := store.OpenExisting(ctx, dsn)
	if err == nil {
		return st
	}
	if _, statErr := os.Stat(dsn); errors.Is(err, store.ErrNoStore) || errors.Is(err, store.ErrBadDSN) && !strings.Contains(dsn, "://") && errors.Is(statErr, fs.ErrNotExist) {
		return nil
	}
	log.Warn(warning, "err", err)
	return nil
}

// acceptancesInForce returns the risk acceptances that hold now, from the
// store; none when there is no store (a warning when it cannot be read).
func acceptancesInForce(ctx context.Context, dsn string, log *slog.Logger) map[string]finding.Acceptance {
	st := storeToRead(ctx, dsn, log, "cannot read the accepted risks from the store; every finding counts")
	if st == nil {
		return nil
	}
	defer st.Close()
	acc, err := st.InForce(ctx, time.Now())
	if err != nil {
		log.Warn("cannot read the accepted risks from the store; every finding counts", "err", err)
	}
	return acc
}

// failOnError returns an ExitFindings error when a finding reaches min.
func failOnError(doc *result.Document, min finding.Severity) error {
	if !min.Valid() {
		return nil
	}
	n := 0
	for _, fd := range doc.Findings {
		if fd.Severity >= min {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return &exitError{code: ExitFindings, err: fmt.Errorf("%d finding(s) at or above %s", n, min)}
}

// loadRoots returns the system roots plus the certificates in files, and
// the SHA-256 fingerprints of those certificates for the record.
func loadRoots(files []string) (*x509.CertPool, []string, error) {
	if len(files) == 0 {
		return nil, nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	var prints []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, fmt.Errorf("--tls-ca: %w", err)
		}
		n := 0
		for rest := b; ; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if block.Type != "CERTIFICATE" || err != nil {
				continue
			}
			pool.AddCert(cert)
			sum := sha256.Sum256(cert.Raw)
			prints = append(prints, "SHA256:"+hex.EncodeToString(sum[:]))
			n++
		}
		if n == 0 {
			return nil, nil, usageError("--tls-ca %s: no PEM certificate found in the file", file)
		}
	}
	return pool, prints, nil
}

// nonNilStrings returns s, or an empty list for nil (JSON [] rather than null).
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
