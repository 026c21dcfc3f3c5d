// Package serve is vigil serve: a web UI and a JSON API over the scan
// store, with users, sessions and tokens, a job runner for scans and host
// audits, schedules and alerts. Pages are Go templates with embedded
// assets and server-side SVG charts, usable with JavaScript off; one
// small script adds live progress.
package serve

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/serve/jobs"
	"github.com/vigilsec/vigil/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

//go:embed openapi.json
var openAPI []byte

// Session lifetimes.
const (
	// SessionIdle ends a session nobody used for this long.
	SessionIdle = 30 * time.Minute
	// SessionMax ends every session this long after login.
	SessionMax = 12 * time.Hour
)

// Options configure a Server.
type Options struct {
	Store *store.Store
	// AllowPublic lets scans name targets outside the private, loopback
	// and link-local ranges (vigil serve --allow-public).
	AllowPublic bool
	// MaxScans is how many jobs run at once (at least 1).
	MaxScans int
	// TLS says the server is reached over TLS: cookies get Secure and
	// the __Host- prefix.
	TLS bool
	// ScanConfig builds the engine configuration of a scan job; nil
	// means BaseScanConfig. The CLI adds what `vigil scan` adds (the
	// vulnerability database).
	ScanConfig func(ctx context.Context, j store.Job) (engine.Config, func(), error)
	// HostAudit runs a host audit job over SSH; nil refuses host audits.
	HostAudit func(ctx context.Context, j store.Job) (*result.Document, error)
	// Version is vigil's version, recorded in documents.
	Version string
	// Now is the clock of sessions and audit entries; time.Now when nil.
	Now func() time.Time
	// Grace is how long running jobs may go on after a shutdown begins.
	Grace time.Duration
	// Alerts receives the events of each stored scan (alert.ScanEvents
	// against the scan before it of the same targets) and the daily
	// expiry checks; nil sends none.
	Alerts *alert.Dispatcher
	Log    *slog.Logger
}

// Server is vigil serve's HTTP handler and its background work.
type Server struct {
	opt     Options
	st      *store.Store
	now     func() time.Time
	log     *slog.Logger
	runner  *jobs.Runner
	limiter *auth.Limiter
	gate    *auth.PasswordGate
	docs    *docCache
	pages   map[string]*template.Template
	mux     *http.ServeMux
	static  fs.FS

	// hooks run after a job's document is saved (alerts).
	hookMu sync.Mutex
	hooks  []func(ctx context.Context, doc *result.Document)
}

// New returns a server; Start starts its job runner.
func New(opt Options) (*Server, error) {
	if opt.Store == nil {
		return nil, errors.New("vigil serve needs a store")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Grace <= 0 {
		opt.Grace = 30 * time.Second
	}
	s := &Server{opt: opt, st: opt.Store, now: opt.Now, log: opt.Log, limiter: auth.NewLimiter(opt.Now), gate: auth.NewPasswordGate(4), docs: newDocCache(4)}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	s.static = static
	s.runner = jobs.New(opt.Store, opt.MaxScans, s.work, opt.Log)
	s.routes()
	return s, nil
}

// OnSaved adds a function run after each job's document is stored.
func (s *Server) OnSaved(f func(ctx context.Context, doc *result.Document)) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hooks = append(s.hooks, f)
}

// Start starts the job runner; jobs a previous process left unfinished
// are marked incomplete.
func (s *Server) Start(ctx context.Context) error {
	// Fold the scans stored while no server ran into the page views now,
	// rather than in the first request.
	if err := s.st.RefreshViews(ctx); err != nil {
		return err
	}
	return s.runner.Start(ctx)
}

// Runner is the server's job runner (schedules queue through Submit).
func (s *Server) Runner() *jobs.Runner { return s.runner }

// ServeHTTP serves a request with the security headers every response
// carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if s.opt.TLS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	s.mux.ServeHTTP(&timingWriter{ResponseWriter: w, start: time.Now()}, r)
}

// timingWriter adds a Server-Timing header: the server's time until the
// response starts (pages and JSON are rendered in full before that).
type timingWriter struct {
	http.ResponseWriter
	start time.Time
	done  bool
}

func (t *timingWriter) WriteHeader(code int) {
	if !t.done {
		t.done = true
		t.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.1f", float64(time.Since(t.start).Microseconds())/1000))
	}
	t.ResponseWriter.WriteHeader(code)
}

func (t *timingWriter) Write(b []byte) (int, error) {
	if !t.done {
		t.WriteHeader(http.StatusOK)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (t *timingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

// Serve serves HTTP on l until ctx ends, then shuts down gracefully: no
// new request or job is taken, requests in flight finish, running jobs
// get the grace period and are then marked incomplete.
func (s *Server) Serve(ctx context.Context, l net.Listener, tlsCert *TLSFiles) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if tlsCert != nil {
			err = hs.ServeTLS(l, tlsCert.Cert, tlsCert.Key)
		} else {
			err = hs.Serve(l)
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		s.runner.Shutdown(s.opt.Grace)
		return fmt.Errorf("the server stopped: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: no new work; running jobs get a grace period", "grace", s.opt.Grace)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.runner.Shutdown(s.opt.Grace)
	if err != nil {
		return fmt.Errorf("the server did not shut down cleanly: %w", err)
	}
	return nil
}

// TLSFiles name a certificate and its key.
type TLSFiles struct{ Cert, Key string }
