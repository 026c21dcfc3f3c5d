//go:build ignore

// gen writes suites_table.go from facts only: the IANA "TLS Cipher Suites"
// registry as IANA publishes it (tls-parameters-4.csv, given with -iana), the
// unassigned-but-deployed suites typed in gendata/extra-suites.txt, and the
// OpenSSL names in gendata/openssl-names.txt. Each suite's properties are
// read off its IANA name (TLS_<kx>[_EXPORT]_WITH_<cipher>_<mac>, or
// TLS_<cipher>_<hash> for TLS 1.3).
//
//	go run gen.go -iana tls-parameters-4.csv -out suites_table.go
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"sort"
	"strconv"
	"strings"
)

type kxAu struct{ kx, au string }

// kxTable maps the key-exchange part of a name to Kx and Au constants.
var kxTable = map[string]kxAu{
	"NULL":            {"KxNULL", "AuNULL"},
	"RSA":             {"KxRSA", "AuRSA"},
	"RSA_FIPS":        {"KxRSA", "AuRSA"},
	"DH_DSS":          {"KxDH", "AuDSS"},
	"DH_RSA":          {"KxDH", "AuRSA"},
	"DHE_DSS":         {"KxDHE", "AuDSS"},
	"DHE_RSA":         {"KxDHE", "AuRSA"},
	"DH_anon":         {"KxDHE", "AuAnon"},
	"KRB5":            {"KxKRB5", "AuKRB5"},
	"PSK":             {"KxPSK", "AuPSK"},
	"DHE_PSK":         {"KxDHEPSK", "AuPSK"},
	"PSK_DHE":         {"KxDHEPSK", "AuPSK"},
	"RSA_PSK":         {"KxRSAPSK", "AuRSA"},
	"ECDHE_PSK":       {"KxECDHEPSK", "AuPSK"},
	"ECDH_ECDSA":      {"KxECDH", "AuECDSA"},
	"ECDHE_ECDSA":     {"KxECDHE", "AuECDSA"},
	"ECDH_RSA":        {"KxECDH", "AuRSA"},
	"ECDHE_RSA":       {"KxECDHE", "AuRSA"},
	"ECDH_anon":       {"KxECDHE", "AuAnon"},
	"SRP_SHA":         {"KxSRP", "AuSRP"},
	"SRP_SHA_RSA":     {"KxSRP", "AuRSA"},
	"SRP_SHA_DSS":     {"KxSRP", "AuDSS"},
	"ECCPWD":          {"KxECCPWD", "AuECCPWD"},
	"GOSTR341112_256": {"KxGOST", "AuGOST"},
}

type cipher struct {
	token    string
	enc      string
	bits     int
	strength int
	aead     bool
}

