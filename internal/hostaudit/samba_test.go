package hostaudit

import (
	"context"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/trust"
)

// deniedFiles is fakeFiles where some files cannot be read.
type deniedFiles struct {
	fakeFiles
	denied map[string]bool
}

func (d deniedFiles) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if d.denied[p] {
		return nil, fs.ErrPermission
	}
	return d.fakeFiles.ReadFile(ctx, p)
}

func TestSambaArgs(t *testing.T) {
	tests := []struct {
		argv  []string
		file  string
		opts  []string
		ports string
	}{
		{[]string{"/usr/sbin/smbd", "--foreground", "--no-process-group"}, "/etc/samba/smb.conf", nil, ""},
		{[]string{"smbd", "--foreground", "--no-process-group", "--debug-stdout", "-s", "/tmp/vigil-lab/smbrdp/smb-weak/smb.conf"}, "/tmp/vigil-lab/smbrdp/smb-weak/smb.conf", nil, ""},
		{[]string{"smbd", "-D", "-s/etc/samba/alt.conf"}, "/etc/samba/alt.conf", nil, ""},
		{[]string{"smbd", "--configfile=/srv/smb.conf", "--option=server min protocol=NT1"}, "/srv/smb.conf", []string{"server min protocol=NT1"}, ""},
		{[]string{"smbd", "-d", "3", "--configfile", "/srv/b.conf", "--option", "map to guest=bad user", "-p", "1445"}, "/srv/b.conf", []string{"map to guest=bad user"}, "1445"},
	}
	for _, tt := range tests {
		got := sambaArgs(tt.argv)
		if got.file != tt.file || !slices.Equal(got.options, tt.opts) || got.ports != tt.ports {
			t.Errorf("sambaArgs(%q) = %+v; want %s %q %q", tt.argv, got, tt.file, tt.opts, tt.ports)
		}
	}
}

