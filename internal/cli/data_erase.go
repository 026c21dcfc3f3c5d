package cli

import (
	"bufio"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/erase"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/report"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/store"
)

// ExitTampered is the exit status of vigil data verify when a signature or
// the log's chain does not hold.
const ExitTampered = 4

// bookDir returns the directory of the erasure records (key, salt, log):
// beside the SQLite store named by --db, or beside the default store when
// --db is a PostgreSQL URL or empty.
func bookDir(dsn string) (string, error) {
	d := strings.TrimSpace(dsn)
	low := strings.ToLower(d)
	if d != "" && !strings.HasPrefix(low, "postgres://") && !strings.HasPrefix(low, "postgresql://") {
		p := d
		if strings.HasPrefix(low, "sqlite:") {
			p = d[len("sqlite:"):]
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		return filepath.Dir(abs), nil
	}
	p, err := store.DefaultPath()
	if err != nil {
		return "", err
	}
	return filepath.Dir(p), nil
}

// noHeads stands for a store that does not exist yet: an empty log.
type noHeads struct{}

func (noHeads) ErasureHead(context.Context) (store.ErasureHead, error) {
	return store.ErasureHead{}, nil
}

func (noHeads) AdvanceErasureHead(context.Context, store.ErasureHead, store.ErasureHead) error {
	return errors.New("no scan store to keep the erasure log's head in")
}

// openBook opens the erasure records for reading: the store (when there
// is one) keeps the log's head. close must be called.
func openBook(ctx context.Context, dsn string) (*certify.Book, func(), error) {
	dir, err := bookDir(dsn)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStoreRead(ctx, dsn)
	if errors.Is(err, store.ErrNoStore) {
		return &certify.Book{Dir: dir, Heads: noHeads{}}, func() {}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &certify.Book{Dir: dir, Heads: st}, func() { st.Close() }, nil
}

// dataVerifyFlags are the flags of vigil data verify.
type dataVerifyFlags struct {
	db, key string
	log     bool
}

func newDataVerifyCmd(e *env) *cobra.Command {
	var f dataVerifyFlags
	cmd := &cobra.Command{
		Use:   "verify CERT.json | --log",
		Short: "Check an erasure certificate's signature and its place in the log, or the whole log",
		Long: `Check an erasure certificate: that it is byte for byte the file vigil
wrote, that the organisation's Ed25519 key signed it, and that it is the
entry of its number in the erasure log, whose chain holds up to it.
--log checks the whole log instead: every entry's signature and link to
the one before, and its end against the head the scan store keeps, so
that removing the newest entry is detected too.

Exit status: 0 when everything holds; 4 when a signature or the chain does
not (the first entry altered or removed is named); 1 when vigil cannot
read what it was given.

With --key PUBLIC.pem (from vigil data key export) a certificate can be
checked on another machine, without the log: the signature only.`,
		Example: `  vigil data verify erasure-2026-12-07.json
  vigil data verify --log
  vigil data verify --key clinic-erasure.pub erasure-2026-12-07.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if f.log && len(args) > 0 || !f.log && len(args) != 1 {
				return usageError("give one certificate file, or --log")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.log {
				return runVerifyLog(cmd.Context(), e, &f)
			}
			return runVerifyCert(cmd.Context(), e, &f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.log, "log", false, "check the whole erasure log and its head")
	fl.StringVar(&f.key, "key", "", "the organisation's public key (PEM, from vigil data key export) instead of the key beside the store")
	addDBFlag(fl, &f.db)
	return cmd
}

// tampered is the error of a verification that found a fault.
func tampered(err error) error {
	return &exitError{code: ExitTampered, err: err}
}

// verifyKey returns the public key to verify with: --key, or the book's.
func verifyKey(b *certify.Book, keyFile string) (ed25519.PublicKey, error) {
	if keyFile == "" {
		return b.PublicKey()
	}
	data, err := readSmall(keyFile, 1<<16)
	if err != nil {
		return nil, fmt.Errorf("cannot read the public key: %w", err)
	}
	pub, err := certify.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (give the file vigil data key export wrote)", keyFile, err)
	}
	return pub, nil
}

// readSmall reads a file of at most limit bytes.
func readSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

func runVerifyLog(ctx context.Context, e *env, f *dataVerifyFlags) error {
	b, done, err := openBook(ctx, f.db)
	if err != nil {
		return err
	}
	defer done()
	pub, err := verifyKey(b, f.key)
	if errors.Is(err, fs.ErrNotExist) && f.key == "" {
		// No key yet: no certificate was ever issued here, unless the
		// head says otherwise.
		if h, herr := b.Heads.ErasureHead(ctx); herr == nil && h.Seq == 0 {
			if _, serr := os.Stat(filepath.Join(b.Dir, certify.LogFile)); errors.Is(serr, fs.ErrNotExist) {
				fmt.Fprintln(e.stdout, "The erasure log is empty: no certificate was issued here.")
				return nil
			}
		}
	}
	if err != nil {
		return err
	}
	n, err := b.VerifyLog(ctx, pub)
	var fault *certify.Fault
	if errors.As(err, &fault) {
		return tampered(fmt.Errorf("the erasure log does not hold: %w", err))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "The erasure log holds: %d certificate(s), every signature valid (key %s), the chain unbroken up to the head the store keeps.\n", n, certify.KeyID(pub))
	return nil
}

func runVerifyCert(ctx context.Context, e *env, f *dataVerifyFlags, path string) error {
	data, err := readSmall(path, certify.MaxLine*2)
	if err != nil {
		return fmt.Errorf("cannot read the certificate: %w", err)
	}
	b, done, err := openBook(ctx, f.db)
	if err != nil {
		return err
	}
	defer done()
	pub, err := verifyKey(b, f.key)
	if err != nil {
		return err
	}
	_, logErr := os.Stat(filepath.Join(b.Dir, certify.LogFile))
	head, err := b.Heads.ErasureHead(ctx)
	if err != nil {
		return err
	}
	withLog := logErr == nil || head.Seq > 0
	c, err := b.VerifyCertificate(ctx, data, pub, withLog)
	var fault *certify.Fault
	switch {
	case errors.Is(err, certify.ErrNotCertificate):
		return fmt.Errorf("%s: %w", path, err)
	case errors.Is(err, certify.ErrAltered), errors.Is(err, certify.ErrBadSignature), errors.As(err, &fault):
		name := path
		if c != nil && c.ID != "" {
			name = fmt.Sprintf("%s (certificate %s, entry %d of the erasure log)", path, sanitize.Terminal(c.ID), c.Chain.Seq)
		}
		return tampered(fmt.Errorf("%s does not verify: %w", name, err))
	case err != nil:
		return err
	}
	what := "signature valid"
	if withLog {
		what += fmt.Sprintf(", entry %d of the erasure log, whose chain holds up to it", c.Chain.Seq)
	} else {
		what += " (the erasure log is not here: its place in the chain was not checked)"
	}
	state := "complete"
	if !c.Complete {
		state = "NOT complete: see its sources and not_erased"
	}
	fmt.Fprintf(e.stdout, "%s holds: certificate %s issued %s by %s, key %s, %s. The erasure it certifies is %s.\n",
		path, c.ID, c.Issued.UTC().Format("2006-01-02 15:04:05 UTC"), c.Operator, c.Key, what, state)
	return nil
}

// dataKeyFlags are the flags of vigil data key export.
type dataKeyFlags struct {
	db, output string
}

func newDataKeyCmd(e *env) *cobra.Command {
	key := &cobra.Command{
		Use:   "key",
		Short: "The organisation's erasure-signing key",
		Args:  cobra.NoArgs,
	}
	var f dataKeyFlags
	export := &cobra.Command{
		Use:   "export",
		Short: "Write the organisation's public key (PEM), with which anyone can verify its erasure certificates",
		Long: `Write the public half of the organisation's Ed25519 erasure-signing key
as PEM (SubjectPublicKeyInfo), for a data protection officer, an auditor
or the person erased: vigil data verify --key FILE CERT.json checks a
certificate with it. The key is made on first use (the first vigil data
erase, or this command) beside the scan store, with mode 0600; the
private half never leaves it.`,
		Example: `  vigil data key export -o clinic-erasure.pub`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := bookDir(f.db)
			if err != nil {
				return err
			}
			b := &certify.Book{Dir: dir, Heads: noHeads{}}
			k, err := b.PrivateKey(true)
			if err != nil {
				return err
			}
			pemData, err := certify.ExportPublicKey(k.Public().(ed25519.PublicKey))
			if err != nil {
				return err
			}
			out, err := openOutput(e.stdout, f.output, 0o644)
			if err != nil {
				return err
			}
			defer out.abort()
			if _, err := out.Write(pemData); err != nil {
				return err
			}
			if err := out.commit(); err != nil {
				return err
			}
			if f.output != "" && f.output != "-" {
				fmt.Fprintf(e.stderr, "Wrote the public half of %s (key %s) to %s.\n", filepath.Join(dir, certify.KeyFile), certify.KeyID(k.Public().(ed25519.PublicKey)), f.output)
			}
			return nil
		},
	}
	export.Flags().StringVarP(&f.output, "output", "o", "", "write to FILE instead of standard output")
	addDBFlag(export.Flags(), &f.db)
	key.AddCommand(export)
	return key
}

// dataEraseFlags are the flags of vigil data erase.
type dataEraseFlags struct {
	mapPath, db, output, pdf, subjectFile string
	subjects                              []string
	yes, allowPublic                      bool
}

func newDataEraseCmd(e *env) *cobra.Command {
	var f dataEraseFlags
	cmd := &cobra.Command{
		Use:   "erase --subject KEY=VALUE… | --subject-file FILE [--yes] -o CERT.json",
		Short: "Erase one person's data from every source of the data map, and certify it",
		Long: `Erase one person: every row that references them, found by the data
map's subject keys and by following the databases' foreign keys (rows
that reference the person only indirectly too), and their rows, lines and
messages in CSV, text and mbox files (rewritten atomically), .eml files
that hold them (deleted). A PDF or XLSX that holds them is listed as not
erased, with the reason.

vigil first shows the plan (tables, row counts and files, never values)
and asks for confirmation (--yes for scripts). It then erases with one
transaction per database, anonymising instead of deleting the rows the
map keeps for a legal reason; searches again; and writes an erasure
certificate: the subject as a salted hash, per source what was deleted or
anonymised with counts and the verification, what could not be erased and
why, time, operator and vigil's version. The certificate is signed with
the organisation's Ed25519 key (made on first use beside the scan store,
mode 0600) and appended to the erasure log (vigil data verify).

--subject-file FILE reads KEY=VALUE lines, which keeps the identifier out
of process listings and shell history.

Exit status: 0 when the erasure is complete; 1 when a source failed, was
rolled back or still holds the person (the certificate says which).`,
		Example: `  vigil data erase --subject email=jane.doe@example.org -o erasure.json --pdf erasure.pdf
  vigil data erase --subject-file subject.txt --yes -o erasure.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDataErase(cmd.Context(), e, &f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.subjects, "subject", nil, "the person, as KEY=VALUE with a subject key of the data map (repeatable)")
	fl.StringVar(&f.subjectFile, "subject-file", "", "read the person's KEY=VALUE lines from FILE")
	fl.BoolVar(&f.yes, "yes", false, "erase without asking (scripts)")
	fl.StringVarP(&f.output, "output", "o", "", "write the certificate (JSON) to FILE instead of standard output")
	fl.StringVar(&f.pdf, "pdf", "", "also write the certificate as PDF to FILE")
	fl.StringVar(&f.mapPath, "map", "", "the data map (default: $XDG_CONFIG_HOME/vigil/data.yaml)")
	fl.BoolVar(&f.allowPublic, "allow-public", false, "allow database hosts outside private, loopback and link-local ranges")
	addDBFlag(fl, &f.db)
	return cmd
}

// parseSubject reads KEY=VALUE pairs from --subject and --subject-file.
func parseSubject(args []string, file string) ([]erase.Pair, error) {
	lines := slices.Clone(args)
	if file != "" {
		data, err := readSmall(file, 1<<16)
		if err != nil {
			return nil, fmt.Errorf("cannot read the subject file: %w", err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		return nil, usageError("name the person with --subject KEY=VALUE or --subject-file FILE")
	}
	var out []erase.Pair
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, usageError("subject %q: write KEY=VALUE, such as email=jane@example.org", sanitize.Terminal(k))
		}
		out = append(out, erase.Pair{Key: k, Value: v})
	}
	return out, nil
}

// printPlan shows the plan: tables, counts and files, never values.
func printPlan(w io.Writer, p *erase.Plan) {
	fmt.Fprintln(w, "Plan of the erasure (no values are shown):")
	for _, s := range p.Sources {
		switch {
		case s.Err != nil:
			fmt.Fprintf(w, "  %s (%s): cannot be erased, nothing will change there: %s\n", s.Name, s.Type, sanitize.Terminal(s.Err.Error()))
			continue
		case s.Skipped != "":
			fmt.Fprintf(w, "  %s (%s): left alone: %s\n", s.Name, s.Type, s.Skipped)
			continue
		case len(s.Tables) == 0 && len(s.Files) == 0:
			fmt.Fprintf(w, "  %s (%s): nothing of the person found\n", s.Name, s.Type)
		default:
			fmt.Fprintf(w, "  %s (%s):\n", s.Name, s.Type)
		}
		for _, t := range s.Tables {
			what := "delete"
			if t.Action == certify.Anonymised {
				what = "anonymise (" + strings.Join(t.Columns, ", ") + ") in"
			}
			fmt.Fprintf(w, "    %s %d row(s) of %s\n", what, t.Rows, sanitize.Terminal(t.Table))
		}
		for _, f := range s.Files {
			if f.Action == certify.Deleted {
				fmt.Fprintf(w, "    delete the file %s\n", sanitize.Terminal(f.Path))
			} else {
				fmt.Fprintf(w, "    rewrite %s without %d row(s), line(s) or message(s)\n", sanitize.Terminal(f.Path), f.Removed)
			}
		}
		for _, n := range s.NotErased {
			fmt.Fprintf(w, "    cannot erase %s: %s\n", sanitize.Terminal(n.Where), sanitize.Terminal(n.Reason))
		}
	}
}

func runDataErase(ctx context.Context, e *env, f *dataEraseFlags) error {
	subject, err := parseSubject(f.subjects, f.subjectFile)
	if err != nil {
		return err
	}
	mapPath := f.mapPath
	if mapPath == "" {
		if mapPath, err = datamap.DefaultPath(); err != nil {
			return err
		}
	}
	m, err := datamap.Load(mapPath)
	if err != nil {
		return err
	}
	dir, err := bookDir(f.db)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer st.Close()
	book := &certify.Book{Dir: dir, Heads: st}
	// The key and salt exist before anything is erased: a certificate
	// can always be issued for what is done.
	if _, err := book.PrivateKey(true); err != nil {
		return err
	}
	salt, err := book.Salt(true)
	if err != nil {
		return err
	}
	// The certificate's file is opened before erasing, so that a wrong -o
	// stops vigil with nothing changed.
	out, err := openOutput(e.stdout, f.output, defaultOutputMode)
	if err != nil {
		return err
	}
	defer out.abort()
	started := time.Now()
	req := erase.Request{
		Map:     m,
		Subject: subject,
		Open: func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) {
			return datamap.Open(ctx, s, datamap.Options{ReadWrite: true, AllowPublic: f.allowPublic})
		},
		Confirm: func(p *erase.Plan) error {
			printPlan(e.stderr, p)
			if p.Empty() {
				fmt.Fprintln(e.stderr, "Nothing of the person was found; the certificate says so.")
				return nil
			}
			if f.yes {
				return nil
			}
			fmt.Fprint(e.stderr, "\nErase as planned? This cannot be undone. [y/N] ")
			line, rerr := bufio.NewReader(e.stdin).ReadString('\n')
			if rerr != nil && !errors.Is(rerr, io.EOF) {
				return rerr
			}
			if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
				return erase.ErrDeclined
			}
			return nil
		},
		Salt:     salt,
		Operator: osUser(),
		Version:  e.version,
	}
	cert, plan, err := erase.Erase(ctx, req)
	if errors.Is(err, erase.ErrDeclined) {
		fmt.Fprintln(e.stderr, "Nothing was erased.")
		return &exitError{code: ExitError}
	}
	if err != nil {
		return err
	}
	issueErr := book.Issue(ctx, cert)
	outcome := "complete"
	if !cert.Complete {
		outcome = "partial"
	}
	detail, _ := json.Marshal(struct {
		Certificate string           `json:"certificate"`
		Sources     []certify.Source `json:"sources"`
	}{cert.ID, cert.Sources})
	if rerr := st.RecordDataRun(ctx, store.DataRun{ID: "erase-" + cert.ID, Kind: "erase", Started: started, Finished: time.Now(),
		Operator: cert.Operator, Outcome: outcome, Detail: string(detail)}); rerr != nil {
		fmt.Fprintf(e.stderr, "vigil: %v\n", rerr)
	}
	if issueErr != nil {
		// The erasure happened: the unsigned account of it still goes
		// out, marked as such by its empty signature.
		fmt.Fprintf(e.stderr, "vigil: the erasure ran but its certificate could not be signed and logged: %v\n", issueErr)
	}
	data, err := cert.File()
	if err != nil {
		return err
	}
	if _, err := out.Write(data); err != nil {
		return err
	}
	if err := out.commit(); err != nil {
		return err
	}
	if f.pdf != "" {
		pdf, err := openOutput(e.stdout, f.pdf, defaultOutputMode)
		if err != nil {
			return err
		}
		defer pdf.abort()
		if err := report.ErasureCertificatePDF(pdf, cert); err != nil {
			return err
		}
		if err := pdf.commit(); err != nil {
			return err
		}
	}
	for _, s := range cert.Sources {
		fmt.Fprintf(e.stderr, "  %s: %s", s.Name, s.Outcome)
		if s.Error != "" {
			fmt.Fprintf(e.stderr, " (%s)", sanitize.Terminal(s.Error))
		}
		fmt.Fprintln(e.stderr)
	}
	// What remains is judged as a scan's facts are: data.erasure.incomplete.
	host, herr := os.Hostname()
	if herr != nil || host == "" {
		host = "localhost"
	}
	for _, fd := range check.JudgeData(&facts.DataScan{Erasures: erase.Incomplete(m, cert, plan)}, host) {
		fmt.Fprintf(e.stderr, "finding %s (%s) on %s: %s\n", fd.Check, fd.Severity, fd.Host, sanitize.Terminal(fd.Evidence))
	}
	switch {
	case issueErr != nil:
		return issueErr
	case !cert.Complete:
		return fmt.Errorf("the erasure is not complete: certificate %s (entry %d of the erasure log) says what was and was not erased", cert.ID, cert.Chain.Seq)
	}
	fmt.Fprintf(e.stderr, "Erased and verified. Certificate %s, entry %d of the erasure log, signed with key %s.\n", cert.ID, cert.Chain.Seq, cert.Key)
	return nil
}

