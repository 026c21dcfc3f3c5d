package identify

// This file is the registry: which matchers and probes exist and in which
// order they are tried. Order is data; port numbers only move a guess to
// the front (see plainHints, tlsHints, udpHints).

// bannerMatchers recognise protocols whose server speaks first, tried in
// this order on the banner and on every probe's answer.
var bannerMatchers = []matcher{
	{"ssh", matchSSH},
	{"mysql", matchMySQL},
	{"vnc", matchVNC},
	{"telnet", matchTelnet},
	{"ftp/smtp", matchGreeting},
	{"imap", matchIMAP},
	{"pop3", matchPOP3},
}

// tcpProbes are the client-first probes on a plain TCP port, in default
// order, each on a fresh connection.
var tcpProbes = []probe{
	{"tls", probeTLS},
	{"http", probeHTTP},
	{"postgresql", probePostgres},
	{"redis", probeRedis},
	{"memcached", probeMemcached},
	{"mongodb", probeMongoDB},
	{"mqtt", probeMQTT},
	{"ldap", probeLDAP},
	{"rdp", probeRDP},
	{"smb", probeSMB},
	{"amqp", probeAMQP},
	{"dns", probeDNS},
}

// tlsProbes are the client-first probes inside TLS, in default order.
var tlsProbes = []probe{
	{"http", probeHTTP},
	{"redis", probeRedis},
	{"mqtt", probeMQTT},
	{"ldap", probeLDAP},
	{"amqp", probeAMQP},
	{"mongodb", probeMongoDB},
	{"memcached", probeMemcached},
	{"dns", probeDNS},
}

// udpProbes are the UDP probes, sent together.
var udpProbes = []udpProbe{
	{"dns", newDNSSession},
	{"ntp", newNTPSession},
	{"snmp", newSNMPSession},
}

// plainHints names the client-first probes to try first on a TCP port,
// from the port's customary use.
func plainHints(port uint16) []string {
	switch port {
	case 443, 465, 563, 636, 853, 989, 990, 992, 993, 994, 995, 2376, 3269, 4443,
		5061, 5671, 5986, 6443, 6697, 8443, 8883, 9443, 10443:
		return []string{"tls"}
	case 80, 81, 591, 2375, 3000, 5000, 5601, 5984, 7001, 8000, 8008, 8080, 8081,
		8088, 8888, 9000, 9090, 9200, 15672:
		return []string{"http"}
	case 5432, 5433, 5434, 5435:
		return []string{"postgresql"}
	case 6379, 6380, 6381, 6382:
		return []string{"redis", "tls"}
	case 11211, 11212:
		return []string{"memcached"}
	case 27017, 27018, 27019:
		return []string{"mongodb"}
	case 1883, 1884:
		return []string{"mqtt"}
	case 389, 1389, 3268, 10389:
		return []string{"ldap"}
	case 3389:
		return []string{"rdp"}
	case 445:
		return []string{"smb"}
	case 5672:
		return []string{"amqp"}
	case 53, 5353:
		return []string{"dns"}
	}
	return nil
}

// tlsHints names the probes to try first inside TLS on a port.
func tlsHints(port uint16) []string {
	switch port {
	case 8883:
		return []string{"mqtt"}
	case 636, 3269:
		return []string{"ldap"}
	case 5671:
		return []string{"amqp"}
	case 6379, 6380:
		return []string{"redis"}
	case 27017:
		return []string{"mongodb"}
	case 853:
		return []string{"dns"}
	}
	return nil
}

// serverFirstPort reports whether the protocol customary on port (inside
// TLS when overTLS) speaks first, so that its banner is worth a longer wait.
func serverFirstPort(port uint16, overTLS bool) bool {
	if overTLS {
		switch port {
		case 465, 990, 992, 993, 995:
			return true
		}
		return false
	}
	switch port {
	case 21, 22, 23, 25, 110, 143, 587, 2222, 3306, 5900, 5901:
		return true
	}
	return false
}

// udpHints names the UDP probe to send first on a port.
func udpHints(port uint16) []string {
	switch port {
	case 53, 5353:
		return []string{"dns"}
	case 123:
		return []string{"ntp"}
	case 161, 162:
		return []string{"snmp"}
	}
	return nil
}
