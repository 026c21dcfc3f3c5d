package serve

import (
	"context"
	"crypto/subtle"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/compliance"
	"github.com/vigilsec/vigil/internal/diff"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/fix"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

func (s *Server) pageRoutes(m *http.ServeMux) {
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(s.static)))
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.page(auth.Viewer, s.logout))
	m.HandleFunc("GET /{$}", s.page(auth.Viewer, s.overview))
	m.HandleFunc("GET /assets", s.page(auth.Viewer, s.assetsPage))
	m.HandleFunc("GET /hosts/{addr}", s.page(auth.Viewer, s.hostPage))
	m.HandleFunc("GET /findings", s.page(auth.Viewer, s.findingsPage))
	m.HandleFunc("GET /findings/{id}", s.page(auth.Viewer, s.findingPage))
	m.HandleFunc("POST /findings/{id}/accept", s.page(auth.Operator, s.acceptForm))
	m.HandleFunc("GET /scans", s.page(auth.Viewer, s.scansPage))
	m.HandleFunc("POST /scans", s.page(auth.Operator, s.scanForm))
	m.HandleFunc("GET /scans/{id}", s.page(auth.Viewer, s.scanPage))
	m.HandleFunc("GET /reports", s.page(auth.Viewer, s.reportsPage))
	m.HandleFunc("GET /reports/{id}", s.page(auth.Viewer, s.reportsPage))
	m.HandleFunc("GET /reports/{id}/download", s.page(auth.Viewer, s.download))
	m.HandleFunc("GET /users", s.page(auth.Admin, s.usersPage))
	m.HandleFunc("POST /users", s.page(auth.Admin, s.addUser))
	m.HandleFunc("POST /users/{name}/role", s.page(auth.Admin, s.setRole))
	m.HandleFunc("POST /users/{name}/remove", s.page(auth.Admin, s.removeUser))
	m.HandleFunc("GET /tokens", s.page(auth.Admin, s.tokensPage))
	m.HandleFunc("POST /tokens", s.page(auth.Admin, s.createToken))
	m.HandleFunc("POST /tokens/{id}/revoke", s.page(auth.Admin, s.revokeToken))
	m.HandleFunc("GET /schedules", s.page(auth.Viewer, s.schedulesPage))
	m.HandleFunc("POST /schedules", s.page(auth.Admin, s.addScheduleForm))
	m.HandleFunc("POST /schedules/{id}/remove", s.page(auth.Admin, s.removeScheduleForm))
	m.HandleFunc("POST /schedules/{id}/enabled", s.page(auth.Admin, s.enableScheduleForm))
	m.HandleFunc("GET /alerts", s.page(auth.Admin, s.alertsPage))
	m.HandleFunc("POST /alerts", s.page(auth.Admin, s.addTargetForm))
	m.HandleFunc("POST /alerts/{id}/remove", s.page(auth.Admin, s.removeTargetForm))
	m.HandleFunc("GET /audit", s.page(auth.Viewer, s.auditPage))
	m.HandleFunc("GET /audit/export", s.page(auth.Viewer, s.auditExport))
}

// --- login ---

type loginData struct {
	CSRF, User, Error string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if p := s.sessionOf(r); p != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, code int, user, msg string) {
	tok, err := auth.NewSecret()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.setCookie(w, s.loginCookieName(), tok, 3600)
	if code != http.StatusOK {
		// render writes the status with the page.
		w = &statusWriter{ResponseWriter: w, code: code}
	}
	s.render(w, r, "login", nil, loginData{CSRF: tok, User: user, Error: msg})
}

