package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/auth"
)

// Access control for vigil serve: users, API tokens, sessions, and the
// append-only audit log. Lookups that find nothing return an error that
// matches ErrNotFound (errors.Is); an insert of something already there
// one that matches ErrExists.

// lookupError is an error in the user's words that matches a sentinel.
type lookupError struct {
	msg    string
	target error
}

func (e *lookupError) Error() string        { return e.msg }
func (e *lookupError) Is(target error) bool { return target == e.target }

func notFound(format string, args ...any) error {
	return &lookupError{msg: fmt.Sprintf(format, args...), target: ErrNotFound}
}

func exists(format string, args ...any) error {
	return &lookupError{msg: fmt.Sprintf(format, args...), target: ErrExists}
}

// User is an account of vigil serve.
type User struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Hash is the argon2id hash of the password (auth.HashPassword); it
	// never leaves the store in JSON.
	Hash    string    `json:"-"`
	Created time.Time `json:"created"`
}

// userName is what a user name may be: 1 to 64 letters, digits and . _ @ -,
// starting with a letter or a digit.
var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// NormalUserName folds a user name as the store keeps it: user names are
// case-insensitive, and kept in lower case.
func NormalUserName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// CheckUserName says what is wrong with a user name, or nil.
func CheckUserName(name string) error {
	if !userName.MatchString(NormalUserName(name)) {
		return fmt.Errorf("user name %q: use 1 to 64 letters, digits and . _ @ -, starting with a letter or a digit", clip(clean(name), 80))
	}
	return nil
}

func checkRole(role string) error {
	r, err := auth.ParseRole(role)
	if err != nil || string(r) != role {
		return fmt.Errorf("role %q: use viewer, operator or admin", clip(clean(role), 40))
	}
	return nil
}

// AddUser adds a user; a user of that name (in any case) already there is
// ErrExists. u.Hash must be a password hash; u.Created zero means now.
func (s *Store) AddUser(ctx context.Context, u User) error {
	if err := CheckUserName(u.Name); err != nil {
		return err
	}
	if err := checkRole(u.Role); err != nil {
		return err
	}
	if u.Hash == "" {
		return fmt.Errorf("user %s: no password hash", u.Name)
	}
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	name := NormalUserName(u.Name)
	res, err := s.db.ExecContext(ctx, s.rebind("INSERT INTO users (name, role, hash, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING"),
		name, u.Role, clean(u.Hash), formatTime(u.Created))
	if err != nil {
		return fmt.Errorf("cannot add user %s to %s: %w", name, s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return exists("user %s already exists in %s", name, s.where)
	}
	return nil
}

// User returns the user of that name (in any case); ErrNotFound when there
// is none.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	var u User
	var created string
	n := NormalUserName(name)
	err := s.db.QueryRowContext(ctx, s.rebind("SELECT name, role, hash, created FROM users WHERE name = ?"), clean(n)).Scan(&u.Name, &u.Role, &u.Hash, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, notFound("no user %s in %s", clip(clean(n), 80), s.where)
	}
	if err != nil {
		return User{}, fmt.Errorf("cannot read user %s from %s: %w", clip(clean(n), 80), s.where, err)
	}
	if u.Created, err = parseTime(created); err != nil {
		return User{}, fmt.Errorf("user %s in %s is damaged: %w", u.Name, s.where, err)
	}
	return u, nil
}

// Users returns every user, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT name, role, hash, created FROM users ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("cannot read the users in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created string
		if err := rows.Scan(&u.Name, &u.Role, &u.Hash, &created); err != nil {
			return nil, fmt.Errorf("cannot read the users in %s: %w", s.where, err)
		}
		if u.Created, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("user %s in %s is damaged: %w", u.Name, s.where, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the users in %s: %w", s.where, err)
	}
	return out, nil
}

// SetPassword replaces a user's password hash and ends the user's sessions
// (whoever knew the old password is logged out); ErrNotFound when there
// is no such user.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	if hash == "" {
		return fmt.Errorf("user %s: no password hash", name)
	}
	return s.updateUser(ctx, name, "password", "UPDATE users SET hash = ? WHERE name = ?", true, clean(hash))
}

