package store

import (
	"errors"
	"testing"
	"time"
)

func TestErasureHead(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		h, err := s.ErasureHead(ctx)
		if err != nil || h != (ErasureHead{}) {
			t.Fatalf("empty head = %+v, %v", h, err)
		}
		one := ErasureHead{Seq: 1, Hash: "aa"}
		if err := s.AdvanceErasureHead(ctx, ErasureHead{}, one); err != nil {
			t.Fatal(err)
		}
		// A second writer that started from the empty log loses.
		if err := s.AdvanceErasureHead(ctx, ErasureHead{}, ErasureHead{Seq: 1, Hash: "bb"}); !errors.Is(err, ErrHeadMoved) {
			t.Errorf("advance from a stale head: %v, want ErrHeadMoved", err)
		}
		// Skipping an entry, or standing still, is refused.
		if err := s.AdvanceErasureHead(ctx, one, ErasureHead{Seq: 3, Hash: "cc"}); err == nil {
			t.Error("advance by two entries accepted")
		}
		if err := s.AdvanceErasureHead(ctx, ErasureHead{Seq: 1, Hash: "zz"}, ErasureHead{Seq: 2, Hash: "cc"}); !errors.Is(err, ErrHeadMoved) {
			t.Errorf("advance from a head with another hash: %v, want ErrHeadMoved", err)
		}
		two := ErasureHead{Seq: 2, Hash: "cc"}
		if err := s.AdvanceErasureHead(ctx, one, two); err != nil {
			t.Fatal(err)
		}
		if h, err := s.ErasureHead(ctx); err != nil || h != two {
			t.Errorf("head = %+v, %v, want %+v", h, err, two)
		}
	})
}

func TestDataRuns(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		at := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
		runs := []DataRun{
			{ID: "r1", Kind: "retention", Started: at, Finished: at.Add(time.Second), Operator: "alice", Outcome: "complete", Detail: "visits: 12 rows"},
			{ID: "e1", Kind: "erase", Started: at.Add(time.Minute), Finished: at.Add(2 * time.Minute), Operator: "alice", Outcome: "partial", Detail: "clinic: rolled back"},
		}
		for _, r := range runs {
			if err := s.RecordDataRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.RecordDataRun(ctx, DataRun{ID: "x", Kind: "scan"}); err == nil {
			t.Error("a run of kind scan was recorded")
		}
		got, err := s.DataRuns(ctx, "erase")
		if err != nil || len(got) != 1 || got[0].ID != "e1" || got[0].Outcome != "partial" || !got[0].Started.Equal(runs[1].Started) {
			t.Errorf("erase runs = %+v, %v", got, err)
		}
		if all, err := s.DataRuns(ctx, ""); err != nil || len(all) != 2 || all[0].ID != "r1" {
			t.Errorf("all runs = %+v, %v", all, err)
		}
	})
}
