package hostaudit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/vigilsec/vigil/internal/dialer"
)

// SSHConfig says how to reach and log in to a remote machine.
type SSHConfig struct {
	// User is the account to log in as.
	User string
	// Host is the machine as the user named it (a name or an address): the
	// name known_hosts is searched for.
	Host string
	// Addr is where to connect (Host resolved, and the port).
	Addr netip.AddrPort
	// Identities are private key files to offer; empty means the usual
	// ~/.ssh/id_ed25519, id_ecdsa and id_rsa that exist.
	Identities []string
	// KnownHosts is the known_hosts file the server's host key must be
	// in; empty means ~/.ssh/known_hosts.
	KnownHosts string
	// Timeout bounds the connection and the SSH handshake; 0 means 10 s.
	Timeout time.Duration
}

// ErrHostKey means the server's host key could not be verified against
// known_hosts: it is unknown, different, or revoked. vigil never trusts a
// key on first use.
var ErrHostKey = errors.New("the server's host key is not verified")

// ParseDestination reads "user@host", "user@host:port" or
// "user@[v6addr]:port" and returns its parts; the port is 22 by default.
func ParseDestination(s string) (user, host string, port int, err error) {
	user, rest, ok := strings.Cut(s, "@")
	if !ok || user == "" || rest == "" {
		return "", "", 0, fmt.Errorf("--ssh %q: give user@host or user@host:port", s)
	}
	port = 22
	host = rest
	if h, p, err := net.SplitHostPort(rest); err == nil {
		n, perr := strconv.Atoi(p)
		if perr != nil || n <= 0 || n > 65535 {
			return "", "", 0, fmt.Errorf("--ssh %q: %q is not a port", s, p)
		}
		host, port = h, n
	} else if strings.Count(rest, ":") == 1 {
		return "", "", 0, fmt.Errorf("--ssh %q: %v", s, err)
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		return "", "", 0, fmt.Errorf("--ssh %q: no host", s)
	}
	return user, host, port, nil
}

// SSH is a Target reached over SSH. Commands run through the login user's
// shell with LC_ALL=C and a PATH that includes the sbin directories; at
// most sshSessions run at once (OpenSSH allows 10 per connection).
type SSH struct {
	client *ssh.Client
	remote string
	slots  chan struct{}
}

const sshSessions = 8

// DialSSH connects through the dialer (which enforces the scan's scope),
// verifies the server's host key against known_hosts, and logs in with the
// identity keys.
func DialSSH(ctx context.Context, d *dialer.Dialer, cfg SSHConfig) (*SSH, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	home, _ := os.UserHomeDir()
	khFile := cfg.KnownHosts
	if khFile == "" {
		khFile = filepath.Join(home, ".ssh", "known_hosts")
	}
	check, err := knownhosts.New(khFile)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read the known hosts file %s (%v): vigil checks the server's host key against it; log in once with ssh to create it, or give --known-hosts FILE", ErrHostKey, khFile, err)
	}
	signers, err := loadIdentities(cfg.Identities, home)
	if err != nil {
		return nil, err
	}
	target := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Addr.Port())))
	remoteAddr := net.TCPAddrFromAddrPort(cfg.Addr)
	var offered ssh.PublicKey
	var keyErr error
	conf := &ssh.ClientConfig{
		User:              cfg.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyAlgorithms: knownAlgorithms(check, target, remoteAddr),
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			offered = key
			keyErr = check(hostname, remote, key)
			return keyErr
		},
		Timeout: cfg.Timeout,
	}
	conn, err := d.Dial(ctx, "tcp", cfg.Addr, cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("cannot reach %s: %w", target, err)
	}
	_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	c, chans, reqs, err := ssh.NewClientConn(conn, target, conf)
	stop()
	if err != nil {
		conn.Close()
		if keyErr != nil {
			return nil, hostKeyError(keyErr, offered, cfg.Host, target, khFile)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, fmt.Errorf("cannot log in to %s as %s with the key(s) %s: the server refused them: %w", target, cfg.User, identityNames(cfg.Identities), err)
		}
		return nil, fmt.Errorf("SSH to %s failed: %w", target, err)
	}
	_ = conn.SetDeadline(time.Time{})
	remote := cfg.User + "@" + cfg.Host
	if cfg.Addr.Port() != 22 {
		remote = cfg.User + "@" + target
	}
	return &SSH{client: ssh.NewClient(c, chans, reqs), remote: remote, slots: make(chan struct{}, sshSessions)}, nil
}

