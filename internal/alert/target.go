package alert

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// ErrBadTarget is wrapped by every error of Validate: a target that cannot
// be used as it is written.
var ErrBadTarget = errors.New("bad alert target")

func badTarget(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadTarget}, args...)...)
}

// Validate reports what is wrong with a target before it is stored: a
// webhook needs an https:// URL (http:// only to a loopback address) and a
// secret; e-mail needs a mail server host:port, a sender and recipients.
func (t Target) Validate() error {
	if strings.TrimSpace(t.ID) == "" {
		return badTarget("it has no id")
	}
	if len(t.Name) > 200 {
		return badTarget("its name is longer than 200 characters")
	}
	switch t.Type {
	case Webhook:
		if _, err := webhookURL(t.URL); err != nil {
			return err
		}
		if t.Secret == "" {
			return badTarget("a webhook needs a secret to sign its deliveries with (X-Vigil-Signature)")
		}
		if t.SMTP != "" || t.From != "" || len(t.To) > 0 || t.Username != "" || t.Password != "" || t.CAFile != "" {
			return badTarget("a webhook takes url and secret; smtp, from, to, username, password and ca_file are for e-mail")
		}
	case Email:
		if _, _, err := smtpAddr(t.SMTP); err != nil {
			return err
		}
		if err := mailbox("from", t.From); err != nil {
			return err
		}
		if len(t.To) == 0 {
			return badTarget("an e-mail target needs at least one recipient (to)")
		}
		for _, to := range t.To {
			if err := mailbox("to", to); err != nil {
				return err
			}
		}
		if t.Password != "" && t.Username == "" {
			return badTarget("a password without a username: give both, or neither")
		}
		if strings.ContainsAny(t.Username+t.Password, "\x00\r\n") {
			return badTarget("the username or password holds a control character")
		}
		if t.URL != "" || t.Secret != "" {
			return badTarget("url and secret are for webhooks; an e-mail target takes smtp, from and to")
		}
	default:
		return badTarget("type %q: use webhook or email", t.Type)
	}
	return nil
}

// webhookURL parses a webhook's address: https://HOST…, or http:// to a
// loopback address (127.0.0.0/8, ::1, localhost) only, since anything else
// would carry the alert and its signature in cleartext over a network.
func webhookURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, badTarget("url %q is not an absolute http(s) URL", raw)
	}
	if u.User != nil {
		return nil, badTarget("url %s carries a user and password: put the credential in the secret instead", u.Redacted())
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !loopbackHost(u.Hostname()) {
			return nil, badTarget("url %s: plain http:// is allowed only to a loopback address (127.0.0.1, ::1, localhost); use https://", u.Redacted())
		}
	default:
		return nil, badTarget("url %s: the scheme must be https (or http to a loopback address)", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, badTarget("url %s: bad port %q", u.Redacted(), p)
		}
	}
	return u, nil
}

// loopbackHost reports whether a URL's host is a loopback address or
// "localhost".
func loopbackHost(h string) bool {
	if strings.EqualFold(strings.TrimSuffix(h, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// smtpAddr splits a mail server's host:port.
func smtpAddr(s string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(strings.TrimSpace(s))
	if err != nil || h == "" {
		return "", 0, badTarget("smtp %q: give the mail server as host:port, e.g. mail.example.org:587", s)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return "", 0, badTarget("smtp %q: bad port %q", s, p)
	}
	if strings.ContainsAny(h, "\x00\r\n /") {
		return "", 0, badTarget("smtp %q: bad host name", s)
	}
	return h, n, nil
}

// mailbox checks one address of a mail: a bare address, no display name.
func mailbox(field, s string) error {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return badTarget("%s %q is not an e-mail address (write it bare: alerts@example.org)", field, s)
	}
	return nil
}
