package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/progress"
	"github.com/vigilsec/vigil/internal/vuln"
	"github.com/vigilsec/vigil/internal/vulndb"
	"github.com/vigilsec/vigil/internal/vulnfeed"
)

// addVulnDBFlag adds --vulndb to a command's flags.
func addVulnDBFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "vulndb", "", "vulnerability database file (default: vulndb.sqlite in your data directory; VIGIL_VULNDB)")
}

// vulnDBPath returns the database file --vulndb names, or the default.
func vulnDBPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return vulndb.DefaultPath()
}

// openMatcher opens the vulnerability database for a scan or host audit:
// nil, and no error, when there is none (the document then says known
// vulnerabilities were not checked). It warns when a source is stale.
func openMatcher(ctx context.Context, flag string, log *slog.Logger, now time.Time) (*vuln.Matcher, *vulndb.DB, error) {
	path, err := vulnDBPath(flag)
	if err != nil {
		return nil, nil, err
	}
	db, err := vulndb.Open(ctx, path)
	if errors.Is(err, vulndb.ErrNoDB) {
		if flag != "" {
			return nil, nil, usageError("--vulndb %s: no such file; run 'vigil vulndb import' or 'vigil vulndb update' to make it", flag)
		}
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	srcs, err := db.Sources(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	for _, s := range srcs {
		if s.Stale(now) {
			log.Warn(fmt.Sprintf("the vulnerability database's %s data is %d days old: run 'vigil vulndb update' (or import newer files)",
				s.Title(), int(now.Sub(s.DataTime).Hours()/24)))
		}
	}
	return vuln.New(db), db, nil
}

func newVulnDBCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "vulndb",
		Short: "Keep the local vulnerability database: import files, update from the public sources, show its state",
		Long: `vigil keeps known vulnerabilities in one SQLite file (by default
vulndb.sqlite beside the scan store), separate from scans so that it can be
copied to machines without a network. Scans and host audits read it to
report software with known vulnerabilities (check vuln.known).

Sources: OSV (distribution advisories: Debian, Ubuntu, Alpine, Rocky,
AlmaLinux), the NVD CVE records, the CISA Known Exploited Vulnerabilities
catalogue and FIRST EPSS scores. vigil only ever downloads whole feeds: it
never asks a remote service about the software it found.`,
	}
	cmd.AddCommand(newVulnDBUpdateCmd(e), newVulnDBImportCmd(e), newVulnDBStatusCmd(e))
	return cmd
}

// nvdKeyEnv holds the NVD API key when --nvd-api-key is not given.
const nvdKeyEnv = "VIGIL_NVD_API_KEY"

func newVulnDBUpdateCmd(e *env) *cobra.Command {
	var (
		path, osv, key, sources string
		verbose                 bool
	)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Download the public vulnerability feeds into the database: OSV, NVD, CISA KEV, FIRST EPSS",
		Long: `Bring the vulnerability database up to date from the public feeds:

  osv   OSV's export of each distribution ecosystem (--osv; Debian by
        default): the whole archive (all.zip) the first time, then only the
        records OSV lists as changed since (modified_id.csv), or the whole
        archive again when more than 5,000 changed. Their MD5 and CRC32C
        checksums (x-goog-hash) are checked.
  nvd   the NVD CVE API 2.0: every record the first time (about 160 pages;
        without an API key NVD allows 5 requests in 30 seconds, so this
        takes a quarter of an hour or more), then the records modified since the
        last update. An API key (--nvd-api-key, better VIGIL_NVD_API_KEY,
        which does not show in the process list) allows 50 requests in 30
        seconds. It is sent to NVD only, and never written anywhere.
  kev   the CISA Known Exploited Vulnerabilities catalogue, whole.
  epss  FIRST's EPSS scores, whole (a new score for every CVE each day).

vigil only ever asks for whole feeds, or for what changed in them since a
date: never for a product, a package or a version, so nothing of what it
found on your machines leaves them. Requests that are refused for being too
many (429, 503, and 403 from NVD) are retried after a growing wait.

The database changes all at once: if any download fails, is cut off or
does not match its checksum, it stays as it was. Downloads go to private
temporary files beside it, removed after.`,
		Example: `  vigil vulndb update
  vigil vulndb update --osv Debian,Ubuntu --source osv,kev,epss
  VIGIL_NVD_API_KEY=… vigil vulndb update --source nvd`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, name := range []string{"osv", "source"} {
				if f := cmd.Flags().Lookup(name); f.Changed && len(splitList(f.Value.String())) == 0 {
					return usageError("--%s is empty: give %s", name, f.Usage[strings.Index(f.Usage, ": ")+2:])
				}
			}
			if key == "" {
				key = os.Getenv(nvdKeyEnv)
			}
			cfg := vulnfeed.Config{Sources: e.feeds, Client: e.feedClient, Feeds: splitList(sources), Ecosystems: splitList(osv),
				NVDAPIKey: strings.TrimSpace(key), UserAgent: "vigil/" + e.version, Log: logger(e.stderr, verbose)}
			if err := cfg.Validate(); err != nil {
				return usageError("%v", err)
			}
			file, err := vulnDBPath(path)
			if err != nil {
				return err
			}
			bar := progress.New(e.stderr, isTerminal(e.stderr))
			cfg.Progress = bar.Update
			results, err := vulnfeed.Update(cmd.Context(), file, cfg)
			bar.Clear()
			if err != nil {
				return fmt.Errorf("nothing was updated, the database is as it was: %w", err)
			}
			tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "FEED\tUPDATE\tRECORDS\tDOWNLOADED\tREQUESTS\tTIME\n")
			for _, r := range results {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", r.Feed, r.Mode, r.Records, vulnfeed.Size(r.Bytes), r.Requests, r.Elapsed.Round(time.Millisecond))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "\nUpdated %s.\n\n", file)
			return printStatus(cmd.Context(), e, file, "table")
		},
	}
	fl := cmd.Flags()
	addVulnDBFlag(fl, &path)
	fl.StringVar(&osv, "osv", strings.Join(vulnfeed.DefaultEcosystems(), ","), "OSV ecosystems to update, comma-separated: "+strings.Join(vulnfeed.Ecosystems(), ", "))
	fl.StringVar(&key, "nvd-api-key", "", "NVD API key, for NVD's higher rate limit (default $"+nvdKeyEnv+"; the variable keeps it out of the process list)")
	fl.StringVar(&sources, "source", strings.Join(vulnfeed.Feeds(), ","), "feeds to update, comma-separated: "+strings.Join(vulnfeed.Feeds(), ", "))
	fl.BoolVarP(&verbose, "verbose", "v", false, "log each request to standard error")
	return cmd
}

