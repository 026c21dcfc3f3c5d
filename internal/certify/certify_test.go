package certify

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// memHeads keeps the log's head in memory, as the store does.
type memHeads struct {
	mu   sync.Mutex
	head store.ErasureHead
}

func (m *memHeads) ErasureHead(context.Context) (store.ErasureHead, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.head, nil
}

func (m *memHeads) AdvanceErasureHead(_ context.Context, from, to store.ErasureHead) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.head != from || to.Seq != from.Seq+1 {
		return store.ErrHeadMoved
	}
	m.head = to
	return nil
}

func sample(i int) *Certificate {
	return &Certificate{
		ID:       "00000000000000" + string(rune('0'+i)) + "0",
		Issued:   time.Date(2026, 12, 7, 22, i, 0, 0, time.UTC),
		Operator: "alice",
		Vigil:    "test",
		Subject:  Subject{Keys: []string{"email"}, Hash: strings.Repeat("ab", 32), Salt: "0123456789abcdef"},
		Sources: []Source{
			{Name: "clinic", Type: "postgres", Outcome: Erased, Verified: true,
				Tables: []TableAction{{Table: "patients", Action: Deleted, Rows: 1}, {Table: "invoices", Action: Anonymised, Rows: 2, Columns: []string{"iban"}}}},
			{Name: "shares", Type: "files", Outcome: Incomplete,
				Files: []FileAction{{Path: "/srv/share/a.csv", Action: Rewritten, Removed: 3}}},
		},
		NotErased: []NotErased{{Source: "shares", Where: "/srv/share/all.pdf", Reason: "the PDF holds other people's data too"}},
	}
}

// issued makes a book in a temporary directory holding n certificates and
// returns it with the certificate files.
func issued(t *testing.T, n int) (*Book, [][]byte) {
	t.Helper()
	b := &Book{Dir: filepath.Join(t.TempDir(), "vigil"), Heads: &memHeads{}}
	var files [][]byte
	for i := range n {
		c := sample(i)
		if err := b.Issue(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		data, err := c.File()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, data)
	}
	return b, files
}

