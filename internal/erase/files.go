package erase

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datafile"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/pii"
)

// MaxFile bounds the size of a file examined for the subject; larger ones
// are listed as not erased.
const MaxFile = 64 << 20

// FileJob is the erasure of the subject in a files source. Files are
// found and read under issue 6's file rule (datamap.Walker: no symbolic
// link followed, nothing the share's owner could not read), and changed
// through an os.Root of the directory, so that no path leads out of it.
type FileJob struct {
	Name string
	Dir  string
	// Values are the subject's values to find (those of the map's
	// subjects of this source).
	Values []string
	// Found is the plan: per file what would be done.
	Found     []certify.FileAction
	NotErased []certify.NotErased
	walker    *datamap.Walker
	root      *os.Root
}

// NewFileJob opens a files source's directory.
func NewFileJob(s *datamap.Source, values []string) (*FileJob, error) {
	for _, v := range values {
		if strings.ContainsFunc(v, unicode.IsControl) {
			return nil, fmt.Errorf("source %s: the identifier %q holds a line break or another control character: files are erased line by line and record by record, so it could never be found whole; give the identifier as one line", s.Name, v)
		}
	}
	w, err := datamap.OpenFiles(s)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(s.Path)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("source %s: cannot open the directory: %w", s.Name, err)
	}
	return &FileJob{Name: s.Name, Dir: s.Path, Values: values, walker: w, root: r}, nil
}

// Close releases the directory.
func (j *FileJob) Close() error {
	j.walker.Close()
	return j.root.Close()
}

// kind is how a file is erased, by its extension.
func kind(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".tsv":
		return "csv"
	case ".txt", ".text", ".log", ".md":
		return "text"
	case ".mbox", ".mbx":
		return "mbox"
	case ".eml":
		return "eml"
	case ".pdf":
		return "pdf"
	case ".xlsx":
		return "xlsx"
	}
	return ""
}

// Plan walks the directory and finds the files that hold the subject,
// changing nothing. Files the walk passes over (links, files the share's
// owner could not read) are not examined.
func (j *FileJob) Plan(ctx context.Context) error {
	j.Found, j.NotErased = nil, nil
	if len(j.Values) == 0 {
		return nil
	}
	return j.walker.Walk(ctx, func(f datamap.File) error {
		k := kind(f.Rel)
		if k == "" {
			return nil
		}
		if f.Size > MaxFile {
			j.NotErased = append(j.NotErased, certify.NotErased{Source: j.Name, Where: f.Rel, Reason: fmt.Sprintf("larger than %d MiB: not examined", MaxFile>>20)})
			return nil
		}
		data, err := j.read(f.Rel)
		if err != nil {
			j.NotErased = append(j.NotErased, certify.NotErased{Source: j.Name, Where: f.Rel, Reason: err.Error()})
			return nil
		}
		act, reason := j.examine(k, data)
		if reason != "" {
			j.NotErased = append(j.NotErased, certify.NotErased{Source: j.Name, Where: f.Rel, Reason: reason})
		}
		if act != nil {
			act.Path = f.Rel
			j.Found = append(j.Found, *act)
		}
		return nil
	}, func(string, string) {})
}

// read reads a file inside the directory (no link followed), at most
// MaxFile bytes.
func (j *FileJob) read(p string) ([]byte, error) {
	f, err := j.root.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("could not be read: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("could not be read: %w", err)
	}
	if len(data) > MaxFile {
		return nil, fmt.Errorf("larger than %d MiB: not examined", MaxFile>>20)
	}
	return data, nil
}

// examine says what to do with a file of a kind: nil when it does not
// hold the subject; a reason when it holds the subject but cannot be
// erased.
func (j *FileJob) examine(k string, data []byte) (*certify.FileAction, string) {
	switch k {
	case "csv":
		_, removed, err := rewriteCSV(data, j.Values)
		if err != nil {
			if holds(data, j.Values) {
				return nil, "holds the subject but is not valid CSV: " + err.Error()
			}
			return nil, ""
		}
		if removed > 0 {
			return &certify.FileAction{Action: certify.Rewritten, Removed: removed}, ""
		}
	case "text":
		if _, removed := rewriteLines(data, j.Values); removed > 0 {
			return &certify.FileAction{Action: certify.Rewritten, Removed: removed}, ""
		}
	case "mbox":
		if _, removed := rewriteMbox(data, j.Values); removed > 0 {
			return &certify.FileAction{Action: certify.Rewritten, Removed: removed}, ""
		}
	case "eml":
		if holds(data, j.Values) {
			return &certify.FileAction{Action: certify.Deleted}, ""
		}
	case "pdf", "xlsx":
		return examineWhole(k, data, j.Values)
	}
	return nil, ""
}

