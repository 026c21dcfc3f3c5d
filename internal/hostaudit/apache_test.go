package hostaudit

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/trust"
)

func TestApacheArgs(t *testing.T) {
	tests := []struct {
		comm string
		argv []string
		want apacheInvocation
	}{
		{"apache2", []string{"/usr/sbin/apache2", "-k", "start"},
			apacheInvocation{file: "/etc/apache2/apache2.conf", root: "/etc/apache2"}},
		{"httpd", []string{"/usr/sbin/httpd", "-DFOREGROUND"},
			apacheInvocation{file: "/etc/httpd/conf/httpd.conf", root: "/etc/httpd", defines: []string{"FOREGROUND"}, options: []string{"-D", "FOREGROUND"}}},
		{"apache2", []string{"apache2", "-d", "/srv/web", "-f", "site.conf", "-D", "SSL", "-C", "Define X 1", "-cTraceEnable Off"},
			apacheInvocation{file: "/srv/web/site.conf", root: "/srv/web", defines: []string{"SSL"}, before: []string{"Define X 1"}, after: []string{"TraceEnable Off"},
				options: []string{"-d", "/srv/web", "-D", "SSL", "-C", "Define X 1", "-c", "TraceEnable Off"}}},
		{"apache2", []string{"apache2", "-f"}, apacheInvocation{file: "/etc/apache2/apache2.conf", root: "/etc/apache2"}},
	}
	for _, tt := range tests {
		if got := apacheArgs(tt.comm, tt.argv); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("apacheArgs(%q, %q) = %+v, want %+v", tt.comm, tt.argv, got, tt.want)
		}
	}
}

// debianApache is Debian's layout, cut down: apache2.conf includes the
// enabled modules and sites with globs relative to the server root, and
// uses ${APACHE_…} from the environment.
var debianApache = fakeFiles{
	"/etc/apache2/apache2.conf": `# Debian
DefaultRuntimeDir ${APACHE_RUN_DIR}
User ${APACHE_RUN_USER}
IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf
Include ports.conf
IncludeOptional conf-enabled/*.conf
IncludeOptional sites-enabled/*.conf
`,
	"/etc/apache2/mods-enabled/status.load": "LoadModule status_module /usr/lib/apache2/modules/mod_status.so\n",
	"/etc/apache2/mods-enabled/status.conf": `<IfModule mod_status.c>
	<Location /server-status>
		SetHandler server-status
		Require local
	</Location>
</IfModule>
`,
	"/etc/apache2/ports.conf":                 "Listen 80\n<IfModule ssl_module>\n\tListen 443\n</IfModule>\n",
	"/etc/apache2/conf-enabled/security.conf": "ServerTokens OS\nTraceEnable Off\n",
	"/etc/apache2/sites-enabled/000-default.conf": `<VirtualHost *:80>
	ServerName www.example.org
	DocumentRoot /var/www/html
</VirtualHost>
`,
}

