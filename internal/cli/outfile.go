package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// defaultOutputMode is the mode of every file vigil writes (reports,
// exports): results name listeners, users, command lines and firewall
// rules, which are nobody else's business.
const defaultOutputMode fs.FileMode = 0o600

// parseMode reads --mode: octal permission bits ("0640", "640"); "" is
// the default, 0600.
func parseMode(s string) (fs.FileMode, error) {
	if s == "" {
		return defaultOutputMode, nil
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o777 {
		return 0, usageError("--mode %q: give permission bits in octal, such as 0600 or 0640", s)
	}
	return fs.FileMode(n), nil
}

// output is where a command writes its document: standard output, or a
// file that takes its place only once the document is complete. Until
// then the file is a temporary one beside it (mode 0600), so a failure
// never leaves a truncated or empty file, and a run that fails keeps the
// old one, even when -o names the input itself. A symbolic link at the
// path is replaced, never followed. A path that is not a regular file
// (/dev/stdout, a named pipe) is written directly.
type output struct {
	io.Writer
	path string
	tmp  *os.File
	mode fs.FileMode
}

// openOutput opens -o PATH ("" or "-": standard output) for a file of the
// given mode.
func openOutput(stdout io.Writer, path string, mode fs.FileMode) (*output, error) {
	if path == "" || path == "-" {
		return &output{Writer: stdout}, nil
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, usageError("-o %s is a directory: give a file name", path)
		}
		fh, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("cannot open the output %s: %w", path, err)
		}
		return &output{Writer: fh, tmp: fh}, nil
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".vigil-*")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageError("-o %s: the directory %s does not exist", path, dir)
		}
		return nil, fmt.Errorf("cannot create the output file in %s: %w", dir, err)
	}
	return &output{Writer: tmp, path: path, tmp: tmp, mode: mode}, nil
}

// commit puts the finished file in place with its mode.
func (o *output) commit() error {
	if o.tmp == nil {
		return nil
	}
	tmp := o.tmp
	o.tmp = nil
	if o.path == "" { // a device or pipe written directly
		return tmp.Close()
	}
	err := tmp.Chmod(o.mode)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cannot write %s: %w", o.path, err)
	}
	return nil
}

// abort drops an unfinished file; the path keeps what it held before.
func (o *output) abort() {
	if o.tmp == nil {
		return
	}
	o.tmp.Close()
	if o.path != "" {
		os.Remove(o.tmp.Name())
	}
	o.tmp = nil
}

// formatFor returns the output format: --format when given, else the one
// the extension of -o names (report.pdf: pdf, scan.json: json), else the
// flag's default.
func formatFor(cmd *cobra.Command, format, output string) string {
	if cmd.Flags().Changed("format") || output == "" || output == "-" {
		return format
	}
	switch strings.ToLower(strings.TrimPrefix(filepath.Ext(output), ".")) {
	case "json":
		return "json"
	case "sarif":
		return "sarif"
	case "csv":
		return "csv"
	case "html", "htm":
		return "html"
	case "pdf":
		return "pdf"
	case "txt", "text":
		return "table"
	}
	return format
}
