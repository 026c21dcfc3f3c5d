package iscsi

import (
	"reflect"
	"testing"
)

func TestLoginEncode(t *testing.T) {
	b := Login{ITT: 5, CSG: StageSecurity, NSG: StageFullFeature, Transit: true,
		Parameters: []string{"SessionType=Discovery", "AuthMethod=None"}}.Encode()
	if b[0] != 0x43 || b[1] != 0x83 {
		t.Errorf("opcode/flags %#x %#x", b[0], b[1])
	}
	if len(b)%4 != 0 || len(b) < 48 {
		t.Errorf("length %d", len(b))
	}
	if n, _ := Need(b); n != len(b) {
		t.Errorf("Need %d, len %d", n, len(b))
	}
}

func TestParse(t *testing.T) {
	ok := Response{Opcode: OpLoginResponse, Transit: true, CSG: 0, NSG: 3, VersionMax: 0, VersionActive: 0, TSIH: 1, ITT: 5,
		Parameters: [][2]string{{"TargetPortalGroupTag", "1"}}}
	text := Response{Opcode: OpTextResponse, Transit: true, ITT: 6,
		Parameters: [][2]string{{"TargetName", "iqn.2026-01.lab:a"}, {"TargetAddress", "127.0.2.82:3260,1"}, {"TargetName", "iqn.2026-01.lab:b"}}}
	fail := Response{Opcode: OpLoginResponse, StatusClass: 2, StatusDetail: 1}
	for _, r := range []Response{ok, text, fail} {
		got, err := Parse(EncodeResponse(r))
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("got %+v, want %+v", got, r)
		}
	}
	if got, _ := Parse(EncodeResponse(text)); !reflect.DeepEqual(got.All("TargetName"), []string{"iqn.2026-01.lab:a", "iqn.2026-01.lab:b"}) {
		t.Errorf("All: %v", got.All("TargetName"))
	}
	bad := [][]byte{
		nil,
		make([]byte, 47),
		EncodeResponse(ok)[:50],
		append([]byte{0x03}, make([]byte, 47)...), // a request
		{0x23, 0, 0, 0, 0, 0xff, 0xff, 0xff},
	}
	for _, b := range bad {
		if len(b) >= 8 && len(b) < 48 {
			b = append(b, make([]byte, 48-len(b))...)
		}
		if _, err := Parse(b); err == nil {
			t.Errorf("parsed %x", b)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(EncodeResponse(Response{Opcode: OpLoginResponse, Parameters: [][2]string{{"A", "b"}}}))
	f.Add(EncodeResponse(Response{Opcode: OpTextResponse, Parameters: [][2]string{{"TargetName", "iqn.x"}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		if len(r.Parameters) > 1024 {
			t.Fatal("parameter cap not kept")
		}
		if n, _ := Need(b); n > len(b) {
			t.Fatal("parsed a truncated PDU")
		}
	})
}
