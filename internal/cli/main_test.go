package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the default scan store at a temporary directory, so no
// test writes into the real user's data directory.
//
// Run with VIGIL_TEST_HELPER=listen, the test binary is a plain TCP
// listener and takes its arguments as they come: lab tests give it any
// name and command line, as a daemon that lies about itself would have.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "listen" {
		listenHelper()
	}
	dir, err := os.MkdirTemp("", "vigil-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_DATA_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