// statusWriter writes a chosen status before the body.
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.wrote = true
		s.ResponseWriter.WriteHeader(s.code)
	}
	return s.ResponseWriter.Write(b)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(s.loginCookieName())
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		s.renderLogin(w, r, http.StatusForbidden, "", "The login form was stale or forged: try again.")
		return
	}
	name := store.NormalUserName(r.PostFormValue("user"))
	password := r.PostFormValue("password")
	src := source(r)
	if ok, wait := s.limiter.Allow(name, src); !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+1)))
		s.audit(r, &principal{Name: name}, "login.failed", name, "refused: too many failed logins")
		s.renderLogin(w, r, http.StatusTooManyRequests, name, fmt.Sprintf("Too many failed logins: try again in %s.", wait.Round(time.Second)))
		return
	}
	u, err := s.st.User(r.Context(), name)
	if err != nil {
		u = store.User{} // an unknown account costs the same work as a known one
	}
	good, gerr := s.gate.Check(r.Context(), u.Hash, password)
	if gerr != nil {
		http.Error(w, "the login was abandoned", http.StatusServiceUnavailable)
		return
	}
	if !good || err != nil {
		s.limiter.Failure(name, src)
		s.audit(r, &principal{Name: name}, "login.failed", name, "wrong user name or password")
		s.renderLogin(w, r, http.StatusUnauthorized, name, "Wrong user name or password.")
		return
	}
	s.limiter.Success(name, src)
	cookie, err1 := auth.NewSecret()
	csrf, err2 := auth.NewSecret()
	if err := errors.Join(err1, err2); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	now := s.now()
	sess := store.Session{ID: auth.HashToken(cookie), User: u.Name, CSRF: csrf, Created: now, Expires: now.Add(SessionIdle)}
	if err := s.st.AddSession(r.Context(), sess); err != nil {
		s.log.Error("cannot start a session", "err", err)
		http.Error(w, "internal error: cannot start a session", http.StatusInternalServerError)
		return
	}
	s.setCookie(w, s.loginCookieName(), "", -1)
	s.setCookie(w, s.cookieName(), cookie, int(SessionMax.Seconds()))
	s.audit(r, &principal{Name: u.Name}, "login", u.Name, "")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *principal) {
	if p.session != nil {
		if err := s.st.DeleteSession(r.Context(), p.session.ID); err != nil {
			s.log.Error("cannot end a session", "err", err)
		}
	}
	s.setCookie(w, s.cookieName(), "", -1)
	s.audit(r, p, "logout", p.Name, "")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// --- overview, assets, hosts, findings ---

type sevCount struct {
	Severity string
	N        int
}

// severities are the severity names, worst first.
var severities = []string{"critical", "high", "medium", "low", "info"}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, p *principal) {
	lv, doc, err := s.currentLevel(r.Context(), 60)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	cur, err := s.currentFindings(r.Context(), "")
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	counts := map[string]int{}
	hosts := map[string]bool{}
	for _, f := range cur {
		if f.Accepted == nil {
			counts[f.Severity]++
		}
		hosts[f.Host] = true
	}
	var cs []sevCount
	for _, sev := range severities {
		cs = append(cs, sevCount{sev, counts[sev]})
	}
	var next []findingView
	if doc != nil {
		want := map[string]bool{}
		for _, id := range lv.Next {
			want[id] = true
		}
		for _, f := range doc.Findings {
			if want[f.ID] {
				next = append(next, viewOf(doc, f))
			}
		}
	}
	var pts []chartPoint
	for _, h := range lv.History {
		pts = append(pts, chartPoint{When: h.Started, Level: h.Level, Label: h.Scan})
	}
	if len(pts) > 0 && doc != nil {
		pts[len(pts)-1].Level = lv.Level // today's acceptances
	}
	nHosts := 0
	if doc != nil {
		nHosts = len(doc.Hosts)
	}
	s.render(w, r, "overview", p, map[string]any{"Level": lv, "Counts": cs, "Next": next, "Hosts": nHosts,
		"Chart": levelChart(pts, "Security level of the newest scans")})
}

// viewOf is a document's finding as the findings table shows it.
func viewOf(doc *result.Document, f finding.Finding) findingView {
	return findingView{FindingRow: store.FindingRow{Scan: doc.ID, Started: doc.Started, ID: f.ID, Check: f.Check, Severity: f.Severity.String(),
		Host: f.Host, Port: f.Port, Transport: f.Transport, Title: f.Title}, Accepted: f.Accepted}
}

// assetView is an asset with its services of the newest scan.
type assetView struct {
	store.Asset
	Services int
}

func (s *Server) assetsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	list, err := s.st.Assets(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	services, err := s.st.ServiceCounts(r.Context(), list)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	out := make([]assetView, 0, len(list))
	for _, a := range list {
		out = append(out, assetView{Asset: a, Services: services[a.Address]})
	}
	s.render(w, r, "assets", p, map[string]any{"Assets": out})
}

