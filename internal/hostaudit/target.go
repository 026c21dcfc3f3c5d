package hostaudit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/redact"
)

// Target is the machine being audited: this one, or one reached over SSH.
type Target interface {
	// Run runs a command and returns its standard output, at most
	// MaxOutput bytes, within the context's deadline (and DefaultTimeout
	// at the longest). A command that exits non-zero returns what it
	// printed and an error that quotes its standard error; a command that
	// does not exist returns an error wrapping ErrNoCommand.
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
	// ReadFile reads a file of at most MaxOutput bytes.
	ReadFile(ctx context.Context, path string) ([]byte, error)
}

// Limits of every command and file read.
const (
	// MaxOutput caps what one command may print and one file may hold.
	MaxOutput = 16 << 20
	// DefaultTimeout bounds a command whose context has no earlier deadline.
	DefaultTimeout = 30 * time.Second
	// maxStderr caps the standard error kept for messages.
	maxStderr = 64 << 10
)

// Sentinel errors of Targets.
var (
	// ErrNoCommand means the command is not installed on the target.
	ErrNoCommand = errors.New("command not found")
	// ErrTooLarge means a command printed, or a file held, more than MaxOutput.
	ErrTooLarge = errors.New("larger than 16 MiB")
)

// Local returns the Target for this machine: commands run as vigil's own
// user, files are read directly. Inside a network namespace (ip netns exec)
// it sees that namespace's sockets, as /proc/net follows the reader's.
func Local() Target { return localTarget{} }

// localTarget runs commands and reads files on this machine.
type localTarget struct{}

// Run implements Target.
func (localTarget) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, ErrNoCommand)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Stdin = nil
	cmd.WaitDelay = 2 * time.Second
	stderr := &capped{max: maxStderr}
	cmd.Stderr = stderr
	stdout := &limited{max: MaxOutput}
	cmd.Stdout = stdout
	err = cmd.Run()
	out := stdout.buf.Bytes()
	switch {
	case stdout.over:
		return nil, fmt.Errorf("the output of %s is %w", name, ErrTooLarge)
	case ctx.Err() != nil:
		return out, fmt.Errorf("%s did not finish in time: %w", name, ctx.Err())
	case err != nil:
		return out, commandError(name, err, stderr.Bytes())
	}
	return out, nil
}

// ReadFile implements Target.
func (localTarget) ReadFile(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxOutput+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(b) > MaxOutput {
		return nil, fmt.Errorf("%s is %w", path, ErrTooLarge)
	}
	return b, nil
}

// commandError phrases a failed command with the first lines of what it
// said on standard error.
func commandError(name string, err error, stderr []byte) error {
	msg := strings.TrimSpace(strings.ReplaceAll(string(stderr), "\r", ""))
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		if j := strings.IndexByte(msg[i+1:], '\n'); j >= 0 {
			msg = msg[:i+1+j]
		}
	}
	msg = redact.String(strings.ReplaceAll(msg, "\n", "; "))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return fmt.Errorf("%s failed: %w: %s", name, err, msg)
}

// capped is a writer that keeps the first max bytes and discards the rest
// without failing, so a chatty command is never blocked on it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Bytes returns what was kept.
func (c *capped) Bytes() []byte { return c.buf.Bytes() }

// limited is a writer that fails once more than max bytes were written,
// which stops the copy from the command (it then gets SIGPIPE).
type limited struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (l *limited) Write(p []byte) (int, error) {
	if l.buf.Len()+len(p) > l.max {
		l.over = true
		return 0, ErrTooLarge
	}
	return l.buf.Write(p)
}

// sudoTarget runs every command of another Target through sudo -n, and
// reads files with sudo -n cat.
type sudoTarget struct{ t Target }

func (s sudoTarget) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, err := s.t.Run(ctx, "sudo", append([]string{"-n", "--", name}, args...)...)
	switch {
	case err == nil:
	case strings.Contains(err.Error(), "a password is required"):
		return out, fmt.Errorf("%w (--sudo needs passwordless sudo for this user on the target: sudo -n)", err)
	case strings.Contains(err.Error(), name+": command not found"):
		return out, fmt.Errorf("%s: %w", name, ErrNoCommand)
	}
	return out, err
}

func (s sudoTarget) ReadFile(ctx context.Context, path string) ([]byte, error) {
	return s.Run(ctx, "cat", "--", path)
}

// remote returns the user@host of a remote Target, or "".
func remote(t Target) string {
	switch v := t.(type) {
	case sudoTarget:
		return remote(v.t)
	case *bundled:
		return remote(v.t)
	case *asDaemon:
		return remote(v.Target)
	case interface{ Remote() string }:
		return v.Remote()
	}
	return ""
}

// isLocal reports whether t is this machine, read directly.
func isLocal(t Target) bool {
	switch v := t.(type) {
	case localTarget:
		return true
	case *asDaemon:
		return isLocal(v.Target)
	}
	return false
}
