package datafile

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxStreams caps the streams examined of one PDF.
const maxStreams = 20_000

// PDFText extracts the text of a PDF (ISO 32000-1) without rendering it:
// every stream, uncompressed or FlateDecode, is read; ToUnicode CMaps
// (bfchar, bfrange) map the codes of the fonts that carry them (as the
// PDFs of gopdf, LibreOffice and most writers do); the strings of the
// text operators Tj, TJ, ' and " of the content streams are decoded with
// them, or as single bytes where no CMap applies. All CMaps of a file are
// merged into one, so two fonts that use one code for two characters can
// mix up those characters; PDFs whose text is only in images hold none.
// Encrypted PDFs are refused.
func PDFText(b []byte) (string, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(b, "\x00\t\r\n "), []byte("%PDF-")) {
		return "", errors.New("not a PDF file: it does not start with %PDF-")
	}
	if bytes.Contains(b, []byte("/Encrypt")) {
		return "", errors.New("the PDF is encrypted: its text cannot be read")
	}
	cm := cmap{}
	var contents [][]byte
	budget := MaxInflate
	for i, n := 0, 0; n < maxStreams; n++ {
		k := bytes.Index(b[i:], []byte("stream"))
		if k < 0 {
			break
		}
		k += i
		i = k + len("stream")
		// "stream" must end a dictionary ("… >> stream") and be
		// followed by an end of line; "endstream" is not a start.
		if k >= 3 && string(b[k-3:k]) == "end" {
			continue
		}
		dictEnd := bytes.LastIndex(b[max(0, k-2048):k], []byte(">>"))
		if dictEnd < 0 || strings.TrimSpace(string(b[max(0, k-2048)+dictEnd+2:k])) != "" {
			continue
		}
		start := i
		if start < len(b) && b[start] == '\r' {
			start++
		}
		if start < len(b) && b[start] == '\n' {
			start++
		}
		e := bytes.Index(b[start:], []byte("endstream"))
		if e < 0 {
			break
		}
		data := bytes.TrimRight(b[start:start+e], "\r\n")
		i = start + e + len("endstream")
		objStart := bytes.LastIndex(b[max(0, k-2048):k], []byte("obj"))
		dict := b[max(0, k-2048)+max(0, objStart) : k]
		if bytes.Contains(dict, []byte("/Subtype/Image")) || bytes.Contains(dict, []byte("/Subtype /Image")) || bytes.Contains(dict, []byte("/FontFile")) || bytes.Contains(dict, []byte("/Length1")) {
			continue
		}
		if bytes.Contains(dict, []byte("/Filter")) {
			if !bytes.Contains(dict, []byte("/FlateDecode")) || bytes.Contains(dict, []byte("/DCTDecode")) || bytes.Contains(dict, []byte("/ASCII")) || bytes.Contains(dict, []byte("/LZW")) {
				continue
			}
			out, err := inflate(data, budget)
			if err != nil {
				if errors.Is(err, ErrTooLarge) {
					return "", fmt.Errorf("the PDF's streams are %w", err)
				}
				continue // a damaged stream: skip it
			}
			budget -= len(out)
			data = out
		}
		switch {
		case bytes.Contains(data, []byte("beginbfchar")) || bytes.Contains(data, []byte("beginbfrange")):
			cm.parse(data)
		case bytes.Contains(data, []byte("BT")):
			contents = append(contents, data)
		}
	}
	var sb strings.Builder
	for _, c := range contents {
		contentText(&sb, c, cm)
		if sb.Len() > MaxText {
			break
		}
	}
	return capText(sb.String()), nil
}

func inflate(data []byte, budget int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, int64(budget)+1))
	if len(out) > budget {
		return nil, ErrTooLarge
	}
	if err != nil && len(out) == 0 {
		return nil, err
	}
	return out, nil // a truncated stream keeps what inflated
}

// cmap maps character codes (as hex strings of their bytes, upper case)
// to text; width is the code length in bytes when all codes share one.
type cmap map[string]string

const maxCMap = 1 << 16

