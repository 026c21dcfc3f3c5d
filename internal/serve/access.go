package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/store"
)

// principal is who a request comes from.
type principal struct {
	// Name is the user, or "token:ID" for an API token.
	Name string
	Role auth.Role
	// session is set for a browser session (CSRF applies); nil for a token.
	session *store.Session
}

// Can reports whether the principal's role includes need (templates).
func (p *principal) Can(need string) bool { return p != nil && p.Role.Allows(auth.Role(need)) }

// CSRF is the session's anti-forgery token, for forms.
func (p *principal) CSRF() string {
	if p == nil || p.session == nil {
		return ""
	}
	return p.session.CSRF
}

type ctxKey struct{}

// cookieName is the session cookie's name: with TLS, __Host- pins it to
// this host and path / over HTTPS.
func (s *Server) cookieName() string {
	if s.opt.TLS {
		return "__Host-vigil_session"
	}
	return "vigil_session"
}

// loginCookieName holds the login form's anti-forgery value (double submit).
func (s *Server) loginCookieName() string {
	if s.opt.TLS {
		return "__Host-vigil_login"
	}
	return "vigil_login"
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opt.TLS, SameSite: http.SameSiteStrictMode})
}

// source is the client's address, for the audit log and the rate limit.
func source(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// bearer authenticates an API token; nil when there is no valid one.
func (s *Server) bearer(r *http.Request) (*principal, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, false
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || !auth.LooksLikeToken(strings.TrimSpace(tok)) {
		return nil, true
	}
	t, err := s.st.TokenByHash(r.Context(), auth.HashToken(strings.TrimSpace(tok)))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("cannot look up a token", "err", err)
		}
		return nil, true
	}
	role, err := auth.ParseRole(t.Role)
	if err != nil {
		return nil, true
	}
	now := s.now()
	if now.Sub(t.LastUsed) > time.Minute {
		if err := s.st.TouchToken(context.WithoutCancel(r.Context()), t.ID, now); err != nil {
			s.log.Warn("cannot record a token's use", "err", err)
		}
	}
	return &principal{Name: "token:" + t.ID, Role: role}, true
}

// sessionOf authenticates a session cookie, moving its idle expiry on;
// nil when there is no live session.
func (s *Server) sessionOf(r *http.Request) *principal {
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return nil
	}
	id := auth.HashToken(c.Value)
	now := s.now()
	sess, err := s.st.SessionAt(r.Context(), id, now)
	if err != nil {
		return nil
	}
	if !now.Before(sess.Expires) || !now.Before(sess.Created.Add(SessionMax)) {
		_ = s.st.DeleteSession(context.WithoutCancel(r.Context()), id)
		return nil
	}
	u, err := s.st.User(r.Context(), sess.User)
	if err != nil {
		return nil
	}
	role, err := auth.ParseRole(u.Role)
	if err != nil {
		return nil
	}
	// Idle expiry moves on, at most to the absolute end; written at most
	// once a minute.
	next := minTime(now.Add(SessionIdle), sess.Created.Add(SessionMax))
	if next.Sub(sess.Expires) > time.Minute {
		if err := s.st.ExtendSession(context.WithoutCancel(r.Context()), id, next); err != nil {
			s.log.Warn("cannot extend a session", "err", err)
		}
	}
	return &principal{Name: u.Name, Role: role, session: &sess}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// apiError writes a JSON error.
func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// api wraps an API handler: credentials (a bearer token, or a session
// with its CSRF token on requests that change something), then the role.
func (s *Server) api(need auth.Role, h func(http.ResponseWriter, *http.Request, *principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, tried := s.bearer(r)
		if p == nil && !tried {
			p = s.sessionOf(r)
			if p != nil && changes(r) && !s.csrfOK(r, p) {
				apiError(w, http.StatusForbidden, "missing or wrong CSRF token (send X-CSRF-Token with the session's token)")
				return
			}
		}
		if p == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vigil"`)
			apiError(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer TOKEN (vigil token create)")
			return
		}
		if !p.Role.Allows(need) {
			apiError(w, http.StatusForbidden, "your role ("+string(p.Role)+") may not do this; it needs "+string(need))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)), p)
	}
}

// page wraps a UI handler: a session, else a redirect to the login page;
// CSRF on every request that changes something; then the role.
func (s *Server) page(need auth.Role, h func(http.ResponseWriter, *http.Request, *principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		p := s.sessionOf(r)
		if p == nil {
			if changes(r) {
				http.Error(w, "your session ended: log in again", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if changes(r) && !s.csrfOK(r, p) {
			http.Error(w, "this form is stale or forged (CSRF token missing or wrong): reload the page and try again", http.StatusForbidden)
			return
		}
		if !p.Role.Allows(need) {
			w.WriteHeader(http.StatusForbidden)
			s.render(w, r, "error", p, map[string]any{"Title": "Not allowed", "Message": "Your role (" + string(p.Role) + ") may not do this; it needs " + string(need) + "."})
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)), p)
	}
}

// changes reports whether a request's method changes state.
func changes(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// csrfOK compares the request's CSRF token (form field csrf, or header
// X-CSRF-Token) with the session's, in constant time.
func (s *Server) csrfOK(r *http.Request, p *principal) bool {
	if p.session == nil {
		return true
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.session.CSRF)) == 1
}

// audit appends to the audit log; a failure is logged, never hidden.
func (s *Server) audit(r *http.Request, p *principal, action, object, detail string) {
	actor := ""
	if p != nil {
		actor = p.Name
	}
	if err := s.st.AppendAudit(context.WithoutCancel(r.Context()), store.AuditEntry{Time: s.now(), Actor: actor, Source: source(r),
		Action: action, Object: object, Detail: detail}); err != nil {
		s.log.Error("cannot append to the audit log", "action", action, "err", err)
	}
}
