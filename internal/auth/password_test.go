package auth

import (
	"strings"
	"testing"
)

// fastHash is a valid PHC string with tiny parameters (m=8 KiB, t=1, p=1),
// of the password "correct horse battery", so that tests and the fuzzer
// check real hashes quickly.
func fastHash(t testing.TB, password string) string {
	t.Helper()
	p := params{memory: 8, time: 1, threads: 1, salt: []byte("0123456789abcdef"), key: make([]byte, 32)}
	p.key = argonKey(password, p)
	return p.encode()
}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	enc, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("encoding %q: want the PHC argon2id string with RFC 9106's second recommended parameters", enc)
	}
	if NeedsRehash(enc) {
		t.Errorf("a fresh hash needs rehashing: %s", enc)
	}
	again, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		password string
		want     bool
	}{
		{pw, true},
		{pw + " ", false},
		{"correct horse battery stapl", false},
		{"", false},
		{strings.ToUpper(pw), false},
	}
	for _, tt := range tests {
		if got := CheckPassword(enc, tt.password); got != tt.want {
			t.Errorf("CheckPassword(%q) = %v, want %v", tt.password, got, tt.want)
		}
	}
}

func TestHashPasswordTooLong(t *testing.T) {
	if _, err := HashPassword(strings.Repeat("a", MaxPasswordLength+1)); err == nil {
		t.Error("a password over the limit was hashed")
	}
}

func TestCheckPasswordMalformed(t *testing.T) {
	const pw = "correct horse battery"
	good := fastHash(t, pw)
	if !CheckPassword(good, pw) {
		t.Fatalf("the fast test hash %s does not check", good)
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name, encoded string
	}{
		{"empty", ""},
		{"dollar", "$"},
		{"argon2i", with(1, "argon2i")},
		{"argon2d", with(1, "argon2d")},
		{"old version", with(2, "v=16")},
		{"no version", strings.Replace(good, "$v=19", "", 1)},
		{"params reordered", with(3, "t=1,m=8,p=1")},
		{"param missing", with(3, "m=8,t=1")},
		{"param extra", with(3, "m=8,t=1,p=1,x=2")},
		{"zero time", with(3, "m=8,t=0,p=1")},
		{"zero lanes", with(3, "m=8,t=1,p=0")},
		{"memory below 8 per lane", with(3, "m=8,t=1,p=2")},
		{"huge memory", with(3, "m=4294967295,t=1,p=1")},
		{"memory overflow", with(3, "m=99999999999,t=1,p=1")},
		{"huge time", with(3, "m=8,t=1000000,p=1")},
		{"many lanes", with(3, "m=8192,t=1,p=255")},
		{"negative", with(3, "m=-8,t=1,p=1")},
		{"plus sign", with(3, "m=+8,t=1,p=1")},
		{"leading zero", with(3, "m=08,t=1,p=1")},
		{"spaces", with(3, "m= 8,t=1,p=1")},
		{"salt short", with(4, "YWJj")},
		{"salt not base64", with(4, "!!!!!!!!!!!!")},
		{"salt padded", with(4, parts[4]+"==")},
		{"salt with a newline", with(4, parts[4][:4]+"\r\n"+parts[4][4:])},
		{"key short", with(5, "YWJj")},
		{"key not base64", with(5, "????????????????????????")},
		{"key truncated", with(5, parts[5][:len(parts[5])-1])},
		{"trailing field", good + "$"},
		{"leading garbage", "x" + good},
		{"bcrypt", "$2y$10$abcdefghijklmnopqrstuuJhGZB8n1m8tI.jh2yX8Q1bnO2m1bq5K"},
		{"plain text", pw},
	}
	for _, tt := range tests {
		if CheckPassword(tt.encoded, pw) {
			t.Errorf("%s: CheckPassword(%q) = true", tt.name, tt.encoded)
		}
		if !NeedsRehash(tt.encoded) {
			t.Errorf("%s: NeedsRehash(%q) = false", tt.name, tt.encoded)
		}
	}
	if CheckPassword(good, strings.Repeat("a", MaxPasswordLength+1)) {
		t.Error("an over-long password checked")
	}
}

func TestNeedsRehash(t *testing.T) {
	if !NeedsRehash(fastHash(t, "x")) {
		t.Error("a hash with weaker parameters does not need rehashing")
	}
}

func TestDummyCheck(t *testing.T) {
	if _, ok := parsePHC(dummyHash); !ok {
		t.Fatalf("the dummy hash %s does not parse: DummyCheck would cost nothing", dummyHash)
	}
	if NeedsRehash(dummyHash) {
		t.Error("the dummy hash's parameters are not the current ones: its cost differs from a real check")
	}
	if DummyCheck("") || DummyCheck("anything at all") {
		t.Error("DummyCheck returned true")
	}
}

func TestCheckPasswordPolicy(t *testing.T) {
	tests := []struct {
		password string
		ok       bool
	}{
		{"", false},
		{"short", false},
		{"elevenchars", false},
		{"twelve chars", true},
		{"ñññññññññññ", false}, // 11 characters, 22 bytes
		{"ññññññññññññ", true},
		{"with newline\nin it", false},
		{"tab\tinside the password", false},
		{"\xff\xfe not utf-8 text", false},
		{strings.Repeat("a", MaxPasswordLength), true},
		{strings.Repeat("a", MaxPasswordLength+1), false},
	}
	for _, tt := range tests {
		if err := CheckPasswordPolicy(tt.password); (err == nil) != tt.ok {
			t.Errorf("CheckPasswordPolicy(%q) = %v, want ok %v", tt.password, err, tt.ok)
		}
	}
}

// FuzzCheckPassword: no input panics, and only a well-formed encoding can
// check.
func FuzzCheckPassword(f *testing.F) {
	f.Add(fastHash(f, "correct horse battery"), "correct horse battery")
	f.Add(fastHash(f, "correct horse battery"), "wrong")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$", "")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Add("$argon2id$$$$", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		p, parsed := parsePHC(encoded)
		if parsed && p.memory > 64 {
			t.Skip() // valid but slow: the unit tests cover real parameters
		}
		if CheckPassword(encoded, password) && !parsed {
			t.Fatalf("CheckPassword(%q) is true without a parsable hash", encoded)
		}
		if parsed && p.encode() != encoded {
			t.Fatalf("parsePHC accepted %q, which does not encode back to itself (%q)", encoded, p.encode())
		}
	})
}
