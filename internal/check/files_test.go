package check

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestJudgeFiles(t *testing.T) {
	rpc := func(read bool, es ...facts.NFSExport) facts.Service {
		return facts.Service{Port: 111, Transport: facts.TCP, Name: "rpcbind", RPC: &facts.RPC{ExportsRead: read, Exports: es, MountdPort: 20048}}
	}
	tests := []struct {
		name string
		s    facts.Service
		want []hitWant
	}{
		{"nfs world", rpc(true, facts.NFSExport{Path: "/srv/world"}, facts.NFSExport{Path: "/srv/star", Groups: []string{"*"}}, facts.NFSExport{Path: "/srv/lan", Groups: []string{"10.0.0.0/24"}}),
			[]hitWant{
				{check: "nfs.export.world", subject: "/srv/world", evidence: []string{"/srv/world", "no client group (everyone)", "port 20048"}},
				{check: "nfs.export.world", subject: "/srv/star", evidence: []string{`client groups "*"`}},
			}},
		{"nfs any address", rpc(true, facts.NFSExport{Path: "/a", Groups: []string{"0.0.0.0/0"}}), []hitWant{{check: "nfs.export.world", subject: "/a"}}},
		{"nfs restricted", rpc(true, facts.NFSExport{Path: "/srv/lan", Groups: []string{"127.0.2.99"}}), nil},
		{"nfs exports not read", rpc(false), nil},
		{"iscsi open", facts.Service{Port: 3260, Transport: facts.TCP, Name: "iscsi", ISCSI: &facts.ISCSI{DiscoveryOpen: true, Targets: []string{"iqn.2026-12.lab:disk1"}}},
			[]hitWant{{check: "iscsi.discovery.open", evidence: []string{"AuthMethod=None", `"iqn.2026-12.lab:disk1"`}}}},
		{"iscsi chap", facts.Service{Port: 3260, Transport: facts.TCP, Name: "iscsi", ISCSI: &facts.ISCSI{StatusClass: 2, StatusDetail: 1}}, nil},
		{"mssql no encryption", facts.Service{Port: 1433, Transport: facts.TCP, Name: "mssql", MSSQL: &facts.MSSQL{Version: "16.0.1000", Encryption: facts.MSSQLEncryptNotSup}},
			[]hitWant{{check: "cleartext.mssql", evidence: []string{"16.0.1000", "ENCRYPT_NOT_SUP", "tcp/1433"}}}},
		{"mssql required", facts.Service{Port: 1433, Transport: facts.TCP, Name: "mssql", MSSQL: &facts.MSSQL{Version: "16.0.1000", Encryption: facts.MSSQLEncryptRequired}}, nil},
		{"mssql off", facts.Service{Port: 1433, Transport: facts.TCP, Name: "mssql", MSSQL: &facts.MSSQL{Encryption: facts.MSSQLEncryptOff}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			hits := judgeFiles(Input{Service: &s})
			if len(hits) != len(tt.want) {
				t.Fatalf("got %d hits %+v, want %d", len(hits), hits, len(tt.want))
			}
			for _, w := range tt.want {
				i := slices.IndexFunc(hits, func(h Hit) bool { return h.Check == w.check && h.Subject == w.subject })
				if i < 0 {
					t.Fatalf("no %s/%s hit", w.check, w.subject)
				}
				h := hits[i]
				f := MakeFinding(h, "127.0.2.80", s.Port, s.Transport)
				wantSev := w.severity
				if wantSev == 0 {
					c, _ := Lookup(w.check)
					wantSev = c.Severity
				}
				if f.Severity != wantSev {
					t.Errorf("%s severity %s, want %s", w.check, f.Severity, wantSev)
				}
				for _, e := range w.evidence {
					if !strings.Contains(h.Evidence, e) {
						t.Errorf("%s evidence %q lacks %q", w.check, h.Evidence, e)
					}
				}
			}
		})
	}
}

func TestJudgeFilesUDPPortMapperDefersToTCP(t *testing.T) {
	world := []facts.NFSExport{{Path: "/srv/world"}}
	tcp := facts.Service{Port: 111, Transport: facts.TCP, Name: "rpcbind", RPC: &facts.RPC{ExportsRead: true, Exports: world}}
	udp := facts.Service{Port: 111, Transport: facts.UDP, Name: "rpcbind", RPC: &facts.RPC{ExportsRead: true, Exports: world}}
	both := &facts.Host{Address: "127.0.2.81", Services: []facts.Service{tcp, udp}}
	if hits := judgeFiles(Input{Host: both, Service: &both.Services[1]}); len(hits) != 0 {
		t.Errorf("UDP judged again: %+v", hits)
	}
	if hits := judgeFiles(Input{Host: both, Service: &both.Services[0]}); len(hits) != 1 {
		t.Errorf("TCP: %+v", hits)
	}
	alone := &facts.Host{Address: "127.0.2.81", Services: []facts.Service{udp}}
	if hits := judgeFiles(Input{Host: alone, Service: &alone.Services[0]}); len(hits) != 1 {
		t.Errorf("UDP alone: %+v", hits)
	}
}
