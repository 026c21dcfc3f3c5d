package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockWait bounds how long Require waits for another lab.sh run, or for
// tests of other packages that still use the lab, before giving up.
const lockWait = 8 * time.Minute

// Require returns the running lab's manifest, starting the lab with
// `lab/lab.sh up` when it is not running or a TCP service does not accept
// connections. It skips the test when not run as root or when the lab cannot
// be started, and fails it instead when the environment has CI=true.
//
// The test holds a shared lock on the lab until it ends, so that a
// concurrent `lab.sh up` (which restarts every service) waits for it.
func Require(t testing.TB) *Manifest {
	t.Helper()
	requireRoot(t)
	dir := Dir()
	f := sharedLock(t, filepath.Join(dir, ".lock"))
	if m, err := Load(dir); err == nil && healthy(t.Context(), m) == nil {
		return m
	}
	out, err := relock(t, f, func() (string, error) {
		if m, err := Load(dir); err == nil && healthy(t.Context(), m) == nil {
			return "", nil // someone else started it while we waited
		}
		return runScript(t.Context(), "lab.sh", "up", "VIGIL_LAB_LOCK_HELD=1")
	})
	if err != nil {
		unavailable(t, "cannot start the lab: %v\n%s", err, tail(out, 40))
	}
	m, err := Load(dir)
	if err == nil {
		err = healthy(t.Context(), m)
	}
	if err != nil {
		unavailable(t, "the lab started but is not usable: %v\n%s", err, tail(out, 40))
	}
	return m
}

// RequireNetns returns the firewalled namespace host, building it with
// `lab/netns.sh up` when it is missing. It skips or fails like Require.
func RequireNetns(t testing.TB) NetnsInfo {
	t.Helper()
	requireRoot(t)
	dir := Dir()
	f := sharedLock(t, filepath.Join(dir, ".netns.lock"))
	if n, err := LoadNetns(dir); err == nil && netnsAlive(dir, n) == nil {
		return n
	}
	out, err := relock(t, f, func() (string, error) {
		if n, err := LoadNetns(dir); err == nil && netnsAlive(dir, n) == nil {
			return "", nil
		}
		return runScript(t.Context(), "netns.sh", "up", "VIGIL_NETNS_LOCK_HELD=1")
	})
	if err != nil {
		unavailable(t, "cannot build the namespace host: %v\n%s", err, tail(out, 40))
	}
	n, err := LoadNetns(dir)
	if err == nil {
		err = netnsAlive(dir, n)
	}
	if err != nil {
		unavailable(t, "the namespace host is not usable: %v\n%s", err, tail(out, 40))
	}
	return n
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "the lab needs root: it starts daemons on loopback aliases and network namespaces")
	}
}

// unavailable fails the test under CI=true and skips it otherwise.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// sharedLock opens path and takes a shared flock on it, released when the
// test ends.
func sharedLock(t testing.TB, path string) *os.File {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		unavailable(t, "cannot create the lab directory: %v", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		unavailable(t, "cannot open the lab lock: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	if err := flock(t.Context(), f, syscall.LOCK_SH); err != nil {
		unavailable(t, "cannot lock the lab: %v", err)
	}
	return f
}

// relock drops the shared lock, runs start under an exclusive lock, and
// takes the shared lock back. Dropping first avoids two tests that both
// hold the shared lock waiting for each other's upgrade.
func relock(t testing.TB, f *os.File, start func() (string, error)) (string, error) {
	t.Helper()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN); err != nil {
		return "", fmt.Errorf("cannot unlock the lab lock: %w", err)
	}
	if err := flock(t.Context(), f, syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("waiting for the lab (another lab.sh, or tests still using it; possibly this test binary itself): %w", err)
	}
	out, err := start()
	if lerr := flock(t.Context(), f, syscall.LOCK_SH); lerr != nil && err == nil {
		err = lerr
	}
	return out, err
}

// flock takes the lock, polling so that the wait is bounded by lockWait and
// by ctx.
func flock(ctx context.Context, f *os.File, how int) error {
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("flock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("flock %s: still held by another process after %v", f.Name(), lockWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// healthy reports the first TCP service that does not accept a connection.
func healthy(ctx context.Context, m *Manifest) error {
	if m.Attacker.UID <= 0 {
		return errors.New("the manifest is an older lab.sh's: it names no attacker account")
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, s := range m.Services {
		if s.Transport != "tcp" {
			continue
		}
		wg.Go(func() {
			if err := s.Answer(ctx, 2*time.Second); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// netnsAlive checks that both namespaces exist and the listeners' process
// inside the server namespace runs.
func netnsAlive(dir string, n NetnsInfo) error {
	for _, ns := range []string{n.ClientNS, n.ServerNS} {
		if _, err := os.Stat(filepath.Join("/run/netns", ns)); err != nil {
			return fmt.Errorf("network namespace %s is missing: %w", ns, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "netns", "labd.pid"))
	if err != nil {
		return fmt.Errorf("the namespace host's listeners are not running: %w", err)
	}
	pid := strings.TrimSpace(string(b))
	if _, err := os.Stat(filepath.Join("/proc", pid)); err != nil {
		return fmt.Errorf("the namespace host's listeners (pid %s) are not running", pid)
	}
	return nil
}

// runScript runs lab/NAME ARG from the repository and returns its output.
func runScript(ctx context.Context, name, arg string, env ...string) (string, error) {
	script, err := scriptPath(name)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "bash", script, arg)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w", script, arg, err)
	}
	return string(out), nil
}

// scriptPath finds lab/NAME: beside this source file, or in the lab
// directory of the module found by walking up from the working directory.
func scriptPath(name string) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		p := filepath.Join(filepath.Dir(file), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "lab", name)
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("cannot find lab/%s above %s", name, wd)
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// RequirePart is Require for the tests of one lab part: it also skips
// (fails under CI=true) when the running lab lacks any of the services
// ids, as a lab started before the part existed, or without it
// (VIGIL_LAB_ONLY), does.
func RequirePart(t testing.TB, ids ...string) *Manifest {
	t.Helper()
	m := Require(t)
	for _, id := range ids {
		if m.Find(id).ID == "" {
			unavailable(t, "the lab in %s has no %s: it was started without its part (run lab/lab.sh up again, or with VIGIL_LAB_ONLY naming the part)", Dir(), id)
		}
	}
	return m
}
