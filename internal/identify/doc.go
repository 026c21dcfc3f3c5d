// Package identify finds which protocol, product and version run on an
// open port from what the server says: its banner, or its answers to
// client-first probes written from the protocols' own specifications. Port
// numbers only decide which probe is tried first, never the answer, so
// PostgreSQL on 5433 or SSH on 2222 are found.
//
// # Strategy
//
// TCP connects and waits up to Options.BannerWait for server-first bytes.
// When some arrive, the banner matchers (probes.go) decide; a server that
// spoke first but matches none is reported "unknown" at once with a
// printable snippet of its bytes, so that hostile servers (trickling,
// flooding, sending escapes) cost one connection. A silent server gets the
// client-first probes, each on a fresh connection, stopping at the first
// match: TLS (and then the same identification inside TLS), HTTP (with the
// Docker Engine API, Elasticsearch and WinRM behind HTTP.sys), PostgreSQL,
// Redis, memcached, MongoDB, MQTT, LDAP, RDP, SMB, AMQP, DNS, Microsoft SQL
// Server (TDS PRELOGIN), X11 (a connection setup without authorisation,
// closed at once), ONC RPC (the port mapper's DUMP, then the NULL
// procedures of NFS and its mount daemon), iSCSI (a discovery Login
// Request) and Kerberos (an AS-REQ for krbtgt of a made-up realm, answered
// with a KRB-ERROR). rsync daemons are recognised by their greeting. Every answer is also given
// to the banner matchers, as a slow greeting may come as the answer to a
// probe. Every read has a deadline and a size cap (package wire); every
// string kept is made printable (package sanitize). Probes are read-only:
// no credentials are ever sent, and the only "logins" are what the
// protocols need to answer at all (MQTT CONNECT with a random client id,
// PostgreSQL startup as user "vigil" without a password, the first leg of
// an NTLM login to SMB and to RDP's CredSSP, which only asks the server to
// present itself).
//
// SMB and RDP facts are typed (Service.SMB, Service.RDP): the SMB2 dialect
// and signing mode, whether SMBv1 is accepted (on a second connection that
// offers only NT LM 0.12) with NativeOS and NativeLanMan, the NTLM
// CHALLENGE's names and OS version; RDP's selected security protocol and,
// when CredSSP is selected, the NTLM CHALLENGE. Samba is named from
// NativeLanMan (with its version) or from its fixed NTLM version 6.1.0;
// Windows from its NTLM version (the build); xrdp and FreeRDP from their
// Connection Confirm (see rdpProduct).
//
// UDP sends DNS, NTP, SNMP, ONC RPC (PMAPPROC_DUMP) and Kerberos (AS-REQ)
// probes together on one socket and ties each answer to its probe by an
// identifier (DNS id, NTP origin timestamp, SNMP ids, RPC xid; Kerberos by
// the shape of its KRB-ERROR).
//
// Protocol facts beyond Details go into typed fields of facts.Service:
// Rsync, RPC, ISCSI, X11, MSSQL and Kerberos.
// UDP sends the DNS, NTP, SNMP, TFTP, SIP, CoAP, SSDP, mDNS and NetBIOS-NS
// probes one after another on one socket, one datagram per probe per try,
// the port's customary protocols first, and ties each answer to its probe
// by an identifier. TCP also tries SIP (OPTIONS).
//
// # Details keys
//
// Service.Details holds what identification learnt on the way (all values
// made printable):
//
//	ssh.protocol            protocol version of the identification string ("2.0")
//	ssh.software            software version ("OpenSSH_9.2p1")
//	ssh.comments            comments after the software version ("Debian-2+deb12u3")
//	http.status             status code of GET / ("200")
//	http.server             Server header
//	http.www-authenticate   WWW-Authenticate challenges, comma-joined
//	http.location           Location header (redirects)
//	http.powered-by         X-Powered-By header
//	http.title              HTML title of the page
//	http.password-form      "true" when the page holds a password input
//	docker.api-version      Docker Engine API version (Api-Version header, GET /version)
//	docker.os, docker.arch  from GET /version
//	elasticsearch.cluster-name  cluster name from GET /
//	winrm.auth              WWW-Authenticate of a WinRM listener's answer to POST /wsman
//	tls.version             negotiated TLS version ("TLS1.3")
//	tls.cipher              negotiated cipher suite (IANA name)
//	tls.handshake           why a server that answered in TLS records could not complete a handshake
//	identify.echo           "yes": the port sends back whatever it is sent (an echo service), so no probe names it
//	ftp.banner              text of the FTP greeting
//	smtp.banner             text of the SMTP greeting
//	smtp.ehlo               EHLO keywords, when EHLO was needed to tell SMTP from FTP
//	imap.banner             the IMAP greeting line
//	imap.capability         CAPABILITY list in the greeting's response code
//	pop3.banner             text of the POP3 greeting
//	postgresql.ssl          answer to SSLRequest: "S" (TLS offered) or "N" (refused)
//	postgresql.auth         authentication asked for user "vigil": ok, cleartext, md5, "sasl SCRAM-SHA-256", …
//	postgresql.error        "SEVERITY SQLSTATE: message" of an ErrorResponse to the startup
//	postgresql.server-version  server_version parameter (only after authentication succeeded)
//	mysql.protocol          handshake protocol version ("10")
//	mysql.server-version    server version string of the handshake
//	mysql.capabilities      server capability flags, hex ("0xf7fef7ff"); CLIENT_SSL is 0x800
//	mysql.ssl               "true" when the CLIENT_SSL capability is set
//	mysql.auth-plugin       default authentication plugin
//	mysql.error             "code: message" of an error packet sent instead of a handshake
//	redis.auth              answer to PING: none, required (NOAUTH), protected-mode (DENIED), acl (NOPERM)
//	redis.mode, redis.os    redis_mode and os from INFO server (only without authentication)
//	memcached: none (the version is Service.Version)
//	mqtt.connack            CONNACK return code of an anonymous CONNECT ("0" accepted, "5" not authorized, …)
//	mqtt.anonymous          "true" when the anonymous CONNECT was accepted
//	mqtt.broker-version     payload of $SYS/broker/version
//	mongodb.max-wire-version  maxWireVersion from hello / isMaster
//	ldap.versions           supportedLDAPVersion, comma-joined
//	ldap.naming-contexts    namingContexts, "; "-joined
//	ldap.sasl-mechanisms    supportedSASLMechanisms, space-joined
//	ldap.starttls           "true" when supportedExtension lists StartTLS (1.3.6.1.4.1.1466.20037)
//	ldap.vendor-version     vendorVersion
//	ldap.result             "code message" when the root DSE search failed
//	rdp.protocol            security protocol the server selected: rdp, tls, credssp, rdstls, credssp-early-auth
//	rdp.failure             negotiation failure: ssl-required, hybrid-required, …
//	smb.dialect             SMB2 dialect chosen ("3.1.1"), or "1" for an SMB1 answer
//	smb.signing             required, enabled or disabled
//	smb.status              NT status of an error answer, hex
//	amqp.version            protocol version ("0-9-1", or what the server named instead)
//	amqp.mechanisms         SASL mechanisms of Connection.Start
//	amqp.platform           server-properties platform
//	telnet.options          options negotiated first ("DO TERMINAL-TYPE, WILL ECHO")
//	telnet.text             text sent after the negotiation
//	vnc.rfb                 RFB protocol version ("3.8")
//	dns.rcode               response code to the version.bind CHAOS TXT query (NOERROR, REFUSED, …)
//	dns.version-bind        the version.bind TXT answer
//	dns.root-soa-rcode      response code to the root SOA query (IN, no recursion), when only it was answered over UDP
//	ntp.version, ntp.stratum, ntp.refid  from the mode-4 reply
//	snmp.versions           SNMP versions that answered: v1, v2c, v3, comma-joined
//	snmp.engineid           SNMPv3 authoritative engine ID, hex
//	snmp.engine-boots, snmp.engine-time  from the SNMPv3 Report
//	snmp.enterprise         IANA enterprise number in the engine ID (8072 is net-snmp)
//	snmp.community          community that was accepted ("public"; never tried with NoDefaultCreds)
//	snmp.sysdescr           sysDescr.0 read with that community
//	nats.server-name        server_name of the NATS INFO line, when not the server_id
//	kubelet.guess           why a port is taken for a kubelet although it answered only 401
//	rtsp.public             the Public header of the answer to RTSP OPTIONS
//	ipp.version, ipp.status version and status-code of the answer to Get-Printer-Attributes
//	tftp.answer             what a read request for a non-existent file got: error, data, oack
//	tftp.error              "code message" of the ERROR packet ("1 File not found")
//	sip.status              status of the OPTIONS answer ("200 OK", "483 Too Many Hops")
//	sip.server              Server (else User-Agent) header
//	sip.allow               Allow header: the methods the server accepts
//	coap.code               response code to GET /.well-known/core ("2.05"), or "reset"
//	coap.resources          links /.well-known/core listed, comma-joined
//	ssdp.server             SERVER header of the unicast M-SEARCH answer
//	ssdp.location           LOCATION header (the device description URL)
//	ssdp.st                 search targets announced, comma-joined
//	mdns.services           DNS-SD service types a legacy unicast query listed, comma-joined
//	netbios.names           node status name table: name<suffix>, /g for group names, comma-joined
//	netbios.computer        the unique workstation name (suffix 00)
//	netbios.workgroup       the group name of suffix 00 (workgroup or domain)
//	netbios.mac             unit id of the node status (all zeros from Samba)
package identify
