package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/sanitize"
)

// Schema is the value of a webhook body's "schema" field.
const Schema = "vigil/alert/v1"

// sendTimeout bounds one delivery attempt: connecting, sending and reading
// the answer.
const sendTimeout = 10 * time.Second

// answerMax caps what is read of a webhook's answer, in bytes.
const answerMax = 4096

// Payload is the JSON body of a webhook delivery.
type Payload struct {
	Schema string    `json:"schema"`
	Event  Event     `json:"event"`
	Sent   time.Time `json:"sent"`
}

// permanentError is a failure that another attempt cannot mend: a refused
// target, a certificate that does not verify, an answer that says no.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error { return permanentError{err} }

// isPermanent reports whether err is not worth retrying.
func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// dialFunc opens connections; tests replace it to watch them.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// netDial is the dialer of deliveries: a connect timeout, nothing more.
func netDial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: sendTimeout}
	return d.DialContext(ctx, network, addr)
}

// loopbackOnly wraps a dialer so that it connects to loopback addresses
// only: a plain-http webhook named "localhost" must not reach anything
// else whatever the name resolves to.
func loopbackOnly(dial dialFunc) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, err := net.SplitHostPort(addr); err != nil || !loopbackHost(host) {
			return nil, permanent(fmt.Errorf("refusing to send an alert over plain http to %s, which is not a loopback address", addr))
		}
		if dial != nil {
			return dial(ctx, network, addr)
		}
		// The name may resolve anywhere: check the address connected to.
		d := net.Dialer{Timeout: sendTimeout, Control: loopbackControl}
		return d.DialContext(ctx, network, addr)
	}
}

// loopbackControl refuses, before it connects, a socket to an address
// that is not a loopback address.
func loopbackControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("refusing to send an alert over plain http to %s, which is not a loopback address", address)
	}
	return nil
}

// sendWebhook posts one event to a webhook target: a JSON body signed with
// the target's secret. It follows no redirect and takes any 2xx answer as
// delivered. roots verifies an https webhook's certificate (nil: the
// system's roots); dial, when not nil, replaces the network dialer (tests).
func sendWebhook(ctx context.Context, t Target, e Event, sent time.Time, dial dialFunc, roots *x509.CertPool) error {
	u, err := webhookURL(t.URL)
	if err != nil {
		return permanent(err)
	}
	body, err := json.Marshal(Payload{Schema: Schema, Event: e, Sent: sent.UTC()})
	if err != nil {
		return permanent(fmt.Errorf("cannot encode the alert: %w", err))
	}
	tr := &http.Transport{
		Proxy:                  nil, // alerts go where their target says, not through an environment proxy
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout:    sendTimeout,
		ResponseHeaderTimeout:  sendTimeout,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 16 << 10,
		ForceAttemptHTTP2:      true,
	}
	switch {
	case strings.EqualFold(u.Scheme, "http"):
		tr.DialContext = loopbackOnly(dial)
	case dial != nil:
		tr.DialContext = dial
	default:
		tr.DialContext = netDial
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: sendTimeout,
		CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			return permanent(fmt.Errorf("the webhook answered with a redirect to %s: vigil follows no redirect, give the final URL", req.URL.Redacted()))
		}}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("cannot make the request to %s: %w", u.Redacted(), err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-alert/1")
	req.Header.Set("X-Vigil-Signature", Sign(t.Secret, body))
	req.Header.Set("X-Vigil-Event", e.Kind)
	req.Header.Set("X-Vigil-Delivery", e.Key)
	resp, err := client.Do(req)
	if err != nil {
		var p permanentError
		if errors.As(err, &p) {
			return p
		}
		if certError(err) {
			return permanent(fmt.Errorf("webhook %s: its certificate does not verify: %w", u.Redacted(), err))
		}
		return fmt.Errorf("webhook %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, answerMax))
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	status := sanitize.String(resp.Status, 80)
	err = fmt.Errorf("webhook %s answered %s: %s", u.Redacted(), status, sanitize.Printable(bytes.TrimSpace(answer), 200))
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return permanent(fmt.Errorf("webhook %s answered %s (a redirect): vigil follows no redirect, give the final URL", u.Redacted(), status))
	}
	if resp.StatusCode >= 400 && resp.StatusCode <= 499 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanent(err)
	}
	return err
}

// certError reports whether err is a certificate that does not verify.
func certError(err error) bool {
	var ve *tls.CertificateVerificationError
	return errors.As(err, &ve)
}
