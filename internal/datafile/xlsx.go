package datafile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// maxSheets caps the worksheets read of one workbook, maxColumns the
// columns of a row.
const (
	maxSheets  = 64
	maxColumns = 1024
)

// ReadXLSX reads the worksheets of an Office Open XML workbook (ECMA-376
// SpreadsheetML): the shared strings and each xl/worksheets/sheetN.xml,
// cells placed by their reference (A1). Formulas are not evaluated: a
// cell's cached value is read. Each sheet becomes a record set whose first
// record is its first row.
func ReadXLSX(b []byte) ([][][]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("not an XLSX workbook: %w", err)
	}
	var shared []string
	var sheets []*zip.File
	for _, f := range zr.File {
		switch {
		case f.Name == "xl/sharedStrings.xml":
			shared, err = readShared(f)
			if err != nil {
				return nil, err
			}
		case strings.HasPrefix(f.Name, "xl/worksheets/") && path.Ext(f.Name) == ".xml" && path.Dir(f.Name) == "xl/worksheets":
			sheets = append(sheets, f)
		}
	}
	if len(sheets) == 0 {
		return nil, errors.New("not an XLSX workbook: it has no worksheet")
	}
	slices.SortFunc(sheets, func(a, b *zip.File) int { return compareSheet(a.Name, b.Name) })
	var out [][][]string
	for i, f := range sheets {
		if i == maxSheets {
			break
		}
		recs, err := readSheet(f, shared)
		if err != nil {
			return nil, err
		}
		out = append(out, recs)
	}
	return out, nil
}

func compareSheet(a, b string) int {
	na, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(a), "sheet"), ".xml"))
	nb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path.Base(b), "sheet"), ".xml"))
	if na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

func openMember(f *zip.File) (io.ReadCloser, error) {
	if f.UncompressedSize64 > MaxInflate {
		return nil, fmt.Errorf("%s in the workbook is %w", f.Name, ErrTooLarge)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s in the workbook: %w", f.Name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, MaxInflate), rc}, nil
}

func readShared(f *zip.File) ([]string, error) {
	rc, err := openMember(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var out []string
	var cur strings.Builder
	inSI, inT, total := false, false, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the workbook's shared strings are damaged: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				cur.Reset()
			case "t":
				inT = inSI
			case "rPh": // phonetic runs are not the cell's text
				if err := d.Skip(); err != nil {
					return nil, fmt.Errorf("the workbook's shared strings are damaged: %w", err)
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				out = append(out, cur.String())
				if len(out) > MaxRecords*8 {
					return nil, fmt.Errorf("the workbook's shared strings are %w", ErrTooLarge)
				}
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				total += len(t)
				if total > MaxInflate {
					return nil, fmt.Errorf("the workbook's shared strings are %w", ErrTooLarge)
				}
				cur.Write(t)
			}
		}
	}
}

func readSheet(f *zip.File, shared []string) ([][]string, error) {
	rc, err := openMember(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var out [][]string
	var row []string
	var ref, typ string
	var val strings.Builder
	inV, inCell, inRow := false, false, false
	next := 0 // the column of a cell without a reference
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("worksheet %s is damaged: %w", f.Name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow, row, next = true, nil, 0
			case "c":
				inCell, ref, typ = inRow, "", ""
				val.Reset()
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "r":
						ref = a.Value
					case "t":
						typ = a.Value
					}
				}
			case "v", "t":
				inV = inCell
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				inV = false
			case "c":
				if !inCell {
					continue
				}
				inCell = false
				col := next
				if c, ok := columnOf(ref); ok {
					col = c
				}
				next = col + 1
				if col >= maxColumns {
					continue
				}
				v := val.String()
				if typ == "s" {
					i, err := strconv.Atoi(strings.TrimSpace(v))
					if err != nil || i < 0 || i >= len(shared) {
						v = ""
					} else {
						v = shared[i]
					}
				}
				for len(row) <= col {
					row = append(row, "")
				}
				row[col] = strings.ToValidUTF8(v, "\uFFFD")
			case "row":
				if inRow {
					out = append(out, row)
					inRow = false
					if len(out) >= MaxRecords {
						return out, nil
					}
				}
			}
		case xml.CharData:
			if inV {
				if val.Len()+len(t) > 1<<20 {
					continue
				}
				val.Write(t)
			}
		}
	}
}

// columnOf reads the column of a cell reference ("C7" → 2).
func columnOf(ref string) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref) && i < 4; i++ {
		c := ref[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			break
		}
		n = n*26 + int(c-'A'+1)
	}
	if i == 0 || n == 0 {
		return 0, false
	}
	return n - 1, true
}
