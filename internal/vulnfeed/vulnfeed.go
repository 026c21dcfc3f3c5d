// Package vulnfeed brings vigil's vulnerability database (internal/vulndb)
// up to date from the public feeds: OSV's export of each distribution
// ecosystem, the NVD CVE API 2.0, the CISA Known Exploited Vulnerabilities
// catalogue and FIRST's EPSS scores.
//
// It only ever asks for whole feeds, or for what changed in a feed since a
// date: never for a product, a package or a version, so nothing of what
// vigil found on a machine leaves it. It is the one package that reaches
// beyond the scan scope, and only to the URLs of Config.Sources.
//
// An update is one vulndb.Build: the database changes all at once when
// every feed was downloaded, checked and loaded, or not at all. Downloads
// go to private temporary files beside the database and are removed after.
package vulnfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/vulndb"
)

// The feeds, as Config.Feeds and the --source flag name them.
const (
	FeedOSV  = "osv"
	FeedNVD  = "nvd"
	FeedKEV  = "kev"
	FeedEPSS = "epss"
)

// Feeds returns every feed, in the order an update runs them.
func Feeds() []string { return []string{FeedOSV, FeedNVD, FeedKEV, FeedEPSS} }

// Ecosystems returns the OSV ecosystems an update can download: the
// distributions whose advisories OSV exports whole.
func Ecosystems() []string { return []string{"Debian", "Ubuntu", "Alpine", "Rocky Linux", "AlmaLinux"} }

// DefaultEcosystems is what Config.Ecosystems means when it is empty.
func DefaultEcosystems() []string { return []string{"Debian"} }

// Sources are where the feeds are downloaded from.
type Sources struct {
	// OSV is the base of OSV's export bucket, which holds for each
	// ECOSYSTEM ECOSYSTEM/all.zip (every record), ECOSYSTEM/modified_id.csv
	// (each record's modification time and id, newest first) and
	// ECOSYSTEM/ID.json (one record).
	OSV string
	// NVD is the CVE API 2.0 endpoint.
	NVD string
	// KEV is the CISA KEV catalogue in JSON.
	KEV string
	// EPSS is the current EPSS scores, a gzip-compressed CSV.
	EPSS string
}

// DefaultSources returns the public feeds' addresses.
func DefaultSources() Sources {
	return Sources{
		OSV:  "https://osv-vulnerabilities.storage.googleapis.com",
		NVD:  "https://services.nvd.nist.gov/rest/json/cves/2.0",
		KEV:  "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
		EPSS: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz",
	}
}

// NVD's published rate limits: requests in any rolling window, without
// and with an API key (nvd.nist.gov/developers/start-here).
const (
	NVDWindow       = 30 * time.Second
	NVDRequests     = 5
	NVDRequestsKey  = 50
	nvdWindowMargin = time.Second // requests reach NVD later than vigil sends them
	nvdMaxWindow    = 120 * 24 * time.Hour
	nvdPageSize     = 2000
)

// Config is what an update does and how.
type Config struct {
	// Sources are the feeds' addresses; DefaultSources when zero.
	Sources Sources
	// Feeds are the feeds to update (FeedOSV, …); every feed when empty.
	Feeds []string
	// Ecosystems are the OSV ecosystems to update, spelled as Ecosystems
	// spells them; DefaultEcosystems when empty.
	Ecosystems []string
	// NVDAPIKey, when set, is sent to NVD (only) in the apiKey header, and
	// raises its rate limit. It is never logged nor stored.
	NVDAPIKey string
	// Client makes the requests; nil for one with sane timeouts that
	// honours HTTPS_PROXY and refuses redirects from HTTPS to HTTP.
	Client *http.Client
	// UserAgent names vigil to the feeds ("vigil/1.2.0").
	UserAgent string
	// Progress, when set, is told how far each phase is ("downloading
	// OSV Debian", bytes or records).
	Progress func(phase string, done, total int64)
	// Log receives what the update does; nil for none.
	Log *slog.Logger

	// Now and Sleep are the clock the NVD rate limit and the retries
	// follow; nil for the real one. Tests pass a fake clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// NVDWindow and NVDRequests: at most NVDRequests requests to NVD in
	// any NVDWindow; zero for NVD's published limits (5, or 50 with an
	// API key, in 30 s), plus a second of margin.
	NVDWindow   time.Duration
	NVDRequests int
	// Attempts is how many times a request answered 429 or 503 (and 403
	// from NVD, which means "too many requests" there) is sent in all;
	// 5 when zero. Backoff is the first wait between them, doubled each
	// time, unless the answer says how long to wait (Retry-After); 6 s
	// when zero.
	Attempts int
	Backoff  time.Duration
	// MaxDelta is how many changed OSV records an update fetches one by
	// one; past it, it downloads the ecosystem's whole archive. 5000 when
	// zero.
	MaxDelta int
	// Parallel is how many OSV records are downloaded at once; 8 when
	// zero.
	Parallel int
	// Stall is how long a download may receive nothing before it fails;
	// two minutes when zero.
	Stall time.Duration
}

