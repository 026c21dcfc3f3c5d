package apache

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	tests := map[string][]string{
		`Listen 443`:                                   {"Listen", "443"},
		`  SSLProtocol   all -SSLv3 -TLSv1  `:          {"SSLProtocol", "all", "-SSLv3", "-TLSv1"},
		`DocumentRoot "/var/www/my site"`:              {"DocumentRoot", "/var/www/my site"},
		`Header set X-A 'a "b" c'`:                     {"Header", "set", "X-A", `a "b" c`},
		`LogFormat "%h \"%r\" %>s" combined`:           {"LogFormat", `%h "%r" %>s`, "combined"},
		`ErrorDocument 404 "unterminated`:              {"ErrorDocument", "404", "unterminated"},
		`RewriteRule ^/old\.html$ /new.html [R=301,L]`: {"RewriteRule", `^/old\.html$`, "/new.html", "[R=301,L]"},
		``: nil,
	}
	for in, want := range tests {
		if got := Split(in); !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	in := "# Apache\nServerTokens Full\n<VirtualHost *:443>\n    SSLEngine on\n    SSLProtocol all \\\n        -SSLv3\n    <Directory \"/var/www/html\">\n        Options Indexes\n    </directory>\n</VirtualHost>\n<IfModule mod_status.c>\n  <Location /server-status>\n    Require all granted\n</IfModule>\n</Nothing>\nTraceEnable On\r\n<Unclosed>\nKeepAlive On\n"
	var got []string
	Walk(Parse([]byte(in)), func(d *Directive) {
		s := fmt.Sprintf("%s(%s)@%d-%d", d.Name, strings.Join(d.Args, ","), d.Line, d.EndLine)
		if d.Section {
			s = "<" + s + ">"
		}
		got = append(got, s)
	})
	want := []string{
		"ServerTokens(Full)@2-2",
		"<VirtualHost(*:443)@3-10>", "SSLEngine(on)@4-4", "SSLProtocol(all,-SSLv3)@5-6",
		"<Directory(/var/www/html)@7-9>", "Options(Indexes)@8-8",
		"<IfModule(mod_status.c)@11-14>", "<Location(/server-status)@12-14>", "Require(all,granted)@13-13",
		"TraceEnable(On)@16-16", "<Unclosed()@17-0>", "KeepAlive(On)@18-18",
	}
	if !slices.Equal(got, want) {
		t.Errorf("directives\n%q\nwant\n%q", got, want)
	}
}

func TestParseDepth(t *testing.T) {
	in := strings.Repeat("<If x>\n", MaxDepth+5) + "Deep on\n"
	depth := 0
	var walk func(ds []*Directive, d int)
	walk = func(ds []*Directive, d int) {
		for _, x := range ds {
			depth = max(depth, d)
			walk(x.Children, d+1)
		}
	}
	walk(Parse([]byte(in)), 1)
	if depth != MaxDepth+1 {
		t.Errorf("depth %d, want %d", depth, MaxDepth+1)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("<VirtualHost *:80>\nServerName x \\\n y\n</VirtualHost>\n"))
	f.Add([]byte("<\n</>\n\\\n\"a\\\n'"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines := strings.Count(string(b), "\n") + 1
		Walk(Parse(b), func(d *Directive) {
			if d.Line < 1 || d.Line > lines || d.EndLine > lines || d.EndLine != 0 && d.EndLine < d.Line {
				t.Fatalf("directive %+v in %d lines", d, lines)
			}
		})
	})
}
