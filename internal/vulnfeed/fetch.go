package vulnfeed

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/vulndb"
)

// Size caps: what each kind of download may weigh at most.
const (
	maxArchive  = 2 << 30   // an OSV ecosystem's all.zip
	maxDocument = 256 << 20 // a KEV catalogue, an NVD page, modified_id.csv, the EPSS file
	maxRecord   = 8 << 20   // one OSV record
)

// Deadlines: how long each kind of download may take in all.
const (
	archiveTimeout  = time.Hour
	documentTimeout = 10 * time.Minute
	recordTimeout   = time.Minute
)

// ErrChecksum means a download does not match the checksum its server
// published for it.
var ErrChecksum = errors.New("checksum mismatch")

// errStalled is the cause of a download cancelled for receiving nothing.
var errStalled = errors.New("the download stalled")

// defaultClient returns the HTTP client of an update.
func defaultClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

// checkRedirect follows at most 10 redirects, never from HTTPS to HTTP.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("more than 10 redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("refusing a redirect from HTTPS to %s", req.URL.Redacted())
	}
	return nil
}

// updater runs one update: the feeds it downloads share its writer, its
// temporary directory and the NVD rate limit.
type updater struct {
	cfg     Config
	dir     string // where downloads go: the database's directory
	w       *vulndb.Writer
	nvdRate *limiter
	// mu guards the counters of the feed being updated, which parallel
	// record downloads add to.
	mu       sync.Mutex
	bytes    int64
	requests int
}

func newUpdater(cfg Config, dbPath string, w *vulndb.Writer) *updater {
	return &updater{cfg: cfg, dir: filepath.Dir(dbPath), w: w,
		nvdRate: &limiter{n: cfg.NVDRequests, per: cfg.NVDWindow, now: cfg.Now, sleep: cfg.Sleep}}
}

// run updates one feed with fn and says what it did.
func (u *updater) run(ctx context.Context, feed string, fn func(context.Context, *Result) error) (Result, error) {
	u.bytes, u.requests = 0, 0
	start := time.Now()
	count := u.w.Count
	r := Result{Feed: feed}
	u.cfg.Log.Info("updating", "feed", feed)
	if err := fn(ctx, &r); err != nil {
		return r, fmt.Errorf("%s: %w", feed, err)
	}
	r.Records, r.Bytes, r.Requests, r.Elapsed = u.w.Count-count, u.bytes, u.requests, time.Since(start)
	u.cfg.Log.Info("updated", "feed", feed, "mode", r.Mode, "records", r.Records, "bytes", r.Bytes, "requests", r.Requests)
	return r, nil
}

// progress tells Config.Progress how far phase is.
func (u *updater) progress(phase string, done, total int64) {
	if u.cfg.Progress != nil {
		u.cfg.Progress(phase, done, total)
	}
}

// request is one download.
type request struct {
	// what names what is downloaded, in the user's words ("the archive
	// of every record").
	what    string
	url     string
	limit   int64
	timeout time.Duration
	// nvd marks a request to NVD: it carries the API key, follows the
	// rate limit, and retries 403 too.
	nvd bool
	// phase is the progress phase of its bytes; "" for none.
	phase string
}

// download fetches r into a new private temporary file beside the
// database and returns its name and size. The caller removes it; on an
// error, nothing is left.
func (u *updater) download(ctx context.Context, r request, ext string) (name string, n int64, err error) {
	f, err := os.CreateTemp(u.dir, ".vulndb-download-*"+ext)
	if err != nil {
		return "", 0, fmt.Errorf("cannot write beside the vulnerability database: %w", err)
	}
	name = f.Name()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("cannot write beside the vulnerability database: %w", cerr)
		}
		if err != nil {
			os.Remove(name)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return name, 0, fmt.Errorf("cannot write beside the vulnerability database: %w", err)
	}
	n, err = u.fetch(ctx, r, f)
	return name, n, err
}

// get fetches r into memory.
func (u *updater) get(ctx context.Context, r request) ([]byte, error) {
	var b bytes.Buffer
	_, err := u.fetch(ctx, r, &b)
	return b.Bytes(), err
}