// identifying are the categories that tell one person from another: a
// file that still holds one of them once the subject's values are taken
// out holds someone else's data too (or more of the subject's than the
// map names: either way it is not deleted).
var identifying = []pii.Category{pii.Email, pii.NationalID, pii.IBAN, pii.PaymentCard, pii.MedicalRecord, pii.Phone}

// examineWhole decides about a file vigil cannot rewrite (PDF, XLSX): one
// that holds only the subject is deleted; one that holds others too is
// listed as not erased, with the reason.
func examineWhole(k string, data []byte, values []string) (*certify.FileAction, string) {
	c, err := datafile.Extract(k, data)
	if err != nil {
		if holds(data, values) {
			return nil, "holds the subject but cannot be read through (" + err.Error() + "): remove it by hand"
		}
		return nil, ""
	}
	text := c.Text
	others := 0
	for _, t := range c.Tables {
		for i, rec := range t {
			line := strings.Join(rec, "\n")
			text += "\n" + line
			if i > 0 && !recordHolds(rec, values) && strings.TrimSpace(strings.Join(rec, "")) != "" {
				others++
			}
		}
	}
	if !holds([]byte(text), values) {
		return nil, ""
	}
	rest := text
	for _, v := range values {
		rest = replaceFold(rest, strings.TrimSpace(v))
	}
	hits := pii.ScanText(rest)
	for _, cat := range identifying {
		others += hits[cat]
	}
	if others > 0 {
		return nil, fmt.Sprintf("holds other people's data too (%d row(s) or identifier(s) besides the subject's), and a %s is not rewritten: remove the subject's part by hand", others, strings.ToUpper(k))
	}
	return &certify.FileAction{Action: certify.Deleted}, ""
}

// replaceFold blanks every occurrence of v in s, ignoring ASCII case.
func replaceFold(s, v string) string {
	if v == "" {
		return s
	}
	low, lv := strings.ToLower(s), strings.ToLower(v)
	if len(low) != len(s) {
		return strings.ReplaceAll(s, v, " ")
	}
	var b strings.Builder
	for {
		i := strings.Index(low, lv)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		s, low = s[i+len(v):], low[i+len(v):]
	}
}

// Run applies the plan: each file rewritten atomically (a temporary file
// in the same directory renamed over it, with the same mode) or deleted;
// then it searches again. The source says what happened.
func (j *FileJob) Run(ctx context.Context) certify.Source {
	src := certify.Source{Name: j.Name, Type: "files"}
	var errs []string
	for _, a := range j.Found {
		if err := ctx.Err(); err != nil {
			errs = append(errs, "stopped: "+err.Error())
			break
		}
		if err := j.apply(a); err != nil {
			errs = append(errs, a.Path+": "+err.Error())
			j.NotErased = append(j.NotErased, certify.NotErased{Source: j.Name, Where: a.Path, Reason: "could not be changed: " + err.Error()})
			continue
		}
		src.Files = append(src.Files, a)
	}
	planned := len(j.Found)
	// Verify: walk again.
	if err := j.Plan(ctx); err != nil {
		src.Outcome, src.Error = certify.Incomplete, "the search after the erasure failed: "+err.Error()
		return src
	}
	for _, a := range j.Found {
		src.Remaining += max(a.Removed, 1)
	}
	// A file listed as not erased still holds the subject.
	src.Remaining += int64(len(j.NotErased))
	src.Verified = len(j.Found) == 0 && len(j.NotErased) == 0
	switch {
	case len(errs) > 0 || !src.Verified:
		src.Outcome = certify.Incomplete
		src.Error = strings.Join(errs, "; ")
		if !src.Verified && src.Error == "" {
			src.Error = fmt.Sprintf("the search after the erasure still finds the subject in %d file(s)", len(j.Found))
		}
	case planned == 0 && len(j.NotErased) == 0:
		src.Outcome = certify.NothingFound
	case len(j.NotErased) > 0:
		src.Outcome = certify.Incomplete
		src.Error = fmt.Sprintf("%d file(s) hold the subject but could not be erased (see not_erased)", len(j.NotErased))
	default:
		src.Outcome = certify.Erased
	}
	return src
}