// splitList splits a comma-separated flag value, leaving out empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func newVulnDBImportCmd(e *env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Load vulnerability data from files: OSV JSON, NVD CVE JSON 2.0, the CISA KEV catalogue, the EPSS CSV",
		Long: `Load vulnerability data from files, directories (walked) and .zip
archives; .gz files are decompressed. The format of each file is told from
its content: OSV records (as in OSV's per-ecosystem all.zip), NVD CVE JSON
2.0 (an API response, or one CVE a file as in the nvd-json-data-feeds
layout), the CISA known_exploited_vulnerabilities.json, and the EPSS
scores CSV. The database changes all at once: if anything fails, it stays
as it was.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, err := vulnDBPath(path)
			if err != nil {
				return err
			}
			bar := progress.New(e.stderr, isTerminal(e.stderr))
			start := time.Now()
			var n int
			err = vulndb.Build(cmd.Context(), file, func(w *vulndb.Writer) error {
				err := vulndb.Import(cmd.Context(), w, args, func(done, total int64) { bar.Update("importing", done, total) })
				n = w.Count
				return err
			})
			bar.Clear()
			if err != nil {
				return fmt.Errorf("nothing was imported, the database is as it was: %w", err)
			}
			fmt.Fprintf(e.stdout, "Imported %d records into %s in %s.\n", n, file, time.Since(start).Round(time.Millisecond))
			return printStatus(cmd.Context(), e, file, "table")
		},
	}
	addVulnDBFlag(cmd.Flags(), &path)
	return cmd
}

func newVulnDBStatusCmd(e *env) *cobra.Command {
	var path, format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each source of the vulnerability database: its records and its age",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageError("--format %q: use table or json", format)
			}
			file, err := vulnDBPath(path)
			if err != nil {
				return err
			}
			return printStatus(cmd.Context(), e, file, format)
		},
	}
	addVulnDBFlag(cmd.Flags(), &path)
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// printStatus prints what the database at file holds.
func printStatus(ctx context.Context, e *env, file, format string) error {
	db, err := vulndb.Open(ctx, file)
	if errors.Is(err, vulndb.ErrNoDB) {
		fmt.Fprintf(e.stderr, "vigil: %v.\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer db.Close()
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Path    string          `json:"path"`
			Sources []vulndb.Source `json:"sources"`
		}{file, append([]vulndb.Source{}, srcs...)})
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SOURCE\tRECORDS\tNEWEST DATA\tAGE\tLOADED\n")
	for _, s := range srcs {
		age := fmt.Sprintf("%d days", int(now.Sub(s.DataTime).Hours()/24))
		if s.Stale(now) {
			age += " (stale: update it)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", s.Title(), s.Records, s.DataTime.UTC().Format("2006-01-02 15:04"), age, s.Loaded.UTC().Format("2006-01-02 15:04"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(srcs) == 0 {
		fmt.Fprintln(e.stdout, "The database is empty.")
	}
	return nil
}