// fetch sends r, retrying the answers that say "later", and copies the
// body to dst, checking its size cap and its published checksums.
func (u *updater) fetch(ctx context.Context, r request, dst io.Writer) (int64, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, r.timeout, fmt.Errorf("%s took longer than %s", r.what, r.timeout))
	defer cancel()
	for attempt := 1; ; attempt++ {
		if r.nvd {
			if err := u.nvdRate.wait(ctx); err != nil {
				return 0, err
			}
		}
		resp, err := u.send(ctx, r)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode == http.StatusOK {
			defer resp.Body.Close()
			return u.copyBody(ctx, r, resp, dst)
		}
		retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable ||
			(r.nvd && resp.StatusCode == http.StatusForbidden)
		serr := statusError(r, resp, r.nvd && u.cfg.NVDAPIKey != "")
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if !retry || attempt >= u.cfg.Attempts {
			return 0, serr
		}
		wait := u.cfg.Backoff
		for i := 1; i < attempt && wait < 10*time.Minute; i++ {
			wait *= 2
		}
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), u.cfg.Now()); ok {
			wait = ra
		}
		wait = min(wait, 10*time.Minute)
		u.cfg.Log.Info("the server asks to wait", "url", r.url, "status", resp.StatusCode, "wait", wait, "attempt", attempt)
		if err := u.cfg.Sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
}

// send sends one request for r.
func (u *updater) send(ctx context.Context, r request) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot ask for %s at %s: %w", r.what, r.url, err)
	}
	req.Header.Set("User-Agent", u.cfg.UserAgent)
	client := u.cfg.Client
	if r.nvd && u.cfg.NVDAPIKey != "" {
		req.Header.Set("apiKey", u.cfg.NVDAPIKey)
		// The client would pass the header on through any redirect: the
		// key goes to NVD's own host only.
		c := *client
		next := c.CheckRedirect
		c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				req.Header.Del("apiKey")
			}
			if next != nil {
				return next(req, via)
			}
			if len(via) >= 10 {
				return errors.New("more than 10 redirects")
			}
			return nil
		}
		client = &c
	}
	u.mu.Lock()
	u.requests++
	u.mu.Unlock()
	u.cfg.Log.Debug("GET", "url", r.url)
	resp, err := client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = cause
		}
		return nil, fmt.Errorf("cannot download %s from %s: %w; check the network connection (and HTTPS_PROXY, if this machine needs a proxy), then run the update again",
			r.what, r.url, err)
	}
	return resp, nil
}

// statusError says what an answer other than 200 means, and what to do.
func statusError(r request, resp *http.Response, withKey bool) error {
	what := fmt.Sprintf("%s answered %s for %s", r.url, resp.Status, r.what)
	switch code := resp.StatusCode; {
	case withKey && code == http.StatusNotFound:
		msg := resp.Header.Get("message")
		if msg == "" {
			msg = "no message"
		}
		return fmt.Errorf("%s (%s): NVD answers so to an API key it does not know; check --nvd-api-key or VIGIL_NVD_API_KEY", what, clipped(msg))
	case code == http.StatusNotFound:
		return fmt.Errorf("%s: the feed is not there; it may have moved, so check for a newer vigil", what)
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable || (r.nvd && code == http.StatusForbidden):
		hint := ""
		if r.nvd && !withKey {
			hint = "; an NVD API key (--nvd-api-key, or VIGIL_NVD_API_KEY) raises NVD's limit"
		}
		return fmt.Errorf("%s, still after retrying: the service is busy or limits this machine; try again later%s", what, hint)
	case code >= 500:
		return fmt.Errorf("%s: the service is failing; try again later", what)
	}
	return fmt.Errorf("%s: the update cannot go on", what)
}

