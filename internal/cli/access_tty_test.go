package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/auth"
)

// openPTY opens a pseudo-terminal pair; the test is skipped where there is
// none.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("cannot name the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pseudo-terminal's other end: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// lockedBuffer is a buffer two goroutines may use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestUserAddAtTerminal: at a terminal, vigil asks for the password twice
// with echo off; two different answers change nothing.
func TestUserAddAtTerminal(t *testing.T) {
	tests := []struct {
		name          string
		first, second string
		code          int
		added         bool
	}{
		{"same twice", "correct horse battery staple", "correct horse battery staple", ExitOK, true},
		{"two different", "correct horse battery staple", "correct horse battery stapler", ExitUsage, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, slave := openPTY(t)
			db := filepath.Join(t.TempDir(), "vigil.db")
			var stdout, stderr lockedBuffer
			done := make(chan int, 1)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			go func() {
				done <- Execute(ctx, "test", []string{"user", "add", "alice", "--role", "admin", "--db", db}, slave, &stdout, &stderr)
			}()
			// echoOff waits until the terminal no longer echoes, after
			// stderr says want: vigil is then reading a password.
			echoOff := func(want string) {
				t.Helper()
				for {
					tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
					if err != nil {
						t.Fatal(err)
					}
					if tio.Lflag&unix.ECHO == 0 && strings.Contains(stderr.String(), want) {
						return
					}
					select {
					case code := <-done:
						t.Fatalf("vigil ended (exit %d) before asking %q: %s", code, want, stderr.String())
					case <-ctx.Done():
						t.Fatalf("vigil did not ask %q with echo off: %s", want, stderr.String())
					case <-time.After(5 * time.Millisecond):
					}
				}
			}
			echoOff("New password for alice")
			fmt.Fprintf(master, "%s\n", tt.first)
			echoOff("The same again")
			fmt.Fprintf(master, "%s\n", tt.second)
			var code int
			select {
			case code = <-done:
			case <-ctx.Done():
				t.Fatal("vigil did not finish")
			}
			if code != tt.code || stdout.String() != "" {
				t.Fatalf("exit %d, stdout %q, want exit %d: %s", code, stdout.String(), tt.code, stderr.String())
			}
			if tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS); err != nil || tio.Lflag&unix.ECHO == 0 {
				t.Error("the terminal's echo was not restored")
			}
			if strings.Contains(stderr.String(), tt.first) {
				t.Error("the password was written to standard error")
			}
			if !tt.added {
				if _, err := os.Stat(db); err == nil {
					if u, _ := openTestStore(t, db).Users(t.Context()); len(u) != 0 {
						t.Errorf("users added: %+v", u)
					}
				}
				return
			}
			u, err := openTestStore(t, db).User(t.Context(), "alice")
			if err != nil || !auth.CheckPassword(u.Hash, tt.first) {
				t.Errorf("alice = %+v, %v; want her password to check", u, err)
			}
		})
	}
}
