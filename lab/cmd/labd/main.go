// Command labd runs the parts of vigil's lab that Debian does not ship: an
// inetd for telnetd, hostile servers (trickle, flood, escape), emulators of
// legacy TLS and SSH that today's OpenSSL and OpenSSH can no longer produce,
// servers that answer with garbage, servers that announce old,
// known-vulnerable versions, many-port listeners for the firewalled
// namespace host, and a readiness check for lab.sh.
//
// Usage:
//
//	labd [-pidfile F] inetd ADDR -- PROGRAM [ARG…]
//	labd [-pidfile F] trickle|flood|escape ADDR
//	labd [-pidfile F] -cert PEM legacy-tls ADDR
//	labd [-pidfile F] [-cert PEM] -variant ssh1|ssh199|terrapin legacy-ssh ADDR
//	labd [-pidfile F] -cert PEM -variant heartbleed|ccs|robot|crime vuln-tls ADDR
//	labd [-pidfile F] tls-garbage|tls-truncated|tls-endless ADDR
//	labd [-pidfile F] ssh-garbage|ssh-endless ADDR
//	labd [-pidfile F] -product apache|nginx|exim|vsftpd|proftpd|memcached|redis|dnsmasq old-banner ADDR
//	labd [-pidfile F] listen-many ADDR PORTS
//	labd [-timeout D] [-v] wait MANIFEST
//
// Every server listens only on the address it is given, reads with a
// deadline and a size cap, and stops on SIGTERM or SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "labd:", err)
		os.Exit(1)
	}
}

// options are the flags shared by all modes.
type options struct {
	pidfile string
	cert    string
	variant string
	product string
	timeout time.Duration
	verbose bool
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("labd", flag.ContinueOnError)
	fs.StringVar(&o.pidfile, "pidfile", "", "write the process id to this file")
	fs.StringVar(&o.cert, "cert", "", "PEM certificate (legacy-tls, legacy-ssh ssh1 host key)")
	fs.StringVar(&o.variant, "variant", "terrapin", "legacy-ssh variant: ssh1, ssh199 or terrapin; vuln-tls variant: heartbleed, ccs, robot or crime")
	fs.StringVar(&o.product, "product", "", "old-banner: the server to play ("+oldProductNames()+")")
	fs.DurationVar(&o.timeout, "timeout", 45*time.Second, "wait: how long to wait for the services")
	fs.BoolVar(&o.verbose, "v", false, "wait: say when each service answers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 2 {
		return errors.New("usage: labd [flags] MODE ADDR [ARGS] (see the package documentation)")
	}
	mode, addr := rest[0], rest[1]
	if mode == "wait" {
		return waitManifest(ctx, addr, o.timeout, o.verbose)
	}
	if o.pidfile != "" {
		if err := os.WriteFile(o.pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return err
		}
		defer os.Remove(o.pidfile)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("mode", mode, "addr", addr)
	switch mode {
	case "inetd":
		if len(rest) < 4 || rest[2] != "--" {
			return errors.New("usage: labd inetd ADDR -- PROGRAM [ARG…]")
		}
		return serveInetd(ctx, log, addr, rest[3:])
	case "trickle":
		return serve(ctx, log, addr, 64, hostileLifetime, trickle)
	case "flood":
		return serve(ctx, log, addr, 16, hostileLifetime, flood)
	case "escape":
		return serve(ctx, log, addr, 64, time.Minute, escape)
	case "legacy-tls":
		h, err := newLegacyTLS(o.cert)
		if err != nil {
			return err
		}
		return serve(ctx, log, addr, 64, time.Minute, h.handle)
	case "legacy-ssh":
		h, err := newLegacySSH(o.variant, o.cert)
		if err != nil {
			return err
		}
		return serve(ctx, log, addr, 64, time.Minute, h.handle)
	case "vuln-tls":
		if o.cert == "" {
			return errVulnUsage
		}
		h, err := newVulnTLS(o.variant, o.cert)
		if err != nil {
			return err
		}
		return serve(ctx, log, addr, 64, time.Minute, h.handle)
	case "tls-garbage":
		return serve(ctx, log, addr, 64, time.Minute, tlsGarbage)
	case "tls-truncated":
		return serve(ctx, log, addr, 64, hostileLifetime, tlsTruncated)
	case "tls-endless":
		return serve(ctx, log, addr, 16, hostileLifetime, tlsEndless)
	case "ssh-garbage":
		return serve(ctx, log, addr, 64, time.Minute, sshGarbage)
	case "ssh-endless":
		return serve(ctx, log, addr, 16, hostileLifetime, sshEndless)
	case "old-banner":
		return serveOldBanner(ctx, log, o.product, addr)
	case "listen-many":
		if len(rest) != 3 {
			return errors.New("usage: labd listen-many ADDR PORTS (e.g. 22,80,8000-8010)")
		}
		ports, err := parsePorts(rest[2])
		if err != nil {
			return err
		}
		return listenMany(ctx, log, addr, ports)
	}
	return fmt.Errorf("unknown mode %q", mode)
}
