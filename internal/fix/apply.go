package fix

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/redact"
)

// System is what applying a plan touches besides files: commands,
// processes, sockets and Redis. Local is the real one.
type System interface {
	// Run runs argv with stdin and returns its combined output.
	Run(ctx context.Context, argv []string, stdin string) ([]byte, error)
	// Cmdline returns a process's command line, arguments joined by spaces.
	Cmdline(pid int) (string, error)
	// Signal sends sig to pid.
	Signal(pid int, sig syscall.Signal) error
	// Children returns the pids of pid's child processes.
	Children(pid int) ([]int, error)
	// Listening returns the inode of the TCP socket that listens on addr
	// (or on the wildcard address of its family, with its port), or 0 when
	// none does.
	Listening(addr netip.AddrPort) (uint64, error)
	// Redis sends one command to the Redis server at addr, authenticating
	// first when auth is set, and returns the answer's strings (an array's
	// elements, or one simple or bulk string).
	Redis(ctx context.Context, addr netip.AddrPort, auth string, argv []string) ([]string, error)
	// VsftpdParse has the vsftpd binary exe read the configuration file
	// conf and returns what it says (see Local.VsftpdParse).
	VsftpdParse(ctx context.Context, exe, conf string) (string, error)
	// Banner connects to addr and returns the first line the server sends.
	Banner(ctx context.Context, addr netip.AddrPort) (string, error)
}

// Fix states in a Record.
const (
	StateApplying   = "applying"
	StateApplied    = "applied"
	StateRolledBack = "rolled-back"
	// StateFailed means the fix failed and was rolled back by itself.
	StateFailed = "failed-rolled-back"
)

// Record is the manifest of one fix, kept in DIR/ID/manifest.json (mode
// 0600) beside copies of the files it changed: what rollback needs.
type Record struct {
	ID       string          `json:"id"`
	Finding  finding.Finding `json:"finding"`
	Applier  string          `json:"applier"`
	Summary  string          `json:"summary"`
	State    string          `json:"state"`
	Applied  time.Time       `json:"applied"`
	Ended    time.Time       `json:"ended,omitzero"`
	Error    string          `json:"error,omitempty"`
	Files    []FileBackup    `json:"files,omitempty"`
	Undo     []Step          `json:"undo,omitempty"`
	Rollback []Step          `json:"rollback,omitempty"`
	Reload   []Step          `json:"reload,omitempty"`
	Verify   []Step          `json:"verify,omitempty"`
	// Secret is the credential the fix set (Redis password), needed to
	// undo it.
	Secret string `json:"secret,omitempty"`

	dir string
}

// FileBackup is one changed file and its copy.
type FileBackup struct {
	Path string `json:"path"`
	// Backup is the copy's name inside the fix's directory.
	Backup string      `json:"backup"`
	Mode   fs.FileMode `json:"mode"`
	UID    int         `json:"uid"`
	GID    int         `json:"gid"`
	// After is the SHA-256 of what the fix wrote, to notice later edits.
	After string `json:"after"`
	// Guard is checked again before the file is restored.
	Guard Guard `json:"guard"`
}

// Dir returns the fix's directory.
func (r *Record) Dir() string { return r.dir }

// NewID returns a fresh fix identifier: its time and random bits, so IDs
// sort by time.
func NewID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Applier applies plans and rolls fixes back.
type Applier struct {
	// Dir holds one directory per fix.
	Dir string
	// Sys acts on the machine.
	Sys System
	// Log hears of each step as it runs; nil for silence.
	Log io.Writer
	// ListenWait bounds how long a service may take to listen again after
	// a reload; 15s when zero.
	ListenWait time.Duration
}

func (a *Applier) logf(format string, args ...any) {
	if a.Log != nil {
		fmt.Fprintf(a.Log, format+"\n", args...)
	}
}