func (j *FileJob) apply(a certify.FileAction) error {
	if a.Action == certify.Deleted {
		return j.root.Remove(a.Path)
	}
	data, err := j.read(a.Path)
	if err != nil {
		return err
	}
	var out []byte
	switch kind(a.Path) {
	case "csv":
		out, _, err = rewriteCSV(data, j.Values)
	case "text":
		out, _ = rewriteLines(data, j.Values)
	case "mbox":
		out, _ = rewriteMbox(data, j.Values)
	default:
		return errors.New("not a file vigil rewrites")
	}
	if err != nil {
		return err
	}
	fi, err := j.root.Stat(a.Path)
	if err != nil {
		return err
	}
	tmp := filepath.Join(path.Dir(a.Path), "."+path.Base(a.Path)+".vigil-erase")
	f, err := j.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := f.Write(out); err != nil {
		f.Close()
		j.root.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		j.root.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		j.root.Remove(tmp)
		return err
	}
	if err := j.root.Rename(tmp, a.Path); err != nil {
		j.root.Remove(tmp)
		return err
	}
	return nil
}

// wordByte reports whether c continues an identifier (so that a value is
// not matched inside a longer one: a@x.org inside ba@x.org).
func wordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '@' || c == '-' || c == '+'
}

// holds reports whether data contains one of values as a whole word,
// ignoring ASCII case.
func holds(data []byte, values []string) bool {
	low := bytes.ToLower(data)
	for _, v := range values {
		lv := bytes.ToLower([]byte(strings.TrimSpace(v)))
		if len(lv) == 0 {
			continue
		}
		for i := 0; ; {
			k := bytes.Index(low[i:], lv)
			if k < 0 {
				break
			}
			s, e := i+k, i+k+len(lv)
			if (s == 0 || !wordByte(low[s-1])) && (e == len(low) || !wordByte(low[e])) {
				return true
			}
			i = s + 1
		}
	}
	return false
}

// rewriteCSV returns the CSV without the records one of whose fields is
// one of values (ignoring case and surrounding space), and how many
// records it removed.
func rewriteCSV(data []byte, values []string) ([]byte, int64, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	var removed int64
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		if recordHolds(rec, values) {
			removed++
			continue
		}
		if len(rec) == 1 && rec[0] == "" {
			// encoding/csv writes a lone empty field as an empty line,
			// which it then reads as no record: quote it, so that the
			// record stays one (and a second pass changes nothing).
			w.Flush()
			buf.WriteString("\"\"\n")
			continue
		}
		if err := w.Write(rec); err != nil {
			return nil, 0, err
		}
	}
	w.Flush()
	return buf.Bytes(), removed, w.Error()
}

func recordHolds(rec []string, values []string) bool {
	for _, f := range rec {
		for _, v := range values {
			if v = strings.TrimSpace(v); v != "" && strings.EqualFold(strings.TrimSpace(f), v) {
				return true
			}
		}
	}
	return false
}

// rewriteLines returns text without the lines that hold one of values.
func rewriteLines(data []byte, values []string) ([]byte, int64) {
	var out bytes.Buffer
	var removed int64
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) > 0 && holds(line, values) {
			removed++
			continue
		}
		out.Write(line)
	}
	return out.Bytes(), removed
}

// rewriteMbox returns an mbox without the messages that hold one of
// values. Messages start at a line beginning "From " at the start of the
// file or after an empty line (mboxrd/mboxo, RFC 4155).
func rewriteMbox(data []byte, values []string) ([]byte, int64) {
	var msgs [][]byte
	start := 0
	lines := bytes.SplitAfter(data, []byte("\n"))
	off := 0
	prevEmpty := true
	for _, line := range lines {
		if bytes.HasPrefix(line, []byte("From ")) && prevEmpty && off > start {
			msgs = append(msgs, data[start:off])
			start = off
		}
		prevEmpty = len(bytes.TrimRight(line, "\r\n")) == 0
		off += len(line)
	}
	if start < len(data) {
		msgs = append(msgs, data[start:])
	}
	var out bytes.Buffer
	var removed int64
	for _, m := range msgs {
		if holds(m, values) {
			removed++
			continue
		}
		out.Write(m)
	}
	return out.Bytes(), removed
}
