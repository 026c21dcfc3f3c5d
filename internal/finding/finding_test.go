package finding

import (
	"encoding/json"
	"strings"
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

func TestVulnerabilityOrderAndWords(t *testing.T) {
	p := func(f float64) *float64 { return &f }
	// Real records: regreSSHion (Debian 12 fix), Apache's path traversal
	// (exploited in the wild), HTTP/2 Rapid Reset as Debian rates it for
	// nginx, and Terrapin before NVD scored it.
	regresshion := Vulnerability{ID: "CVE-2024-6387", CVSS: 8.1, EPSS: p(0.99506), Fixed: "1:9.2p1-2+deb12u3"}
	traversal := Vulnerability{ID: "CVE-2021-41773", CVSS: 7.5, KEV: true, KEVAdded: "2021-11-03", EPSS: p(0.99992), Fixed: "2.4.50"}
	rapidReset := Vulnerability{ID: "CVE-2023-44487", CVSS: 7.5, KEV: true, KEVAdded: "2023-10-10", EPSS: p(0.99999), Urgency: Unimportant}
	terrapin := Vulnerability{ID: "CVE-2023-48795", Fixed: "1:9.2p1-2+deb12u2"}

	vs := []Vulnerability{rapidReset, terrapin, regresshion, traversal}
	var ids []string
	for _, v := range WorstFirst(vs) {
		ids = append(ids, v.ID)
	}
	if got := strings.Join(ids, " "); got != "CVE-2021-41773 CVE-2024-6387 CVE-2023-48795 CVE-2023-44487" {
		t.Errorf("WorstFirst: %s", got)
	}
	if vs[0].ID != "CVE-2023-44487" {
		t.Error("WorstFirst reordered its argument")
	}

	tests := []struct {
		v    Vulnerability
		want string
	}{
		{regresshion, "CVSS 8.1, EPSS 99.51%, fixed in 1:9.2p1-2+deb12u3"},
		{traversal, "CVSS 7.5, KEV since 2021-11-03, EPSS 99.99%, fixed in 2.4.50"},
		{rapidReset, "CVSS 7.5, KEV since 2023-10-10, EPSS >99.99%, unimportant for the distribution"},
		{terrapin, "unscored, fixed in 1:9.2p1-2+deb12u2"},
		{Vulnerability{ID: "X", KEV: true, Urgency: "low"}, "unscored, KEV, distribution urgency low"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.v.Notes(), ", "); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.v.ID, got, tt.want)
		}
	}

	f := Finding{Title: "Apache httpd 2.4.49 has 1 known vulnerability, 1 exploited in the wild", Vulnerabilities: []Vulnerability{traversal}}
	if got := f.Headline(); got != f.Title+"; worst CVE-2021-41773 (CVSS 7.5, KEV since 2021-11-03, EPSS 99.99%, fixed in 2.4.50)" {
		t.Errorf("Headline: %q", got)
	}
	if f := (Finding{Title: "SSH server offers weak ciphers"}); f.Headline() != f.Title {
		t.Errorf("Headline of a finding without vulnerabilities: %q", f.Headline())
	}
}

func TestPercent(t *testing.T) {
	for p, want := range map[float64]string{0.94358: "94.36%", 0.19753: "19.75%", 0.0012: "0.12%", 0.00004: "<0.01%",
		0: "0%", 0.99999: ">99.99%", 1: "100.00%", 0.5: "50.00%"} {
		if got := Percent(p); got != want {
			t.Errorf("Percent(%v) = %q, want %q", p, got, want)
		}
	}
}
