package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func TestVersion(t *testing.T) {
	code, flag, stderr := run(t, "--version")
	if code != ExitOK {
		t.Fatalf("--version: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(flag, "vigil test\nrevision ") || !strings.Contains(flag, "\nbuilt with go") {
		t.Errorf("--version printed %q, want the version, then the revision, then the toolchain", flag)
	}
	code, cmd, stderr := run(t, "version")
	if code != ExitOK {
		t.Fatalf("version: exit %d: %s", code, stderr)
	}
	if cmd != flag {
		t.Errorf("vigil version printed %q, vigil --version %q", cmd, flag)
	}
}

// TestVIsNeverVersion: -v is --verbose wherever it exists, and the root
// command does not take it for --version.
func TestVIsNeverVersion(t *testing.T) {
	code, stdout, stderr := run(t, "-v")
	if code != ExitOK || strings.Contains(stdout+stderr, "revision") {
		t.Errorf("vigil -v: exit %d, stdout %q, stderr %q; want help, not the version", code, stdout, stderr)
	}
	root := newRoot(&env{version: "test"})
	root.InitDefaultVersionFlag()
	if f := root.Flags().Lookup("version"); f == nil || f.Shorthand != "" {
		t.Errorf("root --version flag %+v, want one without shorthand", f)
	}
	verbose := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().ShorthandLookup("v") == nil && c.InheritedFlags().ShorthandLookup("v") == nil {
			t.Errorf("%s has no -v", c.CommandPath())
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Shorthand == "v" {
				verbose++
				if f.Name != "verbose" {
					t.Errorf("%s: -v is --%s, want --verbose", c.CommandPath(), f.Name)
				}
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if verbose == 0 {
		t.Error("no command has -v for --verbose: the test no longer looks at the right flags")
	}
}
