package cli

import (
	"fmt"
	"os"
	"testing"
)

// TestMain points the default scan store at a temporary directory, so no
// test writes into the real user's data directory.
func TestMain(m *testing.M) {
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