// Apply applies a plan as fix id: backs up and writes the files, runs the
// plan's steps, validates, reloads and verifies. When any of that fails it
// rolls back and returns an error that says so. The returned record
// describes the fix in either case (nil only when nothing was done).
func (a *Applier) Apply(ctx context.Context, id string, p *Plan) (*Record, error) {
	if !validID(id) {
		return nil, fmt.Errorf("fix: bad id %q", id)
	}
	dir := filepath.Join(a.Dir, id)
	if err := os.MkdirAll(a.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the fix directory %s: %w", a.Dir, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the fix directory %s: %w", dir, err)
	}
	rec := &Record{ID: id, Finding: p.Finding, Applier: p.Applier, Summary: p.Summary, State: StateApplying,
		Applied: time.Now().UTC(), Rollback: p.Rollback, Reload: p.Reload, Verify: p.Verify, Secret: p.Secret, dir: dir}

	// Back everything up before changing anything; refuse when a file
	// changed since the plan was made from it, or no longer passes its
	// guard.
	for i, e := range p.Edits {
		r, err := checkPath(ctx, e.Path, e.Guard)
		if err != nil {
			return nil, a.abandon(dir, err)
		}
		dfd, base, err := openDir(r)
		if err != nil {
			return nil, a.abandon(dir, err)
		}
		cur, err := readAt(dfd, base, r)
		unix.Close(dfd)
		if err != nil {
			return nil, a.abandon(dir, err)
		}
		if !bytes.Equal(cur, e.Before) {
			return nil, a.abandon(dir, fmt.Errorf("%s changed since the plan was made: run vigil fix again", e.Path))
		}
		fb := FileBackup{Path: e.Path, Backup: "file-" + strconv.Itoa(i), Mode: r.Info.Mode.Perm(), UID: r.Info.UID, GID: r.Info.GID, After: sum(e.After), Guard: e.Guard}
		if err := os.WriteFile(filepath.Join(dir, fb.Backup), cur, 0o600); err != nil {
			return nil, a.abandon(dir, fmt.Errorf("cannot back up %s: %w", e.Path, err))
		}
		rec.Files = append(rec.Files, fb)
	}
	if err := rec.save(); err != nil {
		return nil, a.abandon(dir, err)
	}

	fail := func(stage string, err error) (*Record, error) {
		a.logf("%s failed: %v; rolling back", stage, err)
		rerr := a.undo(ctx, rec, true)
		rec.State, rec.Error, rec.Ended = StateFailed, stage+": "+err.Error(), time.Now().UTC()
		if rerr != nil {
			rec.Error += "; rollback: " + rerr.Error()
		}
		_ = rec.save()
		if rerr != nil {
			return rec, fmt.Errorf("%s failed: %w; the automatic rollback did not complete either: %v (fix %s, files backed up in %s)", stage, err, rerr, id, dir)
		}
		return rec, fmt.Errorf("%s failed, so the change was rolled back: %w", stage, err)
	}

	for i, e := range p.Edits {
		a.logf("writing %s", e.Path)
		fb := rec.Files[i]
		mode, gid := fb.Mode, fb.GID
		if e.Private {
			mode, gid = 0o640, e.GID
		}
		if err := writeChecked(ctx, e.Path, e.Guard, e.After, mode, fb.UID, gid); err != nil {
			return fail("writing "+e.Path, err)
		}
	}
	for _, s := range p.Apply {
		// Each step is one atomic change (an nft transaction, a CONFIG
		// SET): its undo is recorded once it succeeded.
		if err := a.step(ctx, s); err != nil {
			return fail(stepName(s), err)
		}
		if s.Undo != nil {
			u := *s.Undo
			if u.Secret == "" {
				u.Secret = s.Secret
			}
			rec.Undo = append(rec.Undo, u)
			if err := rec.save(); err != nil {
				return fail("recording the undo", err)
			}
		}
	}
	for _, s := range p.Validate {
		if err := a.step(ctx, s); err != nil {
			return fail("validation ("+stepName(s)+")", err)
		}
	}
	before := a.sockets(p.Verify)
	for _, s := range p.Reload {
		if err := a.step(ctx, s); err != nil {
			return fail("reload ("+stepName(s)+")", err)
		}
	}
	for _, s := range p.Verify {
		if err := a.verify(ctx, s, before); err != nil {
			return fail("verification ("+stepName(s)+")", err)
		}
	}
	rec.State, rec.Ended = StateApplied, time.Now().UTC()
	if err := rec.save(); err != nil {
		return rec, fmt.Errorf("the fix was applied but its record could not be saved (rollback will not find it): %w", err)
	}
	return rec, nil
}

