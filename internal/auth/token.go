package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// TokenPrefix starts every API token, so that a token pasted in the wrong
// place (a log, a ticket) is recognisable by secret scanners and people.
const TokenPrefix = "vgl_"

// tokenBytes is the entropy of a token and of a secret.
const tokenBytes = 32

// tokenLen is the length of a token: the prefix and 43 base64url characters.
const tokenLen = len(TokenPrefix) + 43

// randomText returns n random bytes as unpadded base64url.
func randomText(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("no randomness from the system: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewToken makes an API token: "vgl_" and 43 base64url characters of 32
// random bytes. Only hash (HashToken of it) is to be stored; the token is
// shown to its owner once.
func NewToken() (token, hash string, err error) {
	r, err := randomText(tokenBytes)
	if err != nil {
		return "", "", fmt.Errorf("cannot make a token: %w", err)
	}
	token = TokenPrefix + r
	return token, HashToken(token), nil
}

// HashToken returns the hex SHA-256 of a token, as it is stored and looked
// up. A token carries 256 random bits, so a fast hash is enough: there is
// nothing to guess.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// LooksLikeToken reports whether s has a token's shape (prefix, length,
// alphabet), so that a request can be refused before any lookup.
func LooksLikeToken(s string) bool {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(s) != tokenLen {
		return false
	}
	for _, c := range []byte(rest) {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false // the decoder would skip a newline
		}
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	return err == nil
}

// NewSecret returns 32 random bytes as unpadded base64url (43 characters):
// session cookie values, CSRF tokens.
func NewSecret() (string, error) {
	s, err := randomText(tokenBytes)
	if err != nil {
		return "", fmt.Errorf("cannot make a secret: %w", err)
	}
	return s, nil
}

// NewID returns a short random identifier (12 hex characters), for tokens
// and other records whose id is shown to people and is not a secret.
func NewID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("cannot make an id: no randomness from the system: %w", err)
	}
	return hex.EncodeToString(b), nil
}