func TestCollectSamba(t *testing.T) {
	const main = "/etc/samba/smb.conf"
	tests := []struct {
		name   string
		files  map[string]string
		denied []string
		argv   []string
		// want checks the facts; errs are substrings of the errors.
		want    facts.SambaConfig
		unknown []string
		sources map[string]string
		errs    []string
	}{
		{name: "defaults", files: map[string]string{main: "[global]\n workgroup = X\n[data]\n path = /srv\n"},
			want: facts.SambaConfig{MinProtocol: "SMB2_02", Signing: "default", ServerRole: "auto", MapToGuest: "never", Ports: []int{445, 139}}},
		{name: "weak, synonyms, last wins", files: map[string]string{main: "workgroup = X\n min protocol = LANMAN2\n[global]\n server signing = auto\n Map To Guest = Bad User\n server min protocol = nt1\n" +
			"[pub]\n public = yes\n[priv]\n guest ok = yes\n guest ok = no\n[only]\n guest only = yes\n"},
			want:    facts.SambaConfig{MinProtocol: "NT1", Signing: "if_required", ServerRole: "auto", MapToGuest: "bad user", GuestShares: []string{"pub"}, Ports: []int{445, 139}},
			sources: map[string]string{"server min protocol": main + ":6: server min protocol = nt1", "guest ok [pub]": main + ":8: public = yes", "map to guest": main + ":5: Map To Guest = Bad User"}},
		{name: "global parameters in a share are ignored; a second [global] goes on", files: map[string]string{main: "[global]\n server signing = mandatory\n[s]\n server signing = disabled\n map to guest = bad user\n[global]\n server min protocol = SMB3\n"},
			want: facts.SambaConfig{MinProtocol: "SMB3", Signing: "required", ServerRole: "auto", MapToGuest: "never", Ports: []int{445, 139}}},
		{name: "an invalid value is ignored", files: map[string]string{main: "[global]\n server min protocol = NT1\n server min protocol = SMB9\n server signing = maybe\n"},
			want: facts.SambaConfig{MinProtocol: "NT1", Signing: "default", ServerRole: "auto", MapToGuest: "never", Ports: []int{445, 139}}},
		{name: "guest ok in [global] is the default of the shares defined after it", files: map[string]string{main: "[global]\n map to guest = bad password\n[early]\n path = /a\n[global]\n guest ok = yes\n[late]\n path = /b\n[closed]\n guest ok = no\n"},
			want: facts.SambaConfig{MinProtocol: "SMB2_02", Signing: "default", ServerRole: "auto", MapToGuest: "bad password", GuestShares: []string{"late"}, Ports: []int{445, 139}}},
		{name: "include in place, config file, command line", argv: []string{"smbd", "--option=server signing=mandatory", "--port=1445"},
			files: map[string]string{
				main:                   "[global]\n server min protocol = NT1\n config file = /etc/samba/real.conf\n",
				"/etc/samba/real.conf": "[global]\n include = /etc/samba/inc.conf\n server signing = disabled\n include = /etc/samba/missing.conf\n",
				"/etc/samba/inc.conf":  " server min protocol = LANMAN1\n interfaces = 10.0.0.5/24 lo\n bind interfaces only = yes\n[guests]\n guest ok = yes\n",
			},
			want: facts.SambaConfig{ReadFrom: "/etc/samba/real.conf", Files: []string{"/etc/samba/real.conf", "/etc/samba/inc.conf"}, MinProtocol: "LANMAN1", Signing: "required", ServerRole: "auto", MapToGuest: "never",
				GuestShares: []string{"guests"}, Interfaces: []string{"10.0.0.5/24", "lo"}, BindInterfacesOnly: true, Ports: []int{1445}},
			sources: map[string]string{"server min protocol": "/etc/samba/inc.conf:1: server min protocol = LANMAN1", "server signing": "command line: --option=server signing=mandatory",
				"config file": main + ":3: config file = /etc/samba/real.conf"}},
		{name: "an include vigil cannot read leaves what follows it unknown", denied: []string{"/etc/samba/secret.conf"},
			files: map[string]string{main: "[global]\n server signing = disabled\n include = /etc/samba/secret.conf\n server min protocol = NT1\n[pub]\n guest ok = yes\n[global]\n map to guest = bad user\n", "/etc/samba/secret.conf": "x"},
			// The share's own guest ok = yes is certain; server min protocol
			// is set in a section vigil cannot tell, and stays unknown.
			want:    facts.SambaConfig{MinProtocol: "SMB2_02", Signing: "disabled", ServerRole: "auto", MapToGuest: "bad user", GuestShares: []string{"pub"}, Ports: []int{445, 139}},
			unknown: []string{"server signing", "server min protocol", "server role"},
			errs:    []string{"include = /etc/samba/secret.conf was not followed"}},
		{name: "an include vigil cannot read in a share leaves that share unknown", denied: []string{"/etc/samba/secret.conf"},
			files:   map[string]string{main: "[global]\n map to guest = bad user\n[pub]\n guest ok = yes\n include = /etc/samba/secret.conf\n[global]\n server signing = mandatory\n", "/etc/samba/secret.conf": "x"},
			want:    facts.SambaConfig{MinProtocol: "SMB2_02", Signing: "required", ServerRole: "auto", MapToGuest: "bad user", Ports: []int{445, 139}},
			unknown: []string{"server min protocol", "server role", "map to guest", "guest ok [pub]"},
			errs:    []string{"include = /etc/samba/secret.conf was not followed"}},
		{name: "includes with substitutions are not followed", files: map[string]string{main: "[global]\n server min protocol = NT1\n include = /etc/samba/%m.conf\n"},
			want:    facts.SambaConfig{MinProtocol: "NT1", Signing: "default", ServerRole: "auto", MapToGuest: "never", Ports: []int{445, 139}},
			unknown: []string{"server min protocol", "server signing", "server role", "map to guest"},
			errs:    []string{"depends on the client"}},
		{name: "the file cannot be read", files: map[string]string{},
			unknown: []string{"server min protocol", "server signing", "server role", "map to guest", "guest ok"},
			errs:    []string{"cannot read /etc/samba/smb.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			denied := map[string]bool{}
			for _, d := range tt.denied {
				denied[d] = true
			}
			argv := tt.argv
			if argv == nil {
				argv = []string{"/usr/sbin/smbd", "--foreground"}
			}
			target := deniedFiles{fakeFiles(tt.files), denied}
			cfg, errs := collectSamba(t.Context(), asSelf(target, &process{PID: 7, Args: argv}, "smbd", ""))
			if tt.want.ReadFrom == "" && len(tt.files) > 0 {
				tt.want.ReadFrom = main
			}
			if tt.want.Files == nil && len(tt.files) > 0 {
				tt.want.Files = []string{main}
			}
			got := cfg
			got.PID, got.ConfigFile, got.Daemon, got.Sources, got.Unknown, got.Testparm = 0, "", facts.Daemon{}, nil, nil, ""
			want := tt.want
			if !slicesEqualSamba(got, want) {
				t.Errorf("facts =\n%+v\nwant\n%+v", got, want)
			}
			if cfg.ConfigFile != main || cfg.PID != 7 {
				t.Errorf("config file %q pid %d", cfg.ConfigFile, cfg.PID)
			}
			if keys := slices.Sorted(maps.Keys(cfg.Unknown)); !slices.Equal(keys, slices.Sorted(slices.Values(tt.unknown))) {
				t.Errorf("unknown = %v, want %v", cfg.Unknown, tt.unknown)
			}
			for k, v := range tt.sources {
				if cfg.Sources[k] != v {
					t.Errorf("source of %s = %q, want %q", k, cfg.Sources[k], v)
				}
			}
			if len(errs) != len(tt.errs) {
				t.Errorf("errors %q, want %q", errs, tt.errs)
			}
			for i, e := range tt.errs {
				if i < len(errs) && !strings.Contains(errs[i], e) {
					t.Errorf("error %q lacks %q", errs[i], e)
				}
			}
			if cfg.Testparm != "" || !strings.Contains(cfg.Daemon.Note, "vigil does not run testparm") {
				t.Errorf("testparm %q (%q) on a machine where smbd's binary cannot be seen", cfg.Testparm, cfg.Daemon.Note)
			}
		})
	}
}

