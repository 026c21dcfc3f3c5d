package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/lab"
)

// startPsql runs psql with a query that keeps the session open, and waits
// until the host audit sees its connection to addr.
func startPsql(t *testing.T, conninfo, password, addr string) {
	t.Helper()
	cmd := exec.Command("psql", conninfo, "-c", "select pg_sleep(120)")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		h, err := hostaudit.Collect(t.Context(), hostaudit.Local(), hostaudit.Options{})
		if err == nil && hasFlow(h.Flows, addr, "psql") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("psql's connection to %s never showed up in the host audit", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func hasFlow(flows []facts.Flow, remote, process string) bool {
	for _, f := range flows {
		if f.Remote == remote && f.Direction == "out" && f.Process == process {
			return true
		}
	}
	return false
}

// TestFlowCleartextWithPsql connects a real psql to the lab's PostgreSQL
// without TLS (db-weak, which refuses SSLRequest) and to the hardened one
// with TLS, scans both ports, and checks that the host audit of `vigil host
// observe` reports flow.cleartext for the first connection only.
func TestFlowCleartextWithPsql(t *testing.T) {
	m := lab.Require(t)
	if _, err := exec.LookPath("psql"); err != nil {
		t.Skip("no psql")
	}
	weak, hard := m.Find("db-weak-postgresql"), m.Find("db-hard-postgresql")
	if weak.ID == "" || hard.ID == "" {
		t.Fatal("the lab manifest lacks the PostgreSQL twins")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "vigil.db")
	startPsql(t, "host="+weak.Host+" port="+strconv.Itoa(weak.Port)+" user=postgres dbname=postgres sslmode=disable", "", weak.Address())
	startPsql(t, "host="+hard.Host+" port="+strconv.Itoa(hard.Port)+" user=vigil dbname=postgres sslmode=require", "vigil-lab-pass", hard.Address())

	// The network scan that the flows are judged against.
	code, _, stderr := vigilIn(t, "", "scan", weak.Host+","+hard.Host, "-p", strconv.Itoa(weak.Port)+","+strconv.Itoa(hard.Port), "--udp-ports", "",
		"--db", db, "--format", "json", "-o", filepath.Join(dir, "scan.json"))
	if code != ExitOK && code != ExitFindings {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	out := filepath.Join(dir, "observe.json")
	code, _, stderr = vigilIn(t, "", "host", "observe", "--for", "1s", "--db", db, "--format", "json", "-o", out)
	if code != ExitOK {
		t.Fatalf("observe: %d %s", code, stderr)
	}
	doc := readDoc(t, out)
	var flows []string
	for _, f := range doc.Findings {
		if f.Check != "flow.cleartext" {
			continue
		}
		flows = append(flows, f.Host+":"+strconv.Itoa(f.Port))
		if f.Host == weak.Host && f.Port == weak.Port {
			for _, want := range []string{"talks to " + weak.Address() + " over PostgreSQL without TLS (the server refuses SSLRequest; pid ", " psql", "hostssl"} {
				if !strings.Contains(f.Evidence+" "+f.Recommendation, want) {
					t.Errorf("flow finding lacks %q: %s / %s", want, f.Evidence, f.Recommendation)
				}
			}
			t.Logf("%s: %s", f.ID, f.Evidence)
		}
	}
	if !slices.Contains(flows, weak.Address()) {
		t.Errorf("no flow.cleartext for psql's connection to %s; findings on %v", weak.Address(), flows)
	}
	if slices.Contains(flows, hard.Address()) {
		t.Errorf("flow.cleartext for the TLS server %s", hard.Address())
	}
}
