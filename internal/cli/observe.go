package cli

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/engine"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/observe"
	"github.com/vigilsec/vigil/internal/report"
)

// observeFlags are the flags of `vigil host observe`.
type observeFlags struct {
	outputFlags
	window time.Duration
	method string
	poll   time.Duration
}

func newObserveCmd(e *env) *cobra.Command {
	var f observeFlags
	cmd := &cobra.Command{
		Use:   "observe",
		Short: "Watch which listening ports are used; report the reachable ones nobody used",
		Long: `Audit this machine, then count new inbound connections to each of its
listening ports for the time given with --for, and report every port that
other hosts can reach but nobody used (port.open-unused), with the exact
ways to close it.

As root, vigil watches with a packet socket whose filter, attached in the
kernel, passes only connection openings (TCP SYN) and UDP datagrams to the
listened ports: it costs next to nothing while it watches. Without root it
polls the socket table instead, which misses connections shorter than the
poll interval and cannot see UDP.

Connections already open when watching starts count as use. The result is
judged, stored and printed like 'vigil host'; Ctrl-C stops early and still
reports what was seen.`,
		Example: `  sudo vigil host observe --for 24h
  sudo vigil host observe --for 20m --format json -o observe.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.format = formatFor(cmd, f.format, f.output)
			return runObserve(cmd.Context(), e, &f)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&f.window, "for", 24*time.Hour, "how long to watch (e.g. 20m, 24h, 7d is 168h)")
	fl.StringVar(&f.method, "method", observe.MethodAuto, "how to watch: auto, af_packet (root) or proc")
	fl.DurationVar(&f.poll, "poll", observe.DefaultPoll, "poll interval of the proc method")
	fl.StringVar(&f.format, "format", "table", "output format: "+strings.Join(report.Formats(), ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the result to FILE instead of standard output")
	addModeFlag(fl, &f.mode)
	addRunFlags(fl, &f.outputFlags)
	addBriefFlag(fl, &f.brief)
	fl.StringVar(&f.color, "color", "auto", "colour the table: auto, always or never")
	fl.StringVar(&f.failOn, "fail-on", "", "exit with status 3 when a finding at or above this severity exists")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log what vigil does (and each connection seen) to standard error")
	addDBFlag(fl, &f.db)
	addVulnDBFlag(fl, &f.vulnDB)
	fl.BoolVar(&f.noStore, "no-store", false, "do not keep the result in the scan store")
	return cmd
}

func runObserve(ctx context.Context, e *env, f *observeFlags) error {
	cfg := observe.Config{Window: f.window, Method: f.method, Poll: f.poll, Log: logger(e.stderr, f.verbose)}
	if err := cfg.Validate(); err != nil {
		return usageError("%v", err)
	}
	out, err := newSink(e, &f.outputFlags)
	if err != nil {
		return err
	}
	defer out.Close()

	started := time.Now()
	onStart := func(listeners, reachable int, method string, until time.Time) {
		fmt.Fprintf(e.stderr, "Watching %d listening sockets (%d reachable from other hosts) until %s (%s, method %s). Ctrl-C stops early.\n",
			listeners, reachable, until.Local().Format(time.DateTime), check.HumanDuration(f.window), method)
	}
	if f.verbose {
		cfg.OnConnection = func(tr string, from, to netip.AddrPort) {
			fmt.Fprintf(e.stderr, "connection %s %s -> %s\n", tr, from, to)
		}
	}
	w, err := engine.Observe(ctx, cfg, onStart)
	if err != nil {
		return err
	}
	if w.Interrupted {
		// Report what was seen in the time watched.
		obs := w.Audit.Observation
		fmt.Fprintf(e.stderr, "Stopped after %s.\n", check.HumanDuration(obs.Ended.Sub(obs.Started)))
		ctx = context.WithoutCancel(ctx)
	}
	log := logger(e.stderr, f.verbose)
	j, done, err := hostJudgement(ctx, e, &f.outputFlags, true, started, log)
	if err != nil {
		return err
	}
	defer done()
	doc, err := engine.JudgeHostAudit(ctx, w.Audit, j)
	if err != nil {
		return err
	}
	run := newRun(e, &f.outputFlags, map[string]any{"for": f.window.String(), "method": f.method, "poll": f.poll.String(), "store": !f.noStore})
	doc.Run = &run
	return out.emit(ctx, doc, "host audit")
}

// latestScanHosts returns the hosts of the newest stored network scan (not
// a host audit), for judging flows; nil when there is none or the store
// cannot be read (the flows are then not judged).
func latestScanHosts(ctx context.Context, dsn string) []facts.Host {
	st, err := openStoreRead(ctx, dsn)
	if err != nil {
		return nil
	}
	defer st.Close()
	sums, err := st.List(ctx, fixSearchDepth)
	if err != nil {
		return nil
	}
	for _, s := range sums {
		if s.Kind != "" {
			continue // a host audit
		}
		d, err := st.Get(ctx, s.ID)
		if err != nil || d.Kind != "" {
			return nil
		}
		return d.FactsHosts()
	}
	return nil
}
