package hostaudit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the rpm database is an SQLite file

	"github.com/vigilsec/vigil/internal/facts"
)

// rpm (4.16 and later) keeps its database in rpmdb.sqlite: a table
// Packages(hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)
// whose blobs are package headers as rpm's header structure defines them
// (the RPM file format, "Header" section), without the lead, the
// signature and the header's own magic:
//
//	int32 il        number of index entries
//	int32 dl        size of the data store
//	il × {int32 tag, int32 type, int32 offset, int32 count}
//	dl bytes        the data store the entries point into
//
// all big-endian. Older rpm releases keep a Berkeley DB (Packages) or,
// on SUSE, an ndb (Packages.db) database, which vigil does not read.

// Where rpm keeps its database: Fedora 36+ and openSUSE moved it to
// /usr/lib/sysimage/rpm and left /var/lib/rpm as a link there.
var (
	rpmSQLiteFiles = []string{"/var/lib/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite"}
	rpmOldFormats  = []struct{ file, format string }{
		{"/var/lib/rpm/Packages", "Berkeley DB"},
		{"/var/lib/rpm/Packages.db", "ndb"},
		{"/usr/lib/sysimage/rpm/Packages", "Berkeley DB"},
		{"/usr/lib/sysimage/rpm/Packages.db", "ndb"},
	}
)

// rpm header tags vigil reads, and the types of their values.
const (
	rpmTagName      = 1000
	rpmTagVersion   = 1001
	rpmTagRelease   = 1002
	rpmTagEpoch     = 1003
	rpmTagArch      = 1022
	rpmTagSourceRPM = 1044

	rpmTypeInt32       = 4
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9
)

// Limits of rpm's own header reader (HEADER_TAGS_MAX, HEADER_DATA_MAX):
// a header beyond them is not one rpm wrote.
const (
	rpmMaxTags = 0xffff
	rpmMaxData = 0x0fffffff
)

// rpmHeaderMagic starts a header in a package file; the database's
// blobs leave it out, but vigil accepts both.
var rpmHeaderMagic = []byte{0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0}

// RPMHeader is what vigil reads of one rpm package header.
type RPMHeader struct {
	Name, Version, Release, Arch string
	// Epoch is the package's epoch; HasEpoch is false when it has none.
	Epoch    uint32
	HasEpoch bool
	// SourceRPM is the file name of the source package it was built
	// from (name-version-release.src.rpm); empty for packages that have
	// none (gpg-pubkey).
	SourceRPM string
}

// ErrRPMHeader means an rpm header blob is not well-formed.
var ErrRPMHeader = errors.New("not a well-formed rpm header")

// ParseRPMHeader reads NAME, VERSION, RELEASE, EPOCH, ARCH and SOURCERPM
// from an rpm header blob. Every offset and count is checked against the
// blob; a header without a name, version or release is an error.
func ParseRPMHeader(b []byte) (RPMHeader, error) {
	var h RPMHeader
	b = bytes.TrimPrefix(b, rpmHeaderMagic)
	if len(b) < 8 {
		return h, fmt.Errorf("%w: %d bytes", ErrRPMHeader, len(b))
	}
	il, dl := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])
	if il == 0 || il > rpmMaxTags || dl > rpmMaxData {
		return h, fmt.Errorf("%w: %d entries, %d bytes of data", ErrRPMHeader, il, dl)
	}
	start := 8 + 16*uint64(il)
	if start+uint64(dl) > uint64(len(b)) {
		return h, fmt.Errorf("%w: %d entries and %d bytes of data do not fit in %d bytes", ErrRPMHeader, il, dl, len(b))
	}
	data := b[start : start+uint64(dl)]
	seen := map[uint32]bool{}
	for i := range uint64(il) {
		e := b[8+16*i : 8+16*(i+1)]
		tag, typ := binary.BigEndian.Uint32(e), binary.BigEndian.Uint32(e[4:])
		off, count := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		var dst *string
		switch tag {
		case rpmTagName:
			dst = &h.Name
		case rpmTagVersion:
			dst = &h.Version
		case rpmTagRelease:
			dst = &h.Release
		case rpmTagArch:
			dst = &h.Arch
		case rpmTagSourceRPM:
			dst = &h.SourceRPM
		case rpmTagEpoch:
		default:
			continue
		}
		if seen[tag] {
			continue // the first entry of a tag counts
		}
		seen[tag] = true
		if dst == nil { // EPOCH
			if typ != rpmTypeInt32 || count < 1 || off%4 != 0 || uint64(off)+4 > uint64(len(data)) {
				return h, fmt.Errorf("%w: EPOCH is not a number inside the header", ErrRPMHeader)
			}
			h.Epoch, h.HasEpoch = binary.BigEndian.Uint32(data[off:]), true
			continue
		}
		if (typ != rpmTypeString && typ != rpmTypeStringArray && typ != rpmTypeI18NString) || count < 1 || uint64(off) >= uint64(len(data)) {
			return h, fmt.Errorf("%w: tag %d is not a string inside the header", ErrRPMHeader, tag)
		}
		end := bytes.IndexByte(data[off:], 0)
		if end < 0 {
			return h, fmt.Errorf("%w: tag %d runs past the header", ErrRPMHeader, tag)
		}
		*dst = packageField(string(data[off : uint64(off)+uint64(end)]))
	}
	if h.Name == "" || h.Version == "" || h.Release == "" {
		return h, fmt.Errorf("%w: no name, version or release", ErrRPMHeader)
	}
	return h, nil
}

