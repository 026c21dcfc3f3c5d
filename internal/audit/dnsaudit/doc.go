// Package dnsaudit audits a DNS server read-only: whether it resolves
// recursively for the scanner, what it says about itself in the CHAOS
// class, and whether it hands its zones to anyone who asks. It returns
// facts.DNSAudit; the checks in package check judge it.
//
// # What is sent
//
// Over the service's own transport (UDP or TCP):
//
//   - one query with recursion desired for RecursionName
//     (1.2.0.192.in-addr.arpa PTR). Its zone is one RFC 6303 says every
//     resolver serves itself, empty: a resolver offering recursion to the
//     scanner answers NXDOMAIN with RA set, one refusing it answers
//     REFUSED. vigil never asks a resolver to look up a name it would have
//     to fetch from another server, so the test cannot make the server send
//     traffic to a third party;
//   - version.bind (unless identification already had its answer),
//     version.server, hostname.bind and id.server, CHAOS TXT, without
//     recursion. BIND rate-limits these answers over UDP (three a second
//     to one /24 by default): a scan repeated at once may see them only
//     over TCP, where its finding then is.
//
// Over TCP only, to find the zones the server serves: the PTR of the
// scanned address and the SOA of a few names (the names the user gave for
// the target and their parent domains, the PTR name, hostname.bind and
// id.server when they are domain names, the address's reverse name, and
// zones named by Options.Zones), all without recursion. A name whose SOA
// comes back with the AA bit names a zone of the server; for each of at
// most six such zones vigil asks for one zone transfer (AXFR, RFC 5936) on
// a connection of its own. It counts the records and keeps at most five
// owner names as examples, never the records' data; it stops reading at
// 100,000 records or 8 MiB.
//
// Every read has a deadline and a size cap (package wire); every string
// kept is made printable (package sanitize).
package dnsaudit