// Validate checks the configuration and puts the canonical spelling of
// each feed and ecosystem in place; its errors are the user's mistakes.
func (c *Config) Validate() error {
	feeds := make([]string, 0, len(c.Feeds))
	for _, f := range c.Feeds {
		f = strings.ToLower(strings.TrimSpace(f))
		if !slices.Contains(Feeds(), f) {
			return fmt.Errorf("unknown source %q: use %s", f, strings.Join(Feeds(), ", "))
		}
		if !slices.Contains(feeds, f) {
			feeds = append(feeds, f)
		}
	}
	c.Feeds = feeds
	ecos := make([]string, 0, len(c.Ecosystems))
	for _, e := range c.Ecosystems {
		e = strings.TrimSpace(e)
		if strings.Contains(e, ":") {
			return fmt.Errorf("OSV ecosystem %q: OSV exports whole distributions (%s), not their releases; give %q", e,
				strings.Join(Ecosystems(), ", "), e[:strings.Index(e, ":")])
		}
		i := slices.IndexFunc(Ecosystems(), func(k string) bool { return strings.EqualFold(k, e) })
		if i < 0 {
			return fmt.Errorf("unknown OSV ecosystem %q: use %s", e, strings.Join(Ecosystems(), ", "))
		}
		if !slices.Contains(ecos, Ecosystems()[i]) {
			ecos = append(ecos, Ecosystems()[i])
		}
	}
	c.Ecosystems = ecos
	for name, u := range map[string]string{"OSV": c.Sources.OSV, "NVD": c.Sources.NVD, "KEV": c.Sources.KEV, "EPSS": c.Sources.EPSS} {
		if u == "" && c.Sources == (Sources{}) {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil || p.RawQuery != "" {
			return fmt.Errorf("the %s address %q is not an http(s) URL without a query", name, u)
		}
	}
	if strings.ContainsAny(c.NVDAPIKey, "\r\n") {
		return errors.New("the NVD API key holds a line break")
	}
	for name, v := range map[string]int{"NVD requests": c.NVDRequests, "attempts": c.Attempts, "delta": c.MaxDelta, "parallel downloads": c.Parallel} {
		if v < 0 {
			return fmt.Errorf("%s: %d is negative", name, v)
		}
	}
	for name, v := range map[string]time.Duration{"NVD window": c.NVDWindow, "backoff": c.Backoff, "stall timeout": c.Stall} {
		if v < 0 {
			return fmt.Errorf("%s: %s is negative", name, v)
		}
	}
	return nil
}

// withDefaults fills what the configuration leaves to its defaults.
func (c Config) withDefaults() Config {
	if c.Sources == (Sources{}) {
		c.Sources = DefaultSources()
	}
	if len(c.Feeds) == 0 {
		c.Feeds = Feeds()
	}
	if len(c.Ecosystems) == 0 {
		c.Ecosystems = DefaultEcosystems()
	}
	if c.Client == nil {
		c.Client = defaultClient()
	}
	if c.UserAgent == "" {
		c.UserAgent = "vigil"
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.NVDWindow == 0 {
		c.NVDWindow = NVDWindow + nvdWindowMargin
	}
	if c.NVDRequests == 0 {
		c.NVDRequests = NVDRequests
		if c.NVDAPIKey != "" {
			c.NVDRequests = NVDRequestsKey
		}
	}
	if c.Attempts == 0 {
		c.Attempts = 5
	}
	if c.Backoff == 0 {
		c.Backoff = 6 * time.Second
	}
	if c.MaxDelta == 0 {
		c.MaxDelta = 5000
	}
	if c.Parallel == 0 {
		c.Parallel = 8
	}
	if c.Stall == 0 {
		c.Stall = 2 * time.Minute
	}
	return c
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// Result is what an update did with one feed.
type Result struct {
	// Feed names it in the user's words: "OSV Debian", "NVD", "CISA KEV",
	// "FIRST EPSS".
	Feed string
	// Mode is "full" (the whole feed), "incremental" (what changed since
	// the last update) or "up to date" (nothing changed).
	Mode string
	// Records counts the records, catalogue entries or scores loaded.
	Records int
	// Bytes counts what was downloaded, Requests the requests sent.
	Bytes    int64
	Requests int
	// Elapsed is how long the feed took.
	Elapsed time.Duration
}

// Update brings the database at dbPath up to date from the feeds cfg
// names, all at once: when any feed fails, the database is left as it
// was. It returns what it did with each feed.
func Update(ctx context.Context, dbPath string, cfg Config) ([]Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var results []Result
	err := vulndb.Build(ctx, dbPath, func(w *vulndb.Writer) error {
		results = results[:0]
		u := newUpdater(cfg, dbPath, w)
		for _, feed := range Feeds() {
			if !slices.Contains(cfg.Feeds, feed) {
				continue
			}
			switch feed {
			case FeedOSV:
				for _, eco := range cfg.Ecosystems {
					r, err := u.run(ctx, "OSV "+eco, func(ctx context.Context, r *Result) error { return u.osv(ctx, r, eco) })
					if err != nil {
						return err
					}
					results = append(results, r)
				}
			case FeedNVD:
				r, err := u.run(ctx, "NVD", u.nvd)
				if err != nil {
					return err
				}
				results = append(results, r)
			case FeedKEV:
				r, err := u.run(ctx, "CISA KEV", u.kev)
				if err != nil {
					return err
				}
				results = append(results, r)
			case FeedEPSS:
				r, err := u.run(ctx, "FIRST EPSS", u.epss)
				if err != nil {
					return err
				}
				results = append(results, r)
			}
		}
		return nil
	})
	if err != nil && ctx.Err() != nil {
		// Whatever broke first, the update was stopped.
		return nil, fmt.Errorf("the update stopped before its end: %w", context.Cause(ctx))
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}