// hostDiff is what changed on a host since the scan before.
type hostDiff struct {
	Prev           string
	From, To       int
	New, Gone      []findingView
	Opened, Closed []string
	Same           bool
}

func (s *Server) hostPage(w http.ResponseWriter, r *http.Request, p *principal) {
	addr := r.PathValue("addr")
	ctx := r.Context()
	hist, err := s.st.HostHistory(ctx, addr, 100)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	data := map[string]any{"Address": addr, "History": hist}
	var pts []chartPoint
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].Kind == "" {
			pts = append(pts, chartPoint{When: hist[i].Started, Level: hist[i].Level, Label: hist[i].Scan})
		}
	}
	data["Chart"] = levelChart(pts, "Level of "+addr+" over time")
	latest := ""
	for _, h := range hist {
		if h.Kind == "" {
			latest = h.Scan
			break
		}
	}
	if latest == "" {
		if len(hist) == 0 {
			w.WriteHeader(http.StatusNotFound)
		}
		s.render(w, r, "host", p, data)
		return
	}
	doc, err := s.doc(ctx, latest)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	acc, err := s.st.InForce(ctx, s.now())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	doc = rejudge(doc, acc, s.now())
	host, fs := hostOf(doc, addr)
	data["Host"], data["Findings"], data["Scan"], data["Finished"] = host, fs, doc.ID, doc.Finished
	prevID, err := s.st.PreviousScanOfHost(ctx, doc.ID, addr)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	if prevID != "" {
		prev, err := s.doc(ctx, prevID)
		if err != nil {
			s.pageError(w, r, p, err)
			return
		}
		data["Diff"] = diffHost(prev, doc, addr)
	}
	s.render(w, r, "host", p, data)
}

// hostOf returns a host of a document and its findings.
func hostOf(doc *result.Document, addr string) (*result.Host, []findingView) {
	var h *result.Host
	for i := range doc.Hosts {
		if doc.Hosts[i].Address == addr {
			h = &doc.Hosts[i]
		}
	}
	fs := []findingView{}
	for _, f := range doc.Findings {
		if f.Host == addr {
			fs = append(fs, viewOf(doc, f))
		}
	}
	return h, fs
}

// diffHost compares one host in two scans, with internal/diff restricted
// to that host.
func diffHost(a, b *result.Document, addr string) hostDiff {
	only := func(d *result.Document) *result.Document {
		c := *d
		c.Hosts = nil
		for _, h := range d.Hosts {
			if h.Address == addr {
				c.Hosts = append(c.Hosts, h)
			}
		}
		c.Findings = nil
		for _, f := range d.Findings {
			if f.Host == addr {
				c.Findings = append(c.Findings, f)
			}
		}
		return &c
	}
	ha, _ := hostOf(a, addr)
	hb, _ := hostOf(b, addr)
	d := diff.Scans(only(a), only(b))
	out := hostDiff{Prev: a.ID}
	if ha != nil {
		out.From = ha.Level
	}
	if hb != nil {
		out.To = hb.Level
	}
	for _, f := range d.New {
		out.New = append(out.New, viewOf(b, f))
	}
	for _, f := range d.Fixed {
		out.Gone = append(out.Gone, viewOf(a, f))
	}
	for _, o := range d.NotObserved {
		out.Gone = append(out.Gone, viewOf(a, o.Finding))
	}
	for _, sv := range d.Opened {
		out.Opened = append(out.Opened, fmt.Sprintf("%d/%s %s", sv.Port, sv.Transport, sv.Name))
	}
	for _, sv := range d.Closed {
		out.Closed = append(out.Closed, fmt.Sprintf("%d/%s %s", sv.Port, sv.Transport, sv.Name))
	}
	out.Same = len(out.New)+len(out.Gone)+len(out.Opened)+len(out.Closed) == 0 && out.From == out.To
	return out
}

func (s *Server) findingsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	sev := strings.ToLower(r.URL.Query().Get("severity"))
	if sev != "" && !slices.Contains(severities, sev) {
		sev = ""
	}
	list, err := s.currentFindings(r.Context(), sev)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	s.render(w, r, "findings", p, map[string]any{"Findings": list, "Severity": sev, "Severities": severities})
}

func (s *Server) findingPage(w http.ResponseWriter, r *http.Request, p *principal) {
	s.showFinding(w, r, p, http.StatusOK)
}

