package identify

import (
	"testing"

	"github.com/vigilsec/vigil/internal/codec/ber"
	"github.com/vigilsec/vigil/internal/codec/ldap"
)

// ldapEntry builds a SearchResultEntry for the root DSE.
func ldapEntry(id int64, attrs map[string][]string) []byte {
	var list [][]byte
	for k, vs := range attrs {
		var vals [][]byte
		for _, v := range vs {
			vals = append(vals, ber.Octets(v))
		}
		list = append(list, ber.TLV(ber.TagSequence, ber.Concat(ber.Octets(k), ber.TLV(ber.TagSet, ber.Concat(vals...)))))
	}
	op := ber.TLV(ldap.SearchResEntry, ber.Concat(ber.Octets(""), ber.TLV(ber.TagSequence, ber.Concat(list...))))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, id), op))
}

func ldapDoneMsg(id, code int64, diag string) []byte {
	op := ber.TLV(ldap.SearchResDone, ber.Concat(ber.Integer(ber.TagEnumerated, code), ber.Octets(""), ber.Octets(diag)))
	return ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, id), op))
}

func TestLDAPSearchRequest(t *testing.T) {
	msgs, err := ldap.ParseMessages(ldapRootDSESearch())
	if err != nil || len(msgs) != 1 || msgs[0].ID != 1 || msgs[0].Op.ID() != ldap.SearchRequest {
		t.Fatalf("request does not decode: %+v %v", msgs, err)
	}
	kids, err := ber.Children(msgs[0].Op.Content)
	if err != nil || len(kids) != 8 || kids[6].ID() != ldap.FilterPresent || string(kids[6].Content) != "objectClass" {
		t.Errorf("search request fields: %+v %v", kids, err)
	}
}

func TestParseLDAPRootDSE(t *testing.T) {
	openldap := concatAll(ldapEntry(1, map[string][]string{
		"objectClass":          {"top", "OpenLDAProotDSE"},
		"namingContexts":       {"dc=lab,dc=test"},
		"supportedLDAPVersion": {"3"},
		"supportedExtension":   {"1.3.6.1.4.1.1466.20037", "1.3.6.1.4.1.4203.1.11.1"},
	}), ldapDoneMsg(1, 0, ""))
	ds389 := concatAll(ldapEntry(1, map[string][]string{
		"vendorName":           {"389 Project"},
		"vendorVersion":        {"389-Directory/2.3.4 B2023.123.0000"},
		"supportedLDAPVersion": {"2", "3"},
	}), ldapDoneMsg(1, 0, ""))
	ad := concatAll(ldapEntry(1, map[string][]string{
		"supportedCapabilities": {"1.2.840.113556.1.4.800"},
	}), ldapDoneMsg(1, 0, ""))
	tests := []struct {
		name             string
		in               []byte
		ok, done         bool
		product, version string
		starttls         string
		versions         string
		result           string
	}{
		{"openldap", openldap, true, true, "OpenLDAP", "", "true", "3", ""},
		{"389", ds389, true, true, "389 Directory Server", "2.3.4", "false", "2,3", ""},
		{"active directory", ad, true, true, "Microsoft Active Directory", "", "false", "", ""},
		{"denied", ldapDoneMsg(1, 50, "access denied"), true, true, "", "", "", "", "50 access denied"},
		{"entry only, pending done", ldapEntry(1, map[string][]string{"objectClass": {"top"}}), true, false, "", "", "false", "", ""},
		{"notice of disconnection", ber.TLV(ber.TagSequence, ber.Concat(ber.Integer(ber.TagInteger, 0),
			ber.TLV(ldap.ExtendedResp, ber.Concat(ber.Integer(ber.TagEnumerated, 2), ber.Octets(""), ber.Octets("bye"))))), true, true, "", "", "", "", "2 bye"},
		{"cut", openldap[:20], false, false, "", "", "", "", ""},
		{"not ber", []byte("HTTP/1.1 400 Bad Request\r\n"), false, true, "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ldapDone(tt.in); got != tt.done {
				t.Errorf("ldapDone = %v, want %v", got, tt.done)
			}
			r, err := parseLDAPRootDSE(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			s := newService()
			applyLDAP(r, &s)
			if s.Name != "ldap" || s.Product != tt.product || s.Version != tt.version {
				t.Errorf("got %s %q %q, want ldap %q %q", s.Name, s.Product, s.Version, tt.product, tt.version)
			}
			if s.Detail("ldap.starttls") != tt.starttls || s.Detail("ldap.versions") != tt.versions || s.Detail("ldap.result") != tt.result {
				t.Errorf("details %v", s.Details)
			}
		})
	}
}

func FuzzParseLDAP(f *testing.F) {
	f.Add(concatAll(ldapEntry(1, map[string][]string{"objectClass": {"OpenLDAProotDSE"}}), ldapDoneMsg(1, 0, "")))
	f.Add(ldapDoneMsg(1, 49, "x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ldapDone(b)
		if r, err := parseLDAPRootDSE(b); err == nil {
			s := newService()
			applyLDAP(r, &s)
			assertPrintable(t, s)
		}
	})
}
