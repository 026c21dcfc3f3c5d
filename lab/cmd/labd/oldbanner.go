package main

// old-banner plays servers of old, known-vulnerable versions for vigil's
// known-vulnerability check (vuln.known): each announces its product and
// version the way the real server does, and answers the few commands a
// scanner sends before logging in, from the protocol's specification and
// the product's own replies:
//
//   - apache: Apache httpd 2.4.49 over HTTP/1.1 (RFC 9112), "Server:
//     Apache/2.4.49 (Unix)", the stock "It works!" page, Apache's error pages;
//   - nginx: nginx 1.16.1 over HTTP/1.1, the stock "Welcome to nginx!" page;
//   - exim: Exim 4.91 over SMTP (RFC 5321), "220 HOST ESMTP Exim 4.91 DATE",
//     EHLO without STARTTLS, no relaying;
//   - vsftpd: vsftpd 2.3.4 over FTP (RFC 959), "220 (vsFTPd 2.3.4)",
//     anonymous login disabled, every login refused;
//   - proftpd: ProFTPD 1.3.5 over FTP, "220 ProFTPD 1.3.5 Server (ProFTPD
//     Default Installation) [ADDR]", every login refused;
//   - memcached: memcached 1.4.31, text protocol: version, stats, get;
//   - redis: Redis 5.0.5, RESP2 and inline commands: PING, ECHO, INFO, AUTH,
//     GET, QUIT;
//   - dnsmasq: dnsmasq 2.77 over DNS (RFC 1035), UDP and TCP on the same
//     address: version.bind CHAOS TXT, REFUSED for everything else.
//
// None implements a vulnerability, a login, storage or file access: they
// look old, nothing more. Every read has a deadline and a size cap.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// oldProduct is one server old-banner plays.
type oldProduct struct {
	// Product and Version are what identification must report.
	Product, Version string
	// UDP is true when the server also answers on UDP (DNS).
	UDP bool
}

// oldProducts are the servers old-banner plays, by the name -product takes.
var oldProducts = map[string]oldProduct{
	"apache":    {Product: "Apache httpd", Version: "2.4.49"},
	"nginx":     {Product: "nginx", Version: "1.16.1"},
	"exim":      {Product: "Exim", Version: "4.91"},
	"vsftpd":    {Product: "vsftpd", Version: "2.3.4"},
	"proftpd":   {Product: "ProFTPD", Version: "1.3.5"},
	"memcached": {Product: "memcached", Version: "1.4.31"},
	"redis":     {Product: "Redis", Version: "5.0.5"},
	"dnsmasq":   {Product: "dnsmasq", Version: "2.77", UDP: true},
}

