package fix

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// apacheHost is an audit with one httpd (pid 900) on 127.0.4.60:80 and
// :8080 and 0.0.0.0:443, its files in dir; a second httpd (pid 901) has
// other.conf.
func apacheHost(dir string, unit string) *facts.HostAudit {
	l := func(addr string, port, pid int) facts.Listener {
		return facts.Listener{Transport: "tcp", Address: addr, Port: port, PID: pid, Process: "apache2", Unit: unit, Cmdline: "/usr/sbin/apache2 -k start"}
	}
	return &facts.HostAudit{
		Hostname:  "web",
		Addresses: []string{"127.0.0.1", "192.168.1.5"},
		Listeners: []facts.Listener{l("127.0.4.60", 80, 900), l("127.0.4.60", 8080, 900), l("0.0.0.0", 443, 900), l("127.0.4.61", 80, 901)},
		Apache: []facts.ApacheConfig{
			{PID: 900, ConfigFile: filepath.Join(dir, "apache2.conf"), Daemon: facts.Daemon{Exe: "/usr/sbin/apache2"},
				Options: []string{"-d", dir, "-D", "FOREGROUND"}, Variables: map[string]string{"APACHE_RUN_DIR": "/run/apache2"}},
			{PID: 901, ConfigFile: filepath.Join(dir, "other.conf"), Daemon: facts.Daemon{Exe: "/usr/sbin/apache2"}},
		},
	}
}

