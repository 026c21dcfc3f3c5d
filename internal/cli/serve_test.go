package cli

import (
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeStopsCleanlyOnSIGTERM: vigil serve, asked to stop by SIGTERM
// (systemd's stop), shuts down in order and exits 0 — not 143, which a
// service manager would report as a failure.
func TestServeStopsCleanlyOnSIGTERM(t *testing.T) {
	data := t.TempDir()
	cmd := vigilCmd(t, "", data, "serve", "--listen", "127.0.0.1:0", "--db", filepath.Join(data, "vigil.db"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(stderr, &log))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "vigil serve: http://127.0.0.1:") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go io.Copy(&log, stderr)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || cmd.ProcessState.ExitCode() != 0 {
			t.Fatalf("vigil serve after SIGTERM: %v (exit %d); stderr:\n%s", err, cmd.ProcessState.ExitCode(), log.String())
		}
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("vigil serve did not stop within a minute of SIGTERM; stderr:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "vigil serve: stopped") {
		t.Errorf("no word that it stopped; stderr:\n%s", log.String())
	}
}
