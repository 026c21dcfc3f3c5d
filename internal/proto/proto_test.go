package proto

import (
	"slices"
	"testing"
)

func TestTable(t *testing.T) {
	for _, p := range table {
		if p.Name == "" || p.Display == "" {
			t.Errorf("%+v: name and display are required", p)
		}
		if p.Probe != "" {
			if _, ok := Lookup(p.Probe); !ok {
				t.Errorf("%s: probe %q is not in the table", p.Name, p.Probe)
			}
		}
		if p.Upgrade != "" && p.Cleartext {
			t.Errorf("%s: a protocol with an upgrade to TLS is not cleartext by nature", p.Name)
		}
	}
}

func TestHints(t *testing.T) {
	tests := []struct {
		port          uint16
		plain, inside []Name
	}{
		{443, []Name{"tls"}, []Name{HTTP}},
		{5432, []Name{PostgreSQL}, nil},
		{6379, []Name{Redis, "tls"}, []Name{Redis}},
		{9200, []Name{HTTP}, nil},            // Elasticsearch is recognised by the HTTP probe
		{9100, []Name{HTTP, JetDirect}, nil}, // a Prometheus exporter or a printer
		{636, []Name{"tls"}, []Name{LDAP}},
		{1, nil, nil},
	}
	for _, tt := range tests {
		if got := Hints(tt.port); !slices.Equal(got, tt.plain) {
			t.Errorf("Hints(%d) = %v, want %v", tt.port, got, tt.plain)
		}
		if got := TLSHints(tt.port); !slices.Equal(got, tt.inside) {
			t.Errorf("TLSHints(%d) = %v, want %v", tt.port, got, tt.inside)
		}
	}
	if got := UDPHints(5353); !slices.Equal(got, []Name{MDNS}) {
		t.Errorf("UDPHints(5353) = %v, want mDNS first", got)
	}
	if !ServerFirstPort(22, false) || ServerFirstPort(443, false) || !ServerFirstPort(993, true) {
		t.Error("ServerFirstPort: SSH on 22 and IMAP on 993 speak first, HTTPS does not")
	}
}

func TestUDPPorts(t *testing.T) {
	got := UDPPorts()
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Fatalf("UDPPorts() = %v: not sorted and unique", got)
	}
	for _, p := range []uint16{53, 69, 123, 137, 161, 1900, 5353, 5683} {
		if !slices.Contains(got, p) {
			t.Errorf("UDPPorts() lacks %d", p)
		}
	}
}

func TestLookup(t *testing.T) {
	if KindOf(PostgreSQL) != Database || KindOf(SSH) != Admin || KindOf("no-such") != Other {
		t.Error("KindOf")
	}
	if Display(MySQL) != "MySQL/MariaDB" || Display("no-such") != "no-such" {
		t.Error("Display")
	}
	if Upgrade(SMTP) != UpgradeSMTP || Upgrade(HTTP) != "" {
		t.Error("Upgrade")
	}
	if Kind(200).String() != "other" || Database.String() != "database" {
		t.Error("Kind.String")
	}
}
