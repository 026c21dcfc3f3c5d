package serve

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/schedule"
	"github.com/vigilsec/vigil/internal/store"
)

// runSchedules runs the server's schedules on c until the test ends.
func runSchedules(t *testing.T, e *testEnv, c schedule.Clock) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.srv.RunSchedules(ctx, c); err != nil {
			t.Errorf("RunSchedules: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// scheduleJobs counts the jobs a schedule launched.
func scheduleJobs(t *testing.T, e *testEnv, id string) []store.Job {
	t.Helper()
	jobs, err := e.st.JobsOfSchedule(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// waitJobs waits until a schedule has launched n jobs (polling: the loop
// runs in its own goroutine).
func waitJobs(t *testing.T, e *testEnv, id string, n int) []store.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs := scheduleJobs(t, e, id)
		if len(jobs) >= n || time.Now().After(deadline) {
			return jobs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func addEveryMinute(t *testing.T, e *testEnv, created time.Time) schedule.Entry {
	t.Helper()
	en := schedule.Entry{ID: "sch-test", Name: "every minute", Kind: schedule.KindScan, Targets: []string{"127.0.0.1"}, Ports: "1",
		Spec: "every 1m", Enabled: true, Created: created, Actor: "admin"}
	ss, err := e.srv.schedules()
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.AddSchedule(t.Context(), en); err != nil {
		t.Fatal(err)
	}
	return en
}

// TestScheduleFakeClock: a schedule every minute, driven by a fake clock
// through 5 minutes, launches exactly 5 jobs, one per planned minute.
func TestScheduleFakeClock(t *testing.T) {
	e := newEnv(t, Options{})
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c := schedule.NewFakeClock(t0)
	en := addEveryMinute(t, e, t0)
	runSchedules(t, e, c)
	for i := 1; i <= 5; i++ {
		c.BlockUntil(1) // the loop sleeps on the clock
		if n := len(scheduleJobs(t, e, en.ID)); n != i-1 {
			t.Fatalf("after %d minute(s): %d jobs, want %d", i-1, n, i-1)
		}
		c.Advance(time.Minute)
		waitJobs(t, e, en.ID, i)
	}
	c.BlockUntil(1)
	jobs := scheduleJobs(t, e, en.ID)
	if len(jobs) != 5 {
		t.Fatalf("%d jobs after 5 minutes, want exactly 5", len(jobs))
	}
	for i, j := range jobs {
		if want := t0.Add(time.Duration(i+1) * time.Minute); !j.Planned.Equal(want) || j.Actor != "schedule:"+en.ID {
			t.Errorf("job %d planned %v by %q, want %v by schedule:%s", i, j.Planned, j.Actor, want, en.ID)
		}
	}
}

// TestScheduleMissedRunsOnce: a schedule whose runs were missed while the
// server was down runs once at start, not once per missed run.
func TestScheduleMissedRunsOnce(t *testing.T) {
	e := newEnv(t, Options{})
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	en := addEveryMinute(t, e, t0)
	c := schedule.NewFakeClock(t0.Add(10*time.Minute + 30*time.Second)) // 10 runs missed
	runSchedules(t, e, c)
	c.BlockUntil(1)
	waitJobs(t, e, en.ID, 1)
	c.BlockUntil(1)
	jobs := scheduleJobs(t, e, en.ID)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs for 10 missed runs, want 1", len(jobs))
	}
	if want := t0.Add(10 * time.Minute); !jobs[0].Planned.Equal(want) {
		t.Errorf("the missed run is planned %v, want the latest, %v", jobs[0].Planned, want)
	}
}

// TestScheduleScope: a schedule's targets obey the scope rules.
func TestScheduleScope(t *testing.T) {
	e := newEnv(t, Options{})
	for _, body := range []string{
		`{"targets":["8.8.8.8"],"spec":"every 1h"}`,
		`{"targets":["127.0.0.1"],"spec":"every 10s"}`,
		`{"targets":["127.0.0.1"],"spec":"61 * * * *"}`,
		`{"targets":["root@127.0.0.1"],"kind":"hostaudit","spec":"every 1h"}`, // no --ssh-key
	} {
		if code, out := e.api("POST", "/api/v1/schedules", e.tokens[auth.Admin], body); code != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", body, code, out)
		}
	}
	code, out := e.api("POST", "/api/v1/schedules", e.tokens[auth.Admin], `{"targets":["127.0.0.1"],"ports":"1","spec":"every 24h","window":"22:00-06:00","jitter":"10m"}`)
	if code != http.StatusCreated || out["next"] == nil || out["enabled"] != true {
		t.Fatalf("a valid schedule: %d %v", code, out)
	}
	_, list := e.api("GET", "/api/v1/schedules", e.tokens[auth.Viewer], "")
	if n := len(list["schedules"].([]any)); n != 1 {
		t.Errorf("%d schedules listed, want 1", n)
	}
}

// TestGracefulShutdown: a job still running when the server is told to
// stop gets the grace period, then is marked incomplete, never left
// running; requests are no longer served.
func TestGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	e := newEnv(t, Options{HostAudit: func(ctx context.Context, j store.Job) (*result.Document, error) {
		close(started)
		<-ctx.Done() // a job that does not finish within the grace period
		return nil, ctx.Err()
	}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, l, nil) }()
	j, err := e.srv.runner.Submit(t.Context(), store.Job{Kind: store.JobHostAudit, Targets: []string{"root@127.0.0.1"}, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel() // SIGTERM
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	got, err := e.st.Job(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.JobIncomplete || got.Error == "" {
		t.Errorf("after shutdown the job is %s (%q), want incomplete with a reason", got.Status, got.Error)
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/login"); err == nil {
		t.Errorf("the server still answers after shutdown")
	}
}
