package vulnfeed_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/vulndb"
	"github.com/vigilsec/vigil/internal/vulnfeed"
	"github.com/vigilsec/vigil/internal/vulnfeed/feedtest"
)

// apiKey is the NVD API key the tests give; it must reach NVD's requests
// only, and never a log, a message or the database.
const apiKey = "5e1ec7ed-0000-4000-8000-00000000c0de"

// clock is a fake clock: Sleep moves it on at once.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	return ctx.Err()
}

func (c *clock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.slept)
}

// rig is a feed server, a database path and what an update needs to use
// them.
type rig struct {
	srv   *feedtest.Server
	db    string
	clock *clock
	logs  *bytes.Buffer
	// phases are the progress phases seen.
	mu     sync.Mutex
	phases map[string]bool
}

func newRig(t *testing.T) *rig {
	t.Helper()
	return &rig{srv: feedtest.New(t, "../vulndb/testdata"), db: filepath.Join(t.TempDir(), "data", "vulndb.sqlite"),
		clock: &clock{t: time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{}, phases: map[string]bool{}}
}

// config returns an update's configuration reaching the rig's server only.
func (r *rig) config(feeds ...string) vulnfeed.Config {
	u := r.srv.URL()
	return vulnfeed.Config{
		Sources: vulnfeed.Sources{OSV: u + feedtest.OSVPrefix, NVD: u + feedtest.NVDPath, KEV: u + feedtest.KEVPath, EPSS: u + feedtest.EPSSPath},
		Feeds:   feeds, Client: feedtest.Client(), NVDAPIKey: apiKey, UserAgent: "vigil/test",
		Now: r.clock.Now, Sleep: r.clock.Sleep,
		Log: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Progress: func(phase string, _, _ int64) {
			r.mu.Lock()
			r.phases[phase] = true
			r.mu.Unlock()
		},
	}
}

// update runs an update and fails the test when it fails.
func (r *rig) update(t *testing.T, cfg vulnfeed.Config) map[string]vulnfeed.Result {
	t.Helper()
	res, err := vulnfeed.Update(t.Context(), r.db, cfg)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	out := map[string]vulnfeed.Result{}
	for _, x := range res {
		out[x.Feed] = x
	}
	return out
}

// sources returns the records of each source of the database.
func (r *rig) sources(t *testing.T) map[string]int {
	t.Helper()
	db, err := vulndb.Open(t.Context(), r.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srcs, err := db.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range srcs {
		out[s.Name] = s.Records
	}
	return out
}

// cursor reads where the next update of source starts, leaving the
// database as it is.
func (r *rig) cursor(t *testing.T, source string) string {
	t.Helper()
	var c string
	stop := errors.New("read only")
	err := vulndb.Build(t.Context(), r.db, func(w *vulndb.Writer) error {
		var err error
		c, err = w.Cursor(source)
		if err != nil {
			return err
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatal(err)
	}
	return c
}

// paths counts the requests by path.
func paths(reqs []feedtest.Request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[strings.SplitN(r.URI, "?", 2)[0]]++
	}
	return out
}

// leftovers lists the temporary files beside the database.
func leftovers(t *testing.T, db string) []string {
	t.Helper()
	left, err := filepath.Glob(filepath.Join(filepath.Dir(db), ".vulndb-*"))
	if err != nil {
		t.Fatal(err)
	}
	return left
}

// TestFirstUpdateFillsEverySource: with no database, an update downloads
// every feed whole (OSV's all.zip, every NVD page without dates, KEV,
// EPSS), loads them, sends the API key to NVD only and keeps it nowhere,
// and leaves no download behind; downloads were private files beside the
// database while they ran.
func TestFirstUpdateFillsEverySource(t *testing.T) {
	r := newRig(t)
	var (
		mu    sync.Mutex
		modes []os.FileMode
	)
	r.srv.Lock()
	r.srv.Hook = func(*http.Request) {
		files, _ := filepath.Glob(filepath.Join(filepath.Dir(r.db), ".vulndb-download-*"))
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				mu.Lock()
				modes = append(modes, fi.Mode().Perm())
				mu.Unlock()
			}
		}
	}
	r.srv.Unlock()
	res := r.update(t, r.config())
	mu.Lock()
	defer mu.Unlock()

	want := map[string]struct {
		mode    string
		records int
	}{"OSV Debian": {"full", 13}, "NVD": {"full", 24}, "CISA KEV": {"full", 10}, "FIRST EPSS": {"full", 28}}
	for feed, w := range want {
		got, ok := res[feed]
		if !ok || got.Mode != w.mode || got.Records != w.records || got.Bytes == 0 || got.Requests == 0 {
			t.Errorf("%s: %+v, want mode %s and %d records", feed, got, w.mode, w.records)
		}
	}
	srcs := r.sources(t)
	if srcs["nvd"] != 24 || srcs["kev"] != 10 || srcs["epss"] != 28 || srcs["osv:Debian:12"] < 8 || srcs["osv:Debian:11"] < 1 {
		t.Errorf("sources: %v", srcs)
	}
	for name := range srcs {
		if strings.HasPrefix(name, vulndb.FeedPrefix) {
			t.Errorf("status lists the cursor row %s", name)
		}
	}

	reqs := r.srv.Requests()
	byPath := paths(reqs)
	if byPath["/osv/Debian/all.zip"] != 1 || byPath["/osv/Debian/modified_id.csv"] != 0 || byPath[feedtest.NVDPath] != 3 ||
		byPath[feedtest.KEVPath] != 1 || byPath[feedtest.EPSSPath] != 1 || len(reqs) != 6 {
		t.Errorf("requests: %v", byPath)
	}
	for _, q := range reqs {
		if strings.HasPrefix(q.URI, feedtest.NVDPath) {
			if strings.Contains(q.URI, "lastMod") {
				t.Errorf("a first update asked NVD for a date range: %s", q.URI)
			}
			if q.APIKey != apiKey {
				t.Errorf("%s went without the API key", q.URI)
			}
		} else if q.APIKey != "" {
			t.Errorf("the NVD API key went to %s", q.URI)
		}
		if strings.Contains(q.URI, apiKey) {
			t.Errorf("the API key is in a URL: %s", q.URI)
		}
	}
	if db, _ := os.ReadFile(r.db); bytes.Contains(db, []byte(apiKey)) || len(db) == 0 {
		t.Error("the database holds the API key, or nothing")
	}
	if strings.Contains(r.logs.String(), apiKey) || !strings.Contains(r.logs.String(), "GET") {
		t.Errorf("the API key is in the log, or nothing was logged:\n%s", r.logs.String())
	}
	if fi, err := os.Stat(r.db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode: %v", err)
	}
	if len(modes) == 0 {
		t.Error("no download was seen beside the database while it ran")
	}
	for _, m := range modes {
		if m != 0o600 {
			t.Errorf("a download had mode %v, want 0600", m)
		}
	}
	if left := leftovers(t, r.db); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	for _, p := range []string{"downloading OSV Debian", "loading OSV Debian", "downloading NVD", "downloading CISA KEV", "downloading FIRST EPSS"} {
		if !r.phases[p] {
			t.Errorf("no progress for %q (saw %v)", p, r.phases)
		}
	}
}

// TestSecondUpdateIsIncremental: after OSV changed one record and added
// one, and NVD changed one, an update fetches OSV's list of changes and
// those two records only (no all.zip), and asks NVD for what changed
// from its cursor (NVD's clock at the first update) to now, in windows
// of at most 120 days. A third update with nothing new fetches the list
// only.
func TestSecondUpdateIsIncremental(t *testing.T) {
	r := newRig(t)
	r.update(t, r.config())
	r.srv.Requests()
	osvCursor := r.cursor(t, vulndb.FeedPrefix+"osv:Debian")
	nvdCursor := r.cursor(t, "nvd")
	if want := r.srv.NVDTimestamp.Format(time.RFC3339Nano); nvdCursor != want {
		t.Fatalf("NVD cursor %q, want NVD's clock at its first answer %q", nvdCursor, want)
	}
	cur, err := time.Parse(time.RFC3339Nano, osvCursor)
	if err != nil {
		t.Fatalf("OSV cursor %q: %v", osvCursor, err)
	}

	// OSV: one record changes (a new fixed version), one appears.
	r.srv.Lock()
	changed := bytes.Replace(r.srv.OSV["DEBIAN-CVE-2024-6387"], []byte("1:9.2p1-2+deb12u3"), []byte("1:9.2p1-2+deb12u9"), 1)
	r.srv.OSV["DEBIAN-CVE-2024-6387"] = feedtest.SetOSVModified(changed, cur.Add(time.Hour))
	r.srv.OSV["DEBIAN-CVE-2099-0001"] = feedtest.SetOSVModified(
		bytes.Replace(r.srv.OSV["DSA-5724-1"], []byte(`"DSA-5724-1"`), []byte(`"DEBIAN-CVE-2099-0001"`), 1), cur.Add(2*time.Hour))
	// NVD: one record changes after the cursor.
	r.srv.NVD["CVE-2024-6387"] = feedtest.SetNVD(r.srv.NVD["CVE-2024-6387"], r.srv.NVDTimestamp.Add(48*time.Hour), "regreSSHion, as changed upstream")
	r.srv.Unlock()
	// Seven months later: more than one window of 120 days.
	r.clock.mu.Lock()
	r.clock.t = time.Date(2027, 6, 1, 6, 0, 0, 0, time.UTC)
	r.clock.mu.Unlock()

	res := r.update(t, r.config())
	if o := res["OSV Debian"]; o.Mode != "incremental" || o.Records != 2 {
		t.Errorf("OSV: %+v, want 2 records, incremental", o)
	}
	if n := res["NVD"]; n.Mode != "incremental" || n.Records != 1 {
		t.Errorf("NVD: %+v, want 1 record, incremental", n)
	}
	reqs := r.srv.Requests()
	byPath := paths(reqs)
	if byPath["/osv/Debian/all.zip"] != 0 || byPath["/osv/Debian/modified_id.csv"] != 1 ||
		byPath["/osv/Debian/DEBIAN-CVE-2024-6387.json"] != 1 || byPath["/osv/Debian/DEBIAN-CVE-2099-0001.json"] != 1 {
		t.Errorf("OSV requests: %v", byPath)
	}
	for p := range byPath {
		if strings.HasSuffix(p, ".json") && strings.HasPrefix(p, "/osv/") && !strings.Contains(p, "6387") && !strings.Contains(p, "2099") {
			t.Errorf("an unchanged record was fetched: %s", p)
		}
	}
	// NVD: from the cursor to now, 212 days in two windows.
	var windows [][2]time.Time
	for _, q := range reqs {
		if !strings.HasPrefix(q.URI, feedtest.NVDPath) {
			continue
		}
		u, _ := url.Parse(q.URI)
		from, err1 := time.Parse("2006-01-02T15:04:05.000Z07:00", u.Query().Get("lastModStartDate"))
		to, err2 := time.Parse("2006-01-02T15:04:05.000Z07:00", u.Query().Get("lastModEndDate"))
		if err1 != nil || err2 != nil {
			t.Fatalf("an incremental NVD request without its dates: %s", q.URI)
		}
		windows = append(windows, [2]time.Time{from, to})
	}
	if len(windows) != 2 || !windows[0][0].Equal(r.srv.NVDTimestamp) || !windows[0][1].Equal(windows[1][0]) ||
		!windows[1][1].Equal(r.clock.Now()) || windows[0][1].Sub(windows[0][0]) > 120*24*time.Hour {
		t.Errorf("NVD windows %v: want from the cursor %s to now %s, at most 120 days each", windows, r.srv.NVDTimestamp, r.clock.Now())
	}

	db, err := vulndb.Open(t.Context(), r.db)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := db.Affected(t.Context(), "Debian:12", "openssh")
	if !slices.ContainsFunc(rs, func(x vulndb.Range) bool { return x.ID == "DEBIAN-CVE-2024-6387" && x.Fixed == "1:9.2p1-2+deb12u9" }) ||
		!slices.ContainsFunc(rs, func(x vulndb.Range) bool { return x.ID == "DEBIAN-CVE-2099-0001" }) {
		t.Errorf("the changed and the new OSV record are not in the database: %+v", rs)
	}
	if v, _ := db.Describe(t.Context(), "CVE-2024-6387"); v.Summary != "regreSSHion, as changed upstream" {
		t.Errorf("the changed NVD record: %q", v.Summary)
	}
	db.Close()
	if c := r.cursor(t, vulndb.FeedPrefix+"osv:Debian"); c != cur.Add(2*time.Hour).Format(time.RFC3339Nano) {
		t.Errorf("OSV cursor after the delta %q, want the newest change %s", c, cur.Add(2*time.Hour))
	}
	if c := r.cursor(t, "nvd"); c != r.srv.NVDTimestamp.Format(time.RFC3339Nano) {
		// NVD's clock (November) is behind the fake now: it wins.
		t.Errorf("NVD cursor %q", c)
	}

	// Nothing new: the list of changes only, and NVD's empty windows.
	res = r.update(t, r.config(vulnfeed.FeedOSV))
	if o := res["OSV Debian"]; o.Mode != "up to date" || o.Records != 0 {
		t.Errorf("OSV with nothing new: %+v", o)
	}
	if byPath := paths(r.srv.Requests()); len(byPath) != 1 || byPath["/osv/Debian/modified_id.csv"] != 1 {
		t.Errorf("requests with nothing new: %v", byPath)
	}
}

// TestLargeDeltaDownloadsTheArchive: past MaxDelta changed records, the
// update downloads all.zip instead of the records one by one.
func TestLargeDeltaDownloadsTheArchive(t *testing.T) {
	r := newRig(t)
	r.update(t, r.config(vulnfeed.FeedOSV))
	r.srv.Requests()
	cur, _ := time.Parse(time.RFC3339Nano, r.cursor(t, vulndb.FeedPrefix+"osv:Debian"))
	r.srv.Lock()
	for _, id := range []string{"DSA-5724-1", "DSA-5586-1", "DSA-5514-1"} {
		r.srv.OSV[id] = feedtest.SetOSVModified(r.srv.OSV[id], cur.Add(time.Minute))
	}
	r.srv.Unlock()
	cfg := r.config(vulnfeed.FeedOSV)
	cfg.MaxDelta = 2
	res := r.update(t, cfg)
	byPath := paths(r.srv.Requests())
	if res["OSV Debian"].Mode != "full" || byPath["/osv/Debian/all.zip"] != 1 || byPath["/osv/Debian/modified_id.csv"] != 1 || len(byPath) != 2 {
		t.Errorf("3 changes past a delta of 2: %+v, requests %v", res["OSV Debian"], byPath)
	}
}

// TestFailedUpdateLeavesTheDatabase: a download the server cuts off in
// the middle, an update cancelled in the middle, a checksum that does
// not match, a stalled download and one larger than the cap all fail the
// update, and leave the database byte for byte as it was (or absent, if
// there was none), with no temporary file behind.
func TestFailedUpdateLeavesTheDatabase(t *testing.T) {
	tests := []struct {
		name  string
		feeds []string
		setup func(r *rig, cfg *vulnfeed.Config, cancel context.CancelFunc)
		want  string
		is    error
	}{
		{"archive cut off", nil, func(r *rig, _ *vulnfeed.Config, _ context.CancelFunc) { r.srv.Cut["/osv/Debian/all.zip"] = true },
			"broke off", nil},
		{"NVD page cut off", []string{"nvd"}, func(r *rig, _ *vulnfeed.Config, _ context.CancelFunc) { r.srv.Cut[feedtest.NVDPath] = true },
			"broke off", nil},
		{"cancelled between NVD pages", []string{"osv", "nvd", "kev"}, func(r *rig, _ *vulnfeed.Config, cancel context.CancelFunc) {
			r.srv.Hook = func(q *http.Request) {
				if q.URL.Path == feedtest.NVDPath && q.URL.Query().Get("startIndex") == "10" {
					cancel()
				}
			}
		}, "", context.Canceled},
		{"MD5 mismatch", []string{"osv"}, func(r *rig, _ *vulnfeed.Config, _ context.CancelFunc) {
			r.srv.BadMD5["/osv/Debian/all.zip"] = true
		}, "MD5", vulnfeed.ErrChecksum},
		{"stalled", []string{"kev"}, func(r *rig, cfg *vulnfeed.Config, _ context.CancelFunc) {
			r.srv.Stall[feedtest.KEVPath] = true
			cfg.Stall = 300 * time.Millisecond
		}, "nothing arrived for 300ms", nil},
		{"larger than the cap", []string{"osv"}, func(r *rig, _ *vulnfeed.Config, _ context.CancelFunc) {
			r.srv.Oversize["/osv/Debian/all.zip"] = true
		}, "more than the 2.0 GiB vigil accepts: refusing it", nil},
		{"not a KEV catalogue", []string{"kev"}, func(r *rig, _ *vulnfeed.Config, _ context.CancelFunc) {
			r.srv.KEV = []byte(`{"catalogVersion": "1", "vulnerabilities": []}`)
		}, "without a single entry", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, fresh := range []bool{false, true} {
				r := newRig(t)
				var before []byte
				if !fresh {
					r.update(t, r.config(vulnfeed.FeedKEV))
					var err error
					if before, err = os.ReadFile(r.db); err != nil {
						t.Fatal(err)
					}
				}
				ctx, cancel := context.WithCancel(t.Context())
				cfg := r.config(tt.feeds...)
				r.srv.Lock()
				tt.setup(r, &cfg, cancel)
				r.srv.Unlock()
				start := time.Now()
				_, err := vulnfeed.Update(ctx, r.db, cfg)
				cancel()
				if err == nil || (tt.want != "" && !strings.Contains(err.Error(), tt.want)) || (tt.is != nil && !errors.Is(err, tt.is)) {
					t.Fatalf("update: %v, want an error with %q", err, tt.want)
				}
				t.Logf("fresh %v: %v", fresh, err)
				if time.Since(start) > 20*time.Second {
					t.Errorf("the failure took %s", time.Since(start))
				}
				after, rerr := os.ReadFile(r.db)
				switch {
				case fresh && !errors.Is(rerr, os.ErrNotExist):
					t.Errorf("a failed first update left a database (%v)", rerr)
				case !fresh && !bytes.Equal(before, after):
					t.Error("a failed update changed the database")
				}
				if left := leftovers(t, r.db); len(left) != 0 {
					t.Errorf("left behind: %v", left)
				}
				if strings.Contains(err.Error(), apiKey) {
					t.Errorf("the error shows the API key: %v", err)
				}
			}
		})
	}
}

