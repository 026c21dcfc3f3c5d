package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/serve/jobs"
	"github.com/vigilsec/vigil/internal/store"
)

// routes registers every page and API route.
func (s *Server) routes() {
	m := http.NewServeMux()
	// API
	m.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openAPI)
	})
	m.HandleFunc("POST /api/v1/scans", s.api(auth.Operator, s.apiStartScan))
	m.HandleFunc("GET /api/v1/scans", s.api(auth.Viewer, s.apiScans))
	m.HandleFunc("GET /api/v1/scans/{id}", s.api(auth.Viewer, s.apiScan))
	m.HandleFunc("GET /api/v1/hosts", s.api(auth.Viewer, s.apiHosts))
	m.HandleFunc("GET /api/v1/findings", s.api(auth.Viewer, s.apiFindings))
	m.HandleFunc("POST /api/v1/findings/{id}/accept", s.api(auth.Operator, s.apiAccept))
	m.HandleFunc("GET /api/v1/level", s.api(auth.Viewer, s.apiLevel))
	m.HandleFunc("GET /api/v1/schedules", s.api(auth.Viewer, s.apiSchedules))
	m.HandleFunc("POST /api/v1/schedules", s.api(auth.Admin, s.apiAddSchedule))
	m.HandleFunc("GET /api/v1/alerts/targets", s.api(auth.Admin, s.apiTargets))
	m.HandleFunc("POST /api/v1/alerts/targets", s.api(auth.Admin, s.apiAddTarget))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "no such API route (GET /api/v1/openapi.json lists them)")
	})
	s.pageRoutes(m)
	s.mux = m
}

// decodeJSON reads a request body of at most 1 MiB into v.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body is not the JSON object this route takes: %w", err)
	}
	return nil
}

// jobView is a job as the API shows it.
type jobView struct {
	store.Job
	Result *result.Document `json:"result"`
}

func (s *Server) apiStartScan(w http.ResponseWriter, r *http.Request, p *principal) {
	var req ScanRequest
	if err := decodeJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	j, err := s.submitScan(r.Context(), req, p.Name, "", time.Time{})
	if err != nil {
		s.writeSubmitError(w, err)
		return
	}
	s.audit(r, p, "scan.start", strings.Join(j.Targets, " "), "ports "+portsOrDefault(j.Ports)+"; job "+j.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"id": j.ID, "status": j.Status})
}

func (s *Server) writeSubmitError(w http.ResponseWriter, err error) {
	var re *requestError
	switch {
	case errors.As(err, &re):
		apiError(w, http.StatusBadRequest, re.Error())
	case errors.Is(err, jobs.ErrStopped):
		apiError(w, http.StatusServiceUnavailable, err.Error())
	default:
		s.log.Error("cannot queue a scan", "err", err)
		apiError(w, http.StatusInternalServerError, "cannot queue the scan; the server log says why")
	}
}

// limitParam reads ?limit=N (default def, at most 1000).
func limitParam(r *http.Request, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, 1000)
}

func (s *Server) apiScans(w http.ResponseWriter, r *http.Request, _ *principal) {
	list, err := s.st.Jobs(r.Context(), limitParam(r, 100))
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scans": list})
}

