package store

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
)

// at is a fixed time for access tests.
var at = time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC)

func TestUsers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		if list, err := s.Users(ctx); err != nil || len(list) != 0 {
			t.Fatalf("Users of an empty store: %v %v", list, err)
		}
		add := []User{
			{Name: "alice", Role: "admin", Hash: "$argon2id$a", Created: at},
			{Name: "Bob", Role: "viewer", Hash: "$argon2id$b", Created: at.Add(time.Minute)},
			{Name: "carol@clinic.example", Role: "operator", Hash: "$argon2id$c", Created: at.Add(2 * time.Minute)},
		}
		for _, u := range add {
			if err := s.AddUser(ctx, u); err != nil {
				t.Fatalf("AddUser(%s): %v", u.Name, err)
			}
		}
		refused := []struct {
			name string
			u    User
			want error // nil: any error
		}{
			{"same name", User{Name: "alice", Role: "viewer", Hash: "x"}, ErrExists},
			{"same name in another case", User{Name: "ALICE", Role: "viewer", Hash: "x"}, ErrExists},
			{"bad role", User{Name: "dave", Role: "root", Hash: "x"}, nil},
			{"role in capitals", User{Name: "dave", Role: "Admin", Hash: "x"}, nil},
			{"empty name", User{Name: "", Role: "viewer", Hash: "x"}, nil},
			{"name with a space", User{Name: "da ve", Role: "viewer", Hash: "x"}, nil},
			{"name starting with a dash", User{Name: "-dave", Role: "viewer", Hash: "x"}, nil},
			{"name with a control character", User{Name: "dave\x1b[2J", Role: "viewer", Hash: "x"}, nil},
			{"name too long", User{Name: strings.Repeat("d", 65), Role: "viewer", Hash: "x"}, nil},
			{"no hash", User{Name: "dave", Role: "viewer"}, nil},
		}
		for _, tt := range refused {
			err := s.AddUser(ctx, tt.u)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("%s: AddUser = %v, want %v", tt.name, err, tt.want)
			}
		}
		list, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, u := range list {
			names = append(names, u.Name+":"+u.Role)
		}
		if got := strings.Join(names, " "); got != "alice:admin bob:viewer carol@clinic.example:operator" {
			t.Errorf("Users = %s", got)
		}
		u, err := s.User(ctx, " BOB ")
		if err != nil || u.Name != "bob" || u.Role != "viewer" || u.Hash != "$argon2id$b" || !u.Created.Equal(at.Add(time.Minute)) {
			t.Errorf("User(bob) = %+v, %v", u, err)
		}
		if _, err := s.User(ctx, "nobody"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no user nobody") {
			t.Errorf("User(nobody) = %v, want ErrNotFound naming the user", err)
		}

		if err := s.SetRole(ctx, "bob", "operator"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetRole(ctx, "bob", "god"); err == nil {
			t.Error("SetRole accepted an unknown role")
		}
		if err := s.SetPassword(ctx, "Bob", "$argon2id$new"); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.User(ctx, "bob"); u.Role != "operator" || u.Hash != "$argon2id$new" {
			t.Errorf("after SetRole and SetPassword: %+v", u)
		}
		for name, err := range map[string]error{
			"SetRole":     s.SetRole(ctx, "nobody", "viewer"),
			"SetPassword": s.SetPassword(ctx, "nobody", "$argon2id$x"),
			"RemoveUser":  s.RemoveUser(ctx, "nobody"),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s of an unknown user: %v, want ErrNotFound", name, err)
			}
		}
		if err := s.RemoveUser(ctx, "carol@clinic.example"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.User(ctx, "carol@clinic.example"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a removed user is still there: %v", err)
		}
		if list, _ := s.Users(ctx); len(list) != 2 {
			t.Errorf("%d users after one removal, want 2", len(list))
		}
	})
}