// ciphers, longest token first so that prefixes do not shadow.
var ciphers = []cipher{
	{"3DES_EDE_CBC", "Enc3DES", 168, 112, false},
	{"AES_128_CBC", "EncAESCBC", 128, 128, false},
	{"AES_256_CBC", "EncAESCBC", 256, 256, false},
	{"AES_128_GCM", "EncAESGCM", 128, 128, true},
	{"AES_256_GCM", "EncAESGCM", 256, 256, true},
	{"AES_128_CCM_8", "EncAESCCM8", 128, 128, true},
	{"AES_256_CCM_8", "EncAESCCM8", 256, 256, true},
	{"AES_128_CCM", "EncAESCCM", 128, 128, true},
	{"AES_256_CCM", "EncAESCCM", 256, 256, true},
	{"CAMELLIA_128_CBC", "EncCamelliaCBC", 128, 128, false},
	{"CAMELLIA_256_CBC", "EncCamelliaCBC", 256, 256, false},
	{"CAMELLIA_128_GCM", "EncCamelliaGCM", 128, 128, true},
	{"CAMELLIA_256_GCM", "EncCamelliaGCM", 256, 256, true},
	{"ARIA_128_CBC", "EncARIACBC", 128, 128, false},
	{"ARIA_256_CBC", "EncARIACBC", 256, 256, false},
	{"ARIA_128_GCM", "EncARIAGCM", 128, 128, true},
	{"ARIA_256_GCM", "EncARIAGCM", 256, 256, true},
	{"CHACHA20_POLY1305", "EncChaCha20", 256, 256, true},
	{"SEED_CBC", "EncSEED", 128, 128, false},
	{"IDEA_CBC", "EncIDEA", 128, 128, false},
	{"RC2_CBC_40", "EncRC2", 128, 40, false},
	{"RC2_CBC_56", "EncRC2", 128, 56, false},
	{"RC4_40", "EncRC4", 128, 40, false},
	{"RC4_56", "EncRC4", 128, 56, false},
	{"RC4_128", "EncRC4", 128, 128, false},
	{"DES40_CBC", "EncDES", 56, 40, false},
	{"DES_CBC_40", "EncDES", 56, 40, false},
	{"DES_CBC", "EncDES", 56, 56, false},
	{"SM4_GCM", "EncSM4GCM", 128, 128, true},
	{"SM4_CCM", "EncSM4CCM", 128, 128, true},
	{"AEGIS_256", "EncAEGIS", 256, 256, true},
	{"AEGIS_128L", "EncAEGIS", 128, 128, true},
	{"KUZNYECHIK_CTR", "EncKuznyechik", 256, 256, false},
	{"KUZNYECHIK_MGM", "EncKuznyechik", 256, 256, true},
	{"MAGMA_CTR", "EncMagma", 256, 256, false},
	{"MAGMA_MGM", "EncMagma", 256, 256, true},
	{"28147_CNT", "EncGOST28147", 256, 256, false},
	{"NULL", "EncNULL", 0, 0, false},
}

var macs = map[string]string{
	"MD5": "MD5", "SHA": "SHA1", "SHA256": "SHA256", "SHA384": "SHA384",
	"NULL": "NULL", "SM3": "SM3", "OMAC": "GOST", "IMIT": "GOST", "L": "AEAD", "S": "AEAD", "": "AEAD",
}

type suite struct {
	id                                  uint32
	name, openssl, kx, au, enc, mac, mv string
	bits, strength                      int
	export, tls13                       bool
}

func parse(id uint32, name string) (suite, error) {
	s := suite{id: id, name: name}
	body, ok := strings.CutPrefix(name, "TLS_")
	if !ok {
		body, ok = strings.CutPrefix(name, "SSL_")
	}
	if !ok {
		return s, fmt.Errorf("%s: no TLS_/SSL_ prefix", name)
	}
	body = strings.TrimSuffix(body, "_OLD")
	kxPart, cipherPart, with := strings.Cut(body, "_WITH_")
	if !with {
		// TLS 1.3: TLS_<cipher>_<hash>, or TLS_SHA256_SHA256 (integrity only).
		s.tls13, s.kx, s.au = true, "KxAny", "AuAny"
		cipherPart = body
		if body == "SHA256_SHA256" || body == "SHA384_SHA384" {
			cipherPart = "NULL_" + strings.SplitN(body, "_", 2)[1]
		}
	} else {
		if strings.Contains(kxPart, "_EXPORT1024") {
			s.export = true
			kxPart = strings.Replace(kxPart, "_EXPORT1024", "", 1)
		} else if strings.Contains(kxPart, "_EXPORT") {
			s.export = true
			kxPart = strings.Replace(kxPart, "_EXPORT", "", 1)
		}
		ka, ok := kxTable[kxPart]
		if !ok {
			return s, fmt.Errorf("%s: unknown key exchange %q", name, kxPart)
		}
		s.kx, s.au = ka.kx, ka.au
	}
	var c *cipher
	for i := range ciphers {
		t := ciphers[i].token
		if cipherPart == t || strings.HasPrefix(cipherPart, t+"_") {
			c = &ciphers[i]
			break
		}
	}
	if c == nil {
		return s, fmt.Errorf("%s: unknown cipher in %q", name, cipherPart)
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(cipherPart, c.token), "_")
	if strings.HasPrefix(c.token, "KUZNYECHIK_MGM") || strings.HasPrefix(c.token, "MAGMA_MGM") {
		s.tls13, s.kx, s.au = true, "KxAny", "AuAny"
	}
	mac, ok := macs[rest]
	if !ok {
		return s, fmt.Errorf("%s: unknown MAC %q", name, rest)
	}
	if c.aead {
		mac = "AEAD"
	}
	s.enc, s.bits, s.strength, s.mac = c.enc, c.bits, c.strength, mac
	switch {
	case s.tls13:
		s.mv = "VersionTLS13"
	case c.aead || mac == "SHA256" || mac == "SHA384" || mac == "SM3" || mac == "GOST":
		s.mv = "VersionTLS12"
	default:
		s.mv = "VersionSSL3"
	}
	return s, nil
}

