package identify

import (
	"slices"

	"github.com/vigilsec/vigil/internal/proto"
	"github.com/vigilsec/vigil/internal/protocols"
)

// This file is the registry: which matchers and probes exist and in which
// order they are tried. Order is data; port numbers only move a guess to
// the front (see plainHints, tlsHints, udpHints). The protocol modules'
// entry points (internal/protocols) follow the built-in ones.

// bannerMatchers recognise protocols whose server speaks first, tried in
// this order on the banner and on every probe's answer.
var bannerMatchers = slices.Concat([]matcher{
	{proto.SSH, matchSSH},
	{proto.MySQL, matchMySQL},
	{proto.VNC, matchVNC},
	{proto.Telnet, matchTelnet},
	{"ftp/smtp", matchGreeting},
	{proto.IMAP, matchIMAP},
	{proto.POP3, matchPOP3},
	{proto.NATS, matchNATS},
}, moduleMatchers(protocols.Modules))

// tcpProbes are the client-first probes on a plain TCP port, in default
// order, each on a fresh connection.
var tcpProbes = slices.Concat([]probe{
	{"tls", probeTLS},
	{proto.HTTP, probeHTTP},
	{proto.PostgreSQL, probePostgres},
	{proto.Redis, probeRedis},
	{proto.Memcached, probeMemcached},
	{proto.MongoDB, probeMongoDB},
	{proto.MQTT, probeMQTT},
	{proto.LDAP, probeLDAP},
	{proto.RDP, probeRDP},
	{proto.SMB, probeSMB},
	{proto.AMQP, probeAMQP},
	{proto.DNS, probeDNS},
	{proto.RTSP, probeRTSP},
	{proto.JetDirect, probeJetDirect},
	{proto.MSSQL, probeMSSQL},
	{proto.RPCBind, probeRPC},
	{proto.ISCSI, probeISCSI},
	{proto.Kerberos, probeKerberos},
	{proto.SIP, probeSIP},
}, moduleProbes(protocols.Modules, false))

// tlsProbes are the client-first probes inside TLS, in default order.
var tlsProbes = slices.Concat([]probe{
	{proto.HTTP, probeHTTP},
	{proto.Redis, probeRedis},
	{proto.MQTT, probeMQTT},
	{proto.LDAP, probeLDAP},
	{proto.AMQP, probeAMQP},
	{proto.MongoDB, probeMongoDB},
	{proto.Memcached, probeMemcached},
	{proto.DNS, probeDNS},
	{proto.SIP, probeSIP},
}, moduleProbes(protocols.Modules, true))

// udpProbes are the UDP probes in default order; the engine sends them one
// after another (see UDP), those of the port's customary protocols first.
var udpProbes = slices.Concat([]udpProbe{
	{proto.DNS, newDNSSession},
	{proto.SNMP, newSNMPSession},
	{proto.RPCBind, newRPCBindSession},
	{proto.Kerberos, newKerberosSession},
	{proto.TFTP, newTFTPSession},
	{proto.SIP, newSIPSession},
	{proto.CoAP, newCoAPSession},
	{proto.SSDP, newSSDPSession},
	{proto.MDNS, newMDNSSession},
	{proto.NetBIOSNS, newNBSTATSession},
}, moduleUDPProbes(protocols.Modules))

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
