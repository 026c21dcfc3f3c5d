package nginx

import (
	"reflect"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	in := "user www-data; # who\nlocation ~ \\.php$ {\n  return 200 \"a \\\"b\\\"\\n\";\n  set $x ${host}x;\n}\n'multi\nline' a#b;"
	type tok struct {
		k      Kind
		v      string
		quoted bool
		line   int
	}
	want := []tok{
		{Word, "user", false, 1}, {Word, "www-data", false, 1}, {Semicolon, "", false, 1},
		{Word, "location", false, 2}, {Word, "~", false, 2}, {Word, `\.php$`, false, 2}, {Open, "", false, 2},
		{Word, "return", false, 3}, {Word, "200", false, 3}, {Word, "a \"b\"\n", true, 3}, {Semicolon, "", false, 3},
		{Word, "set", false, 4}, {Word, "$x", false, 4}, {Word, "${host}x", false, 4}, {Semicolon, "", false, 4},
		{Close, "", false, 5},
		{Word, "multi\nline", true, 6}, {Word, "a#b", false, 7}, {Semicolon, "", false, 7},
	}
	got := Tokenize([]byte(in))
	if len(got) != len(want) {
		t.Fatalf("%d tokens, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		if g.Kind != w.k || g.Value != w.v || g.Quoted != w.quoted || g.Line != w.line {
			t.Errorf("token %d = %+v, want %+v", i, g, w)
		}
		if g.Start < 0 || g.End > len(in) || g.Start >= g.End {
			t.Errorf("token %d span %d-%d", i, g.Start, g.End)
		}
	}
	if s := in[got[5].Start:got[5].End]; s != `\.php$` {
		t.Errorf("span of a word = %q", s)
	}
	if s := in[got[9].Start:got[9].End]; s != `"a \"b\"\n"` {
		t.Errorf("span of a quoted word = %q", s)
	}
}

func TestParse(t *testing.T) {
	in := `events {}
http {
    ssl_protocols TLSv1 TLSv1.2;
    server {
        listen 443 ssl;
        server_name "example.org";
    }
    include /etc/nginx/sites-enabled/*;
    broken here }
}
stray }
after;
`
	got := Parse([]byte(in))
	var names []string
	var lines []int
	Walk(got, func(d *Directive) {
		names = append(names, d.Name+"/"+strings.Join(d.Args, ","))
		lines = append(lines, d.Line)
	})
	wantNames := []string{"events/", "http/", "ssl_protocols/TLSv1,TLSv1.2", "server/", "listen/443,ssl", "server_name/example.org", "include//etc/nginx/sites-enabled/*", "after/"}
	wantLines := []int{1, 2, 3, 4, 5, 6, 8, 12}
	if !reflect.DeepEqual(names, wantNames) || !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("directives %q lines %v\nwant %q lines %v", names, lines, wantNames, wantLines)
	}
	if len(got) != 3 {
		t.Fatalf("%d top-level directives, want 3", len(got))
	}
	http := got[1]
	if !http.IsBlock() || !strings.HasPrefix(in[http.Start:], "http {") || !strings.HasSuffix(in[:http.End], "broken here }") {
		t.Errorf("http block span %q", in[http.Start:http.End])
	}
	if in[http.Open-1] != '{' {
		t.Errorf("Open %d is not after '{'", http.Open)
	}
	listen := http.Children[1].Children[0]
	if listen.IsBlock() || in[listen.Start:listen.End] != "listen 443 ssl;" {
		t.Errorf("listen span %q", in[listen.Start:listen.End])
	}
	// A block that is not closed runs to the end of the file.
	open := Parse([]byte("http { server { listen 80;"))
	if len(open) != 1 || open[0].End != len("http { server { listen 80;") || len(open[0].Children[0].Children) != 1 {
		t.Errorf("unclosed blocks: %+v", open)
	}
}

func TestParseDepth(t *testing.T) {
	in := strings.Repeat("a {", MaxDepth+10) + "x;" + strings.Repeat("}", MaxDepth+10) + " last;"
	ds := Parse([]byte(in))
	depth, deepest := 0, ""
	var walk func(ds []*Directive, d int)
	walk = func(ds []*Directive, d int) {
		for _, x := range ds {
			if d > depth {
				depth, deepest = d, x.Name
			}
			walk(x.Children, d+1)
		}
	}
	walk(ds, 1)
	if depth != MaxDepth+1 || len(ds) != 2 || ds[1].Name != "last" {
		t.Errorf("depth %d (deepest %q), %d top-level directives", depth, deepest, len(ds))
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("http { server { listen 443 ssl; ssl_protocols TLSv1.2; } }\n"))
	f.Add([]byte("a 'b\n\\"))
	f.Add([]byte("set $x ${y}; } { # c\n\"q\\\"\";"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tk := range Tokenize(b) {
			if tk.Start < 0 || tk.End > len(b) || tk.Start >= tk.End || tk.Line < 1 {
				t.Fatalf("token %+v in %d bytes", tk, len(b))
			}
		}
		Walk(Parse(b), func(d *Directive) {
			if d.Start < 0 || d.End > len(b) || d.Start > d.End || d.Open > d.End || d.Line < 1 {
				t.Fatalf("directive %+v in %d bytes", d, len(b))
			}
		})
	})
}