func TestTokens(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		tok, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		_, hash2, _ := auth.NewToken()
		if err := s.AddToken(ctx, Token{ID: "t1", Name: "backup job", Role: "viewer", Hash: hash, Created: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddToken(ctx, Token{ID: "t2", Name: "ci", Role: "operator", Hash: hash2, Created: at.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		refused := []struct {
			name string
			tk   Token
			want error
		}{
			{"same id", Token{ID: "t1", Name: "x", Role: "viewer", Hash: strings.Repeat("a", 64)}, ErrExists},
			{"same hash", Token{ID: "t3", Name: "x", Role: "viewer", Hash: hash}, ErrExists},
			{"no id", Token{Name: "x", Role: "viewer", Hash: strings.Repeat("b", 64)}, nil},
			{"no name", Token{ID: "t4", Role: "viewer", Hash: strings.Repeat("b", 64)}, nil},
			{"bad role", Token{ID: "t4", Name: "x", Role: "owner", Hash: strings.Repeat("b", 64)}, nil},
			{"the token instead of its hash", Token{ID: "t4", Name: "x", Role: "viewer", Hash: tok}, nil},
		}
		for _, tt := range refused {
			err := s.AddToken(ctx, tt.tk)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("%s: AddToken = %v, want %v", tt.name, err, tt.want)
			}
		}

		got, err := s.TokenByHash(ctx, auth.HashToken(tok))
		if err != nil || got.ID != "t1" || got.Name != "backup job" || got.Role != "viewer" || !got.Created.Equal(at) || !got.LastUsed.IsZero() {
			t.Errorf("TokenByHash = %+v, %v", got, err)
		}
		for _, h := range []string{auth.HashToken("vgl_nope"), "", tok, "' OR 1=1 --"} {
			if _, err := s.TokenByHash(ctx, h); !errors.Is(err, ErrNotFound) {
				t.Errorf("TokenByHash(%q) = %v, want ErrNotFound", h, err)
			}
		}
		if err := s.TouchToken(ctx, "t1", at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchToken(ctx, "nope", at); !errors.Is(err, ErrNotFound) {
			t.Errorf("TouchToken(nope) = %v", err)
		}
		if got, _ := s.TokenByHash(ctx, hash); !got.LastUsed.Equal(at.Add(time.Hour)) {
			t.Errorf("last used %v after TouchToken", got.LastUsed)
		}

		if err := s.RevokeToken(ctx, "t1", at.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeToken(ctx, "t1", at.Add(3*time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking twice: %v, want ErrNotFound", err)
		}
		if err := s.RevokeToken(ctx, "nope", at); !errors.Is(err, ErrNotFound) {
			t.Errorf("RevokeToken(nope) = %v", err)
		}
		if _, err := s.TokenByHash(ctx, hash); !errors.Is(err, ErrNotFound) {
			t.Errorf("a revoked token still authenticates: %v", err)
		}
		list, err := s.Tokens(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("Tokens = %+v, %v", list, err)
		}
		if list[0].ID != "t1" || !list[0].Revoked.Equal(at.Add(2*time.Hour)) || list[1].ID != "t2" || !list[1].Revoked.IsZero() {
			t.Errorf("Tokens = %+v", list)
		}
		for _, tk := range list {
			if tk.Hash != "" {
				t.Errorf("Tokens returned the hash of %s", tk.ID)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		for _, n := range []string{"alice", "bob"} {
			if err := s.AddUser(ctx, User{Name: n, Role: "viewer", Hash: "h"}); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		live := Session{ID: auth.HashToken("cookie-a"), User: "Alice", CSRF: "csrf-a", Created: now, Expires: now.Add(time.Hour)}
		gone := Session{ID: auth.HashToken("cookie-old"), User: "alice", CSRF: "csrf-o", Created: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)}
		bobs := Session{ID: auth.HashToken("cookie-b"), User: "bob", CSRF: "csrf-b", Created: now, Expires: now.Add(time.Hour)}
		for _, sess := range []Session{live, gone, bobs} {
			if err := s.AddSession(ctx, sess); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddSession(ctx, Session{ID: "x", User: "nobody", CSRF: "c", Created: now, Expires: now.Add(time.Hour)}); !errors.Is(err, ErrNotFound) {
			t.Errorf("a session of an unknown user: %v, want ErrNotFound", err)
		}
		if err := s.AddSession(ctx, Session{ID: live.ID, User: "bob", CSRF: "c", Created: now, Expires: now.Add(time.Hour)}); err == nil {
			t.Error("a second session with the same id was stored")
		}
		if err := s.AddSession(ctx, Session{ID: "y", User: "bob", CSRF: "", Created: now, Expires: now.Add(time.Hour)}); err == nil {
			t.Error("a session without a CSRF token was stored")
		}
		got, err := s.Session(ctx, live.ID)
		if err != nil || got.User != "alice" || got.CSRF != "csrf-a" || !got.Expires.Equal(live.Expires.Truncate(time.Nanosecond)) {
			t.Errorf("Session = %+v, %v", got, err)
		}
		if _, err := s.Session(ctx, gone.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("an expired session: %v, want ErrNotFound", err)
		}
		// On the caller's clock: live until its expiry, gone from then on.
		if _, err := s.SessionAt(ctx, live.ID, live.Expires.Add(-time.Nanosecond)); err != nil {
			t.Errorf("SessionAt just before expiry: %v", err)
		}
		if _, err := s.SessionAt(ctx, live.ID, live.Expires); !errors.Is(err, ErrNotFound) {
			t.Errorf("SessionAt at expiry: %v, want ErrNotFound", err)
		}
		if _, err := s.SessionAt(ctx, gone.ID, gone.Created.Add(time.Minute)); err != nil {
			t.Errorf("SessionAt of the expired session at a time it was live: %v", err)
		}
		if _, err := s.Session(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("an unknown session: %v", err)
		}
		// Extending brings the expired one back (the server decides when).
		if err := s.ExtendSession(ctx, gone.ID, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, gone.ID); err != nil {
			t.Errorf("after ExtendSession: %v", err)
		}
		if err := s.ExtendSession(ctx, "nope", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("ExtendSession(nope) = %v", err)
		}
		if n, err := s.PruneSessions(ctx, now.Add(30*time.Minute)); err != nil || n != 1 {
			t.Errorf("PruneSessions = %d, %v; want the one session ending in a minute", n, err)
		}
		// A new password ends the user's sessions; removing a user too.
		if err := s.SetPassword(ctx, "alice", "h2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, live.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("alice's session survived her new password: %v", err)
		}
		if err := s.SetRole(ctx, "bob", "admin"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, bobs.ID); err != nil {
			t.Errorf("bob's session ended with a role change: %v", err)
		}
		if err := s.RemoveUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, bobs.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("a removed user's session survived: %v", err)
		}
		if err := s.DeleteSession(ctx, bobs.ID); err != nil {
			t.Errorf("DeleteSession of an ended session: %v", err)
		}
		if err := s.AddSession(ctx, Session{ID: "z", User: "alice", CSRF: "c", Created: now, Expires: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteSession(ctx, "z"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Session(ctx, "z"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a deleted session: %v", err)
		}
	})
}

func TestAuditLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		if list, err := s.AuditLog(ctx, 0); err != nil || len(list) != 0 {
			t.Fatalf("AuditLog of an empty store: %v %v", list, err)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n != 0 {
			t.Fatalf("VerifyAudit of an empty log: %d %v", n, err)
		}
		entries := []AuditEntry{
			{Time: at, Actor: "alice", Source: "192.0.2.7", Action: "login"},
			{Time: at.Add(time.Second), Actor: "alice", Source: "192.0.2.7", Action: "scan.start", Object: "10.0.0.0/24", Detail: "ports top:1000"},
			{Time: at.Add(2 * time.Second), Actor: "root", Source: "cli", Action: "user.add", Object: "bob", Detail: "role viewer"},
			{Time: at.Add(3 * time.Second), Actor: "evil\x1b[2J\xff", Source: "cli", Action: "risk.accept", Object: "3f2a", Detail: strings.Repeat("é", 3000)},
		}
		for _, e := range entries {
			e.Seq, e.Hash = 99, "forged" // assigned by the store, whatever the caller says
			if err := s.AppendAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []string{"", "Login", "user add", "user.", ".user", "a.b.c.d.e", "x'; DROP TABLE audit_log; --"} {
			if err := s.AppendAudit(ctx, AuditEntry{Actor: "x", Action: bad}); err == nil {
				t.Errorf("action %q was appended", bad)
			}
		}
		list, err := s.AuditLog(ctx, 0)
		if err != nil || len(list) != 4 {
			t.Fatalf("AuditLog = %d entries, %v", len(list), err)
		}
		for i, e := range list {
			want := entries[len(entries)-1-i]
			if e.Seq != int64(len(entries)-i) || e.Action != want.Action || !e.Time.Equal(want.Time) || e.Hash == "" {
				t.Errorf("entry %d = %+v, want seq %d %s", i, e, len(entries)-i, want.Action)
			}
		}
		if e := list[0]; e.Actor != "evil\x1b[2J\uFFFD" || len([]rune(e.Detail)) != auditDetail {
			t.Errorf("hostile entry stored as actor %q, detail of %d characters", e.Actor, len([]rune(e.Detail)))
		}
		if l2, _ := s.AuditLog(ctx, 2); len(l2) != 2 || l2[0].Seq != 4 || l2[1].Seq != 3 {
			t.Errorf("AuditLog(2) = %+v", l2)
		}
		// The exported chain verifies on its own.
		prev := ""
		for i := len(list) - 1; i >= 0; i-- {
			if AuditHash(prev, list[i]) != list[i].Hash {
				t.Errorf("entry %d does not verify from the list", list[i].Seq)
			}
			prev = list[i].Hash
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n != 4 {
			t.Fatalf("VerifyAudit = %d, %v", n, err)
		}
	})
}

// TestVerifyAuditDetectsTampering: a row altered, removed or re-chained
// behind vigil's back breaks the chain at that row.
func TestVerifyAuditDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		want   string
	}{
		{"detail altered", "UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 2", "entry 2 was altered"},
		{"actor altered", "UPDATE audit_log SET actor = 'bob' WHERE seq = 1", "entry 1 was altered"},
		{"time altered", "UPDATE audit_log SET at = '2020-01-01T00:00:00.000000000Z' WHERE seq = 3", "entry 3 was altered"},
		{"middle row removed", "DELETE FROM audit_log WHERE seq = 2", "entries 2 to 2 are missing"},
		{"first rows removed", "DELETE FROM audit_log WHERE seq <= 2", "entries 1 to 2 are missing"},
		{"row rewritten with its own hash", "UPDATE audit_log SET hash = 'x' WHERE seq = 2", "entry 2 was altered"},
		{"renumbered after a removal", "DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 WHERE seq > 2", "entry 2 does not follow entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, s *Store) {
				ctx := t.Context()
				for i := range 4 {
					if err := s.AppendAudit(ctx, AuditEntry{Time: at.Add(time.Duration(i) * time.Minute), Actor: "alice", Source: "cli", Action: "user.add", Object: fmt.Sprint("u", i)}); err != nil {
						t.Fatal(err)
					}
				}
				for _, stmt := range strings.Split(tt.tamper, "; ") {
					if _, err := s.db.ExecContext(ctx, stmt); err != nil {
						t.Fatal(err)
					}
				}
				_, err := s.VerifyAudit(ctx)
				if !errors.Is(err, ErrAuditBroken) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("VerifyAudit = %v, want ErrAuditBroken saying %q", err, tt.want)
				}
			})
		})
	}
}

// TestAppendAuditConcurrent: appends from many goroutines (as from several
// requests, or vigil processes) get distinct sequence numbers without gaps
// and the chain holds.
func TestAppendAuditConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		const writers, each = 6, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					errs <- s.AppendAudit(t.Context(), AuditEntry{Actor: fmt.Sprint("w", w), Source: "test", Action: "login", Object: fmt.Sprint(i)})
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.VerifyAudit(t.Context()); err != nil || n != writers*each {
			t.Errorf("VerifyAudit = %d, %v; want %d entries in a sound chain", n, err, writers*each)
		}
	})
}
