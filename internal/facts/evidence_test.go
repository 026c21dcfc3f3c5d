package facts

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

type testEvidence struct {
	Count int    `json:"count"`
	Note  string `json:"note,omitempty"`
}

var testKey = NewKey[testEvidence]("demo")

func TestEvidenceGetSet(t *testing.T) {
	var s Service
	if testKey.Get(&s) != nil || testKey.Get(nil) != nil {
		t.Fatal("evidence on an empty service")
	}
	v := &testEvidence{Count: 1}
	testKey.Set(&s, v)
	if got := testKey.Get(&s); got != v {
		t.Fatalf("Get = %v, want the value set", got)
	}
	// A copy made before a Set does not see it, and a Set on a copy does
	// not reach the original.
	c := s
	testKey.Set(&c, &testEvidence{Count: 2})
	if testKey.Get(&s).Count != 1 || testKey.Get(&c).Count != 2 {
		t.Errorf("copies share evidence: %v %v", testKey.Get(&s), testKey.Get(&c))
	}
	// Another key of another type under another name is independent.
	other := NewKey[string]("other")
	if other.Get(&s) != nil {
		t.Error("other key reads demo's evidence")
	}
	testKey.Set(&s, nil)
	if testKey.Get(&s) != nil || s.Evidence.Len() != 0 {
		t.Errorf("Set(nil) kept %v", s.Evidence.Names())
	}
}

func TestServiceJSONRoundTrip(t *testing.T) {
	s := Service{Port: 123, Transport: UDP, Name: "ntp", Banner: "a <b> & c", AuditErrors: []string{"x"}}
	testKey.Set(&s, &testEvidence{Count: 3, Note: "<1>"})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"port":123,"transport":"udp","name":"ntp","tls":false,"banner":"a \u003cb\u003e \u0026 c","audit_errors":["x"],"demo":{"count":3,"note":"\u003c1\u003e"}}`
	if string(b) != want {
		t.Errorf("Marshal\n got %s\nwant %s", b, want)
	}
	// An encoder told not to escape HTML does not.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode([]Service{s}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"banner":"a <b> & c"`) || !strings.Contains(buf.String(), `"note":"<1>"`) {
		t.Errorf("unescaped encoding: %s", buf.String())
	}

	var back Service
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Port != 123 || back.Name != "ntp" || back.Banner != s.Banner || len(back.AuditErrors) != 1 {
		t.Errorf("fields: %+v", back)
	}
	if got := testKey.Get(&back); got == nil || *got != (testEvidence{Count: 3, Note: "<1>"}) {
		t.Errorf("evidence after the round trip: %+v", got)
	}
	again, err := json.Marshal(back)
	if err != nil || string(again) != want {
		t.Errorf("second marshal\n got %s\nwant %s (%v)", again, want, err)
	}
}

func TestServiceJSONWithoutEvidence(t *testing.T) {
	s := Service{Port: 22, Transport: TCP, Name: "ssh", SSH: &SSH{ProtocolVersion: "2.0"}}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	type plain Service // the encoding before Service had JSON methods
	old, _ := json.Marshal(plain(s))
	if string(b) != string(old) {
		t.Errorf("got %s, want %s", b, old)
	}
	var back Service
	if err := json.Unmarshal([]byte(`{"port":22,"transport":"tcp","name":"ssh","tls":false,"ssh":{"protocol_version":"2.0"},"demo":null}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.SSH == nil || back.SSH.ProtocolVersion != "2.0" || back.Evidence.Len() != 0 {
		t.Errorf("got %+v, evidence %v", back, back.Evidence.Names())
	}
}

func TestServiceJSONBadEvidence(t *testing.T) {
	var s Service
	if err := json.Unmarshal([]byte(`{"port":1,"transport":"tcp","name":"x","tls":false,"demo":"not an object"}`), &s); err != nil {
		t.Fatal(err)
	}
	if testKey.Get(&s) != nil {
		t.Error("evidence of the wrong shape decoded")
	}
	if err := json.Unmarshal([]byte(`{"port":"one"}`), &s); err == nil {
		t.Error("a bad field was accepted")
	}
}

// FuzzServiceJSON: any service object vigil reads back (from the store or
// a file) writes out again stably: what it writes reads back to the same
// bytes.
func FuzzServiceJSON(f *testing.F) {
	f.Add([]byte(`{"port":123,"transport":"udp","name":"ntp","tls":false,"ntp":{"mode7":{"request":"MON_GETLIST_1","sent":48}}}`))
	f.Add([]byte(`{"port":1,"PORT":2,"demo":{"count":1},"Demo":null}`))
	f.Add([]byte(`{"name":"x","details":{"a":"b"},"x11":"<&>"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Service
		if json.Unmarshal(b, &s) != nil {
			return
		}
		once, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var again Service
		if err := json.Unmarshal(once, &again); err != nil {
			t.Fatalf("%s does not read back: %v", once, err)
		}
		twice, err := json.Marshal(again)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("unstable:\n%s\n%s (%v)", once, twice, err)
		}
	})
}

func TestNewKeyRefusesFieldNames(t *testing.T) {
	for _, name := range []string{"", "tls", "Banner", "audit_errors"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewKey(%q) did not panic", name)
				}
			}()
			NewKey[int](name)
		}()
	}
}
