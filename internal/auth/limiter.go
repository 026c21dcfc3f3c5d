package auth

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Limits of the login rate limiter.
const (
	// AccountFailures failed logins to one account within LimitWindow
	// lock that account out until the oldest of them leaves the window.
	AccountFailures = 5
	// SourceFailures failed logins from one source address within
	// LimitWindow lock that source out likewise.
	SourceFailures = 20
	// LimitWindow is how long a failed login counts.
	LimitWindow = 15 * time.Minute
	// limiterEntries bounds the accounts and the sources tracked (each);
	// beyond it the entries whose last failure is oldest are forgotten.
	limiterEntries = 10000
)

// Limiter counts failed logins per account and per source address within
// a sliding window, and refuses further attempts at an account or from a
// source that failed too often. A successful login forgets the account's
// failures (not the source's: one valid account must not let a source
// guess at the others). Memory is bounded: each key keeps at most its
// limit's worth of failure times, and at most limiterEntries keys are
// kept per kind. It is safe for concurrent use.
type Limiter struct {
	now      func() time.Time
	mu       sync.Mutex
	accounts failures
	sources  failures
}

// failures are the recent failure times of each key, oldest first.
type failures struct {
	limit int
	max   int
	m     map[string][]time.Time
}

// NewLimiter returns a limiter with AccountFailures and SourceFailures per
// LimitWindow; now is its clock (time.Now when nil).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		now:      now,
		accounts: failures{limit: AccountFailures, max: limiterEntries, m: map[string][]time.Time{}},
		sources:  failures{limit: SourceFailures, max: limiterEntries, m: map[string][]time.Time{}},
	}
}

// Allow reports whether a login to account from source may be tried now;
// when not, retryAfter is how long until it may.
func (l *Limiter) Allow(account, source string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	wait := max(l.accounts.wait(accountKey(account), now), l.sources.wait(sourceKey(source), now))
	return wait <= 0, max(wait, 0)
}

// Failure records a failed login to account from source.
func (l *Limiter) Failure(account, source string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.accounts.add(accountKey(account), now)
	l.sources.add(sourceKey(source), now)
}

// Success records a successful login: the account's failures are
// forgotten; the source's still count.
func (l *Limiter) Success(account, source string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.accounts.m, accountKey(account))
}

// accountKey folds case and spaces, so that "Admin " and "admin" share a
// count whatever the store makes of them.
func accountKey(account string) string { return strings.ToLower(strings.TrimSpace(account)) }

// sourceKey is the address a source is counted under: an IPv6 address by
// its /64 (one host usually holds a whole /64), an IPv4 address (also
// IPv4-mapped) as it is, and anything else (host:port, garbage) as given
// with a port stripped.
func sourceKey(source string) string {
	s := strings.TrimSpace(source)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		s = ap.Addr().String()
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// live drops the times of key that left the window and returns the rest.
func (f *failures) live(key string, now time.Time) []time.Time {
	ts := f.m[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-LimitWindow)) {
		i++
	}
	if i == len(ts) {
		delete(f.m, key)
		return nil
	}
	if i > 0 {
		ts = append(ts[:0:0], ts[i:]...)
		f.m[key] = ts
	}
	return ts
}

// wait is how long key must wait before its next attempt (<= 0: none).
func (f *failures) wait(key string, now time.Time) time.Duration {
	ts := f.live(key, now)
	if len(ts) < f.limit {
		return 0
	}
	// The attempt is allowed again when the limit-th newest failure leaves
	// the window.
	return ts[len(ts)-f.limit].Add(LimitWindow).Sub(now)
}

// add records a failure of key at now, keeping only the newest limit
// times, and evicts keys when too many are kept.
func (f *failures) add(key string, now time.Time) {
	ts := append(f.live(key, now), now)
	if len(ts) > f.limit {
		ts = append(ts[:0:0], ts[len(ts)-f.limit:]...)
	}
	if _, kept := f.m[key]; !kept && len(f.m) >= f.max {
		f.evict(now)
	}
	f.m[key] = ts
}

// evict makes room for one key: it drops every key whose failures all left
// the window, and when none did, the key whose newest failure is oldest.
func (f *failures) evict(now time.Time) {
	oldestKey, oldest := "", time.Time{}
	for k, ts := range f.m {
		last := ts[len(ts)-1]
		if !last.After(now.Add(-LimitWindow)) {
			delete(f.m, k)
			continue
		}
		if oldestKey == "" || last.Before(oldest) {
			oldestKey, oldest = k, last
		}
	}
	if len(f.m) >= f.max && oldestKey != "" {
		delete(f.m, oldestKey)
	}
}

// size returns how many accounts and sources are tracked (tests).
func (l *Limiter) size() (accounts, sources int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accounts.m), len(l.sources.m)
}
