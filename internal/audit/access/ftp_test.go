package access

import (
	"bufio"
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/codec/reply"
	"github.com/vigilsec/vigil/internal/facts"
)

func TestParseFEAT(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		features []string
		authTLS  bool
	}{
		{"vsftpd plain", "211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n", []string{"EPRT", "EPSV"}, false},
		{"vsftpd tls", "211-Features:\r\n AUTH SSL\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n", []string{"AUTH SSL", "AUTH TLS", "PBSZ"}, true},
		{"one line, several", "211-Extensions supported:\r\n AUTH TLS;TLS-C;SSL\r\n211 END\r\n", []string{"AUTH TLS;TLS-C;SSL"}, true},
		{"pbsz only", "211-Features:\r\n PBSZ\r\n PROT\r\n211 End\r\n", []string{"PBSZ", "PROT"}, false},
		{"auth other", "211-Features:\r\n AUTH GSSAPI\r\n211 End\r\n", []string{"AUTH GSSAPI"}, false},
		{"unsupported", "500 Unknown command.\r\n", nil, false},
	}
	for _, tt := range tests {
		rs := reply.Parse([]byte(tt.in))
		f := parseFEAT(rs[0])
		if !slices.Equal(f, tt.features) || featAuthTLS(f) != tt.authTLS {
			t.Errorf("%s: features %q authTLS %v", tt.name, f, featAuthTLS(f))
		}
	}
}

func FuzzFEAT(f *testing.F) {
	f.Add([]byte("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n"))
	f.Add([]byte("211-x\r\nAUTH\r\n211 End\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range reply.Parse(b) {
			featAuthTLS(parseFEAT(r))
		}
	})
}

// ftpServer is a scripted FTP server recording the commands it received.
type ftpServer struct {
	mu       sync.Mutex
	commands []string
	feat     string
	user     string // answer to USER
	pass     string // answer to PASS ("" never answers)
	authTLS  string
}

func (f *ftpServer) handle(_ context.Context, c net.Conn) {
	_, _ = c.Write([]byte("220 (vsFTPd 3.0.3)\r\n"))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.commands = append(f.commands, cmd)
		f.mu.Unlock()
		var answer string
		switch verb, _, _ := strings.Cut(cmd, " "); verb {
		case "FEAT":
			answer = f.feat
		case "USER":
			answer = f.user
		case "PASS":
			answer = f.pass
		case "AUTH":
			answer = f.authTLS
			if strings.HasPrefix(answer, "234") {
				_, _ = c.Write([]byte(answer))
				return // a real server would now expect a ClientHello
			}
		case "QUIT":
			_, _ = c.Write([]byte("221 Goodbye.\r\n"))
			return
		default:
			answer = "500 Unknown command.\r\n"
		}
		if answer != "" {
			_, _ = c.Write([]byte(answer))
		}
	}
}

func (f *ftpServer) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands)
}

func TestAuditFTP(t *testing.T) {
	tests := []struct {
		name      string
		srv       *ftpServer
		startTLS  bool
		anonymous bool
		anonReply string
	}{
		{"weak: no feat auth, anonymous without password",
			&ftpServer{feat: "211-Features:\r\n EPSV\r\n211 End\r\n", user: "230 Login successful.\r\n", authTLS: "530 Please login with USER and PASS.\r\n"},
			false, true, "230 Login successful."},
		{"anonymous with an address as password",
			&ftpServer{feat: "211-Features:\r\n AUTH TLS\r\n211 End\r\n", user: "331 Please specify the password.\r\n", pass: "230 Login successful.\r\n"},
			true, true, "230 Login successful."},
		{"hard: AUTH TLS works though FEAT is silent",
			&ftpServer{feat: "211-Features:\r\n PBSZ\r\n PROT\r\n211 End\r\n", user: "331 Please specify the password.\r\n", pass: "530 Login incorrect.\r\n", authTLS: "234 Proceed with negotiation.\r\n"},
			true, false, "530 Login incorrect."},
		{"no FEAT, no anonymous",
			&ftpServer{feat: "500 Unknown command.\r\n", user: "530 This FTP server does not allow anonymous logins.\r\n", authTLS: "502 Command not implemented.\r\n"},
			false, false, "530 This FTP server does not allow anonymous logins."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tt.srv
			addr := serve(t, srv.handle)
			s := facts.Service{Name: "ftp", Port: int(addr.Port()), Transport: facts.TCP}
			a, err := Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if boolp(a.StartTLS) != boolp(&tt.startTLS) || a.Anonymous != tt.anonymous || s.Detail("ftp.anonymous") != tt.anonReply {
				t.Errorf("got starttls %s anonymous %v details %v", boolp(a.StartTLS), a.Anonymous, s.Details)
			}
			for _, cmd := range srv.sent() {
				verb, _, _ := strings.Cut(cmd, " ")
				if !slices.Contains([]string{"FEAT", "USER", "PASS", "QUIT", "AUTH"}, verb) {
					t.Errorf("sent %q: only FEAT, USER, PASS, QUIT and AUTH TLS are allowed", cmd)
				}
				if verb == "PASS" && cmd != "PASS "+anonPassword {
					t.Errorf("sent %q", cmd)
				}
				if verb == "USER" && cmd != "USER anonymous" {
					t.Errorf("sent %q", cmd)
				}
			}
		})
	}
}

// TestAuditFTPSlowFailure: a PASS answered only after the server's
// failed-login delay is still read; one never answered counts as refused.
func TestAuditFTPSlowFailure(t *testing.T) {
	slow := func(_ context.Context, c net.Conn) {
		_, _ = c.Write([]byte("220 ready\r\n"))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "FEAT"):
				_, _ = c.Write([]byte("211-Features:\r\n AUTH TLS\r\n211 End\r\n"))
			case strings.HasPrefix(line, "USER"):
				_, _ = c.Write([]byte("331 Password?\r\n"))
			case strings.HasPrefix(line, "PASS"):
				time.Sleep(1500 * time.Millisecond)
				_, _ = c.Write([]byte("530 Login incorrect.\r\n"))
			case strings.HasPrefix(line, "QUIT"):
				return
			}
		}
	}
	addr := serve(t, slow)
	s := facts.Service{Name: "ftp", Port: int(addr.Port()), Transport: facts.TCP}
	a, err := Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: time.Second})
	if err != nil || a.Anonymous || s.Detail("ftp.anonymous") != "530 Login incorrect." || !*a.StartTLS {
		t.Errorf("slow failure: %+v %v %v", a, s.Details, err)
	}

	silent := &ftpServer{feat: "211-Features:\r\n AUTH TLS\r\n211 End\r\n", user: "331 Password?\r\n"}
	addr = serve(t, silent.handle)
	s = facts.Service{Name: "ftp", Port: int(addr.Port()), Transport: facts.TCP}
	a, err = Audit(t.Context(), newDialer(t), addr, &s, Options{Timeout: 300 * time.Millisecond})
	if err != nil || a.Anonymous || !strings.HasPrefix(s.Detail("ftp.anonymous"), "PASS not answered") {
		t.Errorf("silent PASS: %+v %v %v", a, s.Details, err)
	}
}