// slicesEqualSamba compares the judged fields of two configurations.
func slicesEqualSamba(a, b facts.SambaConfig) bool {
	return a.ReadFrom == b.ReadFrom && slices.Equal(a.Files, b.Files) && a.MinProtocol == b.MinProtocol && a.Signing == b.Signing &&
		a.ServerRole == b.ServerRole && a.MapToGuest == b.MapToGuest && slices.Equal(a.GuestShares, b.GuestShares) &&
		slices.Equal(a.Interfaces, b.Interfaces) && a.BindInterfacesOnly == b.BindInterfacesOnly && slices.Equal(a.Ports, b.Ports)
}

func TestSambaHelper(t *testing.T) {
	procs := map[int]*process{
		1:  {PID: 1, Comm: "systemd", Args: []string{"/sbin/init"}},
		50: {PID: 50, PPID: 1, Comm: "smbd", Args: []string{"/usr/sbin/smbd", "--foreground", "--no-process-group"}},
		51: {PID: 51, PPID: 50, Comm: "smbd", Args: []string{"/usr/sbin/smbd", "--foreground", "--no-process-group"}}, // a client's
		52: {PID: 52, PPID: 50, Comm: "smbd-notifyd", Args: []string{"/usr/sbin/smbd", "--foreground", "--no-process-group"}},
		53: {PID: 53, PPID: 1, Comm: "smbd", Args: []string{"smbd", "-b"}},
	}
	var got []int
	for _, p := range daemonMasters(procs) {
		got = append(got, p.PID)
	}
	if !slices.Equal(got, []int{50}) {
		t.Errorf("daemonMasters = %v, want the main smbd alone", got)
	}
	if _, files := plan(procs[50], nil); !slices.Equal(files, []string{"/etc/samba/smb.conf"}) {
		t.Errorf("plan = %q", files)
	}
}