// oldProductNames lists the names -product takes, sorted.
func oldProductNames() string {
	var names []string
	for n := range oldProducts {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Limits of the old-banner servers.
const (
	oldMaxConns   = 64
	oldLifetime   = 5 * time.Minute  // one connection, at most
	oldIdle       = 60 * time.Second // waiting for the client's next command
	oldWriteLimit = 10 * time.Second // one reply
	oldLineCap    = 4096             // one FTP or SMTP command line
)

// oldHandler returns the connection handler of the named server.
func oldHandler(name string) (handler, error) {
	switch name {
	case "apache":
		return apacheHTTP.serve, nil
	case "nginx":
		return nginxHTTP.serve, nil
	case "exim":
		return eximSMTP, nil
	case "vsftpd":
		return vsftpdFTP, nil
	case "proftpd":
		return proftpdFTP, nil
	case "memcached":
		return memcachedText, nil
	case "redis":
		return newRedisServer().serve, nil
	case "dnsmasq":
		return dnsTCP, nil
	}
	return nil, fmt.Errorf("old-banner: unknown -product %q (one of %s)", name, oldProductNames())
}

// serveOldBanner runs the named server on addr (TCP, and UDP for a
// server that speaks it too) until ctx ends.
func serveOldBanner(ctx context.Context, log *slog.Logger, name, addr string) error {
	p, ok := oldProducts[name]
	if !ok {
		return fmt.Errorf("old-banner: unknown -product %q (one of %s)", name, oldProductNames())
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	var pc net.PacketConn
	if p.UDP {
		if pc, err = lc.ListenPacket(ctx, "udp", addr); err != nil {
			ln.Close()
			return err
		}
	}
	return runOldBanner(ctx, log, name, ln, pc)
}

// runOldBanner serves the named server on ln, and on pc when it also
// speaks UDP, until ctx ends; it closes both.
func runOldBanner(ctx context.Context, log *slog.Logger, name string, ln net.Listener, pc net.PacketConn) error {
	h, err := oldHandler(name)
	if err != nil {
		ln.Close()
		if pc != nil {
			pc.Close()
		}
		return err
	}
	p := oldProducts[name]
	log = log.With("product", p.Product, "version", p.Version)
	log.Info("listening")
	if !p.UDP || pc == nil {
		if pc != nil {
			pc.Close()
		}
		return acceptLoop(ctx, log, ln, oldMaxConns, oldLifetime, h)
	}
	// TCP and UDP on the same address: when one fails, both stop.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() {
		errs[0] = acceptLoop(ctx, log, ln, oldMaxConns, oldLifetime, h)
		cancel()
	})
	wg.Go(func() {
		errs[1] = serveDatagrams(ctx, log, pc, dnsmasqAnswer)
		cancel()
	})
	wg.Wait()
	return errors.Join(errs...)
}

// send writes s within oldWriteLimit.
func send(c net.Conn, s string) error {
	if err := c.SetWriteDeadline(time.Now().Add(oldWriteLimit)); err != nil {
		return err
	}
	_, err := c.Write([]byte(s))
	return err
}

// errLineTooLong is what lineReader.next returns for a line over its cap.
var errLineTooLong = errors.New("line too long")

// lineReader reads command lines ended by LF (CR LF or a bare LF).
type lineReader struct {
	c net.Conn
	r *bufio.Reader
}

// newLineReader reads lines of at most max bytes, line end included.
func newLineReader(c net.Conn, max int) *lineReader {
	return &lineReader{c: c, r: bufio.NewReaderSize(c, max)}
}

// next returns the next line without its line end, waiting at most idle.
func (l *lineReader) next(idle time.Duration) (string, error) {
	if err := l.c.SetReadDeadline(time.Now().Add(idle)); err != nil {
		return "", err
	}
	b, err := l.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// printableArg makes a client's word safe to echo: printable ASCII only,
// at most max bytes.
func printableArg(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// command splits a command line into its upper-case verb and its argument.
func command(line string) (verb, arg string) {
	verb, arg, _ = strings.Cut(strings.TrimLeft(line, " "), " ")
	return strings.ToUpper(verb), arg
}

// localIP and remoteIP are the addresses of c's ends, without ports.
func localIP(c net.Conn) string  { return hostOf(c.LocalAddr()) }
func remoteIP(c net.Conn) string { return hostOf(c.RemoteAddr()) }

func hostOf(a net.Addr) string {
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}

// ---------------------------------------------------------------- HTTP

// httpServer is one web server's look: its headers, default page and
// error pages.
type httpServer struct {
	// server is the Server header.
	server string
	// nginxOrder puts Server before Date and the validators after the
	// length, as nginx does; Apache sends Date, Server, then the rest.
	nginxOrder bool
	// index is the default page served at / and /index.html.
	index []byte
	// modified is the default page's modification time.
	modified time.Time
	// etag is the default page's ETag.
	etag string
	// errorPage is the body of an error answer.
	errorPage func(status int, method, reason string) []byte
	// errorType is the Content-Type of error pages.
	errorType string
	// allow is the Allow header of a 405 answer, or "".
	allow string
	// unknownMethod is the status for a method the server does not know.
	unknownMethod int
}

// httpReasons are the reason phrases of the statuses sent here.
var httpReasons = map[int]string{
	200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
	408: "Request Timeout", 501: "Not Implemented", 505: "HTTP Version Not Supported",
}

// knownMethods are the methods of RFC 9110 and RFC 5789.
var knownMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// apacheIndex is Apache httpd's stock htdocs/index.html.
const apacheIndex = "<html><body><h1>It works!</h1></body></html>\n"

var apacheHTTP = &httpServer{
	server: "Apache/2.4.49 (Unix)",
	index:  []byte(apacheIndex),
	// The stock page's date: ETag "size-mtime in microseconds".
	modified:      time.Date(2007, 6, 11, 18, 53, 14, 0, time.UTC),
	etag:          `"2d-432a5e4a73a80"`,
	errorType:     "text/html; charset=iso-8859-1",
	allow:         "GET,POST,OPTIONS,HEAD",
	unknownMethod: 501,
	errorPage: func(status int, method, reason string) []byte {
		var msg string
		switch status {
		case 400:
			msg = "<p>Your browser sent a request that this server could not understand.<br />\n</p>\n"
		case 404:
			msg = "<p>The requested URL was not found on this server.</p>\n"
		case 405:
			msg = "<p>The requested method " + method + " is not allowed for this URL.</p>\n"
		case 501:
			msg = "<p>" + method + " not supported for current URL.<br />\n</p>\n"
		default:
			msg = "<p>" + reason + "</p>\n"
		}
		return fmt.Appendf(nil, "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n"+
			"<title>%d %s</title>\n</head><body>\n<h1>%s</h1>\n%s</body></html>\n", status, reason, reason, msg)
	},
}

// nginxIndex is nginx 1.16's stock html/index.html.
const nginxIndex = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`

// nginxModified is when nginx 1.16.1 was released (its page's date).
var nginxModified = time.Date(2019, 8, 13, 15, 4, 31, 0, time.UTC)

var nginxHTTP = &httpServer{
	server:     "nginx/1.16.1",
	nginxOrder: true,
	index:      []byte(nginxIndex),
	modified:   nginxModified,
	// nginx's ETag: "mtime-size" in hexadecimal.
	etag:          fmt.Sprintf(`"%x-%x"`, nginxModified.Unix(), len(nginxIndex)),
	errorType:     "text/html",
	unknownMethod: 405,
	errorPage: func(status int, _, reason string) []byte {
		if status == 405 {
			reason = "Not Allowed"
		}
		return fmt.Appendf(nil, "<html>\r\n<head><title>%d %s</title></head>\r\n<body bgcolor=\"white\">\r\n"+
			"<center><h1>%d %s</h1></center>\r\n<hr><center>nginx/1.16.1</center>\r\n</body>\r\n</html>\r\n",
			status, reason, status, reason)
	},
}

// httpRequest is the part of a request the servers look at.
type httpRequest struct {
	method, target, proto string
}

// httpHeadCap caps a request's line and header fields.
const httpHeadCap = 8 << 10

// isTokenChar reports whether c may appear in a method (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !strings.ContainsRune(`"(),/:;<=>?@[\]{}`, rune(c))
}

// readHTTPRequest reads a request head. status is 0 for a request to
// answer normally, else the error status to answer with; err is set when
// nothing should be answered (the client went away or stayed silent).
func readHTTPRequest(c net.Conn) (r httpRequest, status int, err error) {
	if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return r, 0, err
	}
	buf := make([]byte, 0, httpHeadCap)
	chunk := make([]byte, 2048)
	for {
		n, rerr := c.Read(chunk)
		buf = append(buf, chunk[:n]...)
		// Leading empty lines are ignored (RFC 9112 section 2.2); the
		// method must be a token: bytes that cannot start a request (a
		// TLS ClientHello, say) are answered at once.
		start := bytes.TrimLeft(buf, "\r\n")
		for i, ch := range start {
			if ch == ' ' && i > 0 {
				break
			}
			if !isTokenChar(ch) {
				return r, 400, nil
			}
		}
		end := bytes.Index(buf, []byte("\r\n\r\n"))
		if e := bytes.Index(buf, []byte("\n\n")); e >= 0 && (end < 0 || e < end) {
			end = e
		}
		if end >= 0 {
			return parseHTTPHead(buf[:end])
		}
		if len(buf) >= httpHeadCap {
			return r, 400, nil
		}
		if rerr != nil {
			if len(bytes.TrimSpace(buf)) > 0 && isTimeout(rerr) {
				return r, 408, nil
			}
			return r, 0, rerr
		}
	}
}

// parseHTTPHead parses a request line and header fields.
func parseHTTPHead(head []byte) (r httpRequest, status int, err error) {
	lines := strings.Split(strings.TrimLeft(string(head), "\r\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	f := strings.Split(lines[0], " ")
	if len(f) != 3 || f[0] == "" || f[1] == "" {
		return r, 400, nil
	}
	r = httpRequest{method: f[0], target: f[1], proto: f[2]}
	if !strings.HasPrefix(r.proto, "HTTP/") || len(r.proto) != 8 || r.proto[6] != '.' ||
		r.proto[5] < '0' || r.proto[5] > '9' || r.proto[7] < '0' || r.proto[7] > '9' {
		return r, 400, nil
	}
	if r.proto[5] != '1' {
		return r, 505, nil
	}
	host := false
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return r, 400, nil
		}
		if strings.EqualFold(name, "host") {
			if host {
				return r, 400, nil // two Host fields
			}
			host = true
		}
	}
	if r.proto == "HTTP/1.1" && !host {
		return r, 400, nil // RFC 9112 section 3.2
	}
	return r, 0, nil
}

// serve answers one request and closes the connection.
func (h *httpServer) serve(ctx context.Context, c net.Conn) {
	req, status, err := readHTTPRequest(c)
	if err != nil {
		return
	}
	if status == 408 && h.nginxOrder {
		return // nginx closes a timed-out connection without a word
	}
	_ = send(c, string(h.respond(req, status)))
	finish(c)
}

// respond builds the answer to req, or to a request that failed with
// status.
func (h *httpServer) respond(req httpRequest, status int) []byte {
	path, _, _ := strings.Cut(req.target, "?")
	var extra []string
	switch {
	case status != 0:
	case !slices.Contains(knownMethods, req.method):
		status = h.unknownMethod
	case req.method == "GET" || req.method == "HEAD":
		if path == "/" || path == "/index.html" {
			return h.page(req.method == "HEAD")
		}
		status = 404
	case req.method == "OPTIONS" && h.allow != "" && path != "*":
		return h.build(200, []string{"Allow: " + h.allow}, "", nil, false)
	default:
		status = 405
		if h.allow != "" {
			extra = []string{"Allow: " + h.allow}
		}
	}
	reason := httpReasons[status]
	body := h.errorPage(status, printableArg(req.method, 32), reason)
	return h.build(status, extra, h.errorType, body, req.method == "HEAD")
}

// page is the default page.
func (h *httpServer) page(head bool) []byte {
	lastModified := "Last-Modified: " + h.modified.Format(http1Time)
	etag := "ETag: " + h.etag
	if h.nginxOrder {
		return h.build(200, []string{lastModified, "\x00", etag, "Accept-Ranges: bytes"}, "text/html", h.index, head)
	}
	return h.build(200, []string{lastModified, etag, "Accept-Ranges: bytes"}, "text/html", h.index, head)
}

// http1Time is the IMF-fixdate of RFC 9110 section 5.6.7.
const http1Time = "Mon, 02 Jan 2006 15:04:05 GMT"

// build writes a response in the server's header order. In extra, a
// "\x00" marks where nginx puts Connection (between Last-Modified and
// ETag); everything else in extra follows the server's own order.
func (h *httpServer) build(status int, extra []string, ctype string, body []byte, head bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, httpReasons[status])
	date := "Date: " + time.Now().UTC().Format(http1Time)
	length := "Content-Length: " + strconv.Itoa(len(body))
	line := func(s string) { b.WriteString(s + "\r\n") }
	if h.nginxOrder {
		line("Server: " + h.server)
		line(date)
		if ctype != "" {
			line("Content-Type: " + ctype)
		}
		line(length)
		connection := false
		for _, e := range extra {
			if e == "\x00" {
				line("Connection: close")
				connection = true
				continue
			}
			line(e)
		}
		if !connection {
			line("Connection: close")
		}
	} else {
		line(date)
		line("Server: " + h.server)
		for _, e := range extra {
			line(e)
		}
		line(length)
		line("Connection: close")
		if ctype != "" {
			line("Content-Type: " + ctype)
		}
	}
	b.WriteString("\r\n")
	if !head {
		b.Write(body)
	}
	return b.Bytes()
}

