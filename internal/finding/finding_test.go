package finding

import (
	"encoding/json"
	"testing"
)

func TestSeverityText(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Severity
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("round trip of %v gave %v, %v", s, back, err)
		}
	}
	if _, err := Severity(0).MarshalText(); err == nil {
		t.Error("the zero severity marshalled")
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("an unknown severity parsed")
	}
	if s, err := ParseSeverity(" HIGH "); err != nil || s != High {
		t.Errorf("ParseSeverity(HIGH) = %v, %v", s, err)
	}
}

func TestFindingJSON(t *testing.T) {
	f := Finding{ID: "x", Check: "ssh.cipher.weak", Severity: High, Host: "127.0.2.12", Port: 2222, Transport: "tcp", Title: "t", Evidence: "e", Recommendation: "r", Frameworks: []string{"CIS 3.10"}}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["severity"] != "high" || m["port"] != float64(2222) {
		t.Errorf("JSON = %s", b)
	}
}

func TestMakeIDIsStableAndDistinct(t *testing.T) {
	a := MakeID("ssh.cipher.weak", "127.0.2.12", 2222, "tcp", "")
	if a != MakeID("ssh.cipher.weak", "127.0.2.12", 2222, "tcp", "") {
		t.Error("same inputs gave different IDs")
	}
	others := []string{
		MakeID("ssh.mac.weak", "127.0.2.12", 2222, "tcp", ""),
		MakeID("ssh.cipher.weak", "127.0.2.13", 2222, "tcp", ""),
		MakeID("ssh.cipher.weak", "127.0.2.12", 22, "tcp", ""),
		MakeID("ssh.cipher.weak", "127.0.2.12", 2222, "udp", ""),
		MakeID("ssh.cipher.weak", "127.0.2.12", 2222, "tcp", "rsa"),
	}
	for _, o := range others {
		if o == a {
			t.Errorf("ID collision: %s", o)
		}
	}
}

func TestSortWorstFirstThenHostNumerically(t *testing.T) {
	fs := []Finding{
		{Severity: Low, Host: "127.0.2.9"},
		{Severity: High, Host: "127.0.2.10", Port: 22},
		{Severity: High, Host: "127.0.2.9", Port: 80},
		{Severity: Critical, Host: "127.0.2.30"},
	}
	Sort(fs)
	got := []string{}
	for _, f := range fs {
		got = append(got, f.Severity.String()+"@"+f.Host)
	}
	want := []string{"critical@127.0.2.30", "high@127.0.2.9", "high@127.0.2.10", "low@127.0.2.9"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
}
