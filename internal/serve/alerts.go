package serve

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

// Alert windows: how far ahead an expiring certificate or risk acceptance
// is announced.
const (
	CertWithin       = 14 * 24 * time.Hour
	AcceptanceWithin = 7 * 24 * time.Hour
)

// alertScan sends the events of a stored scan: what changed since the
// scan before it of the same targets (none: every host and finding is new).
func (s *Server) alertScan(ctx context.Context, doc *result.Document) {
	if s.opt.Alerts == nil {
		return
	}
	var prev *result.Document
	if doc.Kind == "" {
		id, err := s.st.PreviousScan(ctx, doc.ID)
		if err != nil {
			s.log.Error("cannot find the scan before; no alert sent", "scan", doc.ID, "err", err)
			return
		}
		if id != "" {
			if prev, err = s.st.Get(ctx, id); err != nil {
				s.log.Error("cannot read the scan before; no alert sent", "scan", id, "err", err)
				return
			}
		}
	}
	s.opt.Alerts.Notify(ctx, alert.ScanEvents(prev, doc, s.now(), CertWithin))
}

// alertExpiries sends the events of risk acceptances and certificates
// about to end: run at start and once a day.
func (s *Server) alertExpiries(ctx context.Context) {
	if s.opt.Alerts == nil {
		return
	}
	// Alerts are off until a target exists: then there is nothing to read.
	if targets, err := s.st.AlertTargets(ctx); err != nil || len(targets) == 0 {
		return
	}
	acc, err := s.st.Acceptances(ctx, false)
	if err != nil {
		s.log.Error("cannot read the acceptances; no expiry alert sent", "err", err)
		return
	}
	s.opt.Alerts.Notify(ctx, alert.AcceptanceEvents(store.AlertAcceptances(acc), s.now(), AcceptanceWithin))
	// Certificates come nearer their end without a new scan: the newest
	// scan of each host is looked at again (compared with itself, it
	// yields only the certificates about to expire; each is told once).
	assets, err := s.st.Assets(ctx)
	if err != nil {
		s.log.Error("cannot list the hosts; no certificate alert sent", "err", err)
		return
	}
	seen := map[string]bool{}
	for _, a := range assets {
		if seen[a.LastScan] {
			continue
		}
		seen[a.LastScan] = true
		doc, err := s.st.Get(ctx, a.LastScan)
		if err != nil {
			s.log.Error("cannot read a scan; no certificate alert sent for it", "scan", a.LastScan, "err", err)
			continue
		}
		s.opt.Alerts.Notify(ctx, alert.ScanEvents(doc, doc, s.now(), CertWithin))
	}
}

// Daily runs the daily checks (expiring acceptances and certificates) now
// and then every 24 hours until ctx ends.
func (s *Server) Daily(ctx context.Context, after func(time.Duration) <-chan time.Time) {
	for {
		s.alertExpiries(ctx)
		select {
		case <-ctx.Done():
			return
		case <-after(24 * time.Hour):
		}
	}
}

// TargetRequest is what POST /api/v1/alerts/targets takes.
type TargetRequest struct {
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	URL      string   `json:"url"`
	Secret   string   `json:"secret"`
	SMTP     string   `json:"smtp"`
	CAFile   string   `json:"ca_file"`
	Username string   `json:"username"`
	Password string   `json:"password"`
	From     string   `json:"from"`
	To       []string `json:"to"`
}

// addTarget stores an alert target; a requestError when it is refused.
func (s *Server) addTarget(ctx context.Context, req TargetRequest) (alert.Target, error) {
	id, err := alert.NewID()
	if err != nil {
		return alert.Target{}, err
	}
	t := alert.Target{ID: id, Type: strings.TrimSpace(req.Type), Name: strings.TrimSpace(req.Name), URL: strings.TrimSpace(req.URL),
		Secret: req.Secret, SMTP: strings.TrimSpace(req.SMTP), CAFile: strings.TrimSpace(req.CAFile), Username: req.Username,
		Password: req.Password, From: strings.TrimSpace(req.From), To: req.To, Created: s.now()}
	if err := t.Validate(); err != nil {
		return alert.Target{}, &requestError{err}
	}
	if err := s.st.AddAlertTarget(ctx, t); err != nil {
		return alert.Target{}, err
	}
	return t.Public(), nil
}

func (s *Server) apiTargets(w http.ResponseWriter, r *http.Request, _ *principal) {
	list, err := s.st.AlertTargets(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	out := make([]alert.Target, 0, len(list))
	for _, t := range list {
		out = append(out, t.Public())
	}
	writeJSON(w, http.StatusOK, map[string]any{"targets": out})
}

func (s *Server) apiAddTarget(w http.ResponseWriter, r *http.Request, p *principal) {
	var req TargetRequest
	if err := decodeJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	t, err := s.addTarget(r.Context(), req)
	var re *requestError
	switch {
	case errors.As(err, &re):
		apiError(w, http.StatusBadRequest, re.Error())
		return
	case err != nil:
		s.internal(w, err)
		return
	}
	s.audit(r, p, "alert.target.add", t.ID, t.Type+" "+t.Name+" "+t.URL+t.SMTP)
	writeJSON(w, http.StatusCreated, t)
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	s.showAlerts(w, r, p, "")
}

func (s *Server) showAlerts(w http.ResponseWriter, r *http.Request, p *principal, msg string) {
	list, err := s.st.AlertTargets(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	pub := make([]alert.Target, 0, len(list))
	for _, t := range list {
		pub = append(pub, t.Public())
	}
	deliveries, err := s.st.AlertDeliveries(r.Context(), 50)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	s.render(w, r, "alerts", p, map[string]any{"Targets": pub, "Deliveries": deliveries, "Error": msg})
}

func (s *Server) addTargetForm(w http.ResponseWriter, r *http.Request, p *principal) {
	req := TargetRequest{Type: r.PostFormValue("type"), Name: r.PostFormValue("name"), URL: r.PostFormValue("url"), Secret: r.PostFormValue("secret"),
		SMTP: r.PostFormValue("smtp"), Username: r.PostFormValue("username"), Password: r.PostFormValue("password"), From: r.PostFormValue("from")}
	req.To = strings.FieldsFunc(r.PostFormValue("to"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' })
	if req.Type == alert.Webhook {
		req.SMTP, req.From, req.To, req.Username, req.Password = "", "", nil, "", ""
	} else {
		req.URL, req.Secret = "", ""
	}
	t, err := s.addTarget(r.Context(), req)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showAlerts(w, r, p, err.Error())
		return
	}
	s.audit(r, p, "alert.target.add", t.ID, t.Type+" "+t.Name+" "+t.URL+t.SMTP)
	http.Redirect(w, r, "/alerts", http.StatusSeeOther)
}

func (s *Server) removeTargetForm(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if err := s.st.DeleteAlertTarget(r.Context(), id); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showAlerts(w, r, p, err.Error())
		return
	}
	s.audit(r, p, "alert.target.remove", id, "")
	http.Redirect(w, r, "/alerts", http.StatusSeeOther)
}
