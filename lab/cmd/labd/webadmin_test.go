package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWebAdmin(t *testing.T) {
	tests := []struct {
		product, path string
		status        int
		header, value string // a header the answer must carry
		body          string // a string the body must hold
	}{
		{"jenkins", "/", 403, "X-Jenkins", "2.426.1", "Authentication required"},
		{"jenkins", "/login", 200, "X-Jenkins", "2.426.1", `name="j_password"`},
		{"grafana", "/api/health", 200, "Content-Type", "application/json", `"version": "10.2.3"`},
		{"grafana", "/login", 200, "", "", "window.grafanaBootData"},
		{"tomcat", "/manager/html", 401, "WWW-Authenticate", `Basic realm="Tomcat Manager Application"`, "tomcat-users.xml"},
		{"tomcat", "/", 200, "", "", "successfully installed Tomcat"},
		{"tomcat-hard", "/manager/html", 403, "WWW-Authenticate", "", "403 Access Denied"},
		{"tomcat-hard", "/", 200, "", "", "Appointments"},
		{"phpmyadmin", "/phpmyadmin/", 200, "Server", "Apache/2.4.57 (Debian)", `name="pma_username"`},
		{"phpmyadmin", "/", 200, "", "", "Practice intranet"},
	}
	for _, tt := range tests {
		t.Run(tt.product+tt.path, func(t *testing.T) {
			srv := httptest.NewServer(webAdminProducts[tt.product])
			defer srv.Close()
			c := srv.Client()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.header != "" && resp.Header.Get(tt.header) != tt.value {
				t.Errorf("%s: %q, want %q", tt.header, resp.Header.Get(tt.header), tt.value)
			}
			if !strings.Contains(string(b), tt.body) {
				t.Errorf("body lacks %q: %s", tt.body, b)
			}
		})
	}
	if _, ok := webAdminProducts["no-such"]; ok {
		t.Error("unknown product accepted")
	}
}