// TestChecksumOfARecord: a record of a delta whose MD5 does not match
// fails the update too.
func TestChecksumOfARecord(t *testing.T) {
	r := newRig(t)
	r.update(t, r.config(vulnfeed.FeedOSV))
	before, _ := os.ReadFile(r.db)
	cur, _ := time.Parse(time.RFC3339Nano, r.cursor(t, vulndb.FeedPrefix+"osv:Debian"))
	r.srv.Lock()
	r.srv.OSV["DSA-5724-1"] = feedtest.SetOSVModified(r.srv.OSV["DSA-5724-1"], cur.Add(time.Minute))
	r.srv.BadMD5["/osv/Debian/DSA-5724-1.json"] = true
	r.srv.Unlock()
	_, err := vulnfeed.Update(t.Context(), r.db, r.config(vulnfeed.FeedOSV))
	if !errors.Is(err, vulnfeed.ErrChecksum) || !strings.Contains(err.Error(), "DSA-5724-1") {
		t.Fatalf("update: %v, want a checksum error naming the record", err)
	}
	if after, _ := os.ReadFile(r.db); !bytes.Equal(before, after) {
		t.Error("the database changed")
	}
}

// TestRequestsAskForFeedsOnly: over a full and an incremental update, every
// request is for a whole feed, a record OSV listed as changed, or an NVD
// page by index and date; none carries a product, a package or a version
// of the machine's inventory (testdata/dpkg), nor any parameter but those.
func TestRequestsAskForFeedsOnly(t *testing.T) {
	r := newRig(t)
	r.update(t, r.config())
	cur, _ := time.Parse(time.RFC3339Nano, r.cursor(t, vulndb.FeedPrefix+"osv:Debian"))
	r.srv.Lock()
	r.srv.OSV["DSA-5724-1"] = feedtest.SetOSVModified(r.srv.OSV["DSA-5724-1"], cur.Add(time.Minute))
	r.srv.Unlock()
	r.update(t, r.config())
	reqs := r.srv.Requests()
	if len(reqs) < 10 {
		t.Fatalf("only %d requests", len(reqs))
	}

	osvFile := regexp.MustCompile(`^/osv/Debian/(all\.zip|modified_id\.csv|([A-Za-z0-9._:-]+)\.json)$`)
	var inventory []string
	status, err := os.ReadFile("../vulndb/testdata/dpkg/status-old-openssh")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		for _, field := range []string{"Package: ", "Source: ", "Version: "} {
			if v, ok := strings.CutPrefix(line, field); ok {
				inventory = append(inventory, strings.ToLower(strings.TrimSpace(v)))
			}
		}
	}
	if !slices.Contains(inventory, "openssh-server") || !slices.Contains(inventory, "1:9.2p1-2") {
		t.Fatalf("inventory: %v", inventory)
	}
	inventory = append(inventory, "openssh", "nginx", "9.2p1", "cpe:", "keyword", "cpeName", "virtualMatchString")
	for _, q := range reqs {
		u, err := url.Parse(q.URI)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case u.Path == feedtest.KEVPath || u.Path == feedtest.EPSSPath:
			if u.RawQuery != "" {
				t.Errorf("a query on a whole file: %s", q.URI)
			}
		case u.Path == feedtest.NVDPath:
			for k := range u.Query() {
				if !slices.Contains([]string{"startIndex", "resultsPerPage", "lastModStartDate", "lastModEndDate"}, k) {
					t.Errorf("NVD was asked %s: %s", k, q.URI)
				}
			}
		case osvFile.MatchString(u.Path):
			if m := osvFile.FindStringSubmatch(u.Path); m[2] != "" && m[2] != "DSA-5724-1" {
				t.Errorf("a record OSV did not list as changed: %s", q.URI)
			}
		default:
			t.Errorf("a request that is no feed: %s", q.URI)
		}
		for _, word := range inventory {
			if strings.Contains(strings.ToLower(q.URI), strings.ToLower(word)) || strings.Contains(strings.ToLower(q.URI), url.QueryEscape(word)) {
				t.Errorf("%s names %q", q.URI, word)
			}
		}
	}
}