func (s *Server) showFinding(w http.ResponseWriter, r *http.Request, p *principal, code int) {
	id := r.PathValue("id")
	ctx := r.Context()
	hist, err := s.st.FindingHistory(ctx, id, 100)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	if len(hist) == 0 {
		w.WriteHeader(http.StatusNotFound)
		s.render(w, r, "error", p, map[string]any{"Title": "No such finding", "Message": "No stored scan has this finding."})
		return
	}
	doc, err := s.doc(ctx, hist[0].Scan)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	var f finding.Finding
	for _, x := range doc.Findings {
		if x.ID == id {
			f = x
		}
	}
	acc, err := s.st.InForce(ctx, s.now())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	var accepted *finding.Acceptance
	if a, ok := acc[id]; ok {
		accepted = &a
	}
	today := s.now().UTC()
	if code != http.StatusOK {
		w.WriteHeader(code)
	}
	s.render(w, r, "finding", p, map[string]any{"F": f, "Scan": doc.ID, "History": hist, "Accepted": accepted,
		"Today": today.Format(finding.DateLayout), "MaxDay": today.Add(maxAcceptance - 24*time.Hour).Format(finding.DateLayout)})
}

func (s *Server) acceptForm(w http.ResponseWriter, r *http.Request, p *principal) {
	a, err := s.accept(r.Context(), r.PathValue("id"), AcceptRequest{Reason: r.PostFormValue("reason"), Until: r.PostFormValue("until")}, p.Name)
	var re *requestError
	switch {
	case errors.As(err, &re):
		s.render(w, r, "error", p, map[string]any{"Title": "Not accepted", "Message": re.Error()})
		return
	case errors.Is(err, store.ErrNotFound):
		w.WriteHeader(http.StatusNotFound)
		s.render(w, r, "error", p, map[string]any{"Title": "No such finding", "Message": "No stored scan has this finding."})
		return
	case err != nil:
		s.pageError(w, r, p, err)
		return
	}
	s.audit(r, p, "risk.accept", a.Finding, "until "+a.Until+": "+a.Reason)
	http.Redirect(w, r, "/findings/"+a.Finding, http.StatusSeeOther)
}

// --- scans ---

func (s *Server) scansPage(w http.ResponseWriter, r *http.Request, p *principal) {
	s.showScans(w, r, p, "")
}

func (s *Server) showScans(w http.ResponseWriter, r *http.Request, p *principal, msg string) {
	list, err := s.st.Jobs(r.Context(), 100)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	running := false
	for _, j := range list {
		running = running || !store.JobFinal(j.Status)
	}
	s.render(w, r, "scans", p, map[string]any{"Jobs": list, "Error": msg, "Running": running})
}

func (s *Server) scanForm(w http.ResponseWriter, r *http.Request, p *principal) {
	req := ScanRequest{Targets: strings.FieldsFunc(r.PostFormValue("targets"), func(c rune) bool { return c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t' }),
		Ports: r.PostFormValue("ports")}
	j, err := s.submitScan(r.Context(), req, p.Name, "", time.Time{})
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			w.WriteHeader(http.StatusBadRequest)
			s.showScans(w, r, p, re.Error())
			return
		}
		s.pageError(w, r, p, err)
		return
	}
	s.audit(r, p, "scan.start", strings.Join(j.Targets, " "), "ports "+portsOrDefault(j.Ports)+"; job "+j.ID)
	http.Redirect(w, r, "/scans/"+j.ID, http.StatusSeeOther)
}

func (s *Server) scanPage(w http.ResponseWriter, r *http.Request, p *principal) {
	j, err := s.st.Job(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		w.WriteHeader(http.StatusNotFound)
		s.render(w, r, "error", p, map[string]any{"Title": "No such scan", "Message": "No scan job has this id."})
		return
	}
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	data := map[string]any{"Job": j, "Final": store.JobFinal(j.Status)}
	if j.ScanID != "" {
		doc, err := s.doc(r.Context(), j.ScanID)
		if err != nil {
			s.pageError(w, r, p, err)
			return
		}
		acc, err := s.st.InForce(r.Context(), s.now())
		if err != nil {
			s.pageError(w, r, p, err)
			return
		}
		doc = rejudge(doc, acc, s.now())
		var fs []findingView
		for _, f := range doc.Findings {
			fs = append(fs, viewOf(doc, f))
		}
		data["Doc"], data["Findings"] = doc, fs
	}
	s.render(w, r, "scan", p, data)
}