// knownAlgorithms returns the host-key algorithms of the keys known_hosts
// holds for the host, so that the server is asked for a key that can be
// verified; nil (the library's default order) when it holds none.
func knownAlgorithms(check ssh.HostKeyCallback, target string, remote net.Addr) []string {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if err := check(target, remote, probe.PublicKey()); !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var out []string
	add := func(a ...string) {
		for _, x := range a {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return out
}

// hostKeyError explains a host key that known_hosts does not vouch for,
// and how to check and add it.
func hostKeyError(err error, key ssh.PublicKey, host, target, file string) error {
	fp, typ, line := "", "", ""
	if key != nil {
		fp, typ = ssh.FingerprintSHA256(key), key.Type()
		line = knownhosts.Line([]string{knownhosts.Normalize(target)}, key)
	}
	_, port, _ := net.SplitHostPort(target)
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("%w: the host key of %s (%s %s) is marked @revoked in %s:%d; vigil refuses to connect", ErrHostKey, target, typ, fp, re.Revoked.Filename, re.Revoked.Line)
	case errors.As(err, &ke) && len(ke.Want) > 0:
		w := ke.Want[0]
		return fmt.Errorf("%w: HOST KEY MISMATCH for %s: the server offered %s %s, but %s:%d holds a different key for it. Someone may be intercepting the connection, or the server's key was changed. vigil refuses to connect. If the change is expected, check the new fingerprint on the server (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub), remove the old entry with: ssh-keygen -R '%s' -f %s, and add the new one",
			ErrHostKey, target, typ, fp, w.Filename, w.Line, keyFileKind(typ), knownhosts.Normalize(target), file)
	case errors.As(err, &ke):
		return fmt.Errorf("%w: the host key of %s is not in %s, and vigil never trusts a key on first use. The server offered %s %s. Check that fingerprint on the server itself (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub); if it matches, add the key with:\n  echo '%s' >> %s\n(or log in once with: ssh -p %s %s, and compare the fingerprint ssh shows)",
			ErrHostKey, target, file, typ, fp, keyFileKind(typ), line, file, port, host)
	}
	return fmt.Errorf("%w: %s: %v", ErrHostKey, target, err)
}

// keyFileKind names the host key file for a key type: ed25519, rsa, ecdsa.
func keyFileKind(typ string) string {
	switch {
	case strings.Contains(typ, "ed25519"):
		return "ed25519"
	case strings.HasPrefix(typ, "ecdsa"):
		return "ecdsa"
	case strings.Contains(typ, "dss"):
		return "dsa"
	}
	return "rsa"
}

// loadIdentities reads the private keys to offer.
func loadIdentities(files []string, home string) ([]ssh.Signer, error) {
	explicit := len(files) > 0
	if !explicit {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			p := filepath.Join(home, ".ssh", n)
			if _, err := os.Stat(p); err == nil {
				files = append(files, p)
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("no SSH key found (~/.ssh/id_ed25519, id_ecdsa, id_rsa): give one with --identity FILE")
		}
	}
	var out []ssh.Signer
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot read the key %s: %w", f, err))
			continue
		}
		s, err := ssh.ParsePrivateKey(b)
		var pm *ssh.PassphraseMissingError
		switch {
		case errors.As(err, &pm):
			errs = append(errs, fmt.Errorf("the key %s is protected by a passphrase, which vigil does not ask for: use a key without one for audits (ssh-keygen -t ed25519 -f FILE -N '')", f))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s is not a private key vigil can read: %w", f, err))
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func identityNames(files []string) string {
	if len(files) == 0 {
		return "in ~/.ssh"
	}
	return strings.Join(files, ", ")
}

// Remote returns user@host (with :port when not 22).
func (s *SSH) Remote() string { return s.remote }

// LocalAddr is the address this machine reaches the remote one from.
func (s *SSH) LocalAddr() string {
	if a, ok := s.client.LocalAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap().String()
	}
	return ""
}

// Close ends the connection.
func (s *SSH) Close() error { return s.client.Close() }

// sshPath is the PATH commands run with: sshd, nft and iptables-save live
// in sbin, which non-root logins do not have.
const sshPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Run implements Target.
func (s *SSH) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s did not start in time: %w", name, ctx.Err())
	}
	defer func() { <-s.slots }()
	sess, err := s.client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("cannot run %s on %s: %w", name, s.remote, err)
	}
	defer sess.Close()
	stdout := &limited{max: MaxOutput}
	stderr := &capped{max: maxStderr}
	sess.Stdout = overflowCancels{stdout, cancel}
	sess.Stderr = stderr
	words := []string{"env", "LC_ALL=C", "PATH=" + sshPath, shellQuote(name)}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	if err := sess.Start(strings.Join(words, " ")); err != nil {
		return nil, fmt.Errorf("cannot run %s on %s: %w", name, s.remote, err)
	}
	done := make(chan error, 1)
	go func() { done <- sess.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = sess.Signal(ssh.SIGKILL)
		_ = sess.Close()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			// The server neither ended the command nor closed the
			// channel; the session's goroutines still own the buffers.
			return nil, fmt.Errorf("%s on %s did not finish in time: %w", name, s.remote, ctx.Err())
		}
		err = ctx.Err()
	}
	out := stdout.buf.Bytes()
	var ee *ssh.ExitError
	switch {
	case stdout.over:
		return nil, fmt.Errorf("the output of %s is %w", name, ErrTooLarge)
	case ctx.Err() != nil:
		return out, fmt.Errorf("%s on %s did not finish in time: %w", name, s.remote, ctx.Err())
	case errors.As(err, &ee) && (ee.ExitStatus() == 127 || strings.Contains(string(stderr.Bytes()), name+": command not found")):
		return out, fmt.Errorf("%s: %w", name, ErrNoCommand)
	case err != nil:
		return out, commandError(name, err, stderr.Bytes())
	}
	return out, nil
}

// ReadFile implements Target.
func (s *SSH) ReadFile(ctx context.Context, path string) ([]byte, error) {
	return s.Run(ctx, "cat", "--", path)
}

// overflowCancels cancels the command once its output exceeds the cap.
type overflowCancels struct {
	l      *limited
	cancel context.CancelFunc
}

func (o overflowCancels) Write(p []byte) (int, error) {
	n, err := o.l.Write(p)
	if err != nil {
		o.cancel()
	}
	return n, err
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