func TestApachePlans(t *testing.T) {
	const head = "DefaultRuntimeDir ${APACHE_RUN_DIR}\nLoadModule status_module /usr/lib/apache2/modules/mod_status.so\nIncludeOptional sites/*.conf\n"
	tests := []struct {
		name   string
		main   string
		sites  map[string]string
		check  string
		host   string
		port   int
		unit   string
		want   map[string][]string // file -> lines the new content must have
		keep   map[string][]string // file -> lines it must still have
		exact  map[string]string   // file -> its whole new content
		refuse string
	}{
		{name: "trace default in the matching virtual host", main: head + "TraceEnable Off\n",
			sites: map[string]string{"a.conf": "<VirtualHost 127.0.4.60:80>\n\tServerName a\n</VirtualHost>\n<VirtualHost 127.0.4.60:8080>\n\tTraceEnable On\n</VirtualHost>\n"},
			check: "http.trace", host: "127.0.4.60", port: 80,
			want: map[string][]string{"sites/a.conf": {"<VirtualHost 127.0.4.60:80>", "\t# Set by vigil fix T1", "\tTraceEnable Off", "\tServerName a", "\tTraceEnable On"}}},
		{name: "trace set in the virtual host: its lines replaced", main: head,
			sites: map[string]string{"a.conf": "<VirtualHost 127.0.4.60:8080>\n  TraceEnable On\n  <IfModule status_module>\n    TraceEnable extended\n  </IfModule>\n</VirtualHost>\n"},
			check: "http.config.trace", host: "127.0.4.60", port: 8080,
			want: map[string][]string{"sites/a.conf": {"  # vigil fix T1 replaced: TraceEnable On", "  TraceEnable Off", "    # vigil fix T1 replaced: TraceEnable extended", "    TraceEnable Off"}}},
		{name: "a file included in two virtual hosts changes once", main: head + "<VirtualHost 127.0.4.60:80>\n  ServerName a\n  Include common/trace.inc\n</VirtualHost>\n<VirtualHost 127.0.4.60:80>\n  ServerName b\n  Include common/trace.inc\n</VirtualHost>\n",
			sites: map[string]string{"../common/trace.inc": "TraceEnable On\n"},
			check: "http.trace", host: "127.0.4.60", port: 80,
			want:  map[string][]string{"common/trace.inc": {"TraceEnable Off"}},
			exact: map[string]string{"common/trace.inc": "# vigil fix T1 replaced: TraceEnable On\nTraceEnable Off\n"}},
		{name: "a virtual host tag continued on the next line", main: head + "<VirtualHost 127.0.4.60:80 \\\n    127.0.4.60:8080>\n</VirtualHost>\n",
			sites: map[string]string{}, check: "http.trace", host: "127.0.4.60", port: 8080,
			want: map[string][]string{"apache2.conf": {"<VirtualHost 127.0.4.60:80 \\", "    127.0.4.60:8080>", "    # Set by vigil fix T1", "    TraceEnable Off", "</VirtualHost>"}}},
		{name: "no virtual host for the address: the main server", main: head + "TraceEnable On\n",
			sites: map[string]string{"a.conf": "<VirtualHost 10.0.0.9:443>\n</VirtualHost>\n"},
			check: "http.trace", host: "192.168.1.5", port: 443, unit: "apache2.service",
			want: map[string][]string{"apache2.conf": {"# vigil fix T1 replaced: TraceEnable On", "TraceEnable Off"}}},
		{name: "main server, unset: added at the end", main: head, sites: map[string]string{},
			check: "http.trace", host: "127.0.4.60", port: 80,
			want: map[string][]string{"apache2.conf": {"IncludeOptional sites/*.conf", "# Set by vigil fix T1", "TraceEnable Off"}}},
		{name: "already off", main: head + "TraceEnable off\n", sites: map[string]string{},
			check: "http.trace", host: "127.0.4.60", port: 80, refuse: "already Off"},
		{name: "status: Require all granted becomes Require local", main: head,
			sites: map[string]string{"a.conf": "<VirtualHost *:80>\n<Location /server-status>\n\tSetHandler server-status\n\tRequire all granted\n\tRequire ip 10.9.9.0/24\n</Location>\n</VirtualHost>\n"},
			check: "http.status.public", host: "127.0.4.60", port: 80,
			want: map[string][]string{"sites/a.conf": {"\t# vigil fix T1 replaced: Require all granted", "\tRequire local", "\tRequire ip 10.9.9.0/24"}}},
		{name: "status without Require, in the main server: Require local added", main: head + "<Location /server-info>\n  SetHandler server-info\n</Location>\n<Location /server-status>\n  SetHandler server-status\n</Location>\n",
			sites: map[string]string{}, check: "http.config.status-public", host: "127.0.4.60", port: 80,
			want: map[string][]string{"apache2.conf": {"<Location /server-status>", "  # Set by vigil fix T1", "  Require local", "  SetHandler server-status"}},
			// mod_info is not loaded: its page is not served, and is left alone.
			keep: map[string][]string{"apache2.conf": {"<Location /server-info>", "  SetHandler server-info", "</Location>"}}},
		{name: "status limited already", main: head + "<Location /server-status>\n  SetHandler server-status\n  Require local\n</Location>\n",
			sites: map[string]string{}, check: "http.status.public", host: "127.0.4.60", port: 80, refuse: "no open server-status"},
		{name: "status in another address's virtual host", main: head,
			sites: map[string]string{"a.conf": "<VirtualHost 10.0.0.9:80>\n<Location /server-status>\n\tSetHandler server-status\n</Location>\n</VirtualHost>\n"},
			check: "http.status.public", host: "127.0.4.60", port: 80, refuse: "no open server-status"},
		{name: "status access in a RequireAny: refused", main: head,
			sites: map[string]string{"a.conf": "<Location /server-status>\n\tSetHandler server-status\n\t<RequireAny>\n\t\tRequire all granted\n\t</RequireAny>\n</Location>\n"},
			check: "http.status.public", host: "127.0.4.60", port: 80, refuse: "which vigil does not change"},
		{name: "status with Require not alone: refused", main: head,
			sites: map[string]string{"a.conf": "<Location /server-status>\n\tSetHandler server-status\n\tRequire not ip 10.0.0.1\n</Location>\n"},
			check: "http.status.public", host: "127.0.4.60", port: 80, refuse: "only Require not"},
		{name: "listing: the Options lines of the served directories", main: head + "Options Indexes FollowSymLinks\nDocumentRoot /srv/www\n<Directory /srv/www/pub>\n  Options +Indexes +ExecCGI\n</Directory>\n<Directory /srv/elsewhere>\n  Options Indexes\n</Directory>\n",
			sites: map[string]string{"a.conf": "<VirtualHost 127.0.4.60:8080>\n  <Directory /srv/www>\n    Options Indexes\n  </Directory>\n</VirtualHost>\n<VirtualHost 127.0.4.60:80>\n  <Directory /srv/www>\n    Options +Indexes\n  </Directory>\n</VirtualHost>\n"},
			check: "http.listing", host: "127.0.4.60", port: 8080,
			want: map[string][]string{
				"apache2.conf": {"# vigil fix T1 replaced: Options Indexes FollowSymLinks", "Options FollowSymLinks", "  # vigil fix T1 replaced: Options +Indexes +ExecCGI", "  Options -Indexes +ExecCGI", "<Directory /srv/elsewhere>", "  Options Indexes"},
				"sites/a.conf": {"    # vigil fix T1 replaced: Options Indexes", "    Options None", "<VirtualHost 127.0.4.60:80>", "    Options +Indexes"}}},
		{name: "listing with Options All: refused", main: head + "DocumentRoot /srv/www\n<Directory /srv/www>\n  Options All\n</Directory>\n", sites: map[string]string{},
			check: "http.config.listing", host: "127.0.4.60", port: 80, refuse: "Options All, turns on"},
		{name: "listing nowhere in the files", main: head + "DocumentRoot /srv/www\n<Directory /srv/www>\n  Options -Indexes\n</Directory>\n", sites: map[string]string{},
			check: "http.listing", host: "127.0.4.60", port: 80, refuse: ".htaccess"},
		{name: "a host name on a wildcard listener with an address-bound virtual host: refused", main: head,
			sites: map[string]string{"a.conf": "<VirtualHost 192.168.1.5:443>\n</VirtualHost>\n"},
			check: "http.trace", host: "web", port: 443, refuse: "cannot tell which address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, body string) {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("apache2.conf", tt.main)
			for n, b := range tt.sites {
				write(filepath.Join("sites", n), b)
			}
			h := apacheHost(dir, tt.unit)
			p, err := MakePlan(Input{Finding: find(tt.check, tt.host, tt.port, "tcp", ""), Host: h, ReadFile: readFile, Glob: filepath.Glob, FixID: "T1",
				Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
			if tt.refuse != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refuse) {
					t.Fatalf("err = %v, want a refusal saying %q", err, tt.refuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range p.Edits {
				rel, _ := filepath.Rel(dir, e.Path)
				got[rel] = string(e.After)
				if orig, _ := os.ReadFile(e.Path); string(orig) != string(e.Before) {
					t.Errorf("%s: Before is not the file", rel)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("edits of %v, want %d file(s)", slices.Sorted(maps.Keys(got)), len(tt.want))
			}
			for f, lines := range tt.want {
				if !hasLinesInOrder(got[f], lines) {
					t.Errorf("%s:\n%s\nwant lines in order %q", f, got[f], lines)
				}
			}
			for f, text := range tt.exact {
				if got[f] != text {
					t.Errorf("%s:\n%s\nwant exactly:\n%s", f, got[f], text)
				}
			}
			for f, lines := range tt.keep {
				if !hasLinesInOrder(got[f], lines) {
					t.Errorf("%s:\n%s\nlost %q", f, got[f], lines)
				}
			}
			v := p.Validate[0].Argv
			wantArgv := []string{"/usr/sbin/apache2", "-d", dir, "-D", "FOREGROUND", "-C", `Define APACHE_RUN_DIR "/run/apache2"`, "-f", filepath.Join(dir, "apache2.conf"), "-t"}
			if !slices.Equal(v, wantArgv) {
				t.Errorf("validation %q, want %q", v, wantArgv)
			}
			r := p.Reload[0]
			switch {
			case tt.unit != "" && !slices.Equal(r.Argv, []string{"systemctl", "reload", tt.unit}):
				t.Errorf("reload %+v", r)
			case tt.unit == "" && (r.Kind != StepSignal || r.Signal != "USR1" || r.PID != 900 || r.Match != "apache2"):
				t.Errorf("reload %+v", r)
			}
			if len(p.Verify) != 1 || p.Verify[0].Kind != StepListen {
				t.Errorf("verify %+v", p.Verify)
			}
		})
	}
}

func TestApachePlanRefusals(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "apache2.conf"), []byte("TraceEnable On\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "includes-main.conf"), []byte("Include "+filepath.Join(dir, "apache2.conf")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(h *facts.HostAudit)
		want string
	}{
		{"binary vigil may not run", func(h *facts.HostAudit) { h.Apache[0].Daemon = facts.Daemon{Note: "its binary is not root's"} }, "its binary is not root's"},
		{"a file the audit could not read", func(h *facts.HostAudit) { h.Apache[0].Unread = []string{"/etc/apache2/ports.conf"} }, "could not read /etc/apache2/ports.conf"},
		{"another httpd's main file", func(h *facts.HostAudit) { h.Apache[1].ConfigFile = h.Apache[0].ConfigFile }, "also the configuration of another Apache httpd (pid 901)"},
		{"a file another httpd includes", func(h *facts.HostAudit) { h.Apache[1].ConfigFile = filepath.Join(dir, "includes-main.conf") }, "also read by another Apache httpd (pid 901"},
		{"a variable with a quote", func(h *facts.HostAudit) { h.Apache[0].Variables = map[string]string{"X": `a"b`} }, "holds a quote"},
		{"no configuration for the process", func(h *facts.HostAudit) { h.Apache = h.Apache[1:] }, "found no Apache httpd configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := apacheHost(dir, "")
			tt.edit(h)
			_, err := MakePlan(Input{Finding: find("http.trace", "127.0.4.60", 80, "tcp", ""), Host: h, ReadFile: readFile, Glob: filepath.Glob, FixID: "T1"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// hasLinesInOrder reports whether text has each of lines, whole, in order.
func hasLinesInOrder(text string, lines []string) bool {
	all := strings.Split(text, "\n")
	i := 0
	for _, l := range all {
		if i < len(lines) && l == lines[i] {
			i++
		}
	}
	return i == len(lines)
}

// TestApachePlanGuardsEveryInclude refuses a plan when a file httpd -t
// would read fails the guard, even one included from a section vigil does
// not change.
func TestApachePlanGuardsEveryInclude(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"apache2.conf": "TraceEnable On\n<Files x>\n  Include evil.conf\n</Files>\n",
		"evil.conf":    "LoadModule evil_module /tmp/evil.so\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	refuse := func(p string, g Guard) ([]byte, fs.FileMode, error) {
		if filepath.Base(p) == "evil.conf" {
			return nil, 0, fmt.Errorf("%s: %w: it belongs to uid 1000", p, ErrRefusedFile)
		}
		return readFile(p, g)
	}
	_, err := MakePlan(Input{Finding: find("http.trace", "127.0.4.60", 80, "tcp", ""), Host: apacheHost(dir, ""), ReadFile: refuse, Glob: filepath.Glob, FixID: "T1"})
	if !errors.Is(err, ErrRefusedFile) || !strings.Contains(err.Error(), "evil.conf") {
		t.Errorf("err = %v, want the included file refused", err)
	}
	if _, err := MakePlan(Input{Finding: find("http.trace", "127.0.4.60", 80, "tcp", ""), Host: apacheHost(dir, ""), ReadFile: readFile, Glob: filepath.Glob, FixID: "T1"}); err != nil {
		t.Errorf("with the file trusted: %v", err)
	}
}
