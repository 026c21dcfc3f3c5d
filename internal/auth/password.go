package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password hashing parameters: RFC 9106 section 4, the SECOND RECOMMENDED
// option (argon2id, 64 MiB of memory, 3 passes, 4 lanes, a 128-bit salt,
// a 256-bit tag), for machines that cannot spend 2 GiB per login.
const (
	argonMemory  = 64 * 1024 // KiB
	argonTime    = 3
	argonThreads = 4
	saltLen      = 16
	keyLen       = 32
)

// Bounds of what CheckPassword accepts from an encoded hash, so that a
// damaged or hostile row cannot make a login allocate gigabytes or spin.
const (
	maxMemory  = 256 * 1024 // KiB
	maxTime    = 16
	maxThreads = 16
	minSalt    = 8
	maxSalt    = 64
	minKey     = 16
	maxKey     = 64
)

// Password length limits, in characters (MinPasswordLength) and bytes
// (MaxPasswordLength).
const (
	MinPasswordLength = 12
	MaxPasswordLength = 1024
)

// ErrPasswordTooLong means a password is longer than MaxPasswordLength bytes.
var ErrPasswordTooLong = fmt.Errorf("the password is longer than %d bytes", MaxPasswordLength)

// CheckPasswordPolicy says what is wrong with a new password, or nil: it
// must be at least MinPasswordLength characters, at most MaxPasswordLength
// bytes, valid UTF-8, and hold no control characters (a pasted newline).
func CheckPasswordPolicy(password string) error {
	switch {
	case password == "":
		return errors.New("the password is empty")
	case !utf8.ValidString(password):
		return errors.New("the password is not valid UTF-8 text")
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Errorf("the password is shorter than %d characters", MinPasswordLength)
	case len(password) > MaxPasswordLength:
		return ErrPasswordTooLong
	}
	for _, r := range password {
		if r < 0x20 || r == 0x7f {
			return errors.New("the password holds a control character")
		}
	}
	return nil
}

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// params are one argon2id hash's parameters, salt and tag.
type params struct {
	memory  uint32
	time    uint32
	threads uint8
	salt    []byte
	key     []byte
}

// encode writes p in the PHC string format.
func (p params) encode() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

// HashPassword hashes a password with argon2id and a fresh random salt and
// returns it in the PHC string format:
// "$argon2id$v=19$m=65536,t=3,p=4$SALT$HASH".
func HashPassword(password string) (string, error) {
	if len(password) > MaxPasswordLength {
		return "", ErrPasswordTooLong
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("cannot hash the password: no random salt: %w", err)
	}
	p := params{memory: argonMemory, time: argonTime, threads: argonThreads, salt: salt}
	p.key = make([]byte, keyLen)
	p.key = argonKey(password, p)
	return p.encode(), nil
}

// CheckPassword reports whether password matches encoded, a PHC string as
// HashPassword makes (any parameters within sane bounds). The comparison
// of the tags takes constant time; malformed input is false, never a panic.
func CheckPassword(encoded, password string) bool {
	p, ok := parsePHC(encoded)
	if !ok || len(password) > MaxPasswordLength {
		return false
	}
	key := argonKey(password, p)
	return subtle.ConstantTimeCompare(key, p.key) == 1
}

// argonKey derives the argon2id tag of password with p's parameters and
// salt, as long as p.key.
func argonKey(password string, p params) []byte {
	return argon2.IDKey([]byte(password), p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
}

// dummyHash is a hash of no one's password with the current parameters.
const dummyHash = "$argon2id$v=19$m=65536,t=3,p=4$dmlnaWwtZHVtbXktc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// DummyCheck spends the time and memory of CheckPassword on nothing, for
// a login to an unknown account: a failed login then takes as long whether
// the account exists or not. It always returns false.
func DummyCheck(password string) bool {
	CheckPassword(dummyHash, password)
	return false
}

// NeedsRehash reports whether encoded was made with other parameters than
// HashPassword uses now (or cannot be read), so that a login that checked
// it can store a fresh hash.
func NeedsRehash(encoded string) bool {
	p, ok := parsePHC(encoded)
	return !ok || p.memory != argonMemory || p.time != argonTime || p.threads != argonThreads || len(p.salt) != saltLen || len(p.key) != keyLen
}

// parsePHC reads "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" strictly.
func parsePHC(s string) (params, bool) {
	var p params
	if len(s) > 256 {
		return p, false
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, false
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, false
	}
	m, ok1 := phcNumber(kv[0], "m=", maxMemory)
	t, ok2 := phcNumber(kv[1], "t=", maxTime)
	th, ok3 := phcNumber(kv[2], "p=", maxThreads)
	if !ok1 || !ok2 || !ok3 || t < 1 || th < 1 || m < 8*th {
		return p, false
	}
	// The decoder skips newlines; re-encoding refuses them and any other
	// second spelling of the same bytes.
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minSalt || len(salt) > maxSalt || b64.EncodeToString(salt) != parts[4] {
		return p, false
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minKey || len(key) > maxKey || b64.EncodeToString(key) != parts[5] {
		return p, false
	}
	return params{memory: m, time: t, threads: uint8(th), salt: salt, key: key}, true
}

// phcNumber reads "NAME=DIGITS" with no sign, no leading zero, at most max.
func phcNumber(s, name string, max uint32) (uint32, bool) {
	digits, ok := strings.CutPrefix(s, name)
	if !ok || digits == "" || len(digits) > 10 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(digits, 10, 32)
	if err != nil || n > uint64(max) {
		return 0, false
	}
	return uint32(n), true
}