// SetRole changes a user's role; ErrNotFound when there is no such user.
// Sessions stay: a session's rights are the user's role at each request.
func (s *Store) SetRole(ctx context.Context, name, role string) error {
	if err := checkRole(role); err != nil {
		return err
	}
	return s.updateUser(ctx, name, "role", "UPDATE users SET role = ? WHERE name = ?", false, role)
}

// RemoveUser removes a user and ends their sessions; ErrNotFound when
// there is no such user.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	return s.updateUser(ctx, name, "removal", "DELETE FROM users WHERE name = ?", true)
}

// updateUser runs one statement on a user (its last placeholder is the
// name), ending the user's sessions first when endSessions is set, in one
// transaction.
func (s *Store) updateUser(ctx context.Context, name, what, query string, endSessions bool, args ...any) error {
	n := clean(NormalUserName(name))
	fail := func(err error) error {
		return fmt.Errorf("cannot record the %s of user %s in %s: %w", what, clip(n, 80), s.where, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if endSessions {
		if _, err := tx.ExecContext(ctx, s.rebind("DELETE FROM sessions WHERE user_name = ?"), n); err != nil {
			return fail(err)
		}
	}
	res, err := tx.ExecContext(ctx, s.rebind(query), append(args, n)...)
	if err != nil {
		return fail(err)
	}
	if c, _ := res.RowsAffected(); c == 0 {
		return notFound("no user %s in %s", clip(n, 80), s.where)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// Token is an API token. Only its hash is stored (auth.HashToken); the
// token itself was shown once to whoever created it.
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	// Hash is the hex SHA-256 of the token; Tokens never returns it and it
	// never leaves the store in JSON.
	Hash    string    `json:"-"`
	Created time.Time `json:"created"`
	// LastUsed is when the token was last used; zero while never.
	LastUsed time.Time `json:"last_used,omitzero"`
	// Revoked is when it was revoked; zero while it was not.
	Revoked time.Time `json:"revoked,omitzero"`
}

// tokenHash is what Token.Hash must look like.
var tokenHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// AddToken stores a token. t.ID (auth.NewID) and t.Hash (auth.HashToken)
// must be set; t.Created zero means now. A token with the same id or hash
// already there is ErrExists.
func (s *Store) AddToken(ctx context.Context, t Token) error {
	switch {
	case t.ID == "" || len(t.ID) > 64 || clean(t.ID) != t.ID || strings.ContainsAny(t.ID, " \t\r\n"):
		return fmt.Errorf("token id %q: give 1 to 64 characters without spaces", clip(clean(t.ID), 80))
	case strings.TrimSpace(t.Name) == "":
		return errors.New("a token needs a name (what or who uses it)")
	case !tokenHash.MatchString(t.Hash):
		return fmt.Errorf("token %s: the hash is not a hex SHA-256", t.ID)
	}
	if err := checkRole(t.Role); err != nil {
		return err
	}
	if t.Created.IsZero() {
		t.Created = time.Now()
	}
	res, err := s.db.ExecContext(ctx, s.rebind("INSERT INTO tokens (id, name, role, hash, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
		t.ID, clip(clean(strings.TrimSpace(t.Name)), 200), t.Role, t.Hash, formatTime(t.Created))
	if err != nil {
		return fmt.Errorf("cannot add token %s to %s: %w", t.ID, s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return exists("token %s (or one with the same hash) already exists in %s", t.ID, s.where)
	}
	return nil
}

const tokenColumns = "id, name, role, hash, created, last_used, revoked"

// scanToken reads a row of tokenColumns.
func (s *Store) scanToken(row interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var created, used, revoked string
	if err := row.Scan(&t.ID, &t.Name, &t.Role, &t.Hash, &created, &used, &revoked); err != nil {
		return Token{}, err
	}
	var err error
	if t.Created, err = parseTime(created); err != nil {
		return Token{}, fmt.Errorf("token %s in %s is damaged: %w", t.ID, s.where, err)
	}
	for _, f := range []struct {
		text string
		into *time.Time
	}{{used, &t.LastUsed}, {revoked, &t.Revoked}} {
		if f.text == "" {
			continue
		}
		if *f.into, err = parseTime(f.text); err != nil {
			return Token{}, fmt.Errorf("token %s in %s is damaged: %w", t.ID, s.where, err)
		}
	}
	return t, nil
}

// TokenByHash returns the token whose hash is hash (auth.HashToken of what
// a client presented); ErrNotFound when there is none or it was revoked.
func (s *Store) TokenByHash(ctx context.Context, hash string) (Token, error) {
	if !tokenHash.MatchString(hash) {
		return Token{}, notFound("no such token in %s", s.where)
	}
	t, err := s.scanToken(s.db.QueryRowContext(ctx, s.rebind("SELECT "+tokenColumns+" FROM tokens WHERE hash = ? AND revoked = ''"), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, notFound("no such token in %s (or it was revoked)", s.where)
	}
	if err != nil {
		return Token{}, fmt.Errorf("cannot look the token up in %s: %w", s.where, err)
	}
	return t, nil
}

// TouchToken records that token id was used at t; ErrNotFound when there
// is no such token.
func (s *Store) TouchToken(ctx context.Context, id string, t time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE tokens SET last_used = ? WHERE id = ?"), formatTime(t), clean(id))
	if err != nil {
		return fmt.Errorf("cannot record the use of token %s in %s: %w", clip(clean(id), 80), s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no token %s in %s", clip(clean(id), 80), s.where)
	}
	return nil
}

// Tokens returns every token, revoked ones too, oldest first, without
// their hashes.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+tokenColumns+" FROM tokens ORDER BY created, id")
	if err != nil {
		return nil, fmt.Errorf("cannot read the tokens in %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := s.scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read the tokens in %s: %w", s.where, err)
		}
		t.Hash = ""
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the tokens in %s: %w", s.where, err)
	}
	return out, nil
}

// RevokeToken revokes token id at t: it no longer authenticates, and its
// row stays as a record. ErrNotFound when there is no such token in force.
func (s *Store) RevokeToken(ctx context.Context, id string, t time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked = ''"), formatTime(t), clean(id))
	if err != nil {
		return fmt.Errorf("cannot revoke token %s in %s: %w", clip(clean(id), 80), s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no token %s in force in %s", clip(clean(id), 80), s.where)
	}
	return nil
}

// Session is a logged-in browser.
type Session struct {
	// ID is the hex SHA-256 of the session cookie's value; the cookie
	// itself is never stored.
	ID   string `json:"-"`
	User string `json:"user"`
	// CSRF is the session's anti-forgery token, carried by every form.
	CSRF    string    `json:"-"`
	Created time.Time `json:"created"`
	// Expires is when the session ends (the server moves it on with
	// ExtendSession for an idle timeout).
	Expires time.Time `json:"expires"`
}

// AddSession stores a session of an existing user; ErrNotFound when the
// user does not exist.
func (s *Store) AddSession(ctx context.Context, sess Session) error {
	if sess.ID == "" || sess.CSRF == "" || len(sess.ID) > 128 || len(sess.CSRF) > 128 {
		return errors.New("a session needs an id and a CSRF token")
	}
	if sess.Created.IsZero() {
		sess.Created = time.Now()
	}
	if !sess.Expires.After(sess.Created) {
		return errors.New("a session must expire after it starts")
	}
	name := clean(NormalUserName(sess.User))
	res, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO sessions (id, user_name, csrf, created, expires)
		SELECT ?, name, ?, ?, ? FROM users WHERE name = ?`),
		clean(sess.ID), clean(sess.CSRF), formatTime(sess.Created), formatTime(sess.Expires), name)
	if err != nil {
		return fmt.Errorf("cannot start a session for %s in %s: %w", clip(name, 80), s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no user %s in %s", clip(name, 80), s.where)
	}
	return nil
}

// Session returns the session id; ErrNotFound when there is none or it
// has expired.
func (s *Store) Session(ctx context.Context, id string) (Session, error) {
	return s.SessionAt(ctx, id, time.Now())
}

// SessionAt is Session on a clock of the caller's: the session id as it
// stands at now; ErrNotFound when there is none or it expired by now.
func (s *Store) SessionAt(ctx context.Context, id string, now time.Time) (Session, error) {
	var sess Session
	var created, expires string
	err := s.db.QueryRowContext(ctx, s.rebind("SELECT id, user_name, csrf, created, expires FROM sessions WHERE id = ? AND expires > ?"),
		clean(id), formatTime(now)).Scan(&sess.ID, &sess.User, &sess.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, notFound("no such session in %s (or it expired)", s.where)
	}
	if err != nil {
		return Session{}, fmt.Errorf("cannot read the session from %s: %w", s.where, err)
	}
	if sess.Created, err = parseTime(created); err == nil {
		sess.Expires, err = parseTime(expires)
	}
	if err != nil {
		return Session{}, fmt.Errorf("a session of %s in %s is damaged: %w", sess.User, s.where, err)
	}
	return sess, nil
}

// ExtendSession sets when session id expires (an idle timeout moving on);
// ErrNotFound when there is no such session.
func (s *Store) ExtendSession(ctx context.Context, id string, expires time.Time) error {
	res, err := s.db.ExecContext(ctx, s.rebind("UPDATE sessions SET expires = ? WHERE id = ?"), formatTime(expires), clean(id))
	if err != nil {
		return fmt.Errorf("cannot extend the session in %s: %w", s.where, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no such session in %s", s.where)
	}
	return nil
}

// DeleteSession ends a session (logout). Ending one that is not there is
// not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM sessions WHERE id = ?"), clean(id)); err != nil {
		return fmt.Errorf("cannot end the session in %s: %w", s.where, err)
	}
	return nil
}

// PruneSessions deletes the sessions that expired at or before t and says
// how many.
func (s *Store) PruneSessions(ctx context.Context, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM sessions WHERE expires <= ?"), formatTime(t))
	if err != nil {
		return 0, fmt.Errorf("cannot delete the expired sessions in %s: %w", s.where, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// AuditEntry is one row of the audit log: who did what, from where, to
// what.
//
// Actions: login, login.failed, logout, scan.start, hostaudit.start,
// risk.accept, risk.revoke, fix.apply, user.add, user.remove, user.role,
// user.password, token.create, token.revoke, schedule.add,
// schedule.remove, alert.target.add, alert.target.remove.
type AuditEntry struct {
	// Seq numbers the entries 1, 2, 3, … in the order they were appended;
	// AppendAudit assigns it.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Actor is who: a user name, "token:ID", or an OS user for the CLI.
	Actor string `json:"actor"`
	// Source is from where: a client address, or "cli".
	Source string `json:"source"`
	Action string `json:"action"`
	// Object is what the action was done to: a user, a token id, a
	// finding id, scan targets.
	Object string `json:"object"`
	Detail string `json:"detail"`
	// Hash chains the entry to the one before it (AuditHash); AppendAudit
	// computes it, and AuditLog returns it so that an export can be
	// verified.
	Hash string `json:"hash,omitempty"`
}

// Bounds of an audit entry's fields, in characters; longer text is cut.
const (
	auditShort  = 200
	auditObject = 500
	auditDetail = 2000
)

// auditAction is the shape of an action: dotted lower-case words.
var auditAction = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,3}$`)

// pgAuditLock is the advisory lock key that serialises appends to the
// audit log on PostgreSQL ("vgal" in ASCII); SQLite's writers are
// serialised by their immediate transactions.
const pgAuditLock = 0x7667616c

// AuditHash returns the hash of an entry chained after the entry whose
// hash is prev ("" for the first): the hex SHA-256 of prev, a newline, and
// the entry's fields as a JSON array [seq, time, actor, source, action,
// object, detail], the time as the store writes it.
func AuditHash(prev string, e AuditEntry) string {
	fields, _ := json.Marshal([]any{e.Seq, formatTime(e.Time), e.Actor, e.Source, e.Action, e.Object, e.Detail})
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(fields)
	return hex.EncodeToString(h.Sum(nil))
}

// AppendAudit appends an entry to the audit log. e.Seq and e.Hash are
// assigned; e.Time zero means now. There is no way to change or delete an
// entry.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) error {
	if !auditAction.MatchString(e.Action) {
		return fmt.Errorf("audit log: %q is not an action (dotted lower-case words, e.g. user.add)", clip(clean(e.Action), 80))
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// The time is kept to the precision the store writes, so the hash
	// computed now and the one recomputed from the row agree.
	e.Time, _ = parseTime(formatTime(e.Time))
	e.Actor = clip(clean(e.Actor), auditShort)
	e.Source = clip(clean(e.Source), auditShort)
	e.Object = clip(clean(e.Object), auditObject)
	e.Detail = clip(clean(e.Detail), auditDetail)
	fail := func(err error) error { return fmt.Errorf("cannot write to the audit log in %s: %w", s.where, err) }
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if s.dialect == postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+strconv.Itoa(pgAuditLock)+")"); err != nil {
			return fail(err)
		}
	}
	var prev string
	var last int64
	err = tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fail(err)
	}
	e.Seq = last + 1
	e.Hash = AuditHash(prev, e)
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO audit_log (seq, at, actor, source, action, object, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), e.Seq, formatTime(e.Time), e.Actor, e.Source, e.Action, e.Object, e.Detail, prev, e.Hash); err != nil {
		return fail(err)
	}
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	return nil
}

// AuditLog returns the newest limit entries of the audit log, newest
// first; limit <= 0 returns them all.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	q := "SELECT seq, at, actor, source, action, object, detail, prev_hash, hash FROM audit_log ORDER BY seq DESC"
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	var out []AuditEntry
	err := s.auditRows(ctx, q, func(e AuditEntry, _ string) error {
		out = append(out, e)
		return nil
	})
	return out, err
}

// auditRows runs q (over the columns AuditLog reads) and calls f on each
// entry with its stored prev_hash.
func (s *Store) auditRows(ctx context.Context, q string, f func(AuditEntry, string) error) error {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("cannot read the audit log in %s: %w", s.where, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at, prev string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Source, &e.Action, &e.Object, &e.Detail, &prev, &e.Hash); err != nil {
			return fmt.Errorf("cannot read the audit log in %s: %w", s.where, err)
		}
		if e.Time, err = parseTime(at); err != nil {
			return fmt.Errorf("%w: entry %d has a damaged time %q", ErrAuditBroken, e.Seq, clip(at, 40))
		}
		if err := f(e, prev); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot read the audit log in %s: %w", s.where, err)
	}
	return nil
}

