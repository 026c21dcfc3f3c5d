package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/hostaudit"
	"github.com/vigilsec/vigil/internal/schedule"
	"github.com/vigilsec/vigil/internal/store"
)

// ScheduleStore keeps the schedules: *store.Store implements it.
type ScheduleStore interface {
	schedule.Store
	AddSchedule(ctx context.Context, e schedule.Entry) error
	Schedule(ctx context.Context, id string) (schedule.Entry, error)
	SetScheduleEnabled(ctx context.Context, id string, enabled bool) error
	DeleteSchedule(ctx context.Context, id string) error
}

// errNoSchedules is the answer of schedule routes on a store that keeps
// no schedules.
var errNoSchedules = errors.New("this store keeps no schedules")

// schedules returns the schedule store: the store itself.
func (s *Server) schedules() (ScheduleStore, error) {
	if ss, ok := any(s.st).(ScheduleStore); ok {
		return ss, nil
	}
	return nil, errNoSchedules
}

// ScheduleRequest is what POST /api/v1/schedules takes.
type ScheduleRequest struct {
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	Targets []string `json:"targets"`
	Ports   string   `json:"ports"`
	Spec    string   `json:"spec"`
	Window  string   `json:"window"`
	Jitter  string   `json:"jitter"`
}

// scheduleView is a schedule as the API and the pages show it.
type scheduleView struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Kind    string    `json:"kind"`
	Targets []string  `json:"targets"`
	Ports   string    `json:"ports,omitempty"`
	Spec    string    `json:"spec"`
	Window  string    `json:"window,omitempty"`
	Jitter  string    `json:"jitter,omitempty"`
	Enabled bool      `json:"enabled"`
	Last    time.Time `json:"last,omitzero"`
	Next    time.Time `json:"next"`
	Actor   string    `json:"actor,omitempty"`
	Created time.Time `json:"created"`
}

func (s *Server) viewSchedule(e schedule.Entry) scheduleView {
	v := scheduleView{ID: e.ID, Name: e.Name, Kind: e.Kind, Targets: e.Targets, Ports: e.Ports, Spec: e.Spec, Window: e.Window,
		Enabled: e.Enabled, Last: e.Last, Actor: e.Actor, Created: e.Created}
	if v.Targets == nil {
		v.Targets = []string{}
	}
	if e.Jitter > 0 {
		v.Jitter = e.Jitter.String()
	}
	if e.Enabled {
		v.Next = schedule.NextRun(e, s.now())
	}
	return v
}

// checkTargets applies the scope rules to a schedule's targets: a scan's
// as a scan request's, a host audit's as `vigil host --ssh` does.
func (s *Server) checkTargets(ctx context.Context, kind string, targets []string, ports string) error {
	switch kind {
	case schedule.KindScan:
		return CheckScan(ctx, ScanRequest{Targets: targets, Ports: ports}, s.opt.AllowPublic)
	case schedule.KindHostAudit:
		if s.opt.HostAudit == nil {
			return errors.New("host audits need vigil serve --ssh-key")
		}
		if len(targets) != 1 {
			return errors.New("a host audit names one destination, user@host")
		}
		_, host, _, err := hostaudit.ParseDestination(strings.TrimSpace(targets[0]))
		if err != nil {
			return err
		}
		return CheckScan(ctx, ScanRequest{Targets: []string{host}, Ports: "22"}, s.opt.AllowPublic)
	}
	return fmt.Errorf("kind %q: use scan or hostaudit", kind)
}

// addSchedule stores a new schedule; a requestError when it is refused.
func (s *Server) addSchedule(ctx context.Context, req ScheduleRequest, actor string) (schedule.Entry, error) {
	kind := strings.TrimSpace(req.Kind)
	if kind == "" {
		kind = schedule.KindScan
	}
	if _, err := schedule.Parse(req.Spec); err != nil {
		return schedule.Entry{}, &requestError{err}
	}
	var jitter time.Duration
	if j := strings.TrimSpace(req.Jitter); j != "" {
		var err error
		if jitter, err = time.ParseDuration(j); err != nil || jitter < 0 {
			return schedule.Entry{}, &requestError{fmt.Errorf("jitter %q: give a duration such as 10m", clip(j, 30))}
		}
	}
	if err := s.checkTargets(ctx, kind, req.Targets, req.Ports); err != nil {
		return schedule.Entry{}, &requestError{err}
	}
	id, err := auth.NewID()
	if err != nil {
		return schedule.Entry{}, err
	}
	e := schedule.Entry{ID: "sch-" + id, Name: strings.TrimSpace(req.Name), Kind: kind, Targets: trimAll(req.Targets), Ports: strings.TrimSpace(req.Ports),
		Spec: strings.TrimSpace(req.Spec), Window: strings.TrimSpace(req.Window), Jitter: jitter, Enabled: true, Created: s.now(), Actor: actor}
	if e.Name == "" {
		e.Name = strings.Join(e.Targets, " ")
	}
	if err := e.Validate(); err != nil {
		return schedule.Entry{}, &requestError{err}
	}
	ss, err := s.schedules()
	if err != nil {
		return schedule.Entry{}, err
	}
	if err := ss.AddSchedule(ctx, e); err != nil {
		return schedule.Entry{}, err
	}
	return e, nil
}