// ---------------------------------------------------------------- FTP

// ftpState is what an FTP session remembers before login.
type ftpState struct {
	user  string
	fails int
}

// ftpServer is one FTP server's greeting and pre-login replies.
type ftpServer struct {
	greeting func(c net.Conn) string
	// answer returns the reply to one command line (CRLF-terminated
	// lines, possibly several, or "" for none) and whether to close
	// after it.
	answer func(ctx context.Context, st *ftpState, verb, arg string) (string, bool)
	// timeout is the reply to an idle client before closing.
	timeout string
}

// session greets and answers commands until QUIT, too many failed
// logins, a line over the cap, or an idle client.
func (f ftpServer) session(ctx context.Context, c net.Conn) {
	if send(c, f.greeting(c)) != nil {
		return
	}
	var st ftpState
	lr := newLineReader(c, oldLineCap)
	for ctx.Err() == nil {
		line, err := lr.next(oldIdle)
		if err != nil {
			if isTimeout(err) && ctx.Err() == nil {
				_ = send(c, f.timeout)
			}
			return
		}
		verb, arg := command(line)
		reply, done := f.answer(ctx, &st, verb, arg)
		if reply != "" && send(c, reply) != nil {
			return
		}
		if done {
			finish(c)
			return
		}
	}
}

