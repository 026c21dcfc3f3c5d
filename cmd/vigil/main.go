// Command vigil is a security inspector for your own servers: it finds open
// and exposed services, cleartext and outdated protocols, weak
// configurations, says how to fix each, and rates your security level.
package main

import (
	"os"

	"github.com/vigilsec/vigil/internal/buildinfo"
	"github.com/vigilsec/vigil/internal/cli"
)

func main() {
	os.Exit(cli.Main(buildinfo.Version(), os.Args[1:]))
}
