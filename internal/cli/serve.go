package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/schedule"
	"github.com/vigilsec/vigil/internal/serve"
	"github.com/vigilsec/vigil/internal/store"
)

// serveFlags are the flags of `vigil serve`.
type serveFlags struct {
	listen, db, tlsCert, tlsKey, sshKey, knownHosts, vulnDB string
	allowPublic, verbose                                    bool
	maxScans                                                int
	grace                                                   time.Duration
}

func newServeCmd(e *env) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the dashboard and the JSON API over the scan store: scans, schedules, alerts, users",
		Long: `Serve a web UI and a JSON API (/api/v1/, described at /api/v1/openapi.json)
over the same store as the CLI. Users log in with accounts made by
'vigil user add'; programs use tokens made by 'vigil token create'.

On 127.0.0.1 (the default) it serves plain HTTP. On any other address it
serves only HTTPS: with --tls-cert and --tls-key, or with a self-signed
certificate it makes and keeps beside the store, whose SHA-256 fingerprint
it prints. It needs no root: scans use the unprivileged connect scan, and
host audits run over SSH with --ssh-key. Scans obey the CLI's scope rules:
public addresses need --allow-public.

SIGTERM or Ctrl-C stops it gracefully: no new work is taken, running scans
get --grace to finish and are otherwise marked incomplete.`,
		Example: `  vigil serve
  vigil serve --listen 10.0.0.2:8600 --tls-cert cert.pem --tls-key key.pem
  vigil serve --db postgres://vigil@db/vigil --max-scans 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8600", "address to serve on; anything but loopback is served over TLS only")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate to serve HTTPS with (default off loopback: a self-signed one)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fl.BoolVar(&f.allowPublic, "allow-public", false, "let scans and schedules name targets outside private, loopback and link-local ranges")
	fl.IntVar(&f.maxScans, "max-scans", 2, "at most this many scans and host audits run at once")
	fl.StringVar(&f.sshKey, "ssh-key", "", "private key for host audits over SSH (scheduled host audits)")
	fl.StringVar(&f.knownHosts, "known-hosts", "", "known_hosts file for host audits over SSH (default: ~/.ssh/known_hosts)")
	fl.DurationVar(&f.grace, "grace", 30*time.Second, "on shutdown, how long running scans may go on before they are stopped and marked incomplete")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log requests and work to standard error")
	addDBFlag(fl, &f.db)
	addVulnDBFlag(fl, &f.vulnDB)
	return cmd
}

func runServe(ctx context.Context, e *env, f *serveFlags) error {
	if f.maxScans < 1 || f.maxScans > 64 {
		return usageError("--max-scans %d: give 1 to 64", f.maxScans)
	}
	loop, err := serve.Loopback(f.listen)
	if err != nil {
		return usageError("%v", err)
	}
	given := serve.TLSFiles{Cert: f.tlsCert, Key: f.tlsKey}
	if given.Cert != "" || given.Key != "" {
		if err := serve.CheckTLSFiles(given); err != nil {
			return usageError("%v", err)
		}
	}
	log := logger(e.stderr, f.verbose)
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()

	var tlsFiles *serve.TLSFiles
	switch {
	case given.Cert != "":
		tlsFiles = &given
	case !loop:
		dir, err := certDir(f.db, st)
		if err != nil {
			return err
		}
		host, _, _ := net.SplitHostPort(f.listen)
		names := []string{"localhost", "127.0.0.1"}
		if host != "" && host != "0.0.0.0" && host != "::" {
			names = append(names, host)
		}
		if h, err := os.Hostname(); err == nil && h != "" {
			names = append(names, h)
		}
		files, made, err := serve.SelfSigned(dir, names, time.Now())
		if err != nil {
			return err
		}
		if made {
			fmt.Fprintf(e.stderr, "Made a self-signed TLS certificate: %s\n", files.Cert)
		}
		tlsFiles = &files
	}

	dispatcher := alert.NewDispatcher(st, nil, log)
	srv, err := serve.New(serve.Options{
		Store: st, AllowPublic: f.allowPublic, MaxScans: f.maxScans, TLS: tlsFiles != nil, Version: e.version,
		Grace: f.grace, Log: log, Alerts: dispatcher,
		ScanConfig: func(ctx context.Context, j store.Job) (engine.Config, func(), error) {
			cfg, err := serve.BaseScanConfig(ctx, st, j, f.allowPublic, e.version)
			if err != nil {
				return cfg, nil, err
			}
			m, vdb, err := openMatcher(ctx, f.vulnDB, log, time.Now())
			if err != nil {
				return cfg, nil, err
			}
			done := func() {}
			if vdb != nil {
				cfg.Vulns = m
				done = func() { vdb.Close() }
			}
			return cfg, done, nil
		},
		HostAudit: serveHostAudit(e, f),
	})
	if err != nil {
		return err
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	l, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", f.listen, err)
	}
	scheme := "http"
	if tlsFiles != nil {
		scheme = "https"
		fp, err := serve.Fingerprint(tlsFiles.Cert)
		if err != nil {
			l.Close()
			return err
		}
		fmt.Fprintf(e.stderr, "TLS certificate SHA-256 fingerprint: %s\n", fp)
	}
	fmt.Fprintf(e.stderr, "vigil serve: %s://%s/ (store %s)\n", scheme, l.Addr(), st.Where())
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go srv.Daily(bg, time.After)
	go func() {
		if err := srv.RunSchedules(bg, schedule.RealClock()); err != nil {
			log.Warn("schedules do not run", "err", err)
		}
	}()
	err = srv.Serve(ctx, l, tlsFiles)
	stopBG()
	dispatcher.Stop()
	dispatcher.Wait()
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "vigil serve: stopped; unfinished scans are marked incomplete.")
	return nil
}

// certDir is where the self-signed certificate is kept: beside the SQLite
// store, or in vigil's data directory for PostgreSQL.
func certDir(dsn string, st *store.Store) (string, error) {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(dsn)), "postgres") {
		p, err := store.DefaultPath()
		if err != nil {
			return "", err
		}
		return filepath.Dir(p), nil
	}
	return filepath.Dir(st.Where()), nil
}

// serveHostAudit runs a host audit job over SSH as `vigil host --ssh`
// does; nil without --ssh-key.
func serveHostAudit(e *env, f *serveFlags) func(ctx context.Context, j store.Job) (*result.Document, error) {
	if f.sshKey == "" {
		return nil
	}
	return func(ctx context.Context, j store.Job) (*result.Document, error) {
		if len(j.Targets) != 1 {
			return nil, errors.New("a host audit names one user@host")
		}
		hf := &hostFlags{ssh: j.Targets[0], identity: f.sshKey, knownHosts: f.knownHosts, allowPublic: f.allowPublic, timeout: 10 * time.Second}
		hf.db, hf.vulnDB = f.db, f.vulnDB
		log := logger(e.stderr, f.verbose)
		started := time.Now()
		s, err := dialHost(ctx, hf)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		judge, done, err := hostJudgement(ctx, e, &hf.outputFlags, true, started, log)
		if err != nil {
			return nil, err
		}
		defer done()
		doc, err := engine.HostAudit(ctx, s, hostaudit.Options{}, judge)
		if err != nil {
			return nil, err
		}
		run := newRun(e, &hf.outputFlags, map[string]any{"ssh": hf.ssh, "job": j.ID, "schedule": j.Schedule, "server": true})
		run.Operator = j.Actor
		run.Scanner.Addresses = []string{s.LocalAddr()}
		doc.Run = &run
		return doc, nil
	}
}
