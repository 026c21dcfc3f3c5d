package httpmsg

import (
	"net/netip"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		ok     bool
		status int
		server string
		body   string
		done   bool // Complete
	}{
		{"content-length", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 5\r\n\r\nhello", true, 200, "nginx/1.22.1", "hello", true},
		{"body pending", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", true, 200, "", "hello", false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", true, 200, "", "hello world", true},
		{"close delimited", "HTTP/1.0 404 Not Found\r\nServer: Apache/2.4.57 (Debian)\r\n\r\n<html>", true, 404, "Apache/2.4.57 (Debian)", "<html>", false},
		{"no body status", "HTTP/1.1 304 Not Modified\r\n\r\n", true, 304, "", "", true},
		{"bare LF", "HTTP/1.1 401 Unauthorized\nWWW-Authenticate: Basic realm=\"x\"\nContent-Length: 0\n\n", true, 401, "", "", true},
		{"headers cut", "HTTP/1.1 200 OK\r\nServer: nginx\r\n", true, 200, "nginx", "", false},
		{"status only partial", "HTTP/1.1 200", false, 0, "", "", false},
		{"bad code", "HTTP/1.1 2x0 OK\r\n\r\n", false, 0, "", "", true},
		{"not http", "SSH-2.0-x\r\n\r\n", false, 0, "", "", true},
		{"not http, no header end", "\x16\x03\x03\x00*", false, 0, "", "", true},
		{"http prefix so far", "HTT", false, 0, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Complete([]byte(tt.in)); got != tt.done {
				t.Errorf("Complete = %v, want %v", got, tt.done)
			}
			r, err := Parse([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("error = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if r.Status != tt.status || r.Get("server") != tt.server || string(r.Body) != tt.body {
				t.Errorf("got %d %q %q", r.Status, r.Get("server"), r.Body)
			}
		})
	}
}

func TestHost(t *testing.T) {
	tests := []struct {
		addr, name string
		tls        bool
		want       string
	}{
		{"127.0.0.1:80", "", false, "127.0.0.1"},
		{"127.0.0.1:8080", "", false, "127.0.0.1:8080"},
		{"127.0.0.1:443", "", true, "127.0.0.1"},
		{"127.0.0.1:443", "", false, "127.0.0.1:443"},
		{"[::1]:8443", "", true, "[::1]:8443"},
		{"127.0.0.1:443", "www.example.org", true, "www.example.org"},
	}
	for _, tt := range tests {
		if got := Host(netip.MustParseAddrPort(tt.addr), tt.name, tt.tls); got != tt.want {
			t.Errorf("Host(%s, %q, %v) = %q, want %q", tt.addr, tt.name, tt.tls, got, tt.want)
		}
	}
}

func TestRequest(t *testing.T) {
	want := "GET /login HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: vigil\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if got := string(Request("/login", "127.0.0.1:8080")); got != want {
		t.Errorf("Request = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 5\r\n\r\nhello"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Complete(b)
		if r, err := Parse(b); err == nil {
			if r.Status < 0 || r.Status > 999 {
				t.Fatalf("status %d", r.Status)
			}
		}
	})
}
