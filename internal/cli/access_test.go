package cli

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/auth"
	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/storetest"
)

// openTestStore opens the store at db for a test's own checks.
func openTestStore(t *testing.T, db string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openRawSQLite opens an SQLite store with the driver alone, as someone
// editing it behind vigil's back would.
func openRawSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestUserCommands: users are added with a password from standard input
// (refused when short, empty or given twice), listed without their hash,
// given another role or password, and removed; every change lands in the
// audit log with the OS user as actor.
func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigil.db")
	const pw = "correct horse battery staple"

	// Refusals, none of which creates a user.
	refused := []struct {
		name, stdin string
		args        []string
		code        int
	}{
		{"no role", pw + "\n", []string{"user", "add", "alice"}, ExitUsage},
		{"unknown role", pw + "\n", []string{"user", "add", "alice", "--role", "root"}, ExitUsage},
		{"empty password", "\n", []string{"user", "add", "alice", "--role", "admin"}, ExitUsage},
		{"no input", "", []string{"user", "add", "alice", "--role", "admin"}, ExitUsage},
		{"short password", "eleven char\n", []string{"user", "add", "alice", "--role", "admin"}, ExitUsage},
		{"password as an argument", "", []string{"user", "add", "alice", pw, "--role", "admin"}, ExitUsage},
		{"bad name", pw + "\n", []string{"user", "add", "al ice", "--role", "admin"}, ExitUsage},
		{"over-long line", strings.Repeat("x", auth.MaxPasswordLength+10), []string{"user", "add", "alice", "--role", "admin"}, ExitUsage},
	}
	for _, tt := range refused {
		code, out, stderr := vigilIn(t, tt.stdin, append(tt.args, "--db", db)...)
		if code != tt.code || out != "" {
			t.Errorf("%s: exit %d, stdout %q, want exit %d and nothing on stdout (%s)", tt.name, code, out, tt.code, stderr)
		}
	}
	if _, err := os.Stat(db); err == nil {
		if users, _ := openTestStore(t, db).Users(t.Context()); len(users) != 0 {
			t.Fatalf("refused commands added users: %+v", users)
		}
	}

	// A password line with a CRLF end, and one without a line end.
	if code, out, stderr := vigilIn(t, pw+"\r\nsecond line ignored\n", "user", "add", "Alice", "--role", "admin", "--db", db); code != ExitOK || out != "" {
		t.Fatalf("user add alice: exit %d, stdout %q: %s", code, out, stderr)
	}
	if code, _, stderr := vigilIn(t, "another long password", "user", "add", "bob", "--role", "viewer", "--db", db); code != ExitOK {
		t.Fatalf("user add bob: exit %d: %s", code, stderr)
	}
	if code, _, stderr := vigilIn(t, pw+"\n", "user", "add", "ALICE", "--role", "viewer", "--db", db); code != ExitUsage || !strings.Contains(stderr, "already exists") {
		t.Errorf("a second alice: exit %d: %s", code, stderr)
	}
	st := openTestStore(t, db)
	alice, err := st.User(t.Context(), "alice")
	if err != nil || alice.Role != "admin" || !auth.CheckPassword(alice.Hash, pw) || strings.Contains(alice.Hash, pw) {
		t.Fatalf("stored alice = %+v, %v: want an admin whose argon2id hash checks the password", alice, err)
	}
	if bob, _ := st.User(t.Context(), "bob"); !auth.CheckPassword(bob.Hash, "another long password") {
		t.Error("a password without a line end was not read whole")
	}

	code, out, _ := vigilIn(t, "", "user", "list", "--db", db)
	if code != ExitOK || !regexp.MustCompile(`(?m)^alice\s+admin\s`).MatchString(out) || !regexp.MustCompile(`(?m)^bob\s+viewer\s`).MatchString(out) {
		t.Errorf("user list: exit %d:\n%s", code, out)
	}
	code, out, _ = vigilIn(t, "", "user", "list", "--format", "json", "--db", db)
	var listed []map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 2 || strings.Contains(out, "argon2") {
		t.Errorf("user list --format json: exit %d: %s", code, out)
	}

	if code, _, stderr := vigilIn(t, "", "user", "role", "bob", "operator", "--db", db); code != ExitOK {
		t.Errorf("user role: exit %d: %s", code, stderr)
	}
	if code, _, _ := vigilIn(t, "", "user", "role", "bob", "king", "--db", db); code != ExitUsage {
		t.Errorf("user role with an unknown role: exit %d", code)
	}
	if code, _, stderr := vigilIn(t, "", "user", "role", "nobody", "viewer", "--db", db); code != ExitError || !strings.Contains(stderr, "no user nobody") {
		t.Errorf("user role of an unknown user: exit %d: %s", code, stderr)
	}
	if u, _ := st.User(t.Context(), "bob"); u.Role != "operator" {
		t.Errorf("bob's role is %q after user role", u.Role)
	}

	const pw2 = "a brand new passphrase"
	if code, _, _ := vigilIn(t, "short\n", "user", "passwd", "bob", "--db", db); code != ExitUsage {
		t.Errorf("passwd with a short password: exit %d", code)
	}
	if code, _, stderr := vigilIn(t, pw2+"\n", "user", "passwd", "nobody", "--db", db); code != ExitError || !strings.Contains(stderr, "no user nobody") {
		t.Errorf("passwd of an unknown user: exit %d: %s", code, stderr)
	}
	if code, _, stderr := vigilIn(t, pw2+"\n", "user", "passwd", "bob", "--db", db); code != ExitOK {
		t.Fatalf("user passwd: exit %d: %s", code, stderr)
	}
	if u, _ := st.User(t.Context(), "bob"); !auth.CheckPassword(u.Hash, pw2) || auth.CheckPassword(u.Hash, "another long password") {
		t.Error("user passwd did not replace bob's password")
	}

	if code, _, stderr := vigilIn(t, "", "user", "remove", "alice", "--db", db); code != ExitOK || !strings.Contains(stderr, "No admin is left") {
		t.Errorf("removing the last admin: exit %d, want a warning: %s", code, stderr)
	}
	if _, err := st.User(t.Context(), "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alice after user remove: %v", err)
	}
	if code, _, _ := vigilIn(t, "", "user", "remove", "alice", "--db", db); code != ExitError {
		t.Errorf("removing alice twice: exit %d", code)
	}

	log, err := st.AuditLog(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		e := log[i]
		if e.Actor != osUser() || e.Source != "cli" {
			t.Errorf("audit entry %d: actor %q, source %q; want %q, cli", e.Seq, e.Actor, e.Source, osUser())
		}
		got = append(got, e.Action+" "+e.Object+" "+e.Detail)
	}
	want := []string{"user.add alice role admin", "user.add bob role viewer", "user.role bob role operator", "user.password bob ", "user.remove alice "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUserCommandsWithoutStore: changing a user of a store that does not
// exist fails (it is not the read commands' "no scans yet"), creates no
// store, and listing says there is nobody.
func TestUserCommandsWithoutStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "none.db")
	for _, args := range [][]string{{"user", "remove", "alice"}, {"user", "role", "alice", "admin"}, {"token", "revoke", "abc"}} {
		if code, _, stderr := vigilIn(t, "", append(args, "--db", "sqlite:"+db)...); code != ExitError {
			t.Errorf("%v on no store: exit %d: %s", args, code, stderr)
		}
	}
	for _, args := range [][]string{{"user", "list"}, {"token", "list"}, {"audit-log"}} {
		if code, out, _ := vigilIn(t, "", append(args, "--db", "sqlite:"+db)...); code != ExitOK || out != "" {
			t.Errorf("%v on no store: exit %d, stdout %q", args, code, out)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a command on a missing store created it")
	}
}

