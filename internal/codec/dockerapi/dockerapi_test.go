package dockerapi

import (
	"errors"
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Version
		err  string
	}{
		{"engine", `{"Platform":{"Name":"Docker Engine - Community"},"Version":"24.0.5","ApiVersion":"1.43","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}`,
			Version{Version: "24.0.5", APIVersion: "1.43", Os: "linux", Arch: "amd64"}, ""},
		{"version only", `{"Version":"20.10.24+dfsg1"}`, Version{Version: "20.10.24+dfsg1"}, ""},
		{"no version", `{"ApiVersion":"1.43"}`, Version{}, "no Version"},
		{"not json", `<html>`, Version{}, "GET /version"},
		{"wrong type", `{"Version":24}`, Version{}, "GET /version"},
		{"empty", ``, Version{}, "GET /version"},
	}
	for _, tc := range tests {
		got, err := ParseVersion([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	if _, err := ParseVersion([]byte(`{}`)); !errors.Is(err, ErrNoVersion) {
		t.Errorf("{}: %v, want ErrNoVersion", err)
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add([]byte(`{"Version":"24.0.5","ApiVersion":"1.43","Os":"linux","Arch":"amd64"}`))
	f.Add([]byte(`{"Version":""}`))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseVersion(b)
		if err == nil && v.Version == "" {
			t.Fatal("accepted a body without a version")
		}
	})
}
