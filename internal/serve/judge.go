package serve

import (
	"time"

	"github.com/vigilsec/vigil/internal/finding"
	"github.com/vigilsec/vigil/internal/level"
	"github.com/vigilsec/vigil/internal/result"
)

// rejudge returns a copy of a stored document whose acceptances are those
// in force now (acc, from the store) instead of those in force when it was
// scanned, with its host levels and overall level rated again: an
// acceptance made or revoked after the scan shows at once. The rating
// itself is the scan's (its time, its host audits).
func rejudge(doc *result.Document, acc map[string]finding.Acceptance, now time.Time) *result.Document {
	out := *doc
	out.Findings = make([]finding.Finding, len(doc.Findings))
	for i, f := range doc.Findings {
		f.Accepted = nil
		if a, ok := acc[f.ID]; ok && a.InForce(now) {
			a := a
			f.Accepted = &a
		}
		out.Findings[i] = f
	}
	byHost := map[string][]finding.Finding{}
	for _, f := range out.Findings {
		byHost[f.Host] = append(byHost[f.Host], f)
	}
	// Rated at the scan's time, as the scan was: an acceptance attached
	// above holds until at least today, so it holds then too.
	at := doc.Finished
	levels := map[string]level.Level{}
	out.Hosts = make([]result.Host, len(doc.Hosts))
	for i, h := range doc.Hosts {
		var audited time.Time
		if h.Audited != nil {
			audited = *h.Audited
		}
		lv := level.Host(byHost[h.Address], audited, at)
		levels[h.Address] = lv
		h.Level, h.Reason = lv.Value, lv.Reason
		out.Hosts[i] = h
	}
	for h, fs := range byHost {
		if _, ok := levels[h]; !ok {
			levels[h] = level.Host(fs, time.Time{}, at)
		}
	}
	out.Level = level.Overall(levels, out.Findings)
	return &out
}
