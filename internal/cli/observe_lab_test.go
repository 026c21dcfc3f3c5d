package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/result"
)

// TestObserveInANamespace runs `vigil host observe --for 20s` inside a
// network namespace whose listeners get traffic, through a veth pair, from
// a bounded generator in this namespace: vigil must report exactly the
// 10.78.0.2 listeners nobody connected to, naming their processes, and
// never the loopback ones.
func TestObserveInANamespace(t *testing.T) {
	requireRoot(t)
	ns := testNetns{name: "vigil-obs-test", hostIf: "vobs0", nsIf: "vobs1", hostAddr: "10.78.0.1", nsAddr: "10.78.0.2"}
	makeNetns(t, ns)

	used := []int{9101, 9102}
	unused := []int{9103, 9104, 9105}
	loop := []int{9106, 9107}
	pids := map[int]int{}
	for _, p := range slices.Concat(used, unused) {
		pids[p] = startListener(t, ns.name, fmt.Sprintf("10.78.0.2:%d", p))
	}
	for _, p := range loop {
		pids[p] = startListener(t, ns.name, fmt.Sprintf("127.0.0.1:%d", p))
	}

	dir := t.TempDir()
	outFile := filepath.Join(dir, "observe.json")
	db := filepath.Join(dir, "vigil.db")
	cmd := vigilCmd(t, ns.name, dir, "host", "observe", "--for", "20s", "--format", "json", "-o", outFile, "--db", db)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	// Wait until vigil watches, then make the traffic.
	var errText strings.Builder
	sc := bufio.NewScanner(stderr)
	watching := false
	for sc.Scan() {
		errText.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Watching ") {
			watching = true
			break
		}
	}
	if !watching {
		cmd.Wait()
		t.Fatalf("vigil never started watching:\n%s", errText.String())
	}
	go func() {
		for sc.Scan() {
			errText.WriteString(sc.Text() + "\n")
		}
	}()
	d := testDialer(t, "10.78.0.2")
	for round := 0; round < 5; round++ {
		for _, p := range used {
			if !connects(t, d, fmt.Sprintf("10.78.0.2:%d", p), 2*time.Second) {
				t.Errorf("cannot connect to 10.78.0.2:%d through the veth", p)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("vigil host observe: %v\n%s", err, errText.String())
	}

	raw, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := result.Read(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if doc.Kind != result.KindHost || doc.HostAudit == nil || doc.HostAudit.Observation == nil {
		t.Fatalf("not an observed host audit: kind %q", doc.Kind)
	}
	obs := doc.HostAudit.Observation
	if obs.Method != "af_packet" {
		t.Errorf("method %q, want af_packet (root)", obs.Method)
	}
	for _, p := range used {
		if n := obs.Connections[fmt.Sprintf("tcp/%d", p)]; n != 5 {
			t.Errorf("port %d: %d connections counted, want 5", p, n)
		}
	}
	var got []int
	for _, f := range doc.Findings {
		if f.Check != "port.open-unused" {
			continue
		}
		got = append(got, f.Port)
		if len(got) == 1 {
			t.Logf("%s %s:%d\nevidence: %s\nfix: %s", f.ID, f.Host, f.Port, f.Evidence, f.Recommendation)
		}
		if f.Host != "10.78.0.2" {
			t.Errorf("finding on %s:%d, want host 10.78.0.2", f.Host, f.Port)
		}
		if !strings.Contains(f.Evidence, fmt.Sprintf("pid %d", pids[f.Port])) || !strings.Contains(f.Evidence, "no inbound connection in 20s of SYN capture") {
			t.Errorf("port %d: evidence does not name the process (pid %d) and the window: %s", f.Port, pids[f.Port], f.Evidence)
		}
		for _, want := range []string{fmt.Sprintf("kill %d", pids[f.Port]), "127.0.0.1", `nft add rule inet vigil input iifname != "lo" ip daddr 10.78.0.2 tcp dport`} {
			if !strings.Contains(f.Recommendation, want) {
				t.Errorf("port %d: fix lacks %q: %s", f.Port, want, f.Recommendation)
			}
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, unused) {
		t.Errorf("port.open-unused on %v, want exactly %v (used %v, loopback %v)\n%s", got, unused, used, loop, errText.String())
	}
	// The result was stored too.
	code, out, stderrText := vigilIn(t, "", "scans", "--db", db)
	if code != ExitOK || !strings.Contains(out, doc.ID) {
		t.Errorf("the observation was not stored: %d %s %s", code, out, stderrText)
	}
	raw2, _ := json.Marshal(obs)
	t.Logf("observation: %s", raw2)
}
