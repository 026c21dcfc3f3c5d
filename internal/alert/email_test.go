package alert

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// serverCert issues a server certificate for 127.0.0.1.
func (ca *testCA) serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"mail.test"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// file writes the CA's certificate to a PEM file.
func (ca *testCA) file(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// smtpServer is an SMTP server for tests: EHLO, STARTTLS (when offered),
// AUTH PLAIN or LOGIN (offered before TLS too, accepted only after),
// MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	ln       net.Listener
	cert     tls.Certificate
	offerTLS bool
	// auth is the one AUTH mechanism offered after TLS: "" for PLAIN,
	// "LOGIN", or another name the server does not implement.
	auth string

	mu sync.Mutex
	// rcpt answers each RCPT in turn; after the list, 250.
	rcpt     []int
	commands []string // as received, "tls " before those received over TLS
	mails    []smtpMail
	tlsErr   []error
	wg       sync.WaitGroup
}

type smtpMail struct {
	from string
	to   []string
	auth string // the decoded AUTH PLAIN response
	data []byte
}

func startSMTP(t *testing.T, cert tls.Certificate, offerTLS bool) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln, cert: cert, offerTLS: offerTLS}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) authMechs() string {
	if s.auth == "" {
		return "PLAIN"
	}
	return s.auth
}

func (s *smtpServer) addr() string { return s.ln.Addr().String() }

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	tp := textproto.NewConn(conn)
	secure := false
	var m smtpMail
	_ = tp.PrintfLine("220 mail.test ESMTP test")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.commands = append(s.commands, map[bool]string{true: "tls ", false: ""}[secure]+line)
		s.mu.Unlock()
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"mail.test"}
			if s.offerTLS && !secure {
				ext = append(ext, "STARTTLS")
			}
			// AUTH is offered before TLS too, as careless servers do:
			// vigil must not take it.
			ext = append(ext, "AUTH "+s.authMechs())
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			if !s.offerTLS || secure {
				_ = tp.PrintfLine("502 no")
				continue
			}
			_ = tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{s.cert}})
			if err := tc.Handshake(); err != nil {
				s.mu.Lock()
				s.tlsErr = append(s.tlsErr, err)
				s.mu.Unlock()
				return
			}
			conn, tp, secure = tc, textproto.NewConn(tc), true
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if secure && mech == "LOGIN" && s.auth == "LOGIN" {
				var got []string
				for _, prompt := range []string{"Username:", "Password:"} {
					_ = tp.PrintfLine("334 %s", base64.StdEncoding.EncodeToString([]byte(prompt)))
					l, err := tp.ReadLine()
					if err != nil {
						return
					}
					dec, _ := base64.StdEncoding.DecodeString(l)
					got = append(got, string(dec))
				}
				m.auth = "LOGIN " + strings.Join(got, " ")
				_ = tp.PrintfLine("235 ok")
				continue
			}
			dec, err := base64.StdEncoding.DecodeString(resp)
			if !secure || mech != "PLAIN" || err != nil {
				_ = tp.PrintfLine("535 no")
				continue
			}
			m.auth = string(dec)
			_ = tp.PrintfLine("235 ok")
		case "MAIL":
			from, _, _ := strings.Cut(arg, ">")
			_, m.from, _ = strings.Cut(from, "<")
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			s.mu.Lock()
			code := 250
			if len(s.rcpt) > 0 {
				code, s.rcpt = s.rcpt[0], s.rcpt[1:]
			}
			s.mu.Unlock()
			if code != 250 {
				_ = tp.PrintfLine("%d no", code)
				continue
			}
			m.to = append(m.to, strings.Trim(arg[3:], "<>"))
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go on")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = data
			s.mu.Lock()
			s.mails = append(s.mails, m)
			s.mu.Unlock()
			m = smtpMail{auth: m.auth}
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("500 what")
		}
	}
}

func (s *smtpServer) seen() ([]string, []smtpMail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...), append([]smtpMail(nil), s.mails...)
}

func mailTarget(smtp, caFile string) Target {
	return Target{ID: "mail1", Type: Email, Name: "admins", SMTP: smtp, CAFile: caFile, Username: "vigil", Password: "pw-of-vigil",
		From: "vigil@clinic.test", To: []string{"admin@clinic.test", "boss@clinic.test"}}
}

