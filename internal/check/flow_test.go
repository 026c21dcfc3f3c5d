package check

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/finding"
)

func boolp(b bool) *bool { return &b }

// scannedLab is what a network scan of a few lab-like servers found.
var scannedLab = []facts.Host{
	{Address: "127.0.2.18", Services: []facts.Service{
		{Port: 5433, Transport: "tcp", Name: "postgresql", Product: "PostgreSQL", Details: map[string]string{"postgresql.ssl": "N"}},
		{Port: 6379, Transport: "tcp", Name: "redis", Product: "Redis", Version: "7.0.15"},
		{Port: 3307, Transport: "tcp", Name: "mysql", Details: map[string]string{"mysql.ssl": "false"}},
	}},
	{Address: "127.0.2.19", Services: []facts.Service{
		{Port: 5432, Transport: "tcp", Name: "postgresql", Details: map[string]string{"postgresql.ssl": "S"}},
		{Port: 6390, Transport: "tcp", Name: "redis", TLS: true},
	}},
	{Address: "127.0.2.14", Services: []facts.Service{
		{Port: 25, Transport: "tcp", Name: "smtp"},                                                                                                          // nothing known about STARTTLS
		{Port: 143, Transport: "tcp", Name: "imap", Access: &facts.Access{StartTLS: boolp(false)}},                                                          // refused
		{Port: 110, Transport: "tcp", Name: "pop3", Access: &facts.Access{StartTLS: boolp(true)}},                                                           // offered
		{Port: 21, Transport: "tcp", Name: "ftp", TLSAudit: &facts.TLS{StartTLS: "ftp", Versions: []facts.TLSVersion{{Name: facts.TLS12, Accepted: true}}}}, // upgraded
	}},
	{Address: "127.0.0.1", Services: []facts.Service{
		{Port: 8080, Transport: "tcp", Name: "http"},
	}},
	{Address: "10.0.0.9", Services: []facts.Service{
		{Port: 23, Transport: "tcp", Name: "telnet"},
		{Port: 5901, Transport: "tcp", Name: "vnc", Access: &facts.Access{SecurityTypes: []string{"None"}}},
		{Port: 5902, Transport: "tcp", Name: "vnc", Access: &facts.Access{SecurityTypes: []string{"VeNCrypt", "None"}}},
	}},
}

