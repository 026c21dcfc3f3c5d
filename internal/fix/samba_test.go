package fix

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/facts"
)

// sambaHost is an audit of a machine with two smbd: pid 900 on
// 127.0.4.52:445 started with dir/smb.conf, pid 910 on 127.0.4.53:445
// with dir/other.conf.
func sambaHost(dir string, edit func(h *facts.HostAudit)) *facts.HostAudit {
	h := &facts.HostAudit{Hostname: "clinic", Listeners: []facts.Listener{
		{Transport: "tcp", Address: "127.0.4.52", Port: 445, PID: 900, Process: "smbd", Cmdline: "smbd --foreground -s " + dir + "/smb.conf"},
		{Transport: "tcp", Address: "127.0.4.53", Port: 445, PID: 910, Process: "smbd", Cmdline: "smbd --foreground -s " + dir + "/other.conf"},
		{Transport: "tcp", Address: "127.0.4.54", Port: 445, PID: 920, Process: "smbd", User: "nobody"},
	},
		Samba: []facts.SambaConfig{
			{PID: 900, ConfigFile: dir + "/smb.conf", Testparm: "/usr/bin/testparm", Sources: map[string]string{}},
			{PID: 910, ConfigFile: dir + "/other.conf", Testparm: "/usr/bin/testparm"},
		},
		Distrusted: []facts.Distrusted{{PID: 920, Process: "smbd", User: "nobody", Reason: "calls itself smbd but is not examined as one"}},
	}
	if edit != nil {
		edit(h)
	}
	return h
}

var sambaSvc = &facts.Service{Port: 445, Transport: "tcp", Name: "smb", Product: "Samba", Version: "4.17.12"}