// failedLogin waits d (servers delay a failed login on purpose) and
// counts the failure; it reports whether the session must end (three
// failures, both servers' default).
func failedLogin(ctx context.Context, st *ftpState, d time.Duration) bool {
	sleepCtx(ctx, d)
	st.fails++
	st.user = ""
	return st.fails >= 3
}

// vsftpdFeat is vsftpd 2.3.4's FEAT answer without SSL.
const vsftpdFeat = "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n"

// vsftpdFTP plays vsftpd 2.3.4 with anonymous_enable=NO, local_enable=YES
// and no SSL: before login it knows USER, PASS, QUIT, FEAT and OPTS, and
// answers everything else (AUTH included, without ssl_enable) with 530.
func vsftpdFTP(ctx context.Context, c net.Conn) {
	ftpServer{
		greeting: func(net.Conn) string { return "220 (vsFTPd 2.3.4)\r\n" },
		timeout:  "421 Timeout.\r\n",
		answer: func(ctx context.Context, st *ftpState, verb, arg string) (string, bool) {
			switch verb {
			case "USER":
				st.user = arg
				return "331 Please specify the password.\r\n", false
			case "PASS":
				if st.user == "" {
					return "503 Login with USER first.\r\n", false
				}
				return "530 Login incorrect.\r\n", failedLogin(ctx, st, time.Second)
			case "QUIT":
				return "221 Goodbye.\r\n", true
			case "FEAT":
				return vsftpdFeat, false
			case "OPTS":
				if strings.EqualFold(arg, "UTF8 ON") {
					return "200 Always in UTF8 mode.\r\n", false
				}
				return "501 Option not understood.\r\n", false
			case "":
				return "", false // vsftpd ignores empty lines
			}
			return "530 Please login with USER and PASS.\r\n", false
		},
	}.session(ctx, c)
}

// proftpdFeat is ProFTPD 1.3.5's FEAT answer with its default modules.
const proftpdFeat = "211-Features:\r\n LANG en-US*\r\n MDTM\r\n MFMT\r\n TVFS\r\n UTF8\r\n" +
	" MFF modify;UNIX.group;UNIX.mode;\r\n" +
	" MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*;\r\n" +
	" REST STREAM\r\n SIZE\r\n211 End\r\n"

// ftpVerbs are the commands of RFC 959, 2228, 2389, 2428, 2640, 3659, 7151
// and the X- aliases of RFC 775, plus ProFTPD's MFMT and MFF.
var ftpVerbs = strings.Fields("ABOR ACCT ALLO APPE CDUP CWD DELE HELP LIST MKD MODE NLST NOOP PASV " +
	"PORT PWD REIN REST RETR RMD RNFR RNTO SITE SMNT STAT STOR STOU STRU SYST TYPE " +
	"FEAT OPTS EPRT EPSV LANG MDTM MLSD MLST SIZE HOST XCUP XCWD XMKD XPWD XRMD MFMT MFF CLNT")

// proftpdFTP plays ProFTPD 1.3.5 with its default configuration and no
// mod_tls: before login it answers USER, PASS, QUIT, FEAT and SYST,
// refuses the other FTP commands with 530, and does not understand the
// rest (AUTH included).
func proftpdFTP(ctx context.Context, c net.Conn) {
	ftpServer{
		greeting: func(c net.Conn) string {
			return "220 ProFTPD 1.3.5 Server (ProFTPD Default Installation) [" + localIP(c) + "]\r\n"
		},
		timeout: "421 Login timeout (60 seconds): closing control connection\r\n",
		answer: func(ctx context.Context, st *ftpState, verb, arg string) (string, bool) {
			switch verb {
			case "USER":
				st.user = arg
				return "331 Password required for " + printableArg(arg, 64) + "\r\n", false
			case "PASS":
				if st.user == "" {
					return "503 Login with USER first\r\n", false
				}
				return "530 Login incorrect.\r\n", failedLogin(ctx, st, 500*time.Millisecond)
			case "QUIT":
				return "221 Goodbye.\r\n", true
			case "FEAT":
				return proftpdFeat, false
			case "SYST":
				return "215 UNIX Type: L8\r\n", false
			case "":
				return "500 Invalid command: try being more creative\r\n", false
			}
			if slices.Contains(ftpVerbs, verb) {
				return "530 Please login with USER and PASS\r\n", false
			}
			return "500 " + printableArg(verb, 64) + " not understood\r\n", false
		},
	}.session(ctx, c)
}

