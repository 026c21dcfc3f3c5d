package datamap

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/lab"
)

// TestLabTLS connects to the data part's databases: tls: verify with the
// lab CA verifies the hard twins' certificates and refuses the weak twins,
// which offer no TLS; the default on loopback uses TLS where offered; a
// PostgreSQL session of a scan cannot write.
func TestLabTLS(t *testing.T) {
	m := lab.RequirePart(t, "data-pg-weak", "data-pg-hard", "data-maria-weak", "data-maria-hard")
	t.Setenv("VIGIL_LAB_DATA_PW", "vigil-lab-data-pass")
	ca := filepath.Join(m.Dir, "ca.pem")
	for _, tc := range []struct {
		id, typ, scheme, mode string
		ok, tls, verified     bool
	}{
		{"data-pg-hard", Postgres, "postgres", TLSVerify, true, true, true},
		{"data-pg-weak", Postgres, "postgres", TLSVerify, false, false, false},
		{"data-pg-hard", Postgres, "postgres", TLSAuto, true, true, false},
		{"data-pg-weak", Postgres, "postgres", TLSAuto, true, false, false},
		{"data-maria-hard", MySQL, "mysql", TLSVerify, true, true, true},
		{"data-maria-weak", MySQL, "mysql", TLSVerify, false, false, false},
		{"data-maria-weak", MySQL, "mysql", TLSDisable, true, false, false},
		{"data-maria-hard", MySQL, "mysql", TLSDisable, false, false, false}, // require_secure_transport
	} {
		t.Run(tc.id+"/"+tc.mode, func(t *testing.T) {
			s := m.Find(tc.id)
			src := &Source{Name: tc.id, Type: tc.typ, DSN: tc.scheme + "://vigil@" + s.Host + ":" + strconv.Itoa(s.Port) + "/mysql", PasswordEnv: "VIGIL_LAB_DATA_PW", TLS: tc.mode}
			if tc.typ == Postgres {
				src.DSN = strings.TrimSuffix(src.DSN, "/mysql") + "/postgres"
			}
			if tc.mode == TLSVerify {
				src.CA = ca
			}
			db, err := Open(context.Background(), src, Options{})
			if (err == nil) != tc.ok {
				t.Fatalf("Open: %v, want success %v", err, tc.ok)
			}
			if err != nil {
				return
			}
			defer db.Close()
			if db.TLSVerified != tc.verified {
				t.Errorf("TLSVerified = %v, want %v", db.TLSVerified, tc.verified)
			}
			var on bool
			switch tc.typ {
			case Postgres:
				err = db.QueryRow("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&on)
				if _, werr := db.Exec("CREATE TEMP TABLE vigil_probe (x int)"); werr == nil {
					t.Error("a scan's PostgreSQL session could write")
				}
			case MySQL:
				var name, cipher string
				err = db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher)
				on = cipher != ""
			}
			if err != nil || on != tc.tls {
				t.Errorf("session TLS = %v (%v), want %v", on, err, tc.tls)
			}
		})
	}
}