// abandon removes the directory of a fix that changed nothing.
func (a *Applier) abandon(dir string, err error) error {
	_ = os.RemoveAll(dir)
	return err
}

// Rollback undoes an applied fix: restores the files it changed, undoes its
// commands, reloads the service and checks it listens. A file edited by
// someone else since the fix is not overwritten unless force is set.
func (a *Applier) Rollback(ctx context.Context, rec *Record, force bool) error {
	switch rec.State {
	case StateRolledBack, StateFailed:
		return fmt.Errorf("fix %s was already rolled back (%s)", rec.ID, rec.State)
	}
	if !force {
		for _, f := range rec.Files {
			cur, err := os.ReadFile(f.Path)
			if err == nil && sum(cur) != f.After {
				return fmt.Errorf("%s changed after fix %s was applied: rolling back would undo those changes too; look at %s and use --force to restore it anyway",
					f.Path, rec.ID, filepath.Join(rec.dir, f.Backup))
			}
		}
	}
	err := a.undo(ctx, rec, false)
	rec.Ended = time.Now().UTC()
	if err != nil {
		rec.Error = "rollback: " + err.Error()
		_ = rec.save()
		return err
	}
	rec.State = StateRolledBack
	return rec.save()
}

// undo restores files, runs the undo and rollback steps, then reloads and
// verifies. It carries on past errors, so that as much as possible is
// restored, and reports them together.
func (a *Applier) undo(ctx context.Context, rec *Record, auto bool) error {
	var errs []error
	for _, f := range rec.Files {
		b, err := os.ReadFile(filepath.Join(rec.dir, f.Backup))
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot read the backup of %s: %w", f.Path, err))
			continue
		}
		a.logf("restoring %s", f.Path)
		if err := writeChecked(ctx, f.Path, f.Guard, b, f.Mode, f.UID, f.GID); err != nil {
			errs = append(errs, fmt.Errorf("cannot restore %s: %w", f.Path, err))
		}
	}
	for i := len(rec.Undo) - 1; i >= 0; i-- {
		if err := a.step(ctx, rec.Undo[i]); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", stepName(rec.Undo[i]), err))
		}
	}
	for _, s := range rec.Rollback {
		if err := a.step(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", stepName(s), err))
		}
	}
	reloaded := len(rec.Files) > 0 || !auto
	before := a.sockets(rec.Verify)
	if reloaded {
		for _, s := range rec.Reload {
			if err := a.step(ctx, s); err != nil {
				errs = append(errs, fmt.Errorf("reload (%s): %w", stepName(s), err))
			}
		}
	}
	// Of the verification, only "it listens and greets" holds after a
	// rollback too; the other checks test the fixed state.
	for _, s := range rec.Verify {
		if s.Kind != StepListen && s.Kind != StepBanner {
			continue
		}
		if !reloaded {
			s.Fresh = false
		}
		if err := a.verify(ctx, s, before); err != nil {
			errs = append(errs, fmt.Errorf("verification (%s): %w", stepName(s), err))
		}
	}
	return errors.Join(errs...)
}

// sockets notes, before a reload, the listening sockets that Fresh listen
// steps will want replaced.
func (a *Applier) sockets(verify []Step) map[string]uint64 {
	out := map[string]uint64{}
	for _, s := range verify {
		if s.Kind != StepListen || !s.Fresh {
			continue
		}
		if ap, err := netip.ParseAddrPort(s.Addr); err == nil {
			out[s.Addr], _ = a.Sys.Listening(ap)
		}
	}
	return out
}

// verify runs a verification step; a Fresh listen step waits for a socket
// other than the one that listened before the reload (a daemon that
// re-executes itself on SIGHUP, like sshd, keeps the old one until it does).
func (a *Applier) verify(ctx context.Context, s Step, before map[string]uint64) error {
	if s.Kind == StepListen && s.Fresh {
		return a.waitListen(ctx, s.Addr, before[s.Addr])
	}
	return a.step(ctx, s)
}

func stepName(s Step) string {
	if s.Why != "" {
		return s.Why
	}
	return s.String()
}

