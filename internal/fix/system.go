package fix

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vigilsec/vigil/internal/codec/resp"
	"github.com/vigilsec/vigil/internal/dialer"
	"github.com/vigilsec/vigil/internal/observe"
	"github.com/vigilsec/vigil/internal/sanitize"
	"github.com/vigilsec/vigil/internal/wire"
)

// Local is the System of this machine.
type Local struct {
	// ProcDir is where proc is mounted; "/proc" when empty.
	ProcDir string
	// Timeout bounds each command and network exchange; 60s when zero.
	Timeout time.Duration
}

func (l Local) timeout() time.Duration {
	if l.Timeout <= 0 {
		return 60 * time.Second
	}
	return l.Timeout
}

func (l Local) proc() string {
	if l.ProcDir == "" {
		return "/proc"
	}
	return l.ProcDir
}

// maxCommandOutput caps what vigil keeps of a command's output.
const maxCommandOutput = 16 << 20

// Run implements System.
func (l Local) Run(ctx context.Context, argv []string, stdin string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command")
	}
	ctx, cancel := context.WithTimeout(ctx, l.timeout())
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out capBuffer
	out.max = maxCommandOutput
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.Bytes(), fmt.Errorf("did not finish in %v: %w", l.timeout(), ctx.Err())
	}
	return out.Bytes(), err
}

// capBuffer keeps the first max bytes written.
type capBuffer struct {
	bytes.Buffer
	max int
}

func (c *capBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Cmdline implements System.
func (l Local) Cmdline(pid int) (string, error) {
	b, err := os.ReadFile(l.proc() + "/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")), nil
}

// Signal implements System.
func (Local) Signal(pid int, sig syscall.Signal) error {
	if pid <= 1 {
		return fmt.Errorf("refusing to signal pid %d", pid)
	}
	return syscall.Kill(pid, sig)
}

// Children implements System: the processes whose parent is pid, from
// /proc/PID/stat.
func (l Local) Children(pid int) ([]int, error) {
	dirs, err := os.ReadDir(l.proc())
	if err != nil {
		return nil, err
	}
	var out []int
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(l.proc() + "/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := string(b)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) >= 2 && f[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out, nil
}

// Listening implements System.
func (l Local) Listening(addr netip.AddrPort) (uint64, error) {
	socks, err := observe.Listening(l.proc())
	for _, s := range socks {
		if s.Addr.Port() != addr.Port() {
			continue
		}
		a := s.Addr.Addr()
		if a == addr.Addr() || a.IsUnspecified() && (a.Is4() == addr.Addr().Is4() || a.Is6()) {
			return max(s.Inode, 1), nil
		}
	}
	return 0, err
}

// Redis implements System: one connection through a dialer that reaches
// only addr.
func (l Local) Redis(ctx context.Context, addr netip.AddrPort, auth string, argv []string) ([]string, error) {
	timeout := min(l.timeout(), 10*time.Second)
	d, err := dialer.New(dialer.Config{Concurrency: 1, Timeout: timeout}, func(a netip.Addr) bool { return a == addr.Addr() })
	if err != nil {
		return nil, err
	}
	c, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Redis at %s: %w", addr, err)
	}
	defer c.Close()
	if auth != "" {
		if _, err := redisExchange(ctx, c, timeout, "AUTH", auth); err != nil {
			return nil, fmt.Errorf("Redis at %s refused the password: %w", addr, err)
		}
	}
	return redisExchange(ctx, c, timeout, argv...)
}

// maxRedisReply caps a Redis answer.
const maxRedisReply = 64 << 10

func redisExchange(ctx context.Context, c net.Conn, timeout time.Duration, argv ...string) ([]string, error) {
	b, err := wire.Exchange(ctx, c, resp.Command(argv...), maxRedisReply, timeout, func(b []byte) bool {
		_, _, err := parseReply(b)
		return !errors.Is(err, errIncomplete)
	})
	if err != nil && len(b) == 0 {
		return nil, err
	}
	vals, _, err := parseReply(b)
	return vals, err
}

// VsftpdParse implements System: vsftpd reads the file, with listen and
// background forced off after it (its -o options apply in command-line
// order), and runs in inetd mode on a temporary file instead of a socket.
// A file it accepts gets it as far as "must be started from inetd"; a bad
// one stops it earlier with "500 OOPS: unrecognised variable …" or the like.
// (A socket pair will not do: vsftpd refuses sessions on Unix sockets.)
func (l Local) VsftpdParse(ctx context.Context, exe, conf string) (string, error) {
	f, err := os.CreateTemp("", "vigil-vsftpd-check-")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, min(l.timeout(), 10*time.Second))
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, conf, "-olisten=NO", "-olisten_ipv6=NO", "-obackground=NO")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, f
	cmd.WaitDelay = time.Second
	_ = cmd.Run() // it always exits non-zero here; what it said decides
	b := make([]byte, 1024)
	n, _ := f.ReadAt(b, 0)
	return sanitize.Line(b[:n], 300), nil
}

// Banner implements System: one connection through a dialer that reaches
// only addr, and the first line the server sends.
func (l Local) Banner(ctx context.Context, addr netip.AddrPort) (string, error) {
	timeout := min(l.timeout(), 10*time.Second)
	d, err := dialer.New(dialer.Config{Concurrency: 1, Timeout: timeout}, func(a netip.Addr) bool { return a == addr.Addr() })
	if err != nil {
		return "", err
	}
	c, err := d.Dial(ctx, "tcp", addr, timeout)
	if err != nil {
		return "", fmt.Errorf("cannot reach %s: %w", addr, err)
	}
	defer c.Close()
	b, err := wire.ReadLine(ctx, c, 1024, timeout)
	if len(b) == 0 {
		return "", fmt.Errorf("%s sent no greeting: %w", addr, err)
	}
	return sanitize.Line(b, 300), nil
}
