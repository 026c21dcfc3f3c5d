package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store/storetest"
)

// Sizes of the crasher's documents: 2,000 findings and about 1.5 MB of JSON
// each, so that a save takes long enough for kills to land inside it.
const crashHosts, crashPer, crashPad = 50, 40, 400

// repoRoot is the module root, found from this file's path.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// goTool returns the go command that runs this test.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if p := "/usr/local/go/bin/go"; fileExists(p) {
		return p
	}
	t.Skip("no go command to build the crasher with")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestSIGKILLLeavesTheStoreIntact kills a process that saves large scans
// with SIGKILL at random moments, many times, and checks after each kill that
// the SQLite database is intact, every scan saved before still reads back
// identical, and no scan is visible in part.
func TestSIGKILLLeavesTheStoreIntact(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a helper program 20 times")
	}
	dir := t.TempDir()
	crasher := filepath.Join(dir, "crasher")
	build := exec.Command(goTool(t), "build", "-o", crasher, "./internal/store/testdata/crasher")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the crasher: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "vigil.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))

	committed := map[int]bool{} // documents whose "saved" line was printed
	expected := &expectations{}
	next := 0
	const rounds = 20
	midSave := 0     // kills that landed inside Save, before its commit
	afterCommit := 0 // kills inside Save after the commit (e.g. during the WAL checkpoint)
	for round := range rounds {
		cmd := exec.Command(crasher, "-db", db, "-from", strconv.Itoa(next),
			"-hosts", strconv.Itoa(crashHosts), "-per", strconv.Itoa(crashPer), "-pad", strconv.Itoa(crashPad))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1000)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Every fifth round dies while starting (in the first round: while
		// creating the schema); the others die while saving or between two
		// saves, up to a few saves after the store is open.
		var seen []string
		delay := time.Duration(rng.Int64N(int64(800 * time.Millisecond)))
		if round%5 == 0 {
			delay = time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
		} else {
			for l := range lines {
				seen = append(seen, l)
				if l == "open" {
					break
				}
			}
		}
		time.Sleep(delay)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		for l := range lines {
			seen = append(seen, l)
		}
		var last string
		for _, l := range seen {
			last = l
			if n, ok := strings.CutPrefix(l, "saved "); ok {
				i, _ := strconv.Atoi(n)
				committed[i] = true
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); !ok || !ws.Signaled() {
			t.Fatalf("round %d: the crasher was not killed but ended with %v: %s", round, err, stderr.String())
		}
		inFlight := -1
		if n, ok := strings.CutPrefix(last, "saving "); ok {
			inFlight, _ = strconv.Atoi(n)
		}

		stored := verifyAfterCrash(t, db, committed, inFlight, expected)
		switch {
		case inFlight >= 0 && !stored[inFlight]:
			midSave++
		case inFlight >= 0:
			afterCommit++
		}
		t.Logf("round %2d: killed after %3dms, last line %-12q, %d scans stored", round, delay/time.Millisecond, last, len(stored))
		for n := range stored {
			next = max(next, n+1)
			committed[n] = true // stored now, so it must survive every later kill
		}
	}
	t.Logf("%d of %d kills landed inside a save before its commit, %d after it", midSave, rounds, afterCommit)
	if midSave == 0 {
		t.Errorf("no kill landed inside a save: the test proved nothing; make the documents larger")
	}
	if len(committed) == 0 {
		t.Errorf("no save ever completed between kills: the test proved nothing")
	}
}

// expectations caches, per document number, the exact JSON text Save
// stores for storetest.Document(n, …), as a SHA-256, and whether the
// document was already read back whole through Get.
type expectations struct {
	sums    map[int][32]byte
	decoded map[int]bool
}

func (e *expectations) sum(t *testing.T, n int) [32]byte {
	if e.sums == nil {
		e.sums, e.decoded = map[int][32]byte{}, map[int]bool{}
	}
	if s, ok := e.sums[n]; ok {
		return s
	}
	b, err := json.Marshal(storetest.Document(n, crashHosts, crashPer, crashPad))
	if err != nil {
		t.Fatal(err)
	}
	e.sums[n] = sha256.Sum256(b)
	return e.sums[n]
}

// verifyAfterCrash opens the store left by a killed process and checks it,
// returning the document numbers it holds. Every stored document's text
// must be byte for byte what Save wrote; each is also read back through
// Get and compared, once.
func verifyAfterCrash(t *testing.T, db string, committed map[int]bool, inFlight int, want *expectations) map[int]bool {
	t.Helper()
	s, err := Open(t.Context(), db)
	if err != nil {
		t.Fatalf("the store does not open after a kill: %v", err)
	}
	defer s.Close()
	var check string
	if err := s.db.QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	rows, err := s.db.QueryContext(t.Context(), "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Errorf("foreign_key_check finds rows without their scan")
	}
	rows.Close()

	byID := map[string]int{}
	for n := range committed {
		byID[storetest.ID(n)] = n
	}
	if inFlight >= 0 {
		byID[storetest.ID(inFlight)] = inFlight
	}
	list, err := s.List(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int]bool{}
	for _, sm := range list {
		n, ok := byID[sm.ID]
		if !ok {
			t.Fatalf("scan %s is stored but was neither saved nor being saved", sm.ID)
		}
		stored[n] = true
		var body string
		var nf int
		if err := s.db.QueryRowContext(t.Context(), "SELECT document, (SELECT COUNT(*) FROM findings WHERE scan_id = ?) FROM scans WHERE id = ?",
			sm.ID, sm.ID).Scan(&body, &nf); err != nil {
			t.Fatal(err)
		}
		if sha256.Sum256([]byte(body)) != want.sum(t, n) {
			t.Fatalf("scan %d: the stored document is not the one saved", n)
		}
		if sm.Hosts != crashHosts || nf != crashHosts*crashPer {
			t.Fatalf("scan %d is partial: %d of %d hosts, %d of %d findings", n, sm.Hosts, crashHosts, nf, crashHosts*crashPer)
		}
		if !want.decoded[n] {
			got, err := s.Get(t.Context(), sm.ID)
			if err != nil {
				t.Fatalf("scan %d: %v", n, err)
			}
			if w, g := jsonOf(t, storetest.Document(n, crashHosts, crashPer, crashPad)), jsonOf(t, got); w != g {
				t.Fatalf("scan %d reads back different %s", n, firstDiff(w, g))
			}
			want.decoded[n] = true
		}
	}
	for n := range committed {
		if !stored[n] {
			t.Fatalf("scan %d was saved before a kill and is gone", n)
		}
	}
	for _, table := range []string{"hosts", "findings"} {
		var orphans int
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE scan_id NOT IN (SELECT id FROM scans)", table)
		if err := s.db.QueryRowContext(t.Context(), q).Scan(&orphans); err != nil || orphans != 0 {
			t.Fatalf("%d rows of %s belong to no stored scan (%v)", orphans, table, err)
		}
	}
	return stored
}
