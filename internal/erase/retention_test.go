package erase

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/datamap"
)

func TestRetentionApply(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "clinic.db")
	raw := openSQLiteFile(t, dbPath)
	if _, err := raw.Exec(`CREATE TABLE visits (id INTEGER PRIMARY KEY, visit_date TEXT)`); err != nil {
		t.Fatal(err)
	}
	// 1000 visits a week apart back from now, and 3 without a date.
	wantOld := 0
	for i := range 1000 {
		d := now.AddDate(0, 0, -7*i-1)
		if d.Before(now.AddDate(-8, 0, 0)) {
			wantOld++
		}
		if _, err := raw.Exec(`INSERT INTO visits VALUES (?, ?)`, i+1, d.Format("2006-01-02 15:04:05")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if _, err := raw.Exec(`INSERT INTO visits VALUES (?, NULL)`, 2000+i); err != nil {
			t.Fatal(err)
		}
	}
	share := filepath.Join(dir, "share")
	if err := os.MkdirAll(filepath.Join(share, "scans"), 0o700); err != nil {
		t.Fatal(err)
	}
	for i, age := range []int{1, 5, 9, 12} { // years
		p := filepath.Join(share, "scans", fmt.Sprintf("s%d.pdf", i))
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		mt := now.AddDate(-age, 0, 0)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(share, "old.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := now.AddDate(-20, 0, 0)
	os.Chtimes(filepath.Join(share, "old.txt"), old, old)
	m, err := datamap.Parse([]byte(fmt.Sprintf(`sources:
  - {name: clinic, type: sqlite, path: %q}
  - {name: share, type: files, path: %q}
retention:
  - {source: clinic, table: visits, column: visit_date, max_age: 8y, basis: "medical records law"}
  - {source: share, path: "scans/*.pdf", max_age: 8y, basis: "medical records law"}
`, dbPath, share)))
	if err != nil {
		t.Fatal(err)
	}
	open := func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) {
		return datamap.Open(ctx, s, datamap.Options{ReadWrite: true})
	}
	steps := PlanRetention(t.Context(), m, open, now)
	if steps[0].Err != nil || steps[0].Older != int64(wantOld) || steps[0].Total != 1003 {
		t.Fatalf("plan of the table: %+v; want %d of 1003 older", steps[0], wantOld)
	}
	if steps[1].Err != nil || steps[1].Older != 2 || steps[1].Total != 4 {
		t.Fatalf("plan of the files: %+v; want 2 of 4 older", steps[1])
	}
	ApplyRetention(t.Context(), m, steps, open, 37)
	if steps[0].Err != nil || steps[0].Deleted != int64(wantOld) || steps[0].Batches != (wantOld+36)/37 {
		t.Errorf("applied: %+v; want %d deleted in %d batches", steps[0], wantOld, (wantOld+36)/37)
	}
	count := func(q string, args ...any) int {
		var n int
		if err := raw.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	cut := now.AddDate(-8, 0, 0).Format("2006-01-02 15:04:05")
	if n := count(`SELECT COUNT(*) FROM visits WHERE visit_date < ?`, cut); n != 0 {
		t.Errorf("%d older visits left", n)
	}
	if n := count(`SELECT COUNT(*) FROM visits`); n != 1003-wantOld {
		t.Errorf("%d visits left, want %d (the recent ones and those without a date)", n, 1003-wantOld)
	}
	if n := count(`SELECT COUNT(*) FROM visits WHERE visit_date IS NULL`); n != 3 {
		t.Errorf("%d visits without a date left, want 3", n)
	}
	for name, want := range map[string]bool{"scans/s0.pdf": true, "scans/s1.pdf": true, "scans/s2.pdf": false, "scans/s3.pdf": false, "old.txt": true} {
		_, err := os.Stat(filepath.Join(share, name))
		if (err == nil) != want {
			t.Errorf("%s exists: %v, want %v", name, err == nil, want)
		}
	}
	// A second run finds nothing more.
	again := PlanRetention(t.Context(), m, open, now)
	if again[0].Older != 0 || again[1].Older != 0 {
		t.Errorf("after applying, the plan still finds %d rows and %d files", again[0].Older, again[1].Older)
	}
}
