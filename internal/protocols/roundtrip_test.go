package protocols_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/check"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/protocols/ntp"
	"github.com/vigilsec/vigil/internal/protocols/rsync"
	"github.com/vigilsec/vigil/internal/protocols/x11"
	"github.com/vigilsec/vigil/internal/result"
)

// TestDocumentRoundTrip: a scan result written as vigil/scan/v1 and read
// back (as the store and `vigil report` do) carries the modules' evidence,
// and judging it again gives the same findings.
func TestDocumentRoundTrip(t *testing.T) {
	now := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	n := facts.Service{Port: 123, Transport: facts.UDP, Name: "ntp"}
	ntp.Evidence.Set(&n, &ntp.Audit{Mode7: &ntp.Amplification{Request: "MON_GETLIST_1", Sent: 48, Received: 4400, Packets: 10, Items: 60}})
	r := facts.Service{Port: 873, Transport: facts.TCP, Name: "rsync"}
	rsync.Evidence.Set(&r, &rsync.Daemon{Protocol: "31.0", Listed: true, Modules: []rsync.Share{{Name: "pub", Access: rsync.Open}}})
	x := facts.Service{Port: 6000, Transport: facts.TCP, Name: "x11"}
	x11.Evidence.Set(&x, &x11.Setup{Status: x11.Success, ProtocolMajor: 11, Vendor: "The X.Org Foundation", Release: 12101007})
	hosts := []facts.Host{{Address: "127.0.2.1", Services: []facts.Service{n, r, x}}}
	before := check.JudgeHosts(hosts, now)
	if len(before) < 3 {
		t.Fatalf("findings before: %+v", before)
	}

	doc := result.Assemble("test", now, now, []string{"127.0.2.1"}, hosts, before, nil)
	var buf bytes.Buffer
	if err := doc.Write(&buf); err != nil {
		t.Fatal(err)
	}
	for _, member := range []string{`"ntp": {`, `"rsync": {`, `"x11": {`} {
		if !bytes.Contains(buf.Bytes(), []byte(member)) {
			t.Errorf("the document lacks %s", member)
		}
	}
	back, err := result.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	after := check.JudgeHosts(back.FactsHosts(), now)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("findings differ after the round trip:\n%+v\n%+v", before, after)
	}
	s := back.FactsHosts()[0].Services
	if a := ntp.Evidence.Get(&s[0]); a == nil || a.Mode7.Items != 60 {
		t.Errorf("ntp evidence %+v", a)
	}
	if d := rsync.Evidence.Get(&s[1]); d == nil || d.Modules[0].Name != "pub" {
		t.Errorf("rsync evidence %+v", d)
	}
}