func (m cmap) width() int {
	w := 0
	for k := range m {
		if w == 0 {
			w = len(k) / 2
		} else if w != len(k)/2 {
			return 0
		}
	}
	return w
}

// parse reads the bfchar and bfrange sections of a CMap.
func (m cmap) parse(b []byte) {
	toks := tokens(b, 1<<20)
	for i := 0; i < len(toks); i++ {
		switch toks[i].op {
		case "beginbfchar":
			for i+2 < len(toks) && toks[i+1].kind == tokHex && toks[i+2].kind == tokHex && len(m) < maxCMap {
				m[hexKey(toks[i+1].s)] = utf16Text(toks[i+2].s)
				i += 2
			}
		case "beginbfrange":
			for i+3 < len(toks) && toks[i+1].kind == tokHex && toks[i+2].kind == tokHex && len(m) < maxCMap {
				lo, hi := toks[i+1].s, toks[i+2].s
				if len(lo) != len(hi) || len(lo) == 0 || len(lo) > 4 {
					i += 3
					continue
				}
				a, z := beUint(lo), beUint(hi)
				switch dst := toks[i+3]; {
				case dst.kind == tokHex && z >= a && z-a < 4096:
					base := []byte(dst.s)
					for c := a; c <= z && len(m) < maxCMap; c++ {
						u := append([]byte(nil), base...)
						if len(u) > 0 {
							u[len(u)-1] += byte(c - a) // the last byte counts up (ISO 32000-1 9.10.3)
						}
						m[codeKey(c, len(lo))] = utf16Text(string(u))
					}
					i += 3
				case dst.kind == tokArrayStart:
					j := i + 4
					for c := a; j < len(toks) && toks[j].kind == tokHex && c <= z && len(m) < maxCMap; c, j = c+1, j+1 {
						m[codeKey(c, len(lo))] = utf16Text(toks[j].s)
					}
					for j < len(toks) && toks[j].kind != tokArrayEnd {
						j++
					}
					i = j
				default:
					i += 3
				}
			}
		}
	}
}

func beUint(s string) uint32 {
	var n uint32
	for i := 0; i < len(s); i++ {
		n = n<<8 | uint32(s[i])
	}
	return n
}

func codeKey(c uint32, n int) string {
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = byte(c)
		c >>= 8
	}
	return hexKey(string(b))
}

func hexKey(s string) string { return strings.ToUpper(fmt.Sprintf("%x", s)) }