// step performs one step.
func (a *Applier) step(ctx context.Context, s Step) error {
	a.logf("  %s", s.String())
	switch s.Kind {
	case StepRun:
		out, err := a.Sys.Run(ctx, s.Argv, s.Stdin)
		if err != nil {
			return fmt.Errorf("%s: %w%s", shellJoin(s.Argv[:1]), err, outputNote(out))
		}
		return wantLines(out, s.Want)
	case StepSignal:
		cmd, err := a.Sys.Cmdline(s.PID)
		if err != nil {
			return fmt.Errorf("process %d is gone: %w", s.PID, err)
		}
		if s.Match != "" && !strings.Contains(cmd, s.Match) {
			return fmt.Errorf("process %d is no longer %s (it runs %q)", s.PID, s.Match, cmd)
		}
		sig, ok := signals[s.Signal]
		if !ok {
			return fmt.Errorf("unknown signal %q", s.Signal)
		}
		var old []int
		if s.Drain {
			old, _ = a.Sys.Children(s.PID)
		}
		if err := a.Sys.Signal(s.PID, sig); err != nil {
			return err
		}
		return a.drain(ctx, s.PID, old)
	case StepListen:
		return a.waitListen(ctx, s.Addr, 0)
	case StepRedis:
		ap, err := netip.ParseAddrPort(s.Addr)
		if err != nil {
			return fmt.Errorf("bad address %q: %w", s.Addr, err)
		}
		got, err := a.Sys.Redis(ctx, ap, s.Auth, s.Argv)
		if err != nil {
			return err
		}
		if len(s.Want) > 0 && !slices.Equal(got, s.Want) {
			return fmt.Errorf("Redis answered %s, want %s", maskAll(quoteAll(got), s.Secret), maskAll(quoteAll(s.Want), s.Secret))
		}
		return nil
	case StepVsftpd:
		exe := "vsftpd"
		if len(s.Argv) > 0 {
			exe = s.Argv[0]
		}
		said, err := a.Sys.VsftpdParse(ctx, exe, s.Path)
		if err != nil {
			return err
		}
		// Past its configuration, vsftpd in inetd mode on a file instead of
		// a socket stops with this complaint: the file was accepted.
		if !strings.Contains(said, "must be started from inetd") {
			return fmt.Errorf("vsftpd refuses %s: %s", s.Path, strings.TrimSpace(said))
		}
		return nil
	case StepBanner:
		ap, err := netip.ParseAddrPort(s.Addr)
		if err != nil {
			return fmt.Errorf("bad address %q: %w", s.Addr, err)
		}
		line, err := a.Sys.Banner(ctx, ap)
		if err != nil {
			return err
		}
		for _, w := range s.Want {
			if strings.HasPrefix(line, w) {
				return nil
			}
		}
		return fmt.Errorf("%s greets new clients with %q, not %s", s.Addr, line, strings.Join(s.Want, " or "))
	case StepNftHas:
		rules, err := a.nftList(ctx, s.Table)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(rules, func(r nftRule) bool { return r.Comment == s.Tag }) {
			return fmt.Errorf("no rule commented %q in table inet %s", s.Tag, s.Table)
		}
		return nil
	case StepNftUndo:
		rules, err := a.nftList(ctx, s.Table)
		if err != nil {
			if errors.Is(err, errNoTable) {
				return nil // nothing left to undo
			}
			return err
		}
		left := 0
		for _, r := range rules {
			if r.Comment != s.Tag {
				left++
				continue
			}
			if _, err := a.Sys.Run(ctx, []string{"nft", "delete", "rule", "inet", s.Table, r.Chain, "handle", strconv.Itoa(r.Handle)}, ""); err != nil {
				return fmt.Errorf("cannot delete rule %d of inet %s: %w", r.Handle, s.Table, err)
			}
		}
		if left == 0 {
			if _, err := a.Sys.Run(ctx, []string{"nft", "delete", "table", "inet", s.Table}, ""); err != nil {
				return fmt.Errorf("cannot delete the emptied table inet %s: %w", s.Table, err)
			}
		}
		return nil
	}
	return fmt.Errorf("unknown step kind %q", s.Kind)
}

var errNoTable = errors.New("no such table")

// drainWait bounds how long drain waits for old child processes.
const drainWait = 15 * time.Second

