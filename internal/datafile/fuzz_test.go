package datafile

import (
	"testing"
	"unicode/utf8"
)

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\xef\xbb\xbfa;b\n\"x\"\"y\";2", "a\tb\n", "\"unterminated", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ReadCSV(b)
		if err != nil {
			return
		}
		for _, r := range recs {
			for _, c := range r {
				if !utf8.ValidString(c) {
					t.Fatalf("invalid UTF-8 cell %q", c)
				}
			}
		}
	})
}

func FuzzReadXLSX(f *testing.F) {
	f.Add(xlsxOf(f, []string{"a", "b"}, [][][3]string{{{"A1", "s", "0"}, {"B1", "s", "1"}}, {{"A2", "inlineStr", "x"}}}))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sheets, err := ReadXLSX(b)
		if err != nil {
			return
		}
		for _, s := range sheets {
			if len(s) > MaxRecords {
				t.Fatalf("%d records", len(s))
			}
			for _, r := range s {
				if len(r) > maxColumns {
					t.Fatalf("%d columns", len(r))
				}
			}
		}
	})
}

func FuzzPDFText(f *testing.F) {
	f.Add(gopdfWith(f, []string{"Ada Lovelace 123-45-6789"}))
	f.Add([]byte("%PDF-1.4\n1 0 obj\n<< /Length 10 >>\nstream\nBT (Raw) Tj [(a)-300<4142>] TJ ET\nendstream\nendobj\n"))
	f.Add([]byte("%PDF-1.4\n<< >>\nstream\n1 beginbfrange\n<0001><0003>[<0041><0042>]\n<0010><0012><00410042>\nendbfrange\n1 beginbfchar\n<05><263A>\nendbfchar\nendstream\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := PDFText(b)
		if err != nil {
			return
		}
		if len(s) > MaxText || !utf8.ValidString(s) {
			t.Fatalf("text of %d bytes, valid UTF-8 %v", len(s), utf8.ValidString(s))
		}
	})
}

func FuzzReadMessage(f *testing.F) {
	f.Add([]byte("From: a@b.org\r\nSubject: x\r\n\r\nbody\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--X--\r\n"))
	f.Add([]byte("From x\nFrom: a@b\n\nhi\n\nFrom y\nSubject: z\n\nthere\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if m, err := ReadMessage(b); err == nil && !utf8.ValidString(m.Text()) {
			t.Fatal("invalid UTF-8 text")
		}
		for _, m := range SplitMbox(b) {
			if m.Start < 0 || m.End > len(b) || m.Start > m.End {
				t.Fatalf("message at %d-%d of %d bytes", m.Start, m.End, len(b))
			}
		}
		if c, err := Extract(Mbox, b); err == nil && (len(c.Text) > MaxText || !utf8.ValidString(c.Text)) {
			t.Fatal("mbox text too long or invalid")
		}
	})
}
