package hostaudit

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/facts"
)

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *facts.OSRelease
	}{
		{"debian", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`, &facts.OSRelease{ID: "debian", VersionID: "12", VersionCodename: "bookworm", PrettyName: "Debian GNU/Linux 12 (bookworm)"}},
		{"rhel-like", `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
`, &facts.OSRelease{ID: "rocky", IDLike: []string{"rhel", "centos", "fedora"}, VersionID: "9.4", PrettyName: "Rocky Linux 9.4 (Blue Onyx)"}},
		{"alpine, unquoted", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.1\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
			&facts.OSRelease{ID: "alpine", VersionID: "3.20.1", PrettyName: "Alpine Linux v3.20"}},
		{"single quotes keep backslashes", `PRETTY_NAME='It\'s'` + "\nID='a\\b'\n",
			// 'It\' then s' is unterminated: the line is skipped.
			&facts.OSRelease{ID: `a\\b`}},
		{"double-quote escapes", `PRETTY_NAME="say \"hi\" \$HOME \\ \n"` + "\n",
			&facts.OSRelease{PrettyName: `say "hi" $HOME \\ \\n`}},
		{"unquoted escapes and joins", `PRETTY_NAME=My\ OS" "'1'` + "\n", &facts.OSRelease{PrettyName: "My OS 1"}},
		{"comments, blanks, CRLF, spaces", "# ID=nope\n\r\n  ID=ubuntu  \r\nVERSION_ID=\"22.04\"\r\nUNKNOWN=1\n",
			&facts.OSRelease{ID: "ubuntu", VersionID: "22.04"}},
		{"a word ends at white space", "ID=debian # comment\n", &facts.OSRelease{ID: "debian"}},
		{"unterminated double quote", "PRETTY_NAME=\"Debian\nID=debian\n", &facts.OSRelease{ID: "debian"}},
		{"trailing backslash", "ID=debian\\\n", nil},
		{"invalid keys", "1D=x\nI-D=y\n=z\n", nil},
		{"later wins", "ID=a\nID=b\n", &facts.OSRelease{ID: "b"}},
		{"control characters are escaped", "PRETTY_NAME=\"a\x1b[31mred\"\n", &facts.OSRelease{PrettyName: `a\x1b[31mred`}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseOSRelease([]byte(tt.in))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// dpkgStatus is a status file in dpkg's own layout, with packages made up
// for the test in every state dpkg records.
const dpkgStatus = `Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Test Maintainers <test@example.invalid>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u6
Replaces: base, dpkg (<= 1.15.0), miscutils
Provides: base
Conffiles:
 /etc/debian_version 1fd1e2a0b2b5c0e2ad1b1c9d7c0f2a41
 /etc/host.conf 4eb63731c9f5e30903ac4fc07a7fe3d6
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system.
 Package: not-a-package
 .
 Status: not a status

Package: libssl3
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: openssl
Version: 3.0.15-1~deb12u1
Description: Secure Sockets Layer toolkit - shared libraries

Package: libssl3
Status: install ok installed
Architecture: i386
Multi-Arch: same
Source: openssl
Version: 3.0.15-1~deb12u1

Package: bash
Status: hold ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b7

Package: removed-but-config
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: half-installed
Status: install reinstreq half-installed
Architecture: amd64
Version: 2.0-1

Package: not-installed
Status: purge ok not-installed
Architecture: all

Package: unpacked
Status: install ok unpacked
Architecture: all
Version: 1:1.2-3

package: lowercase-fields
status: install ok installed
architecture: all
version: 1:0.5-1
source: lc-src (1:0.5-0.1)
`

func TestParseDpkgStatus(t *testing.T) {
	pkg := func(name, version, arch, source, sourceVersion string) facts.Package {
		return facts.Package{Name: name, Version: version, Arch: arch, Source: source, SourceVersion: sourceVersion, Format: facts.FormatDpkg}
	}
	tests := []struct {
		name string
		in   string
		want []facts.Package
	}{
		{"status file", dpkgStatus, []facts.Package{
			pkg("base-files", "12.4+deb12u6", "amd64", "base-files", "12.4+deb12u6"),
			pkg("libssl3", "3.0.15-1~deb12u1", "amd64", "openssl", "3.0.15-1~deb12u1"),
			pkg("libssl3", "3.0.15-1~deb12u1", "i386", "openssl", "3.0.15-1~deb12u1"),
			pkg("bash", "5.2.15-2+b7", "amd64", "bash", "5.2.15-2"),
			pkg("lowercase-fields", "1:0.5-1", "all", "lc-src", "1:0.5-0.1"),
		}},
		{"CRLF and no final newline", "Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\nArchitecture: all", []facts.Package{pkg("a", "1", "all", "a", "1")}},
		{"stanzas separated by blank lines of spaces", "Package: a\nStatus: install ok installed\nVersion: 1\n \t\nPackage: b\nStatus: install  ok  installed\nVersion: 2\n",
			[]facts.Package{pkg("a", "1", "", "a", "1"), pkg("b", "2", "", "b", "2")}},
		{"no version, no name", "Package: a\nStatus: install ok installed\n\nVersion: 1\nStatus: install ok installed\n", nil},
		{"a malformed source keeps the name", "Package: a\nStatus: install ok installed\nVersion: 1\nSource: s (2\n", []facts.Package{pkg("a", "1", "", "s", "1")}},
		{"an empty source version", "Package: a\nStatus: install ok installed\nVersion: 1\nSource: s ()\n", []facts.Package{pkg("a", "1", "", "s", "1")}},
		{"escape sequences are escaped", "Package: a\x1b]0;x\x07\nStatus: install ok installed\nVersion: 1\n", []facts.Package{pkg(`a\x1b]0;x\x07`, "1", "", `a\x1b]0;x\x07`, "1")}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDpkgStatus([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseDpkgStatusCapsPackages(t *testing.T) {
	var b bytes.Buffer
	for i := range MaxPackages + 5 {
		fmt.Fprintf(&b, "Package: p%d\nStatus: install ok installed\nVersion: 1\n\n", i)
	}
	got, err := ParseDpkgStatus(b.Bytes())
	if len(got) != MaxPackages || err == nil || !strings.Contains(err.Error(), "more than 100000") {
		t.Errorf("%d packages, %v", len(got), err)
	}
}

// apkInstalled is apk's database layout, with packages made up for the test.
const apkInstalled = `C:Q1oJ0g2cM3r9Ew1m5Tq2d0S7tP8yA=
P:musl
V:1.2.5-r0
A:x86_64
S:411155
I:651264
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Test Maintainer <test@example.invalid>
t:1712155312
c:5b8a5a1f2d5c1e9d4b6a0d2c6b3e1f0a9c8d7e6f
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1sW0lXc0o2w7Kx1Xx4o5n4iX0c7Y=

C:Q1aaaa
P:libcrypto3
V:3.3.1-r3
A:x86_64
o:openssl
D:so:libc.musl-x86_64.so.1

P:alpine-baselayout-data
V:3.6.5-r0
A:x86_64
o:alpine-baselayout

P:no-origin
V:0.1-r0
A:noarch

P:no-version
A:noarch
`

func TestParseApkInstalled(t *testing.T) {
	pkg := func(name, version, arch, source string) facts.Package {
		return facts.Package{Name: name, Version: version, Arch: arch, Source: source, SourceVersion: version, Format: facts.FormatAPK}
	}
	tests := []struct {
		name string
		in   string
		want []facts.Package
	}{
		{"installed", apkInstalled, []facts.Package{
			pkg("musl", "1.2.5-r0", "x86_64", "musl"),
			pkg("libcrypto3", "3.3.1-r3", "x86_64", "openssl"),
			pkg("alpine-baselayout-data", "3.6.5-r0", "x86_64", "alpine-baselayout"),
			pkg("no-origin", "0.1-r0", "noarch", "no-origin"),
		}},
		{"CRLF, no final newline", "P:a\r\nV:1-r0\r\nA:aarch64", []facts.Package{pkg("a", "1-r0", "aarch64", "a")}},
		{"lines without a key", "P:a\nV:1\nnonsense\n:\nP\n", []facts.Package{pkg("a", "1", "", "a")}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseApkInstalled([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// rpmEntry is one entry of an rpm header built for a test: value is a
// string (type STRING unless typ says otherwise) or a uint32 (INT32).
type rpmEntry struct {
	tag   uint32
	value any
	typ   uint32
}

// rpmHeaderBlob builds an rpm header blob as rpmdb.sqlite stores it:
// il, dl, the index entries and the data store, big-endian, with the
// immutable region entry (tag 63) real headers start with, its trailer
// at the end of the data. Numbers are aligned to 4 bytes, as rpm does.
func rpmHeaderBlob(entries ...rpmEntry) []byte {
	type index struct{ tag, typ, off, count uint32 }
	var data bytes.Buffer
	var idx []index
	for _, e := range entries {
		switch v := e.value.(type) {
		case string:
			typ := e.typ
			if typ == 0 {
				typ = rpmTypeString
			}
			idx = append(idx, index{e.tag, typ, uint32(data.Len()), 1})
			data.WriteString(v)
			data.WriteByte(0)
		case uint32:
			for data.Len()%4 != 0 {
				data.WriteByte(0)
			}
			idx = append(idx, index{e.tag, rpmTypeInt32, uint32(data.Len()), 1})
			_ = binary.Write(&data, binary.BigEndian, v)
		}
	}
	// The region trailer: an entry whose offset points back over the index.
	for data.Len()%4 != 0 {
		data.WriteByte(0)
	}
	il := uint32(len(idx) + 1)
	idx = append([]index{{63, 7, uint32(data.Len()), 16}}, idx...)
	_ = binary.Write(&data, binary.BigEndian, []uint32{63, 7, -(il * 16), 16})
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, []uint32{il, uint32(data.Len())})
	for _, e := range idx {
		_ = binary.Write(&b, binary.BigEndian, []uint32{e.tag, e.typ, e.off, e.count})
	}
	b.Write(data.Bytes())
	return b.Bytes()
}

// rpmPackageHeader is the header of an installed package.
func rpmPackageHeader(name, version, release, arch, sourceRPM string, epoch ...uint32) []byte {
	es := []rpmEntry{{tag: 100, value: "C", typ: rpmTypeStringArray}, {tag: rpmTagName, value: name}, {tag: rpmTagVersion, value: version}, {tag: rpmTagRelease, value: release}}
	for _, e := range epoch {
		es = append(es, rpmEntry{tag: rpmTagEpoch, value: e})
	}
	if arch != "" {
		es = append(es, rpmEntry{tag: rpmTagArch, value: arch})
	}
	if sourceRPM != "" {
		es = append(es, rpmEntry{tag: rpmTagSourceRPM, value: sourceRPM})
	}
	es = append(es, rpmEntry{tag: 1004, value: "A summary", typ: rpmTypeI18NString})
	return rpmHeaderBlob(es...)
}

func TestParseRPMHeader(t *testing.T) {
	tests := []struct {
		name string
		blob []byte
		want facts.Package
		err  bool
	}{
		{"with epoch and source", rpmPackageHeader("openssl-libs", "3.0.7", "27.el9", "x86_64", "openssl-3.0.7-27.el9.src.rpm", 1),
			facts.Package{Name: "openssl-libs", Version: "1:3.0.7-27.el9", Arch: "x86_64", Source: "openssl", SourceVersion: "3.0.7-27.el9", Format: facts.FormatRPM}, false},
		{"epoch 0 is no epoch", rpmPackageHeader("bash", "5.1.8", "9.el9", "x86_64", "bash-5.1.8-9.el9.src.rpm", 0),
			facts.Package{Name: "bash", Version: "5.1.8-9.el9", Arch: "x86_64", Source: "bash", SourceVersion: "5.1.8-9.el9", Format: facts.FormatRPM}, false},
		{"dashed source name", rpmPackageHeader("python3-libs", "3.9.18", "3.el9_4.5", "x86_64", "python3.9-3.9.18-3.el9_4.5.src.rpm"),
			facts.Package{Name: "python3-libs", Version: "3.9.18-3.el9_4.5", Arch: "x86_64", Source: "python3.9", SourceVersion: "3.9.18-3.el9_4.5", Format: facts.FormatRPM}, false},
		{"no source rpm", rpmPackageHeader("gpg-pubkey", "fd431d51", "4ae0493b", "", ""),
			facts.Package{Name: "gpg-pubkey", Version: "fd431d51-4ae0493b", Source: "gpg-pubkey", SourceVersion: "fd431d51-4ae0493b", Format: facts.FormatRPM}, false},
		{"source rpm that is no file name", rpmPackageHeader("a", "1", "1", "noarch", "nonsense"),
			facts.Package{Name: "a", Version: "1-1", Arch: "noarch", Source: "a", SourceVersion: "1-1", Format: facts.FormatRPM}, false},
		{"with the file header magic", append(slices.Clone(rpmHeaderMagic), rpmPackageHeader("a", "1", "1", "noarch", "")...),
			facts.Package{Name: "a", Version: "1-1", Arch: "noarch", Source: "a", SourceVersion: "1-1", Format: facts.FormatRPM}, false},
		{"no release", rpmHeaderBlob(rpmEntry{tag: rpmTagName, value: "a"}, rpmEntry{tag: rpmTagVersion, value: "1"}), facts.Package{}, true},
		{"name is a number", rpmHeaderBlob(rpmEntry{tag: rpmTagName, value: uint32(1)}), facts.Package{}, true},
		{"epoch is a string", rpmHeaderBlob(rpmEntry{tag: rpmTagEpoch, value: "1"}), facts.Package{}, true},
		{"empty", nil, facts.Package{}, true},
		{"no entries", []byte{0, 0, 0, 0, 0, 0, 0, 0}, facts.Package{}, true},
		{"more data than blob", []byte{0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 3, 232, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1}, facts.Package{}, true},
		{"too many entries", []byte{0, 1, 0, 0, 0, 0, 0, 0}, facts.Package{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseRPMHeader(tt.blob)
			if tt.err {
				if err == nil || !errors.Is(err, ErrRPMHeader) {
					t.Fatalf("got %+v, %v; want an error", h, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Package(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRPMHeaderOutOfBounds(t *testing.T) {
	good := rpmPackageHeader("a", "1", "1", "noarch", "a-1-1.src.rpm")
	// Point the NAME entry (the third) past the data, and at its very end
	// (no NUL left).
	for _, off := range []uint32{1 << 30, 0xffffffff} {
		b := slices.Clone(good)
		binary.BigEndian.PutUint32(b[8+16*2+8:], off)
		if _, err := ParseRPMHeader(b); err == nil {
			t.Errorf("offset %#x: no error", off)
		}
	}
	b := slices.Clone(good)
	b = b[:len(b)-1] // the data is one byte short of dl
	if _, err := ParseRPMHeader(b); err == nil {
		t.Error("truncated header: no error")
	}
	// A string not terminated inside the data.
	nul := rpmHeaderBlob(rpmEntry{tag: rpmTagName, value: "a"})
	il := binary.BigEndian.Uint32(nul)
	start := 8 + 16*il
	data := nul[start:]
	copy(data, bytes.Repeat([]byte{'x'}, len(data)))
	if _, err := ParseRPMHeader(nul); err == nil {
		t.Error("unterminated string: no error")
	}
}

func TestSplitSourceRPM(t *testing.T) {
	tests := []struct {
		in                 string
		name, version, rel string
		ok                 bool
	}{
		{"openssl-3.0.7-27.el9.src.rpm", "openssl", "3.0.7", "27.el9", true},
		{"kernel-rt-5.14.0-427.13.1.el9_4.src.rpm", "kernel-rt", "5.14.0", "427.13.1.el9_4", true},
		{"foo-1-2.nosrc.rpm", "foo", "1", "2", true},
		{"foo-1-2.rpm", "", "", "", false},
		{"foo-1.src.rpm", "", "", "", false},
		{"-1-2.src.rpm", "", "", "", false},
		{"foo--2.src.rpm", "", "", "", false},
		{"foo-1-.src.rpm", "", "", "", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		n, v, r, ok := SplitSourceRPM(tt.in)
		if n != tt.name || v != tt.version || r != tt.rel || ok != tt.ok {
			t.Errorf("%q: %q %q %q %v", tt.in, n, v, r, ok)
		}
	}
}

// readFile reads a file the test made.
func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rpmSQLite writes an rpmdb.sqlite with rpm's schema holding blobs, and
// returns its bytes.
func rpmSQLite(t testing.TB, blobs ...[]byte) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rpmdb.sqlite")
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)",
		"CREATE TABLE 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL, FOREIGN KEY (hnum) REFERENCES 'Packages'(hnum))",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range blobs {
		if _, err := db.Exec("INSERT INTO Packages (blob) VALUES (?)", b); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return readFile(t, file)
}

func TestParseRPMDB(t *testing.T) {
	db := rpmSQLite(t,
		rpmPackageHeader("openssl-libs", "3.0.7", "27.el9", "x86_64", "openssl-3.0.7-27.el9.src.rpm", 1),
		rpmPackageHeader("gpg-pubkey", "fd431d51", "4ae0493b", "", ""),
		[]byte("not a header"),
		rpmPackageHeader("bash", "5.1.8", "9.el9", "x86_64", "bash-5.1.8-9.el9.src.rpm"),
	)
	got, err := ParseRPMDB(t.Context(), db)
	want := []facts.Package{
		{Name: "openssl-libs", Version: "1:3.0.7-27.el9", Arch: "x86_64", Source: "openssl", SourceVersion: "3.0.7-27.el9", Format: facts.FormatRPM},
		{Name: "bash", Version: "5.1.8-9.el9", Arch: "x86_64", Source: "bash", SourceVersion: "5.1.8-9.el9", Format: facts.FormatRPM},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "1 package(s) of the rpm database could not be read (package 3:") {
		t.Errorf("error %v; want one that counts the bad header", err)
	}
}

func TestParseRPMDBRefuses(t *testing.T) {
	view := func() []byte {
		file := filepath.Join(t.TempDir(), "rpmdb.sqlite")
		db, err := sql.Open("sqlite", file)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE VIEW Packages AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) SELECT i AS hnum, x'00' AS blob FROM n"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return readFile(t, file)
	}
	noTable := func() []byte {
		file := filepath.Join(t.TempDir(), "rpmdb.sqlite")
		db, err := sql.Open("sqlite", file)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE Other (x)"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		return readFile(t, file)
	}
	good := rpmSQLite(t, rpmPackageHeader("a", "1", "1", "noarch", ""))
	corrupt := slices.Clone(good)
	for i := 100; i < len(corrupt); i += 7 {
		corrupt[i] ^= 0x5a
	}
	tests := []struct {
		name string
		db   []byte
		says string
	}{
		{"not sqlite", []byte("\x00\x06\x15\x61 Berkeley DB"), "not an SQLite database"},
		{"a view", view(), "is a view, not a table"},
		{"no table", noTable(), "no Packages table"},
		{"corrupt", corrupt, ""},
		{"truncated", good[:len(good)/2], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRPMDB(t.Context(), tt.db)
			if tt.says != "" && (err == nil || !strings.Contains(err.Error(), tt.says)) {
				t.Errorf("error %v, want %q", err, tt.says)
			}
		})
	}
}

// TestRPMSQLiteReadOnly opens a database as readRPMSQLite does: the
// schema is distrusted, nothing may be written, and SQLite makes no file
// beside it (no journal, no lock, no WAL).
func TestRPMSQLiteReadOnly(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "rpmdb.sqlite")
	if err := os.WriteFile(file, rpmSQLite(t), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", sqliteURI(file))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var trusted, queryOnly int
	if err := db.QueryRow("PRAGMA trusted_schema").Scan(&trusted); err != nil || trusted != 0 {
		t.Errorf("trusted_schema %d, %v", trusted, err)
	}
	if err := db.QueryRow("PRAGMA query_only").Scan(&queryOnly); err != nil || queryOnly != 1 {
		t.Errorf("query_only %d, %v", queryOnly, err)
	}
	if _, err := db.Exec("CREATE TABLE x (a)"); err == nil {
		t.Error("a write succeeded")
	}
	if _, err := readRPMSQLite(t.Context(), file); err != nil {
		t.Fatal(err)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 {
		t.Errorf("files beside the database: %v", es)
	}
}

func TestSQLiteURIEscapes(t *testing.T) {
	if got := sqliteURI("/tmp/a?b#c%d/rpmdb.sqlite"); !strings.HasPrefix(got, "file:/tmp/a%3fb%23c%25d/rpmdb.sqlite?mode=ro&immutable=1&") {
		t.Errorf("sqliteURI = %q", got)
	}
}

// TestCollectPackages reads package databases through a Target: missing
// ones are no error, unreadable or invalid ones are, and the packages of
// every database come sorted by name, then architecture.
func TestCollectPackages(t *testing.T) {
	rpmdb := string(rpmSQLite(t, rpmPackageHeader("zlib", "1.2.11", "41.el9", "x86_64", "zlib-1.2.11-41.el9.src.rpm")))
	tests := []struct {
		name  string
		files fakeFiles
		want  []string // name/arch/format
		errs  []string
	}{
		{"none", fakeFiles{}, nil, nil},
		{"dpkg", fakeFiles{dpkgStatusFile: dpkgStatus},
			[]string{"base-files/amd64/dpkg", "bash/amd64/dpkg", "libssl3/amd64/dpkg", "libssl3/i386/dpkg", "lowercase-fields/all/dpkg"}, nil},
		{"apk in /usr/lib", fakeFiles{"/usr/lib/apk/db/installed": "P:b\nV:1\nA:x86_64\n\nP:a\nV:1\nA:x86_64\n"},
			[]string{"a/x86_64/apk", "b/x86_64/apk"}, nil},
		{"rpm sqlite beside dpkg", fakeFiles{"/usr/lib/sysimage/rpm/rpmdb.sqlite": rpmdb, dpkgStatusFile: "Package: zlib1g\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n"},
			[]string{"zlib/x86_64/rpm", "zlib1g/amd64/dpkg"}, nil},
		{"rpm berkeley db", fakeFiles{"/var/lib/rpm/Packages": "\x00\x00\x00\x00"}, nil,
			[]string{"packages: rpm database format not supported: /var/lib/rpm/Packages is a Berkeley DB database"}},
		{"rpm ndb", fakeFiles{"/usr/lib/sysimage/rpm/Packages.db": "x"}, nil,
			[]string{"packages: rpm database format not supported: /usr/lib/sysimage/rpm/Packages.db is a ndb database"}},
		{"invalid rpm sqlite", fakeFiles{"/var/lib/rpm/rpmdb.sqlite": "garbage"}, nil,
			[]string{"packages: /var/lib/rpm/rpmdb.sqlite: not an SQLite database"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, errs := collectPackages(t.Context(), tt.files)
			var got []string
			for _, p := range ps {
				got = append(got, p.Name+"/"+p.Arch+"/"+p.Format)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("packages %v, want %v", got, tt.want)
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %q, want %q", errs, tt.errs)
			}
			for i := range errs {
				if !strings.HasPrefix(errs[i], tt.errs[i]) {
					t.Errorf("error %q, want %q", errs[i], tt.errs[i])
				}
			}
		})
	}
}

// failing is a Target whose files all fail to read, as a permission
// error would.
type failing struct{ fakeFiles }

func (failing) ReadFile(context.Context, string) ([]byte, error) { return nil, fs.ErrPermission }

func TestCollectPackagesUnreadable(t *testing.T) {
	ps, errs := collectPackages(t.Context(), failing{})
	if len(ps) != 0 || len(errs) != 3 || !strings.Contains(errs[0], "cannot read /var/lib/dpkg/status: permission denied") {
		t.Errorf("packages %v, errors %q", ps, errs)
	}
	if _, err := collectOS(t.Context(), failing{}); err == nil {
		t.Error("an unreadable os-release is no error")
	}
}

func FuzzParseOSRelease(f *testing.F) {
	f.Add([]byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nID_LIKE='a b'\nVERSION_ID=12\n"))
	f.Add([]byte("ID=\"a\\\"b\\\\\" X=\\'\nID_LIKE=\"\nVERSION_CODENAME=a'b'\"c\"\\ d"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rel := ParseOSRelease(b)
		if rel == nil {
			return
		}
		if len(rel.IDLike) > osReleaseIDLike {
			t.Fatalf("%d ID_LIKE entries", len(rel.IDLike))
		}
		for _, s := range append([]string{rel.ID, rel.VersionID, rel.VersionCodename, rel.PrettyName}, rel.IDLike...) {
			if strings.ContainsAny(s, "\x00\n\r\x1b") {
				t.Fatalf("value %q is not printable", s)
			}
		}
	})
}

// checkPackages fails t when a parsed package is not one vigil may keep.
func checkPackages(t *testing.T, ps []facts.Package, format string) {
	t.Helper()
	if len(ps) > MaxPackages {
		t.Fatalf("%d packages", len(ps))
	}
	for _, p := range ps {
		if p.Name == "" || p.Version == "" || p.Source == "" || p.SourceVersion == "" || p.Format != format {
			t.Fatalf("package %+v", p)
		}
		for _, s := range []string{p.Name, p.Version, p.Arch, p.Source, p.SourceVersion} {
			if strings.ContainsAny(s, "\x00\n\r\x1b") {
				t.Fatalf("field %q is not printable", s)
			}
		}
	}
}

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte(dpkgStatus))
	f.Add([]byte("Package: a\nStatus: hold ok installed\nVersion: 1\nSource: b (\n \nPackage:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, _ := ParseDpkgStatus(b)
		checkPackages(t, ps, facts.FormatDpkg)
	})
}

func FuzzParseApkInstalled(f *testing.F) {
	f.Add([]byte(apkInstalled))
	f.Add([]byte("P:\nV:1\n\nP:a\r\nV:\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, _ := ParseApkInstalled(b)
		checkPackages(t, ps, facts.FormatAPK)
	})
}

func FuzzParseRPMHeader(f *testing.F) {
	f.Add(rpmPackageHeader("openssl-libs", "3.0.7", "27.el9", "x86_64", "openssl-3.0.7-27.el9.src.rpm", 1))
	f.Add(rpmPackageHeader("gpg-pubkey", "fd431d51", "4ae0493b", "", ""))
	f.Add(append(slices.Clone(rpmHeaderMagic), rpmHeaderBlob(rpmEntry{tag: rpmTagEpoch, value: uint32(7)})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseRPMHeader(b)
		if err != nil {
			return
		}
		checkPackages(t, []facts.Package{h.Package()}, facts.FormatRPM)
		if n, v, r, ok := SplitSourceRPM(h.SourceRPM); ok && (n == "" || v == "" || r == "" || strings.Contains(v+r, "-")) {
			t.Fatalf("SplitSourceRPM(%q) = %q %q %q", h.SourceRPM, n, v, r)
		}
	})
}

// FuzzParseRPMDB mutates a real-schema rpmdb.sqlite: SQLite reads the
// database another party wrote, and vigil the headers in it.
func FuzzParseRPMDB(f *testing.F) {
	f.Add(rpmSQLite(f, rpmPackageHeader("openssl-libs", "3.0.7", "27.el9", "x86_64", "openssl-3.0.7-27.el9.src.rpm", 1),
		rpmPackageHeader("bash", "5.1.8", "9.el9", "x86_64", "bash-5.1.8-9.el9.src.rpm")))
	f.Fuzz(func(t *testing.T, db []byte) {
		ps, _ := ParseRPMDB(t.Context(), db)
		checkPackages(t, ps, facts.FormatRPM)
	})
}