func TestJudgeFlows(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		flows    []facts.Flow
		want     []string // host:port subject
		evidence []string
	}{
		{name: "outbound psql to PostgreSQL that refuses SSLRequest",
			flows:    []facts.Flow{{Transport: "tcp", Local: "127.0.2.10:51234", Remote: "127.0.2.18:5433", Direction: "out", PID: 1234, Process: "psql"}},
			want:     []string{"127.0.2.18:5433 127.0.2.10"},
			evidence: []string{"127.0.2.10:51234 talks to 127.0.2.18:5433 over PostgreSQL without TLS (the server refuses SSLRequest; pid 1234 psql)"}},
		{name: "PostgreSQL with TLS is fine",
			flows: []facts.Flow{{Transport: "tcp", Local: "127.0.2.10:51234", Remote: "127.0.2.19:5432", Direction: "out"}}},
		{name: "Redis over TLS is fine, plain Redis is not",
			flows: []facts.Flow{
				{Transport: "tcp", Local: "127.0.2.10:40000", Remote: "127.0.2.19:6390", Direction: "out"},
				{Transport: "tcp", Local: "127.0.2.10:40001", Remote: "127.0.2.18:6379", Direction: "out"},
			},
			want: []string{"127.0.2.18:6379 127.0.2.10"}, evidence: []string{"over Redis without TLS"}},
		{name: "inbound to a local listener found by the scan on another of the machine's addresses",
			flows:    []facts.Flow{{Transport: "tcp", Local: "192.168.1.5:8080", Remote: "192.168.1.77:60000", Direction: "in", PID: 9, Process: "nginx"}},
			want:     []string{"192.168.1.5:8080 192.168.1.77"},
			evidence: []string{"192.168.1.77:60000 talks to 192.168.1.5:8080 over HTTP without TLS (server pid 9 nginx)"}},
		{name: "unknown STARTTLS support is not judged; refused is; offered or upgraded is fine",
			flows: []facts.Flow{
				{Local: "127.0.2.10:1", Remote: "127.0.2.14:25", Direction: "out"},
				{Local: "127.0.2.10:2", Remote: "127.0.2.14:143", Direction: "out"},
				{Local: "127.0.2.10:3", Remote: "127.0.2.14:110", Direction: "out"},
				{Local: "127.0.2.10:4", Remote: "127.0.2.14:21", Direction: "out"},
			},
			want: []string{"127.0.2.14:143 127.0.2.10"}, evidence: []string{"IMAP without TLS (the server offers no STARTTLS)"}},
		{name: "mysql without CLIENT_SSL, telnet, VNC without encryption; VNC with VeNCrypt is fine",
			flows: []facts.Flow{
				{Local: "127.0.2.10:5", Remote: "127.0.2.18:3307", Direction: "out"},
				{Local: "10.0.0.2:6", Remote: "10.0.0.9:23", Direction: "out"},
				{Local: "10.0.0.2:7", Remote: "10.0.0.9:5901", Direction: "out"},
				{Local: "10.0.0.2:8", Remote: "10.0.0.9:5902", Direction: "out"},
			},
			want: []string{"127.0.2.18:3307 127.0.2.10", "10.0.0.9:23 10.0.0.2", "10.0.0.9:5901 10.0.0.2"}},
		{name: "a server the scan never saw is not judged",
			flows: []facts.Flow{{Local: "10.0.0.2:9", Remote: "10.0.0.50:5432", Direction: "out"}}},
		{name: "same address on both ends never leaves the machine",
			flows: []facts.Flow{{Local: "127.0.0.1:50000", Remote: "127.0.0.1:8080", Direction: "out"}}},
		{name: "reconnects from one client are one finding",
			flows: []facts.Flow{
				{Local: "127.0.2.10:1000", Remote: "127.0.2.18:5433", Direction: "out"},
				{Local: "127.0.2.10:1001", Remote: "127.0.2.18:5433", Direction: "out"},
				{Local: "127.0.2.10:1002", Remote: "127.0.2.18:5433", Direction: "out"},
				{Local: "127.0.2.10:1003", Remote: "127.0.2.18:5433", Direction: "out"},
			},
			want: []string{"127.0.2.18:5433 127.0.2.10"}, evidence: []string{"and 1 more connection(s)"}},
		{name: "both ends of one connection on this machine are one connection",
			flows: []facts.Flow{
				{Local: "127.0.2.18:5433", Remote: "127.0.0.1:46662", Direction: "in", PID: 5671, Process: "postgres"},
				{Local: "127.0.0.1:46662", Remote: "127.0.2.18:5433", Direction: "out", PID: 5638, Process: "psql"},
			},
			want:     []string{"127.0.2.18:5433 127.0.0.1"},
			evidence: []string{"127.0.0.1:46662 talks to 127.0.2.18:5433 over PostgreSQL without TLS (the server refuses SSLRequest; pid 5638 psql, server pid 5671 postgres)"}},
		{name: "IPv6 and IPv4-mapped addresses",
			flows: []facts.Flow{{Local: "[::ffff:127.0.2.10]:4000", Remote: "[::ffff:127.0.2.18]:5433", Direction: "out"}},
			want:  []string{"127.0.2.18:5433 127.0.2.10"}},
		{name: "garbage addresses are skipped",
			flows: []facts.Flow{{Local: "nonsense", Remote: "127.0.2.18:5433", Direction: "out"}, {Local: "1.2.3.4:1", Remote: "127.0.2.18:99999", Direction: "out"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &facts.HostAudit{Hostname: "h", Addresses: []string{"192.168.1.5", "fe80::1"}, Flows: tc.flows}
			got := JudgeFlows(h, scannedLab, now)
			var keys []string
			for _, f := range got {
				keys = append(keys, fmt.Sprintf("%s:%d %s", f.Host, f.Port, f.Subject))
				if f.Check != "flow.cleartext" || f.Severity != finding.High || f.Recommendation == "" {
					t.Errorf("bad finding %+v", f)
				}
			}
			if !sameSet(keys, tc.want) {
				t.Errorf("findings %v, want %v", keys, tc.want)
			}
			for _, ev := range tc.evidence {
				found := false
				for _, f := range got {
					found = found || strings.Contains(f.Evidence, ev)
				}
				if !found {
					t.Errorf("no evidence contains %q: %+v", ev, got)
				}
			}
		})
	}
}

func TestJudgeFlowsNothingToJoin(t *testing.T) {
	if got := JudgeFlows(nil, scannedLab, time.Time{}); got != nil {
		t.Errorf("nil audit: %v", got)
	}
	h := &facts.HostAudit{Flows: []facts.Flow{{Local: "127.0.2.10:1", Remote: "127.0.2.18:5433", Direction: "out"}}}
	if got := JudgeFlows(h, nil, time.Time{}); got != nil {
		t.Errorf("no scan: %v", got)
	}
}

func TestFlowFixIsProductSpecific(t *testing.T) {
	h := &facts.HostAudit{Flows: []facts.Flow{{Local: "127.0.2.10:1", Remote: "127.0.2.18:5433", Direction: "out"}}}
	got := JudgeFlows(h, scannedLab, time.Time{})
	if len(got) != 1 || !strings.Contains(got[0].Recommendation, "hostssl") || !strings.Contains(got[0].Recommendation, "sslmode=verify-full") {
		t.Errorf("PostgreSQL fix: %+v", got)
	}
}