// statFiles is a machine described by what lstat says of each path.
type statFiles map[string]trust.Info

func (s statFiles) Run(context.Context, string, ...string) ([]byte, error) { return nil, ErrNoCommand }
func (s statFiles) ReadFile(context.Context, string) ([]byte, error)       { return nil, fs.ErrNotExist }
func (s statFiles) Stat(_ context.Context, paths []string) (map[string]trust.Info, error) {
	out := map[string]trust.Info{}
	for _, p := range paths {
		if i, ok := s[p]; ok {
			out[p] = i
		}
	}
	return out, nil
}

func TestSambaTestparm(t *testing.T) {
	dir := trust.Info{Mode: fs.ModeDir | 0o755}
	machine := func(edit func(m statFiles)) statFiles {
		m := statFiles{"/": dir, "/usr": dir, "/usr/sbin": dir, "/usr/bin": dir, "/proc": dir, "/proc/7": dir,
			"/proc/7/exe":       {Mode: fs.ModeSymlink | 0o777, Link: "/usr/sbin/smbd"},
			"/usr/sbin/smbd":    {Mode: 0o755},
			"/usr/bin/testparm": {Mode: 0o755},
		}
		if edit != nil {
			edit(m)
		}
		return m
	}
	tests := []struct {
		name string
		m    statFiles
		uid  int // the smbd's user
		want string
		note string
	}{
		{name: "Debian: /usr/bin beside /usr/sbin", m: machine(nil), want: "/usr/bin/testparm"},
		{name: "beside smbd", m: machine(func(m statFiles) { m["/usr/sbin/testparm"] = trust.Info{Mode: 0o755} }), want: "/usr/sbin/testparm"},
		{name: "testparm another user may change", m: machine(func(m statFiles) { m["/usr/bin/testparm"] = trust.Info{Mode: 0o755, UID: 1000} }), note: "no testparm it trusts"},
		{name: "testparm writable by all", m: machine(func(m statFiles) { m["/usr/bin/testparm"] = trust.Info{Mode: 0o777} }), note: "no testparm it trusts"},
		{name: "a directory writable by all", m: machine(func(m statFiles) { m["/usr/bin"] = trust.Info{Mode: fs.ModeDir | 0o777} }), note: "no testparm it trusts"},
		{name: "not executable", m: machine(func(m statFiles) { m["/usr/bin/testparm"] = trust.Info{Mode: 0o644} }), note: "no testparm it trusts"},
		{name: "smbd replaced since it started", m: machine(func(m statFiles) {
			m["/proc/7/exe"] = trust.Info{Mode: fs.ModeSymlink | 0o777, Link: "/usr/sbin/smbd (deleted)"}
		}), note: "replaced"},
		{name: "smbd's binary another user may change", m: machine(func(m statFiles) { m["/usr/sbin/smbd"] = trust.Info{Mode: 0o755, UID: 1000} }), note: "vigil does not run testparm"},
		{name: "an smbd that does not run as root", m: machine(nil), uid: 1000, note: "does not run as root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			df := asSelf(tt.m, &process{PID: 7, Args: []string{"/usr/sbin/smbd"}}, "smbd", "")
			if tt.uid != 0 {
				df.d.owners = trust.Owners{UID: tt.uid, GID: tt.uid}
			} else {
				df.d.owners = trust.Root
			}
			got, note := sambaTestparm(t.Context(), df)
			if got != tt.want || !strings.Contains(note, tt.note) || (tt.want == "") == (note == "") {
				t.Errorf("sambaTestparm = %q, %q; want %q, a note saying %q", got, note, tt.want, tt.note)
			}
		})
	}
}
