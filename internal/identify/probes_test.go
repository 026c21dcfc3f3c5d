package identify

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRegistry(t *testing.T) {
	unique := func(kind string, names []string) map[string]bool {
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Errorf("%s: %q listed twice", kind, n)
			}
			seen[n] = true
		}
		return seen
	}
	var tcp, inner, udp, banner []string
	for _, p := range tcpProbes {
		tcp = append(tcp, p.name)
	}
	for _, p := range tlsProbes {
		inner = append(inner, p.name)
	}
	for _, p := range udpProbes {
		udp = append(udp, p.name)
	}
	for _, m := range bannerMatchers {
		banner = append(banner, m.name)
	}
	tcpSet, innerSet, udpSet := unique("tcpProbes", tcp), unique("tlsProbes", inner), unique("udpProbes", udp)
	unique("bannerMatchers", banner)
	// Every hint names a probe that exists.
	for port := 0; port < 65536; port++ {
		for _, h := range plainHints(uint16(port)) {
			if !tcpSet[h] {
				t.Errorf("plainHints(%d) names unknown probe %q", port, h)
			}
		}
		for _, h := range tlsHints(uint16(port)) {
			if !innerSet[h] {
				t.Errorf("tlsHints(%d) names unknown probe %q", port, h)
			}
		}
		for _, h := range udpHints(uint16(port)) {
			if !udpSet[h] {
				t.Errorf("udpHints(%d) names unknown probe %q", port, h)
			}
		}
	}
	for _, h := range []string{"mongodb", "http", "redis", "memcached", "amqp"} {
		if !tcpSet[h] {
			t.Errorf("answerHint names unknown probe %q", h)
		}
	}
}

func TestAnswerHint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTP/1.1 400 Bad Request\r\n", "http"},
		{"HTTP/1.0 200 OK\r\n\r\nIt looks like you are trying to access MongoDB over HTTP on the native driver port.\r\n", "mongodb"},
		{"-ERR unknown command 'version'\r\n", "redis"},
		{"ERROR\r\n", "memcached"},
		{"CLIENT_ERROR bad command line format\r\n", "memcached"},
		{"AMQP\x00\x00\x09\x01", "amqp"},
		{"\x16\x03\x03", ""},
	}
	for _, tt := range tests {
		if got := answerHint([]byte(tt.in)); got != tt.want {
			t.Errorf("answerHint(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every Details key the package sets is documented in doc.go.
func TestDetailsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	// Keys are facts constants (facts/details.go), or literals.
	consts, err := os.ReadFile("../facts/details.go")
	if err != nil {
		t.Fatal(err)
	}
	keyOf := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\t(\w+)\s*= "([^"]+)"`).FindAllStringSubmatch(string(consts), -1) {
		keyOf[m[1]] = m[2]
	}
	set := regexp.MustCompile(`SetDetail\((?:facts\.(\w+)|"([a-z0-9.-]+)")`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range set.FindAllSubmatch(src, -1) {
			found++
			key := string(m[2])
			if len(m[1]) > 0 {
				if key = keyOf[string(m[1])]; key == "" {
					t.Errorf("%s: facts.%s is not a Details key of facts/details.go", f, m[1])
					continue
				}
			}
			if !regexp.MustCompile(`(?m)^//\s.*\b` + regexp.QuoteMeta(key) + `\b`).Match(doc) {
				t.Errorf("%s sets Details[%q], which doc.go does not document", f, key)
			}
		}
	}
	if found < 40 {
		t.Errorf("found only %d SetDetail calls: the scan is broken", found)
	}
}

func TestBannerComplete(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"SSH-2.0-OpenSSH_9.2p1\r\n", true},
		{"SSH-2.0-Open", false},
		{"220-first\r\n", false},
		{"220-first\r\n220 last\r\n", true},
		{"\xff\xfd\x18", true},
		{"\xff\xfd", false},
		{"\x1b[2J no newline yet", true}, // no matcher accepts it: stop waiting
		{"\x00\x01\x02binary", true},
		{"caf\xc3\xa9 text", false}, // UTF-8 text may still become a line
		{"", false},
	}
	for _, tt := range tests {
		if got := bannerComplete([]byte(tt.in)); got != tt.want {
			t.Errorf("bannerComplete(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSnippetCap(t *testing.T) {
	b := []byte(strings.Repeat("\x1b", 1000))
	s := snippet(b)
	if n := len([]rune(s)); n > 256 {
		t.Errorf("snippet of %d runes", n)
	}
	if !strings.HasSuffix(s, "…") || !strings.HasPrefix(s, `\x1b`) {
		t.Errorf("snippet %q", s)
	}
	if got := firstLine([]byte("220 hello\r\nsecond")); got != "220 hello" {
		t.Errorf("firstLine = %q", got)
	}
}

// Whatever a server sends, the banner matchers never panic and never keep
// a raw control byte.
func FuzzBannerMatchers(f *testing.F) {
	for _, s := range []string{
		"SSH-2.0-OpenSSH_9.2p1 Debian\r\n", "220 (vsFTPd 3.0.3)\r\n", "220 Welcome\r\n502 5.5.2 x\r\n",
		"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n", "+OK Dovecot ready.\r\n", "RFB 003.008\n",
		"\xff\xfd\x18\xff\xfb\x01", string(mysqlHandshakeV10("8.0.35", 0xffffffff, "x")),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bannerComplete(b)
		s, ok := runMatchers(t.Context(), b)
		if ok && s.Name == "unknown" {
			t.Errorf("matched but named unknown")
		}
		assertPrintable(t, s)
	})
}

func TestBannerWaitFor(t *testing.T) {
	opt := Options{Timeout: 2 * time.Second, BannerWait: 300 * time.Millisecond}
	tests := []struct {
		port    uint16
		overTLS bool
		want    time.Duration
	}{
		{25, false, 2 * time.Second}, // mail servers greet after DNS look-ups
		{22, false, 2 * time.Second},
		{993, true, 2 * time.Second},
		{993, false, 300 * time.Millisecond}, // the TLS handshake comes first there
		{8080, false, 300 * time.Millisecond},
		{443, true, 300 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := bannerWaitFor(opt, tt.port, tt.overTLS); got != tt.want {
			t.Errorf("bannerWaitFor(%d, tls %v) = %v, want %v", tt.port, tt.overTLS, got, tt.want)
		}
	}
}