func TestEmailDelivered(t *testing.T) {
	ca := newTestCA(t, "Test mail CA")
	srv := startSMTP(t, ca.serverCert(t), true)
	st := newMemStore(mailTarget(srv.addr(), ca.file(t)))
	d := NewDispatcher(st, nil, nil)
	d.Notify(t.Context(), []Event{testEvent})
	d.Wait()

	commands, mails := srv.seen()
	if len(mails) != 1 {
		t.Fatalf("the server received %d mails, want 1; commands %q; deliveries %+v", len(mails), commands, st.Deliveries())
	}
	for _, c := range commands {
		if v, _, _ := strings.Cut(c, " "); v != "EHLO" && v != "STARTTLS" && v != "tls" {
			t.Errorf("command %q was sent before TLS", c)
		}
	}
	m := mails[0]
	if m.from != "vigil@clinic.test" || strings.Join(m.to, ",") != "admin@clinic.test,boss@clinic.test" || m.auth != "\x00vigil\x00pw-of-vigil" {
		t.Errorf("envelope from %q to %q auth %q", m.from, m.to, m.auth)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.data))
	if err != nil {
		t.Fatalf("the mail does not parse: %v\n%s", err, m.data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !strings.Contains(subject, KindFindingNew) || !strings.Contains(subject, testEvent.Title) {
		t.Errorf("subject %q (%v), want the event's kind and title", subject, err)
	}
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q, want plain text", ct)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil || !strings.Contains(string(body), testEvent.Title) || !strings.Contains(string(body), testEvent.Detail) || !strings.Contains(string(body), "127.0.2.9") {
		t.Errorf("body (%v):\n%s", err, body)
	}
	ds := st.Deliveries()
	if len(ds) != 1 || !ds[0].OK || ds[0].Target != "mail1" {
		t.Errorf("deliveries %+v, want one successful attempt", ds)
	}
}

func TestEmailRefusals(t *testing.T) {
	ca := newTestCA(t, "Test mail CA")
	other := newTestCA(t, "Another CA")
	tests := []struct {
		name     string
		cert     tls.Certificate
		offerTLS bool
		caFile   string
		host     string // the SMTP host to name instead of 127.0.0.1
		want     string
	}{
		{"no STARTTLS offered", ca.serverCert(t), false, ca.file(t), "", "does not offer STARTTLS"},
		{"a certificate from an unknown CA", other.serverCert(t), true, ca.file(t), "", "certificate"},
		{"a certificate for another name", ca.serverCert(t), true, ca.file(t), "localhost", "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.cert, tt.offerTLS)
			target := mailTarget(srv.addr(), tt.caFile)
			if tt.host != "" {
				_, port, _ := net.SplitHostPort(srv.addr())
				target.SMTP = net.JoinHostPort(tt.host, port)
			}
			st := newMemStore(target)
			clock := newFakeClock(testEvent.Time)
			d := NewDispatcher(st, clock, nil)
			d.Notify(t.Context(), []Event{testEvent})
			settle(t, d, clock)
			commands, mails := srv.seen()
			if len(mails) != 0 {
				t.Errorf("%d mails sent", len(mails))
			}
			for _, c := range commands {
				if v, _, _ := strings.Cut(c, " "); v != "EHLO" && v != "STARTTLS" && v != "QUIT" {
					t.Errorf("command %q sent to a server vigil should refuse", c)
				}
			}
			ds := st.Deliveries()
			if len(ds) != 1 || ds[0].OK || !strings.Contains(ds[0].Error, tt.want) || !strings.Contains(ds[0].Error, "nothing was sent") {
				t.Errorf("deliveries %+v, want one failed attempt saying %q and that nothing was sent", ds, tt.want)
			}
		})
	}
}

