package samba

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func reader(files map[string]string) Reader {
	return func(name string) ([]byte, error) {
		if b, ok := files[name]; ok {
			return []byte(b), nil
		}
		if strings.HasPrefix(name, "/denied") {
			return nil, fs.ErrPermission
		}
		return nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// main, files read, the last global entry of each key ("FILE:LINE=VALUE"), ignored, unread include values
		main    string
		read    string
		global  map[string]string
		ignored string
		unread  string
	}{
		{name: "plain", files: map[string]string{"/a": "min protocol = NT1\n[global]\nserver signing = auto\n[s]\nserver signing = disabled\n"},
			main: "/a", read: "/a", global: map[string]string{"server min protocol": "/a:1=NT1", "server signing": "/a:3=auto", "map to guest": ""}},
		{name: "include in place and section changes", files: map[string]string{
			"/a": "[global]\ninclude = /b\nmap to guest = bad user\n[global]\ninclude = /missing\nserver signing = mandatory\n",
			"/b": "server min protocol = SMB3\n[share]\nguest ok = yes\n"},
			main: "/a", read: "/a /b", global: map[string]string{"server min protocol": "/b:1=SMB3", "map to guest": "", "server signing": "/a:6=mandatory"}},
		{name: "config file restarts from the new file", files: map[string]string{
			"/a": "[global]\nserver min protocol = NT1\nconfig file = /c\n", "/c": "[global]\nserver signing = disabled\n"},
			main: "/c", read: "/c", global: map[string]string{"server min protocol": "", "server signing": "/c:2=disabled"}},
		{name: "config file that does not exist", files: map[string]string{"/a": "[global]\nconfig file = /nope\nserver min protocol = NT1\n"},
			main: "/a", read: "/a", global: map[string]string{"server min protocol": "/a:3=NT1"}, ignored: "does not exist"},
		{name: "config file with a substitution", files: map[string]string{"/a": "[global]\nconfig file = /etc/samba/%m.conf\n"},
			main: "/a", read: "/a", ignored: "depends on the client"},
		{name: "config file loop", files: map[string]string{"/a": "config file = /b\n", "/b": "config file = /a\n"},
			main: "/b", read: "/b", ignored: "loops back"},
		{name: "includes not followed", files: map[string]string{"/a": "include = registry\ninclude = rel.conf\ninclude = /x/%U.conf\ninclude = /denied/d.conf\ninclude = /a\n"},
			main: "/a", read: "/a", unread: "registry rel.conf /x/%U.conf /denied/d.conf /a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Load("/a", reader(tt.files))
			if err != nil {
				t.Fatal(err)
			}
			if l.Main != tt.main || strings.Join(l.Files, " ") != tt.read {
				t.Errorf("main %s files %v, want %s %s", l.Main, l.Files, tt.main, tt.read)
			}
			for k, want := range tt.global {
				e, ok := l.Global(k)
				got := ""
				if ok {
					got = fmt.Sprintf("%s:%d=%s", e.File, e.Line, e.Value)
				}
				if got != want {
					t.Errorf("Global(%s) = %q, want %q", k, got, want)
				}
			}
			if (tt.ignored == "") != (l.Ignored == "") || !strings.Contains(l.Ignored, tt.ignored) {
				t.Errorf("ignored %q, want %q", l.Ignored, tt.ignored)
			}
			var unread []string
			for _, e := range l.Unread() {
				unread = append(unread, e.Value)
			}
			if strings.Join(unread, " ") != tt.unread {
				t.Errorf("unread %q, want %q", unread, tt.unread)
			}
		})
	}
	if _, err := Load("/none", reader(nil)); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestGlobalSure(t *testing.T) {
	l, err := Load("/a", reader(map[string]string{"/a": "[global]\nserver signing = disabled\ninclude = /denied/x\nmap to guest = never\n[global]\nserver min protocol = NT1\n"}))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"server signing": "includes /denied/x", "map to guest": "includes /denied/x", "server min protocol": "", "server role": "includes /denied/x"} {
		if _, _, unsure := l.GlobalSure(key); !strings.Contains(unsure, want) || (want == "") != (unsure == "") {
			t.Errorf("GlobalSure(%s) unsure %q, want %q", key, unsure, want)
		}
	}
}

func TestValues(t *testing.T) {
	for in, want := range map[string]string{"nt1": "NT1 5", "default": "SMB2_02 6", " SMB3 ": "SMB3 10", "smb2": "SMB2 7", "CORE+": "CORE+ 2", "SMB9": " 0"} {
		n, r, ok := Protocol(in)
		got := fmt.Sprintf("%s %d", n, r)
		if !ok {
			got = " 0"
		}
		if got != want {
			t.Errorf("Protocol(%q) = %q, want %q", in, got, want)
		}
	}
	if !SMB1("LANMAN2") || SMB1("SMB2_02") || SMB1("bogus") {
		t.Error("SMB1")
	}
	for in, want := range map[string]string{"Mandatory": "required", "forced": "required", "auto": "if_required", "Yes": "if_required", "off": "disabled", "default": "default", "desired": "desired", "x": ""} {
		if got, _ := Signing(in); got != want {
			t.Errorf("Signing(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Bad User": "bad user", "baduser": "bad user", "NEVER": "never", "Bad Uid": "bad uid", "x": ""} {
		if got, _ := MapToGuest(in); got != want {
			t.Errorf("MapToGuest(%q) = %q, want %q", in, got, want)
		}
	}
	if !ADDC("active directory domain controller") || !ADDC("DC") || ADDC("classic primary domain controller") {
		t.Error("ADDC")
	}
	b := []byte("a = 1\nb = 2 \\\n  3 \\\n 4\nc = 5\n")
	if EndLine(b, 2) != 4 || EndLine(b, 1) != 1 || EndLine(b, 5) != 5 {
		t.Errorf("EndLine = %d %d %d", EndLine(b, 2), EndLine(b, 1), EndLine(b, 5))
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("[global]\ninclude = /b\nconfig file = /b\n"), []byte("include = /a\n[s]\nguest ok = yes \\\n"))
	f.Add([]byte("include = /a\n"), []byte("config file = /a\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		l, err := Load("/a", reader(map[string]string{"/a": string(a), "/b": string(b)}))
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Files) > maxFiles+1 || len(l.Redirects) > maxRedirects {
			t.Fatalf("read %d files, %d redirects", len(l.Files), len(l.Redirects))
		}
		for _, e := range l.Entries {
			if e.Line < 1 {
				t.Fatalf("entry %+v", e)
			}
			if body, ok := map[string][]byte{"/a": a, "/b": b}[e.File]; ok {
				if end := EndLine(body, e.Line); end < e.Line {
					t.Fatalf("EndLine(%d) = %d", e.Line, end)
				}
			}
		}
		for _, k := range []string{"server min protocol", "guest ok"} {
			l.GlobalSure(k)
		}
	})
}
