package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// waitStatus polls until every job has a final status.
func waitFinal(t *testing.T, st *store.Store, ids ...string) map[string]store.Job {
	t.Helper()
	out := map[string]store.Job{}
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("jobs did not finish: %v", out)
		}
		for _, id := range ids {
			j, err := st.Job(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if store.JobFinal(j.Status) {
				out[id] = j
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return out
}

func TestRunnerLimitsAndFinishes(t *testing.T) {
	st := openStore(t)
	var running, peak atomic.Int32
	release := make(chan struct{})
	work := func(ctx context.Context, j store.Job, progress func(string, float64)) (string, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		progress("ports", 0.5)
		<-release
		if j.Targets[0] == "fail" {
			return "", errors.New("no such host")
		}
		return "scan-" + j.Targets[0], nil
	}
	r := New(st, 2, work, nil)
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, target := range []string{"a", "b", "fail", "c", "d"} {
		j, err := r.Submit(t.Context(), store.Job{Kind: store.JobScan, Targets: []string{target}, Actor: "test"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	// Two start; the others wait for a free slot.
	for deadline := time.Now().Add(10 * time.Second); running.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("two jobs never ran at once")
		}
	}
	close(release)
	got := waitFinal(t, st, ids...)
	r.Shutdown(time.Second)
	if peak.Load() != 2 {
		t.Errorf("at most %d jobs ran at once, want exactly 2", peak.Load())
	}
	for i, target := range []string{"a", "b", "fail", "c", "d"} {
		j := got[ids[i]]
		switch {
		case target == "fail" && (j.Status != store.JobFailed || j.Error != "no such host"):
			t.Errorf("failing job = %+v", j)
		case target != "fail" && (j.Status != store.JobDone || j.ScanID != "scan-"+target || j.Progress != 1):
			t.Errorf("job %s = %+v", target, j)
		}
	}
}

func TestShutdownMarksIncomplete(t *testing.T) {
	st := openStore(t)
	started := make(chan struct{}, 4)
	work := func(ctx context.Context, j store.Job, progress func(string, float64)) (string, error) {
		started <- struct{}{}
		<-ctx.Done() // a scan that does not finish within the grace period
		return "", ctx.Err()
	}
	r := New(st, 1, work, nil)
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	a, err := r.Submit(t.Context(), store.Job{Kind: store.JobScan, Targets: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Submit(t.Context(), store.Job{Kind: store.JobScan, Targets: []string{"b"}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	r.Shutdown(10 * time.Millisecond)
	for _, id := range []string{a.ID, b.ID} {
		j, err := st.Job(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != store.JobIncomplete || j.Error == "" || j.Finished.IsZero() {
			t.Errorf("after shutdown, job = %+v; want incomplete with a reason", j)
		}
	}
	if _, err := r.Submit(t.Context(), store.Job{Kind: store.JobScan, Targets: []string{"c"}}); !errors.Is(err, ErrStopped) {
		t.Errorf("Submit after shutdown = %v, want ErrStopped", err)
	}
}

func TestStartAbandonsLeftovers(t *testing.T) {
	st := openStore(t)
	now := time.Now()
	for _, id := range []string{"job-x", "job-y"} {
		if err := st.AddJob(t.Context(), store.Job{ID: id, Kind: store.JobScan, Targets: []string{"a"}, Created: now}); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := st.StartJob(t.Context(), "job-x", now); !ok || err != nil {
		t.Fatal("cannot start job-x", err)
	}
	var mu sync.Mutex
	ran := 0
	r := New(st, 1, func(context.Context, store.Job, func(string, float64)) (string, error) {
		mu.Lock()
		ran++
		mu.Unlock()
		return "x", nil
	}, nil)
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(time.Second)
	for _, id := range []string{"job-x", "job-y"} {
		j, _ := st.Job(t.Context(), id)
		if j.Status != store.JobIncomplete {
			t.Errorf("leftover %s is %s, want incomplete", id, j.Status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if ran != 0 {
		t.Errorf("a leftover job was run again")
	}
}
