package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/lab"
)

// udpLabIDs are the services of the lab's udp part (lab/parts/udp.sh).
var udpLabIDs = []string{
	"udp-tftp-weak", "udp-tftp-hard", "udp-sip-weak", "udp-sip-weak-tcp", "udp-sip-hard", "udp-sip-ua", "udp-coap",
	"udp-mdns", "udp-ssdp", "udp-netbios",
}

// udpLabScan runs vigil scan over the udp part's hosts, naming the TCP and
// UDP ports explicitly, and returns the document.
func udpLabScan(t *testing.T, m *lab.Manifest, ids []string, extra ...string) udpScanDoc {
	t.Helper()
	var hosts, tcp, udp []string
	add := func(list *[]string, v string) {
		for _, x := range *list {
			if x == v {
				return
			}
		}
		*list = append(*list, v)
	}
	for _, id := range ids {
		s := m.Find(id)
		if s.ID == "" {
			// A lab started before the part existed: like lab.Require, skip
			// outside CI and fail in it.
			msg := "the lab has no service " + id + ": restart it with the udp part (lab/lab.sh up, or VIGIL_LAB_ONLY=udp)"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		add(&hosts, s.Host)
		if s.Transport == "udp" {
			add(&udp, strconv.Itoa(s.Port))
		} else {
			add(&tcp, strconv.Itoa(s.Port))
		}
	}
	if len(tcp) == 0 {
		tcp = []string{"1"}
	}
	file := filepath.Join(t.TempDir(), "scan.json")
	args := append([]string{"scan"}, hosts...)
	args = append(args, "-p", strings.Join(tcp, ","), "--udp-ports", strings.Join(udp, ","), "-P", "--no-store", "--format", "json", "-o", file)
	args = append(args, extra...)
	if code, _, stderr := run(t, args...); code != ExitOK && code != ExitFindings {
		t.Fatalf("vigil %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d udpScanDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

type udpScanDoc struct {
	Hosts []struct {
		Address  string
		Services []struct {
			Port                              int
			Transport, Name, Product, Version string
		}
	}
	Findings []struct {
		Check, Severity, Host, Transport string
		Port                             int
	}
}

// TestLabUDPPart: every service of the udp part (TFTP, SIP over UDP and
// TCP, CoAP on loopback; mDNS, SSDP, NetBIOS-NS in the part's namespace) is
// identified by a scan that names it, with the product and version its
// manifest entry says; tftp.open fires on both TFTP servers (medium), the
// hardened twins have no high finding, and from an untrusted network the
// weak TFTP server's finding is high.
func TestLabUDPPart(t *testing.T) {
	m := lab.Require(t)
	d := udpLabScan(t, m, udpLabIDs)
	for _, id := range udpLabIDs {
		s := m.Find(id)
		found := false
		for _, h := range d.Hosts {
			for _, got := range h.Services {
				if h.Address != s.Host || got.Port != s.Port || got.Transport != s.Transport {
					continue
				}
				found = true
				t.Logf("%s %s:%d/%s: %s %q %q", id, s.Host, s.Port, s.Transport, got.Name, got.Product, got.Version)
				if got.Name != s.Name || got.Product != s.Product || s.Version != "" && got.Version != s.Version {
					t.Errorf("%s: got %s %q %q, manifest says %s %q %q (%s)", id, got.Name, got.Product, got.Version, s.Name, s.Product, s.Version, s.Notes)
				}
			}
		}
		if !found {
			t.Errorf("%s (%s:%d/%s) not in the scan", id, s.Host, s.Port, s.Transport)
		}
	}
	tftp := map[string]string{}
	for _, f := range d.Findings {
		if f.Check == "tftp.open" && f.Port == 69 && f.Transport == "udp" {
			tftp[f.Host] = f.Severity
		}
	}
	weak, hard := m.Find("udp-tftp-weak").Host, m.Find("udp-tftp-hard").Host
	if tftp[weak] != "medium" || tftp[hard] != "medium" {
		t.Errorf("tftp.open: %v, want medium on %s and %s", tftp, weak, hard)
	}
	for _, f := range d.Findings {
		for _, id := range []string{"udp-tftp-hard", "udp-sip-hard"} {
			if f.Host == m.Find(id).Host && (f.Severity == "high" || f.Severity == "critical") {
				t.Errorf("hardened %s has a %s finding: %s", id, f.Severity, f.Check)
			}
		}
	}

	u := udpLabScan(t, m, []string{"udp-tftp-weak"}, "--untrusted")
	sev := ""
	for _, f := range u.Findings {
		if f.Check == "tftp.open" && f.Host == weak {
			sev = f.Severity
		}
	}
	if sev != "high" {
		t.Errorf("tftp.open from an untrusted network: %q, want high", sev)
	}
}
