package smb

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// seed reads a fuzz corpus file (testdata/fuzz/FUZZ/NAME): the messages
// there were captured from the lab's Samba 4.17 (smb-weak).
func seed(t *testing.T, fuzz, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", fuzz, name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a corpus file", name)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return []byte(s)
}

// TestSambaMessages parses what Samba really sent.
func TestSambaMessages(t *testing.T) {
	r, err := ParseResponse(seed(t, "FuzzParseResponse", "samba-negotiate"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ParseNegotiate(r); err != nil || n.Dialect != Dialect302 || n.SecurityMode&SigningRequired != 0 {
		t.Errorf("negotiate: %+v %v", n, err)
	}
	r, err = ParseResponse(seed(t, "FuzzParseResponse", "samba-session-setup-challenge"))
	if err != nil || r.Status != StatusMoreProcessingRequired {
		t.Fatalf("session setup: %v", err)
	}
	_, tok, err := ParseSessionSetup(r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseChallenge(FindNTLM(tok))
	if err != nil || c.NetBIOSComputer != "SMBWEAK" || c.OSVersion() != "6.1.0" || c.Timestamp == 0 {
		t.Errorf("challenge: %+v %v", c, err)
	}
	for _, name := range []string{"samba-session-setup-null", "samba-tree-connect"} {
		if r, err := ParseResponse(seed(t, "FuzzParseResponse", name)); err != nil || r.Status != StatusSuccess {
			t.Errorf("%s: status %x %v", name, r.Status, err)
		}
	}
	if err := ParseBindAck(seed(t, "FuzzParseRPC", "samba-bind-ack")); err != nil {
		t.Errorf("bind_ack: %v", err)
	}
	frag, _, err := ParseRPCResponse(seed(t, "FuzzParseRPC", "samba-netshareenumall"))
	if err != nil || !frag.Last {
		t.Fatalf("NetrShareEnumAll response: %v", err)
	}
	shares, werr, err := ParseNetShareEnumAll(frag.Stub)
	var names []string
	for _, s := range shares {
		if !s.IsIPC() {
			names = append(names, s.Name)
		}
	}
	if err != nil || werr != 0 || len(shares) != 3 || !slices.Equal(names, []string{"public", "records"}) {
		t.Errorf("shares %+v werr %x %v", shares, werr, err)
	}
	n1, err := ParseSMB1Negotiate(seed(t, "FuzzParseSMB1", "samba-smb1-negotiate"))
	if err != nil || !n1.Accepted || n1.SecurityMode&SMB1SigningRequired != 0 {
		t.Errorf("SMB1 negotiate: %+v %v", n1, err)
	}
	s1, err := ParseSMB1SessionSetup(seed(t, "FuzzParseSMB1", "samba-smb1-session-setup"))
	if err != nil || s1.NativeLanMan != "Samba 4.17.12-Debian" || s1.NativeOS != "Windows 6.1" || s1.Status != StatusMoreProcessingRequired {
		t.Errorf("SMB1 session setup: %+v %v", s1, err)
	}
}
