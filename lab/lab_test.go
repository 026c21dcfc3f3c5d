package lab

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/proto"
)

// TestUpIsIdempotent runs `lab.sh up` twice in a row: the second run must
// stop the first lab cleanly and start a working one again. It runs before
// TestServicesAnswer, which then finds the lab up.
func TestUpIsIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole lab twice")
	}
	requireRoot(t)
	for run := 1; run <= 2; run++ {
		out, err := runScript(t.Context(), "lab.sh", "up")
		if err != nil {
			t.Fatalf("lab.sh up, run %d: %v\n%s", run, err, tail(out, 40))
		}
		m, err := Load(Dir())
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if err := healthy(t.Context(), m); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
}

// inVocabulary reports whether name is a protocol of vigil's table
// (internal/proto: DESIGN.md's names and those added since), or "unknown".
func inVocabulary(name string) bool {
	_, ok := proto.Lookup(name)
	return ok || name == proto.Unknown
}

func TestServicesAnswer(t *testing.T) {
	m := Require(t)
	for _, f := range []string{m.CA, m.ClientKey, m.KnownHosts} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("manifest names a missing file: %v", err)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range m.Services {
		row := fmt.Sprintf("| `%s` | %d/%s |", s.ID, s.Port, s.Transport)
		if !bytes.Contains(readme, []byte(row)) {
			t.Errorf("README.md's table lacks %q", row)
		}
		t.Run(s.ID, func(t *testing.T) {
			if seen[s.ID] {
				t.Errorf("duplicate id %s", s.ID)
			}
			seen[s.ID] = true
			// A lab alias, or an address in a part's own network namespace
			// (10.78.0.0/16: lab/parts/udp.sh's 10.78.9.2).
			if a := s.AddrPort().Addr(); !netip.MustParsePrefix("127.0.2.0/24").Contains(a) && !netip.MustParsePrefix("10.78.0.0/16").Contains(a) {
				t.Errorf("host %q is neither a lab alias in 127.0.2.0/24 nor in a part's namespace (10.78.0.0/16)", s.Host)
			}
			if !inVocabulary(s.Name) {
				t.Errorf("name %q is not in vigil's protocol table (internal/proto)", s.Name)
			}
			if !slices.Contains([]string{"weak", "hard", ""}, s.Twin) {
				t.Errorf("twin %q", s.Twin)
			}
			if err := s.Answer(t.Context(), 5*time.Second); err != nil {
				t.Error(err)
			}
		})
	}
	for _, id := range []string{"web-weak-https", "ssh-hard", "mail-weak-smtp", "db-hard-redis",
		"iot-weak-snmp", "iot-hard-snmp", "misc-dns", "misc-ntp", "hostile-flood", "legacy-tls"} {
		if m.Find(id).ID != id {
			t.Errorf("manifest lacks %s", id)
		}
	}
	if m.Find("no-such-service").ID != "" {
		t.Error("Find of an unknown id returned a service")
	}
}

