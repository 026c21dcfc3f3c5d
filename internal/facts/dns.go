package facts

// DNSAudit is what a DNS audit observed on one port: whether the server
// resolves recursively for the scanner, what it says about itself in the
// CHAOS class, and which of its zones it transfers to anyone.
type DNSAudit struct {
	// Recursion is the answer to one recursive query for a name in a
	// locally-served zone; nil when no answer came.
	Recursion *DNSRecursion `json:"recursion,omitempty"`
	// Chaos holds the CHAOS-class TXT queries that were answered with
	// text (version.bind, version.server, hostname.bind, id.server).
	Chaos []DNSChaos `json:"chaos,omitempty"`
	// Zones are the zones the server answered for with authority, and
	// what a zone transfer (AXFR over TCP) of each gave. Only TCP services
	// are asked for transfers.
	Zones []DNSZone `json:"zones,omitempty"`
	// ZoneCandidates is how many names vigil asked the server's SOA for
	// while looking for its zones (0 on UDP services).
	ZoneCandidates int `json:"zone_candidates,omitempty"`
}

// DNSRecursion is the server's answer to a recursive query (RD set).
type DNSRecursion struct {
	// Query is the question asked: name and type.
	Query string `json:"query"`
	// Rcode is the response code's name: NOERROR, NXDOMAIN, REFUSED, …
	Rcode string `json:"rcode"`
	// RA is the Recursion Available bit of the answer, AA its
	// Authoritative Answer bit.
	RA bool `json:"ra"`
	AA bool `json:"aa"`
	// Answers counts the records of the answer section.
	Answers int `json:"answers"`
	// Source is the scanner's address the query came from.
	Source string `json:"source,omitempty"`
}

// Resolved reports whether the server resolved the query for the scanner:
// it says recursion is available and gave an answer (a name error counts:
// it is an answer) rather than refusing or failing.
func (r *DNSRecursion) Resolved() bool {
	return r != nil && r.RA && (r.Rcode == "NOERROR" || r.Rcode == "NXDOMAIN")
}

// DNSChaos is one CHAOS-class TXT answer.
type DNSChaos struct {
	// Name is the name asked: version.bind, version.server,
	// hostname.bind or id.server.
	Name string `json:"name"`
	// Text is the answer's TXT strings, joined and made printable.
	Text string `json:"text"`
}

// DNSZone is one zone the server is authoritative for, and the outcome of
// asking it for a full transfer.
type DNSZone struct {
	// Zone is the zone's apex, with a trailing dot.
	Zone string `json:"zone"`
	// Source says how vigil learnt of the zone: "scan target name",
	// "PTR of ADDRESS", "hostname.bind", "--dns-zone", …
	Source string `json:"source"`
	// Transferred is true when the server sent the zone (AXFR) to the
	// scanner.
	Transferred bool `json:"transferred"`
	// Records counts the records received, both SOA records included;
	// Capped is true when vigil stopped reading at its size cap, so
	// Records is a lower bound.
	Records int  `json:"records,omitempty"`
	Capped  bool `json:"capped,omitempty"`
	// Empty is true when the transfer held only SOA and NS records: an
	// empty zone, such as the RFC 6303 zones servers make for themselves.
	Empty bool `json:"empty,omitempty"`
	// Owners are a few owner names from the transfer, as examples; the
	// zone's contents are never kept.
	Owners []string `json:"owners,omitempty"`
	// Refusal is how the server declined the transfer: a response code
	// (REFUSED, NOTAUTH), "closed" or an error; empty when transferred.
	Refusal string `json:"refusal,omitempty"`
}

// ChaosText returns the text of the CHAOS answer to name, or "".
func (d *DNSAudit) ChaosText(name string) string {
	if d == nil {
		return ""
	}
	for _, c := range d.Chaos {
		if c.Name == name {
			return c.Text
		}
	}
	return ""
}
