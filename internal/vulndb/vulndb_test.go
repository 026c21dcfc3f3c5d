package vulndb

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// importFixtures builds a database from testdata (real NVD, KEV, EPSS and
// Debian OSV records; see testdata/README.md) and opens it.
func importFixtures(t *testing.T, paths ...string) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vulndb.sqlite")
	if len(paths) == 0 {
		paths = []string{"testdata/nvd", "testdata/kev", "testdata/epss/epss_scores-2026-08-15.csv.gz", "testdata/osv-debian"}
	}
	ctx := context.Background()
	if err := Build(ctx, path, func(w *Writer) error { return Import(ctx, w, paths, nil) }); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestImportFixtures(t *testing.T) {
	db := importFixtures(t)
	ctx := context.Background()
	srcs, err := db.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range srcs {
		got[s.Name] = s.Records
		if s.DataTime.IsZero() || s.Loaded.IsZero() {
			t.Errorf("%s: no data time or load time: %+v", s.Name, s)
		}
	}
	// 24 CVE files, the API response repeating three of them; 10 KEV
	// entries; every EPSS row; Debian records of bookworm and bullseye.
	for name, n := range map[string]int{"nvd": 24, "kev": 10} {
		if got[name] != n {
			t.Errorf("%s: %d records, want %d (all: %v)", name, got[name], n, got)
		}
	}
	if got["epss"] < 20 || got["osv:Debian:12"] < 8 || got["osv:Debian:11"] < 1 {
		t.Errorf("sources: %v", got)
	}
	for _, s := range srcs {
		if s.Name == "kev" && s.DataTime.Format("2006-01-02") != "2025-08-25" {
			t.Errorf("KEV data time %s, want the catalogue's release 2025-08-25", s.DataTime)
		}
		if s.Name == "epss" && s.DataTime.Format("2006-01-02") != "2026-08-15" {
			t.Errorf("EPSS data time %s, want the score date 2026-08-15", s.DataTime)
		}
	}
}

func TestCPERanges(t *testing.T) {
	db := importFixtures(t)
	ctx := context.Background()
	tests := []struct {
		vendor, product string
		want            []CPERange
	}{
		// An exact version.
		{"apache", "http_server", []CPERange{{ID: "CVE-2021-41773", Version: "2.4.49"}, {ID: "CVE-2021-42013", Version: "2.4.49"}, {ID: "CVE-2021-42013", Version: "2.4.50"}}},
		// "*:p2" up to 7.2 is up to 7.2p2; "9.3:p1" is 9.3p1; "9.3:-" is 9.3.
		{"openbsd", "openssh", nil},
		// CVE-2022-0543 names redis:redis:- (any version) only beside
		// Debian's OS marked vulnerable:false: too broad to match by NVD.
		{"redis", "redis", nil},
	}
	for _, tt := range tests {
		got, err := db.CPEs(ctx, tt.vendor, tt.product)
		if err != nil {
			t.Fatal(err)
		}
		if tt.want != nil && !slices.Equal(got, tt.want) {
			t.Errorf("%s:%s = %+v, want %+v", tt.vendor, tt.product, got, tt.want)
		}
		if tt.product == "redis" && len(got) != 0 {
			t.Errorf("redis:redis = %+v, want nothing", got)
		}
		if tt.product == "openssh" {
			for _, want := range []CPERange{{ID: "CVE-2016-6210", EndIncl: "7.2p2"}, {ID: "CVE-2023-38408", Version: "9.3p1"},
				{ID: "CVE-2023-38408", Version: "9.3"}, {ID: "CVE-2024-6387", StartIncl: "8.6", EndExcl: "9.8"}} {
				if !slices.Contains(got, want) {
					t.Errorf("openbsd:openssh lacks %+v: %+v", want, got)
				}
			}
		}
	}
	// Operating systems never become products: debian_linux is not there.
	if got, _ := db.CPEs(ctx, "debian", "debian_linux"); len(got) != 0 {
		t.Errorf("an OS CPE was kept: %+v", got)
	}
}

