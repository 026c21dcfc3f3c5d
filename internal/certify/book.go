package certify

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/vigilsec/vigil/internal/store"
)

// Files of a Book, in its directory.
const (
	KeyFile  = "erasure-key.pem"   // the organisation's Ed25519 private key, PKCS #8 PEM, mode 0600
	SaltFile = "erasure-salt"      // 32 random bytes in hex, mode 0600
	LogFile  = "erasure-log.jsonl" // the certificates, one compact JSON line each, mode 0600
)

// MaxLine bounds one line of the log (one certificate).
const MaxLine = 4 << 20

// Heads is where the log's head is kept: the scan store.
type Heads interface {
	ErasureHead(ctx context.Context) (store.ErasureHead, error)
	AdvanceErasureHead(ctx context.Context, from, to store.ErasureHead) error
}

// Book is the organisation's erasure records: its signing key, its
// subject salt and the log of certificates, all in one directory (beside
// the scan store), with the log's head in the store.
type Book struct {
	Dir   string
	Heads Heads
}

// PrivateKey returns the organisation's signing key, generating it (mode
// 0600, its directory 0700) when create is true and there is none yet.
func (b *Book) PrivateKey(create bool) (ed25519.PrivateKey, error) {
	path := filepath.Join(b.Dir, KeyFile)
	data, err := readSecret(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("cannot generate the organisation's signing key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		data = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := writeNew(path, data); errors.Is(err, fs.ErrExist) {
			// Another vigil made it meanwhile: use that one.
			return b.PrivateKey(false)
		} else if err != nil {
			return nil, fmt.Errorf("cannot keep the organisation's signing key: %w", err)
		}
		return key, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("the organisation has no erasure signing key yet (%s): it is made by the first vigil data erase: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the organisation's signing key: %w", err)
	}
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s is not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s holds a %T key, not Ed25519", path, k)
	}
	return key, nil
}

// PublicKey returns the organisation's public key (the key must exist).
func (b *Book) PublicKey() (ed25519.PublicKey, error) {
	k, err := b.PrivateKey(false)
	if err != nil {
		return nil, err
	}
	return k.Public().(ed25519.PublicKey), nil
}

// ExportPublicKey returns pub as a PEM "PUBLIC KEY" (PKIX), the form
// openssl and other tools read.
func ExportPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKey reads what ExportPublicKey writes.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, not Ed25519", k)
	}
	return pub, nil
}

// Salt returns the organisation's subject salt, generating it when create
// is true and there is none yet.
func (b *Book) Salt(create bool) ([]byte, error) {
	path := filepath.Join(b.Dir, SaltFile)
	data, err := readSecret(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		salt := make([]byte, 32)
		if _, err := rand.Read(salt); err != nil {
			return nil, err
		}
		if err := writeNew(path, []byte(hex.EncodeToString(salt)+"\n")); errors.Is(err, fs.ErrExist) {
			return b.Salt(false)
		} else if err != nil {
			return nil, fmt.Errorf("cannot keep the organisation's subject salt: %w", err)
		}
		return salt, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the organisation's subject salt: %w", err)
	}
	salt, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(salt) < 16 {
		return nil, fmt.Errorf("%s does not hold a salt (hex, at least 16 bytes)", path)
	}
	return salt, nil
}

// SubjectHash returns the salted hash of a subject given as KEY=VALUE
// pairs, and its salt's name: the hex HMAC-SHA256 under salt of the pairs
// sorted, one per line. Only whoever holds both the identifier and the
// salt can tell whom a certificate is about.
func SubjectHash(salt []byte, pairs []string) (hash, saltID string) {
	sorted := slices.Clone(pairs)
	slices.Sort(sorted)
	m := hmac.New(sha256.New, salt)
	for _, p := range sorted {
		m.Write([]byte(p))
		m.Write([]byte{'\n'})
	}
	sum := sha256.Sum256(salt)
	return hex.EncodeToString(m.Sum(nil)), hex.EncodeToString(sum[:8])
}

// readSecret reads a small file of the book without following a symbolic
// link.
func readSecret(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 1<<16))
}