func TestCollectApache(t *testing.T) {
	withFiles := func(base fakeFiles, extra map[string]string) fakeFiles {
		f := fakeFiles{}
		for k, v := range base {
			f[k] = v
		}
		for k, v := range extra {
			if v == "" {
				delete(f, k)
			} else {
				f[k] = v
			}
		}
		return f
	}
	env := map[string]string{"APACHE_RUN_DIR": "/var/run/apache2", "APACHE_RUN_USER": "www-data", "APACHE_PASSWORD": "s3cret"}
	tests := []struct {
		name  string
		files fakeFiles
		argv  []string
		check func(t *testing.T, c facts.ApacheConfig, errs []string)
	}{
		{"debian defaults", debianApache, []string{"/usr/sbin/apache2", "-k", "start"}, func(t *testing.T, c facts.ApacheConfig, errs []string) {
			if len(errs) > 0 || len(c.Unread) > 0 {
				t.Errorf("errs %v, unread %v", errs, c.Unread)
			}
			if c.ConfigFile != "/etc/apache2/apache2.conf" || c.ServerRoot != "/etc/apache2" || c.Sources["ServerRoot"] != "" || !slices.Equal(c.Listen, []string{"80"}) || !slices.Contains(c.Modules, "status_module") {
				t.Errorf("config %+v", c)
			}
			if len(c.Servers) != 2 || c.Servers[1].TraceEnable != "off" || c.Servers[1].Sources["TraceEnable"] != "/etc/apache2/conf-enabled/security.conf:2: TraceEnable Off" {
				t.Errorf("servers %+v", c.Servers)
			}
			if p := c.Servers[1].StatusPages; len(p) != 1 || p[0].Open || p[0].Section != "/etc/apache2/mods-enabled/status.conf:2: <Location /server-status>" {
				t.Errorf("the virtual host's status pages (the main server's, inherited) %+v", p)
			}
			if !reflect.DeepEqual(c.Variables, map[string]string{"APACHE_RUN_DIR": "/var/run/apache2", "APACHE_RUN_USER": "www-data"}) {
				t.Errorf("variables %v", c.Variables)
			}
		}},
		{"trace left at its default", withFiles(debianApache, map[string]string{"/etc/apache2/conf-enabled/security.conf": "ServerTokens OS\n"}), []string{"apache2"},
			func(t *testing.T, c facts.ApacheConfig, _ []string) {
				for _, s := range c.Servers {
					if s.TraceEnable != "on" || s.Sources["TraceEnable"] != "" {
						t.Errorf("server %+v: want TraceEnable on by default, without a source", s)
					}
				}
			}},
		{"virtual host overrides, last wins", withFiles(debianApache, map[string]string{"/etc/apache2/sites-enabled/000-default.conf": `<VirtualHost *:80>
	TraceEnable Off
	TraceEnable extended
	<Location /status>
		SetHandler server-status
		Require all granted
	</Location>
	<Location /server-status>
		Require all granted
	</Location>
</VirtualHost>
<VirtualHost 10.0.0.5:80>
	<Location /server-status>
		SetHandler server-status
		Require not ip 10.9.9.9
	</Location>
</VirtualHost>
`}), []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, _ []string) {
			v := c.Servers[1]
			if v.TraceEnable != "extended" || !strings.Contains(v.Sources["TraceEnable"], "000-default.conf:3:") {
				t.Errorf("virtual host %+v", v)
			}
			var open []string
			for _, p := range v.StatusPages {
				if p.Open {
					open = append(open, p.Path)
				}
			}
			if !slices.Equal(open, []string{"/server-status", "/status"}) {
				t.Errorf("open pages %v in %+v", open, v.StatusPages)
			}
			if w := c.Servers[2]; len(w.StatusPages) != 1 || !w.StatusPages[0].Open {
				t.Errorf("Require not alone limits nothing: %+v", w.StatusPages)
			}
		}},
		{"module not loaded", withFiles(debianApache, map[string]string{"/etc/apache2/mods-enabled/status.load": "", "/etc/apache2/sites-enabled/000-default.conf": `<VirtualHost *:80>
	<Location /server-status>
		SetHandler server-status
	</Location>
</VirtualHost>
`}), []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, _ []string) {
			if len(c.Servers[1].StatusPages) != 0 {
				t.Errorf("pages without mod_status: %+v", c.Servers[1].StatusPages)
			}
		}},
		{"IfDefine and command-line directives", fakeFiles{"/srv/web/httpd.conf": `LoadModule info_module modules/mod_info.so
<IfDefine PUBLIC>
	<Location /info>
		SetHandler server-info
		<RequireAll>
			Require all granted
			Require not ip 10.0.0.0/8
		</RequireAll>
	</Location>
</IfDefine>
<IfDefine !PUBLIC>
	TraceEnable Off
</IfDefine>
`}, []string{"httpd", "-d", "/srv/web", "-f", "httpd.conf", "-D", "PUBLIC", "-c", "TraceEnable Extended"}, func(t *testing.T, c facts.ApacheConfig, _ []string) {
			m := c.Servers[0]
			if c.ConfigFile != "/srv/web/httpd.conf" || c.ServerRoot != "/srv/web" {
				t.Errorf("file %s, root %s", c.ConfigFile, c.ServerRoot)
			}
			if m.TraceEnable != "extended" || m.Sources["TraceEnable"] != "command line: TraceEnable Extended" {
				t.Errorf("main server %+v", m)
			}
			if len(m.StatusPages) != 1 || !m.StatusPages[0].Open || m.StatusPages[0].Handler != "server-info" || len(m.StatusPages[0].Access) != 2 {
				t.Errorf("pages %+v", m.StatusPages)
			}
		}},
		{"listings: Options merged from / to the served directories", fakeFiles{"/etc/apache2/apache2.conf": `LoadModule autoindex_module mod_autoindex.so
Options Indexes FollowSymLinks
DocumentRoot /srv/www
<Directory />
	Options FollowSymLinks
</Directory>
<Directory /srv/www/pub>
	Options +Indexes
</Directory>
<Directory /srv/www/pub/private>
	Options -Indexes
</Directory>
<Directory /srv/other>
	Options All
</Directory>
<VirtualHost *:8080>
	DocumentRoot /srv/files
	Options +Indexes
	<Directory /srv/files/locked>
		Options None
	</Directory>
</VirtualHost>
<VirtualHost *:8081>
	<Directory /srv/www>
		Options Indexes
	</Directory>
</VirtualHost>
`}, []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, _ []string) {
			dirsOf := func(s facts.ApacheServer) []string {
				var out []string
				for _, l := range s.Listings {
					out = append(out, l.Directory+" "+l.Options)
				}
				return out
			}
			const f = "/etc/apache2/apache2.conf:"
			if got := dirsOf(c.Servers[0]); !slices.Equal(got, []string{"/srv/www/pub " + f + "8: Options +Indexes"}) {
				t.Errorf("main server lists %q (DocumentRoot %s)", got, c.Servers[0].DocumentRoot)
			}
			// <Directory /> resets the server-wide Options Indexes for
			// every directory, but the virtual host's own Options come
			// before the Directory sections too.
			if got := dirsOf(c.Servers[1]); len(got) != 0 || c.Servers[1].DocumentRoot != "/srv/files" {
				t.Errorf("virtual host on 8080 lists %q (DocumentRoot %s)", got, c.Servers[1].DocumentRoot)
			}
			if got := dirsOf(c.Servers[2]); !slices.Equal(got, []string{"/srv/www " + f + "25: Options Indexes", "/srv/www/pub " + f + "8: Options +Indexes"}) {
				t.Errorf("virtual host on 8081 lists %q", got)
			}
		}},
		{"listings need mod_autoindex", fakeFiles{"/etc/apache2/apache2.conf": "DocumentRoot /srv/www\n<Directory /srv/www>\nOptions Indexes\n</Directory>\n"}, []string{"apache2"},
			func(t *testing.T, c facts.ApacheConfig, _ []string) {
				if len(c.Servers[0].Listings) != 0 {
					t.Errorf("listings without mod_autoindex: %+v", c.Servers[0].Listings)
				}
			}},
		{"access in an included file or under a condition", withFiles(debianApache, map[string]string{
			"/etc/apache2/sites-enabled/000-default.conf": `<VirtualHost *:80>
	<Location /a>
		SetHandler server-status
		Include status-acl.conf
	</Location>
	<Location /b>
		SetHandler server-status
		<If "%{HTTP_HOST} == 'x'">
			Require ip 10.0.0.0/8
		</If>
	</Location>
	<Location /c>
		SetHandler server-status
		<Limit GET>
			Require all granted
		</Limit>
		Require all granted
	</Location>
</VirtualHost>
`, "/etc/apache2/status-acl.conf": "Require local\n"}), []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, _ []string) {
			open := map[string]bool{}
			for _, p := range c.Servers[1].StatusPages {
				open[p.Path] = p.Open
			}
			if want := map[string]bool{"/server-status": false, "/a": false, "/b": false, "/c": true}; !reflect.DeepEqual(open, want) {
				t.Errorf("open pages %v, want %v", open, want)
			}
		}},
		{"a ServerRoot directive moves relative includes", fakeFiles{
			"/etc/apache2/apache2.conf": "ServerRoot /srv/b\nInclude conf.d/*.conf\nInclude extra/\n",
			"/srv/b/conf.d/x.conf":      "TraceEnable Off\n",
			"/srv/b/extra/y.conf":       "Listen 8080\n",
		}, []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, errs []string) {
			if len(errs) > 0 || c.ServerRoot != "/srv/b" || c.Sources["ServerRoot"] != "/etc/apache2/apache2.conf:1: ServerRoot /srv/b" ||
				c.Servers[0].Sources["TraceEnable"] != "/srv/b/conf.d/x.conf:1: TraceEnable Off" || !slices.Equal(c.Listen, []string{"8080"}) {
				t.Errorf("config %+v, errs %v", c, errs)
			}
		}},
		{"unreadable include", withFiles(debianApache, map[string]string{"/etc/apache2/ports.conf": ""}), []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, errs []string) {
			if !slices.Equal(c.Unread, []string{"/etc/apache2/ports.conf"}) || len(errs) != 1 || !strings.Contains(errs[0], "ports.conf") {
				t.Errorf("unread %v, errs %v", c.Unread, errs)
			}
		}},
		{"include loop", fakeFiles{"/etc/apache2/apache2.conf": "Include apache2.conf\n"}, []string{"apache2"}, func(t *testing.T, c facts.ApacheConfig, errs []string) {
			if len(c.Unread) != 1 || len(errs) != 1 || !strings.Contains(errs[0], "nested") {
				t.Errorf("unread %v, errs %v", c.Unread, errs)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &process{PID: 7, Args: tt.argv, Env: env}
			df := asSelf(tt.files, p, "apache2", "")
			p.Comm = tt.argv[0]
			if i := strings.LastIndexByte(p.Comm, '/'); i >= 0 {
				p.Comm = p.Comm[i+1:]
			}
			c, errs := collectApache(t.Context(), df)
			tt.check(t, c, errs)
		})
	}
}

