package datamap

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWalkFiles(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a", "one.csv"), []byte("x,y\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "a", "b", "two.txt"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("root only"), 0o600))
	must(os.Symlink("/etc/passwd", filepath.Join(dir, "link.txt")))
	must(os.Symlink("/etc", filepath.Join(dir, "etc")))
	root := os.Geteuid() == 0
	if root {
		// The share belongs to nobody: a file only root can read is
		// not read.
		must(os.Chown(dir, 65534, 65534))
		for _, p := range []string{"a", "a/b", "a/one.csv", "a/b/two.txt"} {
			must(os.Chown(filepath.Join(dir, p), 65534, 65534))
		}
	}
	w, err := OpenFiles(&Source{Name: "s", Type: Files, Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []string
	skipped := map[string]string{}
	err = w.Walk(context.Background(), func(f File) error {
		got = append(got, f.Rel)
		b, err := w.ReadFile(context.Background(), f.Rel)
		if err != nil || len(b) != int(f.Size) {
			t.Errorf("ReadFile(%s) = %d bytes, %v", f.Rel, len(b), err)
		}
		return nil
	}, func(rel, why string) { skipped[rel] = why })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a/b/two.txt", "a/one.csv"}
	if !root {
		want = append(want, "secret.txt")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("walked %v, want %v", got, want)
	}
	if skipped["link.txt"] != SkipSymlink || skipped["etc"] != SkipSymlink {
		t.Errorf("skipped = %v: the symbolic links must be skipped", skipped)
	}
	if root && skipped["secret.txt"] != SkipPrivilege {
		t.Errorf("skipped = %v: secret.txt is not readable by the share's owner", skipped)
	}
	// A path that climbs out of the share is not read.
	if _, err := w.ReadFile(context.Background(), "../../../../etc/passwd"); err == nil {
		t.Error("ReadFile read a file outside the share")
	}
	if _, err := w.ReadFile(context.Background(), "link.txt"); err == nil {
		t.Error("ReadFile followed a link out of the share")
	}
}
