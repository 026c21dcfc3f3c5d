package tlsinfo

import (
	"fmt"
	"strconv"
	"strings"
)

// Version names as vigil stores them (facts.TLSVersion.Name), oldest first.
const (
	NameSSL2  = "SSLv2"
	NameSSL3  = "SSLv3"
	NameTLS10 = "TLS1.0"
	NameTLS11 = "TLS1.1"
	NameTLS12 = "TLS1.2"
	NameTLS13 = "TLS1.3"
)

// versionNames pairs wire versions with their stored names and the labels
// evidence uses.
var versionNames = []struct {
	v           uint16
	name, label string
}{
	{VersionSSL2, NameSSL2, "SSLv2"},
	{VersionSSL3, NameSSL3, "SSLv3"},
	{VersionTLS10, NameTLS10, "TLS 1.0"},
	{VersionTLS11, NameTLS11, "TLS 1.1"},
	{VersionTLS12, NameTLS12, "TLS 1.2"},
	{VersionTLS13, NameTLS13, "TLS 1.3"},
}

// VersionName is the stored name of wire version v ("TLS1.2"), or
// "version 0x…" for a number that is no SSL or TLS version.
func VersionName(v uint16) string {
	for _, x := range versionNames {
		if x.v == v {
			return x.name
		}
	}
	return fmt.Sprintf("version 0x%04x", v)
}

// VersionLabel is how evidence names a version given by any spelling
// ParseVersion accepts: "TLS 1.2", "SSLv3"; a string it cannot parse is
// returned as is.
func VersionLabel(s string) string {
	v, err := ParseVersion(s)
	if err != nil {
		return s
	}
	for _, x := range versionNames {
		if x.v == v {
			return x.label
		}
	}
	return s
}

// ParseVersion reads a protocol version in any of the spellings tools use:
// vigil's "TLS1.2", "TLS 1.2", OpenSSL's and nginx's "TLSv1.2" ("TLSv1" is
// 1.0), "tls12", "SSLv3", "SSL 3.0", or the wire number "0x0303" / "771".
func ParseVersion(s string) (uint16, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(t, "0x") {
		if n, err := strconv.ParseUint(t[2:], 16, 16); err == nil && known(uint16(n)) {
			return uint16(n), nil
		}
	} else if n, err := strconv.ParseUint(t, 10, 16); err == nil && known(uint16(n)) {
		return uint16(n), nil
	}
	r := strings.NewReplacer(" ", "", "_", "", "-", "", "v", "").Replace(t)
	switch r {
	case "ssl2", "ssl2.0", "ssl20":
		return VersionSSL2, nil
	case "ssl3", "ssl3.0", "ssl30":
		return VersionSSL3, nil
	case "tls1", "tls1.0", "tls10":
		return VersionTLS10, nil
	case "tls1.1", "tls11":
		return VersionTLS11, nil
	case "tls1.2", "tls12":
		return VersionTLS12, nil
	case "tls1.3", "tls13":
		return VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q is not an SSL or TLS version", s)
}

func known(v uint16) bool {
	for _, x := range versionNames {
		if x.v == v {
			return true
		}
	}
	return false
}