// TestPlanted checks that the weaknesses and the hardening the manifest
// promises are really there, with the Go standard library as the client.
func TestPlanted(t *testing.T) {
	m := Require(t)
	ca, err := os.ReadFile(m.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		t.Fatal("the lab CA is not PEM")
	}
	for _, tc := range []struct {
		id    string
		check func(t *testing.T, s Service)
	}{
		{"web-weak-http", func(t *testing.T, s Service) {
			resp := httpGet(t, "http://"+s.Address()+"/", nil)
			if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("GET / = %d, WWW-Authenticate %q; want 401 Basic", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(resp.Header.Get("Server"), "nginx/"+s.Version) {
				t.Errorf("Server %q does not reveal nginx/%s", resp.Header.Get("Server"), s.Version)
			}
			resp = httpGet(t, "http://"+s.Address()+"/login.html", nil)
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			if !bytes.Contains(body, []byte(`type="password"`)) {
				t.Errorf("/login.html has no password input: %s", body)
			}
		}},
		{"web-weak-https", func(t *testing.T, s Service) {
			st := tlsState(t, s, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10,
				CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}})
			c := st.PeerCertificates[0]
			if c.NotAfter.After(time.Now()) || c.SignatureAlgorithm != x509.SHA1WithRSA || c.VerifyHostname(s.Host) == nil {
				t.Errorf("certificate: expires %v, signature %v, valid for %s: want expired, SHA-1, not for the address", c.NotAfter, c.SignatureAlgorithm, s.Host)
			}
			if _, err := tlsDial(t.Context(), s, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}); err == nil {
				t.Error("TLS 1.3 accepted")
			}
		}},
		{"web-weak-expiring", func(t *testing.T, s Service) {
			st := tlsState(t, s, &tls.Config{RootCAs: roots, ServerName: s.Host})
			if left := time.Until(st.PeerCertificates[0].NotAfter); left > 11*24*time.Hour || left < 0 {
				t.Errorf("certificate expires in %v, want about 10 days", left)
			}
		}},
		{"web-hard-https", func(t *testing.T, s Service) {
			tlsState(t, s, &tls.Config{RootCAs: roots, ServerName: s.Host})
			if _, err := tlsDial(t.Context(), s, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
				t.Error("TLS 1.1 accepted")
			}
		}},
		{"web-hard-http", func(t *testing.T, s Service) {
			resp := httpGet(t, "http://"+s.Address()+"/x", func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
			if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://127.0.2.11/x" {
				t.Errorf("got %d to %q, want 301 to https://127.0.2.11/x", resp.StatusCode, resp.Header.Get("Location"))
			}
		}},
		{"ssh-hard", func(t *testing.T, s Service) {
			banner, kex := sshKexinit(t, s)
			if !strings.HasPrefix(banner, "SSH-2.0-OpenSSH_"+s.Version) {
				t.Errorf("banner %q", banner)
			}
			if !strings.Contains(kex, "kex-strict-s-v00@openssh.com") || strings.Contains(kex, "-cbc") || strings.Contains(kex, "sha1") {
				t.Errorf("KEXINIT %q: want strict kex, no CBC, no SHA-1", kex)
			}
		}},
		{"ssh-weak", func(t *testing.T, s Service) {
			_, kex := sshKexinit(t, s)
			for _, alg := range []string{"diffie-hellman-group1-sha1", "3des-cbc", "hmac-md5", "ssh-dss"} {
				if !strings.Contains(kex, alg) {
					t.Errorf("KEXINIT lacks %s: %q", alg, kex)
				}
			}
		}},
		{"legacy-terrapin", func(t *testing.T, s Service) {
			_, kex := sshKexinit(t, s)
			if !strings.Contains(kex, "chacha20-poly1305@openssh.com") || strings.Contains(kex, "kex-strict") {
				t.Errorf("KEXINIT %q: want ChaCha20-Poly1305 without strict kex", kex)
			}
		}},
		{"db-weak-postgresql", func(t *testing.T, s Service) {
			if got := pgSSLRequest(t, s); got != 'N' {
				t.Errorf("SSLRequest answered %q, want N", got)
			}
		}},
		{"db-hard-postgresql", func(t *testing.T, s Service) {
			if got := pgSSLRequest(t, s); got != 'S' {
				t.Errorf("SSLRequest answered %q, want S", got)
			}
		}},
		{"db-weak-redis", func(t *testing.T, s Service) {
			if got := exchange(t, s, "PING\r\n"); got != "+PONG" {
				t.Errorf("PING = %q", got)
			}
		}},
		{"db-hard-redis", func(t *testing.T, s Service) {
			st := tlsState(t, s, &tls.Config{RootCAs: roots, ServerName: s.Host})
			if st.Version < tls.VersionTLS12 {
				t.Errorf("TLS version %x", st.Version)
			}
		}},
		{"db-weak-memcached", func(t *testing.T, s Service) {
			if got := exchange(t, s, "version\r\n"); got != "VERSION "+s.Version {
				t.Errorf("version = %q", got)
			}
		}},
		{"ftp-weak", func(t *testing.T, s Service) {
			if got := exchange(t, s, ""); got != "220 (vsFTPd "+s.Version+")" {
				t.Errorf("greeting %q", got)
			}
		}},
		{"mail-weak-smtp", func(t *testing.T, s Service) {
			if got := exchange(t, s, ""); !strings.Contains(got, "ESMTP Postfix "+s.Version) {
				t.Errorf("greeting %q", got)
			}
		}},
		{"hostile-escape", func(t *testing.T, s Service) {
			if got := exchange(t, s, ""); !strings.Contains(got, "<script>") || !strings.Contains(got, "\x1b[2J") {
				t.Errorf("banner %q", got)
			}
		}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			s := m.Find(tc.id)
			if s.ID == "" {
				t.Fatalf("manifest lacks %s", tc.id)
			}
			tc.check(t, s)
		})
	}
}

