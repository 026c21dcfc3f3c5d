package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigilsec/vigil/internal/datascan/labdata"
	"github.com/vigilsec/vigil/internal/pii/gen"
)

// dataGen writes the lab's generated clinic (lab/parts/data.sh) under dir:
// postgres.sql and mysql.sql (tables with foreign keys, one statement a
// line), share-weak/ (CSV, text, e-mail, mbox, PDF and XLSX files with
// identifiers) and share-hard/ (only files without identifiers or health
// data). Everything is synthetic (internal/pii/gen).
func dataGen(dir string) error {
	ds := gen.Clinic(labdata.LabSeed, labdata.LabPatients)
	for name, dialect := range map[string]string{"postgres.sql": labdata.Postgres, "mysql.sql": labdata.MySQL} {
		var b strings.Builder
		for _, q := range labdata.SQL(ds, dialect) {
			b.WriteString(strings.ReplaceAll(q, "\n", " "))
			b.WriteString(";\n")
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("cannot write %s: %w", name, err)
		}
	}
	if _, err := labdata.WriteFiles(filepath.Join(dir, "share-weak"), ds); err != nil {
		return fmt.Errorf("cannot write the weak share: %w", err)
	}
	if _, err := labdata.WriteBenign(filepath.Join(dir, "share-hard"), ds); err != nil {
		return fmt.Errorf("cannot write the hard share: %w", err)
	}
	return nil
}