// writeNew creates path with data, mode 0600, failing with fs.ErrExist if
// it exists; its directory is made with mode 0700 if missing.
func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// A hard link fails if path exists: the first writer wins.
	return os.Link(tmp.Name(), path)
}

// Issue completes c (schema, chain, key, signature), appends it to the log
// and moves the store's head to it. The log is locked while appending, so
// concurrent vigils chain one after the other. It returns the issued
// certificate as written to the log.
func (b *Book) Issue(ctx context.Context, c *Certificate) error {
	key, err := b.PrivateKey(true)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(b.Dir, 0o700); err != nil {
		return fmt.Errorf("cannot make the directory of the erasure log: %w", err)
	}
	path := filepath.Join(b.Dir, LogFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("cannot open the erasure log: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("cannot lock the erasure log: %w", err)
	}
	head, err := b.Heads.ErasureHead(ctx)
	if err != nil {
		return err
	}
	// The log must hold before anything is added to it.
	n, last, err := walk(f, key.Public().(ed25519.PublicKey), nil)
	if err != nil {
		return fmt.Errorf("the erasure log does not hold, so no certificate is added to it (vigil data verify --log): %w", err)
	}
	if n != head.Seq || last != head.Hash {
		return fmt.Errorf("the erasure log does not hold, so no certificate is added to it: %w", headFault(n, last, head))
	}
	c.Schema = Schema
	c.Chain = Chain{Seq: n + 1, Prev: last}
	if err := c.Sign(key); err != nil {
		return err
	}
	line, err := c.Line()
	if err != nil {
		return err
	}
	if len(line) > MaxLine {
		return fmt.Errorf("the certificate is too large for the log (%d bytes, at most %d)", len(line), MaxLine)
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("cannot append to the erasure log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot append to the erasure log: %w", err)
	}
	return b.Heads.AdvanceErasureHead(ctx, head, store.ErasureHead{Seq: c.Chain.Seq, Hash: EntryHash(line)})
}

// Fault is what verification found wrong: the first entry altered,
// removed or out of place, in words.
type Fault struct {
	// Entry is the number of the entry at fault (0: the certificate file
	// itself, before any entry is concerned).
	Entry int64
	What  string
}

func (f *Fault) Error() string {
	if f.Entry == 0 {
		return f.What
	}
	return fmt.Sprintf("entry %d: %s", f.Entry, f.What)
}

// walk reads the log from its start, checking each entry's number, link
// and signature, and calls f (if not nil) on each; it returns how many
// entries hold and the last one's hash. A fault is a *Fault.
func walk(r io.ReadSeeker, pub ed25519.PublicKey, f func(c *Certificate, line []byte) error) (int64, string, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return 0, "", err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	var n int64
	prev := ""
	for {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) {
			return n, prev, nil
		}
		if err != nil {
			return n, prev, &Fault{Entry: n + 1, What: err.Error()}
		}
		var c Certificate
		if jerr := jsonStrict(line, &c); jerr != nil {
			return n, prev, &Fault{Entry: n + 1, What: "altered: it no longer reads as a certificate (" + jerr.Error() + ")"}
		}
		switch {
		case c.Chain.Seq > n+1:
			return n, prev, &Fault{Entry: n + 1, What: fmt.Sprintf("removed (after entry %d comes entry %d)", n, c.Chain.Seq)}
		case c.Chain.Seq != n+1:
			return n, prev, &Fault{Entry: n + 1, What: fmt.Sprintf("out of place: the line numbered %d stands where entry %d belongs (altered or inserted)", c.Chain.Seq, n+1)}
		case c.Chain.Prev != prev:
			return n, prev, &Fault{Entry: n + 1, What: fmt.Sprintf("it does not follow entry %d (altered, or entry %d was altered or replaced)", n, n)}
		}
		if err := c.CheckSignature(pub); err != nil {
			return n, prev, &Fault{Entry: n + 1, What: "altered: " + err.Error()}
		}
		if again, _ := c.Line(); !bytes.Equal(again, line) {
			return n, prev, &Fault{Entry: n + 1, What: "altered: the line differs from the certificate it holds"}
		}
		if f != nil {
			if err := f(&c, line); err != nil {
				return n, prev, err
			}
		}
		n, prev = c.Chain.Seq, EntryHash(line)
	}
}

