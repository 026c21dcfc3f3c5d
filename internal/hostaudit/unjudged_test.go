package hostaudit

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// TestDistrustedDaemonIsUnjudged: a process named like Redis that runs as
// nobody is not examined, and the audit records that Redis's
// configuration checks were not judged on it rather than letting them
// pass. It starts a copy of sleep called redis-server on this machine.
func TestDistrustedDaemonIsUnjudged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it starts a process as nobody")
	}
	// Not under t.TempDir(): its parent is root's alone, and nobody must
	// be able to run the file.
	dir, err := os.MkdirTemp("", "vigil-unjudged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep")
	}
	b, err := os.ReadFile(sleep)
	if err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(dir, "redis-server")
	if err := os.WriteFile(fake, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(fake, "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	// The kernel names the process after its file once exec is done.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if comm, _ := os.ReadFile(filepath.Join("/proc", itoa(pid), "comm")); string(comm) == "redis-server\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake redis-server did not start")
		}
	}
	h, err := Collect(t.Context(), Local(), Options{Dialer: loopbackDialer(t)})
	if err != nil {
		t.Fatal(err)
	}
	var got *facts.Unjudged
	for i, u := range h.Unjudged {
		if u.PID == pid {
			got = &h.Unjudged[i]
		}
	}
	if got == nil || got.Kind != "redis" || got.Why == "" {
		t.Fatalf("pid %d (redis-server as nobody) is not unjudged as redis: %+v (distrusted %+v)", pid, h.Unjudged, h.Distrusted)
	}
	for _, c := range h.Redis {
		if c.PID == pid {
			t.Errorf("the distrusted process's configuration was read: %+v", c)
		}
	}
}