// clipped caps a server's words for a message.
func clipped(s string) string {
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// copyBody copies an answer's body to dst within r's size cap, failing
// when nothing arrives for Config.Stall, and checks the MD5 and CRC32C
// checksums a Google Cloud Storage server sends (x-goog-hash).
func (u *updater) copyBody(ctx context.Context, r request, resp *http.Response, dst io.Writer) (int64, error) {
	if resp.ContentLength > r.limit {
		return 0, fmt.Errorf("%s at %s is %d bytes, more than the %s vigil accepts: refusing it", r.what, r.url, resp.ContentLength, Size(r.limit))
	}
	sums, err := publishedSums(resp)
	if err != nil {
		return 0, fmt.Errorf("%s at %s: %w", r.what, r.url, err)
	}
	md5h, crch := md5.New(), crc32.New(crc32.MakeTable(crc32.Castagnoli))
	body := newStallReader(resp.Body, u.cfg.Stall)
	defer body.timer.Stop()
	var n int64
	buf := make([]byte, 256<<10)
	total := max(resp.ContentLength, 0)
	for {
		m, rerr := body.Read(buf)
		if m > 0 {
			if n+int64(m) > r.limit {
				return n, fmt.Errorf("%s at %s is larger than the %s vigil accepts: refusing it", r.what, r.url, Size(r.limit))
			}
			md5h.Write(buf[:m])
			crch.Write(buf[:m])
			if _, err := dst.Write(buf[:m]); err != nil {
				return n, fmt.Errorf("cannot write %s beside the vulnerability database: %w", r.what, err)
			}
			n += int64(m)
			u.mu.Lock()
			u.bytes += int64(m)
			u.mu.Unlock()
			if r.phase != "" {
				u.progress(r.phase, n, max(total, n))
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			switch {
			case body.stalled.Load():
				rerr = fmt.Errorf("%w: nothing arrived for %s", errStalled, u.cfg.Stall)
			case ctx.Err() != nil:
				rerr = context.Cause(ctx)
			}
			return n, fmt.Errorf("the download of %s from %s broke off after %d bytes: %w; run the update again", r.what, r.url, n, rerr)
		}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("the download of %s from %s broke off after %d of %d bytes; run the update again", r.what, r.url, n, resp.ContentLength)
	}
	for _, s := range []struct {
		name string
		want []byte
		got  hash.Hash
	}{{"MD5", sums.md5, md5h}, {"CRC32C", sums.crc32c, crch}} {
		if s.want != nil && !bytes.Equal(s.want, s.got.Sum(nil)) {
			return n, fmt.Errorf("%s from %s does not match the %s checksum its server published (x-goog-hash: %w): it was corrupted or changed on the way; run the update again",
				r.what, r.url, s.name, ErrChecksum)
		}
	}
	return n, nil
}

// checksums are the checksums a server published for a body; nil when it
// published none.
type checksums struct{ md5, crc32c []byte }

// publishedSums reads the x-goog-hash headers of an answer ("crc32c=…,
// md5=…", base64). They are of the object as stored, so they are left
// unchecked when what arrived was decompressed on the way.
func publishedSums(resp *http.Response) (checksums, error) {
	var c checksums
	if resp.Uncompressed || (resp.Header.Get("Content-Encoding") != "" && resp.Header.Get("Content-Encoding") != "identity") {
		return c, nil
	}
	if enc := resp.Header.Get("X-Goog-Stored-Content-Encoding"); enc != "" && enc != "identity" {
		return c, nil
	}
	for _, v := range resp.Header.Values("X-Goog-Hash") {
		for _, part := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(val)
			switch {
			case strings.EqualFold(k, "md5"):
				if err != nil || len(b) != md5.Size {
					return c, fmt.Errorf("%w: the server's MD5 checksum %q is not one", ErrChecksum, clipped(val))
				}
				c.md5 = b
			case strings.EqualFold(k, "crc32c"):
				if err != nil || len(b) != 4 {
					return c, fmt.Errorf("%w: the server's CRC32C checksum %q is not one", ErrChecksum, clipped(val))
				}
				c.crc32c = b
			}
		}
	}
	return c, nil
}

// stallReader reads a body that is closed when nothing arrives for
// stall.
type stallReader struct {
	r       io.ReadCloser
	stall   time.Duration
	timer   *time.Timer
	stalled atomic.Bool
}

func newStallReader(r io.ReadCloser, stall time.Duration) *stallReader {
	s := &stallReader{r: r, stall: stall}
	s.timer = time.AfterFunc(stall, func() {
		s.stalled.Store(true)
		r.Close()
	})
	return s
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.stall)
	}
	return n, err
}

// Size writes a byte count in the user's units ("1.5 MiB").
func Size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// limiter lets at most n requests start in any window of length per, by
// the clock of now and sleep.
type limiter struct {
	mu    sync.Mutex
	n     int
	per   time.Duration
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
	sent  []time.Time // the last n requests' start, oldest first
}

// wait returns when one more request may start, and counts it.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.sent) >= l.n {
		d := l.sent[0].Add(l.per).Sub(l.now())
		if d <= 0 {
			l.sent = l.sent[1:]
			continue
		}
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
	l.sent = append(l.sent, l.now())
	return nil
}