// TestOldBanners checks, with plain sockets and the Go standard library,
// that each server of labd old-banner announces the product and version
// its manifest entry names.
func TestOldBanners(t *testing.T) {
	m := Require(t)
	old := m.OldBanners()
	want := map[string]string{
		"old-apache-http": "Apache httpd 2.4.49", "old-nginx-http": "nginx 1.16.1", "old-exim-smtp": "Exim 4.91",
		"old-vsftpd-ftp": "vsftpd 2.3.4", "old-proftpd-ftp": "ProFTPD 1.3.5", "old-memcached": "memcached 1.4.31",
		"old-redis": "Redis 5.0.5", "old-dnsmasq": "dnsmasq 2.77", "old-dnsmasq-tcp": "dnsmasq 2.77",
	}
	if len(old) != len(want) {
		t.Errorf("%d old-banner services, want %d", len(old), len(want))
	}
	for _, s := range old {
		t.Run(s.ID, func(t *testing.T) {
			if got := s.Product + " " + s.Version; want[s.ID] != got {
				t.Errorf("manifest says %q, want %q", got, want[s.ID])
			}
			var got string
			switch s.Name {
			case "http":
				got = httpGet(t, "http://"+s.Address()+"/", nil).Header.Get("Server")
			case "smtp", "ftp":
				got = exchange(t, s, "")
			case "memcached":
				got = exchange(t, s, "version\r\n")
			case "redis":
				c := dial(t, s)
				if _, err := io.WriteString(c, "*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n"); err != nil {
					t.Fatal(err)
				}
				r := bufio.NewReader(io.LimitReader(c, 64<<10))
				hdr, err := r.ReadString('\n')
				n, aerr := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(hdr, "$")))
				if err != nil || aerr != nil || n < 0 {
					t.Fatalf("INFO answered %q (%v)", hdr, err)
				}
				b := make([]byte, n)
				if _, err := io.ReadFull(r, b); err != nil {
					t.Fatal(err)
				}
				got = string(b)
			case "dns":
				got = versionBind(t, s)
			}
			mark := map[string]string{
				"Apache httpd": "Apache/" + s.Version + " (Unix)", "nginx": "nginx/" + s.Version,
				"Exim": "ESMTP Exim " + s.Version + " ", "vsftpd": "220 (vsFTPd " + s.Version + ")",
				"ProFTPD":   "220 ProFTPD " + s.Version + " Server (ProFTPD Default Installation) [" + s.Host + "]",
				"memcached": "VERSION " + s.Version, "Redis": "\r\nredis_version:" + s.Version + "\r\n",
				"dnsmasq": "dnsmasq-" + s.Version,
			}[s.Product]
			if mark == "" || !strings.Contains(got, mark) {
				t.Errorf("%s answered %q, want %q in it", s.Address(), got, mark)
			}
		})
	}
}

// versionBind asks a DNS service for version.bind CHAOS TXT and returns the
// answer's first TXT string (the answer's last bytes, as its only record).
func versionBind(t *testing.T, s Service) string {
	t.Helper()
	q := []byte{0x51, 0x7a, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 4, 'b', 'i', 'n', 'd', 0, 0, 16, 0, 3}
	var b []byte
	switch s.Transport {
	case "udp":
		c, err := net.Dial("udp", s.Address())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(q); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		b = buf[:n]
	default:
		c := dial(t, s)
		if _, err := c.Write(append([]byte{0, byte(len(q))}, q...)); err != nil {
			t.Fatal(err)
		}
		var hdr [2]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			t.Fatal(err)
		}
		b = make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(c, b); err != nil {
			t.Fatal(err)
		}
	}
	if !ValidDNSReply(q, b) || binary.BigEndian.Uint16(b[6:]) != 1 || len(b) < len(q)+2 {
		t.Fatalf("answer % x", b)
	}
	// After the question: the answer's name (a pointer, or labels), type,
	// class, TTL, RDLENGTH, then the TXT string's length and bytes.
	off := len(q)
	for off < len(b) && b[off] != 0 && b[off]&0xc0 == 0 {
		off += 1 + int(b[off])
	}
	if off < len(b) && b[off] == 0 {
		off++
	} else {
		off += 2
	}
	off += 10
	if off >= len(b) || off+1+int(b[off]) > len(b) {
		t.Fatalf("answer % x", b)
	}
	return string(b[off+1 : off+1+int(b[off])])
}

func httpGet(t *testing.T, url string, redirect func(*http.Request, []*http.Request) error) *http.Response {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: redirect}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func tlsDial(ctx context.Context, s Service, cfg *tls.Config) (*tls.ConnectionState, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", s.Address())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	st := c.(*tls.Conn).ConnectionState()
	return &st, nil
}

