package level

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/finding"
)

func f(id string, s finding.Severity) finding.Finding {
	return finding.Finding{ID: id, Severity: s, Host: "127.0.2.12", Port: 22, Title: id}
}

func TestHostRubric(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	recent := now.Add(-48 * time.Hour)
	stale := now.Add(-8 * 24 * time.Hour)
	tests := []struct {
		name     string
		findings []finding.Finding
		audited  time.Time
		want     int
		next     []string
	}{
		{"critical caps at 1", []finding.Finding{f("c", finding.Critical), f("h", finding.High)}, recent, 1, []string{"c"}},
		{"high caps at 2", []finding.Finding{f("h1", finding.High), f("m", finding.Medium), f("h2", finding.High)}, recent, 2, []string{"h1", "h2"}},
		{"medium caps at 3", []finding.Finding{f("m", finding.Medium), f("l", finding.Low)}, time.Time{}, 3, []string{"m"}},
		{"low only, no host audit: 4", []finding.Finding{f("l", finding.Low)}, time.Time{}, 4, []string{}},
		{"nothing, no host audit: 4", nil, time.Time{}, 4, []string{}},
		{"nothing, stale host audit: 4", nil, stale, 4, []string{}},
		{"low open with host audit: 4, fix the low", []finding.Finding{f("l", finding.Low)}, recent, 4, []string{"l"}},
		{"info only with recent host audit: 5", []finding.Finding{f("i", finding.Info)}, recent, 5, []string{}},
		{"nothing with recent host audit: 5", nil, recent, 5, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lv := Host(tt.findings, tt.audited, now)
			if lv.Value != tt.want {
				t.Errorf("level = %d (%s), want %d", lv.Value, lv.Reason, tt.want)
			}
			if len(lv.Next) != len(tt.next) {
				t.Fatalf("next = %v, want %v", lv.Next, tt.next)
			}
			for i := range tt.next {
				if lv.Next[i] != tt.next[i] {
					t.Errorf("next = %v, want %v", lv.Next, tt.next)
				}
			}
			if lv.Reason == "" {
				t.Error("empty reason")
			}
		})
	}
}

func TestOverallIsTheWeakestHost(t *testing.T) {
	fs := []finding.Finding{
		{ID: "a", Severity: finding.High, Host: "127.0.2.10"},
		{ID: "b", Severity: finding.Medium, Host: "127.0.2.11"},
		{ID: "c", Severity: finding.High, Host: "127.0.2.12"},
	}
	levels := map[string]Level{
		"127.0.2.10": {Value: 2, Next: []string{"a"}},
		"127.0.2.11": {Value: 3, Next: []string{"b"}},
		"127.0.2.12": {Value: 2, Next: []string{"c"}},
		"127.0.2.13": {Value: 4, Next: []string{}},
	}
	lv := Overall(levels, fs)
	if lv.Value != 2 {
		t.Errorf("overall = %d, want 2", lv.Value)
	}
	if len(lv.Next) != 2 || lv.Next[0] != "a" || lv.Next[1] != "c" {
		t.Errorf("next = %v, want [a c]: the findings that hold the weakest hosts down", lv.Next)
	}
	if Overall(nil, nil).Value != 4 {
		t.Error("an empty scan must not be rated above 4")
	}
}

// TestAcceptedRisksDoNotCap: an accepted finding does not cap the level
// until the end of its last day; then it counts again.
func TestAcceptedRisksDoNotCap(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	crit := finding.Finding{ID: "c1", Check: "auth.none.redis", Severity: finding.Critical, Host: "10.0.0.5", Port: 6379, Title: "Redis answers without a password"}
	high := finding.Finding{ID: "h1", Check: "cleartext.redis", Severity: finding.High, Host: "10.0.0.5", Port: 6379, Title: "Redis in cleartext"}
	tests := []struct {
		until string
		want  int
	}{
		{"", 1},           // not accepted
		{"2026-12-07", 2}, // holds to the end of its last day
		{"2027-06-30", 2},
		{"2026-12-06", 1}, // expired yesterday
	}
	for _, tt := range tests {
		c := crit
		if tt.until != "" {
			c.Accepted = &finding.Acceptance{By: "alice", Reason: "lab", Until: tt.until}
		}
		lv := Host([]finding.Finding{c, high}, time.Time{}, now)
		if lv.Value != tt.want {
			t.Errorf("accepted until %q: level %d, want %d (%s)", tt.until, lv.Value, tt.want, lv.Reason)
		}
		if tt.want == 2 && (!strings.Contains(lv.Reason, "1 accepted risk") || slices.Contains(lv.Next, "c1")) {
			t.Errorf("accepted until %q: reason %q, next %v", tt.until, lv.Reason, lv.Next)
		}
	}
}
