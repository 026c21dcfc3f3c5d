package vulndb

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrFormat means a file is none of the formats vigil reads.
var ErrFormat = errors.New("not a format vigil reads (OSV JSON, NVD CVE JSON 2.0, the CISA KEV catalogue, the EPSS CSV)")

// Import loads every file of paths into w: directories are walked (files
// of other kinds in them are passed over), .zip archives opened, .gz files
// decompressed, and each file's format told from its content. progress,
// when set, is told how many of the files (and archive members) are done.
func Import(ctx context.Context, w *Writer, paths []string, progress func(done, total int64)) error {
	var files []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cannot import %s: %w", p, err)
		}
		if !fi.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && importable(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("cannot import %s: %w", p, err)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("nothing to import in %s: give OSV, NVD, KEV or EPSS files, directories or .zip archives", strings.Join(paths, ", "))
	}
	// Zip members count as files of their own in the progress.
	total := int64(0)
	for _, f := range files {
		total += members(f)
	}
	var done int64
	tick := func() {
		done++
		if progress != nil {
			progress(done, total)
		}
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := loadFile(ctx, w, f, tick); err != nil {
			return err
		}
	}
	return nil
}

// importable reports whether a file in a walked directory is one Import
// reads.
func importable(name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".json", ".json.gz", ".zip", ".csv", ".csv.gz"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// members counts a zip archive's files, and 1 for any other file.
func members(name string) int64 {
	if !strings.HasSuffix(strings.ToLower(name), ".zip") {
		return 1
	}
	z, err := zip.OpenReader(name)
	if err != nil {
		return 1
	}
	defer z.Close()
	return int64(max(len(z.File), 1))
}

// loadFile loads one file, telling tick of each file or member done.
func loadFile(ctx context.Context, w *Writer, name string, tick func()) error {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".zip") {
		z, err := zip.OpenReader(name)
		if err != nil {
			return fmt.Errorf("%s: not a readable zip archive: %w", name, err)
		}
		defer z.Close()
		for _, m := range z.File {
			if err := ctx.Err(); err != nil {
				return err
			}
			if m.FileInfo().IsDir() || !importable(m.Name) {
				tick()
				continue
			}
			rc, err := m.Open()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, m.Name, err)
			}
			err = load(w, m.Name, rc)
			rc.Close()
			if err != nil {
				return fmt.Errorf("%s: %s: %w", name, m.Name, err)
			}
			tick()
		}
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("cannot import %s: %w", name, err)
	}
	defer f.Close()
	if err := load(w, name, f); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	tick()
	return nil
}

// load reads one file of any format vigil reads from r; name gives its
// compression and whether it is CSV.
func load(w *Writer, name string, r io.Reader) error {
	lower := strings.ToLower(name)
	if strings.HasSuffix(lower, ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("not a readable gzip file: %w", err)
		}
		defer gz.Close()
		r, lower = gz, strings.TrimSuffix(lower, ".gz")
	}
	if strings.HasSuffix(lower, ".csv") {
		return w.ReplaceEPSS(io.LimitReader(r, maxDocument))
	}
	b, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return err
	}
	if len(b) > maxDocument {
		return fmt.Errorf("larger than %d MiB", maxDocument>>20)
	}
	return LoadJSON(w, b)
}

// LoadJSON loads one JSON document of any format vigil reads: an OSV
// record, an NVD CVE record (bare, or as an API response's item), an NVD
// API 2.0 response, or the CISA KEV catalogue.
func LoadJSON(w *Writer, b []byte) error {
	if !isJSONObject(b) {
		return ErrFormat
	}
	switch looksLike(b) {
	case "osv":
		if len(b) > maxRecord {
			return fmt.Errorf("an OSV record larger than %d MiB", maxRecord>>20)
		}
		r, err := ParseOSV(b)
		if err != nil {
			return err
		}
		return w.Put(r)
	case "nvd":
		r, err := ParseNVD(b)
		if err != nil {
			return err
		}
		return w.Put(r)
	case "nvd-item":
		var item struct {
			CVE json.RawMessage `json:"cve"`
		}
		if err := json.Unmarshal(b, &item); err != nil {
			return err
		}
		r, err := ParseNVD(item.CVE)
		if err != nil {
			return err
		}
		return w.Put(r)
	case "nvd-api":
		return loadNVDPage(w, b)
	case "kev":
		entries, released, err := ParseKEV(b)
		if err != nil {
			return err
		}
		return w.ReplaceKEV(entries, released)
	}
	return ErrFormat
}

// loadNVDPage loads every CVE of an NVD API 2.0 response.
func loadNVDPage(w *Writer, b []byte) error {
	var page struct {
		Vulnerabilities []struct {
			CVE nvdCVE `json:"cve"`
		} `json:"vulnerabilities"`
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&page); err != nil {
		return fmt.Errorf("not an NVD API response: %w", err)
	}
	for i := range page.Vulnerabilities {
		r, err := page.Vulnerabilities[i].CVE.record()
		if err != nil {
			return err
		}
		if err := w.Put(r); err != nil {
			return err
		}
	}
	return nil
}
