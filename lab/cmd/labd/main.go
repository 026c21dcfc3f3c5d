// Command labd runs the parts of vigil's lab that Debian does not ship: an
// inetd for telnetd, hostile servers (trickle, flood, escape), emulators of
// legacy TLS and SSH that today's OpenSSL and OpenSSH can no longer produce,
// servers that answer with garbage, servers that announce old,
// known-vulnerable versions, web administration consoles (web-admin),
// emulators of APIs, cameras and printers (k8s-api, kubelet, couchdb,
// rabbitmq-mgmt, rtsp-camera, pjl-printer), the PRELOGIN of Microsoft SQL
// Server and the WinRM listener of Windows (mssql, winrm), a relay from a
// lab alias to a host in one of the lab's network namespaces (forward), an
// NTP server answering mode 6 and mode 7 (ntp-amp), many-port listeners for
// the firewalled namespace host, and a readiness check for lab.sh.
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
//	labd [-pidfile F] -product jenkins|grafana|tomcat|tomcat-hard|phpmyadmin web-admin ADDR
//	labd [-pidfile F] [-tls [-cert PEM -key PEM]] -variant open|secure k8s-api|kubelet ADDR
//	labd [-pidfile F] -variant party|secure couchdb ADDR
//	labd [-pidfile F] rabbitmq-mgmt|rtsp-camera|pjl-printer ADDR
//	labd [-pidfile F] -variant weak|hard mssql ADDR
//	labd [-pidfile F] winrm ADDR
//	labd [-pidfile F] forward ADDR TARGET tcp/PORT,udp/PORT,…
//	labd [-pidfile F] listen-many ADDR PORTS
//	labd [-pidfile F] ntp-amp ADDR
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
	tls     bool
	key     string
}

func run(ctx context.Context, args []string) error {
	var o options
	fs := flag.NewFlagSet("labd", flag.ContinueOnError)
	fs.StringVar(&o.pidfile, "pidfile", "", "write the process id to this file")
	fs.StringVar(&o.cert, "cert", "", "PEM certificate (legacy-tls, legacy-ssh ssh1 host key)")
	fs.StringVar(&o.variant, "variant", "terrapin", "legacy-ssh variant: ssh1, ssh199 or terrapin; k8s-api, kubelet: open or secure; couchdb: party or secure; mssql: weak or hard; vuln-tls: heartbleed, ccs, robot or crime")
	fs.StringVar(&o.product, "product", "", "old-banner: the server to play ("+oldProductNames()+")")
	fs.DurationVar(&o.timeout, "timeout", 45*time.Second, "wait: how long to wait for the services")
	fs.BoolVar(&o.verbose, "v", false, "wait: say when each service answers")
	fs.BoolVar(&o.tls, "tls", false, "k8s-api, kubelet: serve inside TLS, with -cert and -key, or a self-signed certificate")
	fs.StringVar(&o.key, "key", "", "k8s-api, kubelet: PEM private key of -cert")
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
	case "ntp-amp":
		return serveNTPAmp(ctx, log, addr)
	case "old-banner":
		return serveOldBanner(ctx, log, o.product, addr)
	case "web-admin":
		return serveWebAdmin(ctx, log, o.product, addr)
	case "k8s-api", "kubelet":
		return serveK8s(ctx, log, mode, o.variant, addr, o.tls, o.cert, o.key)
	case "couchdb":
		return serveCouchDB(ctx, log, o.variant, addr)
	case "rabbitmq-mgmt":
		return serveRabbitMgmt(ctx, log, addr)
	case "rtsp-camera":
		return serve(ctx, log, addr, 64, time.Minute, rtspCamera)
	case "pjl-printer":
		return serve(ctx, log, addr, 64, time.Minute, pjlPrinter)
	case "mssql":
		h, err := newMSSQL(o.variant)
		if err != nil {
			return err
		}
		return serve(ctx, log, addr, 64, time.Minute, h)
	case "winrm":
		return serveWinRM(ctx, log, addr)
	case "forward":
		if len(rest) != 4 {
			return errors.New("usage: labd forward ADDR TARGET tcp/PORT,udp/PORT,…")
		}
		return serveForward(ctx, log, addr, rest[2], rest[3])
	case "data-gen":
		return dataGen(addr)
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