// TestRetries: 503 and 429 are retried after the wait the server asks
// for, 403 from NVD after a growing backoff, on the fake clock; a 404 is
// not retried; a key NVD refuses is named as the thing to check.
func TestRetries(t *testing.T) {
	r := newRig(t)
	r.srv.Lock()
	r.srv.Status[feedtest.KEVPath] = []int{503, 429}
	r.srv.RetryAfter = "7"
	r.srv.Unlock()
	r.update(t, r.config(vulnfeed.FeedKEV))
	if s := r.clock.Slept(); !slices.Equal(s, []time.Duration{7 * time.Second, 7 * time.Second}) {
		t.Errorf("slept %v, want the 7 s the server asked for, twice", s)
	}

	r = newRig(t)
	r.srv.Lock()
	r.srv.Status[feedtest.NVDPath] = []int{403, 403}
	r.srv.Unlock()
	r.update(t, r.config(vulnfeed.FeedNVD))
	if s := r.clock.Slept(); !slices.Equal(s, []time.Duration{6 * time.Second, 12 * time.Second}) {
		t.Errorf("slept %v, want 6 s then 12 s", s)
	}

	r = newRig(t)
	r.srv.Lock()
	r.srv.Status[feedtest.NVDPath] = []int{503, 503, 503, 503, 503, 503}
	r.srv.Unlock()
	cfg := r.config(vulnfeed.FeedNVD)
	cfg.NVDAPIKey = ""
	_, err := vulnfeed.Update(t.Context(), r.db, cfg)
	if err == nil || !strings.Contains(err.Error(), "still after retrying") || !strings.Contains(err.Error(), "NVD API key") {
		t.Errorf("NVD busy five times: %v", err)
	}
	if n := len(r.srv.Requests()); n != 5 {
		t.Errorf("%d requests, want 5 attempts", n)
	}

	r = newRig(t)
	r.srv.Lock()
	r.srv.Status[feedtest.EPSSPath] = []int{404}
	r.srv.Status[feedtest.NVDPath] = []int{404}
	r.srv.Unlock()
	_, err = vulnfeed.Update(t.Context(), r.db, r.config(vulnfeed.FeedEPSS))
	if err == nil || !strings.Contains(err.Error(), "FIRST EPSS") || !strings.Contains(err.Error(), "404") || len(r.srv.Requests()) != 1 {
		t.Errorf("EPSS not found: %v", err)
	}
	_, err = vulnfeed.Update(t.Context(), r.db, r.config(vulnfeed.FeedNVD))
	if err == nil || !strings.Contains(err.Error(), "--nvd-api-key") || strings.Contains(err.Error(), apiKey) {
		t.Errorf("NVD refusing the key: %v", err)
	}
}