// Launch queues the job of a schedule's planned run, through the same
// scope rules as a scan from the API: it is the schedule.Launcher of
// vigil serve.
func (s *Server) Launch(ctx context.Context, e schedule.Entry, planned time.Time) error {
	actor := "schedule:" + e.ID
	var j store.Job
	var err error
	switch e.Kind {
	case schedule.KindHostAudit:
		if err = s.checkTargets(ctx, e.Kind, e.Targets, ""); err != nil {
			break
		}
		j, err = s.runner.Submit(ctx, store.Job{Kind: store.JobHostAudit, Targets: e.Targets, Actor: actor, Schedule: e.ID, Planned: planned})
	default:
		j, err = s.submitScan(ctx, ScanRequest{Targets: e.Targets, Ports: e.Ports}, actor, e.ID, planned)
	}
	if err != nil {
		s.log.Warn("a scheduled run was not queued", "schedule", e.ID, "planned", planned, "err", err)
		return err
	}
	action := "scan.start"
	if j.Kind == store.JobHostAudit {
		action = "hostaudit.start"
	}
	if err := s.st.AppendAudit(context.WithoutCancel(ctx), store.AuditEntry{Time: s.now(), Actor: actor, Source: "schedule", Action: action,
		Object: strings.Join(j.Targets, " "), Detail: "planned " + planned.UTC().Format(time.RFC3339) + "; job " + j.ID}); err != nil {
		s.log.Error("cannot append to the audit log", "err", err)
	}
	return nil
}

// RunSchedules runs the schedules on clock c until ctx ends.
func (s *Server) RunSchedules(ctx context.Context, c schedule.Clock) error {
	ss, err := s.schedules()
	if err != nil {
		return err
	}
	return schedule.Run(ctx, c, ss, s.Launch, s.log)
}

func (s *Server) listSchedules(ctx context.Context) ([]schedule.Entry, error) {
	ss, err := s.schedules()
	if err != nil {
		return nil, err
	}
	return ss.Schedules(ctx)
}

func (s *Server) apiSchedules(w http.ResponseWriter, r *http.Request, _ *principal) {
	list, err := s.listSchedules(r.Context())
	if err != nil {
		s.internal(w, err)
		return
	}
	out := make([]scheduleView, 0, len(list))
	for _, e := range list {
		out = append(out, s.viewSchedule(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"schedules": out})
}

func (s *Server) apiAddSchedule(w http.ResponseWriter, r *http.Request, p *principal) {
	var req ScheduleRequest
	if err := decodeJSON(r, &req); err != nil {
		apiError(w, http.StatusBadRequest, err.Error())
		return
	}
	e, err := s.addSchedule(r.Context(), req, p.Name)
	var re *requestError
	switch {
	case errors.As(err, &re):
		apiError(w, http.StatusBadRequest, re.Error())
		return
	case err != nil:
		s.internal(w, err)
		return
	}
	s.audit(r, p, "schedule.add", e.ID, e.Kind+" "+strings.Join(e.Targets, " ")+" "+e.Spec)
	writeJSON(w, http.StatusCreated, s.viewSchedule(e))
}

func (s *Server) schedulesPage(w http.ResponseWriter, r *http.Request, p *principal) {
	s.showSchedules(w, r, p, "")
}

func (s *Server) showSchedules(w http.ResponseWriter, r *http.Request, p *principal, msg string) {
	list, err := s.listSchedules(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	out := make([]scheduleView, 0, len(list))
	for _, e := range list {
		out = append(out, s.viewSchedule(e))
	}
	s.render(w, r, "schedules", p, map[string]any{"Schedules": out, "Error": msg, "HostAudits": s.opt.HostAudit != nil})
}

func (s *Server) addScheduleForm(w http.ResponseWriter, r *http.Request, p *principal) {
	req := ScheduleRequest{Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Ports: r.PostFormValue("ports"),
		Spec: r.PostFormValue("spec"), Window: r.PostFormValue("window"), Jitter: r.PostFormValue("jitter"),
		Targets: strings.FieldsFunc(r.PostFormValue("targets"), func(c rune) bool { return c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t' })}
	e, err := s.addSchedule(r.Context(), req, p.Name)
	if err != nil {
		var re *requestError
		if !errors.As(err, &re) {
			s.pageError(w, r, p, err)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		s.showSchedules(w, r, p, re.Error())
		return
	}
	s.audit(r, p, "schedule.add", e.ID, e.Kind+" "+strings.Join(e.Targets, " ")+" "+e.Spec)
	http.Redirect(w, r, "/schedules", http.StatusSeeOther)
}

func (s *Server) removeScheduleForm(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	ss, err := s.schedules()
	if err == nil {
		err = ss.DeleteSchedule(r.Context(), id)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showSchedules(w, r, p, err.Error())
		return
	}
	s.audit(r, p, "schedule.remove", id, "")
	http.Redirect(w, r, "/schedules", http.StatusSeeOther)
}

func (s *Server) enableScheduleForm(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	on := r.PostFormValue("enabled") == "true"
	ss, err := s.schedules()
	if err == nil {
		err = ss.SetScheduleEnabled(r.Context(), id, on)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showSchedules(w, r, p, err.Error())
		return
	}
	action := "schedule.disable"
	if on {
		action = "schedule.enable"
	}
	s.audit(r, p, action, id, "")
	http.Redirect(w, r, "/schedules", http.StatusSeeOther)
}