// ErrAuditBroken means the audit log's chain does not hold: an entry was
// altered, removed or inserted outside vigil.
var ErrAuditBroken = errors.New("the audit log was tampered with")

// VerifyAudit walks the audit log from its first entry and checks that
// the entries are numbered 1, 2, 3, … without gaps and that each one's
// hash chains to the one before it. It returns how many entries hold; the
// error wraps ErrAuditBroken and names the first entry that does not. Only
// the removal of the newest entries cannot be told from the chain alone:
// compare the count with one noted earlier (or an export).
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	var n int64
	prevHash := ""
	err := s.auditRows(ctx, "SELECT seq, at, actor, source, action, object, detail, prev_hash, hash FROM audit_log ORDER BY seq", func(e AuditEntry, prev string) error {
		switch {
		case e.Seq != n+1 && n == 0:
			return fmt.Errorf("%w: the log starts at entry %d; entries 1 to %d are missing", ErrAuditBroken, e.Seq, e.Seq-1)
		case e.Seq != n+1:
			return fmt.Errorf("%w: entries %d to %d are missing (after entry %d comes %d)", ErrAuditBroken, n+1, e.Seq-1, n, e.Seq)
		case prev != prevHash:
			return fmt.Errorf("%w: entry %d does not follow entry %d (its link to the previous entry differs: that entry was altered or replaced)", ErrAuditBroken, e.Seq, n)
		case AuditHash(prev, e) != e.Hash:
			return fmt.Errorf("%w: entry %d was altered (%s %s by %s at %s)", ErrAuditBroken, e.Seq, e.Action, e.Object, e.Actor, e.Time.UTC().Format(time.RFC3339))
		}
		n, prevHash = e.Seq, e.Hash
		return nil
	})
	return n, err
}

// clip cuts s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
