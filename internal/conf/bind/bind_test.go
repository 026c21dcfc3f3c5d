package bind

import (
	"slices"
	"strings"
	"testing"
)

func TestTokenize(t *testing.T) {
	in := "// head\noptions { /* a\nb */ directory \"/var/cache/bind\"; # c\n  allow-query { !10/8; key \"k\\\"1\"; }; };"
	var got []string
	var lines []int
	for _, tk := range Tokenize([]byte(in)) {
		s := tk.Value
		switch tk.Kind {
		case Semicolon:
			s = ";"
		case Open:
			s = "{"
		case Close:
			s = "}"
		}
		if tk.Quoted {
			s = "q:" + s
		}
		got = append(got, s)
		lines = append(lines, tk.Line)
	}
	want := []string{"options", "{", "directory", "q:/var/cache/bind", ";", "allow-query", "{", "!10/8", ";", "key", `q:k"1`, ";", "}", ";", "}", ";"}
	wantLines := []int{2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4}
	if !slices.Equal(got, want) || !slices.Equal(lines, wantLines) {
		t.Errorf("tokens %q lines %v\nwant %q lines %v", got, lines, want, wantLines)
	}
}

func TestParse(t *testing.T) {
	in := `options {
	directory "/var/cache/bind";
	recursion yes;
	allow-recursion { 127.0.0.1; 10.0.0.0/8; };
};
zone "example.org" IN {
	type master;
	file "/etc/bind/db.example.org";
	allow-transfer { any; }
};
view "inside" IN { match-clients { localnets; }; } IN;
include "/etc/bind/named.conf.local";
`
	sts := Parse([]byte(in))
	var got []string
	Walk(sts, func(st *Statement) {
		s := st.Name + "(" + strings.Join(st.Args, ",") + ")"
		if st.Block {
			s += "{}"
		}
		got = append(got, s+":"+string(rune('0'+st.Line)))
	})
	want := []string{
		"options(){}:1", "directory(/var/cache/bind):2", "recursion(yes):3", "allow-recursion(){}:4", "127.0.0.1():4", "10.0.0.0/8():4",
		"zone(example.org,IN){}:6", "type(master):7", "file(/etc/bind/db.example.org):8", "allow-transfer(){}:9", "any():9",
		"view(inside,IN){}:;", "match-clients(){}:;", "localnets():;", "include(/etc/bind/named.conf.local):<",
	}
	if !slices.Equal(got, want) {
		t.Errorf("statements\n%q\nwant\n%q", got, want)
	}
	if len(sts) != 4 {
		t.Fatalf("%d top-level statements, want 4", len(sts))
	}
	opt := sts[0]
	if in[opt.Start:opt.End] != in[:strings.Index(in, "};\nzone")+2] {
		t.Errorf("options span %q", in[opt.Start:opt.End])
	}
	if v := sts[2]; !slices.Equal(v.After, []string{"IN"}) {
		t.Errorf("view After = %q", v.After)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("options { directory \"/x\"; allow-query { any; }; };\n"))
	f.Add([]byte("/* open\n\"str\\\n} }; { a // c\n#"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, tk := range Tokenize(b) {
			if tk.Start < 0 || tk.End > len(b) || tk.Start >= tk.End || tk.Line < 1 {
				t.Fatalf("token %+v in %d bytes", tk, len(b))
			}
		}
		Walk(Parse(b), func(st *Statement) {
			if st.Start < 0 || st.End > len(b) || st.Start > st.End || st.Line < 1 {
				t.Fatalf("statement %+v in %d bytes", st, len(b))
			}
		})
	})
}
