// Command dist builds vigil's release files: a static binary per
// architecture, stamped with its version and commit, and a Debian package
// per architecture that installs the binary, its man pages and its bash,
// zsh and fish completions. `make dist` runs it from the repository's top
// directory; it needs git, dpkg-deb and the Go toolchain.
//
// Usage:
//
//	go run ./internal/dist [-o DIR] [-version V] [-maintainer 'Name <address>'] [ARCH...]
//
// ARCH is a Go architecture (amd64, arm64, ...); the default is amd64 and
// arm64. The version defaults to `git describe --tags --always --dirty`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// defaultArches are the architectures `make dist` builds.
var defaultArches = []string{"amd64", "arm64"}

func main() {
	fl := flag.NewFlagSet("dist", flag.ContinueOnError)
	out := fl.String("o", "dist", "directory to write the binaries and packages into")
	version := fl.String("version", "", "version to stamp (default: git describe --tags --always --dirty)")
	maintainer := fl.String("maintainer", defaultMaintainer, "the Debian packages' Maintainer field")
	if err := fl.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	arches := fl.Args()
	if len(arches) == 0 {
		arches = defaultArches
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *out, *version, *maintainer, arches)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dist: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out, version, maintainer string, arches []string) error {
	r, err := describe(ctx, ".", version, maintainer)
	if err != nil {
		return err
	}
	made, err := build(ctx, r, out, arches)
	if err != nil {
		return err
	}
	fmt.Printf("vigil %s (Debian version %s, revision %s)\n", r.version, r.debVersion, r.revision)
	for _, f := range made {
		fmt.Println(f.path)
	}
	return nil
}