// TestAPIKeyStaysWithNVD: when NVD redirects to another host, the API key
// is not sent there; a redirect on NVD's own host keeps it.
func TestAPIKeyStaysWithNVD(t *testing.T) {
	r := newRig(t)
	other := feedtest.New(t, "../vulndb/testdata")
	r.srv.Lock()
	r.srv.Redirect[feedtest.NVDPath] = other.URL() + feedtest.NVDPath + "?resultsPerPage=2000&startIndex=0"
	r.srv.Unlock()
	cfg := r.config(vulnfeed.FeedNVD)
	cfg.NVDRequests = 1000
	r.update(t, cfg)
	redirected := other.Requests()
	if len(redirected) != 1 {
		t.Fatalf("the redirect was not followed: %v", redirected)
	}
	for _, q := range redirected {
		if q.APIKey != "" {
			t.Errorf("the API key followed a redirect to another host: %s", q.URI)
		}
	}
	reqs := r.srv.Requests()
	if len(reqs) < 2 || reqs[0].APIKey != apiKey {
		t.Errorf("requests to NVD: %+v", reqs)
	}
}

// TestNVDRateLimit: at most NVDRequests requests start in any NVDWindow,
// by the injected clock: the third page of three waits for the window.
func TestNVDRateLimit(t *testing.T) {
	r := newRig(t)
	cfg := r.config(vulnfeed.FeedNVD)
	cfg.NVDRequests = 2
	start := time.Now()
	r.update(t, cfg)
	if s := r.clock.Slept(); !slices.Equal(s, []time.Duration{31 * time.Second}) {
		t.Errorf("slept %v, want one wait of the 30 s window and its margin", s)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the test slept for real: %s", time.Since(start))
	}
}

