package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/lab"
)

// waitManifest polls every service of the manifest until each answers (see
// lab.Service.Answer) or timeout passes; it names the ones that did not.
// Dovecot's greeting must also say it is ready, not that it still waits for
// its authentication process.
func waitManifest(ctx context.Context, path string, timeout time.Duration, verbose bool) error {
	m, err := lab.LoadFile(path)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []string
	)
	for _, s := range m.Services {
		wg.Go(func() {
			var last error
			for {
				last = s.Answer(ctx, 2*time.Second)
				if last == nil && s.Product == "Dovecot" && !s.TLS {
					last = dovecotReady(ctx, s)
				}
				if last == nil {
					if verbose {
						fmt.Fprintf(os.Stderr, "%6.2fs %s\n", time.Since(start).Seconds(), s.ID)
					}
					return
				}
				if !sleepCtx(ctx, 50*time.Millisecond) {
					break
				}
			}
			mu.Lock()
			failed = append(failed, last.Error())
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(failed) > 0 {
		sort.Strings(failed)
		fmt.Fprintln(os.Stderr, "not answering after", timeout.String()+":")
		for _, f := range failed {
			fmt.Fprintln(os.Stderr, "  "+f)
		}
		return fmt.Errorf("%d of %d services did not answer", len(failed), len(m.Services))
	}
	return nil
}

// dovecotReady reads the greeting and checks that it is the final one.
func dovecotReady(ctx context.Context, s lab.Service) error {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := d.DialContext(dctx, "tcp", s.Address())
	if err != nil {
		return err
	}
	defer c.Close()
	line, err := readLine(c, 512, 2*time.Second)
	if err != nil {
		return err
	}
	if !strings.Contains(string(line), "ready") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(string(line)))
	}
	return nil
}
