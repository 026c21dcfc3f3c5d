package identify

import "github.com/vigilsec/vigil/internal/proto"

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
	{"nats", matchNATS},
	{"rsync", matchRsync},
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
	{"rtsp", probeRTSP},
	{"jetdirect", probeJetDirect},
	{"mssql", probeMSSQL},
	{"x11", probeX11},
	{"rpcbind", probeRPC},
	{"iscsi", probeISCSI},
	{"kerberos", probeKerberos},
	{"sip", probeSIP},
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
	{"sip", probeSIP},
}

// udpProbes are the UDP probes in default order; the engine sends them one
// after another (see UDP), those of the port's customary protocols first.
var udpProbes = []udpProbe{
	{"dns", newDNSSession},
	{"ntp", newNTPSession},
	{"snmp", newSNMPSession},
	{"rpcbind", newRPCBindSession},
	{"kerberos", newKerberosSession},
	{"tftp", newTFTPSession},
	{"sip", newSIPSession},
	{"coap", newCoAPSession},
	{"ssdp", newSSDPSession},
	{"mdns", newMDNSSession},
	{"netbios-ns", newNBSTATSession},
}

// plainHints names the client-first probes to try first on a TCP port,
// from the port's customary use in the protocol table (internal/proto).
func plainHints(port uint16) []string { return known(proto.Hints(port), tcpProbes) }

// tlsHints names the probes to try first inside TLS on a port.
func tlsHints(port uint16) []string { return known(proto.TLSHints(port), tlsProbes) }

// serverFirstPort reports whether the protocol customary on port (inside
// TLS when overTLS) speaks first, so that its banner is worth a longer wait.
func serverFirstPort(port uint16, overTLS bool) bool { return proto.ServerFirstPort(port, overTLS) }

// udpHints names the UDP probes to send first on a port.
func udpHints(port uint16) []string {
	var out []string
	for _, h := range proto.UDPHints(port) {
		for _, p := range udpProbes {
			if p.name == h {
				out = append(out, h)
			}
		}
	}
	return out
}

// probeFor names the probe that identifies a protocol of the table when
// their names differ: NFS (and its mount daemon) answers the ONC RPC probe.
var probeFor = map[string]string{proto.NFS: "rpcbind"}

// known keeps the hints that name one of probes (the table also names
// protocols recognised by their banner, which need no probe).
func known(hints []string, probes []probe) []string {
	var out []string
	for _, h := range hints {
		if alias, ok := probeFor[h]; ok {
			h = alias
		}
		for _, p := range probes {
			if p.name == h {
				out = append(out, h)
			}
		}
	}
	return out
}
