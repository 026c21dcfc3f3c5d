package cli

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/schedule"
	"github.com/vigilsec/vigil/internal/serve"
	"github.com/vigilsec/vigil/internal/store"

	"github.com/vigilsec/vigil/lab"
)

// TestServeScheduledHostAudit: a scheduled host audit of the lab's
// ssh-hard, launched by vigil serve's launcher, runs over SSH with
// --ssh-key as `vigil host --ssh` does and is stored as a host audit.
func TestServeScheduledHostAudit(t *testing.T) {
	m := lab.Require(t)
	hard := m.Find("ssh-hard")
	db := filepath.Join(t.TempDir(), "vigil.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var errb bytes.Buffer
	e := &env{version: "test", stderr: &errb, stdout: &errb}
	f := &serveFlags{db: db, sshKey: m.ClientKey, knownHosts: m.KnownHosts}
	srv, err := serve.New(serve.Options{Store: st, MaxScans: 1, HostAudit: serveHostAudit(e, f), Grace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer srv.Runner().Shutdown(time.Second)
	en := schedule.Entry{ID: "sch-audit", Kind: schedule.KindHostAudit, Targets: []string{"root@" + hard.Host}, Spec: "every 24h", Enabled: true, Actor: "admin"}
	if err := srv.Launch(t.Context(), en, time.Now()); err != nil {
		t.Fatal(err)
	}
	var job store.Job
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		jobs, err := st.JobsOfSchedule(t.Context(), en.ID)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("jobs of the schedule: %v, %v", jobs, err)
		}
		if job = jobs[0]; store.JobFinal(job.Status) || time.Now().After(deadline) {
			break
		}
	}
	if job.Status != store.JobDone || job.Kind != store.JobHostAudit {
		t.Fatalf("job = %+v\n%s", job, errb.String())
	}
	doc, err := st.Get(t.Context(), job.ScanID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Kind != result.KindHost || doc.HostAudit == nil || doc.HostAudit.Remote == "" || doc.Run == nil || doc.Run.Operator != "schedule:sch-audit" {
		t.Errorf("stored document: kind %q, remote %v, run %+v", doc.Kind, doc.HostAudit != nil && doc.HostAudit.Remote != "", doc.Run)
	}
	// Without --ssh-key the server takes no host audit.
	if serveHostAudit(e, &serveFlags{db: db}) != nil {
		t.Error("host audits are on without --ssh-key")
	}
}
