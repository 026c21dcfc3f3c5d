package vulnfeed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/vulndb"
)

// nvdCursor names where the next NVD update starts.
const nvdCursor = "nvd"

// nvdPage is the part of an NVD CVE API 2.0 answer the update reads.
type nvdPage struct {
	ResultsPerPage  int    `json:"resultsPerPage"`
	StartIndex      int    `json:"startIndex"`
	TotalResults    int    `json:"totalResults"`
	Format          string `json:"format"`
	Timestamp       string `json:"timestamp"`
	Vulnerabilities []struct {
		CVE json.RawMessage `json:"cve"`
	} `json:"vulnerabilities"`
}

// nvdTimeLayout is NVD's timestamps: UTC, without a zone.
const nvdTimeLayout = "2006-01-02T15:04:05.999999999"

// nvdDate writes a time as the API's date parameters take it: extended
// ISO-8601 with milliseconds and an explicit offset.
func nvdDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") + "+00:00" }

// nvd updates the NVD records. Without a cursor it pages through every
// record; with one, through the records modified between it and now, in
// windows of at most 120 days (the API's limit). The next update starts
// where this one's data ends: when it started, or earlier if NVD's clock
// says so.
func (u *updater) nvd(ctx context.Context, r *Result) error {
	cur, err := u.w.Cursor(nvdCursor)
	if err != nil {
		return fmt.Errorf("cannot read the vulnerability database: %w", err)
	}
	now := u.cfg.Now().UTC()
	type window struct{ from, to time.Time }
	windows := []window{{}} // one pass without dates: every record
	r.Mode = "full"
	if cursor, perr := time.Parse(time.RFC3339Nano, cur); cur != "" && perr == nil {
		r.Mode = "incremental"
		windows = nil
		for from := cursor; from.Before(now); {
			to := from.Add(nvdMaxWindow)
			if to.After(now) {
				to = now
			}
			windows = append(windows, window{from, to})
			from = to
		}
		if len(windows) == 0 {
			r.Mode = "up to date"
			u.cfg.Log.Info("NVD's cursor is not in the past; nothing to ask", "cursor", cursor)
			return nil
		}
	}
	var server time.Time // NVD's clock at its first answer
	var total, done int64
	for _, win := range windows {
		for index := 0; ; {
			q := url.Values{}
			if !win.from.IsZero() {
				q.Set("lastModStartDate", nvdDate(win.from))
				q.Set("lastModEndDate", nvdDate(win.to))
			}
			q.Set("resultsPerPage", strconv.Itoa(nvdPageSize))
			q.Set("startIndex", strconv.Itoa(index))
			page, err := u.nvdPage(ctx, u.cfg.Sources.NVD+"?"+q.Encode(), index)
			if err != nil {
				return err
			}
			if server.IsZero() {
				if t, err := time.Parse(nvdTimeLayout, page.Timestamp); err == nil {
					server = t.UTC()
				}
			}
			if index == 0 {
				total += int64(page.TotalResults)
			}
			for _, v := range page.Vulnerabilities {
				rec, err := vulndb.ParseNVD(v.CVE)
				if err != nil {
					return fmt.Errorf("NVD's answer at startIndex %d: %w", index, err)
				}
				if err := u.w.Put(rec); err != nil {
					return err
				}
			}
			index += len(page.Vulnerabilities)
			done += int64(len(page.Vulnerabilities))
			u.progress("downloading NVD", done, max(total, done))
			if index >= page.TotalResults {
				break
			}
			if len(page.Vulnerabilities) == 0 {
				return fmt.Errorf("NVD answered no record at startIndex %d of %d: its answers changed while they were read; run the update again",
					index, page.TotalResults)
			}
		}
	}
	if len(windows) == 1 && windows[0].from.IsZero() && done == 0 {
		return fmt.Errorf("NVD answered that it holds no CVE record at %s: refusing that as the whole of NVD", u.cfg.Sources.NVD)
	}
	if total == 0 {
		r.Mode = "up to date"
	}
	next := now
	if !server.IsZero() && server.Before(next) {
		next = server
	}
	if err := u.w.SetCursor(nvdCursor, next.Format(time.RFC3339Nano), time.Time{}); err != nil {
		return fmt.Errorf("cannot write the vulnerability database: %w", err)
	}
	return nil
}

// nvdPage downloads one page of the CVE API and reads it.
func (u *updater) nvdPage(ctx context.Context, address string, index int) (nvdPage, error) {
	var page nvdPage
	name, _, err := u.download(ctx, request{what: "a page of NVD CVE records", url: address, limit: maxDocument, timeout: documentTimeout, nvd: true}, ".json")
	if err != nil {
		return page, err
	}
	b, err := os.ReadFile(name)
	os.Remove(name)
	if err != nil {
		return page, fmt.Errorf("cannot read back a page of NVD CVE records: %w", err)
	}
	if err := json.Unmarshal(b, &page); err != nil {
		return page, fmt.Errorf("%s is not an NVD CVE API answer: %w", address, err)
	}
	if page.Format != "NVD_CVE" {
		return page, fmt.Errorf("%s is not an NVD CVE API answer (format %q, not NVD_CVE)", address, clipped(page.Format))
	}
	if page.TotalResults < 0 || page.StartIndex != index {
		return page, fmt.Errorf("%s is not a usable NVD CVE API answer (startIndex %d, totalResults %d)", address, page.StartIndex, page.TotalResults)
	}
	return page, nil
}
