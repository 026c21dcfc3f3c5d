package erase

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/datascan/labdata"
	"github.com/vigilsec/vigil/internal/pii/gen"
	"github.com/vigilsec/vigil/lab"
)

// TestLabErasePlan plans (and only plans: the sessions are read-only and
// nothing is confirmed) the erasure of one generated patient on the data
// part's real PostgreSQL and MariaDB twins, over TCP through
// datamap.Open, and on its weak share: the foreign keys read from each
// server's catalog lead to exactly the patient's visits and invoices, as
// the generator's ground truth counts them.
func TestLabErasePlan(t *testing.T) {
	m := lab.RequirePart(t, "data-pg-weak", "data-pg-hard", "data-maria-weak", "data-maria-hard")
	deadline := time.Now().Add(90 * time.Second)
	for _, n := range []string{"pg-weak", "pg-hard", "maria-weak", "maria-hard"} {
		for {
			if _, err := os.Stat(filepath.Join(m.Dir, "data", "ready-"+n)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lab's %s database was not loaded", n)
			}
			select {
			case <-t.Context().Done():
				t.Fatal(t.Context().Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	ds := gen.Clinic(labdata.LabSeed, labdata.LabPatients)
	pt, vt, it := table(ds, "patients"), table(ds, "visits"), table(ds, "invoices")
	// A patient with an e-mail address, visits and invoices.
	visits, invoices := map[string]int64{}, map[string]int64{}
	for _, r := range vt.Rows {
		visits[r[1]]++
	}
	for _, r := range it.Rows {
		invoices[r[2]]++
	}
	var email, id string
	for _, r := range pt.Rows {
		if r[4] != "" && visits[r[0]] > 0 && invoices[r[0]] > 0 {
			email, id = r[4], r[0]
			break
		}
	}
	if email == "" {
		t.Fatal("no generated patient with an e-mail, visits and invoices")
	}
	t.Setenv("VIGIL_LAB_DATA_PW", "vigil-lab-data-pass")
	y := "sources:\n"
	for _, s := range []struct{ id, typ string }{{"data-pg-weak", "postgres"}, {"data-pg-hard", "postgres"}, {"data-maria-weak", "mysql"}, {"data-maria-hard", "mysql"}} {
		svc := m.Find(s.id)
		y += fmt.Sprintf("  - {name: %s, type: %s, dsn: \"%s://vigil@%s:%d/clinic\", password_env: VIGIL_LAB_DATA_PW}\n", s.id, s.typ, s.typ, svc.Host, svc.Port)
	}
	y += fmt.Sprintf("  - {name: share-weak, type: files, path: %s}\nsubjects:\n", filepath.Join(m.Dir, "data", "share-weak"))
	for _, s := range []string{"data-pg-weak", "data-pg-hard", "data-maria-weak", "data-maria-hard"} {
		y += fmt.Sprintf("  - {source: %s, table: patients, column: %s, key: email}\n", s, pt.Columns[4])
	}
	y += "  - {source: share-weak, key: email}\n"
	mp, err := datamap.Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	declined := false
	req := Request{
		Map:     mp,
		Subject: []Pair{{Key: "email", Value: email}},
		Open: func(ctx context.Context, s *datamap.Source) (*datamap.DB, error) {
			return datamap.Open(ctx, s, datamap.Options{}) // read-only sessions
		},
		Confirm: func(*Plan) error { declined = true; return ErrDeclined },
		Salt:    []byte("0123456789abcdef0123456789abcdef"),
	}
	_, plan, err := Erase(t.Context(), req)
	if err != ErrDeclined || !declined {
		t.Fatalf("Erase: %v; want the plan shown and declined", err)
	}
	want := map[string]int64{"patients": 1, "visits": visits[id], "invoices": invoices[id]}
	for _, s := range plan.Sources {
		if s.Err != nil {
			t.Errorf("source %s: %v", s.Name, s.Err)
			continue
		}
		if s.Type == datamap.Files {
			rewritten := 0
			for _, f := range s.Files {
				if f.Action == certify.Rewritten {
					rewritten++
				}
			}
			t.Logf("%s: %d file(s) to rewrite or delete, %d listed as not erasable", s.Name, len(s.Files), len(s.NotErased))
			if rewritten == 0 {
				t.Errorf("%s: no CSV or text file holds the subject: %+v", s.Name, s.Files)
			}
			continue
		}
		got := map[string]int64{}
		for _, a := range s.Tables {
			got[a.Table] = a.Rows
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: plan %v, want %v", s.Name, got, want)
		}
	}
}
