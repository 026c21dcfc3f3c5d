package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/result"
	"github.com/vigilsec/vigil/internal/store"
)

// dbFlagUsage is the help text of --db, the same for every command.
const dbFlagUsage = "scan store: an SQLite file, sqlite:PATH or postgres://… (default: vigil.db in your data directory)"

// addDBFlag adds --db to a command's flags.
func addDBFlag(fl *pflag.FlagSet, dsn *string) {
	fl.StringVar(dsn, "db", "", dbFlagUsage)
}

// openStore opens the scan store named by --db to store a result: the
// default SQLite file when dsn is empty, created when missing.
func openStore(ctx context.Context, dsn string) (*store.Store, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil && strings.Contains(err.Error(), "--db") {
		return nil, usageError("%v", err)
	}
	return st, err
}

// openStoreRead opens the scan store named by --db to read it, creating
// nothing. A --db that names no store is a usage mistake; a store that
// does not exist yet is store.ErrNoStore, which Execute reports as "no
// scans stored yet" with exit status 0.
func openStoreRead(ctx context.Context, dsn string) (*store.Store, error) {
	st, err := store.OpenExisting(ctx, dsn)
	if errors.Is(err, store.ErrBadDSN) {
		return nil, usageError("%v", err)
	}
	return st, err
}

// saveScan stores a finished scan in the store named by dsn and returns
// where it went (the SQLite file, or the PostgreSQL URL without password).
func saveScan(ctx context.Context, dsn string, doc *result.Document) (string, error) {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("the scan finished but cannot be stored (use --no-store to skip storing): %w", err)
	}
	defer st.Close()
	if err := st.Save(ctx, doc); err != nil {
		return "", fmt.Errorf("the scan finished but cannot be stored (use --no-store to skip storing): %w", err)
	}
	return st.Where(), nil
}

// scanSource reads the scans that diff and compare are given: files, standard
// input ("-"), or stored scans, opening the store only when one is needed
// and only once.
type scanSource struct {
	dsn     string
	stdin   io.Reader
	st      *store.Store
	usedStd bool
}

// load reads one scan argument. An argument is a file when it names an
// existing file, ends in .json or holds a path separator; otherwise it is a
// stored scan: an id, a unique prefix of one, latest or latest~N.
func (s *scanSource) load(ctx context.Context, ref string) (*result.Document, error) {
	if ref == "-" {
		if s.usedStd {
			return nil, usageError("standard input (-) can be read only once")
		}
		s.usedStd = true
		doc, err := result.Read(s.stdin)
		if err != nil {
			return nil, usageError("standard input: %v", err)
		}
		return doc, nil
	}
	fi, statErr := os.Stat(ref)
	if statErr == nil || strings.HasSuffix(strings.ToLower(ref), ".json") || strings.ContainsRune(ref, os.PathSeparator) {
		if statErr != nil {
			return nil, usageError("cannot read the scan file: %v", statErr)
		}
		if !fi.Mode().IsRegular() {
			return nil, usageError("%s is not a scan file", ref)
		}
		fh, err := os.Open(ref)
		if err != nil {
			return nil, fmt.Errorf("cannot read the scan file: %w", err)
		}
		defer fh.Close()
		doc, err := result.Read(fh)
		if errors.Is(err, result.ErrInvalid) {
			return nil, usageError("%s: %v", ref, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		return doc, nil
	}
	if s.st == nil {
		st, err := openStoreRead(ctx, s.dsn)
		if err != nil {
			return nil, err
		}
		s.st = st
	}
	return s.st.Get(ctx, ref)
}

// latestPair reads the two newest stored scans of the same targets (see
// store.LatestPair), older first.
func (s *scanSource) latestPair(ctx context.Context) (*result.Document, *result.Document, error) {
	if s.st == nil {
		st, err := openStoreRead(ctx, s.dsn)
		if err != nil {
			return nil, nil, err
		}
		s.st = st
	}
	older, newer, err := s.st.LatestPair(ctx)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.st.Get(ctx, older)
	if err != nil {
		return nil, nil, err
	}
	b, err := s.st.Get(ctx, newer)
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// close closes the store if it was opened.
func (s *scanSource) close() {
	if s.st != nil {
		s.st.Close()
	}
}