// ---------------------------------------------------------------- SMTP

// eximHost is the host name the Exim server gives itself.
const eximHost = "mail.lab.test"

// eximSMTP plays Exim 4.91 with Debian-like defaults and no TLS: EHLO
// offers SIZE, 8BITMIME, PIPELINING, CHUNKING and HELP; mail is accepted
// from anyone and relayed for no one; three unknown commands end the
// session (smtp_max_unknown_commands).
func eximSMTP(ctx context.Context, c net.Conn) {
	greeting := "220 " + eximHost + " ESMTP Exim 4.91 " + time.Now().Format(time.RFC1123Z) + "\r\n"
	if send(c, greeting) != nil {
		return
	}
	lr := newLineReader(c, oldLineCap)
	mail, unknown := false, 0
	for ctx.Err() == nil {
		line, err := lr.next(oldIdle)
		if errors.Is(err, errLineTooLong) {
			_ = send(c, "500 Command line too long\r\n")
			return
		}
		if err != nil {
			if isTimeout(err) && ctx.Err() == nil {
				_ = send(c, "421 "+eximHost+": SMTP command timeout - closing connection\r\n")
			}
			return
		}
		verb, arg := command(line)
		var reply string
		switch verb {
		case "EHLO", "HELO":
			name := strings.TrimSpace(arg)
			if name == "" || strings.ContainsAny(name, " \t") {
				reply = "501 Syntactically invalid " + verb + " argument(s)\r\n"
				break
			}
			mail = false
			hello := eximHost + " Hello " + printableArg(name, 64) + " [" + remoteIP(c) + "]"
			if verb == "HELO" {
				reply = "250 " + hello + "\r\n"
				break
			}
			reply = "250-" + hello + "\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 HELP\r\n"
		case "MAIL":
			if mail {
				reply = "503 sender already given\r\n"
			} else {
				mail, reply = true, "250 OK\r\n"
			}
		case "RCPT":
			if !mail {
				reply = "503 sender not yet given\r\n"
			} else {
				reply = "550 relay not permitted\r\n"
			}
		case "DATA", "BDAT":
			reply = "503 valid RCPT command must precede " + verb + "\r\n"
		case "RSET":
			mail, reply = false, "250 Reset OK\r\n"
		case "NOOP":
			reply = "250 OK\r\n"
		case "HELP":
			reply = "214-Commands supported:\r\n214 HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP\r\n"
		case "VRFY":
			reply = "252 Administrative prohibition\r\n"
		case "EXPN":
			reply = "550 Administrative prohibition\r\n"
		case "STARTTLS", "AUTH":
			reply = "503 " + verb + " command used when not advertised\r\n"
		case "QUIT":
			_ = send(c, "221 "+eximHost+" closing connection\r\n")
			finish(c)
			return
		default:
			unknown++
			if unknown >= 3 {
				_ = send(c, "500 Too many unrecognized commands\r\n")
				finish(c)
				return
			}
			reply = "500 unrecognized command\r\n"
		}
		if send(c, reply) != nil {
			return
		}
	}
}

// ---------------------------------------------------------------- memcached

// memcachedStart is when this process started, for uptime.
var memcachedStart = time.Now()

// memcachedStats is the answer to "stats" of an idle memcached 1.4.31
// with 64 MB of memory and 4 threads.
func memcachedStats() string {
	now := time.Now()
	up := int64(now.Sub(memcachedStart).Seconds())
	stats := [][2]string{
		{"pid", strconv.Itoa(os.Getpid())},
		{"uptime", strconv.FormatInt(up, 10)},
		{"time", strconv.FormatInt(now.Unix(), 10)},
		{"version", "1.4.31"},
		{"libevent", "2.0.21-stable"},
		{"pointer_size", "64"},
		{"rusage_user", "0.004000"},
		{"rusage_system", "0.008000"},
		{"curr_connections", "10"},
		{"total_connections", "11"},
		{"connection_structures", "11"},
		{"reserved_fds", "20"},
		{"cmd_get", "0"}, {"cmd_set", "0"}, {"cmd_flush", "0"}, {"cmd_touch", "0"},
		{"get_hits", "0"}, {"get_misses", "0"}, {"get_expired", "0"}, {"get_flushed", "0"},
		{"delete_misses", "0"}, {"delete_hits", "0"},
		{"incr_misses", "0"}, {"incr_hits", "0"}, {"decr_misses", "0"}, {"decr_hits", "0"},
		{"cas_misses", "0"}, {"cas_hits", "0"}, {"cas_badval", "0"},
		{"touch_hits", "0"}, {"touch_misses", "0"},
		{"auth_cmds", "0"}, {"auth_errors", "0"},
		{"bytes_read", "7"}, {"bytes_written", "0"},
		{"limit_maxbytes", "67108864"},
		{"accepting_conns", "1"},
		{"listen_disabled_num", "0"},
		{"time_in_listen_disabled_us", "0"},
		{"threads", "4"},
		{"conn_yields", "0"},
		{"hash_power_level", "16"},
		{"hash_bytes", "524288"},
		{"hash_is_expanding", "0"},
		{"malloc_fails", "0"},
		{"log_worker_dropped", "0"}, {"log_worker_written", "0"},
		{"log_watcher_skipped", "0"}, {"log_watcher_sent", "0"},
		{"bytes", "0"},
		{"curr_items", "0"},
		{"total_items", "0"},
		{"expired_unfetched", "0"},
		{"evicted_unfetched", "0"},
		{"evictions", "0"},
		{"reclaimed", "0"},
		{"crawler_reclaimed", "0"},
		{"crawler_items_checked", "0"},
		{"lrutail_reflocked", "0"},
	}
	var b strings.Builder
	for _, s := range stats {
		b.WriteString("STAT " + s[0] + " " + s[1] + "\r\n")
	}
	b.WriteString("END\r\n")
	return b.String()
}