func TestPlanSamba(t *testing.T) {
	const weak = "[global]\n  workgroup = LAB\n  server min protocol = NT1\n  server signing = disabled\n  map to guest = bad user\n[public]\n  path = /srv/public\n  guest ok = yes\n"
	tests := []struct {
		name    string
		files   map[string]string // relative to the test's directory; ${D} is the directory
		check   string
		host    string // default 127.0.4.52
		service *facts.Service
		edit    func(h *facts.HostAudit)
		// path of the edited file (relative) and what its new content
		// must contain and not contain, in order
		path      string
		contains  []string
		lacks     []string
		validate  string // the file testparm checks (relative)
		reload    string
		refused   string // the error must contain this
		wantNotes []string
	}{
		{name: "smb.v1 replaces the line in force", files: map[string]string{"smb.conf": weak}, check: "smb.v1", service: sambaSvc,
			path: "smb.conf", contains: []string{"  # vigil fix FIX replaced: server min protocol = NT1\n  server min protocol = SMB2_02\n  server signing = disabled"},
			validate: "smb.conf", reload: "kill -HUP 900", wantNotes: []string{"SMBv1", "already active connections"}},
		{name: "signing, host finding", files: map[string]string{"smb.conf": weak}, check: "smb.config.signing",
			path: "smb.conf", contains: []string{"# vigil fix FIX replaced: server signing = disabled\n  server signing = mandatory\n"}},
		{name: "guest shares: map to guest replaced, restrict anonymous added", files: map[string]string{"smb.conf": weak}, check: "smb.guest.shares", service: sambaSvc,
			path: "smb.conf", contains: []string{"[global]\n  # Set by vigil fix FIX\n  restrict anonymous = 2\n  workgroup = LAB\n", "# vigil fix FIX replaced: map to guest = bad user\n  map to guest = never\n", "  guest ok = yes\n"},
			wantNotes: []string{"vigil does not change shares", "null sessions"}},
		{name: "guest shares with restrict anonymous = 2 already", files: map[string]string{"smb.conf": weak + "[global]\n  restrict anonymous = 2\n"}, check: "smb.guest.shares", service: sambaSvc,
			path: "smb.conf", contains: []string{"  map to guest = never\n", "[global]\n  restrict anonymous = 2\n"}, lacks: []string{"Set by vigil"}},
		{name: "guest in the host audit: map to guest alone", files: map[string]string{"smb.conf": weak}, check: "smb.config.guest",
			path: "smb.conf", contains: []string{"  map to guest = never\n"}, lacks: []string{"restrict anonymous"}},
		{name: "two settings added at one place", files: map[string]string{"smb.conf": "[global]\n workgroup = X\n"}, check: "smb.guest.shares", service: sambaSvc,
			path: "smb.conf", contains: []string{"[global]\n # Set by vigil fix FIX\n map to guest = never\n restrict anonymous = 2\n workgroup = X\n"}},
		{name: "unset: added after the [global] header", files: map[string]string{"smb.conf": "# top\n[global]\n\tworkgroup = LAB\n[data]\n\tpath = /srv\n"}, check: "smb.config.signing",
			path: "smb.conf", contains: []string{"[global]\n\t# Set by vigil fix FIX\n\tserver signing = mandatory\n\tworkgroup = LAB\n"}},
		{name: "unset, no [global] header: at the top", files: map[string]string{"smb.conf": "workgroup = LAB\n[data]\npath = /srv"}, check: "smb.v1", service: sambaSvc,
			path: "smb.conf", contains: []string{"# Set by vigil fix FIX\nserver min protocol = SMB2_02\nworkgroup = LAB\n[data]\npath = /srv\n"}},
		{name: "synonym and continuation line", files: map[string]string{"smb.conf": "[global]\n min protocol = \\\n   LANMAN2\n[s]\n path = /x\n"}, check: "smb.v1", service: sambaSvc,
			path: "smb.conf", contains: []string{"[global]\n # vigil fix FIX replaced: min protocol = LANMAN2\n server min protocol = SMB2_02\n[s]\n"}, lacks: []string{"\n   LANMAN2"}},
		{name: "the last line wins: it is the one replaced", files: map[string]string{"smb.conf": "[global]\nserver signing = mandatory\n[s]\npath=/x\n[global]\nserver signing = auto\n"}, check: "smb.config.signing",
			path: "smb.conf", contains: []string{"server signing = mandatory\n[s]", "# vigil fix FIX replaced: server signing = auto\nserver signing = mandatory\n"}},
		{name: "the line is in an include", files: map[string]string{"smb.conf": "[global]\n include = ${D}/inc.conf\n[s]\n path = /x\n", "inc.conf": "server min protocol = NT1\n"}, check: "smb.v1", service: sambaSvc,
			path: "inc.conf", contains: []string{"# vigil fix FIX replaced: server min protocol = NT1\nserver min protocol = SMB2_02\n"}, validate: "smb.conf"},
		{name: "config file moves smbd to another file", files: map[string]string{"smb.conf": "[global]\n server min protocol = SMB3\n config file = ${D}/real.conf\n", "real.conf": "[global]\n server min protocol = NT1\n"}, check: "smb.v1", service: sambaSvc,
			path: "real.conf", contains: []string{"server min protocol = SMB2_02"}, validate: "real.conf", wantNotes: []string{"whose config file line makes it read"}},
		{name: "systemd unit", files: map[string]string{"smb.conf": weak}, check: "smb.v1", service: sambaSvc,
			edit: func(h *facts.HostAudit) { h.Listeners[0].Unit = "smbd.service" }, path: "smb.conf", reload: "systemctl reload smbd.service"},

		{name: "guest: everything already as strict", files: map[string]string{"smb.conf": "[global]\nmap to guest = Never\nrestrict anonymous = 2\n"}, check: "smb.guest.shares", service: sambaSvc, refused: "already sets restrict anonymous = 2"},
		{name: "the command line sets restrict anonymous", files: map[string]string{"smb.conf": weak}, check: "smb.guest.shares", service: sambaSvc,
			edit:    func(h *facts.HostAudit) { h.Listeners[0].Cmdline += " --option=restrict anonymous=0" },
			refused: "from its command line"},
		{name: "a stricter value is kept", files: map[string]string{"smb.conf": "[global]\nserver min protocol = SMB3\n"}, check: "smb.v1", service: sambaSvc, refused: "already sets server min protocol = SMB3"},
		{name: "signing already mandatory", files: map[string]string{"smb.conf": "[global]\nserver signing = required\n"}, check: "smb.config.signing", refused: "as strict as the fix"},
		{name: "a value Samba ignores", files: map[string]string{"smb.conf": "[global]\nserver min protocol = SMB9\n"}, check: "smb.v1", service: sambaSvc, refused: "a value Samba ignores"},
		{name: "an include vigil cannot follow", files: map[string]string{"smb.conf": "[global]\nserver min protocol = NT1\ninclude = /etc/samba/%m.conf\n"}, check: "smb.v1", service: sambaSvc,
			refused: "cannot see all of smbd's configuration"},
		{name: "an include another smbd reads", files: map[string]string{"smb.conf": "[global]\ninclude = ${D}/common.conf\n", "other.conf": "[global]\ninclude = ${D}/common.conf\n", "common.conf": "server signing = auto\n"},
			check: "smb.config.signing", refused: "also read by another smbd (pid 910"},
		{name: "the main file of another smbd", files: map[string]string{"smb.conf": weak}, check: "smb.v1", service: sambaSvc,
			edit:    func(h *facts.HostAudit) { h.Samba[1].ConfigFile = h.Samba[0].ConfigFile },
			refused: "also the configuration of another smbd (pid 910)"},
		{name: "the command line sets it", files: map[string]string{"smb.conf": weak}, check: "smb.v1", service: sambaSvc,
			edit: func(h *facts.HostAudit) {
				h.Samba[0].Sources["server min protocol"] = "command line: --option=server min protocol=NT1"
			},
			refused: "from its command line"},
		{name: "no testparm vigil trusts", files: map[string]string{"smb.conf": weak}, check: "smb.v1", service: sambaSvc,
			edit: func(h *facts.HostAudit) {
				h.Samba[0].Testparm, h.Samba[0].Daemon.Note = "", "no testparm beside /usr/sbin/smbd"
			},
			refused: "found none it may run"},
		{name: "an smbd not examined", files: map[string]string{"smb.conf": weak}, check: "smb.v1", host: "127.0.4.54", service: sambaSvc, refused: "not examined as one"},
		{name: "Windows", files: map[string]string{"smb.conf": weak}, check: "smb.v1", service: &facts.Service{Port: 445, Transport: "tcp", Name: "smb", Product: "Windows"}, refused: "runs Windows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(body, "${D}", dir)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			host := tt.host
			if host == "" {
				host = "127.0.4.52"
			}
			in := Input{Finding: find(tt.check, host, 445, "tcp", ""), Service: tt.service, Host: sambaHost(dir, tt.edit), ReadFile: readFile, FixID: "FIX", Now: time.Unix(0, 0)}
			plan, err := MakePlan(in)
			if tt.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("error %v, want one saying %q", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.Edits) != 1 || plan.Edits[0].Path != filepath.Join(dir, tt.path) {
				t.Fatalf("edits %+v, want %s", plan.Edits, tt.path)
			}
			after := string(plan.Edits[0].After)
			for _, c := range tt.contains {
				if !strings.Contains(after, c) {
					t.Errorf("new %s lacks %q:\n%s", tt.path, c, after)
				}
			}
			for _, c := range tt.lacks {
				if strings.Contains(after, c) {
					t.Errorf("new %s still has %q:\n%s", tt.path, c, after)
				}
			}
			if before, _ := os.ReadFile(filepath.Join(dir, tt.path)); !slices.Equal(plan.Edits[0].Before, before) {
				t.Error("Before is not the file's content")
			}
			validate := tt.validate
			if validate == "" {
				validate = "smb.conf"
			}
			if len(plan.Validate) != 1 || !slices.Equal(plan.Validate[0].Argv, []string{"/usr/bin/testparm", "-s", "--suppress-prompt", filepath.Join(dir, validate)}) {
				t.Errorf("validate %+v", plan.Validate)
			}
			reload := tt.reload
			if reload == "" {
				reload = "kill -HUP 900"
			}
			if len(plan.Reload) != 1 || plan.Reload[0].String() != reload || (plan.Reload[0].Kind == StepSignal && plan.Reload[0].Match != "smbd") {
				t.Errorf("reload %+v, want %s", plan.Reload, reload)
			}
			if len(plan.Verify) != 1 || plan.Verify[0].Kind != StepListen || plan.Verify[0].Addr != "127.0.4.52:445" {
				t.Errorf("verify %+v", plan.Verify)
			}
			notes := strings.Join(plan.Notes, " ")
			for _, n := range tt.wantNotes {
				if !strings.Contains(notes, n) {
					t.Errorf("notes %q lack %q", notes, n)
				}
			}
			if plan.Applier != "samba" || !strings.Contains(plan.Text(), "testparm") {
				t.Errorf("plan text:\n%s", plan.Text())
			}
		})
	}
}

func TestSambaOffer(t *testing.T) {
	for _, tt := range []struct {
		check string
		svc   *facts.Service
		want  bool
	}{
		{"smb.v1", sambaSvc, true},
		{"smb.signing.not-required", sambaSvc, true},
		{"smb.guest.shares", &facts.Service{Name: "smb", Product: "Windows"}, false},
		{"smb.v1", &facts.Service{Name: "smb"}, false},
		{"smb.config.v1", nil, true},
		{"smb.config.guest", &facts.Service{Name: "smb"}, true},
		{"smb.config.signing", &facts.Service{Name: "http"}, false},
	} {
		if got := Offer(find(tt.check, "127.0.4.52", 445, "tcp", ""), tt.svc); got != tt.want {
			t.Errorf("Offer(%s, %+v) = %v, want %v", tt.check, tt.svc, got, tt.want)
		}
	}
	if err := Supports(find("smb.v1", "127.0.4.52", 445, "tcp", ""), &facts.Service{Name: "smb", Product: "Windows"}); !errors.Is(err, ErrNoApplier) {
		t.Errorf("Supports on Windows: %v", err)
	}
}