// TestTokenCommands: token create prints the token alone on standard
// output, once; only its hash is stored; list never shows it; revoke ends
// it; each step is in the audit log.
func TestTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigil.db")
	for _, args := range [][]string{
		{"token", "create", "--role", "viewer"},
		{"token", "create", "--name", "ci"},
		{"token", "create", "--name", "ci", "--role", "superuser"},
		{"token", "create", "--name", "bad\x1b[2Jname", "--role", "viewer"},
		{"token", "create", "extra", "--name", "ci", "--role", "viewer"},
	} {
		if code, out, _ := vigilIn(t, "", append(args, "--db", db)...); code != ExitUsage || out != "" {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
	}
	code, out, stderr := vigilIn(t, "", "token", "create", "--name", "nightly export", "--role", "operator", "--db", db)
	if code != ExitOK {
		t.Fatalf("token create: exit %d: %s", code, stderr)
	}
	if !regexp.MustCompile(`^vgl_[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Fatalf("token create wrote %q on stdout; want the token alone on one line", out)
	}
	token := strings.TrimSpace(out)
	if strings.Contains(stderr, token) {
		t.Error("the token also went to standard error")
	}
	st := openTestStore(t, db)
	tok, err := st.TokenByHash(t.Context(), auth.HashToken(token))
	if err != nil || tok.Name != "nightly export" || tok.Role != "operator" || !strings.Contains(stderr, tok.ID) {
		t.Fatalf("stored token %+v, %v; stderr %q", tok, err, stderr)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), token) {
		t.Error("the token itself is in the store file")
	}

	for _, format := range []string{"table", "json"} {
		code, out, _ := vigilIn(t, "", "token", "list", "--format", format, "--db", db)
		if code != ExitOK || !strings.Contains(out, tok.ID) || !strings.Contains(out, "nightly export") || strings.Contains(out, token) || strings.Contains(out, tok.Hash) {
			t.Errorf("token list --format %s: exit %d:\n%s", format, code, out)
		}
	}
	if code, _, stderr := vigilIn(t, "", "token", "revoke", "nope", "--db", db); code != ExitError || !strings.Contains(stderr, "no token nope") {
		t.Errorf("revoking an unknown token: exit %d: %s", code, stderr)
	}
	if code, out, stderr := vigilIn(t, "", "token", "revoke", tok.ID, "--db", db); code != ExitOK || out != "" {
		t.Fatalf("token revoke: exit %d, stdout %q: %s", code, out, stderr)
	}
	if _, err := st.TokenByHash(t.Context(), auth.HashToken(token)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a revoked token still authenticates: %v", err)
	}
	if code, out, _ := vigilIn(t, "", "token", "list", "--db", db); code != ExitOK || !strings.Contains(out, "revoked") {
		t.Errorf("token list after revoke:\n%s", out)
	}
	log, _ := st.AuditLog(t.Context(), 0)
	if len(log) != 2 || log[1].Action != "token.create" || log[1].Object != tok.ID || !strings.Contains(log[1].Detail, "operator") ||
		log[0].Action != "token.revoke" || log[0].Object != tok.ID || strings.Contains(log[1].Detail, token) {
		t.Errorf("audit log = %+v", log)
	}
}

// TestAuditLogCommand: the audit log shows, exports as JSON and CSV
// (spreadsheet-safe, with the hashes), verifies, and --verify fails once a
// row was altered.
func TestAuditLogCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigil.db")
	st := openTestStore(t, db)
	entries := []store.AuditEntry{
		{Time: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Actor: "alice", Source: "192.0.2.7", Action: "login"},
		{Time: time.Date(2026, 12, 1, 9, 5, 0, 0, time.UTC), Actor: "alice", Source: "192.0.2.7", Action: "scan.start", Object: "10.0.0.0/24", Detail: "=HYPERLINK(\"http://x\")"},
		{Time: time.Date(2026, 12, 1, 9, 6, 0, 0, time.UTC), Actor: "mallory\x1b[2J", Source: "198.51.100.9", Action: "login.failed"},
	}
	for _, e := range entries {
		if err := st.AppendAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	code, out, _ := vigilIn(t, "", "audit-log", "--db", db)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitOK || len(lines) != 4 || !strings.HasPrefix(lines[1], "3 ") || !strings.HasPrefix(lines[3], "1 ") || strings.Contains(out, "\x1b") {
		t.Errorf("audit-log: exit %d:\n%s", code, out)
	}
	if code, out, _ := vigilIn(t, "", "audit-log", "--limit", "1", "--db", db); code != ExitOK || strings.Count(out, "\n") != 2 || !strings.Contains(out, "login.failed") {
		t.Errorf("audit-log --limit 1: exit %d:\n%s", code, out)
	}

	file := filepath.Join(t.TempDir(), "audit.json")
	if code, _, stderr := vigilIn(t, "", "audit-log", "--format", "json", "-o", file, "--db", db); code != ExitOK {
		t.Fatalf("audit-log --format json: exit %d: %s", code, stderr)
	}
	var exported auditLogFile
	if raw, err := os.ReadFile(file); err != nil || json.Unmarshal(raw, &exported) != nil {
		t.Fatalf("export: %v", err)
	}
	if fi, _ := os.Stat(file); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export mode %v, want 0600", fi.Mode())
	}
	if exported.Schema != auditLogSchema || len(exported.Entries) != 3 {
		t.Fatalf("export = %+v", exported)
	}
	prev := ""
	for i := len(exported.Entries) - 1; i >= 0; i-- {
		e := exported.Entries[i]
		if store.AuditHash(prev, e) != e.Hash {
			t.Errorf("exported entry %d does not verify", e.Seq)
		}
		prev = e.Hash
	}

	code, out, _ = vigilIn(t, "", "audit-log", "--format", "csv", "--db", db)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != ExitOK || err != nil || len(rows) != 4 {
		t.Fatalf("audit-log --format csv: exit %d, %v:\n%s", code, err, out)
	}
	if rows[0][0] != "seq" || rows[2][6] != `'=HYPERLINK("http://x")` || rows[1][4] != "login.failed" || len(rows[1][7]) != 64 {
		t.Errorf("csv rows = %q", rows)
	}

	if code, out, _ := vigilIn(t, "", "audit-log", "--verify", "--db", db); code != ExitOK || !strings.Contains(out, "holds 3 entries") {
		t.Errorf("--verify: exit %d: %s", code, out)
	}
	if code, _, _ := vigilIn(t, "", "audit-log", "--format", "xml", "--db", db); code != ExitUsage {
		t.Errorf("--format xml: exit %d", code)
	}
	// Against the export: holds while entries are only added; the newest
	// entries removed, the chain alone still holds but the export shows it.
	if err := st.AppendAudit(t.Context(), store.AuditEntry{Actor: "alice", Source: "cli", Action: "logout"}); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := vigilIn(t, "", "audit-log", "--verify", "--against", file, "--db", db); code != ExitOK || !strings.Contains(out, "all 3 entries of "+file) {
		t.Errorf("--verify --against a good export: exit %d: %s%s", code, out, stderr)
	}
	if code, _, _ := vigilIn(t, "", "audit-log", "--against", file, "--db", db); code != ExitUsage {
		t.Errorf("--against without --verify: exit %d", code)
	}
	forged := exported
	forged.Entries = slices.Clone(exported.Entries)
	forged.Entries[1].Detail = "nothing happened"
	forgedFile := filepath.Join(t.TempDir(), "forged.json")
	if b, err := json.Marshal(forged); err != nil || os.WriteFile(forgedFile, b, 0o600) != nil {
		t.Fatal(err)
	}
	if code, _, stderr := vigilIn(t, "", "audit-log", "--verify", "--against", forgedFile, "--db", db); code != ExitError || !strings.Contains(stderr, "entry 2 of the export") {
		t.Errorf("--against an altered export: exit %d: %s", code, stderr)
	}
	raw := openRawSQLite(t, db)
	if _, err := raw.ExecContext(t.Context(), "DELETE FROM audit_log WHERE seq >= 3"); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := vigilIn(t, "", "audit-log", "--verify", "--db", db); code != ExitOK || !strings.Contains(out, "holds 2 entries") {
		t.Errorf("--verify after removing the newest entries: exit %d: %s", code, out)
	}
	if code, _, stderr := vigilIn(t, "", "audit-log", "--verify", "--against", file, "--db", db); code != ExitError || !strings.Contains(stderr, "entry 3 of "+file+" (login.failed") {
		t.Errorf("--verify --against after removing the newest entries: exit %d: %s", code, stderr)
	}

	// Tampering behind vigil's back, with SQLite's own tools.
	if _, err := raw.ExecContext(t.Context(), "UPDATE audit_log SET actor = 'bob' WHERE seq = 1"); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := vigilIn(t, "", "audit-log", "--verify", "--db", db); code != ExitError || !strings.Contains(stderr, "entry 1 was altered") {
		t.Errorf("--verify after tampering: exit %d: %s", code, stderr)
	}
}

