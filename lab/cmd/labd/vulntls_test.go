package main

import (
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"testing"
)

// TestVulnTLSPremasterOracle: the robot emulator tells conforming PKCS #1
// v1.5 premasters of the right version from every malformed kind.
func TestVulnTLSPremasterOracle(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	v := &vulnTLS{variant: "robot", key: key}
	k := key.Size()
	msg := func(edit func(m []byte)) []byte {
		m := make([]byte, k)
		m[1] = 2
		for i := 2; i < k; i++ {
			m[i] = 0x5a
		}
		m[k-49] = 0
		m[k-48], m[k-47] = 3, 3
		edit(m)
		c := new(big.Int).Exp(new(big.Int).SetBytes(m), big.NewInt(int64(key.E)), key.N)
		return c.FillBytes(make([]byte, k))
	}
	for _, c := range []struct {
		name string
		edit func(m []byte)
		want bool
	}{
		{"well-formed", func([]byte) {}, true},
		{"wrong first bytes", func(m []byte) { m[0], m[1] = 0x41, 0x17 }, false},
		{"no separator", func(m []byte) { m[k-49] = 1 }, false},
		{"separator too early", func(m []byte) { m[k-49] = 1; m[11] = 0 }, false},
		{"wrong version", func(m []byte) { m[k-48], m[k-47] = 2, 2 }, false},
	} {
		if got := v.checkPremaster(msg(c.edit), 0x0303); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if v.checkPremaster([]byte{1, 2, 3}, 0x0303) {
		t.Error("a short ciphertext passed")
	}
}