// retentionApply is what vigil data retention --apply needs besides the
// map.
type retentionApply struct {
	db    string
	yes   bool
	batch int
	open  datamap.Options
	// now is the moment the rules are applied at; zero means now.
	now time.Time
}

// runRetentionApply is vigil data retention --apply: it counts what each
// rule would delete at one fixed moment (the dry-run plan), asks (or
// takes --yes), deletes in batches, one transaction each, and records the
// run in the store. vigil data retention calls it with --apply.
func runRetentionApply(ctx context.Context, e *env, m *datamap.Map, a retentionApply) error {
	if len(m.Retention) == 0 {
		return errors.New("the data map declares no retention rule")
	}
	st, err := openStore(ctx, a.db)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := a.open
	opts.ReadWrite = true
	open := func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) { return datamap.Open(ctx, s, opts) }
	started := time.Now()
	at := a.now
	if at.IsZero() {
		at = started
	}
	steps := erase.PlanRetention(ctx, m, open, at.UTC())
	fmt.Fprintln(e.stderr, "Plan (dry run): what each retention rule deletes")
	var todo int64
	for _, s := range steps {
		where := s.Rule.Table
		if where == "" {
			where = "files " + cmp.Or(s.Rule.Path, "*")
		}
		if s.Err != nil {
			fmt.Fprintf(e.stderr, "  %s %s: cannot be applied: %s\n", s.Rule.Source, sanitize.Terminal(where), sanitize.Terminal(s.Err.Error()))
			continue
		}
		fmt.Fprintf(e.stderr, "  %s %s: %d of %d older than %s (before %s; %s)\n", s.Rule.Source, sanitize.Terminal(where), s.Older, s.Total,
			s.Rule.MaxAge, s.Cutoff.Format("2006-01-02"), sanitize.Terminal(s.Rule.Basis))
		todo += s.Older
	}
	if todo == 0 {
		fmt.Fprintln(e.stderr, "Nothing is older than the rules: nothing to delete.")
		return nil
	}
	if !a.yes {
		fmt.Fprintf(e.stderr, "\nDelete these %d rows and files? This cannot be undone. [y/N] ", todo)
		line, rerr := bufio.NewReader(e.stdin).ReadString('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return rerr
		}
		if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
			fmt.Fprintln(e.stderr, "Nothing was deleted.")
			return &exitError{code: ExitError}
		}
	}
	erase.ApplyRetention(ctx, m, steps, open, a.batch)
	type ruleRun struct {
		Source  string `json:"source"`
		Table   string `json:"table,omitempty"`
		Path    string `json:"path,omitempty"`
		Cutoff  string `json:"cutoff"`
		Planned int64  `json:"planned"`
		Deleted int64  `json:"deleted"`
		Batches int    `json:"batches"`
		Error   string `json:"error,omitempty"`
	}
	var runs []ruleRun
	failed := 0
	for _, s := range steps {
		r := ruleRun{Source: s.Rule.Source, Table: s.Rule.Table, Path: s.Rule.Path, Cutoff: s.Cutoff.Format(time.RFC3339),
			Planned: s.Older, Deleted: s.Deleted, Batches: s.Batches}
		if s.Err != nil {
			r.Error = s.Err.Error()
			failed++
		}
		runs = append(runs, r)
		fmt.Fprintf(e.stdout, "%s %s: deleted %d of %d planned in %d transaction(s)", r.Source, sanitize.Terminal(cmp.Or(r.Table, r.Path)), r.Deleted, r.Planned, r.Batches)
		if r.Error != "" {
			fmt.Fprintf(e.stdout, "; stopped: %s", sanitize.Terminal(r.Error))
		}
		fmt.Fprintln(e.stdout)
	}
	outcome := "complete"
	if failed > 0 {
		outcome = "partial"
	}
	detail, _ := json.Marshal(runs)
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	if err := st.RecordDataRun(ctx, store.DataRun{ID: "retention-" + hex.EncodeToString(id), Kind: "retention", Started: started,
		Finished: time.Now(), Operator: osUser(), Outcome: outcome, Detail: string(detail)}); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d retention rule(s) could not be applied in full (the batches committed before the failure stay done)", failed)
	}
	return nil
}

