// Package alert decides what is worth telling (events: a new critical or
// high finding, a level that drops, a host that appears or disappears, a
// certificate or a risk acceptance about to end) and tells it, once per
// event, to the targets an administrator configured: a webhook (a JSON POST
// signed with HMAC-SHA256) or e-mail (SMTP with STARTTLS and a verified
// certificate, never cleartext).
//
// Alerts are the one thing vigil sends off the machine: nothing is sent
// until a target exists, and only to the targets its user named.
package alert

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"
)

// Event kinds.
const (
	KindFindingNew         = "finding.new"
	KindLevelDrop          = "level.drop"
	KindHostNew            = "host.new"
	KindHostGone           = "host.gone"
	KindCertExpiring       = "cert.expiring"
	KindAcceptanceExpiring = "acceptance.expiring"
	// KindDigest is one alert that carries many new events (Digest).
	KindDigest = "digest"
)

// Kinds lists the event kinds in the order events are reported.
var Kinds = []string{KindFindingNew, KindLevelDrop, KindHostNew, KindHostGone, KindCertExpiring, KindAcceptanceExpiring, KindDigest}

// Event is one thing worth telling. Its Key identifies it for ever: an
// event whose key was seen before is not told again.
type Event struct {
	// Key is the dedupe key: one alert per key ever, e.g.
	// "finding.new:<finding id>", "level.drop:<host>:<scan id>",
	// "host.new:<addr>", "host.gone:<addr>:<scan id>",
	// "cert.expiring:<host>:<port>:<sha256>",
	// "acceptance.expiring:<finding>:<until>".
	Key string `json:"key"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// Severity is critical or high for finding.new; for the other kinds
	// one of high, medium, low, info by what it means.
	Severity string `json:"severity"`
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	// Title is one line of plain text.
	Title string `json:"title"`
	// Detail says more, in plain text.
	Detail string `json:"detail,omitempty"`
	// Scan is the id of the scan that caused the event, if one did.
	Scan string    `json:"scan,omitempty"`
	Time time.Time `json:"time"`
	// Events are the events a digest carries, in full; empty for the
	// other kinds.
	Events []Event `json:"events,omitempty"`
	// ToldBy are the keys of events whose alerts say this one too (a new
	// finding says the level drop it causes): when one of them is new, this
	// event is recorded but not sent on its own. It is not stored.
	ToldBy []string `json:"-"`
}

// Target types.
const (
	Webhook = "webhook"
	Email   = "email"
)

// Target is where alerts go: a webhook or a list of e-mail recipients.
type Target struct {
	ID string `json:"id"`
	// Type is Webhook or Email.
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	// URL is the webhook's address: https://…, or http:// only to a
	// loopback address.
	URL string `json:"url,omitempty"`
	// Secret is the webhook's HMAC key. It is kept in the store only:
	// Public drops it.
	Secret string `json:"secret,omitempty"`
	// SMTP is the mail server, host:port. It must offer STARTTLS and
	// present a certificate that verifies for host.
	SMTP string `json:"smtp,omitempty"`
	// CAFile is a PEM file of extra roots to verify the mail server's
	// certificate with, beside the system's roots (optional).
	CAFile string `json:"ca_file,omitempty"`
	// Username and Password are for SMTP AUTH PLAIN, sent only after
	// STARTTLS (optional). Public drops Password.
	Username string    `json:"username,omitempty"`
	Password string    `json:"password,omitempty"`
	From     string    `json:"from,omitempty"`
	To       []string  `json:"to,omitempty"`
	Created  time.Time `json:"created"`
}

// Public returns a copy of t without its Secret and Password: what the API
// and the UI show.
func (t Target) Public() Target {
	t.Secret = ""
	t.Password = ""
	t.To = slices.Clone(t.To)
	return t
}

// Sign returns "sha256=" + hex(HMAC-SHA256(secret, body)): the value of
// the X-Vigil-Signature header of a webhook delivery.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is Sign(secret, body), in constant
// time: what a receiver of vigil's webhooks does.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// NewID returns a fresh random identifier for a target: 16 hex digits.
func NewID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Delivery is one attempt to deliver an event to a target.
type Delivery struct {
	// Event is the event's Key, Target the target's ID.
	Event  string `json:"event"`
	Target string `json:"target"`
	// Attempt counts from 1.
	Attempt int       `json:"attempt"`
	Time    time.Time `json:"time"`
	OK      bool      `json:"ok"`
	// Error says why the attempt failed; empty when it succeeded.
	Error string `json:"error,omitempty"`
}

// Clock is the time source of retries. schedule.Clock has the same
// methods, so its clocks (real and fake) serve here.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
