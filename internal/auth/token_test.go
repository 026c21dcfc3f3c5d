package auth

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	shape := regexp.MustCompile(`^vgl_[A-Za-z0-9_-]{43}$`)
	seen := map[string]bool{}
	for range 50 {
		tok, hash, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.MatchString(tok) {
			t.Fatalf("token %q has not the shape vgl_ + 43 base64url characters", tok)
		}
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, "vgl_"))
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q does not carry 32 bytes: %v", tok, err)
		}
		if hash != HashToken(tok) || strings.Contains(hash, tok) {
			t.Fatalf("hash %q is not HashToken(token)", hash)
		}
		if !LooksLikeToken(tok) {
			t.Fatalf("LooksLikeToken(%q) = false", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q made twice", tok)
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct{ in, want string }{
		// SHA-256 test vectors (FIPS 180-2).
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := HashToken(tt.in); got != tt.want {
			t.Errorf("HashToken(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestLooksLikeToken(t *testing.T) {
	good, _, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want bool
	}{
		{good, true},
		{"vgl_" + strings.Repeat("A", 43), true},
		{"", false},
		{"vgl_", false},
		{good[:len(good)-1], false},
		{good + "A", false},
		{"VGL_" + good[4:], false},
		{"vgl_" + strings.Repeat("+", 43), false},
		{"vgl_" + strings.Repeat("A", 42) + "B", false}, // non-canonical final character
		{"Bearer " + good, false},
	}
	for _, tt := range tests {
		if got := LooksLikeToken(tt.in); got != tt.want {
			t.Errorf("LooksLikeToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNewSecretAndID(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if raw, err := base64.RawURLEncoding.DecodeString(a); err != nil || len(raw) != 32 || a == b {
		t.Errorf("NewSecret: %q %q %v", a, b, err)
	}
	id, err := NewID()
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("NewID() = %q, %v", id, err)
	}
}

func FuzzLooksLikeToken(f *testing.F) {
	f.Add("vgl_" + strings.Repeat("A", 43))
	f.Add("vgl_")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if LooksLikeToken(s) {
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "vgl_"))
			if err != nil || len(raw) != 32 || !strings.HasPrefix(s, "vgl_") {
				t.Fatalf("LooksLikeToken(%q) is true for a string that is not a token", s)
			}
		}
	})
}