// memcachedText plays memcached 1.4.31's text protocol, storing nothing:
// version, stats, get and gets (always a miss), verbosity and quit; every
// other command is an ERROR. Like memcached, it closes a connection whose
// command line exceeds its buffer.
func memcachedText(ctx context.Context, c net.Conn) {
	lr := newLineReader(c, 2048)
	for ctx.Err() == nil {
		line, err := lr.next(oldIdle)
		if err != nil {
			return
		}
		f := strings.Fields(line)
		var reply string
		switch {
		case len(f) == 0:
			reply = "ERROR\r\n"
		case f[0] == "version":
			reply = "VERSION 1.4.31\r\n"
		case f[0] == "stats" && len(f) == 1:
			reply = memcachedStats()
		case f[0] == "stats" && len(f) == 2 && f[1] == "reset":
			reply = "RESET\r\n"
		case f[0] == "stats" && len(f) == 2 && slices.Contains([]string{"items", "slabs", "sizes", "conns"}, f[1]):
			reply = "END\r\n"
		case (f[0] == "get" || f[0] == "gets") && len(f) > 1:
			reply = "END\r\n"
		case f[0] == "verbosity" && len(f) >= 2:
			reply = "OK\r\n"
		case f[0] == "quit":
			return
		default:
			reply = "ERROR\r\n"
		}
		if send(c, reply) != nil {
			return
		}
	}
}

// ---------------------------------------------------------------- Redis

// Caps of the Redis emulator, far below Redis's own (1M arguments, 512 MB
// bulk strings, 64 KiB inline commands).
const (
	redisMaxArgs   = 1024
	redisMaxBulk   = 64 << 10
	redisInlineCap = 64 << 10
)

// redisServer plays Redis 5.0.5 without a password and without data.
type redisServer struct {
	start time.Time
	runID string
}

func newRedisServer() *redisServer {
	id := make([]byte, 20)
	_, _ = rand.Read(id)
	return &redisServer{start: time.Now(), runID: hex.EncodeToString(id)}
}

// errRedisProtocol is a protocol error: Redis answers it and closes.
type errRedisProtocol string

func (e errRedisProtocol) Error() string { return "Protocol error: " + string(e) }

