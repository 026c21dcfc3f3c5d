package datafile

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// maxParts caps the MIME parts read of one message, maxDepth their nesting.
const (
	maxParts = 64
	maxDepth = 5
)

// Message is an e-mail: its headers that name people, and its text.
type Message struct {
	Headers []string // "From: …", "To: …", "Cc: …", "Reply-To: …", "Subject: …"
	Body    string
}

// Text is the message's headers and body as one text.
func (m Message) Text() string {
	return strings.Join(m.Headers, "\n") + "\n\n" + m.Body
}

// ReadMessage parses an RFC 5322 message: the headers that name people and
// the text of its text/* parts (quoted-printable and base64 decoded, other
// parts skipped).
func ReadMessage(b []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		return Message{}, err
	}
	var m Message
	dec := new(mime.WordDecoder)
	for _, h := range []string{"From", "To", "Cc", "Reply-To", "Subject"} {
		if v := msg.Header.Get(h); v != "" {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			m.Headers = append(m.Headers, h+": "+strings.ToValidUTF8(v, "\uFFFD"))
		}
	}
	var sb strings.Builder
	parts := 0
	bodyText(&sb, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0, &parts)
	m.Body = strings.ToValidUTF8(sb.String(), "\uFFFD")
	return m, nil
}

func bodyText(sb *strings.Builder, ctype, cte string, body io.Reader, depth int, parts *int) {
	*parts++
	if *parts > maxParts || depth > maxDepth || sb.Len() > MaxText {
		return
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if ctype == "" || err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			bodyText(sb, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1, parts)
		}
	}
	if !strings.HasPrefix(mt, "text/") && mt != "message/rfc822" {
		return
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: bufio.NewReader(body)})
	}
	b, _ := io.ReadAll(io.LimitReader(r, int64(MaxText-sb.Len()+1)))
	if mt == "text/html" {
		b = stripTags(b)
	}
	sb.Write(b)
	sb.WriteByte('\n')
}

// newlineStripper drops CR and LF, which base64 bodies wrap with.
type newlineStripper struct{ r io.ByteReader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	i := 0
	for i < len(p) {
		c, err := n.r.ReadByte()
		if err != nil {
			return i, err
		}
		if c == '\r' || c == '\n' {
			continue
		}
		p[i] = c
		i++
	}
	return i, nil
}

// stripTags turns HTML into its text, roughly: tags become spaces.
func stripTags(b []byte) []byte {
	out := make([]byte, 0, len(b))
	in := false
	for _, c := range b {
		switch {
		case c == '<':
			in = true
		case c == '>' && in:
			in = false
			out = append(out, ' ')
		case !in:
			out = append(out, c)
		}
	}
	return out
}

// RawMessage is one message of an mbox and where it lies in the file.
type RawMessage struct {
	Start, End int // byte offsets of the message, its "From " line included
	Bytes      []byte
}

// SplitMbox splits an mbox (RFC 4155) into its messages: each starts with
// a line beginning "From " at the start of the file or after an empty
// line. The "From " line itself is dropped from Bytes, and ">From " lines
// are unquoted.
func SplitMbox(b []byte) []RawMessage {
	var starts []int
	for i := 0; i < len(b) && len(starts) < MaxMessages; {
		if bytes.HasPrefix(b[i:], []byte("From ")) && (i == 0 || (i >= 2 && b[i-1] == '\n' && (b[i-2] == '\n' || (i >= 3 && b[i-2] == '\r' && b[i-3] == '\n')))) {
			starts = append(starts, i)
		}
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	out := make([]RawMessage, 0, len(starts))
	for k, s := range starts {
		e := len(b)
		if k+1 < len(starts) {
			e = starts[k+1]
		}
		body := b[s:e]
		if j := bytes.IndexByte(body, '\n'); j >= 0 {
			body = body[j+1:]
		} else {
			body = nil
		}
		body = bytes.ReplaceAll(body, []byte("\n>From "), []byte("\nFrom "))
		out = append(out, RawMessage{Start: s, End: e, Bytes: body})
	}
	return out
}
