package ntp

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/module"
)

func TestJudge(t *testing.T) {
	mode6 := &Amplification{Request: "READVAR", Sent: 12, Received: 468, Packets: 1, Items: 20}
	mode7 := &Amplification{Request: "MON_GETLIST_1", Sent: 48, Received: 5520, Packets: 12, Items: 66}
	mode7err := &Amplification{Request: "MON_GETLIST_1", Sent: 48, Received: 8, Packets: 1, Error: 4}
	mode6err := &Amplification{Request: "READVAR", Sent: 12, Received: 12, Packets: 1, Error: 5}
	tests := []struct {
		name string
		a    *Audit
		want []string // check IDs
		ev   []string
	}{
		{"no audit", nil, nil, nil},
		{"silent (chrony)", &Audit{}, nil, nil},
		{"mode 6", &Audit{Mode6: mode6}, []string{"ntp.mode6"}, []string{"one 12-byte READVAR request drew 1 datagrams, 468 bytes: amplification 39.0× (20 system variables)"}},
		{"mode 7", &Audit{Mode7: mode7}, []string{"ntp.mode7"}, []string{"amplification 115.0× (66 recent-client entries)"}},
		{"both", &Audit{Mode6: mode6, Mode7: mode7}, []string{"ntp.mode6", "ntp.mode7"}, []string{"READVAR", "MON_GETLIST_1"}},
		{"errors only", &Audit{Mode6: mode6err, Mode7: mode7err}, nil, nil},
		{"capped", &Audit{Mode7: &Amplification{Request: "MON_GETLIST_1", Sent: 48, Received: 64000, Packets: 128, Capped: true}}, []string{"ntp.mode7"}, []string{"at least 128 datagrams"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &facts.Service{Port: 123, Transport: "udp", Name: "ntp"}
			Evidence.Set(s, tt.a)
			hits := Module.Judge(module.Input{Service: s})
			if len(hits) != len(tt.want) {
				t.Fatalf("got %+v, want %v", hits, tt.want)
			}
			for i, h := range hits {
				if h.Check != tt.want[i] || !strings.Contains(h.Evidence, tt.ev[i]) {
					t.Errorf("hit %d: %s %q, want %s with %q", i, h.Check, h.Evidence, tt.want[i], tt.ev[i])
				}
			}
			if examined := checks[0].Examines(s); examined != (tt.a != nil) {
				t.Errorf("Examines = %v", examined)
			}
		})
	}
}

// TestEvidenceJSON: the evidence is the service's "ntp" member, as the
// field facts.Service.NTP wrote it before the module, and reads back.
func TestEvidenceJSON(t *testing.T) {
	s := facts.Service{Port: 123, Transport: "udp", Name: "ntp"}
	Evidence.Set(&s, &Audit{Mode7: &Amplification{Request: "MON_GETLIST_1", Sent: 48, Received: 4400, Packets: 10, Items: 60}})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"port":123,"transport":"udp","name":"ntp","tls":false,"ntp":{"mode7":{"request":"MON_GETLIST_1","sent":48,"received":4400,"packets":10,"items":60}}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back facts.Service
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	hits := Module.Judge(module.Input{Service: &back})
	if len(hits) != 1 || hits[0].Check != "ntp.mode7" {
		t.Errorf("judged after a round trip: %+v", hits)
	}
}
