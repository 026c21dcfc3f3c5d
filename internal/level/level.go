// Package level rates security from 1 (exposed) to 5 (strong) by the rubric
// of DESIGN.md: a host is capped by its worst open finding, like a chain by
// its weakest link, and the organisation's level is its lowest host level.
package level

import (
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
)

// Level is a rating with the reason for it and the findings whose fix raises
// it by one, worst first. Its JSON form is the level object of vigil/scan/v1.
type Level struct {
	Value  int      `json:"value"`
	Reason string   `json:"reason"`
	Next   []string `json:"next"`
}

// Name returns the word for a level value: exposed, weak, basic, solid, strong.
func Name(v int) string {
	switch v {
	case 1:
		return "exposed"
	case 2:
		return "weak"
	case 3:
		return "basic"
	case 4:
		return "solid"
	case 5:
		return "strong"
	}
	return "unrated"
}

// HostAuditWindow is how recent a host audit must be for level 5.
const HostAuditWindow = 7 * 24 * time.Hour

// cap maps the worst open severity to the highest level it allows.
func capFor(s finding.Severity) int {
	switch s {
	case finding.Critical:
		return 1
	case finding.High:
		return 2
	case finding.Medium:
		return 3
	}
	return 4
}

// Host rates one host from its open findings. audited is when the host was
// last audited from inside (zero when never); now is the scan time.
func Host(findings []finding.Finding, audited, now time.Time) Level {
	open := findings[:0:0]
	accepted := 0
	for _, f := range findings {
		if f.Open(now) {
			open = append(open, f)
		} else {
			accepted++
		}
	}
	findings = open
	worst := finding.Severity(0)
	for _, f := range findings {
		worst = max(worst, f.Severity)
	}
	recent := !audited.IsZero() && now.Sub(audited) <= HostAuditWindow && !audited.After(now.Add(time.Hour))
	lv := Level{Value: capFor(worst), Next: []string{}}
	switch {
	case worst >= finding.Medium:
		lv.Reason, lv.Next = capReason(findings, worst)
	case worst == finding.Low && recent:
		lv.Reason, lv.Next = capReason(findings, worst)
	case !recent:
		lv.Reason = "no finding above low; level 5 also needs a host audit (vigil host) within the last 7 days"
	default:
		lv.Value = 5
		lv.Reason = fmt.Sprintf("no open finding above info, and a host audit on %s", audited.UTC().Format("2006-01-02"))
	}
	if accepted > 0 {
		lv.Reason += fmt.Sprintf("; %d accepted risk(s) do not count until their dates pass", accepted)
	}
	return lv
}

// capReason explains a cap by the findings of the capping severity and lists
// them as the ones to fix.
func capReason(findings []finding.Finding, worst finding.Severity) (string, []string) {
	var ids []string
	var first finding.Finding
	for _, f := range sorted(findings) {
		if f.Severity == worst {
			if len(ids) == 0 {
				first = f
			}
			ids = append(ids, f.ID)
		}
	}
	where := first.Host
	if first.Port != 0 {
		where = fmt.Sprintf("%s:%d", first.Host, first.Port)
	}
	reason := fmt.Sprintf("%d %s finding(s) open, e.g. %q on %s", len(ids), worst, first.Title, where)
	return reason, ids
}

func sorted(fs []finding.Finding) []finding.Finding {
	out := append([]finding.Finding(nil), fs...)
	finding.Sort(out)
	return out
}

// Overall rates an organisation from its host levels and all findings: the
// lowest host level, with the findings on the hosts at that level that hold
// it down.
func Overall(hostLevels map[string]Level, findings []finding.Finding) Level {
	if len(hostLevels) == 0 {
		return Level{Value: 4, Reason: "no host answered, so nothing was found; a network-only scan can vouch for level 4 at most", Next: []string{}}
	}
	low := 6
	for _, l := range hostLevels {
		low = min(low, l.Value)
	}
	var atLow []string
	nextSet := map[string]bool{}
	for h, l := range hostLevels {
		if l.Value == low {
			atLow = append(atLow, h)
			for _, id := range l.Next {
				nextSet[id] = true
			}
		}
	}
	next := []string{}
	for _, f := range sorted(findings) {
		if nextSet[f.ID] {
			next = append(next, f.ID)
		}
	}
	slices.SortFunc(atLow, finding.CompareHosts)
	reason := hostLevels[atLow[0]].Reason
	if len(hostLevels) > 1 {
		reason = fmt.Sprintf("%d of %d hosts at level %d, e.g. %s: %s", len(atLow), len(hostLevels), low, atLow[0], reason)
	}
	return Level{Value: low, Reason: reason, Next: next}
}
