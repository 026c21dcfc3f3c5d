package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

func TestJobsLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		for i, id := range []string{"job-a", "job-b", "job-c"} {
			if err := s.AddJob(ctx, Job{ID: id, Kind: JobScan, Targets: []string{"127.0.2.10", "<x>\x00"}, Ports: "22,80",
				Status: JobQueued, Created: t0.Add(time.Duration(i) * time.Second), Actor: "alice", Schedule: "", Planned: time.Time{}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Job(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Job(nope) = %v, want ErrNotFound", err)
		}
		ok, err := s.StartJob(ctx, "job-a", t0.Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("StartJob = %v, %v", ok, err)
		}
		if ok, _ := s.StartJob(ctx, "job-a", t0.Add(time.Minute)); ok {
			t.Fatal("a running job was started twice")
		}
		if err := s.SetJobProgress(ctx, "job-a", "ports", 0.4567); err != nil {
			t.Fatal(err)
		}
		j, err := s.Job(ctx, "job-a")
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != JobRunning || j.Phase != "ports" || j.Progress != 0.457 || !j.Started.Equal(t0.Add(time.Minute)) || j.Actor != "alice" {
			t.Fatalf("running job = %+v", j)
		}
		if j.Targets[1] != "<x>\uFFFD" {
			t.Errorf("targets = %q", j.Targets)
		}
		if err := s.FinishJob(ctx, "job-a", JobDone, "scan-1", "", t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishJob(ctx, "job-a", JobRunning, "", "", t0); err == nil {
			t.Fatal("FinishJob took a status that is not final")
		}
		if ok, _ := s.StartJob(ctx, "job-b", t0.Add(3*time.Minute)); !ok {
			t.Fatal("job-b did not start")
		}
		n, err := s.AbandonJobs(ctx, "the server stopped", t0.Add(4*time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("AbandonJobs = %d, %v; want 2", n, err)
		}
		list, err := s.Jobs(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range list {
			got = append(got, j.ID+":"+j.Status)
		}
		want := []string{"job-c:incomplete", "job-b:incomplete", "job-a:done"}
		if !slices.Equal(got, want) {
			t.Fatalf("jobs = %v, want %v", got, want)
		}
		if list[2].Progress != 1 || list[2].ScanID != "scan-1" || list[0].Error != "the server stopped" {
			t.Errorf("finished jobs = %+v", list)
		}
		if q, _ := s.JobsWithStatus(ctx, JobQueued, JobRunning); len(q) != 0 {
			t.Errorf("jobs left queued or running: %+v", q)
		}
	})
}

func TestViews(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		// Documents 1 and 251 see the same addresses (10.1.0.x), 251 later;
		// document 2 sees others.
		old, mid, other := storetest.Document(1, 2, 3, 0), storetest.Document(251, 2, 4, 0), storetest.Document(2, 1, 1, 0)
		for _, d := range []*result.Document{old, mid, other} {
			if err := s.Save(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		assets, err := s.Assets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(assets) != 3 {
			t.Fatalf("assets = %+v, want 3 hosts", assets)
		}
		a := assets[0] // 10.1.0.1
		if a.Address != "10.1.0.1" || a.Scans != 2 || a.LastScan != mid.ID || !a.FirstSeen.Equal(old.Started) || !a.LastSeen.Equal(mid.Started) || a.Level != mid.Hosts[0].Level {
			t.Errorf("asset = %+v", a)
		}
		hist, err := s.LevelHistory(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Scan != other.ID || hist[1].Scan != mid.ID {
			t.Errorf("level history = %+v", hist)
		}
		hh, err := s.HostHistory(ctx, "10.1.0.1", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(hh) != 2 || hh[0].Scan != mid.ID || hh[0].Findings != 4 || hh[1].Findings != 3 {
			t.Errorf("host history = %+v", hh)
		}
		cur, err := s.CurrentFindings(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(cur) != 2*4+1 {
			t.Fatalf("current findings = %d, want 9", len(cur))
		}
		for _, f := range cur {
			if f.Scan == old.ID {
				t.Errorf("a finding of the older scan counts as current: %+v", f)
			}
		}
		crit, err := s.CurrentFindings(ctx, "critical")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range crit {
			if f.Severity != "critical" {
				t.Errorf("severity filter let %s through", f.Severity)
			}
		}
		fh, err := s.FindingHistory(ctx, old.Findings[0].ID, 10)
		if err != nil || len(fh) == 0 || fh[len(fh)-1].Scan != old.ID {
			t.Errorf("finding history = %+v, %v", fh, err)
		}
		prev, err := s.PreviousScanOfHost(ctx, mid.ID, "10.1.0.1")
		if err != nil || prev != old.ID {
			t.Errorf("PreviousScanOfHost = %q, %v; want %s", prev, err, old.ID)
		}
		prev, err = s.PreviousScan(ctx, mid.ID)
		if err != nil || prev != old.ID {
			t.Errorf("PreviousScan = %q, %v; want %s", prev, err, old.ID)
		}
		if prev, err = s.PreviousScan(ctx, old.ID); err != nil || prev != "" {
			t.Errorf("PreviousScan of the first = %q, %v", prev, err)
		}
		// A scan stored late but started earlier than the newest (a long
		// scan) counts, without becoming the newest.
		late := storetest.Document(501, 2, 1, 0)
		late.ID = "late-scan"
		late.Started, late.Finished = old.Started.Add(time.Minute), mid.Finished.Add(time.Hour)
		if err := s.Save(ctx, late); err != nil {
			t.Fatal(err)
		}
		if assets, err = s.Assets(ctx); err != nil {
			t.Fatal(err)
		}
		if a := assets[0]; a.Scans != 3 || a.LastScan != mid.ID || !a.FirstSeen.Equal(old.Started) {
			t.Errorf("after a late scan, asset = %+v", a)
		}
		if cur, _ := s.CurrentFindings(ctx, ""); len(cur) != 2*4+1 {
			t.Errorf("after a late scan, %d current findings, want 9", len(cur))
		}
	})
}