// TestValidate: the user's mistakes in sources and ecosystems are named.
func TestValidate(t *testing.T) {
	tests := []struct {
		cfg  vulnfeed.Config
		want string
	}{
		{vulnfeed.Config{Feeds: []string{"osv", "ghsa"}}, `unknown source "ghsa"`},
		{vulnfeed.Config{Ecosystems: []string{"Debian:12"}}, `give "Debian"`},
		{vulnfeed.Config{Ecosystems: []string{"npm"}}, `unknown OSV ecosystem "npm"`},
		{vulnfeed.Config{Sources: vulnfeed.Sources{OSV: "ftp://x", NVD: "https://a", KEV: "https://b", EPSS: "https://c"}}, "OSV address"},
		{vulnfeed.Config{NVDAPIKey: "a\nb"}, "line break"},
		{vulnfeed.Config{MaxDelta: -1}, "negative"},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.cfg, err, tt.want)
		}
	}
	c := vulnfeed.Config{Feeds: []string{" NVD", "osv", "nvd"}, Ecosystems: []string{"debian", "rocky linux"}}
	if err := c.Validate(); err != nil || !slices.Equal(c.Feeds, []string{"nvd", "osv"}) || !slices.Equal(c.Ecosystems, []string{"Debian", "Rocky Linux"}) {
		t.Errorf("canonical spelling: %v %v %v", c.Feeds, c.Ecosystems, err)
	}
	// The defaults are the public feeds (never contacted by a test).
	d := vulnfeed.DefaultSources()
	for _, u := range []string{d.OSV, d.NVD, d.KEV, d.EPSS} {
		if !strings.HasPrefix(u, "https://") {
			t.Errorf("default source %q is not HTTPS", u)
		}
	}
}
