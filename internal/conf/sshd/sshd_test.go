package sshd

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		kw   string
		key  string
		args []string
	}{
		{"Port 2222", true, "Port", "port", []string{"2222"}},
		{"  PasswordAuthentication   no  ", true, "PasswordAuthentication", "passwordauthentication", []string{"no"}},
		{"ListenAddress=10.0.0.5", true, "ListenAddress", "listenaddress", []string{"10.0.0.5"}},
		{"ListenAddress = 10.0.0.5\r", true, "ListenAddress", "listenaddress", []string{"10.0.0.5"}},
		{"ChallengeResponseAuthentication yes", true, "ChallengeResponseAuthentication", "kbdinteractiveauthentication", []string{"yes"}},
		{`PermitRootLogin "yes"`, true, "PermitRootLogin", "permitrootlogin", []string{"yes"}},
		{`Banner "/etc/my banner" # the banner`, true, "Banner", "banner", []string{"/etc/my banner"}},
		{`AuthorizedKeysFile '.ssh/a b' .ssh/c\ d`, true, "AuthorizedKeysFile", "authorizedkeysfile", []string{".ssh/a b", ".ssh/c d"}},
		{`Subsystem sftp /usr/lib/x a#b`, true, "Subsystem", "subsystem", []string{"sftp", "/usr/lib/x", "a#b"}},
		{`ForceCommand echo "a\"b"`, true, "ForceCommand", "forcecommand", []string{"echo", `a"b`}},
		{`Banner "unterminated`, true, "Banner", "banner", []string{"unterminated"}},
		{"UsePAM", true, "UsePAM", "usepam", nil},
		{"Match User backup Address 10.0.0.0/8", true, "Match", "match", []string{"User", "backup", "Address", "10.0.0.0/8"}},
		{"# PasswordAuthentication yes", false, "", "", nil},
		{"   ", false, "", "", nil},
		{"= yes", false, "", "", nil},
		{"", false, "", "", nil},
	}
	for _, tc := range tests {
		d, ok := ParseLine(tc.in)
		if ok != tc.ok || d.Keyword != tc.kw || d.Key != tc.key || !slices.Equal(d.Args, tc.args) {
			t.Errorf("ParseLine(%q) = %+v, %v", tc.in, d, ok)
		}
		if ok && d.Text != strings.Trim(tc.in, " \t\r") {
			t.Errorf("ParseLine(%q).Text = %q", tc.in, d.Text)
		}
	}
}

func TestParse(t *testing.T) {
	in := `# comment
Port 2222
Include conf.d/*.conf
Match User backup
    PasswordAuthentication yes
Match all
X11Forwarding no
`
	got := Parse([]byte(in))
	want := []Directive{
		{Keyword: "Port", Key: "port", Args: []string{"2222"}, Line: 2, Text: "Port 2222"},
		{Keyword: "Include", Key: "include", Args: []string{"conf.d/*.conf"}, Line: 3, Text: "Include conf.d/*.conf"},
		{Keyword: "Match", Key: "match", Args: []string{"User", "backup"}, Line: 4, Text: "Match User backup"},
		{Keyword: "PasswordAuthentication", Key: "passwordauthentication", Args: []string{"yes"}, Line: 5, Text: "PasswordAuthentication yes", Match: true},
		{Keyword: "Match", Key: "match", Args: []string{"all"}, Line: 6, Text: "Match all"},
		{Keyword: "X11Forwarding", Key: "x11forwarding", Args: []string{"no"}, Line: 7, Text: "X11Forwarding no"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}
	if v := got[2].Value(); v != "User backup" {
		t.Errorf("Value = %q", v)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("Port 22\nMatch User x\nPasswordAuthentication yes\n"))
	f.Add([]byte("Banner \"a b\\\" c' # x\nKey='q\n=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range Parse(b) {
			if d.Keyword == "" || d.Line < 1 || d.Key != strings.ToLower(d.Keyword) && aliases[strings.ToLower(d.Keyword)] != d.Key {
				t.Fatalf("directive %+v", d)
			}
			if d.Key == "match" && d.Match {
				t.Fatalf("a Match line inside a Match block: %+v", d)
			}
		}
	})
}