func pubOf(t *testing.T, b *Book) ed25519.PublicKey {
	t.Helper()
	pub, err := b.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestIssueAndVerify(t *testing.T) {
	b, files := issued(t, 3)
	pub := pubOf(t, b)
	n, err := b.VerifyLog(t.Context(), pub)
	if err != nil || n != 3 {
		t.Fatalf("VerifyLog = %d, %v; want 3 entries holding", n, err)
	}
	for i, f := range files {
		c, err := b.VerifyCertificate(t.Context(), f, pub, true)
		if err != nil {
			t.Errorf("certificate %d: %v", i+1, err)
			continue
		}
		if c.Chain.Seq != int64(i+1) || c.Schema != Schema {
			t.Errorf("certificate %d: chain %+v, schema %q", i+1, c.Chain, c.Schema)
		}
	}
	for _, name := range []string{KeyFile, SaltFile, LogFile} {
		if name == SaltFile {
			if _, err := b.Salt(true); err != nil {
				t.Fatal(err)
			}
		}
		fi, err := os.Stat(filepath.Join(b.Dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	// The key is made once and kept: the second certificate names the
	// same key as the first.
	c1, _ := Parse(files[0])
	c3, _ := Parse(files[2])
	if c1.Key != c3.Key || c1.Key != KeyID(pub) {
		t.Errorf("keys %s, %s, want both %s", c1.Key, c3.Key, KeyID(pub))
	}
	// Another organisation's key does not verify.
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := b.VerifyCertificate(t.Context(), files[0], other, false); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another key: %v, want ErrBadSignature", err)
	}
	// The exported public key reads back.
	pem, err := ExportPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePublicKey(pem)
	if err != nil || !back.Equal(pub) {
		t.Errorf("exported key reads back as %x, %v", back, err)
	}
}

func TestEveryByteOfACertificateCounts(t *testing.T) {
	b, files := issued(t, 1)
	pub := pubOf(t, b)
	f := files[0]
	for i := range f {
		bad := bytes.Clone(f)
		bad[i] ^= 0x01
		if _, err := b.VerifyCertificate(t.Context(), bad, pub, true); err == nil {
			t.Fatalf("byte %d (%q) changed: the certificate still verifies", i, f[i])
		} else if errors.Is(err, ErrNotCertificate) {
			t.Errorf("byte %d changed: %v; want it reported as altered", i, err)
		}
	}
	// Removing a byte, or adding one, is seen too.
	for _, bad := range [][]byte{f[:len(f)-1], append(bytes.Clone(f), ' ')} {
		if _, err := b.VerifyCertificate(t.Context(), bad, pub, false); !errors.Is(err, ErrAltered) {
			t.Errorf("%d bytes instead of %d: %v, want ErrAltered", len(bad), len(f), err)
		}
	}
	if _, err := b.VerifyCertificate(t.Context(), []byte(`{"hello": 1}`), pub, false); !errors.Is(err, ErrNotCertificate) {
		t.Errorf("another JSON document: %v, want ErrNotCertificate", err)
	}
}

// logLines returns the log's lines, and writes lines back.
func logLines(t *testing.T, b *Book) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(b.Dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.SplitAfter(data, []byte("\n"))[:bytes.Count(data, []byte("\n"))]
}

func writeLines(t *testing.T, b *Book, lines [][]byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(b.Dir, LogFile), bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedLogNamesTheEntry(t *testing.T) {
	tests := []struct {
		name   string
		change func(lines [][]byte) [][]byte
		entry  int64
		word   string
	}{
		{"first removed", func(l [][]byte) [][]byte { return l[1:] }, 1, "removed"},
		{"middle removed", func(l [][]byte) [][]byte { return append(l[:1:1], l[2:]...) }, 2, "removed"},
		{"last removed", func(l [][]byte) [][]byte { return l[:2] }, 3, "removed"},
		{"last two removed", func(l [][]byte) [][]byte { return l[:1] }, 2, "removed"},
		{"all removed", func(l [][]byte) [][]byte { return nil }, 1, "removed"},
		{"middle altered", func(l [][]byte) [][]byte {
			l[1] = bytes.Replace(l[1], []byte(`"rows":1`), []byte(`"rows":7`), 1)
			return l
		}, 2, "altered"},
		{"last altered", func(l [][]byte) [][]byte {
			l[2] = bytes.Replace(l[2], []byte(`alice`), []byte(`alicf`), 1)
			return l
		}, 3, "altered"},
		{"two swapped", func(l [][]byte) [][]byte { l[0], l[1] = l[1], l[0]; return l }, 1, "removed"},
		{"one repeated", func(l [][]byte) [][]byte { return append(l, l[2]) }, 4, "out of place"},
		{"last cut short", func(l [][]byte) [][]byte { l[2] = l[2][:len(l[2])-5]; return l }, 3, "cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, files := issued(t, 3)
			pub := pubOf(t, b)
			writeLines(t, b, tt.change(logLines(t, b)))
			_, err := b.VerifyLog(t.Context(), pub)
			var fault *Fault
			if !errors.As(err, &fault) {
				t.Fatalf("VerifyLog: %v, want a fault", err)
			}
			if fault.Entry != tt.entry || !strings.Contains(fault.What, tt.word) {
				t.Errorf("fault %q, want entry %d %s", fault, tt.entry, tt.word)
			}
			// The certificate of the entry at fault no longer verifies
			// against the log.
			if int(tt.entry) <= len(files) {
				if _, err := b.VerifyCertificate(t.Context(), files[tt.entry-1], pub, true); err == nil {
					t.Errorf("certificate %d still verifies against the tampered log", tt.entry)
				}
			}
			// Nothing is added to a log that does not hold.
			if err := b.Issue(t.Context(), sample(9)); err == nil {
				t.Error("a certificate was added to a tampered log")
			}
		})
	}
}

func TestCertificateBeforeAFaultStillVerifies(t *testing.T) {
	b, files := issued(t, 3)
	pub := pubOf(t, b)
	lines := logLines(t, b)
	writeLines(t, b, lines[:2]) // the last entry removed
	if _, err := b.VerifyCertificate(t.Context(), files[0], pub, true); err != nil {
		t.Errorf("certificate 1, before the removed entry 3: %v", err)
	}
	if _, err := b.VerifyCertificate(t.Context(), files[2], pub, true); err == nil {
		t.Error("certificate 3, removed from the log, verifies")
	}
}

func TestSubjectHash(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, 32)
	h1, id := SubjectHash(salt, []string{"email=a@example.org", "patient_id=42"})
	h2, _ := SubjectHash(salt, []string{"patient_id=42", "email=a@example.org"})
	h3, _ := SubjectHash(bytes.Repeat([]byte{8}, 32), []string{"email=a@example.org", "patient_id=42"})
	h4, _ := SubjectHash(salt, []string{"email=b@example.org", "patient_id=42"})
	if h1 != h2 {
		t.Error("the order of the pairs changes the hash")
	}
	if h1 == h3 || h1 == h4 {
		t.Error("another salt or another subject gives the same hash")
	}
	if len(h1) != 64 || len(id) != 16 || strings.Contains(h1, "example") {
		t.Errorf("hash %q, salt id %q", h1, id)
	}
}

func TestConcurrentIssuesChain(t *testing.T) {
	b := &Book{Dir: t.TempDir(), Heads: &memHeads{}}
	if _, err := b.PrivateKey(true); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- b.Issue(t.Context(), sample(i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n, err := b.VerifyLog(t.Context(), pubOf(t, b)); err != nil || n != 8 {
		t.Errorf("VerifyLog = %d, %v; want 8", n, err)
	}
}

func FuzzParse(f *testing.F) {
	c := sample(1)
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32))
	if err := c.Sign(key); err != nil {
		f.Fatal(err)
	}
	good, _ := c.File()
	f.Add(good)
	f.Add([]byte(`{"schema":"vigil/erasure-certificate/v1"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		if err == nil {
			// Whatever parses is exactly what File writes for it.
			again, _ := got.File()
			if !bytes.Equal(again, data) {
				t.Fatal("Parse accepted bytes File would not write")
			}
			if got.CheckSignature(key.Public().(ed25519.PublicKey)) == nil && !bytes.Equal(data, good) {
				t.Fatal("a signature holds over other bytes")
			}
		}
	})
}
