package samba

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	in := "; top comment\nworkgroup = OLD\n[global]\n   workgroup = CLINIC\n   server min protocol = NT1\n   # comment\n   hosts allow = 10.0.0.0/8 \\\n      192.168.1.0/24\n[ Public ]\n\tGuest OK = yes\n\tread only=no\n\tpath = /srv/public = files\nnot a parameter\n[broken\n[printers]\n"
	got := Parse([]byte(in))
	want := []Section{
		{Name: "", Key: "", Line: 0, Params: []Param{{"workgroup", "workgroup", "OLD", 2}}},
		{Name: "global", Key: "global", Line: 3, Params: []Param{
			{"workgroup", "workgroup", "CLINIC", 4},
			{"server min protocol", "serverminprotocol", "NT1", 5},
			{"hosts allow", "hostsallow", "10.0.0.0/8 192.168.1.0/24", 7},
		}},
		{Name: "Public", Key: "public", Line: 9, Params: []Param{
			{"Guest OK", "guestok", "yes", 10},
			{"read only", "readonly", "no", 11},
			{"path", "path", "/srv/public = files", 12},
		}},
		{Name: "printers", Key: "printers", Line: 15},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", got, want)
	}
	if v, ok := got[2].Get("ReadOnly"); !ok || v != "no" {
		t.Errorf("Get(ReadOnly) = %q, %v", v, ok)
	}
	if _, ok := got[2].Get("browseable"); ok {
		t.Error("Get(browseable) found a value")
	}
	if got := Parse([]byte("[a]\nx = 1\nx = 2\n")); len(got) != 1 {
		t.Fatalf("sections %+v", got)
	} else if v, _ := got[0].Get("x"); v != "2" {
		t.Errorf("Get keeps %q, want the last value", v)
	}
}

func TestBool(t *testing.T) {
	for in, want := range map[string][2]bool{"yes": {true, true}, "True": {true, true}, " on ": {true, true}, "1": {true, true},
		"no": {false, true}, "FALSE": {false, true}, "off": {false, true}, "0": {false, true}, "maybe": {false, false}, "": {false, false}} {
		on, ok := Bool(in)
		if on != want[0] || ok != want[1] {
			t.Errorf("Bool(%q) = %v, %v; want %v", in, on, ok, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[global]\nworkgroup = X\n  map to guest = Bad User\n[share]\npath=/srv\\\n/x\n"))
	f.Add([]byte("[\n]=\n\\\n;x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for i, s := range Parse(b) {
			if i > 0 && s.Line < 1 {
				t.Fatalf("section %d %+v", i, s)
			}
			for _, p := range s.Params {
				if p.Key == "" || p.Line < 1 || p.Key != Canonical(p.Name) {
					t.Fatalf("parameter %+v", p)
				}
			}
		}
	})
}
