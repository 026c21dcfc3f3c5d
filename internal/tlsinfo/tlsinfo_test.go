package tlsinfo

import (
	"slices"
	"testing"
)

func TestLookupKnownSuites(t *testing.T) {
	tests := []struct {
		id                                  uint32
		name, openssl                       string
		kx                                  Kx
		au                                  Au
		enc                                 Enc
		strength                            int
		anon, null, export, weak, fs, tls13 bool
	}{
		{0x0000, "TLS_NULL_WITH_NULL_NULL", "", KxNULL, AuNULL, EncNULL, 0, true, true, false, false, false, false},
		{0x0001, "TLS_RSA_WITH_NULL_MD5", "NULL-MD5", KxRSA, AuRSA, EncNULL, 0, false, true, false, false, false, false},
		{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", "EXP-RC4-MD5", KxRSA, AuRSA, EncRC4, 40, false, false, true, true, false, false},
		{0x0005, "TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA", KxRSA, AuRSA, EncRC4, 128, false, false, false, true, false, false},
		{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", "IDEA-CBC-SHA", KxRSA, AuRSA, EncIDEA, 128, false, false, false, true, false, false},
		{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA", KxRSA, AuRSA, Enc3DES, 112, false, false, false, true, false, false},
		{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", "EXP-EDH-RSA-DES-CBC-SHA", KxDHE, AuRSA, EncDES, 40, false, false, true, true, true, false},
		{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", "ADH-RC4-MD5", KxDHE, AuAnon, EncRC4, 128, true, false, false, true, true, false},
		{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", KxRSA, AuRSA, EncAESCBC, 128, false, false, false, false, false, false},
		{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", "DH-RSA-AES128-SHA", KxDH, AuRSA, EncAESCBC, 128, false, false, false, false, false, false},
		{0x0062, "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA", "EXP1024-DES-CBC-SHA", KxRSA, AuRSA, EncDES, 56, false, false, true, true, false, false},
		{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", "SEED-SHA", KxRSA, AuRSA, EncSEED, 128, false, false, false, false, false, false},
		{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256", KxDHE, AuRSA, EncAESGCM, 128, false, false, false, false, true, false},
		{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", "PSK-AES128-GCM-SHA256", KxPSK, AuPSK, EncAESGCM, 128, false, false, false, false, false, false},
		{0x1301, "TLS_AES_128_GCM_SHA256", "", KxAny, AuAny, EncAESGCM, 128, false, false, false, false, true, true},
		{0x1303, "TLS_CHACHA20_POLY1305_SHA256", "", KxAny, AuAny, EncChaCha20, 256, false, false, false, false, true, true},
		{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", "ECDHE-ECDSA-NULL-SHA", KxECDHE, AuECDSA, EncNULL, 0, false, true, false, false, true, false},
		{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "ECDH-RSA-AES128-SHA", KxECDH, AuRSA, EncAESCBC, 128, false, false, false, false, false, false},
		{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", KxECDHE, AuRSA, EncAESCBC, 128, false, false, false, false, true, false},
		{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", "AECDH-AES128-SHA", KxECDHE, AuAnon, EncAESCBC, 128, true, false, false, false, true, false},
		{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", KxECDHE, AuECDSA, EncAESGCM, 128, false, false, false, false, true, false},
		{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", KxECDHE, AuRSA, EncChaCha20, 256, false, false, false, false, true, false},
		{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", "EXP-RC4-MD5", KxSSL2RSA, AuRSA, EncRC4, 40, false, false, true, true, false, false},
		{0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "DES-CBC3-MD5", KxSSL2RSA, AuRSA, Enc3DES, 112, false, false, false, true, false, false},
	}
	for _, tt := range tests {
		s, ok := Lookup(tt.id)
		if !ok {
			t.Errorf("Lookup(0x%04X): not found", tt.id)
			continue
		}
		if s.Name != tt.name || s.OpenSSL != tt.openssl || s.Kx != tt.kx || s.Au != tt.au || s.Enc != tt.enc || s.Strength != tt.strength {
			t.Errorf("Lookup(0x%04X) = %+v", tt.id, s)
		}
		got := []bool{s.Anonymous(), s.Null(), s.IsExport(), s.Weak(), s.ForwardSecret(), s.TLS13}
		want := []bool{tt.anon, tt.null, tt.export, tt.weak, tt.fs, tt.tls13}
		if !slices.Equal(got, want) {
			t.Errorf("%s: anon/null/export/weak/fs/tls13 = %v, want %v", tt.name, got, want)
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	for _, id := range []uint32{0x00FF, 0x5600, 0x1300, 0xFFFF, 0x0A0A, 0x090080, 0xFFFFFFFF} {
		if s, ok := Lookup(id); ok {
			t.Errorf("Lookup(0x%X) = %v, want not found", id, s.Name)
		}
	}
	if got := Name(0x0A0A); got != "unknown (0x0A0A)" {
		t.Errorf("Name(0x0A0A) = %q", got)
	}
}

func TestTableSortedAndUnique(t *testing.T) {
	for _, tbl := range [][]Suite{suites, sslv2Kinds} {
		for i := 1; i < len(tbl); i++ {
			if tbl[i-1].ID >= tbl[i].ID {
				t.Fatalf("table not strictly sorted at %s", tbl[i].Name)
			}
		}
	}
	if len(suites) < 340 {
		t.Errorf("only %d suites; the IANA registry alone assigns more than 340", len(suites))
	}
	seen := map[string]uint32{}
	for _, s := range suites {
		if s.OpenSSL == "" {
			continue
		}
		if id, dup := seen[s.OpenSSL]; dup {
			t.Errorf("OpenSSL name %s on 0x%04X and 0x%04X", s.OpenSSL, id, s.ID)
		}
		seen[s.OpenSSL] = s.ID
	}
}

func TestForVersion(t *testing.T) {
	has := func(list []Suite, id uint32) bool {
		return slices.ContainsFunc(list, func(s Suite) bool { return s.ID == id })
	}
	tests := []struct {
		v       uint16
		in, out []uint32
	}{
		{VersionSSL3, []uint32{0x0003, 0x000A, 0xC013}, []uint32{0x009C, 0xC02F, 0x1301, 0x003C}},
		{VersionTLS10, []uint32{0x0005, 0x002F}, []uint32{0xC02B, 0x1302}},
		{VersionTLS12, []uint32{0x0005, 0xC02F, 0xCCA8, 0x003C}, []uint32{0x1301, 0x010080}},
		{VersionTLS13, []uint32{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}, []uint32{0xC02F, 0x002F}},
		{VersionSSL2, []uint32{0x010080, 0x0700C0}, []uint32{0x002F}},
	}
	for _, tt := range tests {
		list := ForVersion(tt.v)
		for _, id := range tt.in {
			if !has(list, id) {
				t.Errorf("ForVersion(0x%04x) lacks 0x%04X", tt.v, id)
			}
		}
		for _, id := range tt.out {
			if has(list, id) {
				t.Errorf("ForVersion(0x%04x) has 0x%04X", tt.v, id)
			}
		}
	}
}

func TestLabel(t *testing.T) {
	s, _ := Lookup(0xC013)
	if got := s.Label(); got != "ECDHE-RSA-AES128-SHA (0xc013)" {
		t.Errorf("Label = %q", got)
	}
	s, _ = Lookup(0x1302)
	if got := s.Label(); got != "TLS_AES_256_GCM_SHA384 (0x1302)" {
		t.Errorf("Label = %q", got)
	}
	s, _ = Lookup(0x0700C0)
	if got := s.Label(); got != "DES-CBC3-MD5 (0x0700c0)" {
		t.Errorf("Label = %q", got)
	}
}

// TestEveryWeakClassIsCovered cross-checks the classifiers against the
// cipher families over the whole table.
func TestEveryWeakClassIsCovered(t *testing.T) {
	for _, s := range append(All(), SSLv2Kinds()...) {
		switch {
		case s.Enc == EncRC4 || s.Enc == EncDES || s.Enc == Enc3DES:
			if !s.Weak() {
				t.Errorf("%s: RC4/DES/3DES not weak", s.Name)
			}
		case s.Export && !s.Null():
			if !s.Weak() {
				t.Errorf("%s: EXPORT not weak", s.Name)
			}
		case s.Enc == EncAESGCM || s.Enc == EncChaCha20:
			if s.Weak() {
				t.Errorf("%s: AEAD suite weak", s.Name)
			}
		}
		if s.Null() && s.Weak() {
			t.Errorf("%s: NULL counted as weak", s.Name)
		}
	}
}
