package main

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

// memory keeps what Generate saves.
type memory struct{ docs []*result.Document }

func (m *memory) Save(_ context.Context, d *result.Document) error {
	m.docs = append(m.docs, d)
	return nil
}

var end = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func generate(t *testing.T, cfg Config) []*result.Document {
	t.Helper()
	var m memory
	if _, err := Generate(t.Context(), &m, cfg, nil); err != nil {
		t.Fatal(err)
	}
	return m.docs
}

func TestGenerateWritesAChangingNetwork(t *testing.T) {
	cfg := Config{Scans: 60, Hosts: 40, Every: 12 * time.Hour, End: end, Seed: 7}
	docs := generate(t, cfg)
	if len(docs) != cfg.Scans {
		t.Fatalf("%d documents, want %d", len(docs), cfg.Scans)
	}
	levels := map[int]int{}
	addrs := map[string]bool{}
	severities := map[string]bool{}
	for i, d := range docs {
		if err := d.Validate(); err != nil {
			t.Fatalf("scan %d: %v", i, err)
		}
		if len(d.Hosts) != cfg.Hosts {
			t.Errorf("scan %d has %d hosts, want %d", i, len(d.Hosts), cfg.Hosts)
		}
		if i > 0 && !d.Started.After(docs[i-1].Finished) {
			t.Errorf("scan %d starts %s, before scan %d ends", i, d.Started, i-1)
		}
		levels[d.Level.Value]++
		for _, h := range d.Hosts {
			addrs[h.Address] = true
			a := netip.MustParseAddr(h.Address)
			if !netip.MustParsePrefix("10.20.0.0/15").Contains(a) {
				t.Errorf("host %s is outside 10.20.0.0/15", a)
			}
		}
		for _, f := range d.Findings {
			severities[f.Severity.String()] = true
		}
	}
	if !docs[len(docs)-1].Finished.Equal(end) {
		t.Errorf("the last scan ends %s, want %s", docs[len(docs)-1].Finished, end)
	}
	// The level moves: the history starts exposed and improves.
	if docs[0].Level.Value != 1 || len(levels) < 3 {
		t.Errorf("levels over the history %v (first %d): want a start at 1 and at least three levels", levels, docs[0].Level.Value)
	}
	if docs[len(docs)-1].Level.Value <= docs[0].Level.Value {
		t.Errorf("the last level %d is not better than the first %d", docs[len(docs)-1].Level.Value, docs[0].Level.Value)
	}
	// Some hosts are replaced by others: more addresses than hosts a scan.
	if len(addrs) <= cfg.Hosts {
		t.Errorf("%d addresses in all, want more than %d", len(addrs), cfg.Hosts)
	}
	for _, s := range []string{"critical", "high", "medium"} {
		if !severities[s] {
			t.Errorf("no %s finding in the whole history", s)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := Config{Scans: 5, Hosts: 20, Every: time.Hour, End: end, Seed: 3}
	a, b := generate(t, cfg), generate(t, cfg)
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Level.Value != b[i].Level.Value || len(a[i].Findings) != len(b[i].Findings) {
			t.Errorf("scan %d differs between two runs with the same seed", i)
		}
	}
	cfg.Seed = 4
	c := generate(t, cfg)
	if a[0].ID == c[0].ID {
		t.Error("another seed gives the same scan ids: a second store could not take them")
	}
}

// TestGenerateStopsPartWay: with Stop, the history is the start of the
// full one, ending at End.
func TestGenerateStopsPartWay(t *testing.T) {
	full := Config{Scans: 20, Hosts: 10, Every: time.Hour, End: end, Seed: 5}
	part := full
	part.Stop = 8
	a, b := generate(t, full), generate(t, part)
	if len(b) != 8 || !b[7].Finished.Equal(end) {
		t.Fatalf("%d scans, the last ending %s; want 8 ending %s", len(b), b[len(b)-1].Finished, end)
	}
	for i := range b {
		if a[i].Level.Value != b[i].Level.Value || len(a[i].Findings) != len(b[i].Findings) {
			t.Errorf("scan %d of the partial history differs from the full one's", i)
		}
	}
}

func TestGenerateRefusesNothingToDo(t *testing.T) {
	for _, cfg := range []Config{{Scans: 0, Hosts: 1, Every: time.Hour}, {Scans: 1, Hosts: 0, Every: time.Hour}, {Scans: 1, Hosts: 1}} {
		if _, err := Generate(t.Context(), &memory{}, cfg, nil); err == nil || !strings.Contains(err.Error(), "need at least one scan") {
			t.Errorf("%+v: error %v", cfg, err)
		}
	}
}

// TestGenerateIntoAStore writes a small history into a real SQLite store
// and reads it back as vigil would.
func TestGenerateIntoAStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigil.db")
	cfg := Config{Scans: 4, Hosts: 10, Every: time.Hour, End: end, Seed: 1}
	if err := run(t.Context(), db, cfg); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenExisting(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, err := st.List(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != cfg.Scans {
		t.Fatalf("the store lists %d scans, want %d", len(list), cfg.Scans)
	}
	doc, err := st.Get(t.Context(), "latest")
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Hosts) != cfg.Hosts || doc.Run == nil || doc.Complete == nil || !*doc.Complete {
		t.Errorf("the latest scan has %d hosts, run %v, complete %v", len(doc.Hosts), doc.Run, doc.Complete)
	}
}