func tlsState(t *testing.T, s Service, cfg *tls.Config) *tls.ConnectionState {
	t.Helper()
	st, err := tlsDial(t.Context(), s, cfg)
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", s.Address(), err)
	}
	return st
}

func dial(t *testing.T, s Service) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Address(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return c
}

// exchange sends req (if any) and returns the first line of the answer.
func exchange(t *testing.T, s Service, req string) string {
	t.Helper()
	c := dial(t, s)
	if req != "" {
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
	}
	line, err := bufio.NewReaderSize(io.LimitReader(c, 4096), 4096).ReadString('\n')
	if err != nil {
		t.Fatalf("reading from %s: %v (got %q)", s.Address(), err, line)
	}
	return strings.TrimRight(line, "\r\n")
}

// pgSSLRequest sends PostgreSQL's SSLRequest and returns the one-byte answer.
func pgSSLRequest(t *testing.T, s Service) byte {
	t.Helper()
	c := dial(t, s)
	if _, err := c.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		t.Fatal(err)
	}
	return b[0]
}

// sshKexinit returns the server's identification string and the name-lists
// of its KEXINIT, joined by spaces.
func sshKexinit(t *testing.T, s Service) (string, string) {
	t.Helper()
	c := dial(t, s)
	if _, err := io.WriteString(c, "SSH-2.0-vigil_lab_test\r\n"); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(io.LimitReader(c, 1<<20))
	banner, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		t.Fatal(err)
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n > 35000 || n < 1+17 {
		t.Fatalf("packet length %d", n)
	}
	body := make([]byte, n-1)
	if _, err := io.ReadFull(r, body); err != nil {
		t.Fatal(err)
	}
	payload := body[:len(body)-int(hdr[4])]
	if payload[0] != 20 {
		t.Fatalf("first packet is message %d, not KEXINIT", payload[0])
	}
	p := payload[17:]
	var lists []string
	for range 10 {
		if len(p) < 4 || int(binary.BigEndian.Uint32(p)) > len(p)-4 {
			t.Fatalf("bad name-list in KEXINIT")
		}
		l := int(binary.BigEndian.Uint32(p))
		lists = append(lists, string(p[4:4+l]))
		p = p[4+l:]
	}
	return strings.TrimRight(banner, "\r\n"), strings.Join(lists, " ")
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	const doc = `{"dir": "/x", "ca": "/x/ca.pem", "client_key": "/x/k", "known_hosts": "/x/kh",
	 "services": [{"id": "a", "host": "127.0.2.10", "port": 8080, "transport": "tcp", "name": "http",
	 "tls": true, "product": "nginx", "version": "1.22.1", "twin": "weak", "hostile": "", "notes": "n"}]}`
	if err := os.WriteFile(dir+"/manifest.json", []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Service{ID: "a", Host: "127.0.2.10", Port: 8080, Transport: "tcp", Name: "http", TLS: true,
		Product: "nginx", Version: "1.22.1", Twin: "weak", Notes: "n"}
	if got := m.Find("a"); got != want {
		t.Errorf("Find = %+v, want %+v", got, want)
	}
	if m.CA != "/x/ca.pem" || m.ClientKey != "/x/k" || m.KnownHosts != "/x/kh" || m.Dir != "/x" {
		t.Errorf("manifest = %+v", m)
	}
	if got := want.AddrPort(); got != netip.MustParseAddrPort("127.0.2.10:8080") {
		t.Errorf("AddrPort = %v", got)
	}
	for name, bad := range map[string]string{"empty": `{}`, "not json": `{`, "no services": `{"services": []}`} {
		if err := os.WriteFile(dir+"/manifest.json", []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load of a directory without manifest succeeded")
	}
}

func TestOldBannersAccessor(t *testing.T) {
	m := &Manifest{Services: []Service{
		{ID: "ssh-weak", Hostile: ""},
		{ID: "old-a", Hostile: OldBanner, Product: "Exim", Version: "4.91"},
		{ID: "legacy-tls", Hostile: "legacy-tls"},
		{ID: "old-b", Hostile: OldBanner, Product: "nginx", Version: "1.16.1"},
	}}
	got := m.OldBanners()
	if len(got) != 2 || got[0].ID != "old-a" || got[1].ID != "old-b" {
		t.Errorf("OldBanners = %+v", got)
	}
	if (&Manifest{}).OldBanners() != nil {
		t.Error("OldBanners of an empty manifest is not nil")
	}
}

func TestDir(t *testing.T) {
	t.Setenv("VIGIL_LAB_DIR", "")
	if Dir() != DefaultDir {
		t.Errorf("Dir() = %q", Dir())
	}
	t.Setenv("VIGIL_LAB_DIR", "/tmp/elsewhere")
	if Dir() != "/tmp/elsewhere" {
		t.Errorf("Dir() = %q", Dir())
	}
}

func TestProbesAreWellFormed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		probe []byte
	}{
		{"v2c get", snmpV2cGet("public")},
		{"v3 discovery", snmpV3Discovery()},
	} {
		if !ValidSNMPReply(tc.probe) {
			t.Errorf("%s: our own request is not a well-formed SNMP message: %x", tc.name, tc.probe)
		}
	}
	q := dnsQuery(0x1234, "www.lab.vigil.test")
	want := "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x03lab\x05vigil\x04test\x00\x00\x01\x00\x01"
	if string(q) != want {
		t.Errorf("dnsQuery = %q, want %q", q, want)
	}
	reply := append([]byte{0x12, 0x34, 0x81, 0x80}, q[4:]...)
	if !ValidDNSReply(q, reply) || ValidDNSReply(q, q) {
		t.Error("ValidDNSReply does not tell a reply from the query")
	}
	ntp := make([]byte, 48)
	ntp[0] = 0x24
	if !ValidNTPReply(ntp) || ValidNTPReply(ntp[:47]) {
		t.Error("ValidNTPReply")
	}
	as := krbASReq()
	if n, rest, err := berLength(as[1:]); as[0] != 0x6a || err != nil || n != len(rest) {
		t.Errorf("krbASReq is not one APPLICATION 10 element: %x", as)
	}
	krbErr := tlv(0x7e, tlv(0x30, tlv(0xa0, berInt(5)), tlv(0xa1, berInt(30))))
	if !ValidKerberosReply(krbErr) || ValidKerberosReply(as) || ValidKerberosReply(krbErr[:len(krbErr)-1]) {
		t.Error("ValidKerberosReply does not tell a KRB-ERROR from the request or a cut one")
	}
	probes, valid := udpProbe("rpcbind")
	if len(probes) != 1 || len(probes[0]) != 40 {
		t.Fatalf("rpcbind probe %x", probes)
	}
	rpcReply := append(append([]byte(nil), probes[0][:4]...), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	if !valid(rpcReply) || valid(probes[0]) {
		t.Error("the rpcbind check does not tell a reply from the call")
	}
}

func FuzzValidReplies(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Add(snmpV3Discovery())
	f.Add([]byte{0x30, 0x82, 0xff})
	f.Add(make([]byte, 48))
	q := dnsQuery(7, "www.lab.vigil.test")
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ValidSNMPReply(b)
		_ = ValidNTPReply(b)
		_ = ValidDNSReply(q, b)
		_ = ValidKerberosReply(b)
		if n, rest, err := berLength(b); err == nil && (n < 0 || len(rest) > len(b)) {
			t.Fatalf("berLength(%x) = %d, %d bytes left", b, n, len(rest))
		}
	})
}

