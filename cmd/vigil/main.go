// Command vigil is a security inspector for your own servers: it finds open
// and exposed services, cleartext and outdated protocols, weak
// configurations, says how to fix each, and rates your security level.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vigilsec/vigil/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, version, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