// utf16Text decodes a CMap destination (UTF-16BE).
func utf16Text(s string) string {
	if len(s)%2 != 0 {
		return s
	}
	u := make([]uint16, len(s)/2)
	for i := range u {
		u[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
	}
	return string(utf16.Decode(u))
}

// decode turns a shown string into text.
func (m cmap) decode(s string, w int) string {
	if w > 0 && len(s)%w == 0 {
		var sb strings.Builder
		hit := false
		for i := 0; i < len(s); i += w {
			if t, ok := m[hexKey(s[i:i+w])]; ok {
				sb.WriteString(t)
				hit = true
			}
		}
		if hit {
			return sb.String()
		}
	}
	// PDFDocEncoding agrees with Latin-1 for the characters that matter.
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// contentText writes the text shown by a content stream.
func contentText(sb *strings.Builder, b []byte, m cmap) {
	w := m.width()
	toks := tokens(b, 1<<22)
	var ops []token
	newline := func() {
		s := sb.String()
		if len(s) > 0 && s[len(s)-1] != '\n' {
			sb.WriteByte('\n')
		}
	}
	for _, t := range toks {
		if t.kind != tokOp {
			ops = append(ops, t)
			if len(ops) > 4096 {
				ops = ops[len(ops)-4096:]
			}
			continue
		}
		switch t.op {
		case "Tj", "'", "\"":
			if t.op != "Tj" {
				newline()
			}
			if n := len(ops); n > 0 && (ops[n-1].kind == tokStr || ops[n-1].kind == tokHex) {
				sb.WriteString(m.decode(ops[n-1].s, w))
			}
		case "TJ":
			start := -1
			for j := len(ops) - 1; j >= 0; j-- {
				if ops[j].kind == tokArrayStart {
					start = j
					break
				}
			}
			if start >= 0 {
				for _, e := range ops[start+1:] {
					switch e.kind {
					case tokStr, tokHex:
						sb.WriteString(m.decode(e.s, w))
					case tokNum:
						if f, err := strconv.ParseFloat(e.s, 64); err == nil && f < -250 {
							sb.WriteByte(' ')
						}
					}
				}
			}
		case "ET", "Td", "TD", "T*", "Tm":
			newline()
		}
		ops = ops[:0]
		if sb.Len() > MaxText {
			return
		}
	}
	newline()
}

type tokKind int

const (
	tokOp tokKind = iota
	tokStr
	tokHex
	tokNum
	tokName
	tokArrayStart
	tokArrayEnd
)

type token struct {
	kind tokKind
	s    string // decoded bytes of a string, the text of others
	op   string
}

// tokens splits PDF content into at most max tokens.
func tokens(b []byte, max int) []token {
	var out []token
	i := 0
	for i < len(b) && len(out) < max {
		c := b[i]
		switch {
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case isSpace(c):
			i++
		case c == '(':
			s, n := literal(b[i:])
			out = append(out, token{kind: tokStr, s: s})
			i += n
		case c == '<' && i+1 < len(b) && b[i+1] == '<':
			out = append(out, token{kind: tokOp, op: "<<"})
			i += 2
		case c == '>' && i+1 < len(b) && b[i+1] == '>':
			out = append(out, token{kind: tokOp, op: ">>"})
			i += 2
		case c == '<':
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				j = len(b) - i
			}
			out = append(out, token{kind: tokHex, s: hexString(b[i+1 : i+j])})
			i += j + 1
		case c == '[':
			out = append(out, token{kind: tokArrayStart})
			i++
		case c == ']':
			out = append(out, token{kind: tokArrayEnd})
			i++
		case c == '/':
			j := i + 1
			for j < len(b) && !isSpace(b[j]) && !isDelim(b[j]) {
				j++
			}
			out = append(out, token{kind: tokName, s: string(b[i+1 : j])})
			i = j
		default:
			j := i
			for j < len(b) && !isSpace(b[j]) && !isDelim(b[j]) {
				j++
			}
			if j == i {
				i++ // a stray delimiter: ) > { }
				continue
			}
			w := string(b[i:j])
			if (w[0] >= '0' && w[0] <= '9') || w[0] == '-' || w[0] == '+' || w[0] == '.' {
				out = append(out, token{kind: tokNum, s: w})
			} else {
				out = append(out, token{kind: tokOp, op: w})
			}
			i = j
		}
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return strings.IndexByte("()<>[]{}/%", c) >= 0
}

// literal reads a literal string starting at b[0] == '(' and returns its
// bytes and the length read.
func literal(b []byte) (string, int) {
	var out []byte
	depth := 0
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c == '(':
			if depth > 0 {
				out = append(out, c)
			}
			depth++
			i++
		case c == ')':
			depth--
			i++
			if depth == 0 {
				return string(out), i
			}
			out = append(out, c)
		case c == '\\' && i+1 < len(b):
			i++
			e := b[i]
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r', '\n':
				if e == '\r' && i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
			default:
				if e >= '0' && e <= '7' {
					n := 0
					k := 0
					for k < 3 && i < len(b) && b[i] >= '0' && b[i] <= '7' {
						n = n*8 + int(b[i]-'0')
						i++
						k++
					}
					out = append(out, byte(n))
					continue
				}
				out = append(out, e)
			}
			i++
		default:
			out = append(out, c)
			i++
		}
	}
	return string(out), i
}

func hexString(b []byte) string {
	var out []byte
	hi, have := byte(0), false
	for _, c := range b {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if have {
			out = append(out, hi<<4|v)
			have = false
		} else {
			hi, have = v, true
		}
	}
	if have {
		out = append(out, hi<<4)
	}
	return string(out)
}
