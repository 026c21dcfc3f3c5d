package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// diffLabAddr is the loopback alias of TestDiffServiceReplaced's servers;
// no other test uses it.
const diffLabAddr = "127.0.6.71"

// serveFTP serves an anonymous FTP server that names itself vsftpd and
// offers no AUTH TLS, on ln, until ln is closed.
func serveFTP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			_, _ = c.Write([]byte("220 (vsFTPd 3.0.3)\r\n"))
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				answer := "530 Please login with USER and PASS.\r\n"
				switch verb, _, _ := strings.Cut(strings.TrimSpace(line), " "); strings.ToUpper(verb) {
				case "FEAT":
					answer = "211-Features:\r\n EPRT\r\n EPSV\r\n PASV\r\n211 End\r\n"
				case "USER":
					answer = "331 Please specify the password.\r\n"
				case "PASS":
					answer = "230 Login successful.\r\n"
				case "QUIT":
					_, _ = c.Write([]byte("221 Goodbye.\r\n"))
					return
				}
				if _, err := c.Write([]byte(answer)); err != nil {
					return
				}
			}
		}()
	}
}

// serveOOPS answers every connection as vsftpd does when it refuses to
// run: one "500 OOPS" line, then it hangs up.
func serveOOPS(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = c.Write([]byte("500 OOPS: vsftpd: refusing to run with writable root inside chroot()\r\n"))
		c.Close()
	}
}

// serveHTTP serves a web server that names itself nginx.
func serveHTTP(ln net.Listener) {
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx/1.22.1")
		_, _ = w.Write([]byte("<html><body>hello</body></html>\n"))
	})}
	_ = srv.Serve(ln)
}

// startServer listens on addr and serves with serve until stopped; stop
// closes the listener and waits until serve has returned.
func startServer(t *testing.T, addr string, serve func(net.Listener)) (port int, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		serve(ln)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ln.Close()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return ln.Addr().(*net.TCPAddr).Port, stop
}

// TestDiffServiceReplaced scans an anonymous FTP server, replaces it on the
// same port by another server, scans again and diffs the two stored scans:
// the FTP findings are no longer observed because the service changed, and
// none of them is called fixed.
func TestDiffServiceReplaced(t *testing.T) {
	tests := []struct {
		name    string
		serve   func(net.Listener)
		to      string // the service that answers after the swap
		verdict string
	}{
		{"vsftpd answering 500 OOPS", serveOOPS, "unknown", "not_an_improvement"},
		{"a web server instead", serveHTTP, "http", "better"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "vigil.db")
			port, stop := startServer(t, net.JoinHostPort(diffLabAddr, "0"), serveFTP)
			addr := net.JoinHostPort(diffLabAddr, strconv.Itoa(port))
			scan := func(out string) map[string]any {
				t.Helper()
				file := filepath.Join(dir, out)
				code, _, stderr := vigilIn(t, "", "scan", diffLabAddr, "-p", strconv.Itoa(port), "--udp-ports", "", "--no-discovery",
					"--db", db, "--format", "json", "-o", file)
				if code != ExitOK {
					t.Fatalf("scan: exit %d: %s", code, stderr)
				}
				b, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatalf("%v:\n%s", err, b)
				}
				// The scan records what it covered, for later diffs.
				if doc["ports"] != strconv.Itoa(port) || doc["udp_ports"] != "" {
					t.Errorf("scan recorded ports %v, udp_ports %v; want %d and \"\"", doc["ports"], doc["udp_ports"], port)
				}
				return doc
			}

			before := scan("before.json")
			for _, check := range []string{"cleartext.ftp", "auth.anonymous.ftp"} {
				if !strings.Contains(mustJSON(t, before["findings"]), `"check":"`+check+`"`) {
					t.Fatalf("the first scan lacks %s; findings: %s", check, mustJSON(t, before["findings"]))
				}
			}

			stop()
			if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				t.Fatal("the FTP server still answers after it was stopped")
			}
			if _, stop2 := startServer(t, addr, tt.serve); stop2 == nil {
				t.Fatal("no second server")
			}
			scan("after.json")

			code, out, stderr := vigilIn(t, "", "diff", "--db", db)
			if code != ExitOK {
				t.Fatalf("diff: exit %d: %s", code, stderr)
			}
			if strings.Contains(strings.ToLower(out), "fixed") {
				t.Errorf("the diff calls something fixed:\n%s", out)
			}
			for _, w := range []string{"No longer observed: service changed (2)", "cleartext.ftp", "auth.anonymous.ftp",
				"port " + strconv.Itoa(port) + "/tcp now answers as", "it was ftp (vsftpd 3.0.3)", "Services changed (1)"} {
				if !strings.Contains(out, w) {
					t.Errorf("the diff lacks %q:\n%s", w, out)
				}
			}

			code, out, stderr = vigilIn(t, "", "diff", "--db", db, "--format", "json")
			if code != ExitOK {
				t.Fatalf("diff: exit %d: %s", code, stderr)
			}
			var d struct {
				Fixed   []struct{ Check string }
				Verdict string
				Gone    []struct{ Check, Status string } `json:"no_longer_observed"`
				Changed []struct {
					From, To struct{ Name, Product string }
				} `json:"changed_services"`
			}
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			if len(d.Fixed) != 0 || len(d.Gone) != 2 || d.Verdict != tt.verdict || len(d.Changed) != 1 ||
				d.Changed[0].From.Product != "vsftpd" || d.Changed[0].To.Name != tt.to {
				t.Errorf("diff JSON: %+v; want nothing fixed, 2 findings gone, verdict %s, ftp → %s", d, tt.verdict, tt.to)
			}
			for _, g := range d.Gone {
				if g.Status != "service_changed" {
					t.Errorf("%s is %s, want service_changed", g.Check, g.Status)
				}
			}
		})
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(errors.Join(errors.New("cannot encode"), err))
	}
	return string(b)
}