// retentionWithApply adds --apply, --yes, --batch and --db to data-scan's
// vigil data retention: without --apply it counts as before; with it,
// runRetentionApply deletes what the rules count.
func retentionWithApply(newCmd func(e *env) *cobra.Command) func(e *env) *cobra.Command {
	return func(e *env) *cobra.Command {
		cmd := newCmd(e)
		var a retentionApply
		var apply bool
		fl := cmd.Flags()
		fl.BoolVar(&apply, "apply", false, "delete the rows and files older than the rules, after a dry-run plan and confirmation, in batches inside transactions")
		fl.BoolVar(&a.yes, "yes", false, "with --apply: delete without asking (scripts)")
		fl.IntVar(&a.batch, "batch", erase.DefaultBatch, "with --apply: rows deleted per transaction")
		addDBFlag(fl, &a.db)
		cmd.Short += "; --apply deletes them"
		count := cmd.RunE
		cmd.RunE = func(c *cobra.Command, args []string) error {
			if !apply {
				if a.yes {
					return usageError("--yes goes with --apply")
				}
				return count(c, args)
			}
			if a.batch <= 0 {
				return usageError("--batch %d: give a number of rows above 0", a.batch)
			}
			mapPath, _ := c.Flags().GetString("map")
			if mapPath == "" {
				var err error
				if mapPath, err = datamap.DefaultPath(); err != nil {
					return err
				}
			}
			m, err := datamap.Load(mapPath)
			if err != nil {
				return err
			}
			a.open.AllowPublic, _ = c.Flags().GetBool("allow-public")
			a.open.Timeout, _ = c.Flags().GetDuration("timeout")
			return runRetentionApply(c.Context(), e, m, a)
		}
		return cmd
	}
}
