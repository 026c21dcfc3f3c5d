package vuln

import (
	"strings"
)

// product is how a product vigil identifies is known to the sources: its
// NVD CPE vendor:product names, and the source package and typical binary
// package of the distributions that ship it.
type product struct {
	// cpes are vendor:product pairs; NVD has renamed some vendors over
	// time (nginx:nginx, then f5:nginx), so a product may have several.
	cpes [][2]string
	// source returns the Debian source package names that may build the
	// product at version v (PostgreSQL's carries its major version).
	source func(v string) []string
	// binary is the package an administrator upgrades.
	binary string
}

// fixed returns a source function for a product built by one source package.
func fixed(name string) func(string) []string { return func(string) []string { return []string{name} } }

// products are the products vigil matches, keyed by the lower-case name
// identification gives them. Each CPE name is NVD's (as its CVE
// configurations use it); each source package is Debian's.
var products = map[string]product{
	"openssh":      {cpes: [][2]string{{"openbsd", "openssh"}}, source: fixed("openssh"), binary: "openssh-server"},
	"nginx":        {cpes: [][2]string{{"f5", "nginx"}, {"nginx", "nginx"}}, source: fixed("nginx"), binary: "nginx"},
	"apache httpd": {cpes: [][2]string{{"apache", "http_server"}}, source: fixed("apache2"), binary: "apache2"},
	"lighttpd":     {cpes: [][2]string{{"lighttpd", "lighttpd"}}, source: fixed("lighttpd"), binary: "lighttpd"},
	"squid":        {cpes: [][2]string{{"squid-cache", "squid"}}, source: fixed("squid"), binary: "squid"},
	"vsftpd":       {cpes: [][2]string{{"vsftpd_project", "vsftpd"}, {"beasts", "vsftpd"}}, source: fixed("vsftpd"), binary: "vsftpd"},
	"proftpd":      {cpes: [][2]string{{"proftpd", "proftpd"}}, source: fixed("proftpd-dfsg"), binary: "proftpd-core"},
	"pure-ftpd":    {cpes: [][2]string{{"pureftpd", "pure-ftpd"}}, source: fixed("pure-ftpd"), binary: "pure-ftpd"},
	"exim":         {cpes: [][2]string{{"exim", "exim"}}, source: fixed("exim4"), binary: "exim4-daemon-light"},
	"postfix":      {cpes: [][2]string{{"postfix", "postfix"}}, source: fixed("postfix"), binary: "postfix"},
	"sendmail":     {cpes: [][2]string{{"sendmail", "sendmail"}}, source: fixed("sendmail"), binary: "sendmail"},
	"dovecot":      {cpes: [][2]string{{"dovecot", "dovecot"}}, source: fixed("dovecot"), binary: "dovecot-core"},
	"redis":        {cpes: [][2]string{{"redis", "redis"}, {"redislabs", "redis"}}, source: fixed("redis"), binary: "redis-server"},
	"memcached":    {cpes: [][2]string{{"memcached", "memcached"}}, source: fixed("memcached"), binary: "memcached"},
	"postgresql": {cpes: [][2]string{{"postgresql", "postgresql"}}, binary: "postgresql",
		source: func(v string) []string { return []string{"postgresql-" + major(v)} }},
	"mysql": {cpes: [][2]string{{"oracle", "mysql"}, {"mysql", "mysql"}}, binary: "mysql-server",
		source: func(v string) []string { return []string{"mysql-" + majorMinor(v), "mysql-8.0"} }},
	"mariadb": {cpes: [][2]string{{"mariadb", "mariadb"}}, binary: "mariadb-server",
		source: func(v string) []string { return []string{"mariadb", "mariadb-" + majorMinor(v)} }},
	"openldap":  {cpes: [][2]string{{"openldap", "openldap"}}, source: fixed("openldap"), binary: "slapd"},
	"bind":      {cpes: [][2]string{{"isc", "bind"}}, source: fixed("bind9"), binary: "bind9"},
	"dnsmasq":   {cpes: [][2]string{{"thekelleys", "dnsmasq"}}, source: fixed("dnsmasq"), binary: "dnsmasq"},
	"unbound":   {cpes: [][2]string{{"nlnetlabs", "unbound"}}, source: fixed("unbound"), binary: "unbound"},
	"samba":     {cpes: [][2]string{{"samba", "samba"}}, source: fixed("samba"), binary: "samba"},
	"mosquitto": {cpes: [][2]string{{"eclipse", "mosquitto"}}, source: fixed("mosquitto"), binary: "mosquitto"},
	"rabbitmq":  {cpes: [][2]string{{"vmware", "rabbitmq"}, {"pivotal_software", "rabbitmq"}}, source: fixed("rabbitmq-server"), binary: "rabbitmq-server"},
	"mongodb":   {cpes: [][2]string{{"mongodb", "mongodb"}}, source: fixed("mongodb"), binary: "mongodb-server"},
	"dropbear":  {cpes: [][2]string{{"dropbear_ssh_project", "dropbear_ssh"}}, source: fixed("dropbear"), binary: "dropbear"},
}

// productOf returns what is known of a product by the name identification
// gave it.
func productOf(name string) (product, bool) {
	p, ok := products[strings.ToLower(strings.TrimSpace(name))]
	return p, ok
}

// major returns a version's first number ("15" of "15.6").
func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

// majorMinor returns a version's first two numbers ("10.11" of "10.11.6").
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}