func TestDescribe(t *testing.T) {
	db := importFixtures(t)
	ctx := context.Background()
	tests := []struct {
		id      string
		want    Vuln
		aliases []string
	}{
		// An OSV record speaks for its CVE, which carries NVD's score.
		{"DEBIAN-CVE-2024-6387", Vuln{ID: "CVE-2024-6387", Score: 8.1, ScoreVersion: "3.1"}, []string{"DEBIAN-CVE-2024-6387", "DSA-5724-1"}},
		// KEV, with the day it was added.
		{"CVE-2021-41773", Vuln{ID: "CVE-2021-41773", Score: 7.5, ScoreVersion: "3.1", KEVAdded: "2021-11-03"}, nil},
		// Only a CNA's v3.1 score: it still comes before NVD's v2.
		{"CVE-2015-3306", Vuln{ID: "CVE-2015-3306", Score: 10, ScoreVersion: "3.1"}, nil},
		// NVD's own v3.0 and a CNA's v3.1: v3.1 first.
		{"CVE-2016-6210", Vuln{ID: "CVE-2016-6210", Score: 5.9, ScoreVersion: "3.1"}, nil},
		// v3.0 only.
		{"CVE-2019-15846", Vuln{ID: "CVE-2019-15846", Score: 9.8, ScoreVersion: "3.0"}, nil},
		// Awaiting analysis: unscored.
		{"CVE-2023-48795", Vuln{ID: "CVE-2023-48795"}, nil},
	}
	for _, tt := range tests {
		v, err := db.Describe(ctx, tt.id)
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != tt.want.ID || v.Score != tt.want.Score || v.ScoreVersion != tt.want.ScoreVersion || v.KEVAdded != tt.want.KEVAdded {
			t.Errorf("Describe(%s) = %+v, want %+v", tt.id, v, tt.want)
		}
		for _, a := range tt.aliases {
			if !slices.Contains(v.Aliases, a) && a != tt.id {
				t.Errorf("Describe(%s): aliases %v lack %s", tt.id, v.Aliases, a)
			}
		}
		if !strings.HasPrefix(v.URL, "https://") {
			t.Errorf("Describe(%s): no reference URL", tt.id)
		}
	}
	v, err := db.Describe(ctx, "CVE-2011-2523")
	if err != nil || !v.HasEPSS || v.EPSS < 0.9 {
		t.Errorf("CVE-2011-2523's EPSS: %+v %v", v, err)
	}
}

func TestWithdrawnAndRejected(t *testing.T) {
	dir := t.TempDir()
	// The real rejected record, and a withdrawn copy of a real OSV record.
	b, err := os.ReadFile("testdata/osv-debian/DEBIAN-CVE-2024-6387.json")
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := bytes.Replace(b, []byte(`"id": "DEBIAN-CVE-2024-6387"`), []byte(`"withdrawn": "2026-01-01T00:00:00Z", "id": "DEBIAN-CVE-2024-6387"`), 1)
	if bytes.Equal(b, withdrawn) {
		t.Fatal("the fixture changed shape")
	}
	if err := os.WriteFile(filepath.Join(dir, "w.json"), withdrawn, 0o600); err != nil {
		t.Fatal(err)
	}
	db := importFixtures(t, "testdata/nvd/CVE-2024-6341.json", filepath.Join(dir, "w.json"))
	ctx := context.Background()
	if rs, err := db.Affected(ctx, "Debian:12", "openssh"); err != nil || len(rs) != 0 {
		t.Errorf("a withdrawn record still affects openssh: %+v %v", rs, err)
	}
	var withdrawnFlag bool
	if err := db.db.QueryRow(`SELECT withdrawn FROM vulns WHERE id = 'CVE-2024-6341'`).Scan(&withdrawnFlag); err != nil || !withdrawnFlag {
		t.Errorf("the rejected CVE-2024-6341 is not marked withdrawn: %v %v", withdrawnFlag, err)
	}
}

func TestAffectedRanges(t *testing.T) {
	db := importFixtures(t)
	rs, err := db.Affected(context.Background(), "Debian:12", "openssh")
	if err != nil {
		t.Fatal(err)
	}
	fixed := map[string]string{}
	for _, r := range rs {
		fixed[r.ID] = r.Fixed
	}
	for id, want := range map[string]string{"DEBIAN-CVE-2024-6387": "1:9.2p1-2+deb12u3", "DSA-5724-1": "1:9.2p1-2+deb12u3"} {
		if fixed[id] != want {
			t.Errorf("%s fixed in %q, want %q (all: %v)", id, fixed[id], want, fixed)
		}
	}
	ng, err := db.Affected(context.Background(), "Debian:12", "nginx")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(ng, func(r Range) bool {
		return r.ID == "DEBIAN-CVE-2023-44487" && r.Urgency == "unimportant" && r.Fixed == ""
	}) {
		t.Errorf("nginx's unimportant, unfixed CVE-2023-44487 is missing: %+v", ng)
	}
}

