// Command genstore is a helper of bench/serve.sh, not part of vigil.
//
//	genstore -db DSN [-scans 1000] [-hosts 250] [-every 12h] [-seed 1] [-stop N]
//
// writes a large synthetic store for benchmarking `vigil serve`: SCANS
// vigil/scan/v1 documents of HOSTS hosts each, one every EVERY up to now,
// through the store's own Save. The hosts live in 10.20.0.0/16 and are
// made up (file servers, web servers, databases, printers, workstations,
// a legacy box or two); their services carry the facts vigil's collectors
// gather (SSH algorithms, TLS versions and certificates, access audits),
// and the findings and levels are vigil's own judgement of those facts
// (check.JudgeScan, result.Assemble), so the store holds what real scans
// of a changing network would: weaknesses appear and are fixed, hosts
// join and leave, the level moves. No real person's or organisation's
// data is in it. The same seed writes the same store.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

func main() {
	cfg := Config{}
	db := flag.String("db", "", "the store to write (an SQLite path or a postgres:// DSN); it should be new")
	flag.IntVar(&cfg.Scans, "scans", 1000, "how many scans")
	flag.IntVar(&cfg.Hosts, "hosts", 250, "hosts in each scan")
	flag.DurationVar(&cfg.Every, "every", 12*time.Hour, "time between two scans")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same seed writes the same store")
	flag.IntVar(&cfg.Stop, "stop", 0, "write only the first N scans of the history, the last ending now (default: all)")
	flag.Parse()
	if *db == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: genstore -db DSN [-scans N] [-hosts M] [-every D] [-seed S] [-stop N]")
		os.Exit(2)
	}
	cfg.End = time.Now().UTC().Truncate(time.Minute)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *db, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "genstore:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn string, cfg Config) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	began := time.Now()
	n, err := Generate(ctx, st, cfg, func(i int) {
		if i%100 == 0 {
			fmt.Fprintf(os.Stderr, "genstore: %d of %d scans, %s\n", i, cfg.written(), time.Since(began).Round(time.Second))
		}
	})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %d scans of %d hosts (%d findings) to %s in %s\n", cfg.written(), cfg.Hosts, n, st.Where(), time.Since(began).Round(100*time.Millisecond))
	return nil
}
