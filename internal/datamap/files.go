package datamap

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/hostaudit"
)

// MaxFiles caps the files one walk of a files source visits.
const MaxFiles = 200_000

// File is a regular file of a files source.
type File struct {
	// Rel is the path relative to the source's directory, with '/'.
	Rel     string
	Size    int64
	ModTime time.Time
}

// Skip reasons of a walk.
const (
	SkipSymlink    = "symbolic link"
	SkipSpecial    = "not a regular file"
	SkipPrivilege  = "not readable by the share's owner"
	SkipTooLarge   = "too large"
	SkipUnreadable = "unreadable"
)

// Walker walks a files source under issue 6's file rule: nothing is read
// through a symbolic link (links are skipped, and every file is opened by
// resolving its path inside the directory, so a link swapped in during the
// walk cannot lead out of it); only regular files are opened; and when
// vigil runs as root, a file the directory's owner could not read is not
// read either (vigil must not see more than the share's owner can).
type Walker struct {
	src   *Source
	root  *hostaudit.RootFS
	uid   uint32
	gid   uint32
	root0 bool
}

// OpenFiles opens a files source for walking.
func OpenFiles(s *Source) (*Walker, error) {
	if s.Type != Files {
		return nil, fmt.Errorf("source %s is a %s source, not files", s.Name, s.Type)
	}
	fi, err := os.Stat(s.Path)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("source %s: %s is not a directory", s.Name, s.Path)
	}
	r, err := hostaudit.Root(s.Path)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	w := &Walker{src: s, root: r, root0: os.Geteuid() == 0}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		w.uid, w.gid = st.Uid, st.Gid
	}
	return w, nil
}

// Close releases the directory.
func (w *Walker) Close() error { return w.root.Close() }

// Walk calls fn for every regular file under the directory, in lexical
// order, and skip for every entry it passes over with the reason. fn's
// error stops the walk.
func (w *Walker) Walk(ctx context.Context, fn func(File) error, skip func(rel, reason string)) error {
	n := 0
	return filepath.WalkDir(w.src.Path, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, rerr := filepath.Rel(w.src.Path, p)
		if rerr != nil {
			return rerr
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			if rel != "." {
				skip(rel, SkipUnreadable)
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			return fmt.Errorf("source %s: %w", w.src.Name, err)
		}
		if d.IsDir() {
			if rel != "." && !w.readable(d) {
				skip(rel, SkipPrivilege)
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			skip(rel, SkipSymlink)
			return nil
		case !d.Type().IsRegular():
			skip(rel, SkipSpecial)
			return nil
		case !w.readable(d):
			skip(rel, SkipPrivilege)
			return nil
		}
		n++
		if n > MaxFiles {
			return fmt.Errorf("source %s has more than %d files: %w", w.src.Name, MaxFiles, fs.SkipAll)
		}
		info, err := d.Info()
		if err != nil {
			skip(rel, SkipUnreadable)
			return nil
		}
		return fn(File{Rel: rel, Size: info.Size(), ModTime: info.ModTime()})
	})
}

// readable says whether the directory's owner could read (or, for a
// directory, search) the entry. Only enforced when vigil runs as root.
func (w *Walker) readable(d fs.DirEntry) bool {
	if !w.root0 || w.uid == 0 {
		return true
	}
	info, err := d.Info()
	if err != nil {
		return false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	need := uint32(4) // r
	if d.IsDir() {
		need = 5 // r-x
	}
	mode := uint32(info.Mode().Perm())
	switch {
	case st.Uid == w.uid:
		return (mode>>6)&need == need
	case st.Gid == w.gid:
		return (mode>>3)&need == need
	}
	return mode&need == need
}

// ReadFile reads a file of the walk, resolving rel inside the directory:
// regular files only, at most hostaudit.MaxOutput bytes.
func (w *Walker) ReadFile(ctx context.Context, rel string) ([]byte, error) {
	b, err := w.root.ReadFile(ctx, "/"+rel)
	if errors.Is(err, hostaudit.ErrTooLarge) {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	return b, err
}