// TestBuildIsAllOrNothing: a failing import leaves the database as it was,
// and no temporary file behind.
func TestBuildIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vulndb.sqlite")
	ctx := context.Background()
	if err := Build(ctx, path, func(w *Writer) error { return Import(ctx, w, []string{"testdata/kev"}, nil) }); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	os.Mkdir(bad, 0o700)
	os.WriteFile(filepath.Join(bad, "a.json"), []byte(`{"id": "DEBIAN-CVE-1", "modified": "2026-01-01T00:00:00Z", "affected": []}`), 0o600)
	os.WriteFile(filepath.Join(bad, "b.json"), []byte(`{"id": "x", "affected": [`), 0o600)
	err = Build(ctx, path, func(w *Writer) error { return Import(ctx, w, []string{"testdata/nvd", bad}, nil) })
	if err == nil || !strings.Contains(err.Error(), "b.json") {
		t.Fatalf("a broken file: %v, want an error naming it", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a failed import changed the database")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := Build(cancelled, path, func(w *Writer) error { return Import(cancelled, w, []string{"testdata/nvd"}, nil) }); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled import: %v", err)
	}
	after, _ = os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a cancelled import changed the database")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".vulndb-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode: %v %v, want 0600", fi.Mode(), err)
	}
}

func TestFormatsAreToldFromContent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.json"), []byte(`{"hello": "world"}`), 0o600)
	path := filepath.Join(dir, "vulndb.sqlite")
	ctx := context.Background()
	err := Build(ctx, path, func(w *Writer) error { return Import(ctx, w, []string{filepath.Join(dir, "notes.json")}, nil) })
	if !errors.Is(err, ErrFormat) {
		t.Errorf("an unknown JSON file: %v, want ErrFormat", err)
	}
	// The API response holds three real records; loading it alone fills
	// the NVD source.
	db := importFixtures(t, "testdata/nvd/api-response.json")
	srcs, _ := db.Sources(ctx)
	if len(srcs) != 1 || srcs[0].Name != "nvd" || srcs[0].Records != 3 {
		t.Errorf("API response: %+v", srcs)
	}
	if _, err := Open(ctx, filepath.Join(dir, "none.sqlite")); !errors.Is(err, ErrNoDB) {
		t.Errorf("Open of nothing: %v", err)
	}
	if s := (Source{DataTime: time.Now().Add(-8 * 24 * time.Hour)}); !s.Stale(time.Now()) {
		t.Error("8-day-old data is not stale")
	}
}

// TestUpdateCursors: an update's cursor rows (FeedPrefix) hold where it
// starts again and stay out of the status; Checked marks a family of
// sources loaded now without touching their data time.
func TestUpdateCursors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vulndb.sqlite")
	ctx := context.Background()
	newest := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	err := Build(ctx, path, func(w *Writer) error {
		if err := Import(ctx, w, []string{"testdata/osv-debian"}, nil); err != nil {
			return err
		}
		return w.SetCursor(FeedPrefix+"osv:Debian", newest.Format(time.RFC3339Nano), newest)
	})
	if err != nil {
		t.Fatal(err)
	}
	loaded := func() map[string]Source {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		srcs, err := db.Sources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Source{}
		for _, s := range srcs {
			if strings.HasPrefix(s.Name, FeedPrefix) {
				t.Errorf("Sources lists the cursor row %s", s.Name)
			}
			out[s.Name] = s
		}
		return out
	}
	first := loaded()
	if _, ok := first["osv:Debian:12"]; !ok {
		t.Fatalf("sources: %v", first)
	}
	time.Sleep(1100 * time.Millisecond) // load times have one-second precision
	err = Build(ctx, path, func(w *Writer) error {
		c, err := w.Cursor(FeedPrefix + "osv:Debian")
		if err != nil || c != newest.Format(time.RFC3339Nano) {
			t.Errorf("cursor %q %v", c, err)
		}
		return w.Checked("osv:Debian:")
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range loaded() {
		if !s.Loaded.After(first[name].Loaded) || !s.DataTime.Equal(first[name].DataTime) || s.Records != first[name].Records {
			t.Errorf("%s after Checked: %+v, before %+v", name, s, first[name])
		}
	}
}
