package oncrpc

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestCallLayout(t *testing.T) {
	b := Call(7, ProgPortmap, 2, PmapProcDump, nil)
	want := []uint32{7, 0, 2, ProgPortmap, 2, PmapProcDump, 0, 0, 0, 0}
	if len(b) != 4*len(want) {
		t.Fatalf("len %d, want %d", len(b), 4*len(want))
	}
	for i, w := range want {
		if got := binary.BigEndian.Uint32(b[4*i:]); got != w {
			t.Errorf("word %d = %d, want %d", i, got, w)
		}
	}
}

func TestRecord(t *testing.T) {
	msg := []byte("abcdefgh")
	r := Record(msg)
	tests := []struct {
		name     string
		in       []byte
		complete bool
		err      bool
	}{
		{"whole", r, true, false},
		{"header only", r[:4], false, false},
		{"cut", r[:7], false, false},
		{"two fragments", append([]byte{0, 0, 0, 2, 'a', 'b'}, Record([]byte("cd"))...), true, false},
		{"too big", []byte{0x8f, 0xff, 0xff, 0xff}, false, true},
	}
	for _, tt := range tests {
		got, complete, err := Unrecord(tt.in)
		if complete != tt.complete || (err != nil) != tt.err {
			t.Errorf("%s: complete %v err %v", tt.name, complete, err)
		}
		if tt.name == "whole" && string(got) != "abcdefgh" {
			t.Errorf("whole: %q", got)
		}
		if tt.name == "two fragments" && string(got) != "abcd" {
			t.Errorf("two fragments: %q", got)
		}
	}
}

func TestParseReply(t *testing.T) {
	mismatch := AcceptedReply(9, ProgMismatch, []byte{0, 0, 0, 2, 0, 0, 0, 4})
	denied := []byte{0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5}
	tests := []struct {
		name string
		in   []byte
		want Reply
		err  bool
	}{
		{"success", AcceptedReply(1, Success, []byte{1, 2, 3, 4}), Reply{XID: 1, Accepted: true, Results: []byte{1, 2, 3, 4}}, false},
		{"prog unavail", AcceptedReply(2, ProgUnavail, nil), Reply{XID: 2, Accepted: true, AcceptStat: ProgUnavail, Results: []byte{}}, false},
		{"mismatch", mismatch, Reply{XID: 9, Accepted: true, AcceptStat: ProgMismatch, Low: 2, High: 4, Results: []byte{}}, false},
		{"rpc mismatch", denied, Reply{XID: 9, RejectStat: 0, Low: 1, High: 5}, false},
		{"a call", Call(1, 2, 3, 4, nil), Reply{XID: 1}, true},
		{"short", []byte{0, 0, 0, 1, 0, 0}, Reply{XID: 1}, true},
		{"bad accept", AcceptedReply(3, 99, nil), Reply{XID: 3, Accepted: true, AcceptStat: 99}, true},
	}
	for _, tt := range tests {
		got, err := ParseReply(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("%s: err %v", tt.name, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: error does not wrap ErrMalformed: %v", tt.name, err)
			}
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestDumpAndExportsRoundTrip(t *testing.T) {
	ms := []Mapping{{ProgPortmap, 2, IPProtoTCP, 111}, {ProgNFS, 3, IPProtoTCP, 2049}, {ProgMountd, 3, IPProtoUDP, 20048}}
	got, err := ParseDump(EncodeDump(ms))
	if err != nil || !reflect.DeepEqual(got, ms) {
		t.Fatalf("dump: %v %+v", err, got)
	}
	es := []Export{{Dir: "/srv/open"}, {Dir: "/srv/x", Groups: []string{"10.0.0.0/24", "host.example"}}}
	ge, err := ParseExports(EncodeExports(es))
	if err != nil || !reflect.DeepEqual(ge, es) {
		t.Fatalf("exports: %v %+v", err, ge)
	}
	if _, err := ParseExports(EncodeExports(es)[:10]); err == nil {
		t.Error("truncated exports parsed")
	}
	if _, err := ParseDump([]byte{0, 0, 0, 7}); err == nil {
		t.Error("bad list marker parsed")
	}
}

func TestListCap(t *testing.T) {
	ms := make([]Mapping, maxList+1)
	if _, err := ParseDump(EncodeDump(ms)); err == nil {
		t.Error("a list beyond the cap parsed")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Record(AcceptedReply(1, Success, EncodeDump([]Mapping{{ProgNFS, 3, 6, 2049}}))))
	f.Add(Record(AcceptedReply(1, Success, EncodeExports([]Export{{Dir: "/a", Groups: []string{"*"}}}))))
	f.Add([]byte{0x80, 0, 0, 4, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		msg, complete, _ := Unrecord(b)
		if !complete {
			msg = b
		}
		r, err := ParseReply(msg)
		if err != nil {
			return
		}
		if ms, err := ParseDump(r.Results); err == nil && len(ms) > maxList {
			t.Fatalf("%d mappings", len(ms))
		}
		if es, err := ParseExports(r.Results); err == nil {
			for _, e := range es {
				if len(e.Dir) > maxString || len(e.Groups) > maxList {
					t.Fatal("caps not kept")
				}
			}
		}
	})
}