// readRESP reads one command: a RESP array of bulk strings, or an inline
// command (words on one line), as Redis accepts both.
func readRESP(r *bufio.Reader) ([]string, error) {
	first, err := r.Peek(1)
	if err != nil {
		return nil, err
	}
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		if first[0] == '*' {
			return nil, errRedisProtocol("invalid multibulk length")
		}
		return nil, errRedisProtocol("too big inline request")
	}
	if err != nil {
		return nil, err
	}
	text := strings.TrimRight(string(line), "\r\n")
	if first[0] != '*' {
		return strings.Fields(text), nil
	}
	n, err := strconv.Atoi(text[1:])
	if err != nil || n > redisMaxArgs {
		return nil, errRedisProtocol("invalid multibulk length")
	}
	args := make([]string, 0, max(n, 0))
	for range n {
		hdr, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errRedisProtocol("invalid bulk length")
		}
		if err != nil {
			return nil, err
		}
		if hdr[0] != '$' {
			return nil, errRedisProtocol(fmt.Sprintf("expected '$', got '%c'", hdr[0]))
		}
		size, err := strconv.Atoi(strings.TrimRight(string(hdr[1:]), "\r\n"))
		if err != nil || size < 0 || size > redisMaxBulk {
			return nil, errRedisProtocol("invalid bulk length")
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

// serve answers commands until QUIT, a protocol error or an idle client.
func (s *redisServer) serve(ctx context.Context, c net.Conn) {
	r := bufio.NewReaderSize(c, redisInlineCap)
	for ctx.Err() == nil {
		if err := c.SetReadDeadline(time.Now().Add(oldIdle)); err != nil {
			return
		}
		args, err := readRESP(r)
		var perr errRedisProtocol
		if errors.As(err, &perr) {
			_ = send(c, "-ERR "+perr.Error()+"\r\n")
			finish(c)
			return
		}
		if err != nil {
			return
		}
		if len(args) == 0 {
			continue
		}
		reply, done := s.command(c, args)
		if reply != "" && send(c, reply) != nil {
			return
		}
		if done {
			finish(c)
			return
		}
	}
}

// redisBulk is a RESP bulk string.
func redisBulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// redisError is an error reply, made one line as Redis makes it.
func redisError(msg string) string {
	return "-" + strings.NewReplacer("\r", " ", "\n", " ").Replace(msg) + "\r\n"
}

// command answers one command; done is true when the connection ends.
func (s *redisServer) command(c net.Conn, args []string) (reply string, done bool) {
	name := strings.ToLower(args[0])
	arity := func(n int) bool { return len(args) == n }
	wrong := func() string { return redisError("ERR wrong number of arguments for '" + name + "' command") }
	switch name {
	case "host:", "post":
		// Redis takes these for an HTTP request smuggled to it (cross
		// protocol scripting) and closes without an answer.
		return "", true
	case "ping":
		switch len(args) {
		case 1:
			return "+PONG\r\n", false
		case 2:
			return redisBulk(args[1]), false
		}
		return wrong(), false
	case "echo":
		if !arity(2) {
			return wrong(), false
		}
		return redisBulk(args[1]), false
	case "info":
		switch len(args) {
		case 1:
			return redisBulk(s.info(c, "default")), false
		case 2:
			return redisBulk(s.info(c, strings.ToLower(args[1]))), false
		}
		return redisError("ERR syntax error"), false
	case "auth":
		if !arity(2) {
			return wrong(), false
		}
		return redisError("ERR Client sent AUTH, but no password is set"), false
	case "get":
		if !arity(2) {
			return wrong(), false
		}
		return "$-1\r\n", false
	case "dbsize":
		if !arity(1) {
			return wrong(), false
		}
		return ":0\r\n", false
	case "quit":
		return "+OK\r\n", true
	}
	// Redis 5.0's message, arguments quoted up to 128 bytes in all.
	var rest strings.Builder
	for _, a := range args[1:] {
		if rest.Len() >= 128 {
			break
		}
		a = a[:min(len(a), 128-rest.Len())]
		rest.WriteString("`" + a + "`, ")
	}
	return redisError("ERR unknown command `" + printableArg(args[0], 128) + "`, with args beginning with: " + printableArg(rest.String(), 256)), false
}

// info is the text of INFO section: Redis 5.0.5's fields, for a server
// that holds no data.
func (s *redisServer) info(c net.Conn, section string) string {
	now := time.Now()
	up := int64(now.Sub(s.start).Seconds())
	_, port, _ := net.SplitHostPort(c.LocalAddr().String())
	sections := []struct {
		name   string
		fields [][2]string
	}{
		{"Server", [][2]string{
			{"redis_version", "5.0.5"},
			{"redis_git_sha1", "00000000"},
			{"redis_git_dirty", "0"},
			{"redis_build_id", "7983a619928f1f2d"},
			{"redis_mode", "standalone"},
			{"os", "Linux 4.19.0-5-amd64 x86_64"},
			{"arch_bits", "64"},
			{"multiplexing_api", "epoll"},
			{"atomicvar_api", "atomic-builtin"},
			{"gcc_version", "8.3.0"},
			{"process_id", strconv.Itoa(os.Getpid())},
			{"run_id", s.runID},
			{"tcp_port", port},
			{"uptime_in_seconds", strconv.FormatInt(up, 10)},
			{"uptime_in_days", strconv.FormatInt(up/86400, 10)},
			{"hz", "10"},
			{"configured_hz", "10"},
			{"lru_clock", strconv.FormatInt(now.Unix()&(1<<24-1), 10)},
			{"executable", "/usr/local/bin/redis-server"},
			{"config_file", ""},
		}},
		{"Clients", [][2]string{
			{"connected_clients", "1"},
			{"client_recent_max_input_buffer", "2"},
			{"client_recent_max_output_buffer", "0"},
			{"blocked_clients", "0"},
		}},
		{"Memory", [][2]string{
			{"used_memory", "853208"},
			{"used_memory_human", "833.21K"},
			{"maxmemory", "0"},
			{"maxmemory_human", "0B"},
			{"maxmemory_policy", "noeviction"},
			{"mem_allocator", "jemalloc-5.1.0"},
		}},
		{"Persistence", [][2]string{
			{"loading", "0"},
			{"rdb_changes_since_last_save", "0"},
			{"rdb_bgsave_in_progress", "0"},
			{"rdb_last_save_time", strconv.FormatInt(s.start.Unix(), 10)},
			{"rdb_last_bgsave_status", "ok"},
			{"aof_enabled", "0"},
		}},
		{"Stats", [][2]string{
			{"total_connections_received", "1"},
			{"total_commands_processed", "1"},
			{"instantaneous_ops_per_sec", "0"},
			{"rejected_connections", "0"},
			{"expired_keys", "0"},
			{"evicted_keys", "0"},
			{"keyspace_hits", "0"},
			{"keyspace_misses", "0"},
		}},
		{"Replication", [][2]string{
			{"role", "master"},
			{"connected_slaves", "0"},
			{"master_repl_offset", "0"},
		}},
		{"CPU", [][2]string{
			{"used_cpu_sys", "0.012000"},
			{"used_cpu_user", "0.008000"},
		}},
		{"Cluster", [][2]string{{"cluster_enabled", "0"}}},
		{"Keyspace", nil},
	}
	all := section == "default" || section == "all" || section == "everything"
	var b strings.Builder
	for _, sec := range sections {
		if !all && section != strings.ToLower(sec.name) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + sec.name + "\r\n")
		for _, f := range sec.fields {
			b.WriteString(f[0] + ":" + f[1] + "\r\n")
		}
	}
	return b.String()
}

// ---------------------------------------------------------------- DNS

// DNS constants (RFC 1035, RFC 6891).
const (
	dnsFlagQR    = 0x8000
	dnsFlagAA    = 0x0400
	dnsFlagTC    = 0x0200
	dnsFlagRD    = 0x0100
	dnsFlagRA    = 0x0080
	dnsNoError   = 0
	dnsNotImp    = 4
	dnsRefused   = 5
	dnsTypeTXT   = 16
	dnsTypeOPT   = 41
	dnsTypeANY   = 255
	dnsClassCH   = 3
	dnsMaxUDP    = 4096 // dnsmasq 2.77's edns-packet-max
	dnsTCPMaxMsg = 4096
)

