package identify

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/ldap"
	"github.com/vigilsec/vigil/internal/facts"
	"github.com/vigilsec/vigil/internal/proto"
)

// ldapADCapabilityOID is Active Directory's capability in the root DSE.
const ldapADCapabilityOID = "1.2.840.113556.1.4.800"

// ldapRootDSEAttrs are the root DSE attributes identification asks for.
var ldapRootDSEAttrs = []string{
	"objectClass", "structuralObjectClass", "namingContexts", "supportedLDAPVersion",
	"supportedExtension", "supportedSASLMechanisms", "supportedCapabilities",
	"vendorName", "vendorVersion",
}

// ldapRootDSESearch is a base-object search of the root DSE ("") with
// filter (objectClass=*), message id 1.
func ldapRootDSESearch() []byte {
	var attrs [][]byte
	for _, a := range ldapRootDSEAttrs {
		attrs = append(attrs, ber.Octets(a))
	}
	req := ber.TLV(ldap.SearchRequest, ber.Concat(
		ber.Octets(""),                     // baseObject
		ber.Integer(ber.TagEnumerated, 0),  // scope baseObject
		ber.Integer(ber.TagEnumerated, 0),  // derefAliases never
		ber.Integer(ber.TagInteger, 0),     // sizeLimit
		ber.Integer(ber.TagInteger, 10),    // timeLimit (s)
		ber.TLV(ber.TagBoolean, []byte{0}), // typesOnly FALSE
		ber.TLV(ldap.FilterPresent, []byte("objectClass")),
		ber.TLV(ber.TagSequence, ber.Concat(attrs...)),
	))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 1), req))
}

// ldapDone reports whether b holds the end of the search (SearchResultDone
// or a notice of disconnection), or bytes that are not LDAP.
func ldapDone(b []byte) bool {
	msgs, err := ldap.ParseMessages(b)
	if err != nil {
		return true
	}
	for _, m := range msgs {
		if id := m.Op.ID(); id == ldap.SearchResDone || id == ldap.ExtendedResp {
			return true
		}
	}
	return false
}

// ldapRootDSE is what a root DSE search returned.
type ldapRootDSE struct {
	attrs      map[string][]string // lower-case attribute names
	resultCode int64
	diagnostic string
	done       bool
}

// parseLDAPRootDSE parses the answer to ldapRootDSESearch.
func parseLDAPRootDSE(b []byte) (ldapRootDSE, error) {
	msgs, err := ldap.ParseMessages(b)
	if err != nil && len(msgs) == 0 {
		return ldapRootDSE{}, noMatch(proto.LDAP, "%v", err)
	}
	r := ldapRootDSE{attrs: map[string][]string{}}
	seen := false
	for _, m := range msgs {
		switch m.Op.ID() {
		case ldap.SearchResEntry:
			if m.ID != 1 {
				continue
			}
			seen = true
			kids, err := ber.Children(m.Op.Content)
			if err != nil || len(kids) < 2 {
				return ldapRootDSE{}, noMatch(proto.LDAP, "bad search entry")
			}
			attrs, err := ber.Children(kids[1].Content)
			if err != nil {
				return ldapRootDSE{}, noMatch(proto.LDAP, "bad attribute list")
			}
			for _, a := range attrs {
				parts, err := ber.Children(a.Content)
				if err != nil || len(parts) < 2 {
					continue
				}
				vals, err := ber.Children(parts[1].Content)
				if err != nil {
					continue
				}
				name := strings.ToLower(string(parts[0].Content))
				for _, v := range vals {
					r.attrs[name] = append(r.attrs[name], string(v.Content))
				}
			}
		case ldap.SearchResDone, ldap.ExtendedResp:
			kids, err := ber.Children(m.Op.Content)
			if err != nil || len(kids) < 3 || kids[0].ID() != ber.TagEnumerated {
				return ldapRootDSE{}, noMatch(proto.LDAP, "bad result")
			}
			code, err := ber.Int(kids[0].Content)
			if err != nil {
				return ldapRootDSE{}, noMatch(proto.LDAP, "bad result code")
			}
			r.resultCode, r.diagnostic, r.done = code, string(kids[2].Content), true
			seen = true
		}
	}
	if !seen {
		return ldapRootDSE{}, noMatch(proto.LDAP, "no search result")
	}
	return r, nil
}