func TestApacheMasters(t *testing.T) {
	procs := map[int]*process{
		10: {PID: 10, PPID: 1, Comm: "apache2", Args: []string{"/usr/sbin/apache2", "-k", "start"}},
		11: {PID: 11, PPID: 10, Comm: "apache2", Args: []string{"/usr/sbin/apache2", "-k", "start"}, Cred: credOf(33)},
		12: {PID: 12, PPID: 10, Comm: "apache2", Args: []string{"/usr/sbin/apache2", "-k", "start"}, Cred: credOf(33)},
		20: {PID: 20, PPID: 900, Comm: "apache2", Args: []string{"apache2", "-t"}},
		30: {PID: 30, PPID: 1, Comm: "httpd", Args: []string{"/usr/sbin/httpd", "-DFOREGROUND"}},
		31: {PID: 31, PPID: 30, Comm: "httpd", Args: []string{"/usr/sbin/httpd", "-DFOREGROUND"}, Cred: credOf(48)},
	}
	var got []int
	for _, p := range daemonMasters(procs) {
		got = append(got, p.PID)
	}
	if !slices.Equal(got, []int{10, 30}) {
		t.Errorf("masters %v, want the two parents", got)
	}
}

func TestApacheHelper(t *testing.T) {
	tests := []struct {
		p    process
		want bool
	}{
		{process{PID: 10, PPID: 1, Args: []string{"/usr/sbin/apache2", "-k", "start"}}, false},
		// A worker is left out by its parent (daemonMasters); alone, a
		// non-root apache2 is listed as not examined rather than hidden.
		{process{PID: 11, PPID: 10, Args: []string{"/usr/sbin/apache2", "-k", "start"}, Cred: credOf(33)}, false},
		{process{PID: 12, PPID: 900, Args: []string{"/usr/sbin/apache2", "-t"}}, true},
		{process{PID: 13, PPID: 1, Args: []string{"/usr/sbin/apache2", "-f", "/x.conf", "-DFOREGROUND"}}, false},
	}
	for _, tt := range tests {
		if got := apacheCollector.helper(&tt.p); got != tt.want {
			t.Errorf("helper(%+v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

// credOf is the credentials of a process that runs as uid alone.
func credOf(uid int) trust.Cred {
	return trust.Cred{UIDs: [4]int{uid, uid, uid, uid}, GIDs: [4]int{uid, uid, uid, uid}}
}