// TestNetns builds the firewalled namespace host and checks, from inside
// the client namespace, that an open port connects and a closed one is
// silently dropped.
func TestNetns(t *testing.T) {
	n := RequireNetns(t)
	if len(n.OpenPorts) != 44 {
		t.Errorf("%d open ports, want 44", len(n.OpenPorts))
	}
	open := fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", n.Server, n.OpenPorts[0])
	if code, out := runIn(t, n.ClientNS, 3, open); code != 0 {
		t.Errorf("open port %d: exit %d %s", n.OpenPorts[0], code, out)
	}
	closed := 1
	for slices.Contains(n.OpenPorts, closed) {
		closed++
	}
	// timeout(1) exits 124 when the connection attempt hangs; a refused
	// connection would make bash exit 1 at once.
	if code, out := runIn(t, n.ClientNS, 1, fmt.Sprintf("exec 3<>/dev/tcp/%s/%d", n.Server, closed)); code != 124 {
		t.Errorf("closed port %d: exit %d %s; want 124 (silently dropped)", closed, code, out)
	}
}

// runIn runs a bash command inside network namespace ns under timeout(1)
// and returns its exit code and output.
func runIn(t *testing.T, ns string, seconds int, command string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "ip", "netns", "exec", ns, "timeout", strconv.Itoa(seconds), "bash", "-c", command)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("ip netns exec %s: %v", ns, err)
	return -1, ""
}