func readPairs(path string) map[uint32]string {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	out := map[uint32]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 2 {
			log.Fatalf("%s: bad line %q", path, line)
		}
		n, err := strconv.ParseUint(fs[0], 0, 32)
		if err != nil {
			log.Fatalf("%s: %v", path, err)
		}
		out[uint32(n)] = fs[1]
	}
	return out
}

func main() {
	iana := flag.String("iana", "tls-parameters-4.csv", "IANA TLS Cipher Suites registry, CSV")
	out := flag.String("out", "suites_table.go", "output file")
	flag.Parse()

	f, err := os.Open(*iana)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	names := map[uint32]string{}
	for _, r := range rows[1:] {
		v, d := r[0], strings.TrimSpace(r[1])
		if strings.ContainsAny(v, "-*") || !strings.HasPrefix(d, "TLS_") || strings.HasSuffix(d, "_SCSV") {
			continue // ranges, Unassigned, Reserved, signalling values
		}
		hi, lo, ok := strings.Cut(v, ",")
		if !ok {
			log.Fatalf("bad value %q", v)
		}
		h, err1 := strconv.ParseUint(hi, 0, 8)
		l, err2 := strconv.ParseUint(lo, 0, 8)
		if err1 != nil || err2 != nil {
			log.Fatalf("bad value %q", v)
		}
		names[uint32(h<<8|l)] = d
	}
	for id, n := range readPairs("gendata/extra-suites.txt") {
		if _, dup := names[id]; dup {
			log.Fatalf("extra suite 0x%04X is in the IANA registry", id)
		}
		names[id] = n
	}
	ossl := readPairs("gendata/openssl-names.txt")

	var list []suite
	for id, n := range names {
		s, err := parse(id, n)
		if err != nil {
			log.Fatal(err)
		}
		s.openssl = ossl[id]
		if s.openssl == n { // OpenSSL uses IANA names for TLS 1.3
			s.openssl = ""
		}
		list = append(list, s)
	}
	for id := range ossl {
		if _, ok := names[id]; !ok {
			log.Fatalf("OpenSSL name for 0x%04X but no suite", id)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })

	var b bytes.Buffer
	b.WriteString("// Code generated by gen.go from the IANA TLS Cipher Suites registry and gendata/; DO NOT EDIT.\n\npackage tlsinfo\n\n")
	b.WriteString("// suites holds every TLS cipher suite, ordered by ID.\nvar suites = []Suite{\n")
	for _, s := range list {
		fmt.Fprintf(&b, "\t{ID: 0x%04X, Name: %q, OpenSSL: %q, Kx: %s, Au: %s, Enc: %s, KeyBits: %d, Strength: %d, MAC: %q, Export: %v, MinVersion: %s, TLS13: %v},\n",
			s.id, s.name, s.openssl, s.kx, s.au, s.enc, s.bits, s.strength, s.mac, s.export, s.mv, s.tls13)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%d suites\n", len(list))
}
