package alert

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestPublicHidesSecrets(t *testing.T) {
	full := []Target{
		{ID: "a", Type: Webhook, URL: "https://hooks.example.org/x", Secret: "hook-secret-value"},
		{ID: "b", Type: Email, SMTP: "mail.example.org:587", Username: "vigil", Password: "mail-password-value",
			From: "vigil@example.org", To: []string{"admin@example.org"}},
	}
	for _, tg := range full {
		b, err := json.Marshal(tg.Public())
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, "secret") || strings.Contains(s, "password") || strings.Contains(s, "-value") {
			t.Errorf("public JSON of %s carries a secret: %s", tg.ID, s)
		}
		if !strings.Contains(s, `"id":"`+tg.ID+`"`) {
			t.Errorf("public JSON of %s lost its id: %s", tg.ID, s)
		}
	}
	// The copy is a copy: changing it changes nothing of the original.
	p := full[1].Public()
	p.To[0] = "other@example.org"
	if full[1].To[0] != "admin@example.org" || full[1].Password == "" {
		t.Error("Public changed the target it copied")
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"schema":"vigil/alert/v1"}`)
	// HMAC-SHA256 of the body under the key "key", by openssl dgst -sha256 -hmac key.
	const want = "sha256=eaa8a675538bdf156cd45468f588a0b4dd106e9353454afeee0dd9da07fe8741"
	got := Sign("key", body)
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if !Verify("key", body, got) {
		t.Error("a signature does not verify with its own key")
	}
	for _, bad := range []struct{ key, body, sig string }{
		{"other", string(body), got},
		{"key", string(body) + " ", got},
		{"key", string(body), "sha256=" + strings.Repeat("0", 64)},
		{"key", string(body), strings.TrimPrefix(want, "sha256=")},
		{"key", string(body), ""},
	} {
		if Verify(bad.key, []byte(bad.body), bad.sig) {
			t.Errorf("Verify(%q, %q, %q) = true", bad.key, bad.body, bad.sig)
		}
	}
	if Sign("key", body) != got || Sign("key2", body) == got {
		t.Error("Sign is not a function of key and body")
	}
}

func TestValidate(t *testing.T) {
	hook := Target{ID: "h", Type: Webhook, URL: "https://hooks.example.org/vigil", Secret: "s"}
	mail := Target{ID: "m", Type: Email, SMTP: "mail.example.org:587", From: "vigil@example.org", To: []string{"admin@example.org"}}
	with := func(t Target, f func(*Target)) Target { f(&t); return t }
	tests := []struct {
		name string
		t    Target
		want string // "" for valid
	}{
		{"https webhook", hook, ""},
		{"http to 127.0.0.1", with(hook, func(t *Target) { t.URL = "http://127.0.0.1:9000/hook" }), ""},
		{"http to ::1", with(hook, func(t *Target) { t.URL = "http://[::1]:9000/hook" }), ""},
		{"http to localhost", with(hook, func(t *Target) { t.URL = "http://localhost/hook" }), ""},
		{"http to a private address", with(hook, func(t *Target) { t.URL = "http://10.0.0.5/hook" }), "loopback"},
		{"http to a name", with(hook, func(t *Target) { t.URL = "http://hooks.example.org/hook" }), "loopback"},
		{"no secret", with(hook, func(t *Target) { t.Secret = "" }), "secret"},
		{"a relative URL", with(hook, func(t *Target) { t.URL = "/hook" }), "absolute"},
		{"credentials in the URL", with(hook, func(t *Target) { t.URL = "https://u:p@hooks.example.org/" }), "user"},
		{"a webhook with mail fields", with(hook, func(t *Target) { t.To = []string{"a@b.org"} }), "e-mail"},
		{"e-mail", mail, ""},
		{"e-mail with a login", with(mail, func(t *Target) { t.Username, t.Password = "u", "p" }), ""},
		{"no port", with(mail, func(t *Target) { t.SMTP = "mail.example.org" }), "host:port"},
		{"no recipient", with(mail, func(t *Target) { t.To = nil }), "recipient"},
		{"a header in the recipient", with(mail, func(t *Target) { t.To = []string{"a@b.org\r\nBcc: c@d.org"} }), "not an e-mail address"},
		{"a display name", with(mail, func(t *Target) { t.From = "Vigil <vigil@example.org>" }), "bare"},
		{"a password alone", with(mail, func(t *Target) { t.Password = "p" }), "username"},
		{"unknown type", with(mail, func(t *Target) { t.Type = "sms" }), "webhook or email"},
		{"no id", with(mail, func(t *Target) { t.ID = "" }), "id"},
	}
	for _, tt := range tests {
		err := tt.t.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrBadTarget)):
			t.Errorf("%s: %v, want an ErrBadTarget saying %q", tt.name, err, tt.want)
		}
	}
}