// readLine reads one line of at most MaxLine bytes, without its newline.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine+1 {
			return nil, fmt.Errorf("a line longer than %d bytes (altered)", MaxLine)
		}
		if err == nil {
			return line[:len(line)-1], nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return nil, errors.New("the last line is cut short (altered, or an append was interrupted)")
		}
		return nil, err
	}
}

// headFault describes a log of n entries whose last hash is last, against
// the store's head.
func headFault(n int64, last string, head store.ErasureHead) *Fault {
	switch {
	case head.Seq > n && n+1 == head.Seq:
		return &Fault{Entry: head.Seq, What: fmt.Sprintf("removed (the log ends at entry %d; the store's head is entry %d)", n, head.Seq)}
	case head.Seq > n:
		return &Fault{Entry: n + 1, What: fmt.Sprintf("removed, with the entries up to %d (the log ends at entry %d; the store's head is entry %d)", head.Seq, n, head.Seq)}
	case head.Seq < n:
		return &Fault{Entry: head.Seq + 1, What: fmt.Sprintf("not recorded in the store's head (the head is entry %d, the log goes on to %d): added outside vigil, or an append was interrupted", head.Seq, n)}
	default:
		return &Fault{Entry: n, What: "altered or replaced: it is not the entry the store's head records"}
	}
}

// VerifyLog checks the whole log: every entry's number, link and
// signature, and its end against the store's head. It returns how many
// entries hold; the error is a *Fault naming the first entry at fault, or
// another error when the log or head cannot be read.
func (b *Book) VerifyLog(ctx context.Context, pub ed25519.PublicKey) (int64, error) {
	head, err := b.Heads.ErasureHead(ctx)
	if err != nil {
		return 0, err
	}
	f, err := os.OpenFile(filepath.Join(b.Dir, LogFile), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if head.Seq == 0 {
			return 0, nil
		}
		return 0, headFault(0, "", head)
	}
	if err != nil {
		return 0, fmt.Errorf("cannot read the erasure log: %w", err)
	}
	defer f.Close()
	n, last, err := walk(f, pub, nil)
	if err != nil {
		return n, err
	}
	if n != head.Seq || last != head.Hash {
		return n, headFault(n, last, head)
	}
	return n, nil
}

// VerifyCertificate checks a certificate file: it must be byte for byte
// as vigil wrote it, its signature must hold under pub, and, when the log
// is here (b.Dir holds it), the log must hold and the certificate must be
// its entry of that number. It returns the certificate and whether the log
// was checked. A fault is a *Fault or wraps ErrAltered or ErrBadSignature;
// bytes that are not a certificate wrap ErrNotCertificate.
func (b *Book) VerifyCertificate(ctx context.Context, data []byte, pub ed25519.PublicKey, withLog bool) (*Certificate, error) {
	c, err := Parse(data)
	if err != nil {
		return c, err
	}
	if err := c.CheckSignature(pub); err != nil {
		return c, err
	}
	if !withLog {
		return c, nil
	}
	line, _ := c.Line()
	want := EntryHash(line)
	found := false
	_, err = b.VerifyLog(ctx, pub)
	if err != nil {
		var fault *Fault
		if errors.As(err, &fault) && fault.Entry > c.Chain.Seq {
			err = nil // the log holds up to this certificate; later faults are not its own
		}
	}
	if err != nil {
		return c, fmt.Errorf("the erasure log does not hold: %w", err)
	}
	fh, err := os.OpenFile(filepath.Join(b.Dir, LogFile), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return c, &Fault{Entry: c.Chain.Seq, What: "removed: the erasure log is missing"}
	}
	defer fh.Close()
	_, _, _ = walk(fh, pub, func(e *Certificate, l []byte) error {
		if e.Chain.Seq == c.Chain.Seq {
			found = EntryHash(l) == want
			return io.EOF
		}
		return nil
	})
	if !found {
		return c, &Fault{Entry: c.Chain.Seq, What: "this certificate is not that entry of the erasure log (removed from the log, or the certificate is not the one logged)"}
	}
	return c, nil
}