// TestAcceptIsAudited: vigil accept and its revocation are in the audit log.
func TestAcceptIsAudited(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vigil.db")
	st := openTestStore(t, db)
	doc := storetest.Document(1, 1, 1, 0)
	doc.Finished = time.Now()
	if err := st.Save(t.Context(), doc); err != nil {
		t.Fatal(err)
	}
	fd := doc.Findings[0]
	until := time.Now().AddDate(0, 1, 0).Format(finding.DateLayout)
	if code, _, stderr := vigilIn(t, "", "accept", fd.ID, "--reason", "isolated lab", "--until", until, "--by", "carol", "--db", db); code != ExitOK {
		t.Fatalf("accept: exit %d: %s", code, stderr)
	}
	if code, _, stderr := vigilIn(t, "", "accept", "--revoke", fd.ID, "--db", db); code != ExitOK {
		t.Fatalf("revoke: exit %d: %s", code, stderr)
	}
	log, _ := st.AuditLog(t.Context(), 0)
	if len(log) != 2 {
		t.Fatalf("audit log = %+v", log)
	}
	acc, rev := log[1], log[0]
	if acc.Action != "risk.accept" || acc.Object != fd.ID || acc.Actor != osUser() || !strings.Contains(acc.Detail, "by carol until "+until+": isolated lab") {
		t.Errorf("accept entry = %+v", acc)
	}
	if rev.Action != "risk.revoke" || rev.Object != fd.ID {
		t.Errorf("revoke entry = %+v", rev)
	}
}