var ldapVersionNumber = regexp.MustCompile(`\d+(?:\.\d+)+`)

// ldapProduct names the directory server from its root DSE: vendorName and
// vendorVersion when published (RFC 3045), OpenLDAP by its root DSE object
// class OpenLDAProotDSE, Active Directory by its capability OID.
func ldapProduct(r ldapRootDSE) (product, version string) {
	first := func(k string) string {
		if v := r.attrs[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	vendor, vv := first("vendorname"), first("vendorversion")
	switch {
	case strings.HasPrefix(vv, "389-Directory/"):
		return "389 Directory Server", leadingVersion(strings.TrimPrefix(vv, "389-Directory/"))
	case strings.HasPrefix(vv, "OpenDJ "):
		return "OpenDJ", leadingVersion(strings.TrimPrefix(vv, "OpenDJ "))
	case vendor == "Apache Software Foundation":
		return "ApacheDS", ldapVersionNumber.FindString(vv)
	case vendor != "":
		return vendor, ldapVersionNumber.FindString(vv)
	}
	for _, oc := range append(r.attrs["objectclass"], r.attrs["structuralobjectclass"]...) {
		if strings.EqualFold(oc, "OpenLDAProotDSE") {
			return "OpenLDAP", ""
		}
	}
	if slices.Contains(r.attrs["supportedcapabilities"], ldapADCapabilityOID) {
		return "Microsoft Active Directory", ""
	}
	return "", ""
}

// applyLDAP records a root DSE search answer in s.
func applyLDAP(r ldapRootDSE, s *facts.Service) {
	s.Name = proto.LDAP
	p, v := ldapProduct(r)
	s.Product, s.Version = clean(p, 64), clean(v, 32)
	join := func(k, sep string, max int) string { return clean(strings.Join(r.attrs[k], sep), max) }
	if len(r.attrs["supportedldapversion"]) > 0 {
		s.SetDetail(facts.DetailLDAPVersions, join("supportedldapversion", ",", 32))
	}
	if len(r.attrs["namingcontexts"]) > 0 {
		s.SetDetail(facts.DetailLDAPNamingContexts, join("namingcontexts", "; ", 512))
	}
	if len(r.attrs["supportedsaslmechanisms"]) > 0 {
		s.SetDetail(facts.DetailLDAPSASLMechanisms, join("supportedsaslmechanisms", " ", 256))
	}
	if len(r.attrs) > 0 {
		s.SetDetail(facts.DetailLDAPStartTLS, strconv.FormatBool(slices.Contains(r.attrs["supportedextension"], ldap.StartTLSOID)))
	}
	if vv := r.attrs["vendorversion"]; len(vv) > 0 {
		s.SetDetail(facts.DetailLDAPVendorVersion, clean(vv[0], 128))
	}
	if r.resultCode != 0 {
		s.SetDetail(facts.DetailLDAPResult, clean(strconv.FormatInt(r.resultCode, 10)+" "+r.diagnostic, 256))
	}
}

// probeLDAP searches the root DSE anonymously (read-only, no bind).
func probeLDAP(ctx context.Context, l *layer, s *facts.Service) ([]byte, error) {
	resp, err := l.exchange(ctx, ldapRootDSESearch(), httpCap, ldapDone)
	r, perr := parseLDAPRootDSE(resp)
	if perr != nil {
		if len(resp) == 0 {
			return nil, ioNoMatch(proto.LDAP, err)
		}
		return resp, perr
	}
	applyLDAP(r, s)
	return nil, nil
}