// --- reports ---

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	list, err := s.st.List(r.Context(), limitParam(r, 100))
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	data := map[string]any{"Scans": list, "Formats": []string{"html", "pdf", "json", "sarif", "csv"}, "Frameworks": compliance.Frameworks()}
	if id := r.PathValue("id"); id != "" {
		doc, err := s.st.Get(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguous) {
			w.WriteHeader(http.StatusNotFound)
			s.render(w, r, "error", p, map[string]any{"Title": "No such scan", "Message": "No stored scan has this id."})
			return
		}
		if err != nil {
			s.pageError(w, r, p, err)
			return
		}
		data["Scan"] = doc
		var one []store.Summary
		for _, sm := range list {
			if sm.ID == doc.ID {
				one = append(one, sm)
			}
		}
		if len(one) == 0 {
			one = []store.Summary{{ID: doc.ID, Started: doc.Started, Finished: doc.Finished, Targets: doc.Targets, Level: doc.Level.Value}}
		}
		data["Scans"] = one
	}
	s.render(w, r, "reports", p, data)
}

// download writes a stored scan in a report format, with a compliance
// assessment when ?framework= is given.
func (s *Server) download(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	format := strings.ToLower(q.Get("format"))
	if !slices.Contains([]string{"html", "pdf", "json", "sarif", "csv"}, format) {
		http.Error(w, "format: use html, pdf, json, sarif or csv", http.StatusBadRequest)
		return
	}
	doc, err := s.st.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrAmbiguous) {
		http.Error(w, "no stored scan has this id", http.StatusNotFound)
		return
	}
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	var a *compliance.Assessment
	if fw := q.Get("framework"); fw != "" {
		f, err := compliance.ParseFramework(fw)
		if err != nil {
			http.Error(w, "framework: "+err.Error(), http.StatusBadRequest)
			return
		}
		if !slices.Contains(report.ComplianceFormats(), format) {
			http.Error(w, "a compliance assessment can be had as "+strings.Join(report.ComplianceFormats(), ", "), http.StatusBadRequest)
			return
		}
		series, err := s.series(r.Context(), doc)
		if err != nil {
			s.pageError(w, r, p, err)
			return
		}
		if a, err = compliance.Assess(f, doc, series); err != nil {
			s.pageError(w, r, p, err)
			return
		}
	}
	wr, err := report.New(format, report.Options{Offer: fix.Offer, Compliance: a})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var b strings.Builder
	if err := wr.Write(&b, doc); err != nil {
		s.pageError(w, r, p, err)
		return
	}
	types := map[string]string{"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json",
		"sarif": "application/sarif+json", "csv": "text/csv; charset=utf-8"}
	name := "vigil-" + safeName(doc.ID)
	if a != nil {
		name += "-" + safeName(q.Get("framework"))
	}
	w.Header().Set("Content-Type", types[format])
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	if format == "html" {
		// A downloaded report opens as a file; served here it must not run.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox")
	}
	_, _ = w.Write([]byte(b.String()))
}

// series returns the stored scans of a document's environment (label),
// the evidence of regular testing.
func (s *Server) series(ctx context.Context, doc *result.Document) ([]compliance.Run, error) {
	list, err := s.st.List(ctx, 0)
	if err != nil {
		return nil, err
	}
	var out []compliance.Run
	for _, sm := range list {
		if sm.Label == doc.Label && sm.Kind == doc.Kind {
			out = append(out, compliance.Run{ID: sm.ID, Started: sm.Started, Finished: sm.Finished})
		}
	}
	return out, nil
}

// safeName keeps the characters a file name may safely hold.
func safeName(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b.WriteRune(c)
		}
	}
	return clip(b.String(), 80)
}

