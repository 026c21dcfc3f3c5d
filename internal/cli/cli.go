// Package cli wires vigil's commands and flags: it parses, calls the
// packages that do the work, and prints. It holds no scanning logic.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vigilsec/vigil/internal/buildinfo"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/vulnfeed"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitError    = 1
	ExitUsage    = 2
	ExitFindings = 3 // --fail-on matched a finding
)

// Interrupted is the cause of a context a signal cancelled: commands stop,
// and vigil exits with status 128 plus the signal's number (130 for
// SIGINT, 143 for SIGTERM).
type Interrupted struct{ Signal syscall.Signal }

func (i Interrupted) Error() string { return "interrupted by " + signalName(i.Signal) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT (Ctrl-C)"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// env is what every command needs from the process.
type env struct {
	// conf is the configuration file's settings (config.go).
	conf    config
	version string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	// feeds and feedClient are where and how 'vigil vulndb update'
	// downloads: the public feeds and a client of vulnfeed's own when
	// zero; tests give a server on loopback and a client that reaches
	// nothing else.
	feeds      vulnfeed.Sources
	feedClient *http.Client
}

// exitError carries an exit code other than ExitError up to Execute.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks a mistake in how vigil was called.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// Main runs vigil as a process: the standard streams, and signals. The
// first SIGINT or SIGTERM cancels the work with the signal as its cause
// (the exit status is then 128 plus the signal's number); a second one
// ends vigil at once.
func Main(version string, args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig, ok := <-sigs
		signal.Stop(sigs)
		if ok {
			cancel(Interrupted{Signal: sig.(syscall.Signal)})
		}
	}()
	return Execute(ctx, version, args, os.Stdin, os.Stdout, os.Stderr)
}

// Execute runs vigil with args (without the program name) and returns the
// process exit code.
func Execute(ctx context.Context, version string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(ctx, &env{version: version, stdin: stdin, stdout: stdout, stderr: stderr}, args)
}

// execute runs vigil in e with args and returns the exit code.
func execute(ctx context.Context, e *env, args []string) int {
	stdin, stdout, stderr := e.stdin, e.stdout, e.stderr
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var sig Interrupted
	if errors.As(context.Cause(ctx), &sig) && (err != nil || ctx.Err() != nil) {
		// Whatever the command was doing, it did not finish: no level and
		// no result stand for work that was cut short.
		msg := "stopped"
		if err != nil {
			msg = err.Error()
		}
		fmt.Fprintf(stderr, "vigil: %s: %s\n", sig, msg)
		return 128 + int(sig.Signal)
	}
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, store.ErrNoStore) {
		// A read-only command on a store that does not exist yet: nothing
		// to show, nothing was created.
		fmt.Fprintf(stderr, "vigil: %v. Run 'vigil scan' or 'vigil host' to make one.\n", err)
		return ExitOK
	}
	var xe *exitError
	code := ExitError
	hint := ""
	if errors.As(err, &xe) {
		code = xe.code
		if xe.err == nil {
			return code
		}
	} else if isFlagError(err) {
		// cobra's own words name the flag but not what to do.
		code, hint = ExitUsage, " (vigil --help lists the commands and flags)"
	}
	fmt.Fprintf(stderr, "vigil: %v%s\n", err, hint)
	return code
}

// isFlagError recognises cobra's errors about unknown commands and flags.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand", "unknown command", "invalid argument", "flag needs an argument", "accepts ", "requires "} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// Command returns vigil's command tree as Execute runs it, with cobra's
// help and completion commands in place, for the tools that document it
// (man pages, shell completions). Running it prints to stdout and stderr.
func Command(version string, stdout, stderr io.Writer) *cobra.Command {
	root := newRoot(&env{version: version, stdin: os.Stdin, stdout: stdout, stderr: stderr})
	root.SetOut(stdout)
	root.SetErr(stderr)
	// The completion command writes where the root's output goes now.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "vigil",
		Short: "Inspect your own servers: open ports, exposed services, cleartext, weak TLS/SSH, and how to fix them",
		Long: `vigil scans the servers you name, finds ports left open, management
services exposed, services talking in cleartext or with outdated TLS/SSH,
and weak configurations; it says exactly how to fix each one and rates your
security level from 1 (exposed) to 5 (strong). Nothing leaves your machine.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionText(e.version),
		// Settings a site gives once: VIGIL_DB and the configuration file
		// fill the flags the command line leaves out.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			c, path, err := loadConfig()
			if err != nil {
				return err
			}
			e.conf = c
			return applyConfig(cmd, c, path)
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	// Defined here, cobra would give --version the shorthand -v: -v is
	// --verbose in every command (those that log define their own).
	root.Flags().Bool("version", false, "print vigil's version and the commit it was built from")
	root.PersistentFlags().BoolP("verbose", "v", false, "log what vigil does to standard error")
	host := newHostCmd(e)
	host.AddCommand(newObserveCmd(e))
	root.AddCommand(newScanCmd(e), host, newFixCmd(e), newAcceptCmd(e), newReportCmd(e), newScansCmd(e), newDiffCmd(e), newCompareCmd(e), newChecksCmd(e), newVulnDBCmd(e), newVersionCmd(e))
	root.AddCommand(newServeCmd(e))
	root.AddCommand(newUserCmd(e), newTokenCmd(e), newAuditLogCmd(e))
	root.AddCommand(newDataCmd(e))
	return root
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print vigil's version and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(e.stdout, versionText(e.version))
			return err
		},
	}
}

// versionText is what --version and the version command print: version,
// revision, toolchain.
func versionText(version string) string {
	info := buildinfo.Read()
	info.Version = version
	return info.String()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// colorWanted decides colour for w from --color and the NO_COLOR convention.
func colorWanted(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		return isTerminal(w) && os.Getenv("NO_COLOR") == "", nil
	}
	return false, usageError("--color %q: use auto, always or never", mode)
}

// logger logs to stderr: warnings by default, debug with --verbose.
func logger(w io.Writer, verbose bool) *slog.Logger {
	lvl := slog.LevelWarn
	if verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}