func (s *Server) apiScan(w http.ResponseWriter, r *http.Request, _ *principal) {
	j, err := s.st.Job(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		apiError(w, http.StatusNotFound, "no such scan job")
		return
	}
	if err != nil {
		s.internal(w, err)
		return
	}
	v := jobView{Job: j}
	if j.Status == store.JobDone && j.ScanID != "" {
		if v.Result, err = s.st.Get(r.Context(), j.ScanID); err != nil {
			s.internal(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) apiHosts(w http.ResponseWriter, r *http.Request, _ *principal) {
	list, err := s.st.Assets(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hosts": list})
}

// findingView is a current finding with its acceptance, if one holds.
type findingView struct {
	store.FindingRow
	Accepted *finding.Acceptance `json:"accepted,omitempty"`
}

// currentFindings returns the findings of each host's newest scan, with
// the acceptances in force.
func (s *Server) currentFindings(ctx context.Context, severity string) ([]findingView, error) {
	rows, err := s.st.CurrentFindings(ctx, severity)
	if err != nil {
		return nil, err
	}
	acc, err := s.st.InForce(ctx, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]findingView, 0, len(rows))
	for _, f := range rows {
		v := findingView{FindingRow: f}
		if a, ok := acc[f.ID]; ok {
			v.Accepted = &a
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) apiFindings(w http.ResponseWriter, r *http.Request, _ *principal) {
	sev := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("severity")))
	if sev != "" {
		if _, err := finding.ParseSeverity(sev); err != nil {
			apiError(w, http.StatusBadRequest, "severity: "+err.Error())
			return
		}
	}
	list, err := s.currentFindings(r.Context(), sev)
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"findings": list})
}

// AcceptRequest is what POST /api/v1/findings/{id}/accept takes.
type AcceptRequest struct {
	Reason string `json:"reason"`
	Until  string `json:"until"`
}

// maxAcceptance is the longest a risk may be accepted for, as vigil accept.
const maxAcceptance = 366 * 24 * time.Hour

// accept records a risk acceptance of a stored finding; the error is a
// requestError when the request is at fault.
func (s *Server) accept(ctx context.Context, id string, req AcceptRequest, by string) (store.Acceptance, error) {
	now := s.now()
	a := finding.Acceptance{By: by, Reason: strings.TrimSpace(req.Reason), Until: strings.TrimSpace(req.Until)}
	if a.Reason == "" {
		return store.Acceptance{}, &requestError{errors.New("reason: say why the risk is accepted; every report shows it")}
	}
	if len([]rune(a.Reason)) > 1000 {
		return store.Acceptance{}, &requestError{errors.New("reason: at most 1000 characters")}
	}
	until, err := time.Parse(finding.DateLayout, a.Until)
	if err != nil {
		return store.Acceptance{}, &requestError{fmt.Errorf("until %q: give the last day as YYYY-MM-DD", clip(a.Until, 20))}
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case until.Before(today):
		return store.Acceptance{}, &requestError{fmt.Errorf("until %s is in the past", a.Until)}
	case until.Sub(today) > maxAcceptance:
		return store.Acceptance{}, &requestError{fmt.Errorf("until %s is more than a year ahead: accept a risk for at most a year", a.Until)}
	}
	seen, err := s.st.FindingHistory(ctx, id, 1)
	if err != nil {
		return store.Acceptance{}, err
	}
	if len(seen) == 0 {
		return store.Acceptance{}, store.ErrNotFound
	}
	f := seen[0]
	sa := store.Acceptance{Finding: f.ID, Check: f.Check, Host: f.Host, Port: f.Port, Transport: f.Transport, Acceptance: a, Created: now}
	return sa, s.st.Accept(ctx, sa)
}

func (s *Server) apiAccept(w http.ResponseWriter, r *http.Request, p *principal) {
	var req AcceptRequest
	if err := decodeJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	a, err := s.accept(r.Context(), r.PathValue("id"), req, p.Name)
	var re *requestError
	switch {
	case errors.As(err, &re):
		apiError(w, http.StatusBadRequest, re.Error())
		return
	case errors.Is(err, store.ErrNotFound):
		apiError(w, http.StatusNotFound, "no stored scan has this finding")
		return
	case err != nil:
		s.internal(w, err)
		return
	}
	s.audit(r, p, "risk.accept", a.Finding, "until "+a.Until+": "+a.Reason)
	writeJSON(w, http.StatusOK, a)
}

// levelView is the organisation's level now.
type levelView struct {
	// Level is the newest network scan's level, rated with the
	// acceptances in force now; 0 when nothing is stored.
	Level  int    `json:"level"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
	// Next are the findings to fix to reach the next level.
	Next    []string           `json:"next"`
	Scan    string             `json:"scan"`
	History []store.LevelPoint `json:"history"`
}

// currentLevel rates the newest network scan with today's acceptances;
// the document is nil when none is stored.
func (s *Server) currentLevel(ctx context.Context, history int) (levelView, *result.Document, error) {
	hist, err := s.st.LevelHistory(ctx, history)
	if err != nil {
		return levelView{}, nil, err
	}
	v := levelView{Name: level.Name(0), Next: []string{}, History: hist, Reason: "no scan stored yet"}
	if len(hist) == 0 {
		return v, nil, nil
	}
	doc, err := s.doc(ctx, hist[len(hist)-1].Scan)
	if err != nil {
		return v, nil, err
	}
	acc, err := s.st.InForce(ctx, s.now())
	if err != nil {
		return v, nil, err
	}
	doc = rejudge(doc, acc, s.now())
	v.Level, v.Name, v.Reason, v.Next, v.Scan = doc.Level.Value, level.Name(doc.Level.Value), doc.Level.Reason, doc.Level.Next, doc.ID
	if v.Next == nil {
		v.Next = []string{}
	}
	return v, doc, nil
}

func (s *Server) apiLevel(w http.ResponseWriter, r *http.Request, _ *principal) {
	v, _, err := s.currentLevel(r.Context(), limitParam(r, 30))
	if err != nil {
		s.internal(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// doc returns a stored document for display, from the cache: read-only.
func (s *Server) doc(ctx context.Context, id string) (*result.Document, error) {
	return s.docs.get(ctx, s.st.Get, id)
}

// internal logs an error and answers 500 without its details.
func (s *Server) internal(w http.ResponseWriter, err error) {
	s.log.Error("request failed", "err", err)
	apiError(w, http.StatusInternalServerError, "the server could not answer; its log says why")
}