// --- users and tokens ---

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, p *principal) {
	s.showUsers(w, r, p, "")
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, p *principal, msg string) {
	list, err := s.st.Users(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	s.render(w, r, "users", p, map[string]any{"Users": list, "Roles": auth.Roles(), "Error": msg})
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, p *principal) {
	name := store.NormalUserName(r.PostFormValue("name"))
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err == nil {
		err = store.CheckUserName(name)
	}
	if err == nil {
		err = auth.CheckPasswordPolicy(r.PostFormValue("password"))
	}
	var hash string
	if err == nil {
		hash, err = s.gate.Hash(r.Context(), r.PostFormValue("password"))
	}
	if err == nil {
		err = s.st.AddUser(r.Context(), store.User{Name: name, Role: string(role), Hash: hash, Created: s.now()})
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showUsers(w, r, p, err.Error())
		return
	}
	s.audit(r, p, "user.add", name, "role "+string(role))
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request, p *principal) {
	name := r.PathValue("name")
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err == nil {
		err = s.st.SetRole(r.Context(), name, string(role))
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showUsers(w, r, p, err.Error())
		return
	}
	s.audit(r, p, "user.role", name, "role "+string(role))
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

func (s *Server) removeUser(w http.ResponseWriter, r *http.Request, p *principal) {
	name := r.PathValue("name")
	if store.NormalUserName(name) == p.Name {
		w.WriteHeader(http.StatusBadRequest)
		s.showUsers(w, r, p, "you cannot remove yourself")
		return
	}
	if err := s.st.RemoveUser(r.Context(), name); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showUsers(w, r, p, err.Error())
		return
	}
	s.audit(r, p, "user.remove", name, "")
	http.Redirect(w, r, "/users", http.StatusSeeOther)
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, p *principal) {
	s.showTokens(w, r, p, "", "")
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, p *principal, newToken, msg string) {
	list, err := s.st.Tokens(r.Context())
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	s.render(w, r, "tokens", p, map[string]any{"Tokens": list, "Roles": auth.Roles(), "New": newToken, "Error": msg})
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, p *principal) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err == nil && (name == "" || len(name) > 100) {
		err = errors.New("name: give the token a name of at most 100 characters")
	}
	var tok, hash, id string
	if err == nil {
		tok, hash, err = auth.NewToken()
	}
	if err == nil {
		id, err = auth.NewID()
	}
	if err == nil {
		err = s.st.AddToken(r.Context(), store.Token{ID: id, Name: name, Role: string(role), Hash: hash, Created: s.now()})
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showTokens(w, r, p, "", err.Error())
		return
	}
	s.audit(r, p, "token.create", id, "name "+name+", role "+string(role))
	s.showTokens(w, r, p, tok, "")
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, p *principal) {
	id := r.PathValue("id")
	if err := s.st.RevokeToken(r.Context(), id, s.now()); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		s.showTokens(w, r, p, "", err.Error())
		return
	}
	s.audit(r, p, "token.revoke", id, "")
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
}

// --- audit log ---

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p *principal) {
	list, err := s.st.AuditLog(r.Context(), limitParam(r, 500))
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	s.render(w, r, "audit", p, map[string]any{"Entries": list})
}

func (s *Server) auditExport(w http.ResponseWriter, r *http.Request, p *principal) {
	list, err := s.st.AuditLog(r.Context(), 0)
	if err != nil {
		s.pageError(w, r, p, err)
		return
	}
	switch r.URL.Query().Get("format") {
	case "json":
		w.Header().Set("Content-Disposition", `attachment; filename="vigil-audit-log.json"`)
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"schema": "vigil/audit-log/v1", "exported": s.now().UTC(), "entries": list})
	default:
		w.Header().Set("Content-Disposition", `attachment; filename="vigil-audit-log.csv"`)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"seq", "time", "actor", "source", "action", "object", "detail", "hash"})
		for _, e := range list {
			_ = cw.Write([]string{fmt.Sprint(e.Seq), e.Time.UTC().Format(time.RFC3339Nano), csvSafe(e.Actor), csvSafe(e.Source), e.Action,
				csvSafe(e.Object), csvSafe(e.Detail), e.Hash})
		}
		cw.Flush()
	}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// pageError logs an error and shows a page that says the server failed.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, p *principal, err error) {
	s.log.Error("page failed", "path", r.URL.Path, "err", err)
	w.WriteHeader(http.StatusInternalServerError)
	s.render(w, r, "error", p, map[string]any{"Title": "Something went wrong", "Message": "The server could not show this page; its log says why."})
}
