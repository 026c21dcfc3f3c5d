package vulnfeed

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/vulndb"
)

// osvID is what an OSV record id may be: it becomes a file name in a URL
// ("DSA-5724-1", "ALSA-2024:1234").
var osvID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$`)

// osvCursor names where the next update of an OSV ecosystem starts: the
// newest modification time it loaded. Its records count under the
// ecosystem's releases ("osv:Debian:12").
func osvCursor(eco string) string { return vulndb.FeedPrefix + "osv:" + eco }

// osvURL returns the address of a file of an ecosystem's export.
func (u *updater) osvURL(eco, file string) string {
	return strings.TrimRight(u.cfg.Sources.OSV, "/") + "/" + url.PathEscape(eco) + "/" + url.PathEscape(file)
}

// osv updates one OSV ecosystem. With a cursor, it reads the ecosystem's
// modified_id.csv and fetches only the records modified since, one by one;
// without one, or past Config.MaxDelta records, or when the list cannot
// be read, it downloads the ecosystem's all.zip.
func (u *updater) osv(ctx context.Context, r *Result, eco string) error {
	cur, err := u.w.Cursor(osvCursor(eco))
	if err != nil {
		return fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	if cursor, perr := time.Parse(time.RFC3339Nano, cur); cur != "" && perr == nil {
		ids, newest, err := u.osvChanged(ctx, eco, cursor)
		var format *formatError
		switch {
		case errors.As(err, &format):
			u.cfg.Log.Warn("cannot read OSV's list of changes; downloading every record instead", "ecosystem", eco, "err", err)
		case err != nil:
			return err
		case len(ids) > u.cfg.MaxDelta:
			u.cfg.Log.Info("many records changed; downloading every record instead", "ecosystem", eco, "changed", len(ids))
		default:
			r.Mode = "incremental"
			if len(ids) == 0 {
				r.Mode = "up to date"
			}
			if err := u.osvRecords(ctx, eco, ids); err != nil {
				return err
			}
			if newest.Before(cursor) {
				newest = cursor
			}
			return u.osvDone(eco, newest)
		}
	}
	r.Mode = "full"
	newest, err := u.osvArchive(ctx, eco)
	if err != nil {
		return err
	}
	return u.osvDone(eco, newest)
}

// osvDone records where the next update of eco starts, and that its
// releases were brought up to date.
func (u *updater) osvDone(eco string, newest time.Time) error {
	if err := u.w.SetCursor(osvCursor(eco), newest.UTC().Format(time.RFC3339Nano), newest); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return u.w.Checked("osv:" + eco + ":")
}

// formatError means a feed's file is not in the format it should be.
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

// osvChanged reads eco's modified_id.csv ("<RFC 3339 time>,<id>" lines,
// newest first) and returns the ids modified after cursor, and the newest
// time it lists. The whole list is read: its order is not relied on.
func (u *updater) osvChanged(ctx context.Context, eco string, cursor time.Time) ([]string, time.Time, error) {
	b, err := u.get(ctx, request{what: "OSV's list of changed " + eco + " records (modified_id.csv)", url: u.osvURL(eco, "modified_id.csv"),
		limit: maxDocument, timeout: documentTimeout, phase: "downloading OSV " + eco + " changes"})
	if err != nil {
		return nil, time.Time{}, err
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = 2
	cr.ReuseRecord = true
	var ids []string
	var newest time.Time
	seen := map[string]bool{}
	for line := 1; ; line++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, time.Time{}, &formatError{fmt.Sprintf("modified_id.csv: %v", err)}
		}
		t, terr := time.Parse(time.RFC3339Nano, row[0])
		if terr != nil || !osvID.MatchString(row[1]) {
			return nil, time.Time{}, &formatError{fmt.Sprintf("modified_id.csv line %d is not \"<time>,<id>\"", line)}
		}
		if t.After(newest) {
			newest = t
		}
		if t.After(cursor) && !seen[row[1]] {
			seen[row[1]] = true
			ids = append(ids, row[1])
		}
	}
	if newest.IsZero() {
		return nil, time.Time{}, &formatError{"modified_id.csv lists no record"}
	}
	return ids, newest, nil
}

// osvRecords downloads the records ids of eco, Config.Parallel at a time,
// and loads them in order.
func (u *updater) osvRecords(ctx context.Context, eco string, ids []string) error {
	phase := "downloading OSV " + eco + " records"
	batch := u.cfg.Parallel * 4
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		bodies := make([][]byte, len(part))
		bctx, cancel := context.WithCancelCause(ctx)
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			first error
		)
		sem := make(chan struct{}, u.cfg.Parallel)
		for i, id := range part {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if bctx.Err() != nil {
					return
				}
				b, err := u.get(bctx, request{what: "the " + eco + " record " + id, url: u.osvURL(eco, id+".json"),
					limit: maxRecord, timeout: recordTimeout})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel(err)
					}
					mu.Unlock()
					return
				}
				bodies[i] = b
			})
		}
		wg.Wait()
		cancel(nil)
		if first != nil {
			return first
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		for i, id := range part {
			rec, err := vulndb.ParseOSV(bodies[i])
			if err != nil {
				return fmt.Errorf("the record %s: %w", id, err)
			}
			if rec.ID != id {
				return fmt.Errorf("%s holds the record %q, not %s", u.osvURL(eco, id+".json"), clipped(rec.ID), id)
			}
			if err := u.w.Put(rec); err != nil {
				return err
			}
			u.progress(phase, int64(start+i+1), int64(len(ids)))
		}
	}
	return nil
}

// osvArchive downloads eco's all.zip and loads every record in it; it
// returns the newest modification time of them.
func (u *updater) osvArchive(ctx context.Context, eco string) (time.Time, error) {
	name, _, err := u.download(ctx, request{what: "the archive of every OSV " + eco + " record (all.zip)", url: u.osvURL(eco, "all.zip"),
		limit: maxArchive, timeout: archiveTimeout, phase: "downloading OSV " + eco}, ".zip")
	if err != nil {
		return time.Time{}, err
	}
	defer os.Remove(name)
	z, err := zip.OpenReader(name)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a readable zip archive: %w", u.osvURL(eco, "all.zip"), err)
	}
	defer z.Close()
	var newest time.Time
	phase := "loading OSV " + eco
	for i, m := range z.File {
		if err := ctx.Err(); err != nil {
			return time.Time{}, context.Cause(ctx)
		}
		if m.FileInfo().IsDir() || !strings.HasSuffix(m.Name, ".json") {
			continue
		}
		b, err := readMember(m)
		if err != nil {
			return time.Time{}, fmt.Errorf("all.zip: %s: %w", m.Name, err)
		}
		rec, err := vulndb.ParseOSV(b)
		if err != nil {
			return time.Time{}, fmt.Errorf("all.zip: %s: %w", m.Name, err)
		}
		if err := u.w.Put(rec); err != nil {
			return time.Time{}, err
		}
		if rec.Modified.After(newest) {
			newest = rec.Modified
		}
		u.progress(phase, int64(i+1), int64(len(z.File)))
	}
	if newest.IsZero() {
		return time.Time{}, fmt.Errorf("%s holds no OSV record", u.osvURL(eco, "all.zip"))
	}
	return newest, nil
}

// readMember reads one record of an archive, up to maxRecord.
func readMember(m *zip.File) ([]byte, error) {
	if m.UncompressedSize64 > maxRecord {
		return nil, fmt.Errorf("larger than %s", Size(maxRecord))
	}
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxRecord+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRecord {
		return nil, fmt.Errorf("larger than %s", Size(maxRecord))
	}
	return b, nil
}
