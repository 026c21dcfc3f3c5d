package alert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/sanitize"
)

// mailTimeout bounds one e-mail delivery from connecting to QUIT.
const mailTimeout = 30 * time.Second

// caFileMax caps the size of a CAFile, in bytes.
const caFileMax = 1 << 20

// ErrNoStartTLS means a mail server did not offer STARTTLS: vigil sends no
// alert in cleartext, so nothing was sent.
var ErrNoStartTLS = errors.New("the mail server does not offer STARTTLS")

// mailRoots returns the roots that verify a mail server: the system's and
// those of caFile.
func mailRoots(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	// A named pipe or a device would block or never end: regular files only.
	if fi, err := os.Stat(caFile); err != nil {
		return nil, fmt.Errorf("cannot read the mail server's CA file: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the mail server's CA file %s is not a regular file", caFile)
	}
	fh, err := os.Open(caFile)
	if err != nil {
		return nil, fmt.Errorf("cannot read the mail server's CA file: %w", err)
	}
	defer fh.Close()
	if fi, err := fh.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the mail server's CA file %s is not a regular file", caFile)
	}
	pem, err := io.ReadAll(io.LimitReader(fh, caFileMax+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the mail server's CA file %s: %w", caFile, err)
	}
	if len(pem) > caFileMax {
		return nil, fmt.Errorf("the mail server's CA file %s is larger than %d bytes", caFile, caFileMax)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the mail server's CA file %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// sendMail mails one event to an e-mail target over SMTP. It refuses to
// go on when the server does not offer STARTTLS or its certificate does not
// verify for the server's host name (system roots and the target's
// CAFile); it authenticates, when the target has a username, only after
// TLS. Nothing of the message is sent before TLS is up. dial, when not nil,
// replaces the network dialer (tests).
func sendMail(ctx context.Context, t Target, e Event, sent time.Time, dial dialFunc) error {
	host, port, err := smtpAddr(t.SMTP)
	if err != nil {
		return permanent(err)
	}
	roots, err := mailRoots(t.CAFile)
	if err != nil {
		return permanent(err)
	}
	msg, err := message(t, e, sent)
	if err != nil {
		return permanent(err)
	}
	if dial == nil {
		dial = netDial
	}
	ctx, cancel := context.WithTimeout(ctx, mailTimeout)
	defer cancel()
	conn, err := dial(ctx, "tcp", strings.TrimSpace(t.SMTP))
	if err != nil {
		return fmt.Errorf("cannot reach the mail server %s: %w", t.SMTP, err)
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		if port == 465 {
			return permanent(fmt.Errorf("mail server %s sent no SMTP greeting: port 465 speaks TLS from the first byte, and vigil uses STARTTLS: give the submission port, usually 587: %w", t.SMTP, err))
		}
		return smtpFailure(fmt.Errorf("mail server %s: %w", t.SMTP, err))
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return smtpFailure(fmt.Errorf("mail server %s refused EHLO: %w", t.SMTP, err))
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		_ = c.Quit()
		return permanent(fmt.Errorf("%w: %s offers no way to encrypt the connection, and vigil sends no alert in cleartext, so nothing was sent; enable STARTTLS on the server", ErrNoStartTLS, t.SMTP))
	}
	if err := c.StartTLS(&tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}); err != nil {
		if certError(err) {
			return permanent(fmt.Errorf("mail server %s: its certificate does not verify for %s, so nothing was sent (give its CA with ca_file): %w", t.SMTP, host, err))
		}
		return fmt.Errorf("mail server %s: STARTTLS failed, nothing was sent: %w", t.SMTP, err)
	}
	if st, ok := c.TLSConnectionState(); !ok || !st.HandshakeComplete {
		return permanent(fmt.Errorf("mail server %s: the connection is not encrypted, nothing was sent", t.SMTP))
	}
	if t.Username != "" {
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return permanent(fmt.Errorf("mail server %s offers no AUTH after STARTTLS, but the target has a username", t.SMTP))
		}
		var auth smtp.Auth
		switch offered := strings.Fields(strings.ToUpper(mechs)); {
		case slices.Contains(offered, "PLAIN"):
			auth = smtp.PlainAuth("", t.Username, t.Password, host)
		case slices.Contains(offered, "LOGIN"):
			auth = loginAuth{t.Username, t.Password}
		default:
			return permanent(fmt.Errorf("mail server %s offers AUTH %s; vigil logs in with PLAIN or LOGIN", t.SMTP, sanitize.String(mechs, 100)))
		}
		if err := c.Auth(auth); err != nil {
			return permanent(fmt.Errorf("mail server %s refused the login of %s: %w", t.SMTP, t.Username, err))
		}
	}
	if err := c.Mail(t.From); err != nil {
		return smtpFailure(fmt.Errorf("mail server %s refused the sender %s: %w", t.SMTP, t.From, err))
	}
	for _, to := range t.To {
		if err := c.Rcpt(to); err != nil {
			return smtpFailure(fmt.Errorf("mail server %s refused the recipient %s: %w", t.SMTP, to, err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpFailure(fmt.Errorf("mail server %s refused the message: %w", t.SMTP, err))
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail server %s: cannot send the message: %w", t.SMTP, err)
	}
	if err := w.Close(); err != nil {
		return smtpFailure(fmt.Errorf("mail server %s did not accept the message: %w", t.SMTP, err))
	}
	_ = c.Quit() // the message is accepted; a failed goodbye changes nothing
	return nil
}

// loginAuth is SMTP AUTH LOGIN: the username and the password, each in
// answer to the server's prompt. sendMail uses it only over TLS.
type loginAuth struct{ user, pass string }

func (a loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a loginAuth) Next(prompt []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch p := strings.ToLower(strings.TrimSpace(string(prompt))); {
	case strings.HasPrefix(p, "username"), strings.HasPrefix(p, "user name"):
		return []byte(a.user), nil
	case strings.HasPrefix(p, "password"):
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN prompt %q", sanitize.String(string(prompt), 80))
}

// smtpFailure marks an SMTP failure as permanent when the server answered
// with a 5xx reply (a refusal another attempt would meet again); a 4xx
// reply or a broken connection is worth a retry.
func smtpFailure(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent(err)
	}
	return err
}

// helloName is the name vigil gives in EHLO: this machine's host name when
// it is a plain DNS name, else "localhost".
func helloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || len(h) > 253 || strings.Trim(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != "" {
		return "localhost"
	}
	return h
}

// Subject returns the subject line of an event's mail.
func Subject(e Event) string {
	return plain("[vigil] " + e.Kind + ": " + cut(e.Title, 160))
}

// message renders an event as a plain-text mail, with CRLF line ends and a
// quoted-printable body.
func message(t Target, e Event, sent time.Time) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name + ": " + value + "\r\n")
	}
	sum := sha256.Sum256([]byte(e.Key + "\x00" + t.ID))
	header("From", t.From)
	header("To", strings.Join(t.To, ",\r\n "))
	// Long subjects are several encoded words: one a line, folded.
	header("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", Subject(e)), "?= =?", "?=\r\n =?"))
	header("Date", sent.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(sum[:16])+"@vigil.invalid>")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("X-Vigil-Event", e.Kind)
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	if strings.ContainsAny(b.String(), "\x00") || strings.Count(b.String(), "\n") != strings.Count(b.String(), "\r\n") {
		return nil, errors.New("the mail's headers hold a control character")
	}

	var body strings.Builder
	line := func(label, value string) {
		if value != "" {
			body.WriteString(label + ": " + value + "\n")
		}
	}
	body.WriteString(plain(e.Title) + "\n\n")
	line("Event", e.Kind)
	line("Severity", e.Severity)
	line("Host", e.Host)
	if e.Port != 0 {
		line("Port", fmt.Sprint(e.Port))
	}
	line("Scan", e.Scan)
	line("Time", e.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	switch {
	case len(e.Events) > 0:
		body.WriteString("\n")
		for _, x := range e.Events {
			body.WriteString("- [" + x.Severity + "] " + plain(x.Title) + "\n")
		}
	case e.Detail != "":
		body.WriteString("\n" + e.Detail + "\n")
	}
	body.WriteString("\n-- \nSent by vigil to the alert target " + cut(t.Name, 80) + " (" + t.ID + "). Event key: " + e.Key + "\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

// cut shortens s to at most n runes, marking a cut with "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