// Package returns the header as an installed package: its version is
// [epoch:]version-release (no epoch when it has none or it is 0, as rpm
// compares them alike), its source the name and version-release of its
// SOURCERPM; a package without one (or whose SOURCERPM is not a
// name-version-release.src.rpm file name) is its own source.
func (h RPMHeader) Package() facts.Package {
	v := h.Version + "-" + h.Release
	if h.HasEpoch && h.Epoch != 0 {
		v = strconv.FormatUint(uint64(h.Epoch), 10) + ":" + v
	}
	p := facts.Package{Name: h.Name, Version: v, Arch: h.Arch, Source: h.Name, SourceVersion: v, Format: facts.FormatRPM}
	if name, ver, rel, ok := SplitSourceRPM(h.SourceRPM); ok {
		p.Source, p.SourceVersion = name, ver+"-"+rel
	}
	return p
}

// SplitSourceRPM splits a source package's file name,
// name-version-release.src.rpm (or .nosrc.rpm), into its parts. Names
// may hold dashes; versions and releases may not.
func SplitSourceRPM(file string) (name, version, release string, ok bool) {
	base, ok := strings.CutSuffix(file, ".src.rpm")
	if !ok {
		if base, ok = strings.CutSuffix(file, ".nosrc.rpm"); !ok {
			return "", "", "", false
		}
	}
	r := strings.LastIndexByte(base, '-')
	if r <= 0 {
		return "", "", "", false
	}
	v := strings.LastIndexByte(base[:r], '-')
	if v <= 0 || v+1 == r || r+1 == len(base) {
		return "", "", "", false
	}
	return base[:v], base[v+1 : r], base[r+1:], true
}

// ParseRPMDB reads the packages of an rpmdb.sqlite file's content. The
// bytes are written to a private temporary file (mode 0600, in a
// directory of mode 0700, removed before it returns), which SQLite opens
// read-only and immutable: nothing of the audited machine is opened by
// SQLite itself, and no journal or lock file is made. Headers that do not
// parse are counted in the error, which comes with the packages that did;
// gpg-pubkey entries (the keys rpm trusts, not software) are left out.
func ParseRPMDB(ctx context.Context, db []byte) ([]facts.Package, error) {
	if !bytes.HasPrefix(db, []byte("SQLite format 3\x00")) {
		return nil, errors.New("not an SQLite database")
	}
	dir, err := os.MkdirTemp("", "vigil-rpmdb-")
	if err != nil {
		return nil, fmt.Errorf("cannot make a temporary copy of the rpm database: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "rpmdb.sqlite")
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot make a temporary copy of the rpm database: %w", err)
	}
	_, err = f.Write(db)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("cannot make a temporary copy of the rpm database: %w", err)
	}
	return readRPMSQLite(ctx, file)
}

// sqliteURI returns the URI that opens file read-only and immutable, with
// the schema distrusted and writes refused.
func sqliteURI(file string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(file)
	return "file:" + esc + "?mode=ro&immutable=1&_pragma=trusted_schema(0)&_query_only=1"
}

// readRPMSQLite reads the packages of the rpmdb.sqlite file at file,
// which must be vigil's own copy.
func readRPMSQLite(ctx context.Context, file string) ([]facts.Package, error) {
	db, err := sql.Open("sqlite", sqliteURI(file))
	if err != nil {
		return nil, fmt.Errorf("cannot open the rpm database: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The schema is the database writer's word: Packages must be a
	// table, not a view that could compute anything.
	var kind string
	err = db.QueryRowContext(ctx, "SELECT type FROM sqlite_master WHERE name = 'Packages'").Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, errors.New("the rpm database has no Packages table")
	case err != nil:
		return nil, fmt.Errorf("cannot read the rpm database: %w", err)
	case kind != "table":
		return nil, fmt.Errorf("the rpm database's Packages is a %s, not a table", kind)
	}
	rows, err := db.QueryContext(ctx, "SELECT hnum, blob FROM Packages ORDER BY hnum LIMIT ?", MaxPackages+1)
	if err != nil {
		return nil, fmt.Errorf("cannot read the rpm database: %w", err)
	}
	defer rows.Close()
	var (
		out     []facts.Package
		bad     int
		firstKO error
		n       int
	)
	for rows.Next() {
		var (
			hnum int64
			blob []byte
		)
		if err := rows.Scan(&hnum, &blob); err != nil {
			return out, fmt.Errorf("cannot read the rpm database: %w", err)
		}
		if n++; n > MaxPackages {
			return out, fmt.Errorf("the rpm database lists more than %d packages; the rest are not reported", MaxPackages)
		}
		h, err := ParseRPMHeader(blob)
		if err != nil {
			if bad++; firstKO == nil {
				firstKO = fmt.Errorf("package %d: %w", hnum, err)
			}
			continue
		}
		if h.Name == "gpg-pubkey" {
			continue
		}
		out = append(out, h.Package())
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("cannot read the rpm database: %w", err)
	}
	if bad > 0 {
		return out, fmt.Errorf("%d package(s) of the rpm database could not be read (%w)", bad, firstKO)
	}
	return out, nil
}