func TestMessageHeaders(t *testing.T) {
	e := testEvent
	e.Title = "Évènement\r\nBcc: victim@example.org"
	msg, err := message(mailTarget("mail.test:587", ""), e, testEvent.Time)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
	if !ok {
		t.Fatalf("no end of headers in %q", msg)
	}
	names := []string{}
	for _, l := range strings.Split(string(head), "\r\n") {
		if strings.HasPrefix(l, " ") {
			continue // a folded line
		}
		name, _, _ := strings.Cut(l, ":")
		names = append(names, name)
	}
	want := "From To Subject Date Message-ID MIME-Version Content-Type Content-Transfer-Encoding X-Vigil-Event Auto-Submitted"
	if strings.Join(names, " ") != want {
		t.Errorf("header lines %q, want %s", names, want)
	}
	if bytes.Contains(bytes.ReplaceAll(msg, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("a bare LF in the message")
	}
	for _, l := range bytes.Split(msg, []byte("\r\n")) {
		if len(l) > 998 {
			t.Errorf("a line of %d bytes", len(l))
		}
	}
}

func FuzzMessage(f *testing.F) {
	f.Add("New critical finding", "detail", "finding.new:1", "vigil")
	f.Add("a\r\nBcc: x@y", "\x00\xff", "k\r\n", "n\n")
	f.Add(strings.Repeat("é", 2000), strings.Repeat("x", 5000), "k", "")
	f.Fuzz(func(t *testing.T, title, detail, key, name string) {
		e := Event{Key: key, Kind: KindHostNew, Title: title, Detail: detail, Time: testEvent.Time}
		tg := mailTarget("mail.test:587", "")
		tg.Name = name
		msg, err := message(tg, e, testEvent.Time)
		if err != nil {
			return
		}
		head, _, ok := bytes.Cut(msg, []byte("\r\n\r\n"))
		lines := 0
		for _, l := range bytes.Split(head, []byte("\r\n")) {
			if len(l) == 0 || l[0] != ' ' {
				lines++
			}
		}
		if !ok || lines != 10 || bytes.Count(head, []byte("\n")) != bytes.Count(head, []byte("\r\n")) {
			t.Fatalf("headers are not the ten fields: %q", head)
		}
		for _, l := range bytes.Split(msg, []byte("\r\n")) {
			if len(l) > 998 {
				t.Fatalf("a line of %d bytes", len(l))
			}
		}
	})
}

func TestEmailReplies(t *testing.T) {
	ca := newTestCA(t, "Test mail CA")
	tests := []struct {
		name     string
		rcpt     []int
		attempts int
		ok       bool
	}{
		{"a 5xx refusal is not retried", []int{550}, 1, false},
		{"a 4xx is retried", []int{451}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, ca.serverCert(t), true)
			srv.rcpt = tt.rcpt
			target := mailTarget(srv.addr(), ca.file(t))
			target.To = target.To[:1]
			st := newMemStore(target)
			clock := newFakeClock(testEvent.Time)
			d := NewDispatcher(st, clock, nil)
			d.Notify(t.Context(), []Event{testEvent})
			for range tt.attempts - 1 {
				clock.Advance(clock.nextWait(t))
			}
			settle(t, d, clock)
			ds := st.Deliveries()
			_, mails := srv.seen()
			if len(ds) != tt.attempts || ds[len(ds)-1].OK != tt.ok || len(mails) != map[bool]int{true: 1}[tt.ok] {
				t.Errorf("deliveries %+v, %d mails; want %d attempts, the last ok %v", ds, len(mails), tt.attempts, tt.ok)
			}
			if !strings.Contains(ds[0].Error, "refused the recipient admin@clinic.test") {
				t.Errorf("first attempt's error %q", ds[0].Error)
			}
		})
	}
}

func TestEmailImplicitTLSPort(t *testing.T) {
	st := newMemStore(mailTarget("mail.test:465", ""))
	clock := newFakeClock(testEvent.Time)
	d := NewDispatcher(st, clock, nil)
	d.dial = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		server.Close() // as a TLS-first server looks to SMTP: no greeting
		return client, nil
	}
	d.Notify(t.Context(), []Event{testEvent})
	settle(t, d, clock)
	if ds := st.Deliveries(); len(ds) != 1 || !strings.Contains(ds[0].Error, "587") {
		t.Errorf("deliveries %+v, want one failure pointing at port 587", ds)
	}
}

func TestEmailAuthMechanisms(t *testing.T) {
	ca := newTestCA(t, "Test mail CA")
	tests := []struct {
		mech     string
		wantAuth string
		wantErr  string
	}{
		{"", "\x00vigil\x00pw-of-vigil", ""},
		{"LOGIN", "LOGIN vigil pw-of-vigil", ""},
		{"XOAUTH2", "", "vigil logs in with PLAIN or LOGIN"},
	}
	for _, tt := range tests {
		t.Run("AUTH "+tt.mech, func(t *testing.T) {
			srv := startSMTP(t, ca.serverCert(t), true)
			srv.auth = tt.mech
			st := newMemStore(mailTarget(srv.addr(), ca.file(t)))
			clock := newFakeClock(testEvent.Time)
			d := NewDispatcher(st, clock, nil)
			d.Notify(t.Context(), []Event{testEvent})
			settle(t, d, clock)
			_, mails := srv.seen()
			ds := st.Deliveries()
			if tt.wantErr != "" {
				if len(mails) != 0 || len(ds) != 1 || !strings.Contains(ds[0].Error, tt.wantErr) {
					t.Errorf("%d mails, deliveries %+v; want none sent and an error saying %q", len(mails), ds, tt.wantErr)
				}
				return
			}
			if len(mails) != 1 || mails[0].auth != tt.wantAuth {
				t.Errorf("mails %+v, want one after AUTH %q", mails, tt.wantAuth)
			}
		})
	}
}

func TestMailRoots(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "Test mail CA")
	notPEM := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(notPEM, []byte("root:$6$secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), caFileMax+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		want string // "" for success
	}{
		{"", ""},
		{ca.file(t), ""},
		{filepath.Join(dir, "missing.pem"), "cannot read"},
		{dir, "not a regular file"},
		{"/dev/zero", "not a regular file"},
		{notPEM, "holds no PEM certificate"},
		{big, "larger than"},
	}
	for _, tt := range tests {
		_, err := mailRoots(tt.file)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("mailRoots(%q) = %v, want %q", tt.file, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "$6$") {
			t.Errorf("mailRoots(%q) shows the file: %v", tt.file, err)
		}
	}
}