// dnsmasqChaos are the CHAOS TXT names dnsmasq 2.77 answers.
var dnsmasqChaos = map[string]string{
	"version.bind": "dnsmasq-2.77",
	"authors.bind": "Simon Kelley",
}

// dnsmasqAnswer is dnsmasq 2.77's answer to query q, with no upstream
// servers and no local data, or nil for no answer: version.bind and
// authors.bind in CHAOS TXT, NOTIMP for other .bind names and opcodes
// other than QUERY, REFUSED for everything else. Responses, truncated
// queries and malformed questions get nothing.
func dnsmasqAnswer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	flags := binary.BigEndian.Uint16(q[2:])
	if flags&(dnsFlagQR|dnsFlagTC) != 0 {
		return nil
	}
	header := func(rcode int, extra uint16, qd, an, ar int) []byte {
		b := append([]byte(nil), q[:2]...)
		b = binary.BigEndian.AppendUint16(b, dnsFlagQR|flags&(0x7800|dnsFlagRD)|dnsFlagRA|extra|uint16(rcode))
		for _, n := range []int{qd, an, 0, ar} {
			b = binary.BigEndian.AppendUint16(b, uint16(n))
		}
		return b
	}
	if opcode := flags >> 11 & 0xf; opcode != 0 {
		return header(dnsNotImp, 0, 0, 0, 0)
	}
	switch binary.BigEndian.Uint16(q[4:]) {
	case 0:
		return header(dnsRefused, 0, 0, 0, 0)
	case 1:
	default:
		return nil
	}
	// The question: uncompressed labels, then type and class.
	var labels []string
	off := 12
	for {
		if off >= len(q) {
			return nil
		}
		n := int(q[off])
		if n == 0 {
			off++
			break
		}
		if n&0xc0 != 0 || off+1+n > len(q) || len(labels) > 127 {
			return nil
		}
		labels = append(labels, strings.ToLower(string(q[off+1:off+1+n])))
		off += 1 + n
	}
	if off+4 > len(q) {
		return nil
	}
	question := q[12 : off+4]
	qtype := binary.BigEndian.Uint16(q[off:])
	qclass := binary.BigEndian.Uint16(q[off+2:])
	name := strings.Join(labels, ".")
	// An OPT record (RFC 6891) in the additional section is answered with
	// one; nothing else is expected there.
	edns := false
	if binary.BigEndian.Uint16(q[6:]) == 0 && binary.BigEndian.Uint16(q[8:]) == 0 && binary.BigEndian.Uint16(q[10:]) >= 1 {
		rest := q[off+4:]
		edns = len(rest) >= 11 && rest[0] == 0 && binary.BigEndian.Uint16(rest[1:]) == dnsTypeOPT
	}
	ar := 0
	if edns {
		ar = 1
	}
	opt := func(b []byte) []byte {
		if !edns {
			return b
		}
		b = append(b, 0)
		b = binary.BigEndian.AppendUint16(b, dnsTypeOPT)
		b = binary.BigEndian.AppendUint16(b, dnsMaxUDP)
		return append(b, 0, 0, 0, 0, 0, 0) // extended rcode, version, flags, no options
	}
	if qclass == dnsClassCH && strings.HasSuffix(name, ".bind") {
		txt, ok := dnsmasqChaos[name]
		if !ok {
			return opt(append(header(dnsNotImp, 0, 1, 0, ar), question...))
		}
		if qtype != dnsTypeTXT && qtype != dnsTypeANY {
			return opt(append(header(dnsNoError, dnsFlagAA, 1, 0, ar), question...))
		}
		b := append(header(dnsNoError, dnsFlagAA, 1, 1, ar), question...)
		b = append(b, 0xc0, 12) // the question's name
		b = binary.BigEndian.AppendUint16(b, dnsTypeTXT)
		b = binary.BigEndian.AppendUint16(b, dnsClassCH)
		b = append(b, 0, 0, 0, 0) // TTL 0
		b = binary.BigEndian.AppendUint16(b, uint16(1+len(txt)))
		b = append(b, byte(len(txt)))
		b = append(b, txt...)
		return opt(b)
	}
	return opt(append(header(dnsRefused, 0, 1, 0, ar), question...))
}

// serveDatagrams answers the datagrams arriving on pc with answer until
// ctx ends; it closes pc.
func serveDatagrams(ctx context.Context, log *slog.Logger, pc net.PacketConn, answer func([]byte) []byte) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	buf := make([]byte, dnsMaxUDP)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return err
			}
			log.Warn("udp read", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if out := answer(buf[:n]); out != nil {
			_ = pc.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := pc.WriteTo(out, from); err != nil {
				log.Warn("udp write", "err", err)
			}
		}
	}
}

// dnsTCP answers DNS messages over TCP (RFC 1035 section 4.2.2: a two-byte
// length before each) until the client closes, stays idle for 10 seconds,
// or sends something dnsmasq would not answer.
func dnsTCP(ctx context.Context, c net.Conn) {
	for ctx.Err() == nil {
		hdr, err := readFull(c, 2, 10*time.Second)
		if err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(hdr))
		if n == 0 || n > dnsTCPMaxMsg {
			return
		}
		q, err := readFull(c, n, 10*time.Second)
		if err != nil {
			return
		}
		out := dnsmasqAnswer(q)
		if out == nil {
			return
		}
		if send(c, string(binary.BigEndian.AppendUint16(nil, uint16(len(out))))+string(out)) != nil {
			return
		}
	}
}
