package datafile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadCSV reads a CSV (or, when the header holds tabs and no commas or
// semicolons, TSV; or semicolon-separated) file into records, the first
// being the header. Rows of any length are accepted, quotes leniently;
// at most MaxRecords records are kept.
func ReadCSV(b []byte) ([][]string, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	r.Comma = sniffComma(b)
	var out [][]string
	for len(out) < MaxRecords {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(out) == 0 {
				return nil, fmt.Errorf("not a CSV file: %w", err)
			}
			break // keep what was read before the damage
		}
		for i, f := range rec {
			rec[i] = strings.ToValidUTF8(f, "\uFFFD")
		}
		out = append(out, rec)
	}
	return out, nil
}

// sniffComma picks the separator of the first line: tab or semicolon when
// they are more common there than commas.
func sniffComma(b []byte) rune {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	c, t, s := bytes.Count(line, []byte(",")), bytes.Count(line, []byte("\t")), bytes.Count(line, []byte(";"))
	switch {
	case t > c && t >= s:
		return '\t'
	case s > c:
		return ';'
	}
	return ','
}
