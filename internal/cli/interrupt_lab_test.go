package cli

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/lab"
)

// TestInterruptedScanClaimsNothing interrupts scans of the lab's hostile
// host (a server that trickles its banner a byte a second, one that floods,
// one that sends escapes) once the port sweep is done and identification
// runs: vigil exits with 128+signal, and writes, stores and prints no level
// and no document for the work it did not finish.
func TestInterruptedScanClaimsNothing(t *testing.T) {
	m := lab.Require(t)
	host := m.Find("hostile-trickle").Host
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			data := t.TempDir()
			db := filepath.Join(data, "vigil.db")
			out := filepath.Join(data, "scan.json")
			cmd := vigilCmd(t, "", data, "scan", host, "-p", "7001-7003", "--udp-ports", "", "--timeout", "10s", "-v",
				"--db", db, "--format", "json", "-o", out, "--fail-on", "info")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The sweep of three ports ends at once; identification of
			// the trickling server then takes seconds.
			var log bytes.Buffer
			sc := bufio.NewScanner(io.TeeReader(stderr, &log))
			for sc.Scan() {
				if strings.Contains(sc.Text(), "phase done") && strings.Contains(sc.Text(), "phase=ports") {
					break
				}
			}
			sent := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go io.Copy(&log, stderr)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("vigil did not stop after %s:\n%s", sig, log.String())
			}
			t.Logf("stopped %v after %s", time.Since(sent).Round(time.Millisecond), sig)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
				t.Errorf("exit %v, want status %d", err, 128+int(sig))
			}
			if strings.Contains(stdout.String(), "Level") || strings.Contains(log.String(), "Level ") {
				t.Errorf("an interrupted scan reported a level:\n%s\n%s", stdout.String(), log.String())
			}
			if !strings.Contains(log.String(), "interrupted") {
				t.Errorf("vigil does not say it was interrupted:\n%s", log.String())
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("-o %s exists after an interrupted scan: %v", out, err)
			}
			if st, err := store.OpenExisting(t.Context(), db); err == nil {
				list, _ := st.List(t.Context(), 0)
				st.Close()
				if len(list) > 0 {
					t.Errorf("an interrupted scan was stored: %+v", list)
				}
			}
		})
	}
}
