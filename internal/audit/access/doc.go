// Package access audits how an identified service protects its traffic and
// who it lets in: whether a plaintext protocol offers an upgrade to TLS,
// whether it accepts passwords before TLS, whether HTTP asks for
// credentials in cleartext, whether a database, cache, broker or admin API
// answers without credentials, and whether SNMP accepts vendor-default
// communities. It returns facts.Access; the checks in package check judge it.
//
// # What is sent
//
// Every probe is read-only. Nothing is ever written, deleted or configured
// on the server, and no password is sent except what the protocols define
// as "no credentials": the anonymous FTP login (USER anonymous with an
// address-shaped password, as RFC 1635 describes, then QUIT at once; never
// LIST or RETR), MQTT's anonymous CONNECT (done during identification) and,
// unless Options.NoDefaultCreds, SNMP GetRequests for sysDescr.0 with the
// communities "public" and "private" on v1 and v2c. Everything else reads:
// FEAT, EHLO, CAPABILITY, CAPA, the LDAP StartTLS request (answered, then
// the connection closes before any handshake), PostgreSQL's SSLRequest,
// HTTP GET, Redis INFO, memcached stats, MongoDB listDatabases
// (nameOnly), Elasticsearch _cluster/health and _cat/indices, Docker
// /version and /containers/json?limit=1, and the VNC security-type list
// (the connection closes before any type is chosen, except VeNCrypt, whose
// sub-type list is read the same way).
//
// What identification already recorded in Service.Details is reused rather
// than asked again: postgresql.ssl, mysql.capabilities, imap.capability,
// mqtt.connack, redis.auth, snmp.versions, http.www-authenticate and
// http.password-form.
//
// Every read has a deadline and a size cap (package wire), and every
// string kept is made printable (package sanitize).
//
// # Details keys
//
// Besides facts.Access, the audit records what it observed in
// Service.Details, so that a finding can quote it:
//
//	ftp.feat               FEAT features, "; "-joined
//	ftp.auth-tls           reply to AUTH TLS, when FEAT did not list it
//	ftp.anonymous          reply that ended the anonymous login attempt
//	smtp.ehlo              EHLO keywords before TLS, "; "-joined
//	imap.capability        CAPABILITY before TLS
//	pop3.capa              CAPA lines before TLS, "; "-joined
//	ldap.starttls-result   "code diagnostic" of the answer to the StartTLS request
//	postgresql.ssl         answer to SSLRequest, when identification had none
//	snmp.default-communities  "public: v1, v2c; private: v1, v2c": which community answered on which version
//	vnc.vencrypt           VeNCrypt sub-types offered, when VeNCrypt is
//	vnc.security-error     the reason a VNC server gave for offering no security type
package access