// drain waits until none of the processes in old is still a child of pid,
// so the configuration just loaded is the one every new client gets. After
// drainWait it goes on and says so: old workers finishing long requests
// are no reason to undo a fix.
func (a *Applier) drain(ctx context.Context, pid int, old []int) error {
	if len(old) == 0 {
		return nil
	}
	deadline := time.Now().Add(drainWait)
	for {
		now, err := a.Sys.Children(pid)
		if err != nil {
			return nil
		}
		left := 0
		for _, c := range now {
			if slices.Contains(old, c) {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			a.logf("  %d old worker process(es) of pid %d still finishing their connections after %v", left, pid, drainWait)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitListen waits until a socket other than old listens on addr.
func (a *Applier) waitListen(ctx context.Context, addr string, old uint64) error {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return fmt.Errorf("bad address %q: %w", addr, err)
	}
	wait := a.ListenWait
	if wait <= 0 {
		wait = 15 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		ino, err := a.Sys.Listening(ap)
		if ino != 0 && ino != old {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			if ino != 0 {
				return fmt.Errorf("the daemon did not restart its listener on %s in %v", addr, wait)
			}
			return fmt.Errorf("nothing listens on %s %v after the reload", addr, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// nftList lists every rule of an inet table.
func (a *Applier) nftList(ctx context.Context, table string) ([]nftRule, error) {
	if _, err := a.Sys.Run(ctx, []string{"nft", "list", "table", "inet", table}, ""); err != nil {
		return nil, fmt.Errorf("table inet %s: %w", table, errNoTable)
	}
	out, err := a.Sys.Run(ctx, []string{"nft", "-j", "-a", "list", "table", "inet", table}, "")
	if err != nil {
		return nil, fmt.Errorf("cannot list table inet %s: %w", table, err)
	}
	return nftRules(out)
}

var signals = map[string]syscall.Signal{"HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2, "TERM": syscall.SIGTERM}

// wantLines checks that each wanted line (alternatives split by "|")
// appears in out.
func wantLines(out []byte, want []string) error {
	if len(want) == 0 {
		return nil
	}
	have := map[string]bool{}
	for l := range strings.SplitSeq(string(out), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, w := range want {
		ok := false
		for alt := range strings.SplitSeq(w, "|") {
			ok = ok || have[alt]
		}
		if !ok {
			return fmt.Errorf("the output lacks %q: the setting does not take effect (another file or an earlier line may set it)", strings.Split(w, "|")[0])
		}
	}
	return nil
}

func outputNote(out []byte) string {
	s := redact.String(strings.TrimSpace(string(out)))
	if s == "" {
		return ""
	}
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return ": " + s
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, " ") + "]"
}

func maskAll(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "********")
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// save writes the manifest atomically.
func (r *Record) save() error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(r.dir, ".manifest.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot save the fix record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(r.dir, "manifest.json")); err != nil {
		return fmt.Errorf("cannot save the fix record: %w", err)
	}
	return nil
}

// validID accepts the IDs NewID makes (and nothing with a path separator).
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Load reads the record of fix ref (its ID or a unique prefix) from dir.
func Load(dir, ref string) (*Record, error) {
	ref = strings.TrimSpace(ref)
	if !validID(ref) {
		return nil, fmt.Errorf("%q is not a fix id ('vigil fix --list' shows them)", ref)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no fix was ever applied here (%s does not exist)", dir)
		}
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), ref) {
			if e.Name() == ref {
				ids = []string{ref}
				break
			}
			ids = append(ids, e.Name())
		}
	}
	switch len(ids) {
	case 0:
		return nil, fmt.Errorf("no fix %q in %s ('vigil fix --list' shows them)", ref, dir)
	case 1:
	default:
		return nil, fmt.Errorf("%q starts several fix ids (%s): give more of it", ref, strings.Join(ids, ", "))
	}
	return readRecord(filepath.Join(dir, ids[0]))
}

func readRecord(d string) (*Record, error) {
	b, err := os.ReadFile(filepath.Join(d, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("cannot read the fix record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("the fix record %s is damaged: %w", d, err)
	}
	r.dir = d
	return &r, nil
}

// List returns every fix recorded in dir, newest first.
func List(dir string) ([]*Record, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Record
	for _, e := range entries {
		if !e.IsDir() || !validID(e.Name()) {
			continue
		}
		r, err := readRecord(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, nil
}
